// kustomize-controller's second readiness rule (docs/architecture.md, "Readiness"): a dependency that
// shares the dependent's sourceRef must have applied the source's current artifact revision.
import { describe, expect, it } from "vitest";
import { computeGateStates, GateTracker } from "./gates.js";
import { blockedMessage } from "./messages.js";
import { unappliedRevision } from "./readiness.js";
import { release } from "./test-helpers.test-support.js";
import type { FluxObject, SourceRef } from "./types.js";

const repo: SourceRef = { kind: "GitRepository", namespace: "flux-system", name: "flux-system" };
const other: SourceRef = { kind: "GitRepository", namespace: "flux-system", name: "apps-repo" };

function ks(key: string, options: { dependsOn?: string[]; source?: SourceRef; applied?: string; suspend?: boolean } = {}): FluxObject {
  const obj = release(key, { kind: "Kustomization", dependsOn: options.dependsOn ?? [], ...(options.suspend !== undefined ? { suspend: options.suspend } : {}) });
  obj.apiVersion = "kustomize.toolkit.fluxcd.io/v1";
  obj.sourceRef = options.source ?? repo;
  if (options.applied !== undefined) obj.status = { ...obj.status, lastAppliedRevision: options.applied };
  return obj;
}

describe("the source revision rule", () => {
  it("blocks on a Ready dependency of the same source that has not applied its revision; suspended, it is the root cause", () => {
    const tracker = new GateTracker([
      ks("flux-system/infra", { applied: "main@sha1:old", suspend: true }),
      ks("flux-system/apps", { dependsOn: ["infra"], applied: "main@sha1:old" }),
    ]);
    expect(tracker.state("Kustomization/flux-system/apps")).toEqual({ state: "open" });
    const changes = tracker.setSourceRevision(repo, "main@sha1:new");
    expect(changes.map((c) => c.key)).toEqual(["Kustomization/flux-system/apps"]);
    const gate = tracker.state("Kustomization/flux-system/apps")!;
    expect(gate).toEqual({
      state: "blocked",
      reason: "Suspended",
      rootCause: "Kustomization/flux-system/infra",
      rootCauseMessage: "suspended; has not applied revision main@sha1:new",
      via: "Kustomization/flux-system/infra", depth: 1, tail: ["Kustomization/flux-system/infra"],
    });
    expect(blockedMessage(gate)).toBe("blocked by flux-system/infra: suspended; has not applied revision main@sha1:new: resume it to continue");
    // The full computation agrees with the incremental one.
    expect(computeGateStates(tracker.graph, { revisionOf: (ref) => (ref.name === repo.name ? "main@sha1:new" : undefined) }).get("Kustomization/flux-system/apps")).toEqual(gate);
  });

  it("opens once the dependency applies the revision; a dependency still catching up is NotReady", () => {
    const tracker = new GateTracker([
      ks("flux-system/infra", { applied: "main@sha1:old" }),
      ks("flux-system/apps", { dependsOn: ["infra"] }),
    ]);
    tracker.setSourceRevision(repo, "main@sha1:new");
    expect(tracker.state("Kustomization/flux-system/apps")).toMatchObject({
      reason: "NotReady",
      rootCauseMessage: "revision is not up to date: applied main@sha1:old, the source is at main@sha1:new",
    });
    const changes = tracker.upsert(ks("flux-system/infra", { applied: "main@sha1:new" }));
    expect(changes.find((c) => c.key === "Kustomization/flux-system/apps")?.after).toEqual({ state: "open" });
  });

  it("applies only to Kustomizations of the same source whose source has an artifact", () => {
    const infra = ks("flux-system/infra", { applied: "main@sha1:old" });
    const fromOther = ks("flux-system/apps", { dependsOn: ["infra"], source: other });
    const revisions = { revisionOf: () => "main@sha1:new" };
    expect(unappliedRevision(infra, fromOther, revisions)).toBeUndefined();
    expect(unappliedRevision(infra, ks("flux-system/apps", { dependsOn: ["infra"] }), revisions)).toBe("main@sha1:new");
    expect(unappliedRevision(infra, ks("flux-system/apps"), { revisionOf: () => undefined })).toBeUndefined();
    const helm = release("flux-system/infra");
    expect(unappliedRevision(helm, release("Kustomization/flux-system/apps"), revisions)).toBeUndefined();
    const tracker = new GateTracker([infra, fromOther]);
    expect(tracker.setSourceRevision(repo, "main@sha1:new")).toEqual([]);
    expect(tracker.state("Kustomization/flux-system/apps")).toEqual({ state: "open" });
  });
});
