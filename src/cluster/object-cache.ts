// A cache of every object of one Flux kind across all namespaces (or in one), filled by list + watch (the
// reflector pattern of client-go's tools/cache, kept small): a paginated list, then a watch resumed
// from the last resourceVersion (with bookmarks) for as long as the server keeps it; `410 Gone` or any
// watch error means a fresh list, diffed against the cache so subscribers see only real changes, never
// a replay. Objects are reduced on ingest by the one decoder (src/flux/decode.ts), and a change is announced only when the
// reduced object differs, so changes to fields releasegate does not read (values, status.history,
// managed fields) cost nothing downstream. The requests go through src/kube (docs/architecture.md,
// "The Kubernetes transport"): each list page is decoded item by item and dropped before the next is
// asked for, and each watch line is parsed, decoded and dropped, so the raw objects (Helm values and
// all) never outlive the page or the event that carried them.

import { kubeClientOf } from "../kube/connect.js";
import type { KubeSource } from "../kube/connect.js";
import type { KubeClient, WatchHandle } from "../kube/kube-client.js";
import type { FluxKind, FluxObject, ObjectKey } from "../graph/types.js";
import { decodeFluxObject, sameFluxObject } from "../flux/decode.js";
import type { DecodeOptions } from "../flux/decode.js";
import { coversKeep } from "../graph/field-paths.js";
import { objectKey, splitKey } from "../graph/refs.js";
import { describeError, statusCodeOf } from "../runtime/api-error.js";
import { isRecord } from "../runtime/json.js";
import { silentLogger } from "../runtime/logger.js";
import type { Logger } from "../runtime/logger.js";
import { apiVersionOf, fluxResourceType, resourcePath } from "./resources.js";
import type { ResourceType } from "./resources.js";

/** A change to the cache: an object added or changed (`previous` unset when added), or removed. */
export type CacheChange<T = FluxObject> =
  | { type: "upsert"; key: ObjectKey; object: T; previous?: T }
  | { type: "delete"; key: ObjectKey; object?: undefined; previous: T };

export type CacheListener<T = FluxObject> = (change: CacheChange<T>) => void;

/** What the cache keeps of each object: decoded once on ingest, compared to announce real changes only. */
export interface CacheCodec<T> {
  type: ResourceType;
  /** Undefined (or an empty name or namespace) for an object not worth keeping. */
  decode(raw: unknown): T | undefined;
  same(a: T, b: T): boolean;
  /** The object was decoded keeping less than the codec keeps now (a readyExpr reads more of it): read it again. */
  stale?(object: T): boolean;
}

/**
 * The Flux kind's codec: the one decoder (src/flux/decode.ts). `keepFor`: the fields other objects'
 * readyExprs read of each object (the graph's FieldDemand).
 */
export function fluxCodec(kind: FluxKind, version: string | undefined, keepFor?: DecodeOptions["keepFor"]): CacheCodec<FluxObject> {
  const type = fluxResourceType(kind, version);
  if (keepFor === undefined) return { type, decode: (raw) => decodeFluxObject(kind, raw), same: sameFluxObject };
  return {
    type,
    decode: (raw) => decodeFluxObject(kind, raw, { keepFor }),
    same: sameFluxObject,
    stale: (object) => object.fieldsKeep !== undefined && !coversKeep(object.fieldsKeep, keepFor(object.kind, object.namespace, object.name)),
  };
}

/**
 * Why a watch had to be started again: "timeout", the server ended it at the timeoutSeconds the cache
 * asked for (routine, every 5–10 minutes); "closed", the server ended it early (e.g. apiserver
 * shutdown), and it resumed from its resourceVersion; "expired", its resourceVersion was too old
 * (410 Gone), so the cache re-listed; "error", it failed, so the cache backed off and re-listed.
 */
export type WatchRestartReason = "timeout" | "closed" | "expired" | "error";

export interface WatchRestart {
  kind: string;
  reason: WatchRestartReason;
  /** One line from the server or the connection, for "error". */
  error?: string;
}

/** Lists at most this often in a row before the first sync (requestRelist while listing). */
const MAX_LISTS_BEFORE_SYNC = 3;
/** Objects read again one by one before the first sync; more, and the kind is listed again. */
const MAX_STALE_READS = 200;

