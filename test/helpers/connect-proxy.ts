// An HTTP CONNECT proxy for tests, as a corporate or CI proxy in front of an API server: it records each
// tunnel it opens (the authority asked for) and can map host names to addresses the way its own DNS
// would, so a test can give the API server a name only the proxy resolves (a client that goes around
// the proxy cannot connect at all). Optionally requires Proxy-Authorization (Basic).
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";

export interface ConnectProxy {
  readonly url: string;
  readonly port: number;
  /** The authority (host:port) of every tunnel asked for, in order. */
  readonly tunnels: string[];
  /** Tunnels refused (bad credentials, unknown host). */
  readonly refused: string[];
  close(): Promise<void>;
}

export async function startConnectProxy(options: { hosts?: Record<string, string>; credentials?: string } = {}): Promise<ConnectProxy> {
  const tunnels: string[] = [];
  const refused: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((_req, res) => {
    res.writeHead(405).end("CONNECT only\n");
  });
  server.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => undefined);
    const authority = req.url ?? "";
    if (options.credentials !== undefined) {
      const expected = `Basic ${Buffer.from(options.credentials).toString("base64")}`;
      if (req.headers["proxy-authorization"] !== expected) {
        refused.push(authority);
        client.end("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n");
        return;
      }
    }
    const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(authority);
    if (match === null) {
      refused.push(authority);
      client.end("HTTP/1.1 400 Bad Request\r\n\r\n");
      return;
    }
    const host = options.hosts?.[match[1]!] ?? match[1]!;
    tunnels.push(authority);
    const upstream = net.connect(Number(match[2]), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on("close", () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    tunnels,
    refused,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
