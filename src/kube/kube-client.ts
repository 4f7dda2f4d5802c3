// A small client for the Kubernetes REST API over node:https, for `serve` (docs/architecture.md, "The
// Kubernetes transport"): loading @kubernetes/client-node costs about 60 MiB of RSS on its own, which
// is a third of the controller's memory target. It does what serve needs and nothing more: JSON
// requests with a timeout and a bounded response body, paginated lists, streaming watches (one JSON
// event per line, each line bounded), merge / JSON / server-side-apply patches, create and replace.
//
// Requests share one keep-alive pool with a cap on sockets (requests beyond it wait in the agent), so
// 3,000 Event writes at once are at most `maxSockets` connections (docs/behaviour.md, Bounded work).
// Watches have their own pool without a cap: each holds its own connection for minutes.
//
// It carries out everything the kubeconfig says (kubeconfig.ts, authenticator.ts): the proxy (a tunnel
// per connection, proxy.ts), impersonation headers, credentials and TLS material read again as they
// rotate (new connections when the TLS material changes). Like client-go it waits on a client-side
// token bucket (--kube-api-qps/--kube-api-burst, rate-limiter.ts) and sends a request again after 429,
// Retry-After, 5xx and resets as retry-policy.ts decides, always within the request's one deadline.
import http from "node:http";
import https from "node:https";
import { KubeApiError } from "./api-error.js";
import type { Authenticator, HeaderValues, TlsSettings } from "./authenticator.js";
import { LineSplitter } from "./json-lines.js";
import { TunnelingHttpAgent, TunnelingHttpsAgent } from "./proxy.js";
import { RequestRateLimiter } from "./rate-limiter.js";
import { retryOnError, retryOnStatus } from "./retry-policy.js";
import type { RetryDecision } from "./retry-policy.js";

/** Sockets to the API server for all requests together (watches aside). */
const DEFAULT_MAX_SOCKETS = 16;
/** The longest a request may take; kube-apiserver's own default request timeout is 60 s. */
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** The largest response body read into memory. An object is at most ~1.5 MiB (etcd's limit); a list
 *  page of a few hundred of them fits. */
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** The longest watch event line; one object's JSON. */
const DEFAULT_MAX_WATCH_LINE_BYTES = 8 * 1024 * 1024;

type Query = Record<string, string | number | boolean | undefined>;

type PatchType = "merge" | "json" | "apply" | "strategic";

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  apply: "application/apply-patch+yaml",
  strategic: "application/strategic-merge-patch+json",
};

/** Flux's controllers' defaults for --kube-api-qps / --kube-api-burst (fluxcd/pkg/runtime/client). */
export const DEFAULT_KUBE_API_QPS = 50;
export const DEFAULT_KUBE_API_BURST = 300;

/** The verb a request is counted under: the HTTP method, with LIST and WATCH told apart from GET. */
type KubeVerb = "GET" | "LIST" | "WATCH" | "POST" | "PUT" | "PATCH" | "DELETE";

/** What the client reports (serve turns it into metrics, src/metrics). */
export interface KubeClientObserver {
  /** One answer (code: the HTTP status) or a failure without one (code "error"). */
  request(verb: KubeVerb, code: string): void;
  /** A request sent again, and why. */
  retry(verb: KubeVerb, reason: "throttled" | "server_error" | "connection" | "unauthorized"): void;
  /** Time spent waiting: on the client's token bucket ("client") or on a server's Retry-After ("server"). */
  throttled(seconds: number, source: "client" | "server"): void;
}

interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  query?: Query;
  /** Sent as JSON. */
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
  maxBytes?: number;
  /** Only the status matters: a success's body is read past, never held (an error's still is). */
  discardBody?: boolean;
  /** The verb to count this under (listPage sets LIST); the method by default. */
  verb?: KubeVerb;
}

interface ListPage<T = unknown> {
  items: T[];
  resourceVersion: string | undefined;
  /** The continue token of the next page; undefined on the last. */
  continue: string | undefined;
}

