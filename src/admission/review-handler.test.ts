// reviewAdmission for a ResourceSet: the caches of the kinds its entries name must have loaded, and the
// deny path asks one consistent read for every missing dependency, whatever its kind, at the same time
// as the peers.
import { describe, expect, it } from "vitest";
import type { ConfirmMissing, MissingDependency, ReadOutcome } from "../cluster/missing-read.js";
import { DependencyGraph } from "../graph/dependency-graph.js";
import { KindStore } from "../cluster/kind-store.js";
import { decodeFluxObject } from "../flux/decode.js";
import { objectKeyOf } from "../graph/refs.js";
import type { ObjectKey } from "../graph/types.js";
import { AdmissionGraphs } from "./admission-graphs.js";
import type { PendingObject } from "./pending-batch.js";
import { admissionReview, fluxManifest } from "./review-builder.test-support.js";
import type { AdmissionContext } from "./review-handler.js";
import type { FluxKind, NodeKey } from "../graph/types.js";
import type { AdmissionGraphSource } from "./admission-graphs.js";
import { PendingBatch } from "./pending-batch.js";
import { DEFAULT_ADMISSION_POLICY } from "./policy.js";
import { reviewAdmission } from "./review-handler.js";
import type { ReviewResult } from "./review-handler.js";

function source(unsynced: FluxKind[] = []): AdmissionGraphSource {
  const graph = new DependencyGraph();
  graph.upsert({ kind: "HelmRelease", namespace: "apps", name: "redis", dependsOn: [] });
  return { graph: () => graph, isSynced: (kind) => !unsynced.includes(kind), unsyncedKinds: () => unsynced };
}

const body = (dependsOn: Array<Record<string, string>>) =>
  admissionReview({ operation: "CREATE", object: { kind: "ResourceSet", namespace: "apps", name: "platform", dependsOn: dependsOn as never } });

