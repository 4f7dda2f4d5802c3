import { describe, expect, it } from "vitest";
import { MAX_CYCLE_SHOWN } from "./cycle-path.js";
import {
  blockedMessage,
  crossNamespaceMessage,
  cycleMessage,
  denialMessage,
  cycleProblemMessage,
  gateOpenedMessage,
  invalidNameMessage,
  missingProblemMessage,
  ownOutputMessage,
  readyExprMessage,
  sharedNameIn,
  selfDependencyMessage,
} from "./messages.js";
import { boundedPath, PATH_TAIL } from "./gate-path.js";
import type { BlockedGate } from "./types.js";

describe("problem messages: what is wrong, then what to do", () => {
  it("words each problem as the design shows", () => {
    expect(cycleProblemMessage(["default/backend", "default/redis", "default/backend"])).toBe(
      "dependency cycle default/backend → default/redis → default/backend: remove one of these dependsOn entries",
    );
    expect(selfDependencyMessage("default/backend")).toBe("default/backend depends on itself: remove that dependsOn entry");
    expect(missingProblemMessage("HelmRelease", "default/redsi", ["default/redis"])).toBe(
      "HelmRelease default/redsi does not exist (did you mean default/redis?): create it first or fix the dependsOn entry",
    );
    expect(missingProblemMessage("Kustomization", "flux-system/infra", [])).toBe(
      "Kustomization flux-system/infra does not exist: create it first or fix the dependsOn entry",
    );
    expect(missingProblemMessage("HelmRelease", "a/x", ["a/y", "a/z", "b/x"])).toContain("(did you mean a/y, a/z or b/x?)");
    expect(invalidNameMessage(0, "monitoring/prometheus")).toBe(
      'dependsOn[0].name "monitoring/prometheus" is not a valid object name: use {name: prometheus, namespace: monitoring}',
    );
    expect(invalidNameMessage(2, "")).toBe("dependsOn[2].name is empty: set it to the name of the object to depend on");
    expect(crossNamespaceMessage("default/app", "monitoring/prometheus")).toContain("move it into namespace default or");
    expect(readyExprMessage(1, "undeclared reference to 'foo'")).toBe(
      "dependsOn[1].readyExpr does not compile: undeclared reference to 'foo': fix the CEL expression",
    );
  });
});

describe("gate messages for Events", () => {
  it("names the root cause, and the path when it is more than one hop away", () => {
    const direct: BlockedGate = { state: "blocked", reason: "Failed", rootCause: "default/redis", rootCauseMessage: "install retries exhausted", via: "default/redis", depth: 1, tail: ["default/redis"] };
    expect(blockedMessage(direct)).toBe("blocked by default/redis: install retries exhausted");
    expect(blockedMessage({ ...direct, via: "default/api", depth: 2, tail: ["default/api", "default/redis"] })).toBe(
      "blocked by default/redis via default/api: install retries exhausted",
    );
    expect(
      blockedMessage({ state: "blocked", reason: "Missing", rootCause: "default/redis", rootCauseMessage: "HelmRelease default/redis does not exist", via: "default/redis", depth: 1, tail: ["default/redis"] }),
    ).toBe("blocked by default/redis: HelmRelease default/redis does not exist: create it or fix the dependsOn entry");
    const cycle: BlockedGate = {
      state: "blocked",
      reason: "Cycle",
      rootCause: "default/backend",
      rootCauseMessage: "dependency cycle default/backend → default/redis → default/backend",
      via: "default/redis",
      depth: 2,
      tail: ["default/redis", "default/backend"],
      onCycle: true,
    };
    expect(blockedMessage(cycle)).toBe("blocked by dependency cycle default/backend → default/redis → default/backend: remove one of these dependsOn entries");
    // web → frontend → backend, where backend is on the cycle: web names the dependency it is blocked through.
    expect(
      blockedMessage({ ...cycle, via: "default/frontend", depth: 4, tail: ["default/frontend", "default/backend", "default/redis", "default/backend"], onCycle: undefined }),
    ).toBe("blocked by dependency cycle default/backend → default/redis → default/backend via default/frontend: remove one of these dependsOn entries");
  });

  it("shortens a long path in the middle: the first hops, how many more, the last six", () => {
    const chain = Array.from({ length: 3000 }, (_, i) => `default/r${i}`);
    // r3000 → r2999 → … → r0 (failed): each hop's gate inherits the next one's.
    const gates = new Map<string, BlockedGate>();
    for (let i = 0; i < chain.length; i++) {
      const path = chain.slice(0, chain.length - i).reverse();
      gates.set(`default/r${chain.length - i}`, { state: "blocked", reason: "Failed", rootCause: "default/r0", rootCauseMessage: "install retries exhausted", via: path[0]!, depth: path.length, tail: path.slice(-PATH_TAIL) });
    }
    const top = gates.get("default/r3000")!;
    const expected =
      "blocked by default/r0 via default/r2999 → default/r2998 → default/r2997 → default/r2996 → default/r2995 → default/r2994 → … 2988 more … → " +
      "default/r5 → default/r4 → default/r3 → default/r2 → default/r1: install retries exhausted";
    expect(blockedMessage(top, undefined, boundedPath(top, (key) => gates.get(key)))).toBe(expected);
    // From the gate alone (the Events' words): its first hop, then the tail.
    expect(blockedMessage(top)).toBe("blocked by default/r0 via default/r2999 → … 2993 more … → default/r5 → default/r4 → default/r3 → default/r2 → default/r1: install retries exhausted");
    expect(blockedMessage(top).length).toBeLessThan(300);
  });

  it("keeps the path's tail at half the cycle message's bound", () => {
    expect(PATH_TAIL * 2).toBe(MAX_CYCLE_SHOWN);
  });

  it("opens", () => {
    expect(gateOpenedMessage(["default/redis"])).toBe("gate open: dependency default/redis is Ready");
  });
});

