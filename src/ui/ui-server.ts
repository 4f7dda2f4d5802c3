// The graph page's own HTTP server (serve's --ui-port, default 9080): read-only, plain HTTP, meant
// to be reached with `kubectl port-forward`. GET / is the page, /graph-page.js its script (built by
// `npm run build` and shipped in the package), /api/graph the graph as JSON and /api/events its
// changes as Server-Sent Events. Every answer comes from the GraphFeed; none reads the API server.

import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { EventStreamHub } from "./event-stream.js";
import type { EventStreamOptions } from "./event-stream.js";
import type { GraphFeed } from "./graph-snapshot.js";
import { pageHtml } from "./page-html.js";

interface UiServerOptions {
  port: number;
  host?: string;
  events?: EventStreamOptions;
}

export interface UiServer {
  readonly port: number;
  readonly url: string;
  readonly events: EventStreamHub;
  close(): Promise<void>;
}

/** Where `npm run build` writes the page's scripts: beside this file once built, else in dist/. */
const ASSET_FOLDERS = [new URL("./assets/", import.meta.url), new URL("../../dist/src/ui/assets/", import.meta.url)];

interface PageBundle {
  /** The page's own script (its layout library bundled in). */
  script: string;
}

/** The page's scripts, or undefined when they were never built. */
export function readPageBundle(): PageBundle | undefined {
  for (const folder of ASSET_FOLDERS) {
    try {
      return {
        script: readFileSync(fileURLToPath(new URL("graph-page.js", folder)), "utf8"),
      };
    } catch {
      // Try the next place.
    }
  }
  return undefined;
}

const MISSING_BUNDLE: PageBundle = {
  script: "document.getElementById('status').textContent = 'the page script is missing from this build: run npm run build';",
};

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'",
};

export async function startUiServer(feed: GraphFeed, options: UiServerOptions): Promise<UiServer> {
  const bundle = readPageBundle() ?? MISSING_BUNDLE;
  const page = pageHtml({ script: { src: "graph-page.js" }, preload: "api/graph" });
  const events = new EventStreamHub(feed, options.events);
  const snapshotJson = (): string => feed.snapshotJson?.() ?? JSON.stringify(feed.snapshot());
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" }).end("the graph page is read-only: GET only\n");
      return;
    }
    const send = (type: string, body: string): void => {
      res.writeHead(200, { ...SECURITY_HEADERS, "content-type": type, "cache-control": "no-store", "content-length": Buffer.byteLength(body) });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    switch (path) {
      case "/":
        return send("text/html; charset=utf-8", page);
      case "/graph-page.js":
        return send("text/javascript; charset=utf-8", bundle.script);
      case "/api/graph":
        return send("application/json; charset=utf-8", snapshotJson());
      case "/api/events":
        return events.handle(req, res);
      default:
        res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end(`no such page: ${path}; the graph is at /\n`);
    }
  });
  // An SSE stream is a long request: no request timeout for it, headers still bounded.
  server.requestTimeout = 0;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host === undefined || options.host === "0.0.0.0" || options.host === "::" ? "127.0.0.1" : options.host;
  return {
    port,
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}/`,
    events,
    async close() {
      events.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
