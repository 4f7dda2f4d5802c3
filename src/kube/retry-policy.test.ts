import { describe, expect, it } from "vitest";
import { MAX_RETRIES, retryAfterMs, retryOnError, retryOnStatus } from "./retry-policy.js";

const half = (): number => 0.5;

describe("retryOnStatus (client-go's checkWait and with_retry)", () => {
  it("sends any request again after 429, waiting Retry-After (jittered up, never less)", () => {
    const d = retryOnStatus(429, "1", false, 0, 0, half);
    expect(d).toEqual({ reason: "throttled", delayMs: 1100, serverAsked: true });
    expect(retryOnStatus(429, "2", false, 0, 0, () => 0)?.delayMs).toBe(2000);
  });
  it("sends any request again after a 5xx with Retry-After; an idempotent one after any 5xx", () => {
    expect(retryOnStatus(503, "1", false, 0, 0, half)?.serverAsked).toBe(true);
    expect(retryOnStatus(500, undefined, false, 0, 0, half)).toBeUndefined();
    expect(retryOnStatus(500, undefined, true, 0, 0, half)).toMatchObject({ reason: "server_error", serverAsked: false });
  });
  it("returns everything else, and stops after MAX_RETRIES", () => {
    for (const status of [200, 201, 400, 401, 403, 404, 409, 410, 422]) expect(retryOnStatus(status, "1", true, 0, 0, half)).toBeUndefined();
    expect(retryOnStatus(429, "1", true, MAX_RETRIES, 0, half)).toBeUndefined();
  });
  it("reads Retry-After as seconds or an HTTP date, capped at a minute", () => {
    expect(retryAfterMs("3", 0)).toBe(3000);
    expect(retryAfterMs("3600", 0)).toBe(60_000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 5_000)).toBe(5000);
    expect(retryAfterMs("soon", 0)).toBeUndefined();
  });
});

describe("retryOnError", () => {
  it("retries a refused connection for any request; a reset only for an idempotent one", () => {
    expect(retryOnError("ECONNREFUSED", false, 0, half)?.reason).toBe("connection");
    expect(retryOnError("ECONNRESET", false, 0, half)).toBeUndefined();
    expect(retryOnError("ECONNRESET", true, 0, half)?.reason).toBe("connection");
    expect(retryOnError("ENOTFOUND", true, 0, half)).toBeUndefined();
    expect(retryOnError(undefined, true, 0, half)).toBeUndefined();
  });
  it("backs off exponentially, up to 5 s", () => {
    const delays = [0, 1, 2, 3, 8].map((attempt) => retryOnError("ECONNRESET", true, attempt, () => 1)?.delayMs);
    expect(delays).toEqual([200, 400, 800, 1600, 5000]);
  });
});
