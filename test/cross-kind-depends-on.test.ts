// End to end through the sandbox and the real kubectl: the Flux RFC "Advanced Dependency Management"
// (fluxcd/flux2 PR 5988) lets a HelmRelease's or Kustomization's dependsOn entry name any kind
// (`apiVersion`, `kind`, `ready` defaulting to true, kstatus for other kinds), where the served CRD declares
// those fields (docs/behaviour.md, "Gate states"). With a sandbox serving such a schema, releasegate's gate,
// `why`, the gate metric and the Event agree with the simulated helm-controller (its own code for the RFC);
// with today's schema the same entries keep today's meaning; a cycle across kinds is denied by kubectl apply.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppsV1Api, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandboxEnvironment } from "../src/cli/sandbox.js";
import type { SandboxEnvironment } from "../src/cli/sandbox.js";
import { runWhy } from "../src/cli/why.js";
import { setCrossKindDependsOn } from "../src/flux/cross-kind.js";
import type { FluxKind } from "../src/graph/types.js";
import { eventually } from "./helpers/eventually.js";
import { FluxClient } from "./helpers/flux-client.js";
import { findSamples, scrape } from "./helpers/metrics-text.js";
import { quietLogger } from "./helpers/quiet-logger.js";
import { bundledKubectl, runTool } from "./helpers/tools.js";

const HR = { group: "helm.toolkit.fluxcd.io", version: "v2", plural: "helmreleases" };
const KS = { group: "kustomize.toolkit.fluxcd.io", version: "v1", plural: "kustomizations" };

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

function release(name: string, dependsOn: object[] = []) {
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name, namespace: "default" },
    spec: { interval: "10m", chart: { spec: { chart: name, sourceRef: { kind: "HelmRepository", name: "charts", namespace: "flux-system" } } }, dependsOn },
  };
}

function kustomization(name: string, dependsOn: object[] = []) {
  return {
    apiVersion: "kustomize.toolkit.fluxcd.io/v1",
    kind: "Kustomization",
    metadata: { name, namespace: "default" },
    spec: { interval: "10m", prune: true, path: "./", sourceRef: { kind: "GitRepository", name: "repo", namespace: "flux-system" }, dependsOn },
  };
}

const SEED = [
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "gates" } },
  { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "switch", namespace: "gates" }, data: { gate: "closed" } },
  { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "default" }, spec: { replicas: 1, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "web:1" }] } } } },
  release("cm-exists", [{ apiVersion: "v1", kind: "ConfigMap", name: "switch", namespace: "gates" }]),
  release("cm-gate", [{ apiVersion: "v1", kind: "ConfigMap", name: "switch", namespace: "gates", readyExpr: "dep.data.gate == 'open'" }]),
  release("on-web", [{ apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: "default" }]),
  release("web-exists", [{ apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: "default", ready: false }]),
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "flux-system" } },
  {
    apiVersion: "source.toolkit.fluxcd.io/v1",
    kind: "GitRepository",
    metadata: { name: "repo", namespace: "flux-system" },
    spec: { interval: "1m", url: "https://example.com/repo.git" },
    status: { artifact: { revision: "main@sha1:1111111" } },
  },
  { ...release("db"), metadata: { name: "db", namespace: "default", annotations: { "sandbox.releasegate.io/simulate": "install-failure" } } },
  kustomization("after-db", [{ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "db", namespace: "default" }]),
  kustomization("after-cm", [{ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "cm-exists", namespace: "default" }]),
];

/** What the simulated controller says of an object: Ready, or its Ready reason and message. */
function fluxSays(view: View): { ready: true } | { ready: false; reason?: string; message?: string } {
  const ready = view.status?.conditions?.find((c) => c.type === "Ready");
  if (ready?.status === "True" && view.status?.observedGeneration === view.metadata.generation) return { ready: true };
  return { ready: false, ...(ready?.reason !== undefined ? { reason: ready.reason } : {}), ...(ready?.message !== undefined ? { message: ready.message } : {}) };
}

