import { describe, expect, it } from "vitest";
import { release } from "../graph/test-helpers.test-support.js";
import { snapshotOfObjects } from "./graph-nodes.js";
import { renderChain, whyChain } from "./why-chain.js";

describe("whyChain", () => {
  const snapshot = snapshotOfObjects(
    [
      release("default/redis", { status: "failed", message: "install retries exhausted" }),
      release("default/backend", { dependsOn: ["redis"], status: "progressing" }),
      release("default/web", { dependsOn: ["backend"], status: "progressing" }),
      release("default/a", { dependsOn: ["b"] }),
      release("default/b", { dependsOn: ["a"] }),
    ],
    "files",
  );

  it("goes from the object to its root cause, one indented line each, the root cause saying why", () => {
    expect(renderChain(whyChain(snapshot, "HelmRelease/default/web")!)).toBe(
      [
        "HelmRelease default/web  blocked (Failed): blocked by default/redis via default/backend: install retries exhausted",
        "└─ HelmRelease default/backend  blocked (Failed): blocked by default/redis: install retries exhausted",
        "   └─ HelmRelease default/redis  failed (InstallFailed) [root cause]: install retries exhausted",
        "",
      ].join("\n"),
    );
  });

  it("marks where a cycle closes", () => {
    const lines = whyChain(snapshot, "HelmRelease/default/a")!;
    expect(lines.map((l) => [l.id, l.repeats])).toEqual([
      ["HelmRelease/default/a", false],
      ["HelmRelease/default/b", false],
      ["HelmRelease/default/a", true],
    ]);
  });

  it("is undefined for an object that is not there", () => {
    expect(whyChain(snapshot, "HelmRelease/default/nope")).toBeUndefined();
  });

  it("shows a 3,000-object chain bounded: six hops, how many more, six more ending at the root cause", () => {
    const chain = snapshotOfObjects(
      Array.from({ length: 3000 }, (_, i) => release(`default/r${i}`, { dependsOn: i === 0 ? [] : [`r${i - 1}`], status: i === 0 ? "failed" : "progressing", ...(i === 0 ? { message: "install retries exhausted" } : {}) })),
      "files",
    );
    const lines = renderChain(whyChain(chain, "HelmRelease/default/r2999")!).trimEnd().split("\n");
    expect(lines).toHaveLength(14);
    expect(lines[1]).toContain("HelmRelease default/r2998");
    expect(lines[7]).toMatch(/└─ … 2987 more …$/);
    expect(lines[8]).toContain("HelmRelease default/r5");
    expect(lines[13]).toContain("HelmRelease default/r0");
    expect(lines[13]).toContain("[root cause]: install retries exhausted");
  });
});
