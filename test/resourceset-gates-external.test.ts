// The watches on kinds outside Flux (docs/behaviour.md, "Kinds outside Flux") against the sandbox through
// the real client-node: a kind is watched only while a ResourceSet names it and stopped after; at most
// --max-external-kinds at once, the gate of a kind beyond it saying why it cannot judge; a kind the API
// server does not serve, or the option off, said as clearly; only what readiness reads is kept. A kind
// releasegate may not read: the gate names the permission; where the chart grants it only in some
// namespaces (externalKinds.secretNamespaces, rendered by the real helm and applied by the real kubectl to a
// sandbox that enforces RBAC), it is watched in exactly the namespaces the entries name, within a limit.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppsV1Api, CoreV1Api, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { decodeExternal } from "../src/cluster/external-codec.js";
import { ExternalWatches } from "../src/cluster/external-watches.js";
import { FluxGraph } from "../src/cluster/flux-graph.js";
import { KindStore } from "../src/cluster/kind-store.js";
import { FieldDemand } from "../src/graph/field-demand.js";
import { kindOfNode } from "../src/graph/refs.js";
import type { FluxObject, GateState } from "../src/graph/types.js";
import { startSandbox } from "../src/sandbox/sandbox.js";
import type { Sandbox } from "../src/sandbox/sandbox.js";
import { serviceAccountToken } from "../src/sandbox/rbac-authorizer.js";
import { repoRoot } from "./helpers/cli.js";
import { eventually } from "./helpers/eventually.js";
import { runTool, toolPath } from "./helpers/tools.js";

/** A ResourceSet store fed by hand: each call replaces the ResourceSets the graph holds. */
function resourceSets() {
  const listeners = new Set<(change: { type: "upsert"; key: string; object: FluxObject } | { type: "delete"; key: string; previous: FluxObject }) => void>();
  const objects = new Map<string, FluxObject>();
  return {
    source: {
      kind: "ResourceSet" as const,
      isSynced: () => true,
      list: () => [...objects.values()],
      subscribe: (listener: Parameters<typeof listeners.add>[0]) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    put(object: FluxObject) {
      const key = `${object.namespace}/${object.name}`;
      objects.set(key, object);
      for (const l of listeners) l({ type: "upsert", key, object });
    },
    remove(key: string) {
      const previous = objects.get(key)!;
      objects.delete(key);
      for (const l of listeners) l({ type: "delete", key, previous });
    },
  };
}

function rset(name: string, kind: string, apiVersion: string, target: string): FluxObject {
  return {
    kind: "ResourceSet",
    apiVersion: "fluxcd.controlplane.io/v1",
    namespace: "default",
    name,
    generation: 1,
    dependsOn: [{ apiVersion, kind, name: target, namespace: "default", ready: true }],
  };
}

describe("watches on kinds outside Flux", () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ seed: [] });
    await sandbox.kubeConfig().makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: "default",
      body: {
        metadata: { name: "web", namespace: "default" },
        spec: { replicas: 1, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx" }] } } },
      },
    });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  function setup(options: { enabled: boolean; maxKinds?: number }) {
    const watches = new ExternalWatches(sandbox.kubeConfig(), { lingerMs: 0, retryMs: 60_000, ...options });
    const graph = new FluxGraph(watches);
    watches.connect(graph);
    graph.onExternalDemand((kinds, namespaces) => watches.setDemand(kinds, namespaces));
    const feed = resourceSets();
    const store = new KindStore(feed.source, graph);
    const gate = (name: string): GateState | undefined => store.state(`default/${name}`);
    const message = (name: string): string | undefined => {
      const state = gate(name);
      return state?.state === "blocked" ? state.rootCauseMessage : undefined;
    };
    return { watches, feed, gate, message, stop: () => watches.stop() };
  }

  it("watches a kind while a ResourceSet names it, judges by what it keeps, and stops after the last one goes", async () => {
    const { watches, feed, gate, message, stop } = setup({ enabled: true });
    try {
      feed.put(rset("frontend", "Deployment", "apps/v1", "web"));
      await eventually(() => message("frontend")?.startsWith("status InProgress") === true, { what: "frontend judged by kstatus" });
      expect(gate("frontend")).toMatchObject({ reason: "NotReady", rootCause: "Deployment/default/web", rootCauseMessage: "status InProgress: Replicas: 0/1" });
      expect(watches.watchedKinds()).toEqual(["Deployment"]);
      feed.put(rset("missing", "Deployment", "apps/v1", "nope"));
      expect(gate("missing")).toMatchObject({ reason: "Missing", rootCauseMessage: "Deployment default/nope does not exist" });
      feed.remove("default/frontend");
      feed.remove("default/missing");
      await eventually(() => watches.watchedKinds().length === 0, { what: "the Deployment watch stopped" });
    } finally {
      await stop();
    }
  });

  it("watches at most maxKinds kinds; a kind beyond the limit, one not served, or the option off is said as such", async () => {
    const { watches, feed, gate, message, stop } = setup({ enabled: true, maxKinds: 1 });
    try {
      feed.put(rset("frontend", "Deployment", "apps/v1", "web"));
      feed.put(rset("widgets", "Widget", "example.io/v1", "w"));
      await eventually(() => watches.watchedKinds().includes("Deployment"), { what: "the Deployment watch" });
      expect(gate("widgets")).toMatchObject({
        reason: "NotReady",
        rootCause: "Widget/default/w",
        rootCauseMessage: "cannot judge: releasegate watches at most 1 kinds outside Flux at once and Widget is beyond that limit (raise --max-external-kinds, chart value externalKinds.maxKinds)",
      });
      // The Deployment's slot frees: the Widget gets it, and the API server does not serve it.
      feed.remove("default/frontend");
      await eventually(() => message("widgets")?.includes("does not serve") === true, { what: "the Widget resolved" });
      expect(gate("widgets")).toMatchObject({ rootCauseMessage: "cannot judge: the API server does not serve Widget in example.io/v1" });
    } finally {
      await stop();
    }
    const off = setup({ enabled: false });
    off.feed.put(rset("frontend", "Deployment", "apps/v1", "web"));
    expect(off.gate("frontend")).toMatchObject({ reason: "NotReady", rootCauseMessage: expect.stringMatching(/^cannot judge: releasegate does not watch Deployment objects/) });
    expect(off.watches.watchedKinds()).toEqual([]);
    await off.stop();
  });

  it("keeps only what readiness reads of an object", () => {
    const kept = decodeExternal("Deployment", "apps/v1", {
      metadata: { name: "web", namespace: "apps", generation: 3, labels: { a: "b" }, managedFields: [{}] },
      spec: { replicas: 2, template: { spec: { containers: [{ image: "x" }] } }, strategy: { type: "RollingUpdate" } },
      status: { observedGeneration: 3, replicas: 2, availableReplicas: 1, conditions: [{ type: "Available", status: "False", reason: "MinimumReplicasUnavailable", lastTransitionTime: "t" }] },
    });
    expect(kept).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      namespace: "apps",
      name: "web",
      generation: 3,
      spec: { replicas: 2 },
      status: { observedGeneration: 3, replicas: 2, availableReplicas: 1, conditions: [{ type: "Available", status: "False", reason: "MinimumReplicasUnavailable" }] },
    });
  });
});