/** One watch event as the server sent it: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR. */
export interface WatchEvent {
  type: string;
  object: unknown;
}

/** Why a watch ended: the server closed it, or it failed (with the error). */
type WatchEnd = { reason: "closed" } | { reason: "error"; error: Error };

export interface WatchHandle {
  /** Resolves once the stream has ended, for any reason (never rejects). */
  readonly ended: Promise<WatchEnd>;
  /** Resolves when the server has answered 200 and events may flow (rejects if it did not). */
  readonly opened: Promise<void>;
  /** Ends the watch from this side; `ended` then resolves "closed". */
  abort(): void;
}

interface WatchOptions {
  query?: Query;
  maxLineBytes?: number;
  /** Nothing received for this long ends the watch with an error (a dead connection). */
  idleTimeoutMs?: number;
  /** The time to get the response headers. */
  connectTimeoutMs?: number;
}

export interface KubeClientOptions {
  maxSockets?: number;
  timeoutMs?: number;
  userAgent?: string;
  /** Client-side rate limit: requests a second, and at once (defaults: Flux's 50 and 300). */
  qps?: number;
  burst?: number;
  /** false: no client-side token bucket (the webhook's reads: see KubeClient.unthrottledLane). */
  rateLimited?: boolean;
  observer?: KubeClientObserver;
  /** Jitter source (tests). */
  random?: () => number;
}

interface Answer {
  status: number;
  body: Buffer;
  retryAfter: string | undefined;
}

interface Agents {
  requests: Agent;
  watches: Agent;
  tls: TlsSettings | undefined;
}

type Agent = http.Agent | https.Agent;

export class KubeClient {
  readonly server: string;
  private readonly base: URL;
  private readonly secure: boolean;
  private readonly endpoint: { protocol: string; hostname: string; port: number };
  private readonly pathPrefix: string;
  private readonly auth: Authenticator;
  private readonly timeoutMs: number;
  private readonly maxSockets: number;
  private readonly userAgent: string;
  private readonly limiter: RequestRateLimiter | undefined;
  private readonly random: () => number;
  private observer: KubeClientObserver | undefined;
  private agentsNow: Agents | undefined;
  private closed = false;

  constructor(auth: Authenticator, options: KubeClientOptions = {}) {
    this.auth = auth;
    this.server = auth.server;
    this.base = new URL(auth.server);
    if (this.base.protocol !== "https:" && this.base.protocol !== "http:") throw new Error(`the API server URL ${auth.server} is neither https nor http`);
    this.secure = this.base.protocol === "https:";
    // node:http wants an IPv6 address without the brackets a URL writes it in.
    const hostname = this.base.hostname.startsWith("[") ? this.base.hostname.slice(1, -1) : this.base.hostname;
    this.endpoint = { protocol: this.base.protocol, hostname, port: this.base.port === "" ? (this.secure ? 443 : 80) : Number(this.base.port) };
    // A server URL may carry a path of its own (an API proxy's): every request path goes below it.
    this.pathPrefix = this.base.pathname.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.maxSockets = options.maxSockets ?? DEFAULT_MAX_SOCKETS;
    this.userAgent = options.userAgent ?? "releasegate";
    this.limiter = options.rateLimited === false ? undefined : new RequestRateLimiter(options.qps ?? DEFAULT_KUBE_API_QPS, options.burst ?? DEFAULT_KUBE_API_BURST);
    this.random = options.random ?? Math.random;
    this.observer = options.observer;
  }

  /** Where the credentials came from (a kubeconfig path, "in-cluster"), for messages. */
  get origin(): string {
    return this.auth.origin;
  }

  /** The proxy connections go through, if any (for messages). */
  get proxy(): URL | undefined {
    return this.auth.proxy;
  }

