// The webhook's ResourceSet rules end to end: `serve` against the sandbox (its caches, its graph, its
// consistent reads), the real kubectl applying ResourceSets and printing the denials as it would from a
// real cluster, and client-node for the rest. A cycle through ResourceSets is denied with every
// member's kind; a ResourceSet depending on a HelmRelease it generates itself is denied; a missing
// Deployment (a kind releasegate does not cache) is denied after one read, and allowed once it exists;
// entries naming a kind the cluster does not serve, or a bad name, are denied; a valid ResourceSet is
// admitted; deleting a HelmRelease a ResourceSet depends on warns, naming the ResourceSet.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CustomObjectsApi } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandboxEnvironment } from "../src/cli/sandbox.js";
import type { SandboxEnvironment } from "../src/cli/sandbox.js";
import { helmRelease } from "./helpers/flux-client.js";
import { quietLogger } from "./helpers/quiet-logger.js";
import { bundledKubectl, runTool } from "./helpers/tools.js";

const NS = "apps";
const RSET = { group: "fluxcd.controlplane.io", version: "v1", plural: "resourcesets" };

interface Entry {
  apiVersion?: string;
  kind?: string;
  name: string;
  namespace?: string;
  ready?: boolean;
  readyExpr?: string;
}

function resourceSet(name: string, dependsOn: Entry[], resources: unknown[] = []) {
  return { apiVersion: "fluxcd.controlplane.io/v1", kind: "ResourceSet", metadata: { name, namespace: NS }, spec: { dependsOn, resources } };
}

const rset = (name: string): Entry => ({ apiVersion: "fluxcd.controlplane.io/v1", kind: "ResourceSet", name, namespace: NS });
const release = (name: string, extra: Partial<Entry> = {}): Entry => ({ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name, namespace: NS, ...extra });

/** A HelmRelease as a ResourceSet's template writes it. */
function generatedRelease(name: string) {
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name, namespace: NS },
    spec: { interval: "10m", chart: { spec: { chart: name, sourceRef: { kind: "HelmRepository", name: "charts" } } } },
  };
}

