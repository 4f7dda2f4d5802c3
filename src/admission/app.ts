// The webhook's HTTP face (docs/behaviour.md, Interfaces): `POST /validate` answers AdmissionReviews (the
// handler in validate-handler.ts), `GET /healthz` (alive), `GET /readyz` (caches synced and fresh, TLS
// loaded), and the peer endpoints of the pending batch. A stale cache (cluster/cache-staleness.ts)
// counts as not synced: the webhook answers 503 for its kind rather than decide from old data. Transport-agnostic: server.ts serves it over HTTPS; tests
// call the express app in-process.
//
// Every failure is an answer, never a crash: anything that is not a well-formed AdmissionReview is a 400
// with one line saying why; an unsynced cache is a 503 (kube-apiserver then applies the webhook's
// failurePolicy); a body over the limit is a 413. Express 5 forwards rejected promises to the error
// handler below, so no rejection goes unhandled.
import express from "express";
import type { ErrorRequestHandler, Express } from "express";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { FluxKind } from "../graph/types.js";
import type { ReleasegateMetrics } from "../metrics/metrics.js";
import type { AdmissionGraphSource } from "./admission-graphs.js";
import type { PeerAuthenticator } from "./peer-auth.js";
import { pendingRoutes } from "./pending-peers.js";
import type { AdmissionContext } from "./review-handler.js";
import { DEFAULT_BODY_LIMIT_BYTES, createValidateHandler } from "./validate-handler.js";
import { BodyBudget } from "./body-budget.js";
import { silentLogger } from "../runtime/logger.js";
import type { Logger } from "../runtime/logger.js";

interface AdmissionAppOptions extends AdmissionContext {
  graphs: AdmissionGraphSource;
  metrics?: ReleasegateMetrics;
  /** The HTTPS server serves a valid certificate (createReloadingHttpsServer's tlsLoaded). */
  tlsLoaded?: () => boolean;
  /** Enables the peer endpoints of the pending batch. */
  peerAuth?: PeerAuthenticator;
  logger?: Logger;
  bodyLimitBytes?: number;
  /** How long a body may take after its headers (validate-handler.ts; 408 after it). */
  bodyTimeoutMs?: number;
  /** Total of request bodies buffered at once; one budget for the whole listener. */
  bodyBudget?: BodyBudget;
  /** Refuse reviews without a client certificate the server verified (`--client-ca-file`). */
  requireClientCertificate?: boolean;
  /** Which kinds' caches are too old to decide from. */
  staleness?: StalenessView;
}

/** The part of cluster/cache-staleness.ts's CacheStaleness the webhook reads. */
export interface StalenessView {
  isStale(kind: FluxKind): boolean;
  staleKinds(): FluxKind[];
  describe(kind: FluxKind): string;
}

/** The graph source with stale kinds counted as not synced, so reviews of them get a 503. */
function freshGraphs(graphs: AdmissionGraphSource, staleness: StalenessView | undefined): AdmissionGraphSource {
  if (staleness === undefined) return graphs;
  return {
    graph: (kind) => graphs.graph(kind),
    isSynced: (kind) => graphs.isSynced(kind) && !staleness.isStale(kind),
    unsyncedKinds: () => graphs.unsyncedKinds(),
    ...(graphs.waitForKeys ? { waitForKeys: graphs.waitForKeys.bind(graphs) } : {}),
  };
}

export function createAdmissionApp(input: AdmissionAppOptions): Express {
  const options: AdmissionAppOptions = { ...input, graphs: freshGraphs(input.graphs, input.staleness), bodyBudget: input.bodyBudget ?? new BodyBudget() };
  const log = options.logger ?? silentLogger;
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  app.set("query parser", "simple");

  app.get("/healthz", (_req, res) => {
    res.type("text/plain").send("ok\n");
  });

  app.get("/readyz", (_req, res) => {
    const unsynced: FluxKind[] = options.graphs.unsyncedKinds();
    const stale = options.staleness?.staleKinds() ?? [];
    const tls = options.tlsLoaded?.() ?? true;
    if (unsynced.length === 0 && stale.length === 0 && tls) {
      res.type("text/plain").send("ok\n");
      return;
    }
    const why = [
      ...(unsynced.length > 0 ? [`caches not synced: ${unsynced.join(", ")}`] : []),
      ...stale.map((kind) => options.staleness!.describe(kind)),
      ...(tls ? [] : ["no valid TLS certificate loaded"]),
    ];
    res.status(503).type("text/plain").send(`not ready: ${why.join("; ")}\n`);
  });

  const validate = createValidateHandler({ ...options, bodyLimitBytes: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES });
  app.all("/validate", (req, res) => validate(req, res));

  if (options.peerAuth !== undefined) {
    const unconfirmed = options.unconfirmed;
    const graphs = options.graphs;
    app.use(
      pendingRoutes({
        batch: options.pending,
        auth: options.peerAuth,
        logger: log,
        ...(options.now ? { now: options.now } : {}),
        // Every kind's graph is the one shared graph (admission-graphs.ts).
        ...(unconfirmed !== undefined ? { edges: { unconfirmed, cache: () => graphs.graph("HelmRelease") } } : {}),
      }),
    );
  }

  app.use((_req, res) => {
    res.status(404).type("text/plain").send("not found: the webhook serves POST /validate, GET /healthz and GET /readyz\n");
  });

  const onError: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    const e = error as { status?: unknown; statusCode?: unknown; type?: unknown; message?: unknown };
    const status = typeof e.status === "number" ? e.status : typeof e.statusCode === "number" ? e.statusCode : 500;
    let text: string;
    if (e.type === "entity.parse.failed") text = "request body is not valid JSON; send an AdmissionReview";
    else if (e.type === "entity.too.large") text = "request body is too large";
    else if (status < 500) text = `bad request: ${typeof e.message === "string" ? e.message.split("\n", 1)[0] : "unreadable body"}`;
    else text = "internal error while answering the review; see the webhook's log";
    if (status >= 500) log.error({ path: req.path, err: error instanceof Error ? error.stack : String(error) }, "request failed");
    else log.warn({ path: req.path, status, error: text }, "rejected a request");
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status >= 400 && status < 600 ? status : 500).type("text/plain").send(`${text}\n`);
  };
  app.use(onError);
  return app;
}

/**
 * The listener to serve: `POST /validate` goes straight to the validate handler (the hot path, without
 * the express router), everything else to the express app. kube-apiserver calls `/validate?timeout=5s`.
 */
export function createAdmissionListener(input: AdmissionAppOptions): RequestListener {
  const options: AdmissionAppOptions = { ...input, graphs: freshGraphs(input.graphs, input.staleness), bodyBudget: input.bodyBudget ?? new BodyBudget() };
  const app = createAdmissionApp({ ...options, graphs: input.graphs });
  const validate = createValidateHandler({ ...options, bodyLimitBytes: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES });
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? "";
    if (req.method === "POST" && (url === "/validate" || url.startsWith("/validate?"))) validate(req, res);
    else app(req, res);
  };
}
