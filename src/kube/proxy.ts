// How connections reach the API server through a proxy, as client-go's do (docs/architecture.md, "The
// Kubernetes transport"): the cluster's `proxy-url` wins and is used for every address; otherwise
// HTTPS_PROXY (HTTP_PROXY for an http:// server) unless NO_PROXY names the host, with the rules of Go's
// golang.org/x/net/http/httpproxy (what kubectl uses): "localhost" and loopback addresses are never
// proxied, NO_PROXY entries are host names (suffix matches), IPs, CIDRs, with an optional port, or "*".
// An http:// or https:// proxy is asked to open a tunnel (HTTP CONNECT); a socks5:// proxy is spoken to
// with RFC 1928 (no authentication, or RFC 1929 username/password); TLS to the API server runs inside.
import http from "node:http";
import https from "node:https";
import net from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";

/** The proxy to use for `server`, or undefined to connect directly. */
export function proxyFor(server: URL, proxyUrl: string | undefined, env: NodeJS.ProcessEnv = process.env): URL | undefined {
  if (proxyUrl !== undefined && proxyUrl !== "") return new URL(proxyUrl);
  const secure = server.protocol === "https:";
  const raw = secure ? (env["HTTPS_PROXY"] ?? env["https_proxy"]) : (env["HTTP_PROXY"] ?? env["http_proxy"]);
  if (raw === undefined || raw === "") return undefined;
  const host = server.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const port = server.port === "" ? (secure ? "443" : "80") : server.port;
  if (!useProxy(host, port, env["NO_PROXY"] ?? env["no_proxy"] ?? "")) return undefined;
  return parseProxyUrl(raw);
}

/** httpproxy's parseProxy: a value without a scheme is an http:// proxy. */
function parseProxyUrl(raw: string): URL | undefined {
  try {
    const url = new URL(raw);
    if (url.protocol === "http:" || url.protocol === "https:" || url.protocol === "socks5:") return url;
  } catch {
    // fall through: maybe no scheme
  }
  try {
    return new URL(`http://${raw}`);
  } catch {
    return undefined;
  }
}

/** httpproxy's useProxy: false for localhost, loopback, and what NO_PROXY names. */
export function useProxy(host: string, port: string, noProxy: string): boolean {
  if (host === "localhost") return false;
  if (net.isIP(host) !== 0 && isLoopback(host)) return false;
  for (const rawEntry of noProxy.split(",")) {
    const entry = rawEntry.trim().toLowerCase();
    if (entry === "") continue;
    if (entry === "*") return false;
    if (entry.includes("/")) {
      if (net.isIP(host) !== 0 && inCidr(host, entry)) return false;
      continue;
    }
    let entryHost = entry;
    let entryPort = "";
    const bracketed = /^\[(.+)\](?::(\d+))?$/.exec(entry);
    if (bracketed !== null) {
      entryHost = bracketed[1]!;
      entryPort = bracketed[2] ?? "";
    } else if (net.isIP(entry) === 0) {
      const colon = entry.lastIndexOf(":");
      if (colon > 0 && /^\d+$/.test(entry.slice(colon + 1))) {
        entryHost = entry.slice(0, colon);
        entryPort = entry.slice(colon + 1);
      }
    }
    if (entryPort !== "" && entryPort !== port) continue;
    if (net.isIP(entryHost) !== 0) {
      if (entryHost === host) return false;
      continue;
    }
    if (entryHost.startsWith("*.")) entryHost = entryHost.slice(1);
    // "example.com" matches it and its subdomains; ".example.com" only the subdomains.
    if (entryHost.startsWith(".")) {
      if (host.endsWith(entryHost)) return false;
    } else if (host === entryHost || host.endsWith(`.${entryHost}`)) return false;
  }
  return true;
}

function isLoopback(ip: string): boolean {
  if (net.isIPv4(ip)) return ip.startsWith("127.");
  const lower = ip.toLowerCase();
  return lower === "::1" || lower === "0:0:0:0:0:0:0:1" || /^::ffff:127\./.test(lower);
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split("/");
  const bits = Number(bitsText);
  if (base === undefined || !Number.isInteger(bits)) return false;
  const family = net.isIPv4(base) ? "ipv4" : net.isIPv6(base) ? "ipv6" : undefined;
  if (family === undefined || (family === "ipv4") !== net.isIPv4(ip)) return false;
  try {
    const list = new net.BlockList();
    list.addSubnet(base, bits, family);
    return list.check(ip, family);
  } catch {
    return false;
  }
}

/** The user:password of a proxy URL, decoded. */
function credentialsOf(proxy: URL): { username: string; password: string } | undefined {
  if (proxy.username === "" && proxy.password === "") return undefined;
  return { username: decodeURIComponent(proxy.username), password: decodeURIComponent(proxy.password) };
}

/** A socket to `host:port` through `proxy`, ready for TLS (or plain HTTP) to the API server. */
function openTunnel(proxy: URL, host: string, port: number, timeoutMs: number, proxyCa?: tls.SecureContextOptions["ca"]): Promise<net.Socket> {
  if (proxy.protocol === "socks5:") return socksTunnel(proxy, host, port, timeoutMs);
  return new Promise((resolve, reject) => {
    const authority = `${host.includes(":") ? `[${host}]` : host}:${port}`;
    const headers: Record<string, string> = { host: authority };
    const credentials = credentialsOf(proxy);
    if (credentials !== undefined) headers["proxy-authorization"] = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
    const secure = proxy.protocol === "https:";
    const options = {
      hostname: proxy.hostname.replace(/^\[|\]$/g, ""),
      port: proxy.port === "" ? (secure ? 443 : 80) : Number(proxy.port),
      method: "CONNECT",
      path: authority,
      headers,
      agent: false as const,
      ...(secure && proxyCa !== undefined ? { ca: proxyCa } : {}),
    };
    const request = (secure ? https : http).request(options);
    const timer = setTimeout(() => {
      request.destroy();
      reject(new Error(`proxy ${proxy.host}: no tunnel to ${authority} within ${timeoutMs} ms`));
    }, timeoutMs);
    request.on("connect", (response: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      clearTimeout(timer);
      if (response.statusCode !== 200) {
        socket.destroy();
        reject(new Error(`proxy ${proxy.host} refused the tunnel to ${authority}: HTTP ${response.statusCode ?? 0}`));
        return;
      }
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    request.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`proxy ${proxy.host}: ${error.message}`, { cause: error }));
    });
    request.end();
  });
}

