// `POST /validate` as a plain node:http handler: read the body (bounded), parse JSON, review, write the
// answer, count it. It is the webhook's hot path, so it does only that: every admission call from the
// apiserver passes here, and the express router's per-request machinery would cost more than the
// decision itself (bench/admission.ts). app.ts mounts this same function as the express route, and
// createAdmissionListener sends POST /validate straight to it, so there is one implementation.
//
// Answers: 200 with an AdmissionReview; 400 with one line for a body that is not JSON or not an
// AdmissionReview; 413 over the size limit; 415 for a compressed body; 429 when the bodies being received
// together would exceed the body budget (body-budget.ts); 401 without a client certificate when one is
// required; 503 while the cache is not synced or is stale; 500 (logged) if anything throws. Never an
// unhandled rejection.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import type { ReleasegateMetrics } from "../metrics/metrics.js";
import { BodyBudget } from "./body-budget.js";
import type { StalenessView } from "./app.js";
import { reviewAdmission } from "./review-handler.js";
import type { AdmissionContext, AnswerSource, ReviewResult } from "./review-handler.js";
import { silentLogger } from "../runtime/logger.js";
import type { Logger } from "../runtime/logger.js";

/** kube-apiserver accepts write bodies up to 3 MiB and etcd stores objects up to 1.5 MiB; an UPDATE's
 *  review carries both the new object and the stored one, so 6 MiB holds any review it can send while
 *  still bounding what a stray client can make the webhook buffer. */
export const DEFAULT_BODY_LIMIT_BYTES = 6 * 1024 * 1024;

export interface ValidateHandlerOptions extends AdmissionContext {
  metrics?: ReleasegateMetrics;
  logger?: Logger;
  bodyLimitBytes?: number;
  /** Shared by every request: the total of bodies being received at once (429 beyond it). */
  bodyBudget?: BodyBudget;
  /** Refuse reviews from a client without a verified certificate (`--client-ca-file`). */
  requireClientCertificate?: boolean;
  /** Says why a kind that counts as not synced is stale (app.ts). */
  staleness?: StalenessView;
}

const KNOWN_OPERATIONS = new Set(["CREATE", "UPDATE", "DELETE", "CONNECT"]);

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  const body = `${text}\n`;
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

function mebibytes(bytes: number): string {
  return `${Number((bytes / (1024 * 1024)).toFixed(2))} MiB`;
}

