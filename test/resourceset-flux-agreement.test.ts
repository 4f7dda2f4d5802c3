// End to end through the sandbox: releasegate and the simulated Flux (its own rules, written from
// helm-controller's and the Flux Operator's checkDependencies) must agree on every dependency
// (docs/behaviour.md, "Gate states"), and releasegate's four views of a gate must agree with each other:
// the gate itself, `releasegate why` run as its own process, the releasegate_release_blocked metric
// scraped from /metrics, and the Event read back through the API. Objects are applied and patched with
// the real kubectl. The scenarios: a readyExpr over whole objects (spec.values, equal and different),
// Flux's feature gate AdditiveCELDependencyCheck on and off (serve, `why` and the simulated Flux given the
// same --flux-feature-gates), and a ResourceSet waiting on a ConfigMap's data.gate, on a
// CustomResourceDefinition, on a Secret in another namespace whose data the operator hides and in its own,
// and, under the chart's own RBAC, on kinds releasegate may not read.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CustomObjectsApi } from "@kubernetes/client-node";
import type { EventsV1Event } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { startSandboxEnvironment, SANDBOX_NAMESPACE } from "../src/cli/sandbox.js";
import type { SandboxEnvironment } from "../src/cli/sandbox.js";
import { resolveServeOptions } from "../src/cli/serve-options.js";
import { SERVER_VERSION } from "../src/sandbox/discovery.js";
import { serviceAccountToken } from "../src/sandbox/rbac-authorizer.js";
import type { ReconcileEvent } from "../src/sandbox/simulated-flux.js";
import { setFluxFeatureGates, DEFAULT_FLUX_FEATURE_GATES, parseFluxFeatureGates } from "../src/graph/feature-gates.js";
import type { FluxKind, GateState } from "../src/graph/types.js";
import { repoRoot, runCli } from "./helpers/cli.js";
import { eventually } from "./helpers/eventually.js";
import { FluxClient, REQUESTED_AT } from "./helpers/flux-client.js";
import { findSamples, scrape } from "./helpers/metrics-text.js";
import type { Sample } from "./helpers/metrics-text.js";
import { quietLogger } from "./helpers/quiet-logger.js";
import { runTool, toolPath } from "./helpers/tools.js";

