// When a request to the API server is sent again, and after how long (docs/architecture.md, "The
// Kubernetes transport"), as client-go's rest client decides (request.go checkWait, with_retry.go):
// - 429, and any 5xx that carries Retry-After: the server did not do it (API Priority and Fairness
//   rejects before executing; a restarting server says when to come back): any request is sent again
//   after Retry-After seconds (jittered up to +20%, so replicas do not come back together).
// - a 5xx without Retry-After, a connection reset or a broken answer: only an idempotent request (GET:
//   get, list, watch; a PUT carrying metadata.resourceVersion, which can only conflict if it landed
//   before), with jittered exponential backoff from 200 ms.
// - a refused connection: nothing was sent, so any request.
// Always within the request's deadline, and at most MAX_RETRIES times (client-go's default 10).

export const MAX_RETRIES = 10;
const BACKOFF_INITIAL_MS = 200;
const BACKOFF_MAX_MS = 5_000;
/** The longest Retry-After honoured; a server asking for more gets our deadline's judgement. */
const RETRY_AFTER_MAX_S = 60;

type RetryReason = "throttled" | "server_error" | "connection";

export interface RetryDecision {
  reason: RetryReason;
  delayMs: number;
  /** True when the delay is the server's Retry-After (counted as throttled time). */
  serverAsked: boolean;
}

/** Retry-After as delta-seconds (the form kube-apiserver sends), or an HTTP date. */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text), RETRY_AFTER_MAX_S) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), RETRY_AFTER_MAX_S * 1000);
}

function backoffMs(attempt: number, random: () => number): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** attempt);
  return Math.round(base * (0.5 + random() * 0.5));
}

/** After an answer with `status`: retry (how long), or undefined to return it. */
export function retryOnStatus(status: number, retryAfter: string | undefined, idempotent: boolean, attempt: number, now: number, random: () => number = Math.random): RetryDecision | undefined {
  if (attempt >= MAX_RETRIES) return undefined;
  const after = retryAfterMs(retryAfter, now);
  if (status === 429 || (status >= 500 && after !== undefined)) {
    if (after !== undefined) return { reason: status === 429 ? "throttled" : "server_error", delayMs: Math.round(Math.max(after, 1) * (1 + random() * 0.2)), serverAsked: true };
    return { reason: "throttled", delayMs: backoffMs(attempt, random), serverAsked: false };
  }
  if (status >= 500 && idempotent) return { reason: "server_error", delayMs: backoffMs(attempt, random), serverAsked: false };
  return undefined;
}

/** After a failure without an answer (`code`: the socket error's code): retry (how long), or undefined. */
export function retryOnError(code: string | undefined, idempotent: boolean, attempt: number, random: () => number = Math.random): RetryDecision | undefined {
  if (attempt >= MAX_RETRIES) return undefined;
  if (code === "ECONNREFUSED") return { reason: "connection", delayMs: backoffMs(attempt, random), serverAsked: false };
  if (!idempotent) return undefined;
  if (code === "ECONNRESET" || code === "EPIPE" || code === "ECONNABORTED" || code === "EOF" || code === "EAI_AGAIN") {
    return { reason: "connection", delayMs: backoffMs(attempt, random), serverAsked: false };
  }
  return undefined;
}
