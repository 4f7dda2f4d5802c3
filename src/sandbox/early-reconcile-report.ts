// For the sandbox's tour: from the simulated Flux's reconcile events, one line per object that waited on
// a dependency and was then reconciled early on request (releasegate's reconcile.fluxcd.io/requestedAt),
// saying how long it waited, when the request came and when it was Ready — against the next poll Flux
// alone would have made: `--requeue-dependency` after its latest dependency check (Flux polls again and
// again while it waits, so after a long wait the next poll is counted from the last one, not the first).
import type { ReconcileEvent } from "./simulated-flux.js";

interface Timeline {
  waitingSince?: number;
  /** The latest dependency check that found it waiting: Flux's next poll is one requeue after it. */
  lastWaitAt?: number;
  requestedAt?: number;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export class EarlyReconcileReport {
  private readonly timelines = new Map<string, Timeline>();

  constructor(private readonly requeueDependencyMs: number) {}

  /** Feeds one event; returns the tour line when an early-reconciled object has just become Ready. */
  add(event: ReconcileEvent): string | undefined {
    const key = `${event.kind} ${event.namespace}/${event.name}`;
    const t = this.timelines.get(key) ?? {};
    this.timelines.set(key, t);
    if (event.outcome === "waiting") {
      t.waitingSince ??= event.at;
      t.lastWaitAt = event.at;
      t.requestedAt = undefined;
      return undefined;
    }
    if (event.trigger === "requested" && t.waitingSince !== undefined) t.requestedAt ??= event.at;
    if (event.outcome !== "ready") return undefined;
    this.timelines.delete(key);
    if (t.waitingSince === undefined || t.lastWaitAt === undefined || t.requestedAt === undefined) return undefined;
    const waited = t.requestedAt - t.waitingSince;
    const fluxAlone = Math.max(0, t.lastWaitAt + this.requeueDependencyMs - t.requestedAt);
    return (
      `${key} waited ${seconds(waited)} for its dependencies; gate opened → reconcile requested → Ready ` +
      `${seconds(event.at - t.requestedAt)} later (Flux alone would have polled ${seconds(fluxAlone)} later)`
    );
  }
}
