// Objects of kinds outside the graph that a ResourceSet may depend on (a Deployment, a CRD, a Flux
// source...): what the gate rules know of them (docs/behaviour.md, "Kinds outside Flux"). The graph holds
// only HelmReleases, Kustomizations and ResourceSets; anything else is looked up through an
// ExternalObjects view that the cluster side fills from watches started only while something depends
// on the kind. A view can also say it cannot tell (the kind is not watched), and the gate then says so
// instead of guessing.

import { externalNotWatchedMessage } from "./messages.js";
import { GRAPH_KINDS, kindOfNode } from "./refs.js";
import type { NodeKey } from "./types.js";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonMap = { [key: string]: JsonValue };

/**
 * An object of another kind, reduced to what readiness reads: identity, generation, deletion, and the
 * few `spec`/`status` fields kstatus reads (kstatus.ts), conditions included, plus the fields the
 * readyExprs naming the kind read (field-paths.ts).
 */
export interface ExternalObject {
  apiVersion: string;
  kind: string;
  /** "" for a cluster-scoped object. */
  namespace: string;
  name: string;
  generation?: number;
  deleting?: boolean;
  spec?: JsonMap;
  status?: JsonMap;
  /** The top-level fields a ResourceSet's readyExpr reads of the kind (`data`, `spec.x`...), as the object has them. */
  fields?: JsonMap;
}

/** What a view knows of one external node. */
export type ExternalState =
  | { known: true; object: ExternalObject | undefined }
  /** `why`: one line for the gate's root cause message (built in messages.ts). */
  | { known: false; why: string };

export interface ExternalObjects {
  /** The state of the node `Kind/namespace/name` (never a kind the graph holds itself). */
  stateOf(node: NodeKey): ExternalState;
}

const GRAPH_KIND_SET: ReadonlySet<string> = new Set<string>(GRAPH_KINDS);

/** Whether objects of `kind` are nodes of the graph itself (else they are external). */
export function isGraphKind(kind: string): boolean {
  return GRAPH_KIND_SET.has(kind);
}

/** The view without any watch: it can tell nothing about any external node. */
export const NO_EXTERNAL_OBJECTS: ExternalObjects = Object.freeze({
  stateOf: (node: NodeKey): ExternalState => ({ known: false, why: externalNotWatchedMessage(kindOfNode(node)) }),
});
