// The graph page's own HTTP server (serve's --ui-port, default 9080): read-only, plain HTTP, meant
// to be reached with `kubectl port-forward`. GET / is the page, /graph-page.js its script (built by
// `npm run build` and shipped in the package), /api/graph the graph's summaries as compact JSON
// (compact-snapshot.ts; gzipped for a client that accepts it), /api/node?id=KIND/NS/NAME one node with
// its words for the side panel, and /api/events the changes as Server-Sent Events. Every answer comes
// from the GraphFeed; none reads the API server.

import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { constants as zlibConstants, gzip } from "node:zlib";
import { encodeSnapshot } from "./compact-snapshot.js";
import { EventStreamHub } from "./event-stream.js";
import type { EventStreamOptions } from "./event-stream.js";
import { summaryOfNode } from "./graph-nodes.js";
import type { GraphFeed, GraphNode } from "./graph-snapshot.js";
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

const gzipped = promisify(gzip);

/** Bodies smaller than this go out as they are: compressing them saves less than it costs. */
const GZIP_ABOVE = 8 * 1024;

/** Whether the request's Accept-Encoding takes gzip (RFC 9110, 12.5.3: a q of 0 refuses it). */
function acceptsGzip(req: http.IncomingMessage): boolean {
  const header = req.headers["accept-encoding"];
  if (typeof header !== "string") return false;
  return header.split(",").some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    if (coding !== "gzip" && coding !== "*") return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

export async function startUiServer(feed: GraphFeed, options: UiServerOptions): Promise<UiServer> {
  const bundle = readPageBundle() ?? MISSING_BUNDLE;
  const page = pageHtml({ script: { src: "graph-page.js" }, preload: "api/graph" });
  const events = new EventStreamHub(feed, options.events);
  const pageJson = (): string => {
    if (feed.pageJson !== undefined) return feed.pageJson();
    const { generatedAt, source, revision, nodes } = feed.snapshot();
    return JSON.stringify(encodeSnapshot({ generatedAt, source, ...(revision === undefined ? {} : { revision }) }, nodes.map(summaryOfNode)));
  };
  const nodeOf = (id: string): GraphNode | undefined => (feed.node !== undefined ? feed.node(id) : feed.snapshot().nodes.find((n) => n.id === id));
  // The last snapshot's gzip, kept beside its text: every page opened while the graph holds gets it as it is.
  let compressed: { json: string; body: Promise<Buffer> } | undefined;
  const gzipOf = (json: string): Promise<Buffer> => {
    if (compressed?.json !== json) compressed = { json, body: gzipped(json, { level: zlibConstants.Z_BEST_SPEED }) };
    return compressed.body;
  };
  const server = http.createServer((req, res) => {
    const [path, query = ""] = (req.url ?? "/").split("?", 2) as [string, string?];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" }).end("the graph page is read-only: GET only\n");
      return;
    }
    const send = (type: string, body: string | Buffer, headers: Record<string, string> = {}, status = 200): void => {
      res.writeHead(status, { ...SECURITY_HEADERS, "content-type": type, "cache-control": "no-store", "content-length": Buffer.byteLength(body), ...headers });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    const fail = (status: number, line: string): void => send("text/plain; charset=utf-8", `${line}\n`, {}, status);
    switch (path) {
      case "/":
        return send("text/html; charset=utf-8", page);
      case "/graph-page.js":
        return send("text/javascript; charset=utf-8", bundle.script);
      case "/api/graph": {
        const json = pageJson();
        const type = "application/json; charset=utf-8";
        if (json.length < GZIP_ABOVE || !acceptsGzip(req)) return send(type, json, { vary: "accept-encoding" });
        gzipOf(json).then(
          (body) => send(type, body, { "content-encoding": "gzip", vary: "accept-encoding" }),
          () => send(type, json, { vary: "accept-encoding" }),
        );
        return;
      }
      case "/api/node": {
        const id = new URLSearchParams(query).get("id");
        if (id === null || id === "") return fail(400, "GET /api/node?id=KIND/NAMESPACE/NAME: the id is missing");
        const node = nodeOf(id);
        if (node === undefined) return fail(404, `${id} is not on the graph (deleted, or never there)`);
        return send("application/json; charset=utf-8", JSON.stringify(node));
      }
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