const TYPES = {
  HelmRelease: { group: "helm.toolkit.fluxcd.io", version: "v2", plural: "helmreleases" },
  ResourceSet: { group: "fluxcd.controlplane.io", version: "v1", plural: "resourcesets" },
  Kustomization: { group: "kustomize.toolkit.fluxcd.io", version: "v1", plural: "kustomizations" },
} as const;

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
interface View {
  metadata: { generation?: number; annotations?: Record<string, string> };
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

function resourceSet(name: string, dependsOn: object[], namespace = "default") {
  return {
    apiVersion: "fluxcd.controlplane.io/v1",
    kind: "ResourceSet",
    metadata: { name, namespace },
    spec: { dependsOn, resources: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${name}-out`, namespace } }] },
  };
}

type FluxSays = { ready: true } | { ready: false; reason?: string; message?: string };

/** What the simulated controller says of an object: Ready at its generation, or its Ready reason and message. */
function fluxSays(view: View): FluxSays {
  const ready = view.status?.conditions?.find((c) => c.type === "Ready");
  if (ready?.status === "True" && view.status?.observedGeneration === view.metadata.generation) return { ready: true };
  return { ready: false, ...(ready?.reason !== undefined ? { reason: ready.reason } : {}), ...(ready?.message !== undefined ? { message: ready.message } : {}) };
}

/** The Event releasegate recorded last for an object (events.k8s.io/v1, newest by its time). */
function latest(events: EventsV1Event[]): EventsV1Event | undefined {
  const time = (e: EventsV1Event) => new Date(e.series?.lastObservedTime ?? e.eventTime ?? 0).getTime();
  return [...events].sort((a, b) => time(a) - time(b)).at(-1);
}

interface Ref {
  kind: FluxKind;
  namespace: string;
  name: string;
}

/** A blocked gate as every view must tell it. */
interface BlockedViews {
  reason: string;
  /** The gate's root cause (a node key: `Kind/ns/name`). */
  rootCause: string;
  /** The root cause's label on the metric (`ns/name` for one of the object's own kind). */
  rootCauseLabel: string;
  rootCauseMessage: string;
  /** The Event's note, whole. */
  note: string;
  /** The Event's reason. */
  eventReason?: string;
}

interface EnvironmentOptions {
  /** Flux's --feature-gates text, given to serve, `why` and the simulated Flux alike. */
  fluxFeatureGates?: string;
  resourceSetRequeueMs?: number;
  /** An RBAC-enforcing sandbox with serve running as this chart rendering's ServiceAccount. */
  chart?: Rendered[];
}

interface Rendered {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [field: string]: unknown;
}

const CHART_RBAC_KINDS = new Set(["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]);

/** `helm template` of the chart into the sandbox's releasegate namespace, with the values given. */
async function renderChart(set: string[] = []): Promise<Rendered[]> {
  const result = await runTool(await toolPath("helm"), [
    "template",
    "releasegate",
    join(repoRoot, "charts/releasegate"),
    "--namespace",
    SANDBOX_NAMESPACE,
    "--kube-version",
    SERVER_VERSION.gitVersion.replace(/-.*$/, ""),
    ...set.flatMap((s) => ["--set", s]),
  ]);
  if (result.code !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return parseAllDocuments(result.stdout)
    .map((d) => d.toJS() as Rendered | null)
    .filter((o): o is Rendered => o !== null);
}

/** The rendered container's `--flag=value` args as serve's settings (POD_NAMESPACE as the kubelet expands it). */
function chartServeSettings(rendered: Rendered[]): Record<string, string> {
  const deployment = rendered.find((o) => o.kind === "Deployment") as Rendered & { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } };
  const settings: Record<string, string> = {};
  for (const arg of deployment.spec.template.spec.containers[0]!.args.slice(1)) {
    const match = /^--([^=]+)=(.*)$/.exec(arg.replace("$(POD_NAMESPACE)", SANDBOX_NAMESPACE));
    if (match) settings[match[1]!] = match[2]!;
  }
  return settings;
}

function serviceAccountOf(rendered: Rendered[]): string {
  return (rendered.find((o) => o.kind === "ServiceAccount") as Rendered).metadata.name;
}

function environment(options: EnvironmentOptions = {}) {
  let env: SandboxEnvironment;
  let custom: CustomObjectsApi;
  let dir: string;
  let kubectlPath: string;
  const reconciles: ReconcileEvent[] = [];
  const gates = options.fluxFeatureGates ?? "AdditiveCELDependencyCheck=false";
  const handle = {
    get env() {
      return env;
    },
    get custom() {
      return custom;
    },
    reconciles,
    /** The kubeconfig `why` runs with: serve's own identity under the chart's RBAC, else the admin's. */
    whyKubeconfig: "",
    adminKubeconfig: "",
    async start(seed: unknown[]) {
      dir = await mkdtemp(join(tmpdir(), "rg-agreement-"));
      kubectlPath = await toolPath("kubectl");
      const chart = options.chart;
      const settings = chart === undefined ? {} : chartServeSettings(chart);
      // Serve's settings as its command line would give them: the chart's rendered args, or just the gates.
      const serve = resolveServeOptions({ ...settings, "flux-feature-gates": gates }, {});
      env = await startSandboxEnvironment({
        logger: quietLogger(),
        seed: [...(chart ?? []).filter((o) => CHART_RBAC_KINDS.has(o.kind)), ...seed],
        installDelayMs: 30,
        requeueDependencyMs: 300,
        resourceSetRequeueMs: options.resourceSetRequeueMs ?? 300,
        additiveCelDependencyCheck: parseFluxFeatureGates(gates).additiveCelDependencyCheck,
        onReconcile: (event) => reconciles.push(event),
        serve: {
          fluxFeatureGates: serve.fluxFeatureGates,
          externalKinds: serve.externalKinds,
          ...(chart === undefined
            ? {}
            : { leaseName: serve.leaseName, secretName: serve.secretName, webhookConfigName: serve.webhookConfigName, maxExternalKinds: serve.maxExternalKinds }),
        },
        ...(chart === undefined ? {} : { authorization: "RBAC" as const, serveUser: serviceAccountToken(SANDBOX_NAMESPACE, serviceAccountOf(chart)), externalRetryMs: 200 }),
      });
      custom = env.sandbox.kubeConfig().makeApiClient(CustomObjectsApi);
      handle.adminKubeconfig = join(dir, "admin.kubeconfig");
      await env.sandbox.writeKubeconfig(handle.adminKubeconfig);
      handle.whyKubeconfig = handle.adminKubeconfig;
      if (chart !== undefined) {
        handle.whyKubeconfig = join(dir, "releasegate.kubeconfig");
        await env.sandbox.writeKubeconfig(handle.whyKubeconfig, serviceAccountToken(SANDBOX_NAMESPACE, serviceAccountOf(chart)));
      }
    },
    async close() {
      await env?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
      setFluxFeatureGates(DEFAULT_FLUX_FEATURE_GATES);
    },
    /** kubectl as the admin, the documents on its stdin; fails the test on any error. */
    async kubectl(args: string[], documents: object[] = []): Promise<string> {
      const result = await runTool(kubectlPath, ["--kubeconfig", handle.adminKubeconfig, ...args], {
        stdin: documents.map((d) => stringify(d)).join("---\n"),
        env: { HOME: dir },
      });
      if (result.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${result.stderr}`);
      return result.stdout;
    },
    async apply(...documents: object[]): Promise<string> {
      return handle.kubectl(["apply", "-f", "-"], documents);
    },
    async view(ref: Ref): Promise<View> {
      return (await custom.getNamespacedCustomObject({ ...TYPES[ref.kind], namespace: ref.namespace, name: ref.name })) as View;
    },
    gate(ref: Ref): GateState | undefined {
      return env.serve.controller.state(ref.kind, `${ref.namespace}/${ref.name}`);
    },
    async blockedSamples(ref: Ref): Promise<Sample[]> {
      return findSamples(await scrape(env.serve.metricsPort), "releasegate_release_blocked", { kind: ref.kind, namespace: ref.namespace, name: ref.name });
    },
    async lastEvent(ref: Ref): Promise<EventsV1Event | undefined> {
      return latest(await new FluxClient(env.sandbox.kubeConfig()).eventsFor(ref.name, ref.namespace));
    },
    /** `releasegate why` as a person runs it, with the same feature gates as serve and the simulated Flux. */
    async why(ref: Ref): Promise<{ code: number | null; out: string }> {
      const result = await runCli(["why", "--kubeconfig", handle.whyKubeconfig, `--flux-feature-gates=${gates}`, `${ref.kind}/${ref.namespace}/${ref.name}`], { env: { KUBECONFIG: "" } });
      return { code: result.code, out: result.stdout + result.stderr };
    },
    /** Waits for the gate to be blocked as `expected` says, then asks every other view and expects the same. */
    async expectBlocked(ref: Ref, expected: BlockedViews): Promise<void> {
      const what = `${ref.kind} ${ref.namespace}/${ref.name}`;
      await eventually(
        () => {
          const gate = handle.gate(ref);
          return gate?.state === "blocked" && gate.rootCauseMessage === expected.rootCauseMessage;
        },
        { what: `the gate of ${what} blocked with "${expected.rootCauseMessage}" (it is ${JSON.stringify(handle.gate(ref))})` },
      );
      expect(handle.gate(ref)).toMatchObject({ state: "blocked", reason: expected.reason, rootCause: expected.rootCause, rootCauseMessage: expected.rootCauseMessage });
      const samples = await handle.blockedSamples(ref);
      expect(samples.map((s) => ({ ...s.labels, value: s.value }))).toEqual([
        { kind: ref.kind, namespace: ref.namespace, name: ref.name, reason: expected.reason, root_cause: expected.rootCauseLabel, value: 1 },
      ]);
      const event = await eventually(
        async () => {
          const last = await handle.lastEvent(ref);
          return last?.note === expected.note ? last : undefined;
        },
        { what: `the Event of ${what} saying "${expected.note}" (the last one says "${(await handle.lastEvent(ref))?.note}")` },
      );
      expect(event.reason).toBe(expected.eventReason ?? "DependencyBlocked");
      const why = await handle.why(ref);
      expect(why.out).toContain(`${ref.kind} ${ref.namespace}/${ref.name}  blocked (${expected.reason})`);
      if (expected.rootCause === `${ref.kind}/${ref.namespace}/${ref.name}`) {
        // Its own root cause (a readyExpr that does not compile): one line, saying why.
        expect(why.out).toContain(`${ref.kind} ${ref.namespace}/${ref.name}  blocked (${expected.reason}): ${expected.note}`);
      } else {
        expect(why.out).toContain(`${expected.rootCause.replace("/", " ")}`);
        expect(why.out).toContain(`[root cause]: ${expected.rootCauseMessage}`);
      }
      expect(why.code).toBe(1);
    },
    /**
     * Waits for the gate to open, then asks every other view. `opened`: the gate was blocked before, so the
     * last Event is GateOpened with this note; else no Event but, when the watch of a kind was still
     * listing as the object came, GateOpened.
     */
    async expectOpen(ref: Ref, opened: string | undefined): Promise<void> {
      const what = `${ref.kind} ${ref.namespace}/${ref.name}`;
      await eventually(() => handle.gate(ref)?.state === "open", { what: `the gate of ${what} open (it is ${JSON.stringify(handle.gate(ref))})` });
      expect(await handle.blockedSamples(ref)).toEqual([]);
      if (opened !== undefined) {
        await eventually(async () => (await handle.lastEvent(ref))?.reason === "GateOpened", { what: `the GateOpened Event of ${what}` });
        expect((await handle.lastEvent(ref))?.note).toBe(opened);
      } else {
        // Blocked only while releasegate's watch of a new kind was listing: that is no news, never an Event.
        const events = await new FluxClient(env.sandbox.kubeConfig()).eventsFor(ref.name, ref.namespace);
        expect(events.filter((e) => e.reason !== "GateOpened").map((e) => e.note)).toEqual([]);
      }
      const why = await handle.why(ref);
      expect(why.out).toContain(`${ref.kind} ${ref.namespace}/${ref.name}  open`);
      expect(why.code).toBe(0);
    },
    async fluxReady(ref: Ref): Promise<void> {
      await eventually(async () => fluxSays(await handle.view(ref)).ready, { what: `Flux reconciled ${ref.kind} ${ref.namespace}/${ref.name}` });
    },
    /** Waits until Flux holds the object on a dependency, and returns its message. */
    async fluxWaiting(ref: Ref): Promise<string | undefined> {
      const says = await eventually(
        async () => {
          const s = fluxSays(await handle.view(ref));
          return s.ready === false && s.reason === "DependencyNotReady" ? s : undefined;
        },
        { what: `Flux holding ${ref.kind} ${ref.namespace}/${ref.name} on a dependency` },
      );
      return says.message;
    },
  };
  return handle;
}

