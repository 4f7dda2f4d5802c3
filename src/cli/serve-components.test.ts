import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { startComponents } from "../runtime/components.js";
import { silentLogger } from "../runtime/logger.js";
import { DrainableRequests } from "./drainable.js";
import {
  apiClientComponent,
  cacheComponent,
  controllerComponent,
  graphPageComponent,
  leaderElectorComponent,
  metricsServerComponent,
  tlsComponent,
  webhookServerComponent,
} from "./serve-components.js";
import type { WebhookListener } from "./serve-components.js";

/** A startable fake that writes its calls into `journal`. */
function fake(name: string, journal: string[]): { start(): Promise<void>; stop(): Promise<void> } {
  return {
    start: () => (journal.push(`start ${name}`), Promise.resolve()),
    stop: () => (journal.push(`stop ${name}`), Promise.resolve()),
  };
}

/** An HTTP server on port 0 in the WebhookListener shape (TLS is the https server's concern, not this part's). */
async function listenHttp(app: http.RequestListener): Promise<WebhookListener> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    https: { tlsLoaded: () => true, server },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    }).on("error", reject);
  });
}

describe("serve's components", () => {
  it("cache: starts feeds, caches and the staleness check, is ready once every cache synced, stops them all", async () => {
    const journal: string[] = [];
    let sync!: () => void;
    const cache = { ...fake("cache", journal), synced: new Promise<void>((resolve) => (sync = resolve)) };
    const part = cacheComponent({
      caches: [cache],
      feeds: [fake("feed", journal)],
      readers: [{ stop: () => journal.push("stop store") }],
      staleness: { start: () => journal.push("start staleness"), stop: () => journal.push("stop staleness") },
    });
    const running = await startComponents([part], silentLogger);
    let ready = false;
    void running.ready.then(() => (ready = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(ready).toBe(false);
    sync();
    await running.ready;
    await running.stop("graceful");
    expect(journal).toEqual(["start feed", "start cache", "start staleness", "stop staleness", "stop store", "stop cache", "stop feed"]);
  });

  it("tls, controller, API client, leader elector: start and stop what they hold, the Lease released only when graceful", async () => {
    const journal: string[] = [];
    const election = { start: () => journal.push("start lease"), release: () => (journal.push("release lease"), Promise.resolve()), stop: () => (journal.push("drop lease"), Promise.resolve()) };
    const parts = [
      apiClientComponent({ close: () => journal.push("close client") }, true),
      tlsComponent(fake("tls", journal), fake("ca injector", journal)),
      controllerComponent({ stop: () => journal.push("stop controller") }, { clear: () => journal.push("clear events") }),
      leaderElectorComponent(election),
    ];
    await (await startComponents(parts, silentLogger)).stop("graceful");
    expect(journal).toEqual(["start tls", "start ca injector", "start lease", "release lease", "stop controller", "clear events", "stop tls", "stop ca injector", "close client"]);
    journal.length = 0;
    await (await startComponents([apiClientComponent({ close: () => journal.push("close client") }, false), leaderElectorComponent(election)], silentLogger)).stop("abort");
    expect(journal).toEqual(["start lease", "drop lease"]);
  });

  it("webhook server: listens, starts its peers, drains a review in flight before closing, and stops its peers", async () => {
    const journal: string[] = [];
    let answer!: () => void;
    const requests = new DrainableRequests((req, res) => {
      if (req.url === "/slow") answer = () => res.end("done");
      else res.end("ok");
    });
    const webhook = webhookServerComponent({ listen: () => listenHttp(requests.listener), requests, peers: [fake("peers", journal)], lanes: [], shutdownTimeoutMs: 10_000, log: silentLogger });
    const running = await startComponents([webhook], silentLogger);
    expect(journal).toEqual(["start peers"]);
    expect(await get(webhook.port, "/readyz")).toBe(200);
    const slow = get(webhook.port, "/slow");
    await expect.poll(() => requests.inFlight(), { timeout: 10_000 }).toBe(1);
    let stopped = false;
    const stopping = running.stop("graceful").then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(requests.isShuttingDown()).toBe(true);
    expect(stopped).toBe(false);
    answer();
    expect(await slow).toBe(200);
    await stopping;
    expect(journal).toEqual(["start peers", "stop peers"]);
    await expect(get(webhook.port, "/readyz")).rejects.toThrow();
  });

  it("webhook server: ready once its peer source has listed the replicas already serving", async () => {
    let listed!: () => void;
    const source = { start: () => new Promise<void>((resolve) => (listed = resolve)), stop: () => undefined };
    const requests = new DrainableRequests((_req, res) => res.end("ok"));
    const webhook = webhookServerComponent({ listen: () => listenHttp(requests.listener), requests, peers: [source], lanes: [], shutdownTimeoutMs: 1000, log: silentLogger });
    const running = await startComponents([webhook], silentLogger);
    let ready = false;
    void running.ready.then(() => (ready = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(ready).toBe(false);
    listed();
    await running.ready;
    await running.stop("graceful");
  });

  it("webhook server: past the shutdown timeout the review still in flight is cut off", async () => {
    const requests = new DrainableRequests(() => undefined);
    const webhook = webhookServerComponent({ listen: () => listenHttp(requests.listener), requests, peers: [], lanes: [], shutdownTimeoutMs: 200, log: silentLogger });
    const running = await startComponents([webhook], silentLogger);
    const hung = get(webhook.port, "/never");
    await expect.poll(() => requests.inFlight(), { timeout: 10_000 }).toBe(1);
    await running.stop("graceful");
    await expect(hung).rejects.toThrow();
  });

  it("metrics server and graph page: a port the metrics server cannot have fails the start, one the page cannot have is only logged", async () => {
    const journal: string[] = [];
    const metrics = metricsServerComponent(() => Promise.reject(new Error("listen EADDRINUSE: address already in use :::9090")));
    const errors: string[] = [];
    const log = { ...silentLogger, error: (_fields: object, message: string) => errors.push(message) };
    const page = graphPageComponent(8080, () => Promise.reject(new Error("EADDRINUSE")), log);
    const running = await startComponents([page], silentLogger);
    expect(errors).toEqual(["cannot serve the graph page; pick another port with --ui-port (0 turns it off)"]);
    expect(page.port).toBe(0);
    await running.stop("graceful");
    await expect(startComponents([apiClientComponent({ close: () => journal.push("close client") }, true), metrics], silentLogger)).rejects.toThrow(
      "cannot listen: listen EADDRINUSE: address already in use :::9090; pick other ports with --webhook-port / --metrics-port",
    );
    expect(journal).toEqual(["close client"]);
  });

  it("metrics server and graph page: listen, report their port, close on stop", async () => {
    const closed: string[] = [];
    const listening = (name: string, port: number) => () => Promise.resolve({ port, close: () => (closed.push(name), Promise.resolve()) });
    const metrics = metricsServerComponent(listening("metrics", 9100));
    const page = graphPageComponent(9200, listening("page", 9200), silentLogger);
    const off = graphPageComponent(0, listening("off", 9300), silentLogger);
    const running = await startComponents([metrics, page, off], silentLogger);
    expect([metrics.port, page.port, off.port]).toEqual([9100, 9200, 0]);
    await running.stop("graceful");
    expect(closed).toEqual(["page", "metrics"]);
  });
});
