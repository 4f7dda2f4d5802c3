// Test helpers for certificate rotation: a silent logger, and a client that loops HTTPS requests (some on
// keep-alive connections, some on a new connection each time) trusting only a CA, counting failures and
// recording which certificate serials it was served.
import https from "node:https";
import type { TLSSocket } from "node:tls";
import type { Logger } from "../src/runtime/logger.js";

export interface CapturedLog {
  level: "info" | "warn" | "error";
  msg: string;
  obj: object;
}

export function capturingLogger(): Logger & { lines: CapturedLog[] } {
  const lines: CapturedLog[] = [];
  return {
    lines,
    debug: () => 0,
    info: (obj, msg) => lines.push({ level: "info", msg, obj }),
    warn: (obj, msg) => lines.push({ level: "warn", msg, obj }),
    error: (obj, msg) => lines.push({ level: "error", msg, obj }),
  };
}

/** One GET; resolves with the status, body and the serial of the certificate the connection was made with. */
export function getOnce(
  port: number,
  ca: string,
  agent: https.Agent | false,
  path = "/",
): Promise<{ status: number; body: string; serial: string; reused: boolean; socket: TLSSocket }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: "127.0.0.1", port, path, ca, agent }, (res) => {
      const socket = res.socket as TLSSocket;
      const serial = socket.getPeerCertificate().serialNumber;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, serial, reused: req.reusedSocket, socket }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.setTimeout(5_000, () => req.destroy(new Error("request timed out")));
  });
}

export interface RequestLoop {
  /** Resolves when at least `n` more requests have completed (successfully or not). */
  waitForRequests(n: number): Promise<void>;
  /** Stops the loop and reports. */
  stop(): Promise<{ requests: number; failures: string[]; serials: Set<string>; reusedRequests: number }>;
}

/**
 * Starts `keepAliveWorkers` loops sharing one keep-alive agent and `freshWorkers` loops opening a new
 * connection for every request, all trusting `ca` (a function, so a test can widen trust during CA rotation).
 */
export function startRequestLoop(port: number, ca: () => string, workers = { keepAlive: 3, fresh: 2 }): RequestLoop {
  const keepAliveAgent = new https.Agent({ keepAlive: true, maxSockets: 2 });
  const failures: string[] = [];
  const serials = new Set<string>();
  let requests = 0;
  let reusedRequests = 0;
  let running = true;
  let waiters: { target: number; resolve: () => void }[] = [];
  // An agent hands a queued request a freed socket without setting req.reusedSocket, so track sockets.
  const seenSockets = new WeakSet<TLSSocket>();

  const worker = async (agent: https.Agent | false): Promise<void> => {
    while (running) {
      const trust = ca();
      try {
        const res = await getOnce(port, trust, agent);
        if (res.status !== 200) failures.push(`status ${res.status}: ${res.body}`);
        serials.add(res.serial);
        if (res.reused || seenSockets.has(res.socket)) reusedRequests += 1;
        seenSockets.add(res.socket);
      } catch (error) {
        const cas = (trust.match(/BEGIN CERTIFICATE/g) ?? []).length;
        failures.push(`${error instanceof Error ? error.message : String(error)} (${agent === false ? "new connection" : "keep-alive agent"}, trusting ${cas} CA${cas === 1 ? "" : "s"})`);
      }
      requests += 1;
      waiters = waiters.filter((w) => (requests >= w.target ? (w.resolve(), false) : true));
    }
  };
  const all = [
    ...Array.from({ length: workers.keepAlive }, () => worker(keepAliveAgent)),
    ...Array.from({ length: workers.fresh }, () => worker(false)),
  ];
  return {
    waitForRequests: (n) => new Promise<void>((resolve) => waiters.push({ target: requests + n, resolve })),
    stop: async () => {
      running = false;
      await Promise.all(all);
      keepAliveAgent.destroy();
      return { requests, failures, serials, reusedRequests };
    },
  };
}

/** Polls `check` every 20 ms until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
