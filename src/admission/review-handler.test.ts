import { describe, expect, it } from "vitest";
import { KindStore } from "../cluster/kind-store.js";
import { decodeFluxObject } from "../flux/decode.js";
import type { FluxKind, FluxObject, ObjectKey } from "../graph/types.js";
import { AdmissionGraphs } from "./admission-graphs.js";
import { PendingBatch } from "./pending-batch.js";
import type { PendingObject } from "./pending-batch.js";
import { DEFAULT_ADMISSION_POLICY } from "./policy.js";
import { admissionReview, fluxManifest } from "./review-builder.test-support.js";
import { reviewAdmission } from "./review-handler.js";
import type { AdmissionContext, ReviewResult } from "./review-handler.js";

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
      confirmMissing: (_kind, keys) => {
        calls.push(`read ${keys.join(",")}`);
        return Promise.resolve([]);
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
    const found: FluxObject[] = [decodeFluxObject("HelmRelease", fluxManifest({ name: "redis" }))];
    const base = { graphs: emptyGraphs(), pending: new PendingBatch(), policy: DEFAULT_ADMISSION_POLICY, peers: { ask: () => Promise.resolve([]) } };
    const allowed = (await reviewAdmission(backend, { ...base, confirmMissing: () => Promise.resolve(found) })) as Extract<ReviewResult, { type: "answer" }>;
    expect(allowed.decision.allowed).toBe(true);
    const denied = (await reviewAdmission(backend, { ...base, confirmMissing: () => Promise.resolve([]) })) as Extract<ReviewResult, { type: "answer" }>;
    expect(denied.decision.allowed).toBe(false);
    expect(denied.decision.reason).toBe("missing");
  });
});
