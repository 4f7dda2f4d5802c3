// The gate controller: from the caches' change notifications it keeps every object's gate state
// current (the graph's GateTracker re-evaluates only what is downstream of a change), and carries
// out the decisions of transitions.ts: Events, reconcile requests, metrics.
//
// Every replica runs it (so every replica's metrics are right and a standby is ready to lead); only
// the leader writes. Writes are checked against isLeader() right before they are sent, and losing the
// lease drops every waiting request at once.
//
// A reconcile request belongs to one "opening": the gate went Blocked → Open. The opening stays
// pending until a request is sent for it, the object is asked by someone else (its requestedAt
// annotation changed: a previous leader, or a person running `flux reconcile`), or the gate closes.
// While pending, the request goes out as soon as the object waits on its dependencies
// (Ready=False DependencyNotReady) — also when Flux writes that status only after the gate opened.
// A replica that becomes leader sends the requests of openings it saw while standing by that nobody
// sent, so an opening during a failover is not lost, and one that was sent is not sent twice.
//
// Events are deduplicated per object on their reason and note. A standby remembers the Events it
// would have recorded in the last lease duration and records them when it becomes leader: those
// transitions may have happened after the old leader died.

import type { EventSpec, RecordEventResult } from "../cluster/events.js";
import type { ClusterLogger } from "../cluster/logger.js";
import { silentLogger } from "../cluster/logger.js";
import type { CacheChange, ObjectCache } from "../cluster/object-cache.js";
import { RECONCILE_REQUEST_ANNOTATION } from "../cluster/reconcile-request.js";
import type { ReconcileRequestResult } from "../cluster/reconcile-request.js";
import { FLUX_RESOURCES, fluxResourceType, apiVersionOf } from "../cluster/resources.js";
import { GateTracker } from "../graph/gates.js";
import type { GateChange } from "../graph/gates.js";
import { resolveDependencies } from "../graph/refs.js";
import type { FluxKind, FluxObject, GateState, ObjectKey } from "../graph/types.js";
import type { ReleasegateMetrics } from "../metrics/metrics.js";
import { GateMetrics } from "./gate-metrics.js";
import { DEFAULT_RETRY, ReconcileQueue } from "./reconcile-queue.js";
import type { ReconcileOutcome, RetryOptions } from "./reconcile-queue.js";
import { TokenBucket } from "./token-bucket.js";
import type { TokenBucketOptions } from "./token-bucket.js";
import { decideTransition, mayRequestReconcile } from "./transitions.js";
import type { GateEvent } from "./transitions.js";

/** The part of src/cluster's ObjectCache the controller uses (an ObjectCache fits as it is). */
export type GateCache = Pick<ObjectCache, "kind" | "synced" | "isSynced" | "get" | "list" | "subscribe" | "onWatchRestart">;

export interface GateControllerOptions {
  /** One cache per kind; subscribe before they start, or the controller takes what they hold. */
  caches: readonly GateCache[];
  /** Sends one reconcile request (requestReconcile bound to the cluster). */
  requestReconcile(kind: FluxKind, key: ObjectKey, now: Date): Promise<ReconcileRequestResult>;
  /** Records one Event (EventRecorder.record). */
  recordEvent(spec: EventSpec): Promise<RecordEventResult>;
  /** True while this replica holds the lease (LeaseElection.isLeader). */
  isLeader(): boolean;
  metrics: ReleasegateMetrics;
  logger?: ClusterLogger;
  /** Reconcile requests per second across every object (default 20) and burst (default 50). */
  reconcileRate?: number;
  reconcileBurst?: number;
  /** Per object (default: one request per 10 s, burst 1). */
  perObject?: TokenBucketOptions;
  retry?: RetryOptions;
  /** How far back a new leader replays the Events it saw as a standby (the lease duration). */
  replayWindowMs?: number;
  /** Milliseconds clock (Date.now). */
  now?: () => number;
}

