// The simulated Flux against the sandbox API, as a user of `releasegate sandbox` sees it through the API:
// kustomize-controller's dependency and source-revision rules, requested reconciles handled at once,
// and the Flux Operator's ResourceSet dependency check (existence, kstatus, readyExpr; re-checked on its
// short requeue). No releasegate runs here: this is the oracle alone.
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox } from "../src/sandbox/sandbox.js";
import type { Sandbox } from "../src/sandbox/sandbox.js";
import { SimulatedFlux } from "../src/sandbox/simulated-flux.js";
import { eventually } from "./helpers/eventually.js";

const KS = { group: "kustomize.toolkit.fluxcd.io", version: "v1", plural: "kustomizations" };
const GIT = { group: "source.toolkit.fluxcd.io", version: "v1", plural: "gitrepositories" };
const RSET = { group: "fluxcd.controlplane.io", version: "v1", plural: "resourcesets" };
const HR = { group: "helm.toolkit.fluxcd.io", version: "v2", plural: "helmreleases" };

interface Obj {
  metadata: { annotations?: Record<string, string> };
  status?: { conditions?: Array<{ type: string; status: string; reason: string; message: string }>; lastAppliedRevision?: string; lastHandledReconcileAt?: string };
}

function kustomization(name: string, dependsOn: string[], suspend = false) {
  return {
    apiVersion: "kustomize.toolkit.fluxcd.io/v1",
    kind: "Kustomization",
    metadata: { name, namespace: "flux-system" },
    spec: { interval: "10m", prune: true, path: `./${name}`, suspend, sourceRef: { kind: "GitRepository", name: "flux-system" }, dependsOn: dependsOn.map((d) => ({ name: d })) },
  };
}

describe("the simulated Flux", () => {
  let sandbox: Sandbox;
  let flux: SimulatedFlux;
  let custom: CustomObjectsApi;

  const ready = (o: Obj | undefined) => o?.status?.conditions?.find((c) => c.type === "Ready");
  const get = async (type: typeof KS, name: string, namespace = "flux-system") => (await custom.getNamespacedCustomObject({ ...type, namespace, name })) as Obj;
  const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

  beforeAll(async () => {
    sandbox = await startSandbox({
      seed: [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: "flux-system" } },
        {
          apiVersion: "source.toolkit.fluxcd.io/v1",
          kind: "GitRepository",
          metadata: { name: "flux-system", namespace: "flux-system" },
          spec: { interval: "1m", url: "https://example.com/repo.git" },
          status: { artifact: { revision: "main@sha1:1111111" } },
        },
        kustomization("infra", []),
        kustomization("apps", ["infra"]),
        // Suspended after applying an older revision: Ready at its generation, but behind the source.
        {
          ...kustomization("base", [], true),
          status: {
            observedGeneration: 1,
            lastAppliedRevision: "main@sha1:0000000",
            conditions: [{ type: "Ready", status: "True", reason: "ReconciliationSucceeded", message: "Applied revision: main@sha1:0000000", lastTransitionTime: "2026-01-01T00:00:00Z" }],
          },
        },
        kustomization("web", ["base"]),
      ],
    });
    custom = sandbox.kubeConfig().makeApiClient(CustomObjectsApi);
    // Flux's own polls far beyond this test: every change seen here comes from a trigger.
    flux = new SimulatedFlux(sandbox.kubeConfig(), { installDelayMs: 30, requeueDependencyMs: 600_000, resourceSetRequeueMs: 200 });
    await flux.start();
  });
  afterAll(async () => {
    await flux?.stop();
    await sandbox?.close();
  });

  it("applies a Kustomization's source revision, and holds its dependent with Flux's message until asked again", async () => {
    const infra = await eventually(async () => {
      const o = await get(KS, "infra");
      return ready(o)?.status === "True" ? o : undefined;
    });
    expect(infra.status?.lastAppliedRevision).toBe("main@sha1:1111111");
    expect(ready(infra)).toMatchObject({ reason: "ReconciliationSucceeded", message: "Applied revision: main@sha1:1111111" });
    const apps = await eventually(async () => ready(await get(KS, "apps")));
    expect(apps).toMatchObject({ status: "False", reason: "DependencyNotReady", message: "dependency 'flux-system/infra' is not ready" });

    const requestedAt = new Date().toISOString();
    await custom.patchNamespacedCustomObject({ ...KS, namespace: "flux-system", name: "apps", body: { metadata: { annotations: { "reconcile.fluxcd.io/requestedAt": requestedAt } } } }, mergePatch);
    const after = await eventually(async () => {
      const o = await get(KS, "apps");
      return ready(o)?.status === "True" ? o : undefined;
    });
    expect(after.status?.lastHandledReconcileAt).toBe(requestedAt);
  });

  it("holds a same-source dependent on a suspended dependency that has not applied the source's revision", async () => {
    const held = await eventually(async () => ready(await get(KS, "web")));
    expect(held).toMatchObject({ status: "False", reason: "DependencyNotReady", message: "dependency 'flux-system/base' revision is not up to date" });
  });

  it("re-applies a Kustomization when its source's artifact revision changes (kustomize-controller watches sources)", async () => {
    await custom.patchNamespacedCustomObjectStatus(
      { ...GIT, namespace: "flux-system", name: "flux-system", body: { status: { artifact: { revision: "main@sha1:2222222" } } } },
      mergePatch,
    );
    await eventually(async () => (await get(KS, "infra")).status?.lastAppliedRevision === "main@sha1:2222222", { what: "infra at the new revision" });
    expect((await get(KS, "base")).status?.lastAppliedRevision).toBe("main@sha1:0000000");
  });

  it("plays the Flux Operator for a ResourceSet: existence, then kstatus readiness, re-checked every requeue", async () => {
    await custom.createNamespacedCustomObject({
      ...RSET,
      namespace: "default",
      body: {
        apiVersion: "fluxcd.controlplane.io/v1",
        kind: "ResourceSet",
        metadata: { name: "apps", namespace: "default" },
        spec: {
          dependsOn: [
            { apiVersion: "v1", kind: "ConfigMap", name: "settings", namespace: "default" },
            { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "redis", namespace: "default", ready: true, readyExpr: "status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')" },
          ],
          resources: [],
        },
      },
    });
    const missing = await eventually(async () => ready(await get(RSET, "apps", "default")));
    expect(missing).toMatchObject({ status: "False", reason: "DependencyNotReady", message: "Retrying dependency check: dependency v1/ConfigMap/default/settings not found" });

    await sandbox.kubeConfig().makeApiClient(CoreV1Api).createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "settings" }, data: { a: "b" } } });
    const notReady = await eventually(async () => {
      const c = ready(await get(RSET, "apps", "default"));
      return c?.message.includes("HelmRelease") ? c : undefined;
    });
    expect(notReady.message).toBe("Retrying dependency check: dependency helm.toolkit.fluxcd.io/v2/HelmRelease/default/redis not found");

    await custom.createNamespacedCustomObject({
      ...HR,
      namespace: "default",
      body: { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", metadata: { name: "redis", namespace: "default" }, spec: { interval: "1m", chart: { spec: { chart: "redis", sourceRef: { kind: "HelmRepository", name: "r" } } } } },
    });
    const done = await eventually(async () => {
      const c = ready(await get(RSET, "apps", "default"));
      return c?.status === "True" ? c : undefined;
    });
    expect(done.reason).toBe("ReconciliationSucceeded");
  });
});
