// Kubernetes Events (events.k8s.io/v1) on Flux objects, written the way client-go's
// tools/events broadcaster writes them, kept small: the first occurrence creates an Event named
// `<object>.<hex time>`; the same occurrence again (same object, reason, action, type and note) within
// six minutes of the last one patches that Event's `series` (count 2, 3, ...; lastObservedTime) instead
// of creating another. The note is part of the identity because events.k8s.io/v1 makes it immutable
// after creation (only `series` may change). Failures are returned, never thrown: an Event is never
// worth a crash.
//
// Writes go through one bounded queue (write-queue.ts): per object only the latest Event waits (an
// older one still waiting is dropped, since the object has moved on), at most `maxQueued` objects wait,
// a few writes run at once under a global rate, all over the client's one pooled connection set (src/kube).
// Every drop is counted (`releasegate_events_dropped_total`). So 3,000 objects turning blocked at once
// cost a bounded queue and a handful of connections, not 3,000 requests in flight.

import { describeError, statusCodeOf } from "../runtime/api-error.js";
import { kubeClientOf } from "../kube/connect.js";
import type { KubeSource } from "../kube/connect.js";
import type { KubeClient } from "../kube/kube-client.js";
import { silentLogger } from "../runtime/logger.js";
import type { Logger } from "../runtime/logger.js";
import type { FluxObject } from "../graph/types.js";
import { apiVersionOf, fluxResourceType, KUBERNETES_RESOURCES, resourcePath } from "./resources.js";
import { WriteQueue } from "./write-queue.js";
import type { DropReason, RateLimiter } from "./write-queue.js";

/** The object an Event is about (`regarding`) or mentions (`related`). */
interface ObjectReference {
  apiVersion?: string;
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
}

export interface EventSpec {
  regarding: ObjectReference;
  type: "Normal" | "Warning";
  /** Why the action was taken, CamelCase (e.g. DependencyBlocked); at most 128 characters. */
  reason: string;
  /** What was done or failed, CamelCase (e.g. GateCheck); at most 128 characters. */
  action: string;
  /** For people; cut to 1 KiB, the API's limit. */
  note: string;
  related?: ObjectReference;
}

export type RecordEventResult =
  | { ok: true; namespace: string; name: string; count: number; created: boolean }
  | { ok: false; status?: number; message: string; dropped?: DropReason };

interface EventRecorderOptions {
  /** This replica's name (the pod name), `reportingInstance`. */
  reportingInstance: string;
  reportingController?: string;
  /** How long after its last occurrence an Event can still be bumped (client-go: 6 minutes). */
  seriesWindowMs?: number;
  /** How many recent Events to remember for bumping. */
  maxRemembered?: number;
  now?: () => Date;
  logger?: Logger;
  /** Event writes running at once (default 4). */
  concurrency?: number;
  /** Objects whose Event may wait at once (default 1,000, as client-go's broadcaster queue). */
  maxQueued?: number;
  /** Global rate of Event writes (serve: a token bucket of 10/s, burst 25). */
  limiter?: RateLimiter;
  /** Told about each Event dropped unwritten (releasegate_events_dropped_total). */
  onDropped?: (reason: DropReason) => void;
}

interface QueuedEvent {
  identity: string;
  spec: EventSpec;
  /** Occurrences this write stands for (the same Event recorded again while it waited). */
  occurrences: number;
  settle: (result: RecordEventResult) => void;
}

/** events.k8s.io/v1 validation limits (k8s.io/kubernetes pkg/apis/core/validation/events.go). */
const NOTE_MAX_BYTES = 1024;
const REASON_MAX = 128;
const ACTION_MAX = 128;
const NAME_MAX = 253;

interface Remembered {
  namespace: string;
  name: string;
  count: number;
  lastObserved: number;
}

/** A time that serialises as RFC 3339 with microseconds, the wire form of metav1.MicroTime. */
class MicroTime extends Date {
  override toISOString(): string {
    return super.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
  }

  override toJSON(): string {
    return this.toISOString();
  }
}

/** RFC 3339 with microseconds, the wire form of metav1.MicroTime. */
export function microTime(date: Date): MicroTime {
  return new MicroTime(date.getTime());
}

