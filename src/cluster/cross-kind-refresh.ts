// `serve` reads the HelmRelease and Kustomization CustomResourceDefinitions again on an interval
// (docs/behaviour.md, "Gate states"): a Flux upgrade that starts serving the Flux RFC's cross-kind dependsOn
// fields, or a downgrade that stops, changes what an entry means without a restart of releasegate. When the
// set of kinds changes, the process-wide setting (src/flux/cross-kind.ts) follows and the caches of the
// changed kinds list again, so every cached object is decoded under the new meaning and the graph, gates
// and admission read its entries the new way. A CRD that cannot be read keeps its kind's current setting:
// a failed read never flips it.
import { crossKindDependsOn, setCrossKindDependsOn } from "../flux/cross-kind.js";
import type { FluxKind } from "../graph/types.js";
import type { KubeSource } from "../kube/connect.js";
import type { Logger } from "../runtime/logger.js";
import { discoverCrossKindDependsOn } from "./cross-kind-discovery.js";

const RFC_KINDS: readonly FluxKind[] = ["HelmRelease", "Kustomization"];

interface CrossKindRefreshOptions {
  /** How often to read the CRDs again (default 60 s). */
  intervalMs?: number;
  /** Each read's own timeout (default 10 s, and never longer than the interval). */
  timeoutMs?: number;
  logger: Logger;
  /** The kinds whose reading changed: their cached objects are to be decoded again. */
  onChange(kinds: readonly FluxKind[]): void;
}

/** Reads the two CRDs again every interval, one read at a time; start/stop as a feed of the cache part. */
export class CrossKindRefresh {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private reading = false;
  /** A failed read was logged: the next ones stay quiet until a read succeeds. */
  private failing = false;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly kc: KubeSource,
    private readonly options: CrossKindRefreshOptions,
  ) {
    this.intervalMs = Math.max(1, options.intervalMs ?? 60_000);
    this.timeoutMs = Math.min(options.timeoutMs ?? 10_000, this.intervalMs);
  }

  start(): void {
    if (this.stopped || this.timer !== undefined) return;
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One read; a tick while the previous read still runs is skipped (the read is bounded by its timeout). */
  async refresh(): Promise<void> {
    if (this.reading || this.stopped) return;
    this.reading = true;
    try {
      const found = await discoverCrossKindDependsOn(this.kc, this.timeoutMs);
      if (this.stopped) return;
      if (found.unread.length > 0) {
        if (!this.failing) this.options.logger.warn({ unread: found.unread }, "could not read a Flux CRD again; its dependsOn entries keep their current reading");
        else this.options.logger.debug({ unread: found.unread }, "could not read a Flux CRD again");
        this.failing = true;
      } else {
        this.failing = false;
      }
      // A kind whose CRD was read takes what it says; one that was not keeps its current setting.
      const next = RFC_KINDS.filter((kind) => (found.unreadKinds.includes(kind) ? crossKindDependsOn(kind) : found.kinds.includes(kind)));
      const changed = RFC_KINDS.filter((kind) => next.includes(kind) !== crossKindDependsOn(kind));
      if (changed.length === 0) return;
      setCrossKindDependsOn(next);
      this.options.logger.info(
        { kinds: next, started: changed.filter((k) => next.includes(k)), stopped: changed.filter((k) => !next.includes(k)) },
        "the served schema's cross-kind dependsOn changed (Flux RFC): reading the changed kinds' objects again",
      );
      this.options.onChange(changed);
    } finally {
      this.reading = false;
    }
  }
}
