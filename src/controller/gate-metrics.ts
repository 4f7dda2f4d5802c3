// The controller's metrics, derived from gate state changes and nothing else (docs/behaviour.md, Code conventions: metrics are
// derived from the decision values, never computed twice). One GateMetrics per kind, writing into the
// shared metric objects of src/metrics. Label values are bounded: kind and reason are enums, and
// namespace/name/root_cause name existing objects (or the missing one a dependsOn names); a series
// is removed as soon as its object is no longer blocked, or is blocked for another reason or root cause.

import type { ComputedSeries } from "../metrics/computed-gauge.js";
import type { ReleasegateMetrics, ReleaseStateLabel } from "../metrics/metrics.js";
import type { FluxKind, GateState, ObjectKey } from "../graph/types.js";
import { kindOfNode, objectKeyOf, splitKey } from "../graph/refs.js";

const STATES: readonly ReleaseStateLabel[] = ["open", "Cycle", "Missing", "Failed", "NotReady", "Suspended"];

type BlockedLabels = { kind: FluxKind; namespace: string; name: string; reason: string; root_cause: string };
type ObjectLabels = { kind: FluxKind; namespace: string; name: string };

/** A blocked object: since when (ms), and its release_blocked_seconds labels, made once for every scrape. */
interface Blocked {
  since: number;
  labels: ObjectLabels;
}

function stateLabel(state: GateState): ReleaseStateLabel {
  return state.state === "open" ? "open" : state.reason;
}

export class GateMetrics {
  private readonly counts = new Map<ReleaseStateLabel, number>();
  /** States whose count changed since the last publishCounts(). */
  private readonly countsChanged = new Set<ReleaseStateLabel>();
  private readonly blockedLabels = new Map<ObjectKey, BlockedLabels>();
  /** Each blocked object. */
  private readonly blocked = new Map<ObjectKey, Blocked>();

  constructor(
    private readonly metrics: ReleasegateMetrics,
    private readonly kind: FluxKind,
  ) {
    // Every state series exists from the start, so "no blocked release" reads 0, not "no data".
    for (const state of STATES) {
      this.counts.set(state, 0);
      metrics.releases.set({ kind, state }, 0);
    }
    metrics.dependencyCycles.set({ kind }, 0);
    metrics.cacheSynced.set({ kind }, 0);
    metrics.watchRestartsTotal.inc({ kind }, 0);
  }

  /** Account for one object's gate going from `before` to `after` (undefined: unknown / gone); the
   *  state counts reach `releases` at publishCounts(). */
  apply(key: ObjectKey, before: GateState | undefined, after: GateState | undefined, nowMs: number): void {
    if (before !== undefined) this.count(stateLabel(before), -1);
    if (after !== undefined) this.count(stateLabel(after), +1);

    const old = this.blockedLabels.get(key);
    const next = after?.state === "blocked" ? this.labelsFor(key, after) : undefined;
    if (old !== undefined && (next === undefined || !sameLabels(old, next))) {
      this.metrics.releaseBlocked.remove(old);
      this.blockedLabels.delete(key);
    }
    if (next !== undefined && (old === undefined || !sameLabels(old, next))) {
      this.metrics.releaseBlocked.set(next, 1);
      this.blockedLabels.set(key, next);
    }

    if (after?.state === "blocked") {
      if (!this.blocked.has(key)) {
        const labels = next !== undefined ? { kind: next.kind, namespace: next.namespace, name: next.name } : { kind: this.kind, ...splitKey(key) };
        this.blocked.set(key, { since: nowMs, labels });
      }
    } else {
      this.blocked.delete(key);
    }
  }

  /** Appends the release_blocked_seconds series at `nowMs` to `into`, one per blocked object (each scrape). */
  blockedSeconds(nowMs: number, into: ComputedSeries<keyof ObjectLabels>[]): void {
    this.blocked.forEach(({ since, labels }) => into.push({ labels, value: Math.max(0, (nowMs - since) / 1000) }));
  }

  get blockedCount(): number {
    return this.blocked.size;
  }

  setCycles(count: number): void {
    this.metrics.dependencyCycles.set({ kind: this.kind }, count);
  }

  setSynced(synced: boolean): void {
    this.metrics.cacheSynced.set({ kind: this.kind }, synced ? 1 : 0);
  }

  watchRestarted(): void {
    this.metrics.watchRestartsTotal.inc({ kind: this.kind });
  }

  /**
   * Write the counts of `releases{kind,state}` that changed: once per batch of changes (the caller's),
   * not once per change, so 3,000 gates turning blocked at once set two series, not 6,000.
   */
  publishCounts(): void {
    for (const state of this.countsChanged) this.metrics.releases.set({ kind: this.kind, state }, this.counts.get(state) ?? 0);
    this.countsChanged.clear();
  }

  private count(state: ReleaseStateLabel, delta: number): void {
    this.counts.set(state, (this.counts.get(state) ?? 0) + delta);
    this.countsChanged.add(state);
  }

  private labelsFor(key: ObjectKey, state: GateState & { state: "blocked" }): BlockedLabels {
    const { namespace, name } = splitKey(key);
    // root_cause is `ns/name`, as it always was; a root cause of another kind is `Kind/ns/name`.
    const rootCause = kindOfNode(state.rootCause) === this.kind ? objectKeyOf(state.rootCause) : state.rootCause;
    return { kind: this.kind, namespace, name, reason: state.reason, root_cause: rootCause };
  }
}

function sameLabels(a: BlockedLabels, b: BlockedLabels): boolean {
  return a.reason === b.reason && a.root_cause === b.root_cause && a.namespace === b.namespace && a.name === b.name;
}