describe("reviewAdmission of a ResourceSet", () => {
  it("answers 503 while the cache of a kind its entries name has not loaded", async () => {
    const result = await reviewAdmission(body([{ apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", name: "infra", namespace: "apps" }]), {
      graphs: source(["Kustomization"]),
      pending: new PendingBatch(),
      policy: DEFAULT_ADMISSION_POLICY,
    });
    expect(result).toMatchObject({ type: "not-synced", error: "the Kustomization cache has not synced yet; try again shortly" });
  });

  it("reads every missing dependency once, whatever its kind, and decides on what the read found", async () => {
    const asked: MissingDependency[][] = [];
    const confirmMissing: ConfirmMissing = (deps) => {
      asked.push([...deps]);
      return Promise.resolve(new Map<NodeKey, ReadOutcome>([["Deployment/apps/web", { state: "exists" }], ["HelmRelease/apps/cache", { state: "missing", clusterScoped: false }]]));
    };
    const result: ReviewResult = await reviewAdmission(
      body([
        { apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: "apps" },
        { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "cache", namespace: "apps" },
      ]),
      { graphs: source(), pending: new PendingBatch(), policy: DEFAULT_ADMISSION_POLICY, confirmMissing },
    );
    expect(asked).toEqual([
      [
        { node: "Deployment/apps/web", apiVersion: "apps/v1" },
        { node: "HelmRelease/apps/cache", apiVersion: "helm.toolkit.fluxcd.io/v2" },
      ],
    ]);
    expect(result.type === "answer" && result.decision).toMatchObject({ allowed: false, reason: "missing" });
    expect(result.type === "answer" && !result.decision.allowed && result.decision.message.split("\n")[0]).toBe("HelmRelease apps/cache does not exist: create it first or fix the dependsOn entry");
  });
});

/** A synced, empty HelmRelease cache: every dependency is missing from it. */
function emptyGraphs(): AdmissionGraphs {
  return new AdmissionGraphs([new KindStore({ kind: "HelmRelease", isSynced: () => true, list: () => [], subscribe: () => () => undefined })]);
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const backend = admissionReview({ operation: "CREATE", username: "flux", object: { name: "backend", dependsOn: [{ name: "redis" }] } });

describe("the deny path for a missing dependency", () => {
  it("asks the peers and reads the API server at once, and a peer's pending dry-run allows", async () => {
    const pending = new PendingBatch();
    const asked = deferred<PendingObject[]>();
    const calls: string[] = [];
    const ctx: AdmissionContext = {
      graphs: emptyGraphs(),
      pending,
      policy: DEFAULT_ADMISSION_POLICY,
      peers: {
        ask: (_kind: FluxKind, keys: readonly ObjectKey[]) => {
          calls.push(`ask ${keys.join(",")}`);
          return asked.promise;
        },
      },
      confirmMissing: (deps) => {
        calls.push(`read ${deps.map((d) => objectKeyOf(d.node)).join(",")}`);
        return Promise.resolve(new Map<NodeKey, ReadOutcome>());
      },
    };
    const result = reviewAdmission(backend, ctx);
    expect(result).toBeInstanceOf(Promise);
    await new Promise((r) => setImmediate(r));
    // The read went out while the peer had not answered yet.
    expect(calls).toEqual(["ask default/redis", "read default/redis"]);
    const redis = decodeFluxObject("HelmRelease", fluxManifest({ name: "redis" }));
    asked.resolve([pending.record(redis, { origin: "peer", username: "flux" })]);
    const answer = (await result) as Extract<ReviewResult, { type: "answer" }>;
    expect(answer.decision.allowed).toBe(true);
    expect(answer.askedPeers).toBe(true);
  });

  it("allows what the read finds, and denies what neither the peers nor the API server hold", async () => {
    const redis = decodeFluxObject("HelmRelease", fluxManifest({ name: "redis" }));
    const found = new Map<NodeKey, ReadOutcome>([["HelmRelease/default/redis", { state: "exists", object: redis }]]);
    const none = new Map<NodeKey, ReadOutcome>([["HelmRelease/default/redis", { state: "missing", clusterScoped: false }]]);
    const base = { graphs: emptyGraphs(), pending: new PendingBatch(), policy: DEFAULT_ADMISSION_POLICY, peers: { ask: () => Promise.resolve([]) } };
    const allowed = (await reviewAdmission(backend, { ...base, confirmMissing: () => Promise.resolve(found) })) as Extract<ReviewResult, { type: "answer" }>;
    expect(allowed.decision.allowed).toBe(true);
    const denied = (await reviewAdmission(backend, { ...base, confirmMissing: () => Promise.resolve(none) })) as Extract<ReviewResult, { type: "answer" }>;
    expect(denied.decision.allowed).toBe(false);
    expect(denied.decision.reason).toBe("missing");
  });
});

describe("did you mean, on every path a missing dependency is decided by", () => {
  const typo = (dryRun = false) =>
    admissionReview({ operation: "CREATE", dryRun, object: { kind: "HelmRelease", namespace: "apps", name: "backend", dependsOn: [{ name: "redsi" }] } });
  const base = (): AdmissionContext => ({ graphs: source(), pending: new PendingBatch(), policy: DEFAULT_ADMISSION_POLICY });
  const missingRead: ConfirmMissing = (deps) => Promise.resolve(new Map(deps.map((d) => [d.node, { state: "missing", clusterScoped: false } as ReadOutcome])));
  const nobody = { ask: () => Promise.resolve([] as PendingObject[]) };
  const said = async (result: ReviewResult | Promise<ReviewResult>): Promise<string> => {
    const settled = await result;
    if (settled.type !== "answer") throw new Error(settled.type);
    return settled.decision.allowed ? settled.decision.warnings.join("\n") : settled.decision.message;
  };

  it.each([
    ["after a consistent read", { confirmMissing: missingRead }],
    ["after asking peers who know nothing", { peers: nobody, cacheLagMs: 0 }],
    ["with nothing to ask (no peers, no wait)", { cacheLagMs: 0 }],
  ])("a denial %s names the close name", async (_, extra) => {
    expect(await said(reviewAdmission(typo(), { ...base(), ...extra }))).toContain("HelmRelease apps/redsi does not exist (did you mean apps/redis?)");
  });

  it("a dry-run's warning names it too", async () => {
    expect(await said(reviewAdmission(typo(true), { ...base(), confirmMissing: missingRead }))).toContain("(did you mean apps/redis?)");
  });
});