function environment(crossKind: boolean) {
  let env: SandboxEnvironment;
  let custom: CustomObjectsApi;
  return {
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
        fluxCrdCrossKind: crossKind,
        installDelayMs: 30,
        requeueDependencyMs: 300,
        resourceSetRequeueMs: 300,
        serve: { externalKinds: true },
      });
      custom = env.sandbox.kubeConfig().makeApiClient(CustomObjectsApi);
    },
    async view(name: string): Promise<View> {
      return (await custom.getNamespacedCustomObject({ ...HR, namespace: "default", name })) as View;
    },
    gate(kind: FluxKind, name: string) {
      return env.serve.controller.state(kind, `default/${name}`);
    },
    async why(target: string): Promise<{ code: number; out: string }> {
      const dir = await mkdtemp(join(tmpdir(), "rg-why-"));
      const kubeconfig = join(dir, "kubeconfig");
      await env.sandbox.writeKubeconfig(kubeconfig);
      let out = "";
      try {
        const code = await runWhy(["--kubeconfig", kubeconfig, target], { stdout: (t) => (out += t), stderr: (t) => (out += t), stdin: process.stdin });
        return { code, out };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

describe("a served schema with the RFC's fields: releasegate and the simulated helm-controller agree", () => {
  const h = environment(true);
  beforeAll(async () => {
    await h.start(SEED);
  });
  afterAll(async () => {
    await h.env?.close();
    setCrossKindDependsOn([]);
  });

  it("a ConfigMap dependency without readyExpr: it exists, kstatus says Current, both let the release go", async () => {
    await eventually(async () => fluxSays(await h.view("cm-exists")).ready, { what: "helm-controller reconciled cm-exists" });
    await eventually(() => h.gate("HelmRelease", "cm-exists")?.state === "open", { what: "the gate of cm-exists open" });
    expect((await h.why("HelmRelease/default/cm-exists")).code).toBe(0);
  });

  it("a readyExpr over the ConfigMap's data: blocked while it says closed (gate, why, metric, Event), open when it says open", async () => {
    await eventually(async () => (await h.view("cm-gate")).status?.conditions?.some((c) => c.reason === "DependencyNotReady") === true, { what: "helm-controller holding cm-gate" });
    expect(fluxSays(await h.view("cm-gate"))).toEqual({ ready: false, reason: "DependencyNotReady", message: "dependency 'ConfigMap/gates/switch' is not ready according to readyExpr eval" });
    await eventually(() => h.gate("HelmRelease", "cm-gate")?.state === "blocked", { what: "the gate of cm-gate blocked" });
    expect(h.gate("HelmRelease", "cm-gate")).toMatchObject({ reason: "NotReady", rootCause: "ConfigMap/gates/switch", rootCauseMessage: "not ready according to readyExpr" });
    const blocked = findSamples(await scrape(h.env.serve.metricsPort), "releasegate_release_blocked", { kind: "HelmRelease", name: "cm-gate" });
    expect(blocked[0]?.labels).toMatchObject({ reason: "NotReady", root_cause: "ConfigMap/gates/switch" });
    // (An Event may come first from the moment the ConfigMap watch had not listed yet: "cannot judge yet".)
    const event = await eventually(
      async () => (await new FluxClient(h.env.sandbox.kubeConfig()).eventsFor("cm-gate")).find((e) => e.reason === "DependencyBlocked" && e.note?.includes("readyExpr") === true),
      { what: "the DependencyBlocked Event naming the readyExpr" },
    );
    expect(event.note).toBe("blocked by ConfigMap gates/switch: not ready according to readyExpr");
    const why = await h.why("HelmRelease/default/cm-gate");
    expect(why.code).toBe(1);
    expect(why.out).toContain("gates/switch");
    expect(why.out).toContain("not ready according to readyExpr");

    const core = h.env.sandbox.kubeConfig().makeApiClient(CoreV1Api);
    await core.patchNamespacedConfigMap({ namespace: "gates", name: "switch", body: { data: { gate: "open" } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
    await eventually(() => h.gate("HelmRelease", "cm-gate")?.state === "open", { what: "the gate of cm-gate open" });
    await eventually(async () => fluxSays(await h.view("cm-gate")).ready, { what: "helm-controller reconciled cm-gate" });
    expect((await h.why("HelmRelease/default/cm-gate")).code).toBe(0);
  });

  it("a Deployment judged by kstatus: blocked while it rolls out, open once available; ready: false asks only that it exists", async () => {
    await eventually(async () => fluxSays(await h.view("web-exists")).ready, { what: "helm-controller reconciled web-exists" });
    await eventually(() => h.gate("HelmRelease", "web-exists")?.state === "open", { what: "the gate of web-exists open" });
    await eventually(async () => (await h.view("on-web")).status?.conditions?.some((c) => c.reason === "DependencyNotReady") === true, { what: "helm-controller holding on-web" });
    expect(fluxSays(await h.view("on-web"))).toMatchObject({ ready: false, message: "dependency 'Deployment/default/web' is not ready: status InProgress" });
    await eventually(() => h.gate("HelmRelease", "on-web")?.state === "blocked", { what: "the gate of on-web blocked" });
    expect(h.gate("HelmRelease", "on-web")).toMatchObject({ reason: "NotReady", rootCause: "Deployment/default/web" });
    const why = await h.why("HelmRelease/default/on-web");
    expect(why.code).toBe(1);
    expect(why.out).toContain("status InProgress");

    const apps = h.env.sandbox.kubeConfig().makeApiClient(AppsV1Api);
    const web = await apps.readNamespacedDeployment({ namespace: "default", name: "web" });
    await apps.replaceNamespacedDeploymentStatus({
      namespace: "default",
      name: "web",
      body: {
        ...web,
        status: {
          observedGeneration: web.metadata?.generation ?? 1,
          replicas: 1,
          updatedReplicas: 1,
          readyReplicas: 1,
          availableReplicas: 1,
          conditions: [
            { type: "Available", status: "True", reason: "MinimumReplicasAvailable", message: "" },
            { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable", message: "" },
          ],
        },
      },
    });
    await eventually(() => h.gate("HelmRelease", "on-web")?.state === "open", { what: "the gate of on-web open" });
    await eventually(async () => fluxSays(await h.view("on-web")).ready, { what: "helm-controller reconciled on-web" });
  });

  it("a Kustomization on HelmReleases (a Flux kind: kstatus and Ready): held by a failed one, through once the other is Ready", async () => {
    const ksView = async (name: string) => (await h.custom.getNamespacedCustomObject({ ...KS, namespace: "default", name })) as View;
    await eventually(async () => fluxSays(await ksView("after-cm")).ready, { what: "kustomize-controller reconciled after-cm" });
    await eventually(() => h.gate("Kustomization", "after-cm")?.state === "open", { what: "the gate of after-cm open" });
    await eventually(async () => (await ksView("after-db")).status?.conditions?.some((c) => c.reason === "DependencyNotReady") === true, { what: "kustomize-controller holding after-db" });
    expect(fluxSays(await ksView("after-db"))).toMatchObject({ ready: false, message: "dependency 'HelmRelease/default/db' is not ready: status Failed" });
    await eventually(
      () => {
        const gate = h.gate("Kustomization", "after-db");
        return gate?.state === "blocked" && gate.reason === "Failed";
      },
      { what: "the gate of after-db blocked, Failed" },
    );
    expect(h.gate("Kustomization", "after-db")).toMatchObject({ reason: "Failed", rootCause: "HelmRelease/default/db", rootCauseMessage: "install retries exhausted" });
  });

  it("a cycle across kinds (HelmRelease -> Kustomization -> HelmRelease) is denied by kubectl apply, naming the kinds", async () => {
    const work = await mkdtemp(join(tmpdir(), "rg-cross-kind-"));
    const kubeconfig = join(work, "kubeconfig");
    await h.env.sandbox.writeKubeconfig(kubeconfig);
    const kubectl = (args: string[]) => runTool(bundledKubectl(), ["--kubeconfig", kubeconfig, ...args], { env: { HOME: work } });
    try {
      const apply = async (name: string, body: object) => {
        const file = join(work, `${name}.json`);
        await writeFile(file, JSON.stringify(body));
        return kubectl(["apply", "-f", file]);
      };
      expect((await apply("app", release("app"))).code).toBe(0);
      const infra = await apply("infra", kustomization("infra", [{ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "app", namespace: "default" }]));
      expect(infra.code).toBe(0);
      await eventually(async () => (await h.custom.getNamespacedCustomObject({ ...KS, namespace: "default", name: "infra" }).then(() => true, () => false)) && h.gate("Kustomization", "infra") !== undefined, {
        what: "the Kustomization cached",
      });
      const cycle = await apply("app", release("app", [{ apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", name: "infra", namespace: "default" }]));
      console.log(`kubectl apply -f app.json (a cycle across kinds):\n${cycle.stderr}`);
      expect(cycle.code).not.toBe(0);
      expect(cycle.stderr).toContain("denied the request");
      expect(cycle.stderr).toMatch(/HelmRelease default\/app/);
      expect(cycle.stderr).toMatch(/Kustomization default\/infra/);
      // A namespaced kind named without a namespace never resolves (the RFC uses it as written).
      const noNamespace = await apply("lost", release("lost", [{ apiVersion: "v1", kind: "ConfigMap", name: "switch" }]));
      expect(noNamespace.code).not.toBe(0);
      expect(noNamespace.stderr).toContain("ConfigMap dependencies need a namespace: helm-controller looks it up verbatim (add namespace: default)");
      // A ConfigMap that does not exist is missing, confirmed by one read (as for a ResourceSet's entry).
      const missing = await apply("lost", release("lost", [{ apiVersion: "v1", kind: "ConfigMap", name: "swich", namespace: "gates" }]));
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toContain("ConfigMap gates/swich does not exist");
      // An entry of another kind needs its apiVersion (the RFC has no default for it).
      const noVersion = await apply("lost", release("lost", [{ kind: "ConfigMap", name: "switch", namespace: "gates" }]));
      expect(noVersion.code).not.toBe(0);
      expect(noVersion.stderr).toContain("dependsOn[0]: a ConfigMap dependency needs an apiVersion");
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});

describe("today's schema (no released Flux has the RFC's fields): the same entries keep today's meaning", () => {
  const h = environment(false);
  beforeAll(async () => {
    await h.start(SEED);
  });
  afterAll(async () => {
    await h.env?.close();
  });

  it("an entry naming a ConfigMap names a HelmRelease of that name, which does not exist: both hold the release", async () => {
    await eventually(async () => (await h.view("cm-exists")).status?.conditions?.some((c) => c.reason === "DependencyNotReady") === true, { what: "helm-controller holding cm-exists" });
    expect(fluxSays(await h.view("cm-exists")).ready).toBe(false);
    expect(fluxSays(await h.view("cm-exists"))).toMatchObject({ message: expect.stringContaining("gates/switch") });
    await eventually(() => h.gate("HelmRelease", "cm-exists")?.state === "blocked", { what: "the gate of cm-exists blocked" });
    expect(h.gate("HelmRelease", "cm-exists")).toMatchObject({ reason: "Missing", rootCause: "HelmRelease/gates/switch" });
  });
});
