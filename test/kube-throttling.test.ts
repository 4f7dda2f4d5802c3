// Throttling and faults as client-go meets them, against the sandbox's injected faults: 429 with
// Retry-After (API Priority and Fairness), 5xx and reset connections. First the client alone (what is
// sent again, what is not, the deadline, the token bucket, the metrics), then `serve` under a window of
// 429s to everything it sends: it keeps the Lease or hands it over cleanly, never answers a review from
// a stale cache (503 past --max-cache-staleness, /readyz failing), and recovers without a restart.
// The window is RELEASEGATE_THROTTLE_WINDOW_S seconds (default 8; docs/architecture.md has a 60 s run).
import https from "node:https";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump as toYaml, load as parseYaml } from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StaticPeerSource } from "../src/admission/peer-source.js";
import { admissionReview } from "../src/admission/review-builder.test-support.js";
import { SANDBOX_NAMESPACE } from "../src/cli/sandbox.js";
import { startServe } from "../src/cli/serve.js";
import type { RunningServe } from "../src/cli/serve.js";
import { resolveServeOptions } from "../src/cli/serve-options.js";
import { connectKube, KubeApiError } from "../src/kube/index.js";
import type { KubeClient, KubeClientObserver, KubeClientOptions } from "../src/kube/index.js";
import { startSandbox } from "../src/sandbox/sandbox.js";
import type { Sandbox } from "../src/sandbox/sandbox.js";
import { eventually } from "./helpers/eventually.js";
import { helmRelease } from "./helpers/flux-client.js";
import { quietLogger } from "./helpers/quiet-logger.js";
import { findSamples, scrape } from "./helpers/metrics-text.js";

const CM = "/api/v1/namespaces/default/configmaps";

let sandbox: Sandbox;
let dir: string;

beforeAll(async () => {
  sandbox = await startSandbox({
    bookmarkIntervalMs: 300,
    seed: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: SANDBOX_NAMESPACE } }, helmRelease("redis"), helmRelease("backend", ["redis"])],
  });
  dir = await mkdtemp(join(tmpdir(), "releasegate-throttle-"));
});

