import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { shownPositions } from "./cycle-path.js";
import { cycleThrough, findCycles, findCycleThrough } from "./cycles.js";
import type { GraphView } from "./dependency-graph.js";
import { DependencyGraph } from "./dependency-graph.js";
import { arbitraryGraph, buildGraph } from "./arbitraries.test-support.js";
import { release } from "./test-helpers.test-support.js";
import { overlayGraph, withExtraEdges } from "./graph-overlay.js";
import { cycleMessage, sharedNameIn } from "./messages.js";
import { nodeOf, resolveDependencies, splitNodeKey } from "./refs.js";
import type { DependencyEntry, FluxKind, ObjectKey } from "./types.js";

function graphOf(...objects: ReturnType<typeof release>[]): DependencyGraph {
  const graph = new DependencyGraph();
  for (const obj of objects) graph.upsert(obj);
  return graph;
}

describe("findCycles", () => {
  it("finds nothing in the backend → redis chain", () => {
    expect(findCycles(graphOf(release("default/backend", { dependsOn: ["redis"] }), release("default/redis")))).toEqual(
      [],
    );
  });

  it("finds the backend ↔ redis cycle, starting at the smallest key", () => {
    const graph = graphOf(release("default/redis", { dependsOn: ["backend"] }), release("default/backend", { dependsOn: ["redis"] }));
    expect(findCycles(graph)).toEqual([["HelmRelease/default/backend", "HelmRelease/default/redis", "HelmRelease/default/backend"]]);
  });

  it("finds a 3-node cycle as one path through all members", () => {
    const graph = graphOf(
      release("default/a", { dependsOn: ["b"] }),
      release("default/b", { dependsOn: ["c"] }),
      release("default/c", { dependsOn: ["a"] }),
      release("default/d", { dependsOn: ["a"] }),
    );
    expect(findCycles(graph)).toEqual([["HelmRelease/default/a", "HelmRelease/default/b", "HelmRelease/default/c", "HelmRelease/default/a"]]);
  });

  it("reports a self-loop and ignores edges to missing objects", () => {
    const graph = graphOf(release("default/a", { dependsOn: ["a", "ghost"] }));
    expect(findCycles(graph)).toEqual([["HelmRelease/default/a", "HelmRelease/default/a"]]);
  });

  it("falls back to a real cycle when no simple cycle covers the component", () => {
    // hub ↔ x and hub ↔ y: no simple cycle through all three.
    const graph = graphOf(
      release("default/hub", { dependsOn: ["x", "y"] }),
      release("default/x", { dependsOn: ["hub"] }),
      release("default/y", { dependsOn: ["hub"] }),
    );
    expect(findCycles(graph)).toEqual([["HelmRelease/default/hub", "HelmRelease/default/x", "HelmRelease/default/hub"]]);
  });

  it("handles a 30k-node chain closed into one cycle without recursion", () => {
    const graph = new DependencyGraph();
    const n = 30_000;
    for (let i = 0; i < n; i++) graph.upsert(release(`default/r${i}`, { dependsOn: [`r${(i + 1) % n}`] }));
    const cycles = findCycles(graph);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(n + 1);
  });
});

describe("findCycleThrough", () => {
  const graph = graphOf(
    release("default/backend", { dependsOn: ["redis"] }),
    release("default/redis", { dependsOn: ["db"] }),
    release("default/db"),
  );

  it("says which new edge would close a cycle, with the whole path", () => {
    expect(findCycleThrough(graph, "HelmRelease/default/db", ["HelmRelease/default/backend"])).toEqual([
      "HelmRelease/default/db",
      "HelmRelease/default/backend",
      "HelmRelease/default/redis",
      "HelmRelease/default/db",
    ]);
  });

  it("returns undefined when no cycle closes, and [x, x] for a self-dependency", () => {
    expect(findCycleThrough(graph, "HelmRelease/default/backend", ["HelmRelease/default/db"])).toBeUndefined();
    expect(findCycleThrough(graph, "HelmRelease/default/db", ["HelmRelease/default/db"])).toEqual(["HelmRelease/default/db", "HelmRelease/default/db"]);
  });

  it("works for an object that is not in the graph yet", () => {
    const g = graphOf(release("default/backend", { dependsOn: ["redis"] }));
    expect(findCycleThrough(g, "HelmRelease/default/redis", ["HelmRelease/default/backend"])).toEqual(["HelmRelease/default/redis", "HelmRelease/default/backend", "HelmRelease/default/redis"]);
  });

  it("visits only what is reachable from the new edges", () => {
    const visited = new Set<ObjectKey>();
    const big = new DependencyGraph();
    for (let i = 0; i < 1000; i++) big.upsert(release(`default/r${i}`, { dependsOn: i > 0 ? [`r${i - 1}`] : [] }));
    const spy: GraphView = {
      has: (k) => big.has(k),
      get: (k) => big.get(k),
      keys: () => big.keys(),
      dependencyKeys: (k) => {
        visited.add(k);
        return big.dependencyKeys(k);
      },
    };
    expect(findCycleThrough(spy, "HelmRelease/default/r500", ["HelmRelease/default/r3"])).toBeUndefined();
    expect([...visited].sort()).toEqual(["HelmRelease/default/r0", "HelmRelease/default/r1", "HelmRelease/default/r2", "HelmRelease/default/r3"]);
  });
});

