// The parts a long-running command is assembled from, and the small runner that starts and stops them:
// controller-runtime's Runnable pattern (its manager starts runnables in groups and stops them when the
// context ends). Each part starts, may report readiness later (a promise, not a poll), and stops. The
// runner starts them in the order given; a part that fails to start stops the ones started before it,
// newest first. Shutdown has two phases (docs/architecture.md, "Serve as components"): every part's
// drain (stop taking work, finish what is in flight) newest first, then every part's stop newest first.
import { describeError } from "./api-error.js";
import type { Logger } from "./logger.js";

/** "graceful": hand work over (drain, release the Lease); "abort": stop as a crash would, nothing handed over. */
export type StopMode = "graceful" | "abort";

/** One part of a running process (controller-runtime's Runnable). */
export interface Component {
  /** For logs and errors: "cache", "webhook server", … */
  readonly name: string;
  /** Starts the part; resolves once it runs (a port listens, a loop runs). Readiness may come later. */
  start(): Promise<void>;
  /** Resolves once the part is ready (caches synced); absent: ready once started. */
  readonly ready?: Promise<void>;
  /** First phase of shutdown: stop taking new work and finish what is in flight. */
  drain?(mode: StopMode): Promise<void>;
  /** Second phase: release what the part holds. Never throws for an ordinary stop. */
  stop(mode: StopMode): Promise<void>;
}

/** The started parts: their joint readiness and their shutdown. */
interface RunningComponents {
  /** Resolves once every part's ready resolved. */
  readonly ready: Promise<void>;
  /** Drains, then stops, every part, newest first; a second call returns the first call's promise. */
  stop(mode: StopMode): Promise<void>;
}

/** Starts `components` in order; if one fails, stops the ones already started (newest first) and rethrows. */
export async function startComponents(components: readonly Component[], log: Logger): Promise<RunningComponents> {
  const started: Component[] = [];
  for (const component of components) {
    try {
      await component.start();
    } catch (error) {
      log.debug({ component: component.name, error: describeError(error) }, "start failed; stopping the parts already started");
      await stopAll(started, "abort", log);
      throw error;
    }
    started.push(component);
  }
  const ready = Promise.all(started.map((c) => c.ready)).then(() => undefined);
  ready.catch(() => undefined);
  let stopping: Promise<void> | undefined;
  return {
    ready,
    stop: (mode) => (stopping ??= stopAll(started, mode, log)),
  };
}

/** Every drain, then every stop, newest first; one part's failure is logged and does not stop the rest. */
async function stopAll(started: readonly Component[], mode: StopMode, log: Logger): Promise<void> {
  const newestFirst = [...started].reverse();
  for (const component of newestFirst) {
    if (component.drain !== undefined) await settle(component, () => component.drain!(mode), log);
  }
  for (const component of newestFirst) await settle(component, () => component.stop(mode), log);
}

async function settle(component: Component, step: () => Promise<void>, log: Logger): Promise<void> {
  try {
    await step();
  } catch (error) {
    log.warn({ component: component.name, error: describeError(error) }, "stopping failed");
  }
}

/** Subscribes a listener to some change; returns the unsubscribe. */
type ChangeSubscription = (listener: () => void) => () => void;

/**
 * Resolves once `holds()` after `first` resolved, checking again at each change announced by `changes`
 * (never on a timer); rejects with `gone()`'s error as soon as that returns one.
 */
export async function whenCondition(first: Promise<void>, holds: () => boolean, gone: () => Error | undefined, changes: readonly ChangeSubscription[]): Promise<void> {
  await first;
  await new Promise<void>((resolve, reject) => {
    const unsubscribes: (() => void)[] = [];
    let settled = false;
    const check = (): void => {
      if (settled) return;
      const error = gone();
      if (error === undefined && !holds()) return;
      settled = true;
      for (const unsubscribe of unsubscribes) unsubscribe();
      if (error === undefined) resolve();
      else reject(error);
    };
    for (const subscribe of changes) unsubscribes.push(subscribe(check));
    check();
  });
}
