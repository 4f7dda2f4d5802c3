// End to end through the sandbox: releasegate's gate and the simulated Flux (its own rules, written from
// helm-controller's and the Flux Operator's checkDependencies) must agree on every dependency
// (docs/behaviour.md, "Gate states"): a readyExpr over whole objects (spec.values), Flux's feature gate
// AdditiveCELDependencyCheck on and off, and a ResourceSet waiting on a ConfigMap's data.gate, on a
// CustomResourceDefinition, and on a Secret in another namespace whose data the operator hides.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandboxEnvironment } from "../src/cli/sandbox.js";
import type { SandboxEnvironment } from "../src/cli/sandbox.js";
import { setFluxFeatureGates, DEFAULT_FLUX_FEATURE_GATES } from "../src/graph/feature-gates.js";
import type { FluxKind } from "../src/graph/types.js";
import { runWhy } from "../src/cli/why.js";
import { eventually } from "./helpers/eventually.js";
import { FluxClient } from "./helpers/flux-client.js";
import { findSamples, scrape } from "./helpers/metrics-text.js";
import { quietLogger } from "./helpers/quiet-logger.js";

const HR = { group: "helm.toolkit.fluxcd.io", version: "v2", plural: "helmreleases" };
const RS = { group: "fluxcd.controlplane.io", version: "v1", plural: "resourcesets" };

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
interface View {
  metadata: { generation?: number };
  status?: { observedGeneration?: number; conditions?: Condition[] };
}

function release(name: string, values: object, dependsOn: object[] = [], annotations: Record<string, string> = {}) {
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name, namespace: "default", annotations },
    spec: {
      interval: "10m",
      chart: { spec: { chart: name, sourceRef: { kind: "HelmRepository", name: "charts", namespace: "flux-system" } } },
      values,
      dependsOn,
    },
  };
}