/** A pending Blocked → Open transition. */
interface Opening {
  /** When the change that opened the gate was seen (ms): the start of gate_open_latency_seconds. */
  at: number;
  /** The object's requestedAt annotation then; a different value later means someone asked. */
  requestedAt: string | undefined;
}

interface SeenEvent {
  at: number;
  event: GateEvent;
}

/** Everything the controller keeps for one kind. */
class KindGates {
  readonly tracker: GateTracker;
  readonly gateMetrics: GateMetrics;
  readonly queue: ReconcileQueue;
  readonly openings = new Map<ObjectKey, Opening>();
  /** Signature (reason + note) of the last Event recorded or seen per object. */
  readonly lastEvent = new Map<ObjectKey, string>();
  /** Events seen while standing by, latest per object. */
  readonly seenAsStandby = new Map<ObjectKey, SeenEvent>();
  /** Until the cache's first list is complete, changes are not fed one by one: the whole list is
   *  loaded at once (GateTracker.replaceAll), which at 100k objects is several times cheaper. */
  loading = true;

  constructor(
    readonly kind: FluxKind,
    readonly cache: GateCache,
    tracker: GateTracker,
    gateMetrics: GateMetrics,
    queue: ReconcileQueue,
  ) {
    this.tracker = tracker;
    this.gateMetrics = gateMetrics;
    this.queue = queue;
  }
}

export class GateController {
  private readonly kinds = new Map<FluxKind, KindGates>();
  private readonly log: ClusterLogger;
  private readonly now: () => number;
  private readonly replayWindowMs: number;
  private readonly unsubscribe: Array<() => void> = [];
  private refreshTimer: NodeJS.Timeout | undefined;
  private leading = false;
  private stopped = false;

  constructor(private readonly options: GateControllerOptions) {
    this.log = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
    this.replayWindowMs = options.replayWindowMs ?? 15_000;
    const global = new TokenBucket({ perSecond: options.reconcileRate ?? 20, burst: options.reconcileBurst ?? 50 });
    for (const cache of options.caches) {
      const kind = cache.kind;
      const gates: KindGates = new KindGates(
        kind,
        cache,
        new GateTracker(kind),
        new GateMetrics(options.metrics, kind),
        new ReconcileQueue({
          send: (key, now) => options.requestReconcile(kind, key, now),
          stillWanted: (key) => this.stillWanted(gates, key),
          done: (key, outcome, detail) => this.requestDone(gates, key, outcome, detail),
          delayed: () => options.metrics.reconcileRequestsTotal.inc({ kind, result: "rate_limited" }),
          global,
          perObject: options.perObject ?? { perSecond: 0.1, burst: 1 },
          retry: options.retry ?? DEFAULT_RETRY,
          now: this.now,
        }),
      );
      this.kinds.set(kind, gates);
      for (const result of ["requested", "rate_limited", "skipped_suspended", "error"] as const) {
        options.metrics.reconcileRequestsTotal.inc({ kind, result }, 0);
      }
      this.unsubscribe.push(cache.subscribe((change) => this.onChange(gates, change)));
      this.unsubscribe.push(cache.onWatchRestart(() => gates.gateMetrics.watchRestarted()));
      if (cache.isSynced()) this.load(gates);
      else {
        cache.synced.then(
          () => this.load(gates),
          () => undefined,
        );
      }
    }
    options.metrics.leader.set(0);
    this.refreshTimer = setInterval(() => this.refreshBlockedSeconds(), 1000);
    this.refreshTimer.unref();
  }

  /** The gate of one object, as this replica sees it. */
  state(kind: FluxKind, key: ObjectKey): GateState | undefined {
    return this.kinds.get(kind)?.tracker.state(key);
  }

