// The parts `releasegate serve` runs, one named factory each, in the shape of src/runtime/components.ts:
// the API client, the cache, TLS, the controller, the webhook server, the metrics server, the graph page
// and the leader elector. Each takes the narrow interfaces it drives (tests pass fakes); serve.ts builds
// the objects and lists the parts in start order (docs/architecture.md, "Serve as components").
import type http from "node:http";
import type { MetricsServer } from "../metrics/metrics-server.js";
import type { Component, StopMode } from "../runtime/components.js";
import { describeError } from "../runtime/api-error.js";
import type { Logger } from "../runtime/logger.js";

/** Something started and stopped with no readiness of its own (a feed, a watch set, a TLS source). */
interface Startable {
  start(): unknown;
  stop(): unknown;
}

/** The connections serve opened itself; a client the caller passed is the caller's to close. */
export function apiClientComponent(client: { close(): void }, owned: boolean): Component {
  return {
    name: "API client",
    start: () => Promise.resolve(),
    stop: () => {
      if (owned) client.close();
      return Promise.resolve();
    },
  };
}

/** What the cache part runs: the per-kind caches, what reads them, and the staleness check over them. */
interface CacheParts {
  caches: readonly (Startable & { readonly synced: Promise<void> })[];
  /** The source-revision feed and the watches of kinds outside Flux: started with the caches. */
  feeds: readonly Startable[];
  /** The stores and graphs built over the caches: stopped with them. */
  readers: readonly { stop(): void }[];
  staleness: { start(): void; stop(): void };
}

/** The cache (controller-runtime's informer cache): ready once every kind has listed. */
export function cacheComponent(parts: CacheParts): Component {
  return {
    name: "cache",
    ready: Promise.all(parts.caches.map((cache) => cache.synced)).then(() => undefined),
    start: () => {
      for (const feed of parts.feeds) feed.start();
      for (const cache of parts.caches) cache.start();
      parts.staleness.start();
      return Promise.resolve();
    },
    async stop() {
      parts.staleness.stop();
      for (const reader of parts.readers) reader.stop();
      await Promise.allSettled([...parts.caches, ...parts.feeds].map((part) => part.stop()));
    },
  };
}

/** The serving certificate, and the caBundle injector when serve keeps the webhook configuration's. */
export function tlsComponent(source: { start(): Promise<void>; stop(): unknown }, caInjector: { start(): Promise<void>; stop(): unknown } | undefined): Component {
  return {
    name: "tls",
    async start() {
      await source.start();
      await caInjector?.start();
    },
    async stop() {
      await Promise.allSettled([source.stop(), caInjector?.stop()]);
    },
  };
}

/** The gate controller: it follows the stores from its construction and writes only while leading. */
export function controllerComponent(controller: { stop(): void }, recorder: { clear(): void }): Component {
  return {
    name: "controller",
    start: () => Promise.resolve(),
    stop: () => {
      controller.stop();
      recorder.clear();
      return Promise.resolve();
    },
  };
}

/** A listener's bound port and its close (the admission and metrics servers, the graph page). */
interface Listening {
  readonly port: number;
  close(): Promise<void>;
}

/** The listening part of the webhook (src/admission/server.ts's AdmissionServer). */
export interface WebhookListener extends Listening {
  readonly https: { tlsLoaded(): boolean; readonly server: Pick<http.Server, "closeIdleConnections" | "closeAllConnections"> };
}

interface WebhookServerParts {
  listen(): Promise<WebhookListener>;
  /** The request counting in front of the admission app (src/cli/drainable.ts). */
  requests: { beginShutdown(): void; inFlight(): number; whenIdle(timeoutMs: number, onFinish: () => void): Promise<boolean> };
  /** Where the other replicas are, and the pending-batch exchange with them: started once the port listens.
   *  The part is ready once their starts settled: before it is ready a replica knows the replicas already
   *  serving (docs/behaviour.md, "No window"). */
  peers: readonly Startable[];
  /** The API client's lanes the webhook reads on: closed when it stops. */
  lanes: readonly { close(): void }[];
  shutdownTimeoutMs: number;
  log: Logger;
}

export interface WebhookServerComponent extends Component {
  /** The bound port; only after start. */
  readonly port: number;
  tlsLoaded(): boolean;
}

