// reviewAdmission for a ResourceSet: the caches of the kinds its entries name must have loaded, and the
// deny path asks one consistent read for every missing dependency, whatever its kind.
import { describe, expect, it } from "vitest";
import type { ConfirmMissing, MissingDependency, ReadOutcome } from "../cluster/missing-read.js";
import { DependencyGraph } from "../graph/dependency-graph.js";
import type { FluxKind, NodeKey } from "../graph/types.js";
import type { AdmissionGraphSource } from "./admission-graphs.js";
import { PendingBatch } from "./pending-batch.js";
import { DEFAULT_ADMISSION_POLICY } from "./policy.js";
import { admissionReview } from "./review-builder.test-support.js";
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
