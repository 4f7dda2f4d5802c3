// fast-check generators of small random dependency graphs for the property tests: 1-3 namespaces,
// names that repeat across namespaces, edges to missing objects and self-loops, random statuses,
// suspends and readyExprs. Test support only.

import fc from "fast-check";
import { DependencyGraph } from "./dependency-graph.js";
import { release } from "./test-helpers.test-support.js";
import type { StatusName } from "./test-helpers.test-support.js";
import type { DependencyEntry, FluxObject } from "./types.js";

const NAMESPACES = ["default", "cache", "apps"];
const NAMES = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"];
const STATUSES: StatusName[] = ["ready", "ready", "ready", "failed", "progressing", "stalled", "none", "stale"];
const READY_EXPRS = [
  "true",
  "false",
  "dep.metadata.name == 'a'",
  "self.metadata.namespace == dep.metadata.namespace",
  "dep.status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')",
  "dep.metadata.nope == 1",
  "1 +",
];

export interface GraphShape {
  universe: string[];
}

/** One object with random dependsOn (drawn from `universe`, which includes keys that will not exist). */
export function arbitraryObject(key: string, universe: readonly string[]): fc.Arbitrary<FluxObject> {
  const namespace = key.slice(0, key.indexOf("/"));
  const entry: fc.Arbitrary<DependencyEntry> = fc
    .record({
      target: fc.constantFrom(...universe),
      explicitNamespace: fc.boolean(),
      readyExpr: fc.option(fc.constantFrom(...READY_EXPRS), { freq: 6 }),
    })
    .map(({ target, explicitNamespace, readyExpr }) => {
      const [ns, name] = target.split("/") as [string, string];
      const e: DependencyEntry = { name };
      if (ns !== namespace || explicitNamespace) e.namespace = ns;
      if (readyExpr !== null) e.readyExpr = readyExpr;
      return e;
    });
  return fc
    .record({
      dependsOn: fc.array(entry, { maxLength: 3 }),
      status: fc.constantFrom(...STATUSES),
      suspended: fc.integer({ min: 0, max: 9 }),
      message: fc.constantFrom(undefined, "install retries exhausted", "timed out waiting for condition"),
    })
    .map(({ dependsOn, status, suspended, message }) =>
      release(key, { dependsOn, status, suspend: suspended === 0, ...(message === undefined ? {} : { message }) }),
    );
}

/** The key universe and a random subset of it that exists. */
export function arbitraryUniverse(maxNodes = 30): fc.Arbitrary<{ universe: string[]; keys: string[] }> {
  return fc.integer({ min: 1, max: 3 }).chain((nsCount) => {
    const universe = NAMESPACES.slice(0, nsCount).flatMap((ns) => NAMES.map((name) => `${ns}/${name}`));
    return fc
      .uniqueArray(fc.constantFrom(...universe), { maxLength: Math.min(maxNodes, universe.length) })
      .map((keys) => ({ universe, keys }));
  });
}

/** A random graph of up to 30 objects. */
export function arbitraryGraph(maxNodes = 30): fc.Arbitrary<FluxObject[]> {
  return arbitraryUniverse(maxNodes).chain(({ universe, keys }) =>
    fc.tuple(...keys.map((key) => arbitraryObject(key, universe))),
  );
}

export function buildGraph(objects: readonly FluxObject[]): DependencyGraph {
  const graph = new DependencyGraph(objects[0]?.kind ?? "HelmRelease");
  for (const obj of objects) graph.upsert(obj);
  return graph;
}