/** The admission webhook (HTTPS): on shutdown /readyz turns false and the reviews in flight finish. */
export function webhookServerComponent(parts: WebhookServerParts): WebhookServerComponent {
  let server: WebhookListener | undefined;
  let peersListed!: (listing: Promise<unknown>) => void;
  const ready = new Promise<unknown>((resolve) => (peersListed = resolve)).then(() => undefined);
  return {
    name: "webhook server",
    ready,
    get port() {
      if (server === undefined) throw new Error("the webhook server has not started");
      return server.port;
    },
    tlsLoaded: () => server?.https.tlsLoaded() ?? false,
    async start() {
      server = await listenOrExplain(parts.listen);
      // A listing that fails is the peer source's to log and retry; readiness does not wait on it.
      peersListed(Promise.allSettled(parts.peers.map((peer) => peer.start())));
    },
    drain: (mode) => drainWebhook(server, parts, mode),
    stop() {
      for (const peer of parts.peers) void peer.stop();
      for (const lane of parts.lanes) lane.close();
      return Promise.resolve();
    },
  };
}

/** Graceful: stop accepting, let the reviews in flight finish within the timeout, then close what is left. */
async function drainWebhook(server: WebhookListener | undefined, parts: WebhookServerParts, mode: StopMode): Promise<void> {
  parts.requests.beginShutdown();
  if (server === undefined) return;
  const sockets = server.https.server;
  if (mode === "abort") {
    sockets.closeAllConnections();
    await server.close().catch(() => undefined);
    return;
  }
  parts.log.info({ inFlight: parts.requests.inFlight() }, "shutting down: draining reviews");
  const closed = server.close();
  // A connection whose review just finished goes idle: close it then, not at the next tick of a poll.
  sockets.closeIdleConnections();
  const idle = await parts.requests.whenIdle(parts.shutdownTimeoutMs, () => setImmediate(() => sockets.closeIdleConnections()));
  if (!idle) parts.log.warn({ inFlight: parts.requests.inFlight() }, "shutdown timeout: closing connections with reviews still in flight");
  sockets.closeAllConnections();
  await closed.catch(() => undefined);
}

/** A port serve cannot have is one line naming the flags that move it. */
async function listenOrExplain<T>(listen: () => Promise<T>): Promise<T> {
  try {
    return await listen();
  } catch (error) {
    throw new Error(`cannot listen: ${describeError(error)}; pick other ports with --webhook-port / --metrics-port`, { cause: error });
  }
}

interface ListeningComponent extends Component {
  /** The bound port; 0 before start (or when the part is off). */
  readonly port: number;
}

/** The metrics endpoint (plain HTTP, its own port). */
export function metricsServerComponent(listen: () => Promise<Pick<MetricsServer, "port" | "close">>): ListeningComponent {
  let server: Pick<MetricsServer, "port" | "close"> | undefined;
  return {
    name: "metrics server",
    get port() {
      return server?.port ?? 0;
    },
    async start() {
      server = await listenOrExplain(listen);
    },
    stop: async () => server?.close(),
  };
}

/** The graph page: a convenience, so a port it cannot have is logged and serve runs on without it. */
export function graphPageComponent<T extends Listening>(uiPort: number, listen: () => Promise<T>, log: Logger): ListeningComponent & { readonly page: T | undefined } {
  let page: T | undefined;
  return {
    name: "graph page",
    get port() {
      return page?.port ?? 0;
    },
    get page() {
      return page;
    },
    async start() {
      if (uiPort === 0) return;
      try {
        page = await listen();
      } catch (error) {
        log.error({ uiPort, error: describeError(error) }, "cannot serve the graph page; pick another port with --ui-port (0 turns it off)");
      }
    },
    stop: async () => page?.close(),
  };
}

/** The Lease: started last, once everything it leads can run; stopped first, handing the Lease over. */
export function leaderElectorComponent(election: { start(): void; release(): Promise<void>; stop(): Promise<void> }): Component {
  return {
    name: "leader elector",
    start: () => {
      election.start();
      return Promise.resolve();
    },
    // Graceful: release, so a standby takes over at its next retry; abort: the Lease just expires.
    stop: (mode) => (mode === "graceful" ? election.release() : election.stop()),
  };
}