  /** Call from LeaseElection's onStartedLeading. */
  startedLeading(): void {
    if (this.stopped) return;
    this.leading = true;
    this.options.metrics.leader.set(1);
    const now = this.now();
    for (const gates of this.kinds.values()) {
      for (const [key, seen] of gates.seenAsStandby) {
        if (now - seen.at <= this.replayWindowMs && gates.lastEvent.get(key) === signature(seen.event)) {
          this.record(gates, key, seen.event);
        }
      }
      gates.seenAsStandby.clear();
      for (const key of [...gates.openings.keys()]) this.considerRequest(gates, key);
    }
  }

  /** Call from LeaseElection's onStoppedLeading: stop writing now. */
  stoppedLeading(): void {
    this.leading = false;
    this.options.metrics.leader.set(0);
    for (const gates of this.kinds.values()) gates.queue.cancelAll();
  }

  /** Resolves when no reconcile request is waiting or in flight (tests, graceful shutdown). */
  async whenIdle(): Promise<void> {
    await Promise.all([...this.kinds.values()].map((g) => g.queue.whenIdle()));
  }

  stop(): void {
    this.stopped = true;
    this.stoppedLeading();
    clearInterval(this.refreshTimer);
    for (const unsubscribe of this.unsubscribe) unsubscribe();
  }

  private isLeader(): boolean {
    return this.leading && !this.stopped && this.options.isLeader();
  }

  /** Takes the cache's objects as they are now, in one rebuild; from here on, change by change. */
  private load(gates: KindGates): void {
    if (this.stopped || !gates.loading) return;
    gates.loading = false;
    gates.gateMetrics.setSynced(true);
    const now = this.now();
    for (const c of gates.tracker.replaceAll(gates.cache.list())) this.onGateChange(gates, c, now);
    gates.gateMetrics.setCycles(gates.tracker.cycleCount());
  }

  private onChange(gates: KindGates, change: CacheChange): void {
    // Before the first list is complete, load() takes every object from the cache at once.
    if (this.stopped || gates.loading) return;
    const now = this.now();
    const changes = change.type === "upsert" ? gates.tracker.upsert(change.object) : gates.tracker.remove(change.key);
    for (const c of changes) this.onGateChange(gates, c, now);
    // The tracker keeps the count current per event: no graph walk here.
    gates.gateMetrics.setCycles(gates.tracker.cycleCount());
    // The object itself changed: an opening may now be answered (annotation) or actionable (status).
    if (change.type === "upsert") this.considerRequest(gates, change.key);
  }

  private onGateChange(gates: KindGates, change: GateChange, now: number): void {
    const { key, before, after } = change;
    const object = gates.cache.get(key);
    gates.gateMetrics.apply(key, before, after, now);
    const actions = decideTransition({
      before,
      after,
      object,
      ...(object ? { dependencies: uniqueDependencyKeys(object) } : {}),
    });
    if (after === undefined || after.state === "blocked") gates.openings.delete(key);
    if (after === undefined) {
      gates.lastEvent.delete(key);
      gates.seenAsStandby.delete(key);
    }
    if (actions.event !== undefined && object !== undefined) {
      const sig = signature(actions.event);
      if (gates.lastEvent.get(key) !== sig) {
        gates.lastEvent.set(key, sig);
        if (this.isLeader()) this.record(gates, key, actions.event);
        else this.rememberAsStandby(gates, key, actions.event, now);
      }
    }
    if (actions.skippedSuspended && this.isLeader()) {
      this.options.metrics.reconcileRequestsTotal.inc({ kind: gates.kind, result: "skipped_suspended" });
      this.log.info({ kind: gates.kind, ...nameOf(key) }, "gate opened on a suspended object; not asking Flux to reconcile it");
    }
    if (actions.opened && object !== undefined) {
      gates.openings.set(key, { at: now, requestedAt: object.annotations?.[RECONCILE_REQUEST_ANNOTATION] });
      this.considerRequest(gates, key);
    }
  }