export interface ObjectCacheOptions<T = FluxObject> {
  /** The kind, for logs and metrics; a Flux kind unless `codec` says what else is cached. */
  kind: string;
  /** The version to list and watch (from discoverServedVersions); the newest known by default. */
  version?: string;
  /** For objects other than Flux kinds (the sources): what to list and keep. */
  codec?: CacheCodec<T>;
  /**
   * List and watch in this namespace only (a namespaced kind releasegate may read only where a Role
   * grants it: external-watches.ts); every namespace by default.
   */
  namespace?: string;
  /** Items per list page (client-go's reflector uses 500): bounds the memory a re-list needs. */
  pageSize?: number;
  /** Server-side watch timeout; by default a random 5–10 minutes, as client-go spreads them. */
  watchTimeoutSeconds?: number;
  /** Retry delays after errors: exponential from `initialMs`, capped at `maxMs`, with jitter. */
  backoff?: { initialMs?: number; maxMs?: number };
  logger?: Logger;
}

interface WatchOutcome {
  reason: WatchRestartReason;
  /** The watch delivered events or lived a while: the next restart need not back off. */
  healthy: boolean;
  error?: string;
}

/** A watch that ran at least this long without failing counts as healthy. */
const HEALTHY_WATCH_MS = 1000;

export class ObjectCache<T extends { namespace: string; name: string } = FluxObject, K extends string = FluxKind> {
  readonly kind: K;
  /** Resolves once the first full list is in the cache; rejects if the cache is stopped before. */
  readonly synced: Promise<void>;

  private readonly type: ResourceType;
  private readonly namespace: string | undefined;
  private readonly client: KubeClient;
  private readonly pageSize: number;
  private readonly watchTimeoutSeconds: number | undefined;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly log: Logger;

  private readonly codec: CacheCodec<T>;
  private readonly objects = new Map<ObjectKey, T>();
  private readonly listeners = new Set<CacheListener<T>>();
  private readonly restartListeners = new Set<(restart: WatchRestart) => void>();
  private resourceVersion: string | undefined;
  /** Date.now() when the server last delivered anything: a list page, a watch event or bookmark. */
  private lastDelivery: number | undefined;
  private hasSynced = false;
  private listing = false;
  private restarts = 0;
  /** When the API server last delivered something on this cache's list or watch (cache-staleness.ts). */
  private contactAt: number | undefined;
  /** A watch stream is open (between its response and its end). */
  private watchOpen = false;
  private state: "new" | "running" | "stopped" = "new";
  /** requestRelist() was called: list again before the next watch. */
  private relistWanted = false;
  private loop: Promise<void> | undefined;
  private resolveSynced!: () => void;
  private rejectSynced!: (err: Error) => void;
  /** Ends the running watch or sleep early (stop()). */
  private interrupt: (() => void) | undefined;

  /** `kc`: a KubeClient (src/kube), or a client-node KubeConfig (its requests then share one client). */
  constructor(kc: KubeSource, options: ObjectCacheOptions<T> & { kind: K }) {
    this.kind = options.kind;
    this.codec = options.codec ?? (fluxCodec(options.kind as string as FluxKind, options.version) as unknown as CacheCodec<T>);
    this.type = this.codec.type;
    this.namespace = options.namespace;
    this.client = kubeClientOf(kc);
    this.pageSize = options.pageSize ?? 500;
    this.watchTimeoutSeconds = options.watchTimeoutSeconds;
    this.initialBackoffMs = options.backoff?.initialMs ?? 500;
    this.maxBackoffMs = options.backoff?.maxMs ?? 30_000;
    this.log = options.logger ?? silentLogger;
    this.synced = new Promise<void>((resolve, reject) => {
      this.resolveSynced = resolve;
      this.rejectSynced = reject;
    });
    // Nobody has to await `synced`; a rejection on stop() must not become an unhandled one.
    this.synced.catch(() => undefined);
  }

  /** Start listing and watching in the background. Calling it again while running does nothing. */
  start(): void {
    if (this.state === "running") return;
    if (this.state === "stopped") {
      throw new Error(`the ${this.kind} cache was stopped; create a new ObjectCache to start again`);
    }
    this.state = "running";
    this.loop = this.run();
  }

  /**
   * List everything again soon (ending the watch that runs): the codec now keeps more of each object
   * (a readyExpr reads a field the objects were decoded without). Calls before the list starts coalesce.
   */
  requestRelist(): void {
    if (this.state !== "running") return;
    this.relistWanted = true;
    if (!this.listing) this.interrupt?.();
  }