describe("a kind releasegate may not read (RBAC)", () => {
  it("keeps the gate blocked, naming the missing permission and the chart value, never open; a readable one is judged", async () => {
    const sandbox = await startSandbox({ authorization: "RBAC", seed: [] });
    try {
      const admin = sandbox.kubeConfig();
      const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
      // What the chart grants by default for kinds outside Flux: ConfigMaps, not Secrets.
      await rbac.createClusterRole({ body: { metadata: { name: "watcher" }, rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] }] } });
      await rbac.createClusterRoleBinding({
        body: { metadata: { name: "watcher" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "watcher" }, subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "watcher" }] },
      });
      const core = admin.makeApiClient(CoreV1Api);
      await core.createNamespacedSecret({ namespace: "default", body: { metadata: { name: "token", namespace: "default" }, data: { token: "eA==" } } });
      await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "switch", namespace: "default" }, data: { gate: "open" } } });

      // Wired as serve wires it: the fields the readyExprs read of a kind are kept by its watch.
      const demand = new FieldDemand();
      const watches = new ExternalWatches(sandbox.kubeConfig("watcher"), { enabled: true, lingerMs: 0, retryMs: 60_000, keepOfKind: (kind) => demand.keepOfKind(kind) });
      const graph = new FluxGraph(watches, demand);
      graph.onFieldsGrown((nodes) => new Set(nodes.map(kindOfNode)).forEach((kind) => watches.fieldsGrown(kind)));
      watches.connect(graph);
      graph.onExternalDemand((kinds, namespaces) => watches.setDemand(kinds, namespaces));
      const feed = resourceSets();
      const store = new KindStore(feed.source, graph);
      try {
        feed.put(rset("secretive", "Secret", "v1", "token"));
        feed.put({ ...rset("switched", "ConfigMap", "v1", "switch"), dependsOn: [{ apiVersion: "v1", kind: "ConfigMap", name: "switch", namespace: "default", ready: true, readyExpr: "data.gate == 'open'" }] });
        await eventually(() => store.state("default/secretive")?.state === "blocked" && (store.state("default/secretive") as { rootCauseMessage: string }).rootCauseMessage.includes("may not list"), {
          what: "the Secret's gate saying why",
        });
        expect(store.state("default/secretive")).toEqual({
          state: "blocked",
          reason: "NotReady",
          rootCause: "Secret/default/token",
          rootCauseMessage:
            "cannot judge: releasegate may not list secrets in namespace default (RBAC get, list and watch on secrets in default are missing): set the chart value externalKinds.secretNamespaces (add default), or externalKinds.secrets: true",
          via: "Secret/default/token",
          depth: 1,
          tail: ["Secret/default/token"],
        });
        await eventually(() => store.state("default/switched")?.state === "open", { what: "the ConfigMap's gate open" });
        // A cluster-scoped kind has no namespace to fall back to: the cluster-wide read is what is missing.
        feed.put({ ...rset("scoped", "Namespace", "v1", "default"), dependsOn: [{ apiVersion: "v1", kind: "Namespace", name: "default" }] });
        await eventually(() => (store.state("default/scoped") as { rootCauseMessage?: string } | undefined)?.rootCauseMessage?.includes("may not list") === true, { what: "the Namespace's gate saying why" });
        expect(store.state("default/scoped")).toMatchObject({
          reason: "NotReady",
          rootCauseMessage: "cannot judge: releasegate may not list namespaces (RBAC get, list and watch on namespaces are missing): set the chart value externalKinds.rules (add namespaces)",
        });
        expect(watches.watchedNamespaces("Namespace")).toBeUndefined();
      } finally {
        await watches.stop();
      }
    } finally {
      await sandbox.close();
    }
  });
});