  /**
   * The same server, credentials and proxy, on a connection pool of its own and outside the token
   * bucket: the webhook's reads. Each answers a review the API server sent (and throttles itself, by
   * API Priority and Fairness), is bounded by its own deadline and by the webhook's body budget, and
   * must neither wait behind the controller's lists nor take the tokens a Lease renewal needs
   * (docs/architecture.md, "The Kubernetes transport"). Close it apart.
   */
  unthrottledLane(): KubeClient {
    return new KubeClient(this.auth, {
      maxSockets: this.maxSockets,
      timeoutMs: this.timeoutMs,
      userAgent: this.userAgent,
      rateLimited: false,
      random: this.random,
      ...(this.observer !== undefined ? { observer: this.observer } : {}),
    });
  }

  /** Reports requests, retries and waits to `observer` (serve's metrics); one observer at a time. */
  observe(observer: KubeClientObserver | undefined): void {
    this.observer = observer;
  }

  /** Sockets open to the API server for requests (in use and idle), watches aside: tests, benchmarks. */
  openSockets(): number {
    return this.agentsNow === undefined ? 0 : countSockets(this.agentsNow.requests);
  }

  /** One JSON request; resolves with the parsed body (undefined for an empty one), rejects KubeApiError. */
  async request<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
    const method = options.method ?? "GET";
    const body = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const response = await this.exchange(method, path, options, body, options.body);
    if (options.discardBody === true && response.status >= 200 && response.status < 300) return undefined as T;
    return this.answerOf<T>(method, path, response);
  }

  /**
   * One request and its answer, within one deadline: it waits on the token bucket, is sent again once
   * after a 401 (credentials read again), and again as retry-policy.ts says after 429, 5xx and resets.
   */
  private async exchange(method: string, path: string, options: RequestOptions, body: Buffer | undefined, document?: unknown): Promise<Answer> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const deadline = Date.now() + timeoutMs;
    const verb: KubeVerb = options.verb ?? (method as KubeVerb);
    const idempotent = method === "GET" || (method === "PUT" && hasResourceVersion(document));
    let attempt = 0;
    let reauthenticated = false;
    for (;;) {
      await this.throttle(deadline);
      const agents = await this.ensureAgents();
      const remaining = deadline - Date.now();
      let answer: Answer;
      try {
        if (remaining <= 0) throw new Error(`${method} ${path}: no complete answer within ${timeoutMs} ms`);
        answer = await this.send(agents.requests, method, path, options, body, remaining, timeoutMs);
      } catch (error) {
        this.observer?.request(verb, "error");
        const decision = retryOnError(errorCode(error), idempotent, attempt, this.random);
        if (decision === undefined || !(await this.pause(decision, deadline, verb))) throw error;
        attempt++;
        continue;
      }
      this.observer?.request(verb, String(answer.status));
      if (answer.status === 401 && !reauthenticated) {
        reauthenticated = true;
        this.auth.invalidate();
        this.observer?.retry(verb, "unauthorized");
        continue;
      }
      const decision = retryOnStatus(answer.status, answer.retryAfter, idempotent, attempt, Date.now(), this.random);
      if (decision === undefined || !(await this.pause(decision, deadline, verb))) return answer;
      attempt++;
    }
  }

  /** Waits `decision.delayMs` if that ends before `deadline`; false (no wait) when it would not. */
  private async pause(decision: RetryDecision, deadline: number, verb: KubeVerb): Promise<boolean> {
    if (this.closed || Date.now() + decision.delayMs >= deadline) return false;
    this.observer?.retry(verb, decision.reason);
    if (decision.serverAsked) this.observer?.throttled(decision.delayMs / 1000, "server");
    await new Promise((resolve) => setTimeout(resolve, decision.delayMs));
    return true;
  }

  /** The client-side token bucket; the wait is reported as throttled time. */
  private async throttle(deadline: number): Promise<void> {
    if (this.limiter === undefined) return;
    const waited = await this.limiter.take(deadline);
    if (waited > 0) this.observer?.throttled(waited / 1000, "client");
  }

  /** A response's parsed body (undefined for an empty one); a KubeApiError for a status outside 2xx. */
  private answerOf<T>(method: string, path: string, response: Answer): T {
    const text = response.body.toString("utf8");
    if (response.status < 200 || response.status >= 300) {
      throw new KubeApiError(response.status, parseOr(text), `${method} ${path}`);
    }
    if (text === "") return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(`${method} ${path}: the API server's answer is not JSON`);
    }
  }

  get<T = unknown>(path: string, options: Omit<RequestOptions, "method" | "body"> = {}): Promise<T> {
    return this.request<T>(path, options);
  }

  /**
   * A GET where 404 is an answer, not a failure: undefined when the object does not exist. The
   * webhook's deny path reads names it expects to be absent (cluster/missing-read.ts), and building an
   * Error with its stack for each of those costs more than the rest of the answer's handling.
   */
  async find<T = unknown>(path: string, options: Omit<RequestOptions, "method" | "body" | "discardBody"> = {}): Promise<T | undefined> {
    const response = await this.exchange("GET", path, options, undefined);
    if (response.status === 404) return undefined;
    return this.answerOf<T>("GET", path, response);
  }

  create<T = unknown>(path: string, body: unknown, options: Omit<RequestOptions, "method" | "body"> = {}): Promise<T> {
    return this.request<T>(path, { ...options, method: "POST", body });
  }

  replace<T = unknown>(path: string, body: unknown, options: Omit<RequestOptions, "method" | "body"> = {}): Promise<T> {
    return this.request<T>(path, { ...options, method: "PUT", body });
  }

  /** A patch of `type`; `apply` needs a fieldManager in `query` (and `force: true` to take fields over). */
  patch<T = unknown>(path: string, type: PatchType, body: unknown, options: Omit<RequestOptions, "method" | "body" | "contentType"> = {}): Promise<T> {
    return this.request<T>(path, { ...options, method: "PATCH", body, contentType: PATCH_CONTENT_TYPES[type] });
  }

  /** One page of a list (`limit`, `continue` in the query). */
  async listPage<T = unknown>(path: string, query: Query = {}, options: Omit<RequestOptions, "method" | "body" | "query"> = {}): Promise<ListPage<T>> {
    const page = await this.request<unknown>(path, { ...options, query, verb: "LIST" });
    return readListPage<T>(page);
  }

  /** Every item of a list, page by page (`pageSize` each), all from one snapshot. */
  async listAll<T = unknown>(path: string, query: Query = {}, pageSize = 500): Promise<{ items: T[]; resourceVersion: string | undefined }> {
    const items: T[] = [];
    let next: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const page = await this.listPage<T>(path, { ...query, limit: pageSize, ...(next !== undefined ? { continue: next } : {}) });
      for (const item of page.items) items.push(item);
      resourceVersion = page.resourceVersion ?? resourceVersion;
      next = page.continue;
    } while (next !== undefined);
    return { items, resourceVersion };
  }

  /**
   * A watch (`watch=true` added to the query): `onEvent` for each line, in order. The stream ends when
   * the server closes it (its timeoutSeconds), on an error status, a line over `maxLineBytes`,
   * silence past `idleTimeoutMs`, or abort(). Until it opens, it is retried like a GET (429 and
   * Retry-After, 5xx, resets) within `connectTimeoutMs`.
   */
  watch(path: string, onEvent: (event: WatchEvent) => void, options: WatchOptions = {}): WatchHandle {
    let endedResolve!: (end: WatchEnd) => void;
    const ended = new Promise<WatchEnd>((resolve) => (endedResolve = resolve));
    let openedResolve!: () => void;
    let openedReject!: (error: Error) => void;
    const opened = new Promise<void>((resolve, reject) => {
      openedResolve = resolve;
      openedReject = reject;
    });
    opened.catch(() => undefined);
    let request: http.ClientRequest | undefined;
    let done = false;
    let idle: NodeJS.Timeout | undefined;
    let wake: (() => void) | undefined;
    const finish = (end: WatchEnd): void => {
      if (done) return;
      done = true;
      clearTimeout(idle);
      clearTimeout(connectTimer);
      wake?.();
      if (end.reason === "error") openedReject(end.error);
      else openedReject(new Error("watch closed before it opened"));
      request?.destroy();
      endedResolve(end);
    };
    const idleTimeoutMs = options.idleTimeoutMs;
    const touch = (): void => {
      if (idleTimeoutMs === undefined) return;
      clearTimeout(idle);
      idle = setTimeout(() => finish({ reason: "error", error: new Error(`watch silent for ${idleTimeoutMs} ms`) }), idleTimeoutMs);
    };
    const connectTimeoutMs = options.connectTimeoutMs ?? this.timeoutMs;
    const deadline = Date.now() + connectTimeoutMs;
    const connectTimer = setTimeout(() => finish({ reason: "error", error: new Error(`watch ${path}: no answer within ${connectTimeoutMs} ms`) }), connectTimeoutMs);
    const sleep = (ms: number): Promise<void> =>
      new Promise((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    /** One attempt: resolves with a retry decision when it should be made again, else undefined. */
    const attemptOnce = async (attempt: number, reauthenticated: boolean): Promise<{ decision: RetryDecision | "unauthorized" } | undefined> => {
      await this.throttle(deadline);
      const { watches } = await this.ensureAgents();
      const headers: HeaderValues = { ...(await this.auth.headers()), accept: "application/json", "user-agent": this.userAgent };
      if (done) return undefined;
      const target = this.target(path, { ...options.query, watch: true });
      return new Promise((resolveAttempt) => {
        request = (this.secure ? https : http).request({ ...target, method: "GET", agent: watches, headers }, (response) => {
          const status = response.statusCode ?? 0;
          this.observer?.request("WATCH", String(status));
          if (status !== 200) {
            readBounded(response, 64 * 1024).then(
              (body) => {
                if (status === 401 && !reauthenticated) {
                  this.auth.invalidate();
                  resolveAttempt({ decision: "unauthorized" });
                  return;
                }
                const retryAfter = headerOf(response.headers["retry-after"]);
                const decision = retryOnStatus(status, retryAfter, true, attempt, Date.now(), this.random);
                if (decision !== undefined && Date.now() + decision.delayMs < deadline) {
                  resolveAttempt({ decision });
                  return;
                }
                if (status === 401) this.auth.invalidate();
                finish({ reason: "error", error: new KubeApiError(status, parseOr(body.toString("utf8")), `watch ${path}`) });
                resolveAttempt(undefined);
              },
              (error: unknown) => {
                finish({ reason: "error", error: asError(error) });
                resolveAttempt(undefined);
              },
            );
            return;
          }
          clearTimeout(connectTimer);
          openedResolve();
          touch();
          resolveAttempt(undefined);
          const lines = new LineSplitter(options.maxLineBytes ?? DEFAULT_MAX_WATCH_LINE_BYTES, (line) => {
            let event: unknown;
            try {
              event = JSON.parse(line.toString("utf8"));
            } catch {
              throw new Error(`watch ${path}: a line that is not JSON`);
            }
            if (typeof event !== "object" || event === null || typeof (event as { type?: unknown }).type !== "string") {
              throw new Error(`watch ${path}: a line that is not a watch event`);
            }
            onEvent(event as WatchEvent);
          });
          response.on("data", (chunk: Buffer) => {
            if (done) return;
            touch();
            try {
              lines.push(chunk);
            } catch (error) {
              finish({ reason: "error", error: asError(error) });
            }
          });
          response.on("end", () => finish({ reason: "closed" }));
          response.on("error", (error) => finish({ reason: "error", error }));
          response.on("close", () => finish(response.complete ? { reason: "closed" } : { reason: "error", error: new Error(`watch ${path}: connection closed mid-stream`) }));
        });
        let streaming = false;
        request.on("response", (response: http.IncomingMessage) => {
          streaming = response.statusCode === 200;
        });
        request.on("error", (error) => {
          if (done) return resolveAttempt(undefined);
          // Once events flow, a broken connection ends the watch (its owner resumes from its resourceVersion).
          if (streaming) return finish({ reason: "error", error });
          this.observer?.request("WATCH", "error");
          const decision = retryOnError(errorCode(error), true, attempt, this.random);
          if (decision !== undefined && Date.now() + decision.delayMs < deadline) {
            resolveAttempt({ decision });
            return;
          }
          finish({ reason: "error", error });
          resolveAttempt(undefined);
        });
        request.end();
      });
    };
    const start = async (): Promise<void> => {
      let reauthenticated = false;
      for (let attempt = 0; !done; ) {
        const outcome = await attemptOnce(attempt, reauthenticated);
        if (outcome === undefined || done) return;
        if (outcome.decision === "unauthorized") {
          reauthenticated = true;
          this.observer?.retry("WATCH", "unauthorized");
          continue;
        }
        this.observer?.retry("WATCH", outcome.decision.reason);
        if (outcome.decision.serverAsked) this.observer?.throttled(outcome.decision.delayMs / 1000, "server");
        await sleep(outcome.decision.delayMs);
        attempt++;
      }
    };
    start().catch((error: unknown) => finish({ reason: "error", error: asError(error) }));
    return {
      ended,
      opened,
      abort: () => finish({ reason: "closed" }),
    };
  }

  /** Closes idle connections (shutdown); requests waiting to be sent again give up. */
  close(): void {
    this.closed = true;
    this.agentsNow?.requests.destroy();
    this.agentsNow?.watches.destroy();
  }

  /**
   * The connection pools, made again when the TLS material has changed (a rotated client certificate
   * or CA, an exec plugin's new certificate): new requests use new connections, the old pool's idle
   * ones are closed and its busy ones finish (it is destroyed once the longest request could have).
   */
  private async ensureAgents(): Promise<Agents> {
    const tls = this.secure ? await this.auth.tls() : undefined;
    const current = this.agentsNow;
    if (current !== undefined && current.tls === tls) return current;
    const proxy = this.auth.proxy;
    const make = (maxSockets: number, keepAlive: boolean): Agent => {
      const common = { keepAlive, maxSockets, maxFreeSockets: Math.min(maxSockets, 16), scheduling: "lifo" as const };
      if (this.secure) {
        const options = { ...common, ...tls, minVersion: "TLSv1.2" as const };
        return proxy !== undefined ? new OneServerTunnelingAgent(options, proxy, this.timeoutMs) : new OneServerHttpsAgent(options);
      }
      return proxy !== undefined ? new TunnelingHttpAgent(common, proxy, this.timeoutMs) : new http.Agent(common);
    };
    // A watch that ended gets a fresh connection (the old one may be what broke it); they are
    // minutes apart, so the handshake costs nothing.
    const next: Agents = { requests: make(this.maxSockets, true), watches: make(Infinity, false), tls };
    this.agentsNow = next;
    if (current !== undefined) {
      for (const list of Object.values(current.requests.freeSockets)) for (const socket of list ?? []) socket.destroy();
      setTimeout(() => current.requests.destroy(), this.timeoutMs).unref();
    }
    return next;
  }

  /** Where a request goes, as node:http's options: built from parts, without a URL to parse per request. */
  private target(path: string, query: Query | undefined): Pick<http.RequestOptions, "protocol" | "hostname" | "port" | "path"> {
    let search = "";
    if (query !== undefined) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
      const text = params.toString();
      if (text !== "") search = `?${text}`;
    }
    return { ...this.endpoint, path: this.pathPrefix + path + search };
  }

  private async send(agent: Agent, method: string, path: string, options: RequestOptions, body: Buffer | undefined, timeoutMs: number, totalMs: number): Promise<Answer> {
    const headers: HeaderValues = { ...(await this.auth.headers()), accept: "application/json", "user-agent": this.userAgent };
    if (body !== undefined) {
      headers["content-type"] = options.contentType ?? "application/json";
      headers["content-length"] = String(body.length);
    }
    const target = this.target(path, options.query);
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.destroy();
        reject(error);
      };
      // One deadline for the whole exchange, connection and body included.
      const timer = setTimeout(() => fail(new Error(`${method} ${path}: no complete answer within ${totalMs} ms`)), timeoutMs);
      const request = (this.secure ? https : http).request({ ...target, method, agent, headers }, (response) => {
        const ok = (response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 300;
        (ok && options.discardBody === true ? drain(response) : readBounded(response, maxBytes)).then(
          (data) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolve({ status: response.statusCode ?? 0, body: data, retryAfter: headerOf(response.headers["retry-after"]) });
          },
          (error: unknown) => fail(error instanceof Error ? withCode(new Error(`${method} ${path}: ${error.message}`, { cause: error }), errorCode(error)) : new Error(String(error))),
        );
      });
      request.on("error", (error) => fail(withCode(new Error(`${method} ${path}: ${error.message}`, { cause: error }), errorCode(error))));
      request.end(body);
    });
  }
}

