// fast-check generators of small random dependency graphs for the property tests: 1-3 kinds (a
// HelmRelease and a Kustomization of one name are two nodes; a ResourceSet's entries name any kind,
// with `ready` true or not), 1-3 namespaces, names that repeat across namespaces and kinds, edges to
// missing objects and self-loops, random statuses, suspends and readyExprs. Keys are nodes
// (`Kind/ns/name`). Test support only.

import fc from "fast-check";
import { DependencyGraph } from "./dependency-graph.js";
import { release } from "./test-helpers.test-support.js";
import type { StatusName } from "./test-helpers.test-support.js";
import { splitNodeKey } from "./refs.js";
import type { DependencyEntry, FluxKind, FluxObject } from "./types.js";

const KINDS: FluxKind[] = ["HelmRelease", "Kustomization", "ResourceSet"];

const NAMESPACES = ["default", "cache", "apps"];
const NAMES = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"];
const STATUSES: StatusName[] = ["ready", "ready", "ready", "failed", "progressing", "stalled", "none", "stale", "reconciling"];
const READY_EXPRS = [
  "true",
  "false",
  "dep.metadata.name == 'a'",
  "self.metadata.namespace == dep.metadata.namespace",
  "dep.status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')",
  "dep.metadata.nope == 1",
  "1 +",
  // The Flux Operator's form (a ResourceSet's entries): the dependency's own fields as variables.
  "status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')",
  "metadata.name == 'a'",
];

/**
 * One object (of the node's kind) with random dependsOn drawn from `universe` (nodes, including some
 * that will not exist). A ResourceSet's entries carry `kind`, `apiVersion` and `ready`; another kind's
 * entry carries `kind` only when it names another kind (the form Flux's RFC would allow every kind), so
 * cycles across kinds are generated too.
 */
export function arbitraryObject(node: string, universe: readonly string[]): fc.Arbitrary<FluxObject> {
  const { kind, namespace, name } = splitNodeKey(node);
  const resourceSet = kind === "ResourceSet";
  const entry: fc.Arbitrary<DependencyEntry> = fc
    .record({
      target: fc.constantFrom(...universe),
      explicitNamespace: fc.boolean(),
      readyExpr: fc.option(fc.constantFrom(...READY_EXPRS), { freq: 6 }),
      ready: fc.boolean(),
    })
    .map(({ target, explicitNamespace, readyExpr, ready }) => {
      const parts = splitNodeKey(target);
      const e: DependencyEntry = { name: parts.name };
      if (parts.namespace !== namespace || explicitNamespace) e.namespace = parts.namespace;
      if (readyExpr !== null) e.readyExpr = readyExpr;
      if (resourceSet || parts.kind !== kind) {
        e.kind = parts.kind;
        e.apiVersion = "example.io/v1";
      }
      if (resourceSet && ready) e.ready = true;
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
      release(`${namespace}/${name}`, { kind: kind as FluxKind, dependsOn, status, suspend: suspended === 0, ...(message === undefined ? {} : { message }) }),
    );
}

/** The node universe (1-3 kinds, 1-3 namespaces) and a random subset of it that exists. */
export function arbitraryUniverse(maxNodes = 30): fc.Arbitrary<{ universe: string[]; keys: string[] }> {
  return fc.tuple(fc.integer({ min: 1, max: 3 }), fc.subarray(KINDS, { minLength: 1 })).chain(([nsCount, kinds]) => {
    const universe = kinds.flatMap((kind) => NAMESPACES.slice(0, nsCount).flatMap((ns) => NAMES.map((name) => `${kind}/${ns}/${name}`)));
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
  const graph = new DependencyGraph();
  for (const obj of objects) graph.upsert(obj);
  return graph;
}
