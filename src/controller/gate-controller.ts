// The gate controller: it receives each kind's gate changes from the kind's store (src/cluster/
// kind-store.ts: the one GateTracker, fed once by the cache, re-evaluating only what is downstream of a
// change), each with its object attached, and carries out the actions transitions.ts returns: Events,
// reconcile requests, metrics (docs/architecture.md, "The pipe").
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
// sent, so an opening during a failover is not lost, and one that was sent is not sent twice. It also
// asks every object whose gate was already open when it started but that still waits (leader-start.ts),
// once per kind and term: when the kind's cache has synced, which may be after the Lease was taken.
//
// Events are deduplicated per object on their reason and note. A standby remembers the Events it
// would have recorded in the last lease duration and records them when it becomes leader: those
// transitions may have happened after the old leader died.

import type { EventSpec, RecordEventResult } from "../cluster/events.js";
import type { GateBatch, GateBatchListener, KindStore, StoreGateChange, StoreSource } from "../cluster/kind-store.js";
import type { LeadershipListener } from "../cluster/lease-election.js";
import { fluxObjectEventSpec } from "../cluster/events.js";
import { RECONCILE_REQUESTED_AT } from "../flux/annotations.js";
import type { ReconcileRequester } from "../cluster/reconcile-request.js";
import { resolveDependencies } from "../graph/refs.js";
import { dependencyNames } from "../graph/messages.js";
import type { FluxKind, FluxObject, GateState, ObjectKey } from "../graph/types.js";
import type { ReleasegateMetrics } from "../metrics/metrics.js";
import { silentLogger } from "../runtime/logger.js";
import type { Logger } from "../runtime/logger.js";
import { GateMetrics } from "./gate-metrics.js";
import { DEFAULT_RETRY, ReconcileQueue } from "./reconcile-queue.js";
import type { ReconcileOutcome, RetryOptions } from "./reconcile-queue.js";
import { TokenBucket } from "./token-bucket.js";
import type { TokenBucketOptions } from "./token-bucket.js";
import { leaderStartEvent, leaderStartRequests } from "./leader-start.js";
import { decideOpening, decideTransition } from "./transitions.js";
import type { GateEvent } from "./transitions.js";

/** What a kind's store reads (an ObjectCache fits as it is). */
export type GateCache = StoreSource;

interface GateControllerOptions {
  /** One store per kind, shared with the webhook. */
  stores: readonly KindStore[];
  /** Sends each reconcile request the queue lets through (src/cluster/reconcile-request.ts:ClusterReconcileRequester). */
  requester: ReconcileRequester;
  /** Records one Event (EventRecorder.record). */
  recordEvent(spec: EventSpec): Promise<RecordEventResult>;
  /** True while this replica holds the lease (LeaseElection.isLeader). */
  isLeader(): boolean;
  metrics: ReleasegateMetrics;
  logger?: Logger;
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
  /** Found open on taking the Lease: when the gate opened is unknown, so no latency is observed. */
  atLeaderStart?: true;
}

interface SeenEvent {
  at: number;
  event: GateEvent;
}

/** Everything the controller keeps for one kind; the kind's store hands its gate batches here. */
class KindGates implements GateBatchListener {
  readonly gateMetrics: GateMetrics;
  readonly queue: ReconcileQueue;
  readonly openings = new Map<ObjectKey, Opening>();
  /** Signature (reason + note) of the last Event recorded or seen per object. */
  readonly lastEvent = new Map<ObjectKey, string>();
  /** Events seen while standing by, latest per object. */
  readonly seenAsStandby = new Map<ObjectKey, SeenEvent>();
  /** The open gates that still wait have been asked for in this term as leader (leader-start.ts). */
  sweptThisTerm = false;

  constructor(
    readonly kind: FluxKind,
    readonly store: KindStore,
    gateMetrics: GateMetrics,
    queue: ReconcileQueue,
    private readonly controller: GateController,
  ) {
    this.gateMetrics = gateMetrics;
    this.queue = queue;
  }

  /** The store's batch, to the controller with this kind's state (`GateController.onBatch`). */
  onGateBatch(batch: GateBatch): void {
    this.controller.onBatch(this, batch);
  }
}

export class GateController implements LeadershipListener {
  private readonly kinds = new Map<FluxKind, KindGates>();
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly replayWindowMs: number;
  private readonly unsubscribe: Array<() => void> = [];
  private leading = false;
  private stopped = false;