/**
 * The agent of one client: one API server, one TLS configuration, so one pool key. Node's https.Agent
 * builds its key from every TLS option on each request (the CA bundle, the client certificate and key:
 * kilobytes of text to join and hash per request); a fixed key pools the same sockets without that.
 */
class OneServerHttpsAgent extends https.Agent {
  override getName(): string {
    return "api-server";
  }
}

/** The same through a proxy tunnel (proxy.ts). */
class OneServerTunnelingAgent extends TunnelingHttpsAgent {
  override getName(): string {
    return "api-server";
  }
}

/** A PUT body with metadata.resourceVersion: a compare-and-swap, safe to send again (it can only conflict). */
function hasResourceVersion(document: unknown): boolean {
  if (typeof document !== "object" || document === null) return false;
  const metadata = (document as { metadata?: { resourceVersion?: unknown } }).metadata;
  return typeof metadata?.resourceVersion === "string" && metadata.resourceVersion !== "";
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The socket error code of a failure (ECONNRESET, ECONNREFUSED, ...), looking through causes. */
function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function withCode(error: Error, code: string | undefined): Error {
  if (code !== undefined) (error as Error & { code?: string }).code = code;
  return error;
}

/** The response body, or an error once it passes `maxBytes` (the rest is not read). */
function readBounded(response: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const declared = Number(response.headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxBytes) {
      response.destroy();
      reject(new Error(`the answer is ${declared} bytes, over the ${maxBytes}-byte bound`));
      return;
    }
    response.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        response.destroy();
        reject(new Error(`the answer is over the ${maxBytes}-byte bound`));
        return;
      }
      chunks.push(chunk);
    });
    response.on("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes)));
    response.on("error", reject);
    response.on("aborted", () => reject(withCode(new Error("the connection closed before the answer was complete"), "ECONNRESET")));
  });
}