function socksTunnel(proxy: URL, host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: proxy.hostname.replace(/^\[|\]$/g, ""), port: proxy.port === "" ? 1080 : Number(proxy.port) });
    const credentials = credentialsOf(proxy);
    let buffered = Buffer.alloc(0);
    let step: "method" | "auth" | "connect" = "method";
    const fail = (message: string): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(`socks5 proxy ${proxy.host}: ${message}`));
    };
    const timer = setTimeout(() => fail(`no tunnel to ${host}:${port} within ${timeoutMs} ms`), timeoutMs);
    const sendConnect = (): void => {
      step = "connect";
      const family = net.isIP(host);
      const address =
        family === 4
          ? Buffer.from([1, ...host.split(".").map(Number)])
          : family === 6
            ? Buffer.concat([Buffer.from([4]), ipv6Bytes(host)])
            : Buffer.concat([Buffer.from([3, Buffer.byteLength(host)]), Buffer.from(host)]);
      socket.write(Buffer.concat([Buffer.from([5, 1, 0]), address, Buffer.from([port >> 8, port & 0xff])]));
    };
    socket.on("error", (error) => fail(error.message));
    socket.on("data", function onData(chunk: Buffer) {
      buffered = Buffer.concat([buffered, chunk]);
      if (step === "method") {
        if (buffered.length < 2) return;
        const method = buffered[1];
        buffered = buffered.subarray(2);
        if (method === 0) sendConnect();
        else if (method === 2 && credentials !== undefined) {
          step = "auth";
          const user = Buffer.from(credentials.username);
          const pass = Buffer.from(credentials.password);
          socket.write(Buffer.concat([Buffer.from([1, user.length]), user, Buffer.from([pass.length]), pass]));
        } else fail("no acceptable authentication method");
        return;
      }
      if (step === "auth") {
        if (buffered.length < 2) return;
        if (buffered[1] !== 0) return fail("username/password refused");
        buffered = buffered.subarray(2);
        sendConnect();
        return;
      }
      if (buffered.length < 5) return;
      if (buffered[1] !== 0) return fail(`refused the connection to ${host}:${port} (reply ${buffered[1] ?? "?"})`);
      const type = buffered[3];
      const length = type === 1 ? 10 : type === 4 ? 22 : 7 + (buffered[4] ?? 0);
      if (buffered.length < length) return;
      clearTimeout(timer);
      socket.off("data", onData);
      socket.removeAllListeners("error");
      const rest = buffered.subarray(length);
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    });
    socket.write(credentials !== undefined ? Buffer.from([5, 2, 0, 2]) : Buffer.from([5, 1, 0]));
  });
}

function ipv6Bytes(ip: string): Buffer {
  const [head = "", tail = ""] = ip.split("::");
  const parse = (part: string): number[] => (part === "" ? [] : part.split(":").map((h) => parseInt(h, 16)));
  const a = parse(head);
  const b = parse(tail);
  const groups = ip.includes("::") ? [...a, ...Array<number>(8 - a.length - b.length).fill(0), ...b] : a;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g & 0xffff, i * 2));
  return out;
}

/**
 * An https.Agent whose connections go through a proxy tunnel: the tunnel first, then TLS to the API
 * server inside it (with the agent's own TLS options: CA, client certificate, server name).
 */
export class TunnelingHttpsAgent extends https.Agent {
  constructor(
    options: https.AgentOptions,
    private readonly proxy: URL,
    private readonly connectTimeoutMs: number,
  ) {
    super(options);
  }

  override createConnection(options: https.RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const host = String(options.hostname ?? options.host ?? "").replace(/^\[|\]$/g, "");
    const port = Number(options.port ?? 443);
    openTunnel(this.proxy, host, port, this.connectTimeoutMs).then(
      (socket) => {
        const servername = typeof options.servername === "string" && options.servername !== "" ? options.servername : net.isIP(host) === 0 ? host : undefined;
        const secure = tls.connect({ ...(options as tls.ConnectionOptions), socket, ...(servername !== undefined ? { servername } : {}) });
        callback?.(null, secure);
      },
      (error: unknown) => callback?.(error instanceof Error ? error : new Error(String(error)), undefined as unknown as Duplex),
    );
    return undefined;
  }
}

/** The same for a plain-HTTP API server (rare: a local proxy like `kubectl proxy`). */
export class TunnelingHttpAgent extends http.Agent {
  constructor(
    options: http.AgentOptions,
    private readonly proxy: URL,
    private readonly connectTimeoutMs: number,
  ) {
    super(options);
  }

  override createConnection(options: http.ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const host = String(options.hostname ?? options.host ?? "").replace(/^\[|\]$/g, "");
    openTunnel(this.proxy, host, Number(options.port ?? 80), this.connectTimeoutMs).then(
      (socket) => callback?.(null, socket),
      (error: unknown) => callback?.(error instanceof Error ? error : new Error(String(error)), undefined as unknown as Duplex),
    );
    return undefined;
  }
}