afterAll(async () => {
  await sandbox?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A kubeconfig whose bearer token (the sandbox's user name) is `user`, so a fault can pick its requests. */
async function kubeconfigAs(user: string): Promise<string> {
  const file = join(dir, `${user}.kubeconfig`);
  await sandbox.writeKubeconfig(file);
  const doc = parseYaml(await readFile(file, "utf8")) as { users: Array<{ user: Record<string, unknown> }> };
  doc.users[0]!.user = { token: user };
  await writeFile(file, toYaml(doc));
  return file;
}

interface Reports {
  codes: string[];
  retries: string[];
  throttled: { client: number; server: number };
}

async function clientAs(user: string, options: KubeClientOptions = {}): Promise<{ client: KubeClient; reports: Reports }> {
  const reports: Reports = { codes: [], retries: [], throttled: { client: 0, server: 0 } };
  const observer: KubeClientObserver = {
    request: (verb, code) => reports.codes.push(`${verb} ${code}`),
    retry: (verb, reason) => reports.retries.push(`${verb} ${reason}`),
    throttled: (seconds, source) => (reports.throttled[source] += seconds),
  };
  const { client } = await connectKube({ kubeconfig: await kubeconfigAs(user) }, { ...options, observer });
  return { client, reports };
}

describe("the client under injected faults", () => {
  it("sends a request again after 429, waiting the Retry-After, and counts it", async () => {
    const { client, reports } = await clientAs("half-throttled");
    sandbox.faults.failRequests({ answer: 429, share: 0.5, retryAfterSeconds: 1, users: ["half-throttled"] });
    try {
      for (let i = 0; i < 4; i++) await client.get(CM);
      await client.create(CM, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "after-429" } });
    } finally {
      sandbox.faults.clearRequestFaults();
      client.close();
    }
    expect(reports.codes.filter((c) => c.endsWith(" 429")).length).toBeGreaterThanOrEqual(2);
    expect(reports.retries.filter((r) => r.endsWith(" throttled")).length).toBe(reports.codes.filter((c) => c.endsWith(" 429")).length);
    // Each retry waited at least the second the server asked for.
    expect(reports.throttled.server).toBeGreaterThanOrEqual(reports.retries.length);
  });

  it("sends a GET (and a PUT with its resourceVersion) again after 5xx and resets; a POST only after 429", async () => {
    const { client, reports } = await clientAs("faulty");
    const created = await client.create<{ metadata: { resourceVersion: string } }>(CM, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "lease-like" } });
    sandbox.faults.failRequests({ answer: 500, forMs: 600, users: ["faulty"] });
    const post = await client.create(CM, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "not-retried" } }).catch((e: unknown) => e);
    expect((post as KubeApiError).statusCode).toBe(500);
    await expect(client.get(CM, { timeoutMs: 10_000 })).resolves.toBeDefined();
    sandbox.faults.failRequests({ answer: 500, forMs: 600, users: ["faulty"] });
    const put = await client.replace<{ data: Record<string, string> }>(`${CM}/lease-like`, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "lease-like", resourceVersion: created.metadata.resourceVersion }, data: { renewed: "yes" } }, { timeoutMs: 10_000 });
    expect(put.data).toEqual({ renewed: "yes" });
    sandbox.faults.failRequests({ answer: "reset", forMs: 600, users: ["faulty"] });
    const reset = await client.create(CM, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "reset" } }).catch((e: unknown) => e);
    expect(reset).toBeInstanceOf(Error);
    expect(reset).not.toBeInstanceOf(KubeApiError);
    await expect(client.get(CM, { timeoutMs: 10_000 })).resolves.toBeDefined();
    sandbox.faults.clearRequestFaults();
    client.close();
    expect(reports.retries).toContain("GET server_error");
    expect(reports.retries).toContain("PUT server_error");
    expect(reports.retries).toContain("GET connection");
    expect(reports.retries.filter((r) => r.startsWith("POST"))).toEqual([]);
  });

  it("keeps the deny path's 1 s bound: a Retry-After past the deadline is not waited for", async () => {
    const { client, reports } = await clientAs("always-throttled");
    sandbox.faults.failRequests({ answer: 429, retryAfterSeconds: 1, users: ["always-throttled"] });
    try {
      const error = await client.find(`${CM}/absent`, { timeoutMs: 1000 }).catch((e: unknown) => e);
      expect((error as KubeApiError).statusCode).toBe(429);
      expect(reports.codes).toEqual(["GET 429"]);
      expect(reports.retries).toEqual([]);
    } finally {
      sandbox.faults.clearRequestFaults();
      client.close();
    }
  });

  it("opens a watch once the 429s stop, within its connect timeout", async () => {
    const { client, reports } = await clientAs("watch-throttled");
    sandbox.faults.failRequests({ answer: 429, retryAfterSeconds: 1, forMs: 1500, users: ["watch-throttled"] });
    const watch = client.watch(CM, () => undefined, { query: { timeoutSeconds: 30 }, connectTimeoutMs: 10_000 });
    await watch.opened;
    watch.abort();
    client.close();
    expect(reports.codes.filter((c) => c === "WATCH 429").length).toBeGreaterThan(0);
    expect(reports.codes).toContain("WATCH 200");
  });

  it("waits on its token bucket (--kube-api-qps/--kube-api-burst), and refuses a wait past the deadline", async () => {
    const { client, reports } = await clientAs("bucket", { qps: 5, burst: 2 });
    await Promise.all(Array.from({ length: 5 }, () => client.get(CM)));
    expect(reports.throttled.client).toBeGreaterThan(0);
    await expect(client.get(CM, { timeoutMs: 50 })).rejects.toThrow(/client rate limiter/);
    // The webhook's lane (serve's deny-path and freshness reads) shares the credentials, not the bucket:
    // with the client's bucket empty, ten reads within 1 s (at 5 a second the bucket would refuse most).
    const lane = client.unthrottledLane();
    await Promise.all(Array.from({ length: 10 }, () => lane.get(CM, { timeoutMs: 1000 })));
    lane.close();
    client.close();
  });
});