  constructor(private readonly options: GateControllerOptions) {
    this.log = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
    this.replayWindowMs = options.replayWindowMs ?? 15_000;
    const global = new TokenBucket({ perSecond: options.reconcileRate ?? 20, burst: options.reconcileBurst ?? 50 });
    for (const store of options.stores) {
      const kind = store.kind;
      const gates: KindGates = new KindGates(
        kind,
        store,
        new GateMetrics(options.metrics, kind),
        new ReconcileQueue({
          send: (key, now) => options.requester.requestReconcile(kind, key, now),
          stillWanted: (key) => this.stillWanted(gates, key),
          done: (key, outcome, detail) => this.requestDone(gates, key, outcome, detail),
          delayed: () => options.metrics.reconcileRequestsTotal.inc({ kind, result: "rate_limited" }),
          global,
          perObject: options.perObject ?? { perSecond: 0.1, burst: 1 },
          retry: options.retry ?? DEFAULT_RETRY,
          now: this.now,
        }),
        this,
      );
      this.kinds.set(kind, gates);
      for (const result of ["requested", "rate_limited", "skipped_suspended", "error"] as const) {
        options.metrics.reconcileRequestsTotal.inc({ kind, result }, 0);
      }
      this.unsubscribe.push(store.onGateChanges(gates));
      this.unsubscribe.push(store.onWatchRestart(() => gates.gateMetrics.watchRestarted()));
      // release_blocked_seconds is computed when it is read, not kept up to date on a timer: a scrape a
      // minute costs one pass over the blocked objects a minute, however many are blocked.
      this.unsubscribe.push(options.metrics.releaseBlockedSeconds.addSource((into) => gates.gateMetrics.blockedSeconds(this.now(), into)));
      // A store loaded before the controller came: its states are this controller's first load.
      if (store.isSynced()) {
        const changes = [...store.states()].map(([key, after]) => ({ key, node: store.nodeOf(key), before: undefined, after, object: store.get(key) }));
        this.onBatch(gates, { cause: { type: "load" }, changes });
      }
    }
    options.metrics.leader.set(0);
  }

  /** The gate of one object, as this replica sees it. */
  state(kind: FluxKind, key: ObjectKey): GateState | undefined {
    return this.kinds.get(kind)?.store.state(key);
  }

  /** LeaseElection's LeadershipListener: this replica now leads. */
  startedLeading(): void {
    if (this.stopped) return;
    this.leading = true;
    this.options.metrics.leader.set(1);
    const now = this.now();
    for (const gates of this.kinds.values()) {
      for (const [key, seen] of gates.seenAsStandby) {
        const object = gates.store.get(key);
        if (object !== undefined && now - seen.at <= this.replayWindowMs && gates.lastEvent.get(key) === signature(seen.event)) {
          this.record(gates, object, seen.event);
        }
      }
      gates.seenAsStandby.clear();
      for (const key of [...gates.openings.keys()]) this.considerRequest(gates, key, gates.store.get(key));
      if (gates.store.isSynced()) this.askWaitingOpenGates(gates, now);
    }
  }

  /** LeaseElection's LeadershipListener: stop writing now. */
  stoppedLeading(): void {
    this.leading = false;
    this.options.metrics.leader.set(0);
    for (const gates of this.kinds.values()) {
      gates.queue.cancelAll();
      gates.sweptThisTerm = false;
    }
  }

  /** Resolves when no reconcile request is waiting or in flight (tests, graceful shutdown). */
  async whenIdle(): Promise<void> {
    await Promise.all([...this.kinds.values()].map((g) => g.queue.whenIdle()));
  }

  stop(): void {
    this.stopped = true;
    this.stoppedLeading();
    for (const unsubscribe of this.unsubscribe) unsubscribe();
  }

  private isLeader(): boolean {
    return this.leading && !this.stopped && this.options.isLeader();
  }

  /** One event's gate changes, objects attached (from the kind's `KindGates.onGateBatch`): carry out what
   *  transitions.ts decides for each. */
  onBatch(gates: KindGates, batch: GateBatch): void {
    if (this.stopped) return;
    const now = this.now();
    if (batch.cause.type === "load") gates.gateMetrics.setSynced(true);
    for (const change of batch.changes) this.onGateChange(gates, change, now);
    gates.gateMetrics.publishCounts();
    // The tracker keeps the count current per event: no graph walk here.
    gates.gateMetrics.setCycles(gates.store.cycleCount());
    // The object itself changed: an opening may now be answered (annotation) or actionable (status).
    if (batch.cause.type === "upsert") this.considerRequest(gates, batch.cause.key, batch.cause.object);
    // The Lease was taken before this kind's cache synced: its open gates are known only now.
    if (batch.cause.type === "load" && this.isLeader()) this.askWaitingOpenGates(gates, now);
  }

