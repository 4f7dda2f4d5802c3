// Which fields of which object the graph's readyExprs read (docs/behaviour.md, "Gate states"): for each
// dependency node, the union of what its dependents' expressions read of it (`dep.spec.values.version`
// for a HelmRelease's entry, `data.gate` for a ResourceSet's entry on a ConfigMap). The decoder keeps
// exactly that of the object (FluxObject.fields); a kind outside Flux keeps, for all its objects, what
// the expressions naming the kind read (one watch a kind). A Flux kind's objects are decoded with what
// any expression reads of that kind (`decodeKeep`: the union of the plain field paths, so a dependency
// listed before its dependent already holds them) plus what is asked of that object alone (a whole
// object). When that grows beyond what an object was decoded with, the caller reads it again.

import { coversKeep, mergeKeep, WHOLE_OBJECT } from "./field-paths.js";
import type { Keep } from "./field-paths.js";
import { compileObjectReadyExpr, compileReadyExpr } from "./ready-expr.js";
import { kindOfNode, nodeKey, resolveDependencies } from "./refs.js";
import type { FluxObject, NodeKey } from "./types.js";

/** Who asks what: [node, keep] pairs (arrays, not Maps: most dependents name one dependency, most dependencies one dependent). */
type Asks = [NodeKey, Keep][];

export class FieldDemand {
  /** What each dependent asks, by dependency node. */
  private readonly byDependent = new Map<NodeKey, Asks>();
  /** Who asks what of each dependency node. */
  private readonly byDependency = new Map<NodeKey, Asks>();
  /** The union for dependency nodes asked by more than one dependent. */
  private readonly merged = new Map<NodeKey, Keep>();
  private readonly mergedKinds = new Map<string, Keep>();
  /** The plain paths any expression reads of each kind (never shrinks: a few field names a kind). */
  private readonly kindUnion = new Map<string, Keep>();

  /** What the objects' expressions read of `node`; undefined: nothing beyond what is always kept. */
  keepOf(node: NodeKey): Keep | undefined {
    const askers = this.byDependency.get(node);
    if (askers === undefined || askers.length === 0) return undefined;
    if (askers.length === 1) return askers[0]![1];
    let keep = this.merged.get(node);
    if (keep === undefined) {
      for (const [, k] of askers) keep = keep === undefined ? k : mergeKeep(keep, k);
      this.merged.set(node, keep!);
    }
    return keep;
  }

  /** What a Flux kind's cache keeps of `node`: what any expression reads of its kind, and what is asked of it alone. */
  decodeKeep(node: NodeKey): Keep | undefined {
    const union = this.kindUnion.get(kindOfNode(node));
    const own = this.keepOf(node);
    if (own === undefined || own === union) return union;
    if (union === undefined) return own;
    return coversKeep(union, own) ? union : mergeKeep(union, own);
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
    const touched = new Set<NodeKey>();
    for (const [dep] of before ?? []) touched.add(dep);
    for (const [dep] of asks ?? []) touched.add(dep);
    for (const dep of touched) {
      const old = before?.find(([d]) => d === dep)?.[1];
      const now = asks?.find(([d]) => d === dep)?.[1];
      if (old === now) continue;
      const previous = this.decodeKeep(dep);
      const kind = kindOfNode(dep);
      if (now !== undefined && now !== WHOLE_OBJECT) {
        const union = this.kindUnion.get(kind);
        if (!coversKeep(union, now)) {
          this.kindUnion.set(kind, union === undefined ? now : mergeKeep(union, now));
          // Every object of the kind now keeps more: the kind as a whole.
          grown.push(nodeKey(kind, "", "*"));
        }
      }
      const askers = (this.byDependency.get(dep) ?? []).filter(([asker]) => asker !== node);
      if (now !== undefined) askers.push([node, now]);
      if (askers.length > 0) this.byDependency.set(dep, askers);
      else this.byDependency.delete(dep);
      this.merged.delete(dep);
      this.mergedKinds.delete(kindOfNode(dep));
      if (!coversKeep(previous, this.decodeKeep(dep))) grown.push(dep);
    }
    if (asks === undefined) this.byDependent.delete(node);
    else this.byDependent.set(node, asks);
    return grown;
  }
}

/** What one object's entries read of each dependency node; undefined when nothing. */
function asksOf(obj: FluxObject): Asks | undefined {
  let out: Asks | undefined;
  const add = (dep: NodeKey, keep: Keep | undefined): void => {
    if (keep === undefined) return;
    out ??= [];
    const had = out.find(([d]) => d === dep);
    if (had === undefined) out.push([dep, keep]);
    else had[1] = mergeKeep(had[1], keep);
  };
  const resourceSet = obj.kind === "ResourceSet";
  for (const entry of obj.dependsOn) if (entry.readyExpr !== undefined && entry.readyExpr !== "") return collect();
  return undefined;

  function collect(): Asks | undefined {
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
