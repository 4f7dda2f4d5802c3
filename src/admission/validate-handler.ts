// `POST /validate` as a plain node:http handler: read the body (bounded), parse JSON, review, write the
// answer, count it. It is the webhook's hot path, so it does only that: every admission call from the
// apiserver passes here, and the express router's per-request machinery would cost more than the
// decision itself (bench/admission.ts). app.ts mounts this same function as the express route, and
// createAdmissionListener sends POST /validate straight to it, so there is one implementation.
//
// Answers: 200 with an AdmissionReview; 400 with one line for a body that is not JSON or not an
// AdmissionReview, or whose structure is past the limits (body-reader.ts); 408 for a body that stops short
// of its Content-Length; 413 over the size limit; 415 for a compressed body; 429 when the bodies being
// received and parsed together would exceed the body budget (body-budget.ts); 401 without a client certificate when one is
// required; 503 while the cache is not synced or is stale, or when a new dependsOn edge cannot be
// confirmed (edge-guard.ts); 500 (logged) if anything throws. Never an
// unhandled rejection.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import type { ReleasegateMetrics } from "../metrics/metrics.js";
import { BodyBudget } from "./body-budget.js";
import { readJsonBody } from "./body-reader.js";
import type { BodyOutcome, BodyReaderOptions, BodyRefusal, StructureLimits } from "./body-reader.js";
import type { StalenessView } from "./app.js";
import { reviewAdmission } from "./review-handler.js";
import type { AdmissionContext, AnswerSource, ReviewResult } from "./review-handler.js";
import { silentLogger } from "../runtime/logger.js";
import type { Logger } from "../runtime/logger.js";

/** kube-apiserver accepts write bodies up to 3 MiB and etcd stores objects up to 1.5 MiB; an UPDATE's
 *  review carries both the new object and the stored one, so 6 MiB holds any review it can send while
 *  still bounding what a stray client can make the webhook buffer. */
export const DEFAULT_BODY_LIMIT_BYTES = 6 * 1024 * 1024;

interface ValidateHandlerOptions extends AdmissionContext {
  metrics?: ReleasegateMetrics;
  logger?: Logger;
  bodyLimitBytes?: number;
  /** Shared by every request: the total of bodies being received at once (429 beyond it). */
  bodyBudget?: BodyBudget;
  /** Refuse reviews from a client without a verified certificate (`--client-ca-file`). */
  requireClientCertificate?: boolean;
  /** Depth, container and value limits checked before a body is parsed (body-reader.ts). */
  structureLimits?: StructureLimits;
  /** How long a body may take to arrive after its headers (408 after it); below the server's request timeout. */
  bodyTimeoutMs?: number;
  /** Says why a kind that counts as not synced is stale (app.ts). */
  staleness?: StalenessView;
}

/** Below server.ts's default request timeout (10 s), so a short body gets this answer and not Node's bare 408. */
const DEFAULT_BODY_TIMEOUT_MS = 8_000;

const KNOWN_OPERATIONS = new Set(["CREATE", "UPDATE", "DELETE", "CONNECT"]);

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  const body = `${text}\n`;
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** What every request of one handler shares: its options, with their defaults filled in. */
interface ValidateContext {
  options: ValidateHandlerOptions;
  log: Logger;
  metrics: ReleasegateMetrics | undefined;
  budget: BodyBudget;
  bodyReader: BodyReaderOptions;
}

export function createValidateHandler(options: ValidateHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const budget = options.bodyBudget ?? new BodyBudget();
  const context: ValidateContext = {
    options,
    log: options.logger ?? silentLogger,
    metrics: options.metrics,
    budget,
    bodyReader: {
      limitBytes: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
      budget,
      timeoutMs: options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
      ...(options.structureLimits ? { structure: options.structureLimits } : {}),
    },
  };
  return (req, res) => handleValidate(context, req, res);
}

function handleValidate(context: ValidateContext, req: IncomingMessage, res: ServerResponse): void {
  // Timed from the request's arrival, so the histogram includes reading and parsing a large object.
  const startedAt = process.hrtime.bigint();
  if (req.method !== "POST") {
    sendText(res, 405, "use POST with an AdmissionReview", { allow: "POST" });
    return;
  }
  const encoding = req.headers["content-encoding"];
  if (encoding !== undefined && encoding !== "identity") {
    reject(context, res, 415, `request body is ${encoding}-encoded; send it uncompressed`, startedAt);
    req.resume();
    return;
  }
  if (context.options.requireClientCertificate === true && !(req.socket as TLSSocket).authorized) {
    // --client-ca-file: only the API server, with a certificate that CA signed, may ask for a review.
    reject(context, res, 401, "a client certificate signed by the webhook's --client-ca-file is required", startedAt);
    req.resume();
    return;
  }
  readJsonBody(req, context.bodyReader, (outcome) => bodyRead(context, res, startedAt, outcome));
}