describe("a kind releasegate may read only in some namespaces (namespaced RBAC, as the chart renders it)", () => {
  const NAMESPACE = "releasegate";
  let sandbox: Sandbox;
  let dir: string;
  let kubeconfig: string;
  let serviceAccount: string;

  /** `helm template` of the chart with these values: its ServiceAccount and RBAC, as `helm install` would apply them. */
  async function renderRbac(...sets: string[]): Promise<Array<{ kind: string; metadata: { name: string; namespace?: string } }>> {
    const { stdout } = await runTool(await toolPath("helm"), ["template", "rg", join(repoRoot, "charts/releasegate"), "--namespace", NAMESPACE, ...sets.flatMap((s) => ["--set", s])]);
    return parseAllDocuments(stdout)
      .map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string } } | null)
      .filter((o): o is { kind: string; metadata: { name: string; namespace?: string } } => o !== null && RBAC_KINDS.has(o.kind));
  }
  const RBAC_KINDS = new Set(["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]);

  async function apply(objects: unknown[]): Promise<void> {
    const file = join(dir, "rbac.yaml");
    await writeFile(file, objects.map((o) => stringify(o)).join("---\n"));
    const applied = await runTool(await toolPath("kubectl"), ["--kubeconfig", kubeconfig, "apply", "-f", file], { env: { HOME: dir } });
    expect(applied.stderr).toBe("");
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ authorization: "RBAC", seed: [] });
    dir = await mkdtemp(join(tmpdir(), "releasegate-namespaced-rbac-"));
    kubeconfig = join(dir, "admin.kubeconfig");
    await sandbox.writeKubeconfig(kubeconfig);
    const core = sandbox.kubeConfig().makeApiClient(CoreV1Api);
    for (const name of [NAMESPACE, "team-a", "team-b", "team-c"]) await core.createNamespace({ body: { metadata: { name } } });
    for (const namespace of ["team-a", "team-b", "team-c"]) {
      await core.createNamespacedSecret({ namespace, body: { metadata: { name: "token", namespace }, data: { token: "eA==" } } });
    }
    // The chart with Secrets readable in team-a and team-c only (externalKinds.secretNamespaces).
    const rendered = await renderRbac("externalKinds.secretNamespaces={team-a,team-c}");
    expect(rendered.filter((o) => o.kind === "Role" || o.kind === "RoleBinding").map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual([
      "Role/releasegate/rg-releasegate",
      "Role/team-a/rg-releasegate-releasegate-secrets",
      "Role/team-c/rg-releasegate-releasegate-secrets",
      "RoleBinding/releasegate/rg-releasegate",
      "RoleBinding/team-a/rg-releasegate-releasegate-secrets",
      "RoleBinding/team-c/rg-releasegate-releasegate-secrets",
    ]);
    serviceAccount = rendered.find((o) => o.kind === "ServiceAccount")!.metadata.name;
    await apply(rendered);
  }, 60_000);
  afterAll(async () => {
    await sandbox?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function setup(maxNamespaces: number) {
    const watches = new ExternalWatches(sandbox.kubeConfig(serviceAccountToken(NAMESPACE, serviceAccount)), { enabled: true, lingerMs: 0, retryMs: 100, maxNamespaces });
    const graph = new FluxGraph(watches);
    watches.connect(graph);
    graph.onExternalDemand((kinds, namespaces) => watches.setDemand(kinds, namespaces));
    const feed = resourceSets();
    const store = new KindStore(feed.source, graph);
    const secretIn = (namespace: string): FluxObject => ({
      ...rset(`needs-${namespace}`, "Secret", "v1", "token"),
      dependsOn: [{ apiVersion: "v1", kind: "Secret", name: "token", namespace }],
    });
    const message = (name: string): string | undefined => {
      const state = store.state(`default/${name}`);
      return state?.state === "blocked" ? state.rootCauseMessage : undefined;
    };
    return { watches, feed, store, secretIn, message };
  }

  it("watches Secrets in each namespace the entries name where a Role lets it, names the missing permission where none does, and opens there once granted", { timeout: 60_000 }, async () => {
    const { watches, feed, store, secretIn, message } = setup(10);
    try {
      feed.put(secretIn("team-a"));
      feed.put(secretIn("team-b"));
      await eventually(() => store.state("default/needs-team-a")?.state === "open", { what: "the gate on team-a/token open" });
      await eventually(() => message("needs-team-b")?.includes("may not list") === true, { what: "the gate on team-b/token saying why" });
      expect(store.state("default/needs-team-b")).toMatchObject({
        state: "blocked",
        reason: "NotReady",
        rootCause: "Secret/team-b/token",
        rootCauseMessage:
          "cannot judge: releasegate may not list secrets in namespace team-b (RBAC get, list and watch on secrets in team-b are missing): set the chart value externalKinds.secretNamespaces (add team-b), or externalKinds.secrets: true",
      });
      expect(watches.watchedNamespaces("Secret")).toEqual(["team-a"]);

      // The watch is live: the Secret goes, the gate says it is missing; it comes back, the gate opens.
      const core = sandbox.kubeConfig().makeApiClient(CoreV1Api);
      await core.deleteNamespacedSecret({ namespace: "team-a", name: "token" });
      await eventually(() => message("needs-team-a") === "Secret team-a/token does not exist", { what: "team-a/token missing" });
      await core.createNamespacedSecret({ namespace: "team-a", body: { metadata: { name: "token", namespace: "team-a" }, data: { token: "eA==" } } });
      await eventually(() => store.state("default/needs-team-a")?.state === "open", { what: "team-a/token back" });

      // The user does what the message says: the chart value, upgraded; the next probe finds the read allowed.
      await apply(await renderRbac("externalKinds.secretNamespaces={team-a,team-b,team-c}"));
      await eventually(() => store.state("default/needs-team-b")?.state === "open", { what: "the gate on team-b/token open once granted" });

      // No entry names team-a any more: its watch stops; the last entry gone, the kind is let go.
      feed.remove("default/needs-team-a");
      await eventually(() => watches.watchedNamespaces("Secret")?.join() === "team-b", { what: "the team-a watch stopped" });
      feed.remove("default/needs-team-b");
      await eventually(() => watches.watchedKinds().length === 0, { what: "the Secret watches stopped" });
    } finally {
      await watches.stop();
    }
  });

  it("watches at most maxNamespaces namespaces of a kind; one beyond says so, and gets a slot when another is let go", { timeout: 60_000 }, async () => {
    const { watches, feed, store, secretIn, message } = setup(1);
    try {
      feed.put(secretIn("team-a"));
      feed.put(secretIn("team-c"));
      await eventually(() => store.state("default/needs-team-a")?.state === "open", { what: "the gate on team-a/token open" });
      await eventually(() => message("needs-team-c")?.includes("beyond") === true, { what: "the gate on team-c/token saying it is beyond the limit" });
      expect(store.state("default/needs-team-c")).toMatchObject({
        reason: "NotReady",
        rootCause: "Secret/team-c/token",
        rootCauseMessage:
          "cannot judge: releasegate may not list secrets cluster-wide, so it watches them namespace by namespace, in at most 1 namespaces, and team-c is beyond that (raise --max-external-namespaces, chart value externalKinds.maxNamespaces, or grant the read cluster-wide: chart value externalKinds.secrets: true)",
      });
      expect(watches.watchedNamespaces("Secret")).toEqual(["team-a"]);
      feed.remove("default/needs-team-a");
      await eventually(() => store.state("default/needs-team-c")?.state === "open", { what: "the gate on team-c/token open in the freed slot" });
      expect(watches.watchedNamespaces("Secret")).toEqual(["team-c"]);
    } finally {
      await watches.stop();
    }
  });
});
