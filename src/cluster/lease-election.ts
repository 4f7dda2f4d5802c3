// Leader election on a coordination.k8s.io/v1 Lease, following client-go's tools/leaderelection
// (client-node has none):
// - a candidate reads the Lease; it may take it when nobody holds it, or when the holder's record has
//   not changed for the holder's leaseDurationSeconds *as measured on the candidate's own clock* since
//   it first saw that record (clocks of different machines are never compared);
// - every write is an update carrying the resourceVersion read, so of two candidates only one wins
//   (409 Conflict for the other);
// - the leader renews every retry period; when it has not renewed for renewDeadline (or sees another
//   holder) it stops leading at once, before its lease can expire in anyone else's eyes
//   (renewDeadline < leaseDuration);
// - release() on shutdown clears holderIdentity, like client-go's ReleaseOnCancel, so a standby takes
//   over at its next retry instead of waiting a whole lease duration.

import { kubeClientOf } from "../kube/connect.js";
import type { KubeSource } from "../kube/connect.js";
import type { KubeClient } from "../kube/kube-client.js";
import { KUBERNETES_RESOURCES, resourcePath } from "./resources.js";
import { microTime } from "./events.js";
import { describeError, statusCodeOf } from "../runtime/api-error.js";
import { silentLogger } from "../runtime/logger.js";
import type { Logger } from "../runtime/logger.js";

/** What leads under the Lease: told at once when leadership starts and when it ends. */
export interface LeadershipListener {
  startedLeading(): void;
  /** Called as soon as leadership is lost or given up; writes guarded by the lease must stop now. */
  stoppedLeading(): void;
}

export interface LeaseElectionOptions {
  namespace: string;
  /** The Lease's name, shared by every replica. */
  name: string;
  /** This replica's identity (the pod name); must be unique among the replicas. */
  identity: string;
  /** How long a standby waits on an unchanged lease before taking it (client-go default 15 s). */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it gives up leading (default 10 s). */
  renewDeadlineMs?: number;
  /** How often to try to acquire or renew (default 2 s). */
  retryPeriodMs?: number;
  /** Told when this replica starts and stops leading (serve: the gate controller). */
  leadership?: LeadershipListener;
  /** Called when the observed holder changes ("" when nobody holds the lease). */
  onNewLeader?: (identity: string) => void;
  logger?: Logger;
}

/** client-go wait.JitterUntil's JitterFactor for the acquire loop. */
const JITTER_FACTOR = 1.2;

/** A coordination.k8s.io/v1 Lease as the election reads and writes it (the JSON, times as RFC 3339 text);
 *  fields not named here travel along unchanged. */
interface LeaseObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: Date | string;
    renewTime?: Date | string;
    leaseTransitions?: number;
  };
}

/** The fields of a Lease's spec that the election reads, normalised for comparison. */
interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: string;
  renewTime: string;
  leaseTransitions: number;
}

function timeText(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  return typeof value === "string" ? value : "";
}

/** Read a Lease's spec defensively into a LeaseRecord. */
export function leaseRecordOf(lease: LeaseObject | undefined): LeaseRecord {
  const spec = lease?.spec;
  return {
    holderIdentity: typeof spec?.holderIdentity === "string" ? spec.holderIdentity : "",
    leaseDurationSeconds: typeof spec?.leaseDurationSeconds === "number" ? spec.leaseDurationSeconds : 0,
    acquireTime: timeText(spec?.acquireTime),
    renewTime: timeText(spec?.renewTime),
    leaseTransitions: typeof spec?.leaseTransitions === "number" ? spec.leaseTransitions : 0,
  };
}

function sameRecord(a: LeaseRecord | undefined, b: LeaseRecord): boolean {
  return (
    a !== undefined &&
    a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime &&
    a.leaseTransitions === b.leaseTransitions
  );
}

/**
 * Pure: may `identity` write itself into a lease whose record is `record`, first seen (unchanged) at
 * `observedAt` on our clock, at time `now`? Yes when nobody holds it, when we hold it, or when the
 * holder's lease has run out since we first saw that record.
 */
export function mayTakeLease(record: LeaseRecord, identity: string, observedAt: number, now: number): boolean {
  if (record.holderIdentity === "" || record.holderIdentity === identity) return true;
  return observedAt + record.leaseDurationSeconds * 1000 <= now;
}

type Attempt = "acquired" | "held-by-other" | "failed";

export class LeaseElection {
  private readonly client: KubeClient;
  private readonly namespace: string;
  private readonly name: string;
  private readonly identity: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly callbacks: Pick<LeaseElectionOptions, "leadership" | "onNewLeader">;
  private readonly log: Logger;

  private observedRecord: LeaseRecord | undefined;
  private observedAt = 0;
  private leading = false;
  private lastRenewAt = 0;
  private state: "new" | "running" | "stopped" = "new";
  private loop: Promise<void> | undefined;
  private readonly sleepers = new Set<() => void>();
  /** The acquire or renew on the wire, if any: stop() does not wait for it, release() must. */
  private attempt: Promise<Attempt> | undefined;
  /** Resolves on stop(): no request in flight may hold up stopping. */
  private readonly stopped: Promise<"stopped">;
  private signalStopped!: () => void;