const hr = (name: string): Ref => ({ kind: "HelmRelease", namespace: "default", name });
const rs = (name: string, namespace = "default"): Ref => ({ kind: "ResourceSet", namespace, name });

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
  afterAll(() => h.close());

  it("opens the dependent whose spec.values.version equals the dependency's, in every view; Flux reconciles it", async () => {
    await h.fluxReady(hr("same"));
    await h.expectOpen(hr("same"), undefined);
  });

  it("blocks the one whose version differs, in every view, and Flux holds it with helm-controller's message", async () => {
    expect(await h.fluxWaiting(hr("different"))).toBe("dependency 'default/redis' is not ready according to readyExpr eval");
    await h.expectBlocked(hr("different"), {
      reason: "NotReady",
      rootCause: "HelmRelease/default/redis",
      rootCauseLabel: "default/redis",
      rootCauseMessage: "not ready according to readyExpr",
      note: "blocked by default/redis: not ready according to readyExpr",
    });
  });

  it("an expression typed dyn is a compile error for both: the dependent is Stalled, its own root cause", async () => {
    await eventually(async () => (await h.view(hr("bad"))).status?.conditions?.some((c) => c.type === "Stalled" && c.reason === "InvalidCELExpression") === true, {
      what: "helm-controller stalled 'bad'",
    });
    await h.expectBlocked(hr("bad"), {
      reason: "Failed",
      rootCause: "HelmRelease/default/bad",
      rootCauseLabel: "default/bad",
      rootCauseMessage: "dependsOn[0].readyExpr does not compile: CEL expression output type mismatch: expected bool, got dyn: fix the CEL expression",
      note: "blocked by default/bad: dependsOn[0].readyExpr does not compile: CEL expression output type mismatch: expected bool, got dyn: fix the CEL expression",
    });
  });

  it("follows a change of spec.values applied with kubectl: every view says open, and Flux reconciles", async () => {
    await h.kubectl(["patch", "helmrelease", "different", "-n", "default", "--type", "merge", "-p", JSON.stringify({ spec: { values: { version: "7.2" } } })]);
    await h.expectOpen(hr("different"), "gate open: dependency default/redis is Ready");
    await h.fluxReady(hr("different"));
  });
});

