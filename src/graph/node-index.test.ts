import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NodeIndex } from "./node-index.js";

const KINDS = ["HelmRelease", "Kustomization", "Deployment"];
const NAMESPACES = ["default", "apps", "a", "flux-system", ""];
// "é" fits a byte, "名" does not (its key is confirmed against the string instead of the key bytes).
const NAMES = ["a", "b", "redis", "redis-0", "db", "a.b", "x/y", "café", "名前", "a名"];

const part = <T>(values: readonly T[]): fc.Arbitrary<T> => fc.constantFrom(...values);
const node = fc.tuple(part(KINDS), part(NAMESPACES), part(NAMES));
type Step = { op: "add" | "remove"; node: [string, string, string] };
const steps = fc.array(fc.record({ op: fc.constantFrom<"add" | "remove">("add", "add", "remove"), node }), { maxLength: 300 });

/** The oracle: a plain Map by key, ids handed out as the index does (recycled last freed first). */
function check(run: Step[]): void {
  const index = new NodeIndex();
  const oracle = new Map<string, number>();
  for (const { op, node: [kind, namespace, name] } of run) {
    const key = `${kind}/${namespace}/${name}`;
    const found = index.find(kind, namespace, name);
    expect(found).toBe(oracle.get(key) ?? -1);
    // findOrAdd whenever the oracle holds an even number of keys: the same id as find, or a new one as add would give it (as -(id + 1)).
    if (op === "add" && found < 0) {
      const id = oracle.size % 2 === 0 ? -index.findOrAdd(kind, namespace, name) - 1 : index.add(kind, namespace, name);
      oracle.set(key, id);
      // Half the keys name an object (held): only those are "did you mean" candidates.
      if (name.length % 2 === 1) index.hold(id);
    } else if (op === "add") {
      expect(index.findOrAdd(kind, namespace, name)).toBe(found);
    }
    if (op === "remove" && found >= 0) {
      index.remove(found);
      oracle.delete(key);
    }
    for (const [other, id] of oracle) {
      expect(index.findKey(other)).toBe(id);
      expect(index.keyOf(id)).toBe(other);
    }
    // The "did you mean" candidates, kept up to date by every add and remove after the first call.
    if (key.length % 3 === 0) {
      const slack = oracle.size % 4;
      const expected = [...oracle].filter(([other]) => {
        // Kind and namespace hold no "/"; the name is the rest.
        const [k, ns, ...rest] = other.split("/");
        const otherName = rest.join("/");
        return otherName.length % 2 === 1 && k === kind && ((ns === namespace && Math.abs(otherName.length - name.length) <= slack) || otherName === name);
      });
      expect([...index.sameNamespaceOrName(kind, namespace, name, slack)].sort((a, b) => a - b)).toEqual(expected.map(([, id]) => id).sort((a, b) => a - b));
    }
  }
  expect(new Set(oracle.values()).size).toBe(oracle.size);
}

describe("NodeIndex", () => {
  it("finds every key added and no other, by parts and whole, through adds and removes (Map oracle)", () => {
    fc.assert(fc.property(steps, check), { numRuns: 300 });
  });

  it("keeps its answers through many adds and removes (the table grows and entries shift back)", () => {
    const index = new NodeIndex();
    const ids = new Map<string, number>();
    for (let i = 0; i < 5000; i++) ids.set(`r-${i}`, index.add("HelmRelease", `ns-${i % 7}`, `r-${i}`));
    for (let i = 0; i < 5000; i += 2) index.remove(ids.get(`r-${i}`)!);
    index.reserve(20_000);
    for (let i = 0; i < 5000; i++) {
      const expected = i % 2 === 0 ? -1 : ids.get(`r-${i}`)!;
      expect(index.find("HelmRelease", `ns-${i % 7}`, `r-${i}`)).toBe(expected);
      expect(index.findKey(`HelmRelease/ns-${i % 7}/r-${i}`)).toBe(expected);
    }
    expect(index.find("Kustomization", "ns-1", "r-1")).toBe(-1);
    expect(index.findKey("r-1")).toBe(-1);
  });

  it("keeps its answers while the key bytes of freed ids are reclaimed, over and over", () => {
    const index = new NodeIndex();
    const live = new Map<string, number>();
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 200; i++) {
        const name = `r-${round}-${i}${i % 50 === 0 ? "-名" : ""}`;
        live.set(name, index.add("HelmRelease", `ns-${i % 3}`, name));
      }
      // Free most of what is there, so freed bytes soon outweigh the live ones.
      for (const [name, id] of [...live]) {
        if (name.endsWith("7") || name.endsWith("3")) continue;
        index.remove(id);
        live.delete(name);
      }
      for (const [name, id] of live) {
        const namespace = `ns-${Number(name.split("-")[2]) % 3}`;
        expect(index.find("HelmRelease", namespace, name)).toBe(id);
        expect(index.findKey(`HelmRelease/${namespace}/${name}`)).toBe(id);
        expect(index.keyOf(id)).toBe(`HelmRelease/${namespace}/${name}`);
      }
    }
    expect(index.find("HelmRelease", "ns-0", "r-0-0")).toBe(-1);
  });

  it("lists the ids of a kind in a namespace or with a name, nothing of another kind", () => {
    const index = new NodeIndex();
    const add = (kind: string, namespace: string, name: string): number => {
      const id = index.add(kind, namespace, name);
      index.hold(id);
      return id;
    };
    const inApps = add("HelmRelease", "apps", "redis");
    const inAppsToo = add("HelmRelease", "apps", "db");
    const sameName = add("HelmRelease", "cache", "redis");
    add("HelmRelease", "cache", "db");
    add("Kustomization", "apps", "redis");
    add("HelmRelease", "apps-2", "x");
    const gone = add("HelmRelease", "apps", "old");
    index.remove(gone);
    index.add("HelmRelease", "apps", "cache");
    index.drop(add("HelmRelease", "apps", "dropped"));
    expect([...index.sameNamespaceOrName("HelmRelease", "apps", "redis", 3)].sort()).toEqual([inApps, inAppsToo, sameName].sort());
    // Within one character of "redis" in length: "db" is too short.
    expect([...index.sameNamespaceOrName("HelmRelease", "apps", "redis", 1)].sort()).toEqual([inApps, sameName].sort());
  });
});