  constructor(kc: KubeSource, options: LeaseElectionOptions) {
    this.namespace = options.namespace;
    this.name = options.name;
    this.identity = options.identity;
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    this.callbacks = options;
    this.log = options.logger ?? silentLogger;
    // client-go's NewLeaderElector refuses the same settings: a leader must give up before its lease
    // can expire for others, and retry often enough to renew within its deadline.
    if (this.identity === "") throw new Error("leader election: identity is empty; pass the pod name");
    if (this.leaseDurationMs <= this.renewDeadlineMs) {
      throw new Error(
        `leader election: lease duration (${this.leaseDurationMs} ms) must be greater than renew deadline (${this.renewDeadlineMs} ms)`,
      );
    }
    if (this.renewDeadlineMs <= JITTER_FACTOR * this.retryPeriodMs) {
      throw new Error(
        `leader election: renew deadline (${this.renewDeadlineMs} ms) must be greater than ${JITTER_FACTOR} × retry period (${this.retryPeriodMs} ms)`,
      );
    }
    this.client = kubeClientOf(kc);
    this.stopped = new Promise((resolve) => (this.signalStopped = () => resolve("stopped")));
  }

  /** Start campaigning in the background. */
  start(): void {
    if (this.state !== "new") return;
    this.state = "running";
    this.loop = this.run();
  }

  /**
   * True while this replica holds the lease: it renewed within the renew deadline and has seen no
   * other holder. Checked against the clock, so a late timer can never extend leadership.
   */
  isLeader(): boolean {
    return this.leading && Date.now() - this.lastRenewAt < this.renewDeadlineMs;
  }

  /** The holder last seen on the Lease ("" for none, undefined before the first read). */
  leader(): string | undefined {
    return this.observedRecord?.holderIdentity;
  }

  /** Stop campaigning and renewing, without touching the Lease (it expires on its own). */
  async stop(): Promise<void> {
    if (this.state === "stopped") return;
    const wasRunning = this.state === "running";
    this.state = "stopped";
    this.stopLeading("stopped");
    this.signalStopped();
    for (const wake of [...this.sleepers]) wake();
    if (wasRunning) await this.loop;
  }

