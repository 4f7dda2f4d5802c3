import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { EventStreamHub, UpdateMerger } from "./event-stream.js";
import type { GraphFeed, GraphNode, GraphUpdate } from "./graph-snapshot.js";

function node(id: string, state: GraphNode["state"] = "open"): GraphNode {
  const [kind, namespace, name] = id.split("/") as [string, string, string];
  return { id, kind, namespace, name, state, message: state, conditions: [], dependencies: [] };
}

class ManualFeed implements GraphFeed {
  listeners = new Set<(update: GraphUpdate) => void>();
  revision = () => 7;
  snapshot() {
    return { generatedAt: "", source: "cluster" as const, nodes: [] };
  }
  subscribe(listener: (update: GraphUpdate) => void) {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
  emit(update: GraphUpdate) {
    for (const listener of this.listeners) listener(update);
  }
}

describe("UpdateMerger", () => {
  it("keeps the latest record per node, and a removal then a ghost as the ghost", () => {
    const merger = new UpdateMerger();
    merger.add({ nodes: [node("HelmRelease/default/a", "blocked"), node("HelmRelease/default/b")], removed: [] });
    merger.add({ nodes: [node("HelmRelease/default/a", "open")], removed: ["HelmRelease/default/b"] });
    merger.add({ nodes: [node("HelmRelease/default/b", "missing")], removed: ["HelmRelease/default/c"] });
    const merged = merger.take();
    expect(merged.nodes.map((n) => [n.id, n.state])).toEqual([
      ["HelmRelease/default/a", "open"],
      ["HelmRelease/default/b", "missing"],
    ]);
    expect(merged.removed).toEqual(["HelmRelease/default/c"]);
    expect(merger.empty).toBe(true);
  });
});

describe("EventStreamHub over HTTP", () => {
  let server: http.Server | undefined;
  let hub: EventStreamHub | undefined;
  afterEach(async () => {
    hub?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  async function start(options: ConstructorParameters<typeof EventStreamHub>[1]) {
    const feed = new ManualFeed();
    hub = new EventStreamHub(feed, options);
    const h = hub;
    server = http.createServer((req, res) => h.handle(req, res));
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    return { feed, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
  }

  /** The stream's events, by name (the data parsed). */
  function events(text: string): { event: string; data: unknown }[] {
    return text
      .split("\n\n")
      .map((block) => block.split("\n"))
      .filter((lines) => lines.some((line) => line.startsWith("data: ")))
      .map((lines) => ({
        event: lines.find((line) => line.startsWith("event: "))?.slice(7) ?? "message",
        data: JSON.parse(lines.find((line) => line.startsWith("data: "))!.slice(6)) as unknown,
      }));
  }

  it("opens with the feed's revision, streams merged updates and heartbeats, and refuses clients beyond the cap", async () => {
    const { feed, url } = await start({ maxClients: 1, heartbeatMs: 30, coalesceMs: 20 });
    const controller = new AbortController();
    const response = await fetch(url, { signal: controller.signal });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const second = await fetch(url);
    expect(second.status).toBe(503);
    expect(await second.text()).toContain("at most 1");
    feed.emit({ nodes: [node("HelmRelease/default/a", "blocked")], removed: [] });
    feed.emit({ nodes: [node("HelmRelease/default/a", "open")], removed: [] });
    const reader = response.body!.getReader();
    let text = "";
    while (!(text.includes("event: update") && text.includes(": heartbeat"))) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const received = events(text);
    expect(received[0]).toEqual({ event: "hello", data: { revision: 7 } });
    const updates = received.filter((e) => e.event === "update").map((e) => e.data as GraphUpdate);
    expect(updates).toHaveLength(1);
    expect(updates[0]!.nodes.map((n) => n.state)).toEqual(["open"]);
    controller.abort();
  });

  it("drops a client that does not read instead of buffering without bound", async () => {
    const { feed, url } = await start({ maxBufferedBytes: 64 * 1024, coalesceMs: 1, heartbeatMs: 60_000 });
    // A client that connects and never reads.
    await new Promise<void>((resolve) => {
      http.get(url, () => resolve());
    });
    const big = Array.from({ length: 200 }, (_, i) => ({ ...node(`HelmRelease/default/n${i}`), message: "x".repeat(500) }));
    for (let round = 0; round < 400 && hub!.dropped === 0; round++) {
      feed.emit({ nodes: big.map((n) => ({ ...n, message: `${n.message}${round}` })), removed: [] });
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    expect(hub!.dropped).toBe(1);
    expect(hub!.clientCount).toBe(0);
  });
});
