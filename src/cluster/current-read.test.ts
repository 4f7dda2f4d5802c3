import { describe, expect, it } from "vitest";
import { currentReader } from "./current-read.js";

describe("currentReader", () => {
  it("lists one item of the kind in the review's namespace, and is ok when the API server answers", async () => {
    const calls: string[] = [];
    const confirm = currentReader(
      {
        listPage: async (path, query) => {
          calls.push(`LIST ${path}?limit=${query.limit}`);
          return { items: [], continue: undefined };
        },
      },
      { Kustomization: "v1" },
    );
    expect(await confirm("HelmRelease", "team-a", 1000)).toEqual({ ok: true });
    expect(await confirm("Kustomization", "flux-system", 1000)).toEqual({ ok: true });
    expect(calls).toEqual([
      "LIST /apis/helm.toolkit.fluxcd.io/v2/namespaces/team-a/helmreleases?limit=1",
      "LIST /apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations?limit=1",
    ]);
  });

  it("is not ok when the API server does not answer in time, or refuses", async () => {
    const silent = currentReader({ listPage: () => new Promise(() => undefined) }, {});
    expect(await silent("HelmRelease", "default", 50)).toEqual({ ok: false, error: "no answer from the API server within 50 ms" });
    const refusing = currentReader({ listPage: async () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6443")) }, {});
    expect(await refusing("HelmRelease", "default", 1000)).toEqual({ ok: false, error: "connect ECONNREFUSED 127.0.0.1:6443" });
  });
});
