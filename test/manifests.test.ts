// The manifest reader on small fixtures (test/fixtures/manifests): what `releasegate check PATH...`
// reads, and the namespaces it resolves the way Flux would apply the objects.

import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { ManifestObject } from "../src/manifests/index.js";
import { ManifestError, readManifests, readRepository } from "../src/manifests/index.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/manifests/", import.meta.url));

/** Reads PATHs relative to the fixtures folder, so reported files are relative to it too. */
function read(paths: string[], stdin?: string): Promise<ManifestObject[]> {
  return readManifests(paths, {
    defaultNamespace: "fallback",
    cwd: FIXTURES,
    ...(stdin === undefined ? {} : { stdin: Readable.from([stdin]) }),
  });
}

function keys(objects: ManifestObject[]): string[] {
  return objects.map((o) => `${o.kind} ${o.namespace}/${o.name}`).sort();
}

function find(objects: ManifestObject[], key: string): ManifestObject {
  const found = objects.find((o) => `${o.kind} ${o.namespace}/${o.name}` === key);
  if (!found) throw new Error(`${key} not read; read: ${keys(objects).join(", ")}`);
  return found;
}

async function readError(paths: string[], stdin?: string): Promise<ManifestError> {
  const error: unknown = await read(paths, stdin).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ManifestError);
  return error as ManifestError;
}

describe("reading files", () => {
  it("reads the Flux objects of a multi-document file and ignores every other kind", async () => {
    const objects = await read(["multi-doc/releases.yaml"]);
    expect(keys(objects)).toEqual([
      "HelmRelease fallback/frontend",
      "HelmRelease shop/backend",
      "HelmRelease shop/redis",
      "Kustomization flux-system/infra",
    ]);
  });

  it("parses dependsOn entries, apiVersions, suspend and the line of each object", async () => {
    const objects = await read(["multi-doc/releases.yaml"]);
    const backend = find(objects, "HelmRelease shop/backend");
    expect(backend.apiVersion).toBe("helm.toolkit.fluxcd.io/v2beta1");
    expect(backend.dependsOn).toEqual([{ name: "redis" }, { name: "postgres", namespace: "databases" }]);
    expect(backend.source).toEqual({ file: "multi-doc/releases.yaml", line: 32 });
    const frontend = find(objects, "HelmRelease fallback/frontend");
    expect(frontend.suspend).toBe(true);
    expect(frontend.dependsOn).toEqual([
      { name: "backend", namespace: "shop", readyExpr: "dep.status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')" },
    ]);
    expect(find(objects, "Kustomization flux-system/infra").dependsOn).toEqual([{ name: "crds" }]);
  });

  it("reads a JSON List and a single JSON object, with status from kubectl output", async () => {
    const objects = await read(["json/list.json", "json/single.json"]);
    expect(keys(objects)).toEqual([
      "HelmRelease cache/app",
      "HelmRelease cache/redis",
      "Kustomization flux-system/apps",
    ]);
    const redis = find(objects, "HelmRelease cache/redis");
    expect(redis.generation).toBe(3);
    expect(redis.status).toEqual({
      observedGeneration: 3,
      conditions: [{ type: "Ready", status: "True", reason: "InstallSucceeded" }],
    });
    expect(redis.source).toEqual({ file: "json/list.json", line: 8 });
    expect(find(objects, "HelmRelease cache/app").dependsOn).toEqual([{ name: "redis" }]);
  });

  it("reads standard input for the PATH -", async () => {
    const text = [
      "apiVersion: helm.toolkit.fluxcd.io/v2",
      "kind: HelmRelease",
      "metadata: {name: backend}",
      "spec: {dependsOn: [{name: redis}]}",
      "---",
      "apiVersion: helm.toolkit.fluxcd.io/v2",
      "kind: HelmRelease",
      "metadata: {name: redis, namespace: data}",
    ].join("\n");
    const objects = await read(["-"], text);
    expect(keys(objects)).toEqual(["HelmRelease data/redis", "HelmRelease fallback/backend"]);
    expect(find(objects, "HelmRelease fallback/backend").source).toEqual({ file: "<stdin>", line: 3 });
  });

  it("accepts a redefined anchor: an alias takes the latest definition", async () => {
    const [web] = await read(["anchors/redefined.yaml"]);
    expect(web).toMatchObject({ name: "web", namespace: "apps", labels: { "app.kubernetes.io/name": "web" } });
    expect(web?.dependsOn).toEqual([{ name: "redis", namespace: "apps" }]);
  });

  it("keeps a non-string dependency name as text, for the graph to judge", async () => {
    const [web] = await read(["errors/depends-on-number.yaml"]);
    expect(web?.dependsOn).toEqual([{ name: "42" }]);
  });
});