  /** Queue the request of a pending opening if it is due; forget openings someone else answered. */
  private considerRequest(gates: KindGates, key: ObjectKey): void {
    const opening = gates.openings.get(key);
    // A request on its way is the queue's to finish: our own patch may come back by watch before
    // its response does, and must not count as someone else's request.
    if (opening === undefined || gates.queue.has(key)) return;
    const object = gates.cache.get(key);
    if (object === undefined) {
      gates.openings.delete(key);
      return;
    }
    if (object.annotations?.[RECONCILE_REQUEST_ANNOTATION] !== opening.requestedAt) {
      gates.openings.delete(key);
      return;
    }
    if (this.isLeader() && mayRequestReconcile(object)) gates.queue.add(key);
  }

  private stillWanted(gates: KindGates, key: ObjectKey): boolean {
    if (!this.isLeader()) return false;
    const opening = gates.openings.get(key);
    const object = gates.cache.get(key);
    if (opening === undefined || object === undefined) return false;
    if (gates.tracker.state(key)?.state !== "open") return false;
    if (object.annotations?.[RECONCILE_REQUEST_ANNOTATION] !== opening.requestedAt) {
      gates.openings.delete(key);
      return false;
    }
    return mayRequestReconcile(object);
  }

  private requestDone(
    gates: KindGates,
    key: ObjectKey,
    outcome: ReconcileOutcome,
    detail: { requestedAt?: string; message?: string; attempts: number },
  ): void {
    const opening = gates.openings.get(key);
    gates.openings.delete(key);
    const kind = gates.kind;
    if (outcome === "success") {
      this.options.metrics.reconcileRequestsTotal.inc({ kind, result: "requested" });
      if (opening !== undefined) this.options.metrics.gateOpenLatencySeconds.observe(Math.max(0, this.now() - opening.at) / 1000);
      this.log.info({ kind, ...nameOf(key), requestedAt: detail.requestedAt, attempts: detail.attempts }, "gate opened; asked Flux to reconcile");
    } else {
      this.options.metrics.reconcileRequestsTotal.inc({ kind, result: "error" });
      this.log.warn({ kind, ...nameOf(key), error: detail.message, attempts: detail.attempts }, "could not ask Flux to reconcile");
    }
  }

  private rememberAsStandby(gates: KindGates, key: ObjectKey, event: GateEvent, now: number): void {
    gates.seenAsStandby.delete(key);
    gates.seenAsStandby.set(key, { at: now, event });
    // Oldest first (Map order): drop what is past the replay window.
    for (const [k, seen] of gates.seenAsStandby) {
      if (now - seen.at <= this.replayWindowMs) break;
      gates.seenAsStandby.delete(k);
    }
  }

  private record(gates: KindGates, key: ObjectKey, event: GateEvent): void {
    const object = gates.cache.get(key);
    if (object === undefined || !this.isLeader()) return;
    const spec: EventSpec = {
      regarding: {
        apiVersion: object.apiVersion ?? apiVersionOf(fluxResourceType(gates.kind)),
        kind: FLUX_RESOURCES[gates.kind].kind,
        namespace: object.namespace,
        name: object.name,
        ...(object.uid !== undefined ? { uid: object.uid } : {}),
      },
      type: event.type,
      reason: event.reason,
      action: event.action,
      note: event.note,
    };
    void this.options.recordEvent(spec).then((result) => {
      // A dropped Event (bounded queue, cluster/events.ts) is counted in events_dropped_total, not logged.
      if (!result.ok && result.dropped === undefined) this.log.warn({ kind: gates.kind, ...nameOf(key), reason: event.reason, error: result.message }, "could not record Event");
    });
  }

  private refreshBlockedSeconds(): void {
    const now = this.now();
    for (const gates of this.kinds.values()) gates.gateMetrics.refreshBlockedSeconds(now);
  }
}

function signature(event: GateEvent): string {
  return `${event.reason}\n${event.note}`;
}


function nameOf(key: ObjectKey): { namespace: string; name: string } {
  const slash = key.indexOf("/");
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

function uniqueDependencyKeys(object: FluxObject): ObjectKey[] {
  return [...new Set(resolveDependencies(object).map((d) => d.key))];
}