/** Cut a string to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, "utf8") <= maxBytes) return text;
  const ellipsis = "…";
  const budget = maxBytes - Buffer.byteLength(ellipsis, "utf8");
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch, "utf8");
    if (bytes + size > budget) break;
    bytes += size;
    end += ch.length;
  }
  return text.slice(0, end) + ellipsis;
}

export class EventRecorder {
  private readonly client: KubeClient;
  private readonly reportingController: string;
  private readonly reportingInstance: string;
  private readonly seriesWindowMs: number;
  private readonly maxRemembered: number;
  private readonly now: () => Date;
  private readonly log: Logger;
  /** Recent Events by identity, oldest use first (re-inserted on each use). */
  private readonly remembered = new Map<string, Remembered>();
  private readonly queue: WriteQueue<QueuedEvent>;
  private sequence = 0;

  constructor(kc: KubeSource, options: EventRecorderOptions) {
    this.client = kubeClientOf(kc);
    const onDropped = options.onDropped;
    this.queue = new WriteQueue<QueuedEvent>({
      run: async (queued) => queued.settle(await this.write(queued.identity, queued.spec, queued.occurrences)),
      // The same Event again while one waits: one write, the series counting both. A different Event
      // for the object replaces the waiting one (the object has moved on), which counts as dropped.
      merge: (older, newer) =>
        older.identity !== newer.identity
          ? undefined
          : {
              identity: newer.identity,
              spec: newer.spec,
              occurrences: older.occurrences + newer.occurrences,
              settle: (result) => {
                older.settle(result);
                newer.settle(result);
              },
            },
      dropped: (queued, reason) => {
        onDropped?.(reason);
        queued.settle({ ok: false, dropped: reason, message: `event ${queued.spec.reason} dropped (${reason}): the Event queue is full or a newer Event replaced it` });
      },
      concurrency: options.concurrency ?? 4,
      maxQueued: options.maxQueued ?? 1000,
      ...(options.limiter ? { limiter: options.limiter } : {}),
    });
    this.reportingController = options.reportingController ?? "releasegate";
    this.reportingInstance = options.reportingInstance;
    this.seriesWindowMs = options.seriesWindowMs ?? 6 * 60_000;
    this.maxRemembered = options.maxRemembered ?? 4096;
    this.now = options.now ?? (() => new Date());
    this.log = options.logger ?? silentLogger;
  }

  /** Record one occurrence: create the Event, or bump the series of the same recent one. */
  record(spec: EventSpec): Promise<RecordEventResult> {
    const event = normalize(spec);
    const identity = JSON.stringify([
      event.regarding.kind,
      event.regarding.namespace,
      event.regarding.name,
      event.regarding.uid ?? "",
      event.reason,
      event.action,
      event.type,
      event.note,
    ]);
    // A gate change, for the person watching the log (the Event itself may be coalesced or dropped).
    this.log.info(
      { kind: event.regarding.kind, object: `${event.regarding.namespace}/${event.regarding.name}`, eventReason: event.reason, note: event.note.split("\n", 1)[0] },
      "gate changed",
    );
    const object = JSON.stringify([event.regarding.kind, event.regarding.namespace, event.regarding.name, event.regarding.uid ?? ""]);
    return new Promise<RecordEventResult>((settle) => this.queue.push(object, { identity, spec: event, occurrences: 1, settle }));
  }

  /** Events waiting to be written. */
  get queued(): number {
    return this.queue.size;
  }

  /** Drops every waiting Event (shutdown, lost lease); writes already on the wire finish. */
  clear(): void {
    this.queue.clear();
  }

  /** Resolves once nothing waits or runs. */
  whenIdle(): Promise<void> {
    return this.queue.whenIdle();
  }

  private async write(identity: string, spec: EventSpec, occurrences = 1): Promise<RecordEventResult> {
    const now = this.now();
    const known = this.remembered.get(identity);
    if (known && now.getTime() - known.lastObserved <= this.seriesWindowMs) {
      const count = known.count + occurrences;
      try {
        await this.client.patch(
          resourcePath(KUBERNETES_RESOURCES.event, known.namespace, known.name),
          "merge",
          { series: { count, lastObservedTime: microTime(now).toISOString() } },
          { timeoutMs: 10_000, discardBody: true },
        );
        this.remember(identity, { ...known, count, lastObserved: now.getTime() });
        return { ok: true, namespace: known.namespace, name: known.name, count, created: false };
      } catch (err) {
        // Events expire (kube-apiserver --event-ttl, 1 h by default): a bump of a vanished Event
        // starts a new one. Anything else is reported.
        if (statusCodeOf(err) !== 404) return this.failed(spec, err);
      }
    }
    return this.create(identity, spec, now, occurrences);
  }

  private async create(identity: string, spec: EventSpec, now: Date, occurrences = 1): Promise<RecordEventResult> {
    const namespace = spec.regarding.namespace || "default";
    const name = this.eventName(spec.regarding.name, now);
    const body = {
      apiVersion: apiVersionOf(KUBERNETES_RESOURCES.event),
      kind: KUBERNETES_RESOURCES.event.kind,
      metadata: { name, namespace },
      eventTime: microTime(now),
      reportingController: this.reportingController,
      reportingInstance: this.reportingInstance,
      action: spec.action,
      reason: spec.reason,
      note: spec.note,
      type: spec.type,
      regarding: spec.regarding,
      ...(spec.related ? { related: spec.related } : {}),
      // Occurrences merged while waiting start the series at once (events.k8s.io/v1: count >= 2).
      ...(occurrences > 1 ? { series: { count: occurrences, lastObservedTime: microTime(now) } } : {}),
    };
    try {
      await this.client.create(resourcePath(KUBERNETES_RESOURCES.event, namespace), body, { timeoutMs: 10_000, discardBody: true });
      this.remember(identity, { namespace, name, count: occurrences, lastObserved: now.getTime() });
      return { ok: true, namespace, name, count: occurrences, created: true };
    } catch (err) {
      return this.failed(spec, err);
    }
  }

  private failed(spec: EventSpec, err: unknown): RecordEventResult {
    const status = statusCodeOf(err);
    const object = `${spec.regarding.kind} ${spec.regarding.namespace}/${spec.regarding.name}`;
    const message = `recording event ${spec.reason} on ${object}: ${describeError(err)}`;
    this.log.warn({ object, reason: spec.reason, error: describeError(err) }, "event not recorded");
    return { ok: false, ...(status !== undefined ? { status } : {}), message };
  }

  /** client-go names Events `<regarding name>.<hex nanoseconds>`; the sequence keeps names unique. */
  private eventName(objectName: string, now: Date): string {
    const stamp = (BigInt(now.getTime()) * 1_000_000n + BigInt(this.sequence++ % 1_000_000)).toString(16);
    return `${objectName.slice(0, NAME_MAX - stamp.length - 1)}.${stamp}`;
  }

  private remember(identity: string, entry: Remembered): void {
    this.remembered.delete(identity);
    this.remembered.set(identity, entry);
    if (this.remembered.size <= this.maxRemembered) return;
    const cutoff = entry.lastObserved - this.seriesWindowMs;
    for (const [key, value] of this.remembered) {
      if (this.remembered.size <= this.maxRemembered && value.lastObserved >= cutoff) break;
      this.remembered.delete(key);
    }
  }
}

/** The spec with the API's limits applied (reason/action cut, note cut to 1 KiB of UTF-8). */
function normalize(spec: EventSpec): EventSpec {
  return {
    ...spec,
    reason: spec.reason.slice(0, REASON_MAX),
    action: spec.action.slice(0, ACTION_MAX),
    note: truncateUtf8(spec.note, NOTE_MAX_BYTES),
  };
}

/**
 * The Event about one Flux object, built from the object the caller already holds (the controller's
 * gate change carries it): pure, no cache read.
 */
export function fluxObjectEventSpec(object: FluxObject, occurrence: Pick<EventSpec, "type" | "reason" | "action" | "note">): EventSpec {
  return {
    regarding: {
      apiVersion: object.apiVersion ?? apiVersionOf(fluxResourceType(object.kind)),
      kind: object.kind,
      namespace: object.namespace,
      name: object.name,
      ...(object.uid !== undefined ? { uid: object.uid } : {}),
    },
    ...occurrence,
  };
}