  /**
   * Stop watching. Resolves when the background loop has ended, or at once when it is waiting on a
   * list request (which cannot be cancelled; its answer is then ignored). Cached objects stay readable.
   */
  async stop(): Promise<void> {
    if (this.state === "stopped") return;
    const wasRunning = this.state === "running";
    this.state = "stopped";
    this.interrupt?.();
    if (!this.hasSynced) this.rejectSynced(new Error(`the ${this.kind} cache was stopped before it synced`));
    if (wasRunning && !this.listing) await this.loop;
  }

  /** True once the first full list is in the cache (and for ever after, as client-go's HasSynced). */
  isSynced(): boolean {
    return this.hasSynced;
  }

  get(key: ObjectKey): T | undefined {
    return this.objects.get(key);
  }

  list(): T[] {
    return [...this.objects.values()];
  }

  get size(): number {
    return this.objects.size;
  }

  /** Milliseconds time of the last complete list or watch event (bookmarks included); see cache-staleness.ts. */
  lastContactAt(): number | undefined {
    return this.contactAt;
  }

  /** True while a watch stream is open: the cache misses nothing the API server can still send it. */
  isWatching(): boolean {
    return this.watchOpen;
  }

  /** How many times the watch was started again after the first one. */
  get watchRestarts(): number {
    return this.restarts;
  }

  /**
   * When the server last delivered anything (a list page, a watch event, a bookmark), in Date.now()
   * milliseconds; undefined before the first. Bookmarks arrive about once a minute on a quiet watch,
   * so this is how stale the cache may be.
   */
  lastDeliveryAt(): number | undefined {
    return this.lastDelivery;
  }

  /** The resourceVersion the cache is current to (the next watch resumes from it). */
  get lastResourceVersion(): string | undefined {
    return this.resourceVersion;
  }

