// Which fields of which object the graph's readyExprs read (docs/behaviour.md, "Gate states"): for each
// dependency node, the union of what its dependents' expressions read of it (`dep.spec.values.version`
// for a HelmRelease's entry, `data.gate` for a ResourceSet's entry on a ConfigMap). The decoder keeps
// exactly that of the object (FluxObject.fields); a kind outside Flux keeps, for all its objects, what
// the expressions naming the kind read (one watch a kind). When a node's demand grows beyond what its
// object was decoded with, the caller reads the object again (a re-list of its kind).

import { coversKeep, mergeKeep } from "./field-paths.js";
import type { Keep } from "./field-paths.js";
import { compileObjectReadyExpr, compileReadyExpr } from "./ready-expr.js";
import { kindOfNode, resolveDependencies } from "./refs.js";
import type { FluxObject, NodeKey } from "./types.js";

export class FieldDemand {
  /** What each dependent asks, by dependency node. */
  private readonly byDependent = new Map<NodeKey, Map<NodeKey, Keep>>();
  /** Who asks what of each dependency node. */
  private readonly byDependency = new Map<NodeKey, Map<NodeKey, Keep>>();
  private readonly merged = new Map<NodeKey, Keep>();
  private readonly mergedKinds = new Map<string, Keep>();

  /** What the objects' expressions read of `node`; undefined: nothing beyond what is always kept. */
  keepOf(node: NodeKey): Keep | undefined {
    let keep = this.merged.get(node);
    if (keep === undefined) {
      const askers = this.byDependency.get(node);
      if (askers === undefined) return undefined;
      for (const k of askers.values()) keep = keep === undefined ? k : mergeKeep(keep, k);
      if (keep !== undefined) this.merged.set(node, keep);
    }
    return keep;
  }

  /** What the expressions read of any object of `kind` (for a watch of a kind outside Flux). */
  keepOfKind(kind: string): Keep | undefined {
    let keep = this.mergedKinds.get(kind);
    if (keep === undefined) {
      for (const node of this.byDependency.keys()) {
        if (kindOfNode(node) !== kind) continue;
        const k = this.keepOf(node);
        if (k !== undefined) keep = keep === undefined ? k : mergeKeep(keep, k);
      }
      if (keep !== undefined) this.mergedKinds.set(kind, keep);
    }
    return keep;
  }

  /**
   * The dependent `node` is now `obj` (undefined: deleted). Returns the dependency nodes whose demand grew:
   * their objects were decoded without fields that are now read.
   */
  update(node: NodeKey, obj: FluxObject | undefined): NodeKey[] {
    const asks = obj === undefined ? undefined : asksOf(obj);
    const before = this.byDependent.get(node);
    if (before === undefined && asks === undefined) return [];
    const grown: NodeKey[] = [];
    const touched = new Set<NodeKey>([...(before?.keys() ?? []), ...(asks?.keys() ?? [])]);
    for (const dep of touched) {
      const old = before?.get(dep);
      const now = asks?.get(dep);
      if (old === now) continue;
      const previous = this.keepOf(dep);
      let askers = this.byDependency.get(dep);
      if (now === undefined) askers?.delete(node);
      else (askers ??= new Map()).set(node, now);
      if (askers !== undefined && askers.size > 0) this.byDependency.set(dep, askers);
      else this.byDependency.delete(dep);
      this.merged.delete(dep);
      this.mergedKinds.delete(kindOfNode(dep));
      if (!coversKeep(previous, this.keepOf(dep))) grown.push(dep);
    }
    if (asks === undefined) this.byDependent.delete(node);
    else this.byDependent.set(node, asks);
    return grown;
  }
}

/** What one object's entries read of each dependency node; undefined when nothing. */
function asksOf(obj: FluxObject): Map<NodeKey, Keep> | undefined {
  let out: Map<NodeKey, Keep> | undefined;
  const add = (dep: NodeKey, keep: Keep | undefined): void => {
    if (keep === undefined) return;
    out ??= new Map();
    const had = out.get(dep);
    out.set(dep, had === undefined ? keep : mergeKeep(had, keep));
  };
  const resourceSet = obj.kind === "ResourceSet";
  for (const entry of obj.dependsOn) if (entry.readyExpr !== undefined && entry.readyExpr !== "") return collect();
  return undefined;

  function collect(): Map<NodeKey, Keep> | undefined {
    for (const dep of resolveDependencies(obj)) {
      if (dep.readyExpr === undefined) continue;
      if (resourceSet) {
        if (dep.ready !== true) continue;
        const compiled = compileObjectReadyExpr(dep.readyExpr);
        if (compiled.ok) add(dep.node, compiled.fields);
      } else {
        const compiled = compileReadyExpr(dep.readyExpr);
        if (compiled.ok) add(dep.node, compiled.depFields);
      }
    }
    return out;
  }
}