describe("AdditiveCELDependencyCheck: serve, why and the simulated Flux given the same --flux-feature-gates", () => {
  for (const additive of [false, true]) {
    describe(additive ? "gate on: readyExpr adds to the built-in check" : "gate off: readyExpr replaces the built-in check", () => {
      const h = environment({ fluxFeatureGates: `AdditiveCELDependencyCheck=${additive}` });
      beforeAll(async () => {
        // redis fails to install: the built-in check says no; the expression (its name) says yes.
        await h.start([
          release("redis", { version: "1" }, [], { "sandbox.releasegate.io/simulate": "install-failure" }),
          release("app", { version: "1" }, [{ name: "redis", readyExpr: "dep.metadata.name == 'redis'" }]),
        ]);
      });
      afterAll(() => h.close());

      it(additive ? "holds the dependent: every view blocked on redis's failure, helm-controller waiting" : "lets the dependent go: every view open, helm-controller reconciles", async () => {
        await eventually(async () => (await h.view(hr("redis"))).status?.conditions?.some((c) => c.reason === "InstallFailed") === true, { what: "redis failed" });
        if (additive) {
          expect(await h.fluxWaiting(hr("app"))).toBe("dependency 'default/redis' is not ready");
          await h.expectBlocked(hr("app"), {
            reason: "Failed",
            rootCause: "HelmRelease/default/redis",
            rootCauseLabel: "default/redis",
            rootCauseMessage: "install retries exhausted",
            note: "blocked by default/redis: install retries exhausted",
          });
        } else {
          await h.fluxReady(hr("app"));
          await h.expectOpen(hr("app"), undefined);
        }
      });
    });
  }
});

