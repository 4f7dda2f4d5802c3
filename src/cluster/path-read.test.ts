import { describe, expect, it } from "vitest";
import { pathReader } from "./path-read.js";

const raw = (namespace: string, name: string, deps: string[] = []) => ({
  apiVersion: "helm.toolkit.fluxcd.io/v2",
  kind: "HelmRelease",
  metadata: { namespace, name },
  spec: { dependsOn: deps.map((d) => ({ name: d })) },
});

describe("pathReader", () => {
  it("lists a namespace with several names, gets a lone one, and leaves out what does not exist", async () => {
    const calls: string[] = [];
    const read = pathReader(
      {
        find: async (path) => {
          calls.push(`GET ${path}`);
          return path.endsWith("/solo") ? raw("infra", "solo") : undefined;
        },
        listPage: async (path) => {
          calls.push(`LIST ${path}`);
          return { items: [raw("team", "a", ["b"]), raw("team", "b"), raw("team", "other")], resourceVersion: "9", continue: undefined };
        },
      },
      {},
    );
    const result = await read(["HelmRelease/team/a", "HelmRelease/team/b", "HelmRelease/team/gone", "HelmRelease/infra/solo", "Deployment/x/y"], 1000);
    expect(calls.sort()).toEqual(["GET /apis/helm.toolkit.fluxcd.io/v2/namespaces/infra/helmreleases/solo", "LIST /apis/helm.toolkit.fluxcd.io/v2/namespaces/team/helmreleases"]);
    expect(result.ok && result.found.map((o) => `${o.namespace}/${o.name}`).sort()).toEqual(["infra/solo", "team/a", "team/b"]);
  });

  it("is not ok when the API server does not answer in time", async () => {
    const read = pathReader({ find: () => new Promise(() => undefined), listPage: () => new Promise(() => undefined) }, {});
    expect(await read(["HelmRelease/team/a"], 50)).toEqual({ ok: false, error: "no answer from the API server within 50 ms" });
  });
});
