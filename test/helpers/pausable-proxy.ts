// A TCP proxy in front of the sandbox that a test can pause: while paused, bytes in either direction are
// held and new connections wait, as when a network path to the API server silently stalls (no RST, no
// FIN: the client's sockets stay open and simply hear nothing). resume() delivers everything held.
import net from "node:net";
import type { AddressInfo } from "node:net";

export interface PausableProxy {
  readonly port: number;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startPausableProxy(targetPort: number, targetHost = "127.0.0.1"): Promise<PausableProxy> {
  let paused = false;
  const held: Array<() => void> = [];
  const sockets = new Set<net.Socket>();
  const forward = (from: net.Socket, to: net.Socket): void => {
    from.on("data", (chunk: Buffer) => {
      if (paused) held.push(() => to.write(chunk));
      else to.write(chunk);
    });
    from.on("end", () => (paused ? held.push(() => to.end()) : to.end()));
    from.on("error", () => to.destroy());
    from.on("close", () => to.destroy());
  };
  const connect = (client: net.Socket): void => {
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    forward(client, upstream);
    forward(upstream, client);
  };
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    if (paused) {
      // Accept, then say nothing until resumed (data the client sends meanwhile is buffered by Node).
      client.pause();
      held.push(() => {
        connect(client);
        client.resume();
      });
    } else connect(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
      for (const release of held.splice(0)) release();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
