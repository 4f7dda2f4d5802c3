// Counts the webhook's requests in flight, so a graceful shutdown can wait for the reviews being answered
// (docs/behaviour.md, Interfaces: shutdown). Waiting follows the requests' own finish events.
import type http from "node:http";

export class DrainableRequests {
  readonly listener: http.RequestListener;
  private active = 0;
  private shuttingDown = false;
  /** Called on every finished request while someone waits in whenIdle. */
  private readonly finishWatchers = new Set<() => void>();

  constructor(app: http.RequestListener) {
    this.listener = (req, res) => {
      // While draining, /readyz says so at once: the endpoint leaves the Service before the pod goes.
      if (this.shuttingDown && (req.url ?? "").split("?", 1)[0] === "/readyz") {
        res.writeHead(503, { "content-type": "text/plain", connection: "close" }).end("not ready: shutting down\n");
        return;
      }
      this.active++;
      let counted = true;
      const done = (): void => {
        if (counted) this.active--;
        counted = false;
        for (const watcher of [...this.finishWatchers]) watcher();
      };
      res.on("finish", done);
      res.on("close", done);
      if (this.shuttingDown) res.setHeader("connection", "close");
      app(req, res);
    };
  }

  /** Readiness off, and every later response closes its connection. */
  beginShutdown(): void {
    this.shuttingDown = true;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  inFlight(): number {
    return this.active;
  }

  /** Resolves true once no request is in flight, false if `timeoutMs` passes first; `onFinish` runs at every finish meanwhile. */
  whenIdle(timeoutMs: number, onFinish: () => void = () => undefined): Promise<boolean> {
    if (this.active === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const end = (idle: boolean): void => {
        clearTimeout(timer);
        this.finishWatchers.delete(watcher);
        resolve(idle);
      };
      const watcher = (): void => {
        onFinish();
        if (this.active === 0) end(true);
      };
      const timer = setTimeout(() => end(this.active === 0), timeoutMs);
      this.finishWatchers.add(watcher);
    });
  }
}
