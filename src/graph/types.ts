// The domain vocabulary of releasegate: Flux objects as the graph sees them, problems, gate states
// and admission decisions. Plain data only; every other layer converts to and from these.

import type { CyclePath } from "./cycle-path.js";
import type { JsonMap } from "./external-objects.js";
import type { Keep } from "./field-paths.js";

/** The Flux kinds whose `spec.dependsOn` releasegate knows (their table is in src/flux/kinds.ts). */
export type FluxKind = "HelmRelease" | "Kustomization" | "ResourceSet";

/** `namespace/name`: how an object is named to a user, next to its kind (`check` JSON, Events, metrics). */
export type ObjectKey = string;

/**
 * `Kind/namespace/name`, the identity of a node in the one graph shared by every kind
 * (docs/architecture.md, "Kinds"): a HelmRelease and a Kustomization of the same name are two nodes.
 * Neither a kind nor a namespace contains a "/", so the rest after the second one is the name.
 */
export type NodeKey = string;

/**
 * A `spec.dependsOn` entry exactly as written (namespace and readyExpr optional). A ResourceSet's
 * entries also name the dependency's apiVersion and kind, and `ready` (default false: exists is enough).
 */
export interface DependencyEntry {
  name: string;
  namespace?: string;
  readyExpr?: string;
  apiVersion?: string;
  kind?: string;
  ready?: boolean;
}

/** A Kustomization's `spec.sourceRef`, namespace defaulted to the Kustomization's own. */
export interface SourceRef {
  kind: string;
  namespace: string;
  name: string;
}

/** A Kubernetes-style condition, as Flux writes them in `status.conditions`. */
export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

/**
 * A HelmRelease or Kustomization reduced to the fields releasegate reads. The cache, the
 * manifest reader and the admission handler all produce this shape.
 */
export interface FluxObject {
  kind: FluxKind;
  /** The apiVersion it was read as (e.g. helm.toolkit.fluxcd.io/v2); informational. */
  apiVersion?: string;
  namespace: string;
  name: string;
  /** `metadata.uid` when read from the cluster (for Event `regarding` references). */
  uid?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** `metadata.deletionTimestamp` is set. */
  deleting?: boolean;
  dependsOn: DependencyEntry[];
  suspend?: boolean;
  /** Kustomizations only: where the build comes from (the revision rule in readiness.ts reads it). */
  sourceRef?: SourceRef;
  status?: {
    observedGeneration?: number;
    conditions?: Condition[];
    /** Kustomizations: the source revision last applied ("main@sha1:…"). */
    lastAppliedRevision?: string;
    /** The last reconcile request (requestedAt annotation value) the controller handled. */
    lastHandledReconcileAt?: string;
  };
  /**
   * The fields some readyExpr reads beyond the ones above, as the object has them (field-paths.ts decides
   * which: its own readyExprs' `self` paths, and what its dependents' expressions read of it).
   */
  fields?: JsonMap;
  /**
   * What the cache was asked to keep of it when it decoded it (field-paths.ts Keep; `{}` for nothing): a
   * readyExpr reading more of it waits until the cache has read it again. Absent where objects are not
   * decoded against the graph's demand (files, tests): the object is then taken as complete.
   */
  fieldsKeep?: Keep;
}

/** A dependsOn entry after defaulting its namespace to the dependent's own. */
export interface ResolvedDependency {
  /** The dependency's node: its kind (the entry's own for a ResourceSet, else the dependent's), namespace, name. */
  node: NodeKey;
  kind: string;
  /** `namespace/name` of the dependency. */
  key: ObjectKey;
  name: string;
  namespace: string;
  readyExpr?: string;
  /** Index of the entry in `spec.dependsOn`, for messages. */
  index: number;
  /**
   * ResourceSet entries: `ready: true` (else existing is enough). HelmRelease and Kustomization entries
   * (the Flux RFC on dependsOn, where the served schema has it): `ready: false`, existing is enough (else ready).
   */
  ready?: boolean;
}

export type ProblemType =
  | "cycle"
  | "self-dependency"
  | "missing"
  | "invalid"
  | "duplicate"
  | "cross-namespace"
  | "ready-expr";

/** One problem found in a dependency graph; `message` is built by the one builder for its type. */
export interface Problem {
  type: ProblemType;
  kind: FluxKind;
  /** `ns/name` of the object whose dependsOn has the problem. */
  object: ObjectKey;
  /** The object's node (kind included). */
  node: NodeKey;
  /** `ns/name` of the dependency concerned, when there is one. */
  dependency?: ObjectKey;
  /** The dependency's node, when there is one (its kind may differ from the object's for a ResourceSet). */
  dependencyNode?: NodeKey;
  /** For cycles found whole (`check`'s, over the whole graph): the closed path as `ns/name`, first element repeated at the end. */
  cycle?: ObjectKey[];
  /** For cycles found whole: the same path as nodes (the kinds of a cycle across kinds). */
  cycleNodes?: NodeKey[];
  /** For every cycle: what its message needs, bounded whatever its length (the webhook's cycles carry only this). */
  cyclePath?: CyclePath;
  /** For missing: close existing names ("did you mean"). */
  suggestions?: ObjectKey[];
  /** Index of the dependsOn entry the problem is about (every problem but a cycle has one). */
  entry?: number;
  message: string;
}

export type BlockedReason = "Cycle" | "Missing" | "Failed" | "NotReady" | "Suspended";

/** Gate state of one object (docs/behaviour.md, Gate states). */
export type GateState = { state: "open" } | BlockedGate;

/**
 * A blocked gate. It holds its reason, root cause and the first hop towards it, never the whole path,
 * so memory is linear in the graph whatever its depth (docs/architecture.md, "Paths on demand"): the
 * path is walked on demand through the gates of the hops (gate-path.ts), bounded in length.
 */
export interface BlockedGate {
  state: "blocked";
  reason: BlockedReason;
  /** The deepest not-ready object on the dependency path whose own dependencies are fine
   *  (for Missing: the missing node; for Cycle: the smallest node of the cycle's component). */
  rootCause: NodeKey;
  /** Why the root cause is not ready, e.g. "install retries exhausted" (for Cycle: the cycle through the root cause). */
  rootCauseMessage: string;
  /** The path's first hop: the dependency through which this object is blocked (the root cause itself when one hop away). */
  via: NodeKey;
  /** The path's length in hops, from this object (exclusive) to the root cause (inclusive); a Cycle path then goes once round the cycle. */
  depth: number;
  /** The path's last min(depth, PATH_TAIL) hops, ending at the root cause (shared with the via's gate when the path is longer). */
  tail: readonly NodeKey[];
  /** Cycle only: the object is itself on a cycle (a member of a strongly connected component with a cycle). */
  onCycle?: true;
}