export function createValidateHandler(options: ValidateHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const log = options.logger ?? silentLogger;
  const metrics = options.metrics;
  const limit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const tooLarge = `request body is larger than ${mebibytes(limit)}`;
  const budget = options.bodyBudget ?? new BodyBudget();
  const overBudgetText = `the webhook is receiving ${mebibytes(budget.totalBytes)} of review bodies already; retry shortly`;

  const count = (kind: string, operation: string, decision: string, reason: string, startedAt: bigint, source: AnswerSource = "memory"): void => {
    metrics?.admissionTally.record(kind, KNOWN_OPERATIONS.has(operation) ? operation : "unknown", decision, reason, Number(process.hrtime.bigint() - startedAt) / 1e9, source);
  };

  const reject = (res: ServerResponse, status: number, text: string, startedAt: bigint, headers?: Record<string, string>): void => {
    log.warn({ path: "/validate", status, error: text }, "rejected a request that is not a valid AdmissionReview");
    sendText(res, status, text, headers);
    count("unknown", "unknown", "error", "bad-request", startedAt);
  };

  // Over the body budget: 429 with Retry-After, as kube-apiserver's own max-in-flight limit answers, and
  // logged at debug only, since a burst would otherwise log one line per refused review.
  const busy = (res: ServerResponse, startedAt: bigint): void => {
    log.debug({ path: "/validate", status: 429, budgetBytes: budget.totalBytes }, "refused a review over the body budget");
    sendText(res, 429, overBudgetText, { "retry-after": "1", connection: "close" });
    count("unknown", "unknown", "error", "over-budget", startedAt);
  };

  const answer = (res: ServerResponse, result: ReviewResult, startedAt: bigint): void => {
    switch (result.type) {
      case "bad-request":
        reject(res, 400, result.error, startedAt);
        return;
      case "not-synced": {
        const stale = options.staleness?.isStale(result.request.kind) === true;
        sendText(res, 503, stale ? options.staleness!.describe(result.request.kind) : result.error);
        count(result.request.kind, result.request.operation, "error", stale ? "stale" : "not-synced", startedAt);
        return;
      }
      case "unavailable":
        // The edge-adding path could not make sure (edge-guard.ts): fail closed, kube-apiserver applies
        // the failurePolicy, and the request can be retried.
        log.warn({ uid: result.request.uid, kind: result.request.kind, object: `${result.request.namespace}/${result.request.name}`, error: result.error }, "could not confirm a new dependsOn edge; answered 503");
        sendText(res, 503, result.error);
        count(result.request.kind, result.request.operation, "error", "unconfirmed", startedAt, "reads");
        return;
      case "answer": {
        const { request, decision } = result;
        const body = JSON.stringify(result.response);
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
        res.end(body);
        count(request.kind, request.operation, decision.allowed ? "allowed" : "denied", decision.reason, startedAt, result.source);
        if (!decision.allowed || decision.warnings.length > 0) {
          const fields = {
            uid: request.uid,
            kind: request.kind,
            object: `${request.namespace}/${request.name}`,
            operation: request.operation,
            dryRun: request.dryRun,
            reason: decision.reason,
          };
          if (!decision.allowed) log.info({ ...fields, message: decision.message.split("\n", 1)[0] }, "denied");
          else log.debug({ ...fields, warnings: decision.warnings.length }, "allowed with warnings");
        }
        return;
      }
    }
  };

  const failed = (res: ServerResponse, error: unknown, startedAt: bigint): void => {
    log.error({ path: "/validate", err: error instanceof Error ? error.stack : String(error) }, "answering a review failed");
    if (res.headersSent) res.destroy();
    else sendText(res, 500, "internal error while answering the review; see the webhook's log");
    count("unknown", "unknown", "error", "error", startedAt);
  };

  return (req, res) => {
    // Timed from the request's arrival, so the histogram includes reading and parsing a large object.
    const startedAt = process.hrtime.bigint();
    if (req.method !== "POST") {
      sendText(res, 405, "use POST with an AdmissionReview", { allow: "POST" });
      return;
    }
    const encoding = req.headers["content-encoding"];
    if (encoding !== undefined && encoding !== "identity") {
      reject(res, 415, `request body is ${encoding}-encoded; send it uncompressed`, startedAt);
      req.resume();
      return;
    }
    if (options.requireClientCertificate === true && !(req.socket as TLSSocket).authorized) {
      // --client-ca-file: only the API server, with a certificate that CA signed, may ask for a review.
      reject(res, 401, "a client certificate signed by the webhook's --client-ca-file is required", startedAt);
      req.resume();
      return;
    }
    const header = req.headers["content-length"];
    const declared = header === undefined ? undefined : Number(header);
    if (declared !== undefined && declared > limit) {
      // Say so before reading, and close: the rest of the body is not worth receiving.
      reject(res, 413, tooLarge, startedAt, { connection: "close" });
      // Not read on: the socket stays paused and closes with the answer (or at the request timeout).
      return;
    }
    // The whole declared body is reserved up front (and received into one buffer of that size); a
    // chunked body reserves each chunk as it comes.
    let reserved = 0;
    const release = (): void => {
      budget.release(reserved);
      reserved = 0;
    };
    const overBudget = (): void => {
      over = true;
      chunks.length = 0;
      release();
      busy(res, startedAt);
      // The rest of the body is not received (nor decrypted): the socket stays paused and closes with
      // the answer, or at the request timeout if the client keeps sending.
      req.pause();
    };
    res.once("close", release);
    req.once("close", () => {
      // The connection ended before the body did (a timeout's 408, a client gone): nothing to answer.
      if (!req.complete) {
        over = true;
        chunks.length = 0;
        whole = undefined;
        release();
      }
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    let whole: Buffer | undefined;
    if (declared !== undefined && Number.isInteger(declared) && declared > 0) {
      if (!budget.tryReserve(declared)) {
        overBudget();
        return;
      }
      reserved = declared;
      whole = Buffer.allocUnsafe(declared);
    }
    req.on("data", (chunk: Buffer) => {
      if (over) return;
      if (whole !== undefined) {
        // Node's parser never delivers more than Content-Length.
        chunk.copy(whole, size);
        size += chunk.length;
        return;
      }
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        release();
        reject(res, 413, tooLarge, startedAt, { connection: "close" });
        return;
      }
      if (!budget.tryReserve(chunk.length)) {
        overBudget();
        return;
      }
      reserved += chunk.length;
      chunks.push(chunk);
    });
    req.on("error", () => {
      // The client went away mid-body; there is nobody to answer.
      over = true;
      chunks.length = 0;
      release();
    });
    req.on("end", () => {
      if (over) return;
      let body: unknown;
      try {
        const bytes = whole ?? (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
        chunks.length = 0;
        whole = undefined;
        const text = bytes.toString("utf8", 0, Math.min(size, bytes.length));
        body = text === "" ? undefined : JSON.parse(text);
      } catch {
        release();
        reject(res, 400, "request body is not valid JSON; send an AdmissionReview", startedAt);
        return;
      }
      // The reservation is held until the answer is sent (res "close"): the parsed review is about as
      // large as its bytes were, so the budget bounds both.
      let result: ReturnType<typeof reviewAdmission>;
      try {
        result = reviewAdmission(body, options);
        if (!(result instanceof Promise)) {
          answer(res, result, startedAt);
          return;
        }
      } catch (error) {
        failed(res, error, startedAt);
        return;
      }
      result.then(
        (settled) => {
          try {
            answer(res, settled, startedAt);
          } catch (error) {
            failed(res, error, startedAt);
          }
        },
        (error: unknown) => failed(res, error, startedAt),
      );
    });
  };
}
