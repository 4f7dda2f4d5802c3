// The webhook's express app (DESIGN.md, Interfaces): `POST /validate` answers AdmissionReviews,
// `GET /healthz` (alive), `GET /readyz` (caches synced and TLS loaded), and the peer endpoints of the
// pending batch. Transport-agnostic: server.ts serves it over HTTPS; tests call it in-process.
//
// Every failure is an answer, never a crash: a body that is not JSON or not an AdmissionReview is a 400
// with one line saying why; an unsynced cache is a 503 (kube-apiserver then applies the webhook's
// failurePolicy); a body over the limit is a 413. Express 5 forwards rejected promises to the error
// handler below, so no rejection goes unhandled.
import express from "express";
import type { ErrorRequestHandler, Express, Request, Response } from "express";
import type { FluxKind } from "../graph/types.js";
import type { ReleasegateMetrics } from "../metrics/metrics.js";
import type { AdmissionGraphSource } from "./admission-graphs.js";
import type { PeerAuthenticator } from "./peer-auth.js";
import { pendingRoutes, silentAdmissionLogger } from "./pending-peers.js";
import type { AdmissionLogger } from "./pending-peers.js";
import { reviewAdmission } from "./review-handler.js";
import type { AdmissionContext } from "./review-handler.js";

/** kube-apiserver accepts write bodies up to 3 MiB and etcd stores objects up to 1.5 MiB; an UPDATE's
 *  review carries both the new object and the stored one, so 6 MiB holds any review it can send while
 *  still bounding what a stray client can make the webhook buffer. */
export const DEFAULT_BODY_LIMIT = "6mb";

export interface AdmissionAppOptions extends AdmissionContext {
  graphs: AdmissionGraphSource;
  metrics?: ReleasegateMetrics;
  /** The HTTPS server serves a valid certificate (createReloadingHttpsServer's tlsLoaded). */
  tlsLoaded?: () => boolean;
  /** Enables the peer endpoints of the pending batch. */
  peerAuth?: PeerAuthenticator;
  logger?: AdmissionLogger;
  bodyLimit?: string | number;
}

const KNOWN_OPERATIONS = new Set(["CREATE", "UPDATE", "DELETE", "CONNECT"]);

export function createAdmissionApp(options: AdmissionAppOptions): Express {
  const log = options.logger ?? silentAdmissionLogger;
  const metrics = options.metrics;
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  app.set("query parser", "simple");

  const count = (kind: string, operation: string, decision: string, reason: string, startedAt: bigint): void => {
    if (metrics === undefined) return;
    metrics.admissionRequestsTotal.inc({ kind, operation: KNOWN_OPERATIONS.has(operation) ? operation : "unknown", decision, reason });
    metrics.admissionDurationSeconds.observe(Number(process.hrtime.bigint() - startedAt) / 1e9);
  };

  app.get("/healthz", (_req, res) => {
    res.type("text/plain").send("ok\n");
  });

  app.get("/readyz", (_req, res) => {
    const unsynced: FluxKind[] = options.graphs.unsyncedKinds();
    const tls = options.tlsLoaded?.() ?? true;
    if (unsynced.length === 0 && tls) {
      res.type("text/plain").send("ok\n");
      return;
    }
    const why = [...(unsynced.length > 0 ? [`caches not synced: ${unsynced.join(", ")}`] : []), ...(tls ? [] : ["no valid TLS certificate loaded"])];
    res.status(503).type("text/plain").send(`not ready: ${why.join("; ")}\n`);
  });

  const json = express.json({ limit: options.bodyLimit ?? DEFAULT_BODY_LIMIT, type: () => true });
  app.post("/validate", (req, res, next) => {
    // Timed from before the body is read, so the histogram includes parsing a large object.
    res.locals.startedAt = process.hrtime.bigint();
    next();
  });
  app.post("/validate", json, async (req: Request, res: Response) => {
    const startedAt = res.locals.startedAt as bigint;
    const result = await reviewAdmission(req.body, options);
    switch (result.type) {
      case "bad-request":
        log.warn({ path: "/validate", error: result.error }, "rejected a request that is not a valid AdmissionReview");
        res.status(400).type("text/plain").send(`${result.error}\n`);
        count("unknown", "unknown", "error", "bad-request", startedAt);
        return;
      case "not-synced":
        res.status(503).type("text/plain").send(`${result.error}\n`);
        count(result.request.kind, result.request.operation, "error", "not-synced", startedAt);
        return;
      case "answer": {
        const { request, decision } = result;
        res.json(result.response);
        count(request.kind, request.operation, decision.allowed ? "allowed" : "denied", decision.reason, startedAt);
        const fields = {
          uid: request.uid,
          kind: request.kind,
          object: `${request.namespace}/${request.name}`,
          operation: request.operation,
          dryRun: request.dryRun,
          reason: decision.reason,
        };
        if (!decision.allowed) log.info({ ...fields, message: decision.message.split("\n", 1)[0] }, "denied");
        else if (decision.warnings.length > 0) log.debug({ ...fields, warnings: decision.warnings.length }, "allowed with warnings");
        return;
      }
    }
  });
  app.all("/validate", (_req, res) => {
    res.status(405).set("allow", "POST").type("text/plain").send("use POST with an AdmissionReview\n");
  });

  if (options.peerAuth !== undefined) {
    app.use(pendingRoutes({ batch: options.pending, auth: options.peerAuth, logger: log, ...(options.now ? { now: options.now } : {}) }));
  }

  app.use((_req, res) => {
    res.status(404).type("text/plain").send("not found: the webhook serves POST /validate, GET /healthz and GET /readyz\n");
  });

  const onError: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    const e = error as { status?: unknown; statusCode?: unknown; type?: unknown; message?: unknown };
    const status = typeof e.status === "number" ? e.status : typeof e.statusCode === "number" ? e.statusCode : 500;
    let text: string;
    if (e.type === "entity.parse.failed") text = "request body is not valid JSON; send an AdmissionReview";
    else if (e.type === "entity.too.large") text = `request body is larger than ${String(options.bodyLimit ?? DEFAULT_BODY_LIMIT)}`;
    else if (status < 500) text = `bad request: ${typeof e.message === "string" ? e.message.split("\n", 1)[0] : "unreadable body"}`;
    else text = "internal error while answering the review; see the webhook's log";
    if (status >= 500) log.error({ path: req.path, err: error instanceof Error ? error.stack : String(error) }, "request failed");
    else log.warn({ path: req.path, status, error: text }, "rejected a request");
    if (req.path === "/validate" && typeof res.locals.startedAt === "bigint") {
      count("unknown", "unknown", "error", status >= 500 ? "error" : "bad-request", res.locals.startedAt);
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status >= 400 && status < 600 ? status : 500).type("text/plain").send(`${text}\n`);
  };
  app.use(onError);
  return app;
}