describe("ResourceSet admission through serve", () => {
  let env: SandboxEnvironment;
  let work: string;
  let kubeconfig: string;
  let api: CustomObjectsApi;

  beforeAll(async () => {
    env = await startSandboxEnvironment({
      logger: quietLogger(),
      simulateFlux: false,
      seed: [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } },
        helmRelease("redis", [], { namespace: NS }),
        helmRelease("api", ["cache"], { namespace: NS }),
        // Made while the webhook was off: b waits for a, which does not exist yet.
        resourceSet("b", [rset("a")]),
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: NS }, data: {} },
        { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "viewer" }, rules: [] },
      ],
    });
    work = mkdtempSync(join(tmpdir(), "rset-admission-"));
    kubeconfig = join(work, "kubeconfig");
    await env.sandbox.writeKubeconfig(kubeconfig);
    api = env.sandbox.kubeConfig().makeApiClient(CustomObjectsApi);
  });
  afterAll(async () => {
    await env?.close();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  const kubectl = (args: string[]) => runTool(bundledKubectl(), ["--kubeconfig", kubeconfig, ...args], { env: { HOME: work } });
  const apply = async (name: string, object: unknown) => {
    const file = join(work, `${name}.json`);
    writeFileSync(file, JSON.stringify(object));
    return kubectl(["apply", "-f", file]);
  };
  const create = (object: ReturnType<typeof resourceSet>) => api.createNamespacedCustomObject({ ...RSET, namespace: NS, body: object });
  /** The webhook's message for a denied create through client-node (the API server's 403 Status). */
  const denial = async (object: ReturnType<typeof resourceSet>): Promise<string> => {
    try {
      await create(object);
    } catch (error) {
      const body = (error as { body?: unknown }).body;
      const status = (typeof body === "string" ? JSON.parse(body) : body) as { code?: number; message?: string };
      expect(status.code).toBe(403);
      return status.message ?? "";
    }
    throw new Error("created, but a denial was expected");
  };

  it("denies a cycle through ResourceSets, printing the whole path with each member's kind", async () => {
    const result = await apply("a", resourceSet("a", [rset("b")]));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'admission webhook "dependencies.releasegate.io" denied the request: dependency cycle ResourceSet apps/a → ResourceSet apps/b → ResourceSet apps/a: remove one of these dependsOn entries',
    );
    console.log(`kubectl apply -f a.json (a cycle through ResourceSets):\n${result.stderr}`);
  });

  it("denies a ResourceSet that depends on a HelmRelease it generates itself", async () => {
    const result = await apply("platform", resourceSet("platform", [release("cache")], [generatedRelease("cache")]));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "denied the request: ResourceSet apps/platform depends on HelmRelease apps/cache, which it generates itself, so it would wait for its own output for ever: remove that dependsOn entry, or generate HelmRelease apps/cache elsewhere",
    );
    expect(result.stderr).not.toContain("HelmRelease apps/cache does not exist");
    console.log(`kubectl apply -f platform.json (waits for its own output):\n${result.stderr}`);
  });

  it("denies one that waits for its own output through another object", async () => {
    // api (exists) depends on cache, which this ResourceSet would generate.
    const message = await denial(resourceSet("platform", [release("api")], [generatedRelease("cache")]));
    expect(message).toContain(
      "ResourceSet apps/platform waits for its own output: ResourceSet apps/platform → HelmRelease apps/api → HelmRelease apps/cache, which it generates itself: remove one of these dependsOn entries",
    );
  });

  it("denies a missing Deployment after reading it from the API server, and admits it once the Deployment exists", async () => {
    const web = resourceSet("web", [{ apiVersion: "apps/v1", kind: "Deployment", name: "web-db", namespace: NS }]);
    const result = await apply("web", web);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("denied the request: Deployment apps/web-db does not exist: create it first or fix the dependsOn entry");
    console.log(`kubectl apply -f web.json (a missing Deployment):\n${result.stderr}`);

    // releasegate caches no Deployments: only the consistent read can find this one.
    await env.sandbox
      .kubeConfig()
      .makeApiClient(CustomObjectsApi)
      .createNamespacedCustomObject({
        group: "apps",
        version: "v1",
        plural: "deployments",
        namespace: NS,
        body: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web-db", namespace: NS }, spec: { selector: { matchLabels: { app: "db" } } } },
      });
    const again = await apply("web", web);
    expect(again.stderr).toBe("");
    expect(again.stdout).toBe("resourceset.fluxcd.controlplane.io/web created\n");
  });

  it("denies entries that cannot name an object the cluster serves", async () => {
    const unserved = await apply("typo", resourceSet("typo", [{ apiVersion: "apps/v1", kind: "Deploymnet", name: "web-db" }]));
    expect(unserved.code).toBe(1);
    expect(unserved.stderr).toContain(
      "denied the request: dependsOn[0] names Deploymnet at apps/v1, which the cluster does not serve, so the Flux Operator would wait for it for ever: fix the apiVersion or kind, or install the CRD that serves it first",
    );
    console.log(`kubectl apply -f typo.json (an unserved kind):\n${unserved.stderr}`);

    const fluxVersion = await denial(resourceSet("old", [{ apiVersion: "helm.toolkit.fluxcd.io/v1", kind: "HelmRelease", name: "redis" }]));
    expect(fluxVersion).toContain("dependsOn[0] names HelmRelease at helm.toolkit.fluxcd.io/v1, which the cluster does not serve");
    expect(fluxVersion).toContain("use helm.toolkit.fluxcd.io/v2, helm.toolkit.fluxcd.io/v2beta2 or helm.toolkit.fluxcd.io/v2beta1");

    const badVersion = await denial(resourceSet("bad", [{ apiVersion: "apps/v1/extra", kind: "Deployment", name: "web-db" }, release("apps/redis", { namespace: undefined })]));
    expect(badVersion).toContain('dependsOn[0].apiVersion "apps/v1/extra" is not an API version');
    expect(badVersion).toContain('dependsOn[1].name "apps/redis" is not a valid object name: use {name: redis, namespace: apps}');
  });

  it("admits a valid ResourceSet: an existing HelmRelease (ready: true), a ConfigMap and a cluster-scoped ClusterRole without namespace", async () => {
    const result = await apply(
      "valid",
      resourceSet("valid", [release("redis", { ready: true }), { apiVersion: "v1", kind: "ConfigMap", name: "settings", namespace: NS }, { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", name: "viewer" }]),
    );
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe("resourceset.fluxcd.controlplane.io/valid created\n");
  });

  it("admits what a new user tries first: a readyExpr over a ConfigMap's data, and a dependency on a CRD", async () => {
    const result = await apply(
      "switched",
      resourceSet("switched", [
        { apiVersion: "v1", kind: "ConfigMap", name: "settings", namespace: NS, ready: true, readyExpr: "data.gate == 'open'" },
        { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", name: "helmreleases.helm.toolkit.fluxcd.io", ready: true },
      ]),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
  });

  it("denies an entry of a namespaced kind without a namespace: the Flux Operator looks it up verbatim", async () => {
    const result = await apply("bare", resourceSet("bare", [{ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "redis" }]));
    expect(result.stderr).toContain("denied the request: dependsOn[0]: HelmRelease dependencies need a namespace: the Flux Operator looks it up verbatim (add namespace: apps)");
  });

  it("warns when a HelmRelease a ResourceSet depends on is deleted, naming the ResourceSet", async () => {
    const result = await kubectl(["delete", "helmrelease", "redis", "-n", NS, "--wait=false"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("Warning: ResourceSet apps/valid depends on apps/redis and will be blocked");
  });
});