function post(port: number, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = https.request({ host: "127.0.0.1", port, path, method: body === undefined ? "GET" : "POST", rejectUnauthorized: false, agent: false, timeout: 5000, headers: { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("timeout", () => req.destroy(new Error("no answer within 5 s")));
    req.on("error", (error) => resolve({ status: 0, body: error.message }));
    req.end(body);
  });
}

const WINDOW_S = Number(process.env["RELEASEGATE_THROTTLE_WINDOW_S"] ?? "8");
const STALENESS_MS = 2000;

describe("serve under a window of 429s", () => {
  let serve: RunningServe;

  beforeAll(async () => {
    serve = await startServe(
      {
        ...resolveServeOptions({}, {}),
        kubeconfig: await kubeconfigAs("releasegate-serve"),
        webhookPort: 0,
        metricsPort: 0,
        uiPort: 0,
        bindAddress: "127.0.0.1",
        namespace: SANDBOX_NAMESPACE,
        identity: "throttled",
        maxCacheStalenessMs: STALENESS_MS,
        leaseDurationMs: 4000,
        leaseRenewDeadlineMs: 3000,
        leaseRetryPeriodMs: 1000,
      },
      { logger: quietLogger(), peers: new StaticPeerSource([]), cacheBackoff: { initialMs: 200, maxMs: 1000 } },
    );
    await serve.ready;
    await eventually(() => serve.isLeader(), { what: "serve leading", timeoutMs: 20_000 });
  }, 60_000);

  afterAll(async () => {
    sandbox.faults.clearRequestFaults();
    await serve?.shutdown();
  });

  it(`keeps the Lease or hands it over cleanly, answers 503 once stale, and recovers without a restart (${WINDOW_S} s window)`, async () => {
    const valid = JSON.stringify(admissionReview({ operation: "CREATE", object: { name: "frontend", dependsOn: [{ name: "backend" }] } }));
    const missing = JSON.stringify(admissionReview({ operation: "CREATE", object: { name: "orphan", dependsOn: [{ name: "ghost" }] } }));
    expect(JSON.parse((await post(serve.webhookPort, "/validate", valid)).body).response.allowed).toBe(true);

    const start = Date.now();
    sandbox.faults.failRequests({ answer: 429, retryAfterSeconds: 1, forMs: WINDOW_S * 1000, users: ["releasegate-serve"] });
    // The open watches end (an API server shedding load closes them); opening them again meets the 429s.
    sandbox.faults.dropWatches("end");
    const samples: Array<{ at: number; review: number; missing: number; readyz: number; leader: boolean }> = [];
    let leaderTransitions = 0;
    let lastLeader = serve.isLeader();
    while (Date.now() - start < WINDOW_S * 1000 - 300) {
      const [review, deny, readyz] = await Promise.all([post(serve.webhookPort, "/validate", valid), post(serve.webhookPort, "/validate", missing), post(serve.webhookPort, "/readyz")]);
      const leader = serve.isLeader();
      if (leader !== lastLeader) leaderTransitions++;
      lastLeader = leader;
      samples.push({ at: Date.now() - start, review: review.status, missing: deny.status, readyz: readyz.status, leader });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    // Every review was answered (200 or 503), never dropped or left hanging; the deny path's read too.
    expect(samples.every((s) => [200, 503].includes(s.review) && [200, 503].includes(s.missing))).toBe(true);
    // Once the caches are past --max-cache-staleness (plus a second for the staleness check's own period), no answer from them.
    const stale = samples.filter((s) => s.at > STALENESS_MS + 1000);
    expect(stale.length).toBeGreaterThan(0);
    expect(stale.filter((s) => s.review !== 503 || s.readyz !== 503 || s.missing !== 503)).toEqual([]);

    const recovered = await eventually(
      async () => {
        const r = await post(serve.webhookPort, "/validate", valid);
        return r.status === 200 && (await post(serve.webhookPort, "/readyz")).status === 200 && serve.isLeader() ? Date.now() : undefined;
      },
      { what: "serve answering, ready and leading again", timeoutMs: 60_000, intervalMs: 200 },
    );
    const windowEnd = start + WINDOW_S * 1000;
    const metrics = await scrape(serve.metricsPort);
    const sum = (name: string, labels: Record<string, string>): number => findSamples(metrics, name, labels).reduce((n, s) => n + s.value, 0);
    const throttled = sum("releasegate_kube_api_requests_total", { code: "429" });
    expect(throttled).toBeGreaterThan(0);
    expect(sum("releasegate_kube_api_retries_total", { reason: "throttled" })).toBeGreaterThan(0);
    expect(sum("releasegate_kube_api_throttled_seconds_total", { source: "server" })).toBeGreaterThan(0);
    const first503 = samples.find((s) => s.review === 503)?.at;
    const leaderLost = samples.find((s) => !s.leader)?.at;
    console.log(
      `throttle window ${WINDOW_S} s: first 503 after ${first503 ?? "-"} ms; leader ${leaderLost === undefined ? "kept" : `lost after ${leaderLost} ms`} (${leaderTransitions} transitions); ` +
        `ready, answering and leading again ${Math.max(0, recovered - windowEnd)} ms after the window; ${throttled} requests answered 429; ${sandbox.faults.injectedFaults} faults injected; ${samples.length} samples`,
    );
  }, 180_000 + WINDOW_S * 1000);
});