function bodyRead(context: ValidateContext, res: ServerResponse, startedAt: bigint, outcome: BodyOutcome): void {
  if (!outcome.ok) {
    const refusal = outcome.refusal;
    if (refusal === undefined) {
      // The client went away mid-body: nobody to answer, but counted like every other refusal.
      context.log.debug({ path: "/validate" }, "a client closed its connection before its review body ended");
      count(context, "unknown", "unknown", "error", "aborted", startedAt);
    } else if (refusal.reason === "over-budget") busy(context, res, refusal, startedAt);
    else reject(context, res, refusal.status, refusal.text, startedAt, refusal.headers, REFUSAL_REASONS[refusal.reason]);
    return;
  }
  // The reservation is held until the answer is sent (res "close"): the body budget bounds the parsed
  // review too (body-reader.ts).
  res.once("close", outcome.release);
  review(context, outcome.value, res, startedAt);
}

function count(context: ValidateContext, kind: string, operation: string, decision: string, reason: string, startedAt: bigint, source: AnswerSource = "memory"): void {
  context.metrics?.admissionTally.record(kind, KNOWN_OPERATIONS.has(operation) ? operation : "unknown", decision, reason, Number(process.hrtime.bigint() - startedAt) / 1e9, source);
}

function reject(context: ValidateContext, res: ServerResponse, status: number, text: string, startedAt: bigint, headers?: Record<string, string>, reason = "bad-request"): void {
  context.log.warn({ path: "/validate", status, error: text }, "rejected a request that is not a valid AdmissionReview");
  sendText(res, status, text, headers);
  count(context, "unknown", "unknown", "error", reason, startedAt);
}

// Over the body budget: 429 with Retry-After, as kube-apiserver's own max-in-flight limit answers, and
// logged at debug only, since a burst would otherwise log one line per refused review.
function busy(context: ValidateContext, res: ServerResponse, refusal: BodyRefusal, startedAt: bigint): void {
  context.log.debug({ path: "/validate", status: 429, budgetBytes: context.budget.totalBytes }, "refused a review over the body budget");
  sendText(res, 429, refusal.text, refusal.headers);
  count(context, "unknown", "unknown", "error", "over-budget", startedAt);
}

function review(context: ValidateContext, body: unknown, res: ServerResponse, startedAt: bigint): void {
  let result: ReturnType<typeof reviewAdmission>;
  try {
    result = reviewAdmission(body, context.options);
    if (!(result instanceof Promise)) {
      answer(context, res, result, startedAt);
      return;
    }
  } catch (error) {
    failed(context, res, error, startedAt);
    return;
  }
  result.then(
    (settled) => {
      try {
        answer(context, res, settled, startedAt);
      } catch (error) {
        failed(context, res, error, startedAt);
      }
    },
    (error: unknown) => failed(context, res, error, startedAt),
  );
}

function answer(context: ValidateContext, res: ServerResponse, result: ReviewResult, startedAt: bigint): void {
  const { options, log } = context;
  switch (result.type) {
    case "bad-request":
      reject(context, res, 400, result.error, startedAt);
      return;
    case "not-synced": {
      const stale = options.staleness?.isStale(result.request.kind) === true;
      sendText(res, 503, stale ? options.staleness!.describe(result.request.kind) : result.error);
      count(context, result.request.kind, result.request.operation, "error", stale ? "stale" : "not-synced", startedAt);
      return;
    }
    case "unavailable":
      // The edge-adding path could not make sure (edge-guard.ts): fail closed, kube-apiserver applies
      // the failurePolicy, and the request can be retried.
      log.warn({ uid: result.request.uid, kind: result.request.kind, object: `${result.request.namespace}/${result.request.name}`, error: result.error }, "could not confirm a new dependsOn edge; answered 503");
      sendText(res, 503, result.error);
      count(context, result.request.kind, result.request.operation, "error", "unconfirmed", startedAt, "path");
      return;
    case "answer":
      answerReview(context, res, result, startedAt);
      return;
  }
}

/** 200 with the AdmissionReview; a denial logged at info, warnings at debug. */
function answerReview(context: ValidateContext, res: ServerResponse, result: Extract<ReviewResult, { type: "answer" }>, startedAt: bigint): void {
  const { request, decision } = result;
  const body = JSON.stringify(result.response);
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
  count(context, request.kind, request.operation, decision.allowed ? "allowed" : "denied", decision.reason, startedAt, result.source);
  if (!decision.allowed || decision.warnings.length > 0) {
    const fields = {
      uid: request.uid,
      kind: request.kind,
      object: `${request.namespace}/${request.name}`,
      operation: request.operation,
      dryRun: request.dryRun,
      reason: decision.reason,
    };
    if (!decision.allowed) context.log.info({ ...fields, message: decision.message.split("\n", 1)[0] }, "denied");
    else context.log.debug({ ...fields, warnings: decision.warnings.length }, "allowed with warnings");
  }
}

function failed(context: ValidateContext, res: ServerResponse, error: unknown, startedAt: bigint): void {
  context.log.error({ path: "/validate", err: error instanceof Error ? error.stack : String(error) }, "answering a review failed");
  if (res.headersSent) res.destroy();
  else sendText(res, 500, "internal error while answering the review; see the webhook's log");
  count(context, "unknown", "unknown", "error", "error", startedAt);
}

/** The metric reason of each refusal (bounded; "bad-request" as before for malformed and oversized bodies). */
const REFUSAL_REASONS: Record<Exclude<BodyRefusal["reason"], "over-budget">, string> = {
  "bad-json": "bad-request",
  "too-large": "bad-request",
  "too-complex": "too-complex",
  "incomplete-body": "incomplete-body",
};