/** Reads a response to its end, keeping nothing (the connection goes back to the pool). */
function drain(response: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    response.on("data", () => undefined);
    response.on("end", () => resolve(Buffer.alloc(0)));
    response.on("error", reject);
    response.on("aborted", () => reject(withCode(new Error("the connection closed before the answer was complete"), "ECONNRESET")));
  });
}

function parseOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text.slice(0, 1024);
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function countSockets(agent: Agent): number {
  const count = (sockets: NodeJS.ReadOnlyDict<unknown[]>): number => Object.values(sockets).reduce((n, list) => n + (list?.length ?? 0), 0);
  return count(agent.sockets) + count(agent.freeSockets);
}

/** A list response's items and metadata (an answer that is not a list reads as an empty one). */
function readListPage<T>(page: unknown): ListPage<T> {
  if (typeof page !== "object" || page === null) return { items: [], resourceVersion: undefined, continue: undefined };
  const p = page as { items?: unknown; metadata?: { resourceVersion?: unknown; continue?: unknown } };
  const rv = p.metadata?.resourceVersion;
  const next = p.metadata?.continue;
  return {
    items: Array.isArray(p.items) ? (p.items as T[]) : [],
    resourceVersion: typeof rv === "string" && rv !== "" ? rv : undefined,
    continue: typeof next === "string" && next !== "" ? next : undefined,
  };
}