describe("errors a person can act on", () => {
  it("reports malformed YAML as one line with file and line", async () => {
    const error = await readError(["errors/malformed.yaml"]);
    expect(error.file).toBe("errors/malformed.yaml");
    expect(error.line).toBe(7);
    expect(error.message).toMatch(/^errors\/malformed\.yaml:7: malformed YAML: \S/);
    expect(error.message).not.toContain("\n");
  });

  it("reports malformed YAML on standard input", async () => {
    const error = await readError(["-"], "a: [1, 2\nb: c\n");
    expect(error.message).toMatch(/^<stdin>:\d+: malformed YAML/);
  });

  it("names the missing metadata.name of a Flux object, skipping other kinds without one", async () => {
    const error = await readError(["errors/no-name.yaml"]);
    expect(error.message).toBe("errors/no-name.yaml:8: HelmRelease has no metadata.name; give it a name");
  });

  it("names the dependsOn entry that is not a {name, namespace} mapping", async () => {
    const error = await readError(["errors/depends-on-string.yaml"]);
    expect(error.message).toBe(
      'errors/depends-on-string.yaml:9: HelmRelease spec.dependsOn[1] must be a mapping {name, namespace} (write "- name: monitoring/prometheus")',
    );
    const noName = await readError(["errors/depends-on-no-name.yaml"]);
    expect(noName.message).toBe("errors/depends-on-no-name.yaml:8: Kustomization spec.dependsOn[0].name is missing");
  });

  it("reports malformed YAML met while reading a folder", async () => {
    const error = await readError(["errors"]);
    expect(error.message).toMatch(/^errors\/malformed\.yaml:7: malformed YAML: /);
  });

  it("does not parse files that cannot hold a Flux object, nor Helm chart templates", async () => {
    expect(keys(await read(["noise"]))).toEqual(["HelmRelease apps/app"]);
  });

  it("reports a PATH that does not exist", async () => {
    const error = await readError(["no/such/folder"]);
    expect(error.message).toBe("no/such/folder: no such file or folder; give a file, a folder, or - for standard input");
  });
});