function resourceSet(name: string, dependsOn: object[]) {
  return {
    apiVersion: "fluxcd.controlplane.io/v1",
    kind: "ResourceSet",
    metadata: { name, namespace: "default" },
    spec: { dependsOn, resources: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${name}-out`, namespace: "default" } }] },
  };
}

/** What the simulated controller says of an object: Ready, or its Ready reason and message. */
function fluxSays(view: View): { ready: true } | { ready: false; reason?: string; message?: string } {
  const ready = view.status?.conditions?.find((c) => c.type === "Ready");
  if (ready?.status === "True" && view.status?.observedGeneration === view.metadata.generation) return { ready: true };
  return { ready: false, ...(ready?.reason !== undefined ? { reason: ready.reason } : {}), ...(ready?.message !== undefined ? { message: ready.message } : {}) };
}

function environment(options: { additive?: boolean } = {}) {
  let env: SandboxEnvironment;
  let custom: CustomObjectsApi;
  const handle = {
    get env() {
      return env;
    },
    get custom() {
      return custom;
    },
    async start(seed: unknown[]) {
      env = await startSandboxEnvironment({
        logger: quietLogger(),
        seed,
        installDelayMs: 30,
        requeueDependencyMs: 300,
        resourceSetRequeueMs: 300,
        additiveCelDependencyCheck: options.additive === true,
        serve: { externalKinds: true, fluxFeatureGates: { additiveCelDependencyCheck: options.additive === true } },
      });
      custom = env.sandbox.kubeConfig().makeApiClient(CustomObjectsApi);
    },
    async view(kind: "HelmRelease" | "ResourceSet", name: string): Promise<View> {
      const type = kind === "HelmRelease" ? HR : RS;
      return (await custom.getNamespacedCustomObject({ ...type, namespace: "default", name })) as View;
    },
    gate(kind: FluxKind, name: string) {
      return env.serve.controller.state(kind, `default/${name}`);
    },
  };
  return handle;
}

describe("HelmRelease readyExpr over whole objects: releasegate and helm-controller agree", () => {
  const h = environment();
  beforeAll(async () => {
    await h.start([
      release("redis", { version: "7.2", big: "x".repeat(20_000) }),
      release("same", { version: "7.2" }, [{ name: "redis", readyExpr: "self.spec.values.version == dep.spec.values.version" }]),
      release("different", { version: "7.4" }, [{ name: "redis", readyExpr: "self.spec.values.version == dep.spec.values.version" }]),
      release("bad", { version: "7.2" }, [{ name: "redis", readyExpr: "dep.spec.values.version" }]),
    ]);
  });
  afterAll(async () => {
    await h.env?.close();
    setFluxFeatureGates(DEFAULT_FLUX_FEATURE_GATES);
  });

  it("opens the dependent whose spec.values.version equals the dependency's; Flux reconciles it", async () => {
    await eventually(async () => fluxSays(await h.view("HelmRelease", "same")).ready, { what: "helm-controller reconciled 'same'" });
    await eventually(() => h.gate("HelmRelease", "same")?.state === "open", { what: "the gate of 'same' open" });
  });

  it("blocks the one whose version differs, with helm-controller's reason, and so does Flux", async () => {
    await eventually(async () => fluxSays(await h.view("HelmRelease", "different")).ready === false && (await h.view("HelmRelease", "different")).status?.conditions?.some((c) => c.reason === "DependencyNotReady") === true, {
      what: "helm-controller holding 'different'",
    });
    expect(fluxSays(await h.view("HelmRelease", "different"))).toEqual({ ready: false, reason: "DependencyNotReady", message: "dependency 'default/redis' is not ready according to readyExpr eval" });
    await eventually(() => h.gate("HelmRelease", "different")?.state === "blocked", { what: "the gate of 'different' blocked" });
    expect(h.gate("HelmRelease", "different")).toMatchObject({ reason: "NotReady", rootCause: "HelmRelease/default/redis", rootCauseMessage: "not ready according to readyExpr" });
    const blocked = findSamples(await scrape(h.env.serve.metricsPort), "releasegate_release_blocked", { kind: "HelmRelease", name: "different" });
    expect(blocked[0]?.labels).toMatchObject({ reason: "NotReady", root_cause: "default/redis" });
    const event = await eventually(async () => (await new FluxClient(h.env.sandbox.kubeConfig()).eventsFor("different")).find((e) => e.reason === "DependencyBlocked"), { what: "the DependencyBlocked Event" });
    expect(event.note).toBe("blocked by default/redis: not ready according to readyExpr");
    // `why` reads the cluster as serve does, keeping the values the expression reads, and says the same.
    const dir = await mkdtemp(join(tmpdir(), "rg-why-"));
    const kubeconfig = join(dir, "kubeconfig");
    await h.env.sandbox.writeKubeconfig(kubeconfig);
    let out = "";
    const code = await runWhy(["--kubeconfig", kubeconfig, "HelmRelease/default/different"], { stdout: (t) => (out += t), stderr: (t) => (out += t), stdin: process.stdin });
    await rm(dir, { recursive: true, force: true });
    expect(code).toBe(1);
    expect(out).toContain("not ready according to readyExpr");
  });

  it("an expression typed dyn is a compile error for both: the dependent is Stalled, its own root cause", async () => {
    await eventually(async () => (await h.view("HelmRelease", "bad")).status?.conditions?.some((c) => c.type === "Stalled" && c.reason === "InvalidCELExpression") === true, {
      what: "helm-controller stalled 'bad'",
    });
    await eventually(() => h.gate("HelmRelease", "bad")?.state === "blocked", { what: "the gate of 'bad'" });
    expect(h.gate("HelmRelease", "bad")).toMatchObject({
      reason: "Failed",
      rootCause: "HelmRelease/default/bad",
      rootCauseMessage: "dependsOn[0].readyExpr does not compile: CEL expression output type mismatch: expected bool, got dyn: fix the CEL expression",
    });
  });

  it("follows a change of spec.values: the gate opens when the versions come to agree, and Flux reconciles", async () => {
    await h.custom.patchNamespacedCustomObject({ ...HR, namespace: "default", name: "different", body: { spec: { values: { version: "7.2" } } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
    await eventually(() => h.gate("HelmRelease", "different")?.state === "open", { what: "the gate of 'different' open" });
    await eventually(async () => fluxSays(await h.view("HelmRelease", "different")).ready, { what: "helm-controller reconciled 'different'" });
  });
});

describe("AdditiveCELDependencyCheck: with it, readyExpr adds to the built-in check", () => {
  for (const additive of [false, true]) {
    describe(additive ? "gate on" : "gate off", () => {
      const h = environment({ additive });
      beforeAll(async () => {
        // redis fails to install: the built-in check says no; the expression (its name) says yes.
        await h.start([
          release("redis", { version: "1" }, [], { "sandbox.releasegate.io/simulate": "install-failure" }),
          release("app", { version: "1" }, [{ name: "redis", readyExpr: "dep.metadata.name == 'redis'" }]),
        ]);
      });
      afterAll(async () => {
        await h.env?.close();
        setFluxFeatureGates(DEFAULT_FLUX_FEATURE_GATES);
      });

      it(additive ? "holds the dependent (releasegate blocked, helm-controller waiting)" : "lets the dependent go (releasegate open, helm-controller reconciles)", async () => {
        await eventually(async () => (await h.view("HelmRelease", "redis")).status?.conditions?.some((c) => c.reason === "InstallFailed") === true, { what: "redis failed" });
        if (additive) {
          await eventually(async () => (await h.view("HelmRelease", "app")).status?.conditions?.some((c) => c.reason === "DependencyNotReady") === true, { what: "app waiting" });
          expect(fluxSays(await h.view("HelmRelease", "app"))).toMatchObject({ ready: false, message: "dependency 'default/redis' is not ready" });
          await eventually(() => h.gate("HelmRelease", "app")?.state === "blocked", { what: "app's gate blocked" });
          expect(h.gate("HelmRelease", "app")).toMatchObject({ reason: "Failed", rootCause: "HelmRelease/default/redis" });
        } else {
          await eventually(async () => fluxSays(await h.view("HelmRelease", "app")).ready, { what: "app reconciled" });
          expect(h.gate("HelmRelease", "app")).toEqual({ state: "open" });
        }
      });
    });
  }
});

describe("ResourceSet dependencies on other kinds: releasegate and the Flux Operator agree", () => {
  const h = environment();
  let core: CoreV1Api;
  beforeAll(async () => {
    await h.start([
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "gates" } },
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "vault" } },
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "switch", namespace: "gates" }, data: { gate: "closed" } },
      { apiVersion: "v1", kind: "Secret", metadata: { name: "token", namespace: "vault" }, data: { token: "c2VjcmV0" } },
    ]);
    core = h.env.sandbox.kubeConfig().makeApiClient(CoreV1Api);
  });
  afterAll(async () => {
    await h.env?.close();
  });

  it("waits on a ConfigMap's data.gate, and opens when it says open", async () => {
    await h.custom.createNamespacedCustomObject({
      ...RS,
      namespace: "default",
      body: resourceSet("switched", [{ apiVersion: "v1", kind: "ConfigMap", name: "switch", namespace: "gates", ready: true, readyExpr: "data.gate == 'open'" }]),
    });
    await eventually(async () => fluxSays(await h.view("ResourceSet", "switched")).ready === false && (await h.view("ResourceSet", "switched")).status?.conditions?.some((c) => c.reason === "DependencyNotReady") === true, {
      what: "the operator waiting",
    });
    expect(fluxSays(await h.view("ResourceSet", "switched"))).toMatchObject({ message: "Retrying dependency check: dependency v1/ConfigMap/gates/switch not ready: expression 'data.gate == 'open''" });
    await eventually(() => h.gate("ResourceSet", "switched")?.state === "blocked" && h.gate("ResourceSet", "switched")?.state === "blocked", { what: "the gate blocked" });
    expect(h.gate("ResourceSet", "switched")).toMatchObject({ reason: "NotReady", rootCause: "ConfigMap/gates/switch", rootCauseMessage: "not ready according to readyExpr" });
    await core.patchNamespacedConfigMap({ namespace: "gates", name: "switch", body: { data: { gate: "open" } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
    await eventually(() => h.gate("ResourceSet", "switched")?.state === "open", { what: "the gate open" });
    await eventually(async () => fluxSays(await h.view("ResourceSet", "switched")).ready, { what: "the operator reconciled it" });
  });

  it("depends on a CustomResourceDefinition (cluster-scoped, no namespace): open for both at once", async () => {
    await h.custom.createNamespacedCustomObject({
      ...RS,
      namespace: "default",
      body: resourceSet("needs-crd", [{ apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", name: "helmreleases.helm.toolkit.fluxcd.io", ready: true }]),
    });
    await eventually(async () => fluxSays(await h.view("ResourceSet", "needs-crd")).ready, { what: "the operator reconciled it" });
    await eventually(() => h.gate("ResourceSet", "needs-crd")?.state === "open", { what: "the gate open" });
    // A CRD that does not exist: the webhook denies it, naming it without a namespace.
    const denied = await h.custom
      .createNamespacedCustomObject({
        ...RS,
        namespace: "default",
        body: resourceSet("needs-widgets", [{ apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", name: "widgets.example.io" }]),
      })
      .then(() => "allowed", (error: unknown) => String((error as { body?: unknown }).body ?? error));
    expect(denied).toContain("CustomResourceDefinition widgets.example.io does not exist");
    expect(denied).not.toContain("/widgets.example.io");
  });

  it("does not let a ResourceSet read a Secret's data in another namespace (the operator hides it); in its own it may", async () => {
    const expr = "has(data.token)";
    await h.custom.createNamespacedCustomObject({
      ...RS,
      namespace: "default",
      body: resourceSet("elsewhere", [{ apiVersion: "v1", kind: "Secret", name: "token", namespace: "vault", ready: true, readyExpr: expr }]),
    });
    await eventually(async () => (await h.view("ResourceSet", "elsewhere")).status?.conditions?.some((c) => c.reason === "DependencyNotReady") === true, { what: "the operator waiting" });
    await eventually(() => h.gate("ResourceSet", "elsewhere")?.state === "blocked", { what: "the gate blocked" });
    expect(h.gate("ResourceSet", "elsewhere")).toMatchObject({ reason: "NotReady", rootCause: "Secret/vault/token", rootCauseMessage: "not ready according to readyExpr" });
    await h.custom.createNamespacedCustomObject({
      ...RS,
      namespace: "vault",
      body: { ...resourceSet("inside", [{ apiVersion: "v1", kind: "Secret", name: "token", namespace: "vault", ready: true, readyExpr: expr }]), metadata: { name: "inside", namespace: "vault" } },
    });
    await eventually(() => h.env.serve.controller.state("ResourceSet", "vault/inside")?.state === "open", { what: "the gate of vault/inside open" });
    await eventually(async () => fluxSays((await h.custom.getNamespacedCustomObject({ ...RS, namespace: "vault", name: "inside" })) as View).ready, { what: "the operator reconciled vault/inside" });
  });
});
