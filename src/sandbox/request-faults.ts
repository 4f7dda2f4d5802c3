// Faults the sandbox injects into API requests, for tests of how clients behave under throttling and
// outages (as client-go meets them): 429 Too Many Requests with Retry-After (API Priority and Fairness
// rejecting a request), a 5xx (a restarting or overloaded server; 503 may carry Retry-After too), or a
// reset connection. A rule covers a share of the requests (spread evenly, not at random, so a test
// counts on it) or all of them, for a window or until cleared, optionally only those of some users
// (kube-apiserver's APF exempts system:masters; a test keeps its own admin client working this way).
import type { IncomingMessage, ServerResponse } from "node:http";

export interface FaultRule {
  /** The answer: an HTTP status (429, 500, 503, ...) or "reset" (the connection is cut, no answer). */
  answer: number | "reset";
  /** Share of the matching requests, (0, 1]; default 1 (all). */
  share?: number;
  /** Retry-After in seconds; default 1 for 429, none otherwise. */
  retryAfterSeconds?: number;
  /** The rule ends this long after it is added; default: when cleared. */
  forMs?: number;
  /** Only requests authenticated as one of these users (before impersonation); default: everyone. */
  users?: readonly string[];
}

interface ActiveRule extends FaultRule {
  until: number;
  carried: number;
}

export class RequestFaults {
  private rules: ActiveRule[] = [];
  private injectedCount = 0;

  add(rule: FaultRule): void {
    const share = rule.share ?? 1;
    if (!(share > 0 && share <= 1)) throw new RangeError(`a fault's share must be in (0, 1], got ${share}`);
    this.rules.push({ ...rule, until: rule.forMs === undefined ? Infinity : Date.now() + rule.forMs, carried: 0 });
  }

  clear(): void {
    this.rules = [];
  }

  /** Requests answered with a fault so far. */
  get injected(): number {
    return this.injectedCount;
  }

  /**
   * Answers `req` with a fault when a rule picks it, and returns true; false lets it through. A
   * fault picks the request of `user` when it is one of the rule's users.
   */
  intercept(req: IncomingMessage, res: ServerResponse, user: string): boolean {
    const now = Date.now();
    this.rules = this.rules.filter((r) => r.until > now);
    for (const rule of this.rules) {
      if (rule.users !== undefined && !rule.users.includes(user)) continue;
      rule.carried += rule.share ?? 1;
      if (rule.carried < 1) continue;
      rule.carried -= 1;
      this.injectedCount++;
      if (rule.answer === "reset") {
        req.socket.destroy();
        return true;
      }
      const retryAfter = rule.retryAfterSeconds ?? (rule.answer === 429 ? 1 : undefined);
      const reason = rule.answer === 429 ? "TooManyRequests" : rule.answer === 503 ? "ServiceUnavailable" : "InternalError";
      const message = rule.answer === 429 ? "Too many requests, please try again later." : `the server is unavailable (injected fault ${rule.answer})`;
      const body = JSON.stringify({
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message,
        reason,
        ...(retryAfter !== undefined ? { details: { retryAfterSeconds: retryAfter } } : {}),
        code: rule.answer,
      });
      res.writeHead(rule.answer, {
        "Content-Type": "application/json",
        "Content-Length": Buffer.byteLength(body),
        ...(retryAfter !== undefined ? { "Retry-After": String(retryAfter) } : {}),
      });
      res.end(body);
      return true;
    }
    return false;
  }
}