  /**
   * Be told of every change from now on (the initial list arrives as upserts, so subscribe before
   * start() to see everything, or read list() after). Listeners run synchronously, in order; one
   * that throws is logged and does not disturb the others. Returns the unsubscribe function.
   */
  subscribe(listener: CacheListener<T>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Be told each time the watch restarts (for `releasegate_watch_restarts_total{kind}`). */
  onWatchRestart(listener: (restart: WatchRestart) => void): () => void {
    this.restartListeners.add(listener);
    return () => this.restartListeners.delete(listener);
  }

  private get stopped(): boolean {
    return this.state === "stopped";
  }

  private async run(): Promise<void> {
    let needList = true;
    // Consecutive failed rounds: drives the backoff; a healthy watch resets it.
    let failures = 0;
    while (!this.stopped) {
      let delay = 0;
      try {
        if (needList || this.relistWanted) {
          // Before the first sync, a list whose decoding asked for more of objects already decoded
          // (requestRelist from the codec's caller) is done again, so the first state is complete.
          let rounds = 0;
          do {
            this.relistWanted = false;
            this.listing = true;
            await this.relist().finally(() => (this.listing = false));
            // Few objects decoded before the demand for them grew: read just those again.
            if (this.relistWanted && !this.hasSynced && !this.stopped && (await this.refreshStale())) this.relistWanted = false;
          } while (this.relistWanted && !this.hasSynced && !this.stopped && ++rounds < MAX_LISTS_BEFORE_SYNC);
          if (this.stopped) break;
          needList = false;
          if (!this.hasSynced) {
            this.hasSynced = true;
            this.log.info({ kind: this.kind, objects: this.objects.size }, "cache synced");
            this.resolveSynced();
          }
        }
        const outcome = await this.watchOnce();
        if (this.stopped) break;
        // Ended for requestRelist(): not a restart of the watch's own.
        if (this.relistWanted) continue;
        this.restarts++;
        this.emitRestart({ kind: this.kind, reason: outcome.reason, ...(outcome.error ? { error: outcome.error } : {}) });
        if (outcome.reason === "expired" || outcome.reason === "error") needList = true;
        if (outcome.healthy) {
          failures = 0;
        } else {
          failures++;
          // An expired resourceVersion is answered by a re-list at once (as client-go's reflector
          // does); only repeated failures wait.
          delay = outcome.reason === "expired" && failures === 1 ? 0 : this.backoff(failures);
        }
        if (outcome.reason === "error") {
          this.log.warn({ kind: this.kind, error: outcome.error, retryInMs: delay }, "watch failed; will re-list");
        }
      } catch (err) {
        if (this.stopped) break;
        failures++;
        delay = this.backoff(failures);
        const notServed = statusCodeOf(err) === 404;
        this.log.warn(
          { kind: this.kind, error: describeError(err), retryInMs: Math.round(delay) },
          notServed
            ? `the API server does not serve ${apiVersionOf(this.type)} ${this.type.resource}: install Flux, or pass the version discoverServedVersions found; retrying`
            : `listing ${apiVersionOf(this.type)} ${this.type.resource} failed; retrying`,
        );
      }
      if (delay > 0) await this.sleep(delay);
    }
  }

  /** Exponential backoff with jitter: half the capped delay, plus up to as much again at random. */
  private backoff(failures: number): number {
    const base = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.max(0, failures - 1));
    return base / 2 + Math.random() * (base / 2);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.interrupt = done;
    });
  }

  /**
   * List every object (in pages, all from one consistent snapshot), then make the cache equal to the
   * list, announcing each difference: objects added or changed while no watch ran are upserts, and
   * objects gone are deletes. Unchanged objects announce nothing, so a re-list never duplicates.
   */
  private async relist(): Promise<void> {
    const fresh = new Map<ObjectKey, T>();
    let continueToken: string | undefined;
    let listVersion: string | undefined;
    do {
      const page = await this.client.listPage(resourcePath(this.type, this.namespace), {
        limit: this.pageSize,
        ...(continueToken ? { continue: continueToken } : {}),
      });
      if (this.stopped) return;
      this.lastDelivery = Date.now();
      const items = page.items;
      for (let i = 0; i < items.length; i++) {
        const object = this.codec.decode(items[i]);
        // The raw object goes as soon as it is decoded: a page's values are garbage one by one.
        items[i] = undefined;
        if (object === undefined || object.name === "" || (object.namespace === "" && this.type.namespaced)) continue;
        fresh.set(objectKey(object.namespace, object.name), object);
      }
      listVersion = page.resourceVersion ?? listVersion;
      continueToken = page.continue;
    } while (continueToken);

    for (const [key, object] of fresh) this.upsert(key, object);
    for (const [key, previous] of this.objects) {
      if (!fresh.has(key)) {
        this.objects.delete(key);
        this.emit({ type: "delete", key, previous });
      }
    }
    this.resourceVersion = listVersion;
    this.contactAt = Date.now();
  }

  /**
   * Reads again, one GET each, the objects the codec says were decoded keeping too little; false (nothing
   * read) when there are more than MAX_STALE_READS of them, for which a list is cheaper.
   */
  private async refreshStale(): Promise<boolean> {
    const stale = this.codec.stale;
    if (stale === undefined) return false;
    const keys: ObjectKey[] = [];
    for (const [key, object] of this.objects) {
      if (!stale(object)) continue;
      keys.push(key);
      if (keys.length > MAX_STALE_READS) return false;
    }
    for (const key of keys) {
      if (this.stopped) return true;
      const { namespace, name } = splitKey(key);
      const raw = await this.client.find(resourcePath(this.type, namespace, name));
      const object = raw === undefined ? undefined : this.codec.decode(raw);
      if (object === undefined) this.remove(key);
      else this.upsert(key, object);
    }
    return true;
  }

  private upsert(key: ObjectKey, object: T): void {
    const previous = this.objects.get(key);
    if (previous && this.codec.same(previous, object)) return;
    this.objects.set(key, object);
    this.emit(previous ? { type: "upsert", key, object, previous } : { type: "upsert", key, object });
  }

  private remove(key: ObjectKey): void {
    const previous = this.objects.get(key);
    if (!previous) return;
    this.objects.delete(key);
    this.emit({ type: "delete", key, previous });
  }

  private emit(change: CacheChange<T>): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (err) {
        this.log.error({ kind: this.kind, key: change.key, error: describeError(err) }, "cache listener threw");
      }
    }
  }

  private emitRestart(restart: WatchRestart): void {
    for (const listener of this.restartListeners) {
      try {
        listener(restart);
      } catch (err) {
        this.log.error({ kind: this.kind, error: describeError(err) }, "watch restart listener threw");
      }
    }
  }

  /** One watch from the current resourceVersion, until the server ends it, it fails, or stop(). */
  private watchOnce(): Promise<WatchOutcome> {
    return new Promise<WatchOutcome>((resolve) => {
      const startedAt = Date.now();
      const timeoutSeconds = this.watchTimeoutSeconds ?? Math.floor(300 + Math.random() * 300);
      let events = 0;
      let finished = false;
      // Set once the request is made, below; finish() may run before that (stop()).
      let watch: WatchHandle | undefined = undefined;
      let idleTimer: NodeJS.Timeout | undefined;

      const finish = (ended: WatchRestartReason, error?: string): void => {
        if (finished) return;
        finished = true;
        const lasted = Date.now() - startedAt;
        const reason = ended === "closed" && lasted >= timeoutSeconds * 1000 - 500 ? "timeout" : ended;
        clearTimeout(idleTimer);
        this.watchOpen = false;
        this.interrupt = undefined;
        watch?.abort();
        const healthy = reason !== "error" && (events > 0 || lasted >= HEALTHY_WATCH_MS);
        resolve(error === undefined ? { reason, healthy } : { reason, healthy, error });
      };
      // A connection that silently died would hang for ever. The server ends every watch after
      // timeoutSeconds, so silence well past it is dead.
      const armIdleTimer = (): void => {
        clearTimeout(idleTimer);
        idleTimer = setTimeout(() => finish("error", "watch silent past its timeout"), (timeoutSeconds + 30) * 1000);
      };
      // stop(): the outcome is ignored.
      this.interrupt = () => finish("closed");
      armIdleTimer();

      const onEvent = ({ type: phase, object: raw }: { type: string; object: unknown }): void => {
        if (finished) return;
        this.contactAt = Date.now();
        armIdleTimer();
        this.lastDelivery = Date.now();
        switch (phase) {
          case "ADDED":
          case "MODIFIED": {
            events++;
            const object = this.codec.decode(raw);
            if (object !== undefined && object.name !== "" && (object.namespace !== "" || !this.type.namespaced)) {
              this.upsert(objectKey(object.namespace, object.name), object);
            }
            this.resourceVersion = resourceVersionOf(raw) ?? this.resourceVersion;
            break;
          }
          case "DELETED": {
            events++;
            const object = this.codec.decode(raw);
            if (object !== undefined) this.remove(objectKey(object.namespace, object.name));
            this.resourceVersion = resourceVersionOf(raw) ?? this.resourceVersion;
            break;
          }
          case "BOOKMARK":
            // A bookmark only moves the resourceVersion on, so the next watch resumes past events
            // that did not concern us (Kubernetes API concepts, Watch bookmarks).
            events++;
            this.resourceVersion = resourceVersionOf(raw) ?? this.resourceVersion;
            break;
          case "ERROR": {
            // The server ends a watch whose resourceVersion is too old with an ERROR event carrying a
            // Status of code 410 (Kubernetes API concepts, Efficient detection of changes).
            const code = statusCodeOfStatus(raw);
            const message = statusMessageOf(raw);
            if (code === 410) finish("expired", message);
            else finish("error", `watch error ${code ?? "?"}: ${message ?? "no message"}`);
            break;
          }
          default:
            break;
        }
      };

      const params = {
        allowWatchBookmarks: true,
        timeoutSeconds,
        ...(this.resourceVersion ? { resourceVersion: this.resourceVersion } : {}),
      };
      watch = this.client.watch(resourcePath(this.type, this.namespace), onEvent, { query: params, connectTimeoutMs: 30_000 });
      watch.opened.then(
        () => {
          if (!finished) this.watchOpen = true;
        },
        () => undefined,
      );
      void watch.ended.then((end) => {
        if (end.reason === "closed") return finish("closed");
        if (statusCodeOf(end.error) === 410) return finish("expired", describeError(end.error));
        finish("error", describeError(end.error));
      });
    });
  }
}

/** `metadata.resourceVersion` of a raw object, if it has one. */
export function resourceVersionOf(raw: unknown): string | undefined {
  if (!isRecord(raw) || !isRecord(raw["metadata"])) return undefined;
  const rv = raw["metadata"]["resourceVersion"];
  return typeof rv === "string" && rv !== "" ? rv : undefined;
}

function statusCodeOfStatus(raw: unknown): number | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const code = (raw as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

function statusMessageOf(raw: unknown): string | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const message = (raw as { message?: unknown }).message;
  return typeof message === "string" ? message : undefined;
}