describe("namespaces resolved as Flux applies a repo folder", () => {
  it("lets the outermost kustomize namespace win, then the object's own, then the default", async () => {
    const objects = await read(["kustomize-namespace"]);
    expect(keys(objects)).toEqual([
      "HelmRelease fallback/bare",
      "HelmRelease outer/api",
      "HelmRelease outer/db",
      "HelmRelease own/loose",
      "HelmRelease prefixed/team-cache-v2",
    ]);
    expect(find(objects, "HelmRelease outer/api").source).toEqual({ file: "kustomize-namespace/inner/release.yaml", line: 5 });
  });

  it("applies targetNamespace, postBuild variables and components down the Kustomization tree", async () => {
    const objects = await read(["flux-repo"]);
    expect(keys(objects)).toEqual([
      "HelmRelease web-main/frontend",
      "HelmRelease web-main/frontend-db",
      "HelmRelease web-main/frontend-worker",
      "HelmRelease web-main/redis",
      "Kustomization flux-system/apps",
      "Kustomization flux-system/flux-system",
      "Kustomization team/web",
    ]);
    // ${APP} from substitute, ${CACHE:=redis} from its default.
    expect(find(objects, "HelmRelease web-main/frontend").dependsOn).toEqual([{ name: "frontend-db" }, { name: "redis" }]);
    expect(find(objects, "HelmRelease web-main/frontend-db").source.file).toBe("flux-repo/components/db/helmrelease.yaml");
    // The patch file never becomes an object, not even as `${APP}`.
    expect(objects.some((o) => o.source.file.endsWith("patch.yaml"))).toBe(false);
  });

  it("leaves variables it cannot know (substituteFrom a Secret not in the repo) as written, and says so", async () => {
    const objects = await read(["flux-repo"]);
    const worker = find(objects, "HelmRelease web-main/frontend-worker");
    expect(worker.dependsOn).toEqual([{ name: "${QUEUE_RELEASE}" }]);
    expect(worker.unresolvedVariables).toEqual(["QUEUE_RELEASE"]);
    expect(objects.filter((o) => o.unresolvedVariables).map((o) => o.name)).toEqual(["frontend-worker"]);
  });

  it("finds a spec.path relative to another artifact by folder suffix; a folder no build names is not applied", async () => {
    const objects = await read(["suffix-match"]);
    expect(keys(objects)).toEqual([
      "HelmRelease api/api",
      "HelmRelease infra-system/cert-manager",
      "Kustomization flux-system/api",
      "Kustomization flux-system/infra-controllers",
    ]);
  });

  it("finds spec.path when the folder given is below the source's root", async () => {
    for (const folder of ["below-root", "below-root/kubernetes"]) {
      expect(keys(await read([folder]))).toEqual(["HelmRelease shop/shop", "Kustomization flux-system/apps"]);
    }
  });

  it("counts an object reached by several builds once per namespace, with each build's name prefix", async () => {
    const objects = await read(["several-builds"]);
    // unlisted.yaml is in no kustomization's resources: no build applies it.
    expect(keys(objects)).toEqual([
      "HelmRelease extras/redis",
      "HelmRelease podinfo/podinfo",
      "HelmRelease team-a/podinfo",
      "HelmRelease team-a/redis",
      "HelmRelease team-p/pre-podinfo-post",
      "HelmRelease team-p/pre-redis-post",
      "Kustomization flux-system/deploy-a",
      "Kustomization flux-system/deploy-a-again",
      "Kustomization flux-system/deploy-own",
      "Kustomization flux-system/deploy-prefixed",
    ]);
  });

  it("reads each cluster folder as its own cluster, the same names in both", async () => {
    const { clusters } = await readRepository(["per-cluster"], { defaultNamespace: "fallback", cwd: FIXTURES });
    expect(clusters.map((cluster) => [cluster.name, keys(cluster.objects)])).toEqual([
      ["clusters/production", ["Kustomization flux-system/infra-configs", "Kustomization flux-system/infra-controllers"]],
      ["clusters/staging", ["Kustomization flux-system/infra-configs", "Kustomization flux-system/infra-controllers"]],
    ]);
    expect(clusters[1]?.objects.map((o) => o.source.file)).toEqual([
      "per-cluster/clusters/staging/infrastructure.yaml",
      "per-cluster/clusters/staging/infrastructure.yaml",
    ]);
  });

  it("reports the same object defined twice in one cluster, naming both places, in any PATH order", async () => {
    const a = await readRepository(["multi-doc", "json"], { defaultNamespace: "fallback", cwd: FIXTURES });
    const b = await readRepository(["json", "multi-doc"], { defaultNamespace: "fallback", cwd: FIXTURES });
    expect(a.clusters.map((c) => c.problems)).toEqual(b.clusters.map((c) => c.problems));
    expect(keys(a.clusters[0]!.objects)).toEqual(keys(b.clusters[0]!.objects));
  });

  it("takes a file PATH as written, without the repo around it", async () => {
    const objects = await read(["flux-repo/apps/web/app/helmrelease.yaml"]);
    expect(keys(objects)).toEqual(["HelmRelease overridden-by-target-namespace/${APP}"]);
  });
});