  /**
   * Stop, and if this replica held the lease, give it up: holderIdentity cleared, a 1 s duration
   * (client-go's release), so another replica takes over at its next retry. stoppedLeading runs
   * before the Lease is written, so guarded writes stop before anyone else can lead.
   */
  async release(): Promise<void> {
    const held = this.leading;
    await this.stop();
    if (!held) return;
    // A shutdown must not hang on an unreachable API server: give up after the renew deadline.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.renewDeadlineMs} ms`)), this.renewDeadlineMs);
    });
    try {
      await Promise.race([this.giveUpLease(), timeout]);
    } catch (err) {
      this.log.warn(
        { lease: `${this.namespace}/${this.name}`, error: describeError(err) },
        "could not release the leader lease; it will expire on its own",
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** client-go's release(): the record emptied of its holder, only if we still hold it. */
  private async giveUpLease(): Promise<void> {
    // A renewal still on the wire would land after our read and make the release a 409 (or undo it).
    await this.attempt;
    const lease = await this.readLease();
    const record = leaseRecordOf(lease);
    if (record.holderIdentity !== this.identity) return;
    const now = microTime(new Date());
    await this.replaceLease({
      ...lease,
      spec: {
        ...lease.spec,
        holderIdentity: "",
        leaseDurationSeconds: 1,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: record.leaseTransitions,
      },
    });
    this.log.info({ lease: `${this.namespace}/${this.name}`, identity: this.identity }, "released leader lease");
  }

  private leasePath(name?: string): string {
    return resourcePath(KUBERNETES_RESOURCES.lease, this.namespace, name);
  }

  private readLease(): Promise<LeaseObject> {
    return this.client.get<LeaseObject>(this.leasePath(this.name), { timeoutMs: this.renewDeadlineMs });
  }

  private replaceLease(body: LeaseObject): Promise<LeaseObject> {
    return this.client.replace<LeaseObject>(this.leasePath(this.name), body, { timeoutMs: this.renewDeadlineMs });
  }

  private get running(): boolean {
    return this.state === "running";
  }

  private async run(): Promise<void> {
    while (this.running) {
      // Campaign: try, then wait retryPeriod plus up to 1.2 × retryPeriod of jitter.
      const attempt = await Promise.race([this.tracked(), this.stopped]);
      if (attempt === "stopped" || !this.running) break;
      if (attempt !== "acquired") {
        await this.sleep(this.retryPeriodMs * (1 + Math.random() * JITTER_FACTOR));
        continue;
      }
      this.startLeading();
      await this.renewLoop();
    }
  }

  /** Renew every retry period until the renew deadline passes without success, or another holder. */
  private async renewLoop(): Promise<void> {
    while (this.running && this.leading) {
      await this.sleep(this.retryPeriodMs);
      if (!this.running || !this.leading) return;
      const deadline = this.lastRenewAt + this.renewDeadlineMs;
      const attempt = await Promise.race([
        this.tracked(),
        this.sleep(Math.max(0, deadline - Date.now())).then((): Attempt => "failed"),
        this.stopped,
      ]);
      if (!this.running || !this.leading) return;
      if (attempt === "acquired") {
        continue;
      }
      if (attempt === "held-by-other") {
        this.stopLeading(`lease taken by ${this.observedRecord?.holderIdentity ?? "another holder"}`);
      } else if (Date.now() >= deadline) {
        this.stopLeading(`could not renew within ${this.renewDeadlineMs} ms`);
      }
    }
  }

  private startLeading(): void {
    this.leading = true;
    this.log.info({ lease: `${this.namespace}/${this.name}`, identity: this.identity }, "became leader");
    try {
      this.callbacks.leadership?.startedLeading();
    } catch (err) {
      this.log.error({ error: describeError(err) }, "startedLeading threw");
    }
  }

  private stopLeading(why: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.log.info({ lease: `${this.namespace}/${this.name}`, identity: this.identity, why }, "stopped leading");
    try {
      this.callbacks.leadership?.stoppedLeading();
    } catch (err) {
      this.log.error({ error: describeError(err) }, "stoppedLeading threw");
    }
  }

  /** A sleep that stop() cuts short (the renew race can hold two at once). */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  private observe(record: LeaseRecord, at: number): void {
    const changedHolder = this.observedRecord?.holderIdentity !== record.holderIdentity;
    this.observedRecord = record;
    this.observedAt = at;
    if (changedHolder) {
      try {
        this.callbacks.onNewLeader?.(record.holderIdentity);
      } catch (err) {
        this.log.error({ error: describeError(err) }, "onNewLeader threw");
      }
    }
  }

  /** client-go's tryAcquireOrRenew: one read, then at most one create or optimistic update. */
  private tracked(): Promise<Attempt> {
    const attempt = this.tryAcquireOrRenew();
    this.attempt = attempt;
    void attempt.finally(() => {
      if (this.attempt === attempt) this.attempt = undefined;
    });
    return attempt;
  }

  private async tryAcquireOrRenew(): Promise<Attempt> {
    const now = Date.now();
    const nowTime = microTime(new Date(now));
    const durationSeconds = Math.ceil(this.leaseDurationMs / 1000);
    let lease: LeaseObject;
    try {
      lease = await this.readLease();
    } catch (err) {
      if (statusCodeOf(err) !== 404) {
        this.log.warn({ lease: `${this.namespace}/${this.name}`, error: describeError(err) }, "reading lease failed");
        return "failed";
      }
      try {
        const created = await this.client.create<LeaseObject>(
          this.leasePath(),
          {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: { name: this.name, namespace: this.namespace },
            spec: {
              holderIdentity: this.identity,
              leaseDurationSeconds: durationSeconds,
              acquireTime: nowTime,
              renewTime: nowTime,
              leaseTransitions: 0,
            },
          },
          { timeoutMs: this.renewDeadlineMs },
        );
        return this.won(created, now);
      } catch (createErr) {
        // 409 AlreadyExists: another candidate created it first; try again next period.
        if (statusCodeOf(createErr) !== 409) {
          this.log.warn({ lease: `${this.namespace}/${this.name}`, error: describeError(createErr) }, "creating lease failed");
        }
        return "failed";
      }
    }

    const record = leaseRecordOf(lease);
    if (!sameRecord(this.observedRecord, record)) this.observe(record, now);
    if (!mayTakeLease(record, this.identity, this.observedAt, now)) return "held-by-other";

    const renewing = record.holderIdentity === this.identity;
    try {
      // The resourceVersion read travels in metadata: a concurrent writer makes this a 409.
      const updated = await this.replaceLease({
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: this.identity,
          leaseDurationSeconds: durationSeconds,
          acquireTime: renewing && record.acquireTime !== "" ? lease.spec?.acquireTime : nowTime,
          renewTime: nowTime,
          leaseTransitions: renewing ? record.leaseTransitions : record.leaseTransitions + 1,
        },
      });
      return this.won(updated, now);
    } catch (err) {
      if (statusCodeOf(err) !== 409) {
        this.log.warn({ lease: `${this.namespace}/${this.name}`, error: describeError(err) }, "updating lease failed");
      }
      return "failed";
    }
  }

  private won(lease: LeaseObject, at: number): Attempt {
    this.observe(leaseRecordOf(lease), at);
    // A renewal only counts while we still lead (or are about to): never revive a stopped elector.
    if (this.running) this.lastRenewAt = at;
    return "acquired";
  }
}
