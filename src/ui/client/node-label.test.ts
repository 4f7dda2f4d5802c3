import { describe, expect, it } from "vitest";
import type { GraphNode } from "../graph-snapshot.js";
import { accessibleName, changeAnnouncement } from "./node-label.js";

function node(name: string, extra: Partial<GraphNode> = {}): GraphNode {
  return { id: `HelmRelease/default/${name}`, kind: "HelmRelease", namespace: "default", name, state: "open", message: "gate open", conditions: [], dependencies: [], ...extra };
}

describe("node labels", () => {
  it("say the state in words, never by colour alone", () => {
    expect(accessibleName(node("redis", { health: "failed" }), true)).toBe("HelmRelease default/redis, failed, root cause, gate open");
  });

  it("announce the objects whose state changed, three at most", () => {
    const blocked = (name: string) => node(name, { state: "blocked", reason: "Failed" });
    expect(changeAnnouncement([{ before: blocked("backend"), after: node("backend", { health: "progressing" }) }])).toBe("HelmRelease default/backend: now progressing");
    // Same words (a new message only), a ghost: nothing to say.
    expect(changeAnnouncement([{ before: node("a"), after: node("a", { message: "other" }) }, { before: undefined, after: node("x", { state: "missing", ghost: true }) }])).toBe("");
    const many = ["a", "b", "c", "d", "e"].map((name) => ({ before: blocked(name), after: node(name) }));
    expect(changeAnnouncement(many)).toBe("HelmRelease default/a: now open; HelmRelease default/b: now open; HelmRelease default/c: now open; and 2 more");
  });
});
