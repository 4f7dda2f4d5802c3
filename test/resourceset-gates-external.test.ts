// The watches on kinds outside Flux (docs/behaviour.md, "Kinds outside Flux") against the sandbox through
// the real client-node: a kind is watched only while a ResourceSet names it and stopped after; at most
// --max-external-kinds at once, the gate of a kind beyond it saying why it cannot judge; a kind the API
// server does not serve, or the option off, said as clearly; only what readiness reads is kept.
import { AppsV1Api, CoreV1Api, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeExternal } from "../src/cluster/external-codec.js";
import { ExternalWatches } from "../src/cluster/external-watches.js";
import { FluxGraph } from "../src/cluster/flux-graph.js";
import { KindStore } from "../src/cluster/kind-store.js";
import { FieldDemand } from "../src/graph/field-demand.js";
import { kindOfNode } from "../src/graph/refs.js";
import type { FluxObject, GateState } from "../src/graph/types.js";
import { startSandbox } from "../src/sandbox/sandbox.js";
import type { Sandbox } from "../src/sandbox/sandbox.js";
import { eventually } from "./helpers/eventually.js";

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
          rootCauseMessage: "cannot judge: releasegate may not list secrets (RBAC get, list and watch on secrets are missing): set the chart value externalKinds.secrets: true",
          via: "Secret/default/token",
          depth: 1,
          tail: ["Secret/default/token"],
        });
        await eventually(() => store.state("default/switched")?.state === "open", { what: "the ConfigMap's gate open" });
      } finally {
        await watches.stop();
      }
    } finally {
      await sandbox.close();
    }
  });
});

