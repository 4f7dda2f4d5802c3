// How old each cache may be (docs/behaviour.md, Admission rules: a silent watch is a 503). A cache is as fresh as the last time the API
// server told it anything: a list page, a watch event, or a bookmark (the watch asks for bookmarks). A
// quiet cluster may send nothing for a minute (kube-apiserver bookmarks about once a minute), so when a
// cache has heard nothing for a quarter of the limit, a probe — a list of one item of that kind, the
// cheapest consistent read there is — asks the API server whether it is still there. Staleness is the
// time since the newer of the two — a probe counts only while the cache's watch is open, since a cache
// whose watch ended is behind until it has listed again, however well the API server answers; past `maxStalenessMs` the kind is stale: the webhook answers 503
// instead of deciding from a cache that may be missing recent writes, and /readyz fails. A log line says
// when a kind turns stale and when it is healthy again.
import { kubeClientOf } from "../kube/connect.js";
import type { KubeSource } from "../kube/connect.js";
import type { FluxKind } from "../graph/types.js";
import { describeError } from "../runtime/api-error.js";
import { silentLogger } from "../runtime/logger.js";
import type { Logger } from "../runtime/logger.js";
import { fluxResourceType, resourcePath } from "./resources.js";

const DEFAULT_MAX_CACHE_STALENESS_MS = 10_000;

/** The part of an ObjectCache staleness reads. */
interface StalenessSubject {
  readonly kind: FluxKind;
  isSynced(): boolean;
  lastContactAt(): number | undefined;
  /** A watch stream is open; a probe's answer vouches for the cache only then. */
  isWatching(): boolean;
}

interface CacheStalenessOptions {
  caches: readonly StalenessSubject[];
  maxStalenessMs?: number;
  /** Asks the API server about a kind; resolves when it answered. */
  probe?: (kind: FluxKind) => Promise<void>;
  /** Told each kind's staleness in seconds on every tick (the cache_staleness_seconds gauge). */
  report?: (kind: FluxKind, seconds: number) => void;
  logger?: Logger;
  now?: () => number;
}

interface KindState {
  cache: StalenessSubject;
  probedAt: number | undefined;
  probing: boolean;
  stale: boolean;
}

export class CacheStaleness {
  readonly maxStalenessMs: number;
  private readonly kinds: KindState[];
  private readonly now: () => number;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: CacheStalenessOptions) {
    this.maxStalenessMs = options.maxStalenessMs ?? DEFAULT_MAX_CACHE_STALENESS_MS;
    this.kinds = options.caches.map((cache) => ({ cache, probedAt: undefined, probing: false, stale: false }));
    this.now = options.now ?? Date.now;
    this.log = options.logger ?? silentLogger;
  }

  /** Milliseconds since the kind last heard from the API server (0 before its first sync). */
  stalenessMs(kind: FluxKind, now = this.now()): number {
    const state = this.kinds.find((k) => k.cache.kind === kind);
    if (state === undefined || !state.cache.isSynced()) return 0;
    const probed = state.cache.isWatching() ? (state.probedAt ?? 0) : 0;
    const last = Math.max(state.cache.lastContactAt() ?? 0, probed);
    return last === 0 ? 0 : Math.max(0, now - last);
  }

  isStale(kind: FluxKind, now = this.now()): boolean {
    return this.stalenessMs(kind, now) > this.maxStalenessMs;
  }

  /** Kinds past the limit right now (for /readyz). */
  staleKinds(now = this.now()): FluxKind[] {
    return this.kinds.filter((k) => this.isStale(k.cache.kind, now)).map((k) => k.cache.kind);
  }

  /** One line for a 503: which kind, how old, what it means. */
  describe(kind: FluxKind, now = this.now()): string {
    const seconds = (this.stalenessMs(kind, now) / 1000).toFixed(1);
    return `the ${kind} cache has heard nothing from the API server for ${seconds} s (limit ${this.maxStalenessMs / 1000} s); not deciding from a stale cache, try again shortly`;
  }

  start(): void {
    if (this.timer !== undefined) return;
    const every = Math.max(100, Math.min(1000, this.maxStalenessMs / 4));
    this.timer = setInterval(() => this.tick(), every);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reports, probes quiet kinds, and logs each change between fresh and stale. */
  tick(now = this.now()): void {
    for (const state of this.kinds) {
      const kind = state.cache.kind;
      const age = this.stalenessMs(kind, now);
      this.options.report?.(kind, age / 1000);
      const stale = age > this.maxStalenessMs;
      if (stale && !state.stale) {
        this.log.warn({ kind, stalenessSeconds: +(age / 1000).toFixed(1) }, `the ${kind} cache is stale: the webhook answers 503 for ${kind}s and /readyz fails until the API server answers again`);
      } else if (!stale && state.stale) {
        this.log.info({ kind }, `the ${kind} cache is healthy again: the API server answers, reviews are decided again`);
      }
      state.stale = stale;
      if (age > this.maxStalenessMs / 4 && !state.probing && this.options.probe !== undefined && state.cache.isSynced()) {
        state.probing = true;
        this.options.probe(kind).then(
          () => {
            state.probing = false;
            if (state.cache.isWatching()) state.probedAt = this.now();
          },
          (error: unknown) => {
            state.probing = false;
            this.log.debug({ kind, error: describeError(error) }, "API liveness probe failed");
          },
        );
      }
    }
  }
}

/** The probe serve uses: list one object of the kind, with a timeout of half the limit. */
export function listOneProbe(kc: KubeSource, versions: Partial<Record<FluxKind, string>>, maxStalenessMs: number): (kind: FluxKind) => Promise<void> {
  const client = kubeClientOf(kc);
  const timeoutMs = Math.max(500, maxStalenessMs / 2);
  return async (kind) => {
    await client.listPage(resourcePath(fluxResourceType(kind, versions[kind])), { limit: 1 }, { timeoutMs });
  };
}