describe("bounded messages", () => {
  it("shortens a cycle of more than 12 objects in the middle", () => {
    const members = Array.from({ length: 20 }, (_, i) => `default/r${i}`);
    const message = cycleMessage([...members, members[0]!]);
    expect(message).toBe(
      "dependency cycle default/r0 → default/r1 → default/r2 → default/r3 → default/r4 → default/r5 → … 8 more … → " +
        "default/r14 → default/r15 → default/r16 → default/r17 → default/r18 → default/r19 → default/r0",
    );
    const twelve = Array.from({ length: 12 }, (_, i) => `default/r${i}`);
    expect(cycleMessage([...twelve, twelve[0]!])).toBe(`dependency cycle ${[...twelve, twelve[0]].join(" → ")}`);
  });

  it("names at most 10 problems in a denial, then how many more", () => {
    const lines = Array.from({ length: 13 }, (_, i) => `problem ${i}`);
    expect(denialMessage(lines).split("\n")).toEqual([...lines.slice(0, 10), "and 3 more problems"]);
    expect(denialMessage(lines.slice(0, 10))).toBe(lines.slice(0, 10).join("\n"));
    expect(denialMessage(lines.slice(0, 11)).endsWith("and 1 more problem")).toBe(true);
  });

  it("names the kinds of a one-kind cycle when another kind's object has one of its names", () => {
    const cycle = ["Kustomization/apps/web", "Kustomization/system/cache", "Kustomization/apps/web"];
    const nodes = new Set([...cycle, "HelmRelease/system/cache"]);
    expect(cycleMessage(cycle, sharedNameIn((node) => nodes.has(node)))).toBe(
      "dependency cycle Kustomization apps/web → Kustomization system/cache → Kustomization apps/web",
    );
    nodes.delete("HelmRelease/system/cache");
    expect(cycleMessage(cycle, sharedNameIn((node) => nodes.has(node)))).toBe("dependency cycle apps/web → system/cache → apps/web");
  });

  it("names every place of a cycle that spans files, and none when it is in one file", () => {
    const cycle = ["HelmRelease/default/a", "HelmRelease/default/b", "HelmRelease/default/a"];
    expect(cycleProblemMessage(cycle, undefined, ["x/a.yaml:4", "y/b.yaml:9", "x/a.yaml:4"])).toBe(
      "dependency cycle default/a → default/b → default/a (defined at x/a.yaml:4, y/b.yaml:9): remove one of these dependsOn entries",
    );
    expect(cycleProblemMessage(cycle, undefined, ["x/all.yaml:4", "x/all.yaml:20"])).toBe("dependency cycle default/a → default/b → default/a: remove one of these dependsOn entries");
  });

  it("names each member's kind when a cycle crosses kinds, and none when it is of one kind", () => {
    expect(cycleMessage(["ResourceSet/apps/platform", "HelmRelease/apps/redis", "ResourceSet/apps/platform"])).toBe(
      "dependency cycle ResourceSet apps/platform → HelmRelease apps/redis → ResourceSet apps/platform",
    );
    expect(cycleMessage(["HelmRelease/default/redis", "HelmRelease/default/backend", "HelmRelease/default/redis"])).toBe(
      "dependency cycle default/redis → default/backend → default/redis",
    );
    const blocked: BlockedGate = { state: "blocked", reason: "Failed", rootCause: "HelmRelease/apps/redis", rootCauseMessage: "install retries exhausted", via: "HelmRelease/apps/redis", depth: 1, tail: ["HelmRelease/apps/redis"] };
    expect(blockedMessage(blocked, "HelmRelease")).toBe("blocked by apps/redis: install retries exhausted");
    expect(blockedMessage(blocked, "ResourceSet")).toBe("blocked by HelmRelease apps/redis: install retries exhausted");
  });

  it("says how a ResourceSet waits for its own output, naming every kind, shortening a long path", () => {
    expect(ownOutputMessage(["ResourceSet/apps/platform", "HelmRelease/apps/cache"])).toBe(
      "ResourceSet apps/platform depends on HelmRelease apps/cache, which it generates itself, so it would wait for its own output for ever: remove that dependsOn entry, or generate HelmRelease apps/cache elsewhere",
    );
    expect(ownOutputMessage(["ResourceSet/apps/platform", "ResourceSet/apps/infra", "HelmRelease/apps/cache"])).toBe(
      "ResourceSet apps/platform waits for its own output: ResourceSet apps/platform → ResourceSet apps/infra → HelmRelease apps/cache, which it generates itself: remove one of these dependsOn entries",
    );
    const long = ["ResourceSet/apps/platform", ...Array.from({ length: 20 }, (_, i) => `HelmRelease/apps/h${i}`)];
    const message = ownOutputMessage(long);
    expect(message).toContain("HelmRelease apps/h4 → … 9 more … → HelmRelease apps/h14");
    expect(message.split(" → ")).toHaveLength(13);
  });

  it("names every member's kind in a cycle through a ResourceSet", () => {
    expect(cycleMessage(["ResourceSet/apps/a", "ResourceSet/apps/b", "ResourceSet/apps/a"])).toBe("dependency cycle ResourceSet apps/a → ResourceSet apps/b → ResourceSet apps/a");
    expect(cycleMessage(["HelmRelease/apps/a", "HelmRelease/apps/b", "HelmRelease/apps/a"])).toBe("dependency cycle apps/a → apps/b → apps/a");
  });
});