// Oracles: plain depth-first reachability, no cleverness.
function reaches(graph: GraphView, from: ObjectKey, to: ObjectKey, edges: (k: ObjectKey) => readonly ObjectKey[]): boolean {
  const seen = new Set<ObjectKey>();
  const stack = [...edges(from)];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (v === to) return true;
    if (seen.has(v) || !graph.has(v)) continue;
    seen.add(v);
    stack.push(...edges(v));
  }
  return false;
}

function isClosedPath(graph: GraphView, path: readonly ObjectKey[], edges: (k: ObjectKey) => readonly ObjectKey[]): boolean {
  if (path.length < 2 || path[0] !== path[path.length - 1]) return false;
  for (let i = 0; i + 1 < path.length; i++) {
    if (!graph.has(path[i + 1]!) && i + 1 < path.length - 1) return false;
    if (!edges(path[i]!).includes(path[i + 1]!)) return false;
  }
  return true;
}

describe("cycles against a brute-force oracle", () => {
  it("findCycles covers exactly the objects that reach themselves, with real closed paths", () => {
    fc.assert(
      fc.property(arbitraryGraph(), (objects) => {
        const graph = buildGraph(objects);
        const edges = (k: ObjectKey) => graph.dependencyKeys(k);
        const expected = [...graph.keys()].filter((k) => reaches(graph, k, k, edges)).sort();
        const cycles = findCycles(graph);
        const covered = new Set<ObjectKey>();
        for (const cycle of cycles) {
          expect(isClosedPath(graph, cycle, edges)).toBe(true);
          // A closed path stays inside one component, so every member is on a cycle.
          for (const k of cycle) covered.add(k);
        }
        // Each component is reported once; a member missing from a fallback path is still on a cycle
        // with the members shown, so compare the component starts and the covered set.
        expect([...covered].every((k) => expected.includes(k))).toBe(true);
        const starts = cycles.map((c) => c[0]!);
        expect(new Set(starts).size).toBe(starts.length);
        expect(starts).toEqual([...starts].sort());
        for (const k of expected) {
          // k shares a component with exactly one reported start.
          const sameComponent = starts.filter((s) => s === k || (reaches(graph, k, s, edges) && reaches(graph, s, k, edges)));
          expect(sameComponent).toHaveLength(1);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("findCycleThrough agrees with 'after replacing from's edges, does from reach itself?'", () => {
    fc.assert(
      fc.property(arbitraryGraph(), fc.nat(), fc.array(fc.nat(), { maxLength: 4 }), (objects, fromPick, depPicks) => {
        const graph = buildGraph(objects);
        const keys = [...graph.keys()];
        const pool = [...keys, "HelmRelease/default/ghost", "HelmRelease/other/a"];
        const from = pool[fromPick % pool.length]!;
        const deps = [...new Set(depPicks.map((p) => pool[p % pool.length]!))];
        const edges = (k: ObjectKey) => (k === from ? deps : graph.dependencyKeys(k));
        const overlay: GraphView = { ...viewOf(graph), has: (k) => k === from || graph.has(k) };
        const expected = reaches(overlay, from, from, edges);
        const path = findCycleThrough(graph, from, deps);
        expect(path !== undefined).toBe(expected);
        if (path !== undefined) {
          expect(isClosedPath(overlay, path, edges)).toBe(true);
          expect(path[0]).toBe(from);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("findCycleThrough on the graph's ids", () => {
  it("gives the very path the key-by-key search gives (the same shortest, first-in-dependsOn-order cycle)", () => {
    fc.assert(
      fc.property(arbitraryGraph(), fc.nat(), fc.array(fc.nat(), { maxLength: 4 }), (objects, fromPick, depPicks) => {
        const graph = buildGraph(objects);
        const pool = [...graph.keys(), "HelmRelease/default/ghost", "HelmRelease/other/a"];
        const from = pool[fromPick % pool.length]!;
        const deps = [...new Set(depPicks.map((p) => pool[p % pool.length]!))];
        // viewOf hides the DependencyGraph, so that call takes the key-by-key search.
        expect(findCycleThrough(graph, from, deps)).toEqual(findCycleThrough(viewOf(graph), from, deps));
      }),
      { numRuns: 500 },
    );
  });
});

describe("cycleThrough: the bounded answer for messages", () => {
  const kinds: FluxKind[] = ["HelmRelease", "HelmRelease", "HelmRelease", "Kustomization", "ResourceSet"];
  // A chain o0 ← o1 ← … ← o(n-1) (each depending on the one before) with random shortcuts back down the
  // chain, random kinds, and sometimes another kind's object of a member's name (the message must then name
  // kinds). The new edge o0 → o(n-1) closes a cycle whose shortest length the shortcuts decide.
  const arbitraryChain = fc
    .integer({ min: 2, max: 60 })
    .chain((n) =>
      fc.record({
        n: fc.constant(n),
        kindAt: fc.array(fc.constantFrom(...kinds), { minLength: n, maxLength: n }),
        shortcuts: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 12 }),
        twin: fc.option(fc.nat(n - 1), { freq: 3 }),
      }),
    );

  it("names the shortest cycle, of the length a brute-force search finds, with the words the whole path gives", () => {
    fc.assert(
      fc.property(arbitraryChain, ({ n, kindAt, shortcuts, twin }) => {
        const node = (i: number): string => `${kindAt[i]!}/default/o${i}`;
        const entryTo = (from: number, to: number): DependencyEntry =>
          kindAt[to] === kindAt[from] && kindAt[from] !== "ResourceSet" ? { name: `o${to}` } : { name: `o${to}`, namespace: "default", kind: kindAt[to]!, apiVersion: "example.io/v1" };
        const graph = new DependencyGraph();
        for (let i = 0; i < n; i++) {
          const deps = [...(i > 0 ? [i - 1] : []), ...shortcuts.filter(([a, b]) => a === i && b < i).map(([, b]) => b)];
          graph.upsert(release(`default/o${i}`, { kind: kindAt[i]!, dependsOn: deps.map((d) => entryTo(i, d)) }));
        }
        if (twin !== null) graph.upsert(release(`default/o${twin}`, { kind: kindAt[twin] === "Kustomization" ? "HelmRelease" : "Kustomization" }));
        const from = node(0);
        const deps = [node(n - 1)];
        const whole = findCycleThrough(graph, from, deps)!;
        expect(whole.length - 1).toBe(shortestCycleLength(graph, from, deps));
        const ambiguous = sharedNameIn((k) => graph.has(k));
        for (const found of [cycleThrough(graph, from, deps)!, cycleThrough(viewOf(graph), from, deps)!]) {
          expect(found.objects).toBe(whole.length - 1);
          expect(found.shown).toEqual(shownPositions(whole.length).map((i) => whole[i]));
          expect(cycleMessage(found)).toBe(cycleMessage(whole));
          expect(cycleMessage(found, ambiguous)).toBe(cycleMessage(whole, ambiguous));
        }
        expect(cycleThrough(graph, node(n - 1), [from])).toBeUndefined();
      }),
      { numRuns: 400 },
    );
  });

  it("reads each object's edges at most once: an edge closing a 10-wide lattice of 10,000 objects reads at most its 100,000 edges", () => {
    const graph = new DependencyGraph();
    const width = 10;
    const levels = 1000;
    for (let level = 0; level < levels; level++) {
      for (let i = 0; i < width; i++) {
        graph.upsert(release(`default/l${level}-${i}`, { dependsOn: level === 0 ? [] : Array.from({ length: width }, (_, j) => `l${level - 1}-${j}`) }));
      }
    }
    const read: number[] = [];
    const forwardStart = graph.forwardStart.bind(graph);
    graph.forwardStart = (id: number): number => {
      read.push(id);
      return forwardStart(id);
    };
    const cycle = cycleThrough(graph, "HelmRelease/default/l0-0", [`HelmRelease/default/l${levels - 1}-0`])!;
    expect(cycle.objects).toBe(levels);
    expect(cycleMessage(cycle)).toBe(
      "dependency cycle default/l0-0 → default/l999-0 → default/l998-0 → default/l997-0 → default/l996-0 → default/l995-0 → … 988 more … → " +
        "default/l6-0 → default/l5-0 → default/l4-0 → default/l3-0 → default/l2-0 → default/l1-0 → default/l0-0",
    );
    expect(new Set(read).size).toBe(read.length);
    const edgesRead = read.reduce((sum, id) => sum + graph.forwardEnd(id) - forwardStart(id), 0);
    expect(edgesRead).toBeLessThanOrEqual(width * width * (levels - 1));
  });
});

describe("findCycleThrough on a view of the graph (a pending batch, unconfirmed edges)", () => {
  it("walks the graph's ids and asks the view at the nodes it changes, with the answer the key-by-key search gives", () => {
    fc.assert(
      fc.property(
        arbitraryGraph(),
        fc.array(fc.tuple(fc.nat(), fc.array(fc.nat(), { maxLength: 3 })), { maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 2 }),
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 4 }),
        (objects, added, removedPicks, fromPick, depPicks) => {
          const graph = buildGraph(objects);
          const pool = [...graph.keys(), "HelmRelease/default/ghost", "HelmRelease/other/a", "Kustomization/default/new"];
          const pick = (p: number): string => pool[p % pool.length]!;
          // Objects the view adds or replaces (new ones too, which the graph has no id for), and some it removes.
          const overlaid = added.map(([at, deps]) => {
            const { kind, namespace, name } = splitNodeKey(pick(at));
            return { kind: kind as FluxKind, namespace, name, dependsOn: deps.map((d) => splitNodeKey(pick(d))).map((t) => ({ name: t.name, namespace: t.namespace, kind: t.kind, apiVersion: "example.io/v1" })) };
          });
          // Unconfirmed edges: each overlaid object's edges added to what the graph holds for it.
          const extra = new Map(overlaid.map((object) => [nodeOf(object), { object, dependencies: [...new Set(resolveDependencies(object).map((d) => d.node))] }]));
          const views = [overlayGraph(graph, overlaid), overlayGraph(graph, overlaid, removedPicks.map(pick)), withExtraEdges(graph, extra)];
          const from = pick(fromPick);
          const deps = [...new Set(depPicks.map(pick))];
          for (const view of views) {
            const plain: GraphView = { has: (k) => view.has(k), get: (k) => view.get(k), keys: () => view.keys(), dependencyKeys: (k) => view.dependencyKeys(k) };
            const expected = findCycleThrough(plain, from, deps);
            expect(findCycleThrough(view, from, deps)).toEqual(expected);
            const bounded = cycleThrough(view, from, deps);
            const words = (cycle: Parameters<typeof cycleMessage>[0] | undefined) => (cycle === undefined ? undefined : cycleMessage(cycle, sharedNameIn((k) => view.has(k))));
            expect(words(bounded)).toEqual(words(expected));
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

/** Oracle: the fewest edges from `from` back to itself when its edges are `deps`, by growing the set of nodes k steps away. */
function shortestCycleLength(graph: GraphView, from: ObjectKey, deps: readonly ObjectKey[]): number | undefined {
  let frontier = new Set(deps.filter((d) => graph.has(d)));
  for (let k = 1; k <= [...graph.keys()].length + 1; k++) {
    const next = new Set<ObjectKey>();
    for (const v of frontier) {
      for (const w of graph.dependencyKeys(v)) {
        if (w === from) return k + 1;
        if (graph.has(w)) next.add(w);
      }
    }
    frontier = next;
  }
  return undefined;
}

function viewOf(graph: DependencyGraph): GraphView {
  return {
    has: (k) => graph.has(k),
    get: (k) => graph.get(k),
    keys: () => graph.keys(),
    dependencyKeys: (k) => graph.dependencyKeys(k),
  };
}
