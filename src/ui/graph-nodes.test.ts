import { describe, expect, it } from "vitest";
import { release } from "../graph/test-helpers.test-support.js";
import { snapshotOfObjects } from "./graph-nodes.js";

describe("snapshotOfObjects", () => {
  it("gives each object its gate in the Events' words, the root cause and path as node ids, and ghosts", () => {
    const snapshot = snapshotOfObjects(
      [
        release("default/redis", { status: "failed", message: "install retries exhausted" }),
        release("default/backend", { dependsOn: ["redis"], status: "progressing" }),
        release("default/web", { dependsOn: ["backend", "redsi"] }),
        release("default/a", { dependsOn: ["b"] }),
        release("default/b", { dependsOn: ["a"] }),
      ],
      "files",
    );
    const byId = new Map(snapshot.nodes.map((n) => [n.id, n]));
    expect(byId.get("HelmRelease/default/backend")).toMatchObject({
      state: "blocked",
      reason: "Failed",
      rootCause: "HelmRelease/default/redis",
      path: ["HelmRelease/default/redis"],
      rootCauseMessage: "install retries exhausted",
      message: "blocked by default/redis: install retries exhausted",
      dependencies: ["HelmRelease/default/redis"],
    });
    expect(byId.get("HelmRelease/default/redis")).toMatchObject({ state: "open", health: "failed", message: "failed: InstallFailed: install retries exhausted (gate open: every dependency is Ready)" });
    expect(byId.get("HelmRelease/default/redsi")).toMatchObject({ ghost: true, state: "missing", message: "HelmRelease default/redsi does not exist" });
    expect(byId.get("HelmRelease/default/web")).toMatchObject({ state: "blocked", reason: "Missing" });
    expect(byId.get("HelmRelease/default/a")).toMatchObject({ reason: "Cycle", cycle: true });
    expect(snapshot.nodes).toHaveLength(6);
  });

  it("sends a bounded path for a 3,000-object chain: the first six hops, how many more, the last six", () => {
    const objects = Array.from({ length: 3000 }, (_, i) => release(`default/r${i}`, { dependsOn: i === 0 ? [] : [`r${i - 1}`], status: i === 0 ? "failed" : "progressing" }));
    const snapshot = snapshotOfObjects(objects, "files");
    for (const node of snapshot.nodes) expect(node.path?.length ?? 0).toBeLessThanOrEqual(12);
    const top = snapshot.nodes.find((n) => n.id === "HelmRelease/default/r2999")!;
    expect(top.path).toEqual([
      ...[2998, 2997, 2996, 2995, 2994, 2993].map((i) => `HelmRelease/default/r${i}`),
      ...[5, 4, 3, 2, 1, 0].map((i) => `HelmRelease/default/r${i}`),
    ]);
    expect(top).toMatchObject({ pathOmitted: 2987, pathOmittedAt: 6, rootCause: "HelmRelease/default/r0" });
    // The whole snapshot grows with the objects, not with their depth.
    expect(JSON.stringify(snapshot).length).toBeLessThan(3000 * 2000);
  });
});
