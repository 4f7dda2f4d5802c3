// GET /api/events: Server-Sent Events fed by the graph's changes. Updates are merged over a short
// window and written once per client; a client that does not keep up (its unsent bytes pass a
// bound) is disconnected rather than buffered without end; the browser's EventSource reconnects
// and the page reloads the snapshot. The number of clients is capped, and a comment line every few
// seconds keeps proxies (and `kubectl port-forward`) from closing an idle stream.

import type http from "node:http";
import type { GraphFeed, GraphUpdate, NodeId, NodeSummary } from "./graph-snapshot.js";

export interface EventStreamOptions {
  /** Connected clients at most (default 32); one more is answered 503. */
  maxClients?: number;
  /** Unsent bytes a client may hold before it is dropped (default 4 MiB). */
  maxBufferedBytes?: number;
  /** Heartbeat period (default 15 s). */
  heartbeatMs?: number;
  /** How long changes are merged before they are sent (default 50 ms). */
  coalesceMs?: number;
}

/** Later changes win; a removal followed by a node (a deleted object turned ghost) keeps the node. */
export class UpdateMerger {
  private readonly entries = new Map<NodeId, NodeSummary | null>();

  add(update: GraphUpdate): void {
    for (const id of update.removed) {
      this.entries.delete(id);
      this.entries.set(id, null);
    }
    for (const node of update.nodes) {
      this.entries.delete(node.id);
      this.entries.set(node.id, node);
    }
  }

  get empty(): boolean {
    return this.entries.size === 0;
  }

  take(): GraphUpdate {
    const update: GraphUpdate = { nodes: [], removed: [] };
    for (const [id, node] of this.entries) {
      if (node === null) update.removed.push(id);
      else update.nodes.push(node);
    }
    this.entries.clear();
    return update;
  }
}

export class EventStreamHub {
  private readonly clients = new Set<http.ServerResponse>();
  private readonly merger = new UpdateMerger();
  private readonly maxClients: number;
  private readonly maxBufferedBytes: number;
  private readonly coalesceMs: number;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly feed: GraphFeed;
  /** Subscribed to the feed only while a client is connected. */
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Clients dropped for falling behind (tests, logs). */
  dropped = 0;

  constructor(feed: GraphFeed, options: EventStreamOptions = {}) {
    this.maxClients = options.maxClients ?? 32;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 4 * 1024 * 1024;
    this.coalesceMs = options.coalesceMs ?? 50;
    this.feed = feed;
    this.heartbeat = setInterval(() => this.broadcast(": heartbeat\n\n"), options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  get clientCount(): number {
    return this.clients.size;
  }

  handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.closed || this.clients.size >= this.maxClients) {
      res.writeHead(503, { "content-type": "text/plain; charset=utf-8", "retry-after": "10" });
      res.end(`too many graph page clients (at most ${this.maxClients}); close another tab or try again later\n`);
      return;
    }
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    // Reconnect after 2 s when the stream breaks. The stream opens with the feed's revision: every
    // change after it reaches this client, so a snapshot of that revision or later misses nothing.
    this.unsubscribe ??= this.feed.subscribe((update) => this.onUpdate(update));
    const revision = this.feed.revision?.();
    res.write(`retry: 2000\n\nevent: hello\ndata: ${JSON.stringify(revision === undefined ? {} : { revision })}\n\n`);
    this.clients.add(res);
    const forget = (): void => {
      this.clients.delete(res);
      this.idle();
    };
    req.on("close", forget);
    res.on("close", forget);
  }

  close(): void {
    this.closed = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearInterval(this.heartbeat);
    clearTimeout(this.timer);
    for (const client of this.clients) client.end();
    this.clients.clear();
  }

  private idle(): void {
    if (this.clients.size > 0 || this.unsubscribe === undefined) return;
    this.unsubscribe();
    this.unsubscribe = undefined;
  }

  private onUpdate(update: GraphUpdate): void {
    if (this.clients.size === 0) return;
    this.merger.add(update);
    this.timer ??= setTimeout(() => this.flush(), this.coalesceMs);
  }

  private flush(): void {
    this.timer = undefined;
    if (this.merger.empty) return;
    this.broadcast(`event: update\ndata: ${JSON.stringify(this.merger.take())}\n\n`);
  }

  private broadcast(message: string): void {
    for (const client of this.clients) {
      if (client.writableLength > this.maxBufferedBytes) {
        this.dropped++;
        this.clients.delete(client);
        client.destroy();
        this.idle();
        continue;
      }
      client.write(message);
    }
  }
}