describe("ResourceSet dependencies on other kinds: releasegate and the Flux Operator agree", () => {
  // The operator re-checks slowly here: that the ResourceSet proceeds at once shows releasegate asked it to.
  const h = environment({ resourceSetRequeueMs: 60_000 });
  beforeAll(async () => {
    await h.start([
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "gates" } },
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "vault" } },
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "switch", namespace: "gates" }, data: { gate: "closed" } },
      { apiVersion: "v1", kind: "Secret", metadata: { name: "token", namespace: "vault" }, data: { token: "c2VjcmV0" } },
    ]);
  });
  afterAll(() => h.close());

  it("waits on a ConfigMap's data.gate; kubectl patches it open: the gate opens, releasegate asks, the operator proceeds", async () => {
    await h.apply(resourceSet("switched", [{ apiVersion: "v1", kind: "ConfigMap", name: "switch", namespace: "gates", ready: true, readyExpr: "data.gate == 'open'" }]));
    expect(await h.fluxWaiting(rs("switched"))).toBe("Retrying dependency check: dependency v1/ConfigMap/gates/switch not ready: expression 'data.gate == 'open''");
    await h.expectBlocked(rs("switched"), {
      reason: "NotReady",
      rootCause: "ConfigMap/gates/switch",
      rootCauseLabel: "ConfigMap/gates/switch",
      rootCauseMessage: "not ready according to readyExpr",
      note: "blocked by ConfigMap gates/switch: not ready according to readyExpr",
    });
    await h.kubectl(["patch", "configmap", "switch", "-n", "gates", "--type", "merge", "-p", JSON.stringify({ data: { gate: "open" } })]);
    await h.expectOpen(rs("switched"), "gate open: dependency ConfigMap gates/switch is Ready");
    await eventually(async () => (await h.view(rs("switched"))).metadata.annotations?.[REQUESTED_AT], { what: "releasegate's reconcile request on the ResourceSet" });
    await h.fluxReady(rs("switched"));
    expect(h.reconciles.filter((r) => r.name === "switched" && r.outcome === "installing").map((r) => r.trigger)).toEqual(["requested"]);
  });

  it("depends on a CustomResourceDefinition (cluster-scoped, no namespace): open in every view, and the operator goes ahead", async () => {
    await h.apply(
      resourceSet("needs-crd", [
        { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", name: "helmreleases.helm.toolkit.fluxcd.io" },
        { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", name: "kustomizations.kustomize.toolkit.fluxcd.io", ready: true },
      ]),
    );
    await h.fluxReady(rs("needs-crd"));
    await h.expectOpen(rs("needs-crd"), undefined);
    // A CRD that does not exist: the webhook denies it, naming it without a namespace.
    const denied = await h.apply(resourceSet("needs-widgets", [{ apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", name: "widgets.example.io" }])).then(
      () => "allowed",
      (error: unknown) => String(error),
    );
    expect(denied).toContain("CustomResourceDefinition widgets.example.io does not exist");
    expect(denied).not.toContain("/widgets.example.io");
  });

  it("a Secret in another namespace: its data is hidden, so an expression over it fails as the operator's does, in every view", async () => {
    await h.apply(resourceSet("elsewhere", [{ apiVersion: "v1", kind: "Secret", name: "token", namespace: "vault", ready: true, readyExpr: "has(data.token)" }]));
    // cel-go fails a has() through a variable the activation lacks (interpreter/attributes.go): not false.
    const error = "failed to evaluate the CEL expression 'has(data.token)': no such attribute(s): data.token";
    expect(await h.fluxWaiting(rs("elsewhere"))).toBe(`Retrying dependency check: ${error}`);
    await h.expectBlocked(rs("elsewhere"), {
      reason: "NotReady",
      rootCause: "Secret/vault/token",
      rootCauseLabel: "Secret/vault/token",
      rootCauseMessage: `readyExpr cannot be evaluated on it: ${error}`,
      note: `blocked by Secret vault/token: readyExpr cannot be evaluated on it: ${error}`,
    });
  });

  it("the same Secret from a ResourceSet in its own namespace: data visible, open in every view, and the operator goes ahead", async () => {
    await h.apply(resourceSet("inside", [{ apiVersion: "v1", kind: "Secret", name: "token", namespace: "vault", ready: true, readyExpr: "has(data.token)" }], "vault"));
    await h.fluxReady(rs("inside", "vault"));
    await h.expectOpen(rs("inside", "vault"), undefined);
  });
});

describe("under the chart's RBAC with default values: CRD and ConfigMap dependencies open; a Secret stays blocked naming externalKinds.secrets (the security decision wins over 'opens with default chart values') until that value is set", () => {
  let defaults: Rendered[];
  const chart: Rendered[] = [];
  const h = environment({ chart });
  beforeAll(async () => {
    defaults = await renderChart();
    chart.push(...defaults);
    await h.start([
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "gates" } },
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "switch", namespace: "gates" }, data: { gate: "open" } },
      { apiVersion: "v1", kind: "Secret", metadata: { name: "token", namespace: "default" }, data: { token: "c2VjcmV0" } },
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "builder", namespace: "default" } },
    ]);
  }, 60_000);
  afterAll(() => h.close());

  const crd = { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", name: "helmreleases.helm.toolkit.fluxcd.io", ready: true };
  const configMap = { apiVersion: "v1", kind: "ConfigMap", name: "switch", namespace: "gates", ready: true, readyExpr: "data.gate == 'open'" };
  const secret = { apiVersion: "v1", kind: "Secret", name: "token", namespace: "default", ready: true, readyExpr: "has(data.token)" };

  it("opens a ResourceSet on a CRD and a ConfigMap with the chart's default RBAC, in every view", async () => {
    await h.apply(resourceSet("platform", [crd, configMap]));
    await h.fluxReady(rs("platform"));
    await h.expectOpen(rs("platform"), undefined);
  });

  it("a kind releasegate may not read: blocked in every view, naming the permission and the chart value, never open (the operator, with its own rights, goes ahead)", async () => {
    await h.apply(resourceSet("builder", [{ apiVersion: "v1", kind: "ServiceAccount", name: "builder", namespace: "default" }]));
    // Neither cluster-wide nor in the dependency's namespace (releasegate falls back to reading namespace by namespace).
    const forbidden =
      "cannot judge: releasegate may not list serviceaccounts in namespace default (RBAC get, list and watch on serviceaccounts in default are missing): " +
      "set the chart value externalKinds.rules (add serviceaccounts), or bind a Role granting them in default to releasegate's ServiceAccount";
    await h.expectBlocked(rs("builder"), {
      reason: "NotReady",
      rootCause: "ServiceAccount/default/builder",
      rootCauseLabel: "ServiceAccount/default/builder",
      rootCauseMessage: forbidden,
      note: `blocked by ServiceAccount default/builder: ${forbidden}`,
    });
    await h.fluxReady(rs("builder"));
    expect(h.gate(rs("builder"))?.state).toBe("blocked");
  });

  it("a ResourceSet on a CRD, a ConfigMap and a Secret: blocked on the Secret naming externalKinds.secrets, and opens once the chart sets it", async () => {
    await h.apply(resourceSet("all-three", [crd, configMap, secret]));
    const forbidden =
      "cannot judge: releasegate may not list secrets in namespace default (RBAC get, list and watch on secrets in default are missing): " +
      "set the chart value externalKinds.secretNamespaces (add default), or externalKinds.secrets: true";
    await h.expectBlocked(rs("all-three"), {
      reason: "NotReady",
      rootCause: "Secret/default/token",
      rootCauseLabel: "Secret/default/token",
      rootCauseMessage: forbidden,
      note: `blocked by Secret default/token: ${forbidden}`,
    });
    // `helm upgrade --set externalKinds.secrets=true`: the re-rendered RBAC, applied with kubectl.
    const upgraded = await renderChart(["externalKinds.secrets=true"]);
    const clusterRole = upgraded.find((o) => o.kind === "ClusterRole")!;
    expect(JSON.stringify(clusterRole)).toContain('"secrets"');
    await h.apply(...upgraded.filter((o) => CHART_RBAC_KINDS.has(o.kind)));
    await h.expectOpen(rs("all-three"), "gate open: all 3 dependencies are Ready");
    await h.fluxReady(rs("all-three"));
  });
});