  /**
   * On taking the Lease, once per kind and term: an opening for every open gate whose object still
   * waits on its dependencies, with an Event saying why (leader-start.ts). Openings already pending
   * (seen as a standby) keep their own.
   */
  private askWaitingOpenGates(gates: KindGates, now: number): void {
    if (gates.sweptThisTerm || !this.isLeader()) return;
    gates.sweptThisTerm = true;
    const event = leaderStartEvent();
    let asked = 0;
    for (const { key, object } of leaderStartRequests(gates.store.states(), (k) => gates.store.get(k))) {
      if (gates.openings.has(key)) continue;
      gates.openings.set(key, { at: now, requestedAt: object.annotations?.[RECONCILE_REQUESTED_AT], atLeaderStart: true });
      gates.lastEvent.set(key, signature(event));
      this.record(gates, object, event);
      this.considerRequest(gates, key, object);
      asked++;
    }
    if (asked > 0) this.log.info({ kind: gates.kind, objects: asked }, "dependencies were already Ready when releasegate started; asking Flux to reconcile the objects still waiting");
  }

  private onGateChange(gates: KindGates, change: StoreGateChange, now: number): void {
    const { key, before, after, object } = change;
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
        if (this.isLeader()) this.record(gates, object, actions.event);
        else this.rememberAsStandby(gates, key, actions.event, now);
      }
    }
    if (actions.skippedSuspended && this.isLeader()) {
      this.options.metrics.reconcileRequestsTotal.inc({ kind: gates.kind, result: "skipped_suspended" });
      this.log.info({ kind: gates.kind, ...nameOf(key) }, "gate opened on a suspended object; not asking Flux to reconcile it");
    }
    if (actions.requestReconcile || (actions.opened && object !== undefined)) {
      // An opening waits for its request until the object waits on its dependencies (maybe now:
      // actions.requestReconcile), someone else asks, or the gate closes.
      gates.openings.set(key, { at: now, requestedAt: object?.annotations?.[RECONCILE_REQUESTED_AT] });
      this.considerRequest(gates, key, object);
    }
  }

  /** Queue the request of a pending opening if it is due; forget openings someone else answered. */
  private considerRequest(gates: KindGates, key: ObjectKey, object: FluxObject | undefined): void {
    const opening = gates.openings.get(key);
    // A request on its way is the queue's to finish: our own patch may come back by watch before
    // its response does, and must not count as someone else's request.
    if (opening === undefined || gates.queue.has(key)) return;
    const action = decideOpening(opening.requestedAt, object);
    if (action === "forget") gates.openings.delete(key);
    else if (action === "request" && this.isLeader()) gates.queue.add(key);
  }

  /** Asked by the queue right before it sends: the decision again, on the object as it is now. */
  private stillWanted(gates: KindGates, key: ObjectKey): boolean {
    if (!this.isLeader()) return false;
    const opening = gates.openings.get(key);
    if (opening === undefined || gates.store.state(key)?.state !== "open") return false;
    const action = decideOpening(opening.requestedAt, gates.store.get(key));
    if (action === "forget") gates.openings.delete(key);
    return action === "request";
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
      if (opening !== undefined && opening.atLeaderStart !== true) this.options.metrics.gateOpenLatencySeconds.observe(Math.max(0, this.now() - opening.at) / 1000);
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

  private record(gates: KindGates, object: FluxObject, event: GateEvent): void {
    if (!this.isLeader()) return;
    void this.options.recordEvent(fluxObjectEventSpec(object, event)).then((result) => {
      // A dropped Event (bounded queue, cluster/events.ts) is counted in events_dropped_total, not logged.
      if (!result.ok && result.dropped === undefined) {
        this.log.warn({ kind: gates.kind, namespace: object.namespace, name: object.name, reason: event.reason, error: result.message }, "could not record Event");
      }
    });
  }
}

function signature(event: GateEvent): string {
  return `${event.reason}\n${event.note}`;
}


function nameOf(key: ObjectKey): { namespace: string; name: string } {
  const slash = key.indexOf("/");
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The object's dependencies as its GateOpened Event names them. */
function uniqueDependencyKeys(object: FluxObject): string[] {
  return dependencyNames(object.kind, resolveDependencies(object).map((d) => d.node));
}
