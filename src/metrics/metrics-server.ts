// The plain-HTTP metrics endpoint (docs/behaviour.md, Metrics: "served over plain HTTP on their own port, never on
// the webhook port"), so Prometheus scrapes without the webhook's TLS and a scrape storm never competes with
// the apiserver's admission calls on the same listener. `GET /metrics` only.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { prometheusText } from "./exposition.js";

export interface MetricsServer {
  readonly server: http.Server;
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

/** A request listener serving `registry` at GET /metrics; anything else is 404. */
function metricsRequestListener(registry: Registry): http.RequestListener {
  return (req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found; metrics are at GET /metrics\n");
      return;
    }
    // prom-client's own text, with far less garbage per series (exposition.ts).
    prometheusText(registry).then(
      (text) => {
        res.writeHead(200, { "content-type": registry.contentType });
        res.end(req.method === "HEAD" ? undefined : text);
      },
      (error: unknown) => {
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        res.end(`collecting metrics failed: ${error instanceof Error ? error.message : String(error)}\n`);
      },
    );
  };
}

/** Listens on `port` (default 8080, docs/behaviour.md, Interfaces) and serves the registry. */
export function startMetricsServer(registry: Registry, options: { port?: number; host?: string } = {}): Promise<MetricsServer> {
  const server = http.createServer(metricsRequestListener(registry));
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8080, options.host, () => {
      server.off("error", reject);
      resolve({
        server,
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error === undefined ? done() : fail(error)));
            server.closeIdleConnections();
          }),
      });
    });
  });
}
