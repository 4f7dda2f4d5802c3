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

/** A SOCKS5 proxy (RFC 1928, no authentication) with the same records and host map. */
export async function startSocksProxy(options: { hosts?: Record<string, string> } = {}): Promise<ConnectProxy> {
  const tunnels: string[] = [];
  const refused: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => undefined);
    let buffered = Buffer.alloc(0);
    let greeted = false;
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!greeted) {
        if (buffered.length < 2 || buffered.length < 2 + buffered[1]!) return;
        const methods = [...buffered.subarray(2, 2 + buffered[1]!)];
        buffered = buffered.subarray(2 + buffered[1]!);
        greeted = true;
        if (!methods.includes(0)) {
          client.end(Buffer.from([5, 0xff]));
          return;
        }
        client.write(Buffer.from([5, 0]));
      }
      if (buffered.length < 5) return;
      const type = buffered[3];
      let host: string;
      let at: number;
      if (type === 1) {
        host = [...buffered.subarray(4, 8)].join(".");
        at = 8;
      } else if (type === 3) {
        const length = buffered[4]!;
        host = buffered.subarray(5, 5 + length).toString();
        at = 5 + length;
      } else {
        refused.push("ipv6");
        client.end(Buffer.from([5, 8, 0, 1, 0, 0, 0, 0, 0, 0]));
        return;
      }
      if (buffered.length < at + 2) return;
      const port = buffered.readUInt16BE(at);
      client.off("data", onData);
      tunnels.push(`${host}:${port}`);
      const upstream = net.connect(port, options.hosts?.[host] ?? host, () => {
        client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
        const rest = buffered.subarray(at + 2);
        if (rest.length > 0) upstream.write(rest);
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
    };
    client.on("data", onData);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `socks5://127.0.0.1:${port}`,
    port,
    tunnels,
    refused,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
