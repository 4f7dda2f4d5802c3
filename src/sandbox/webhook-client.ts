// Calling a webhook over HTTPS as kube-apiserver does (util/webhook ClientManager and client-go's rest client):
// the URL or service target, the TLS agent per caBundle, the deadline, and the words of transport errors and
// of answers that are not AdmissionReviews.
import { X509Certificate } from "node:crypto";
import https from "node:https";
import type { IncomingHttpHeaders } from "node:http";
import type { AdmissionChainOptions } from "./admission-types.js";
import { isRecord } from "./json.js";
import { stringOr } from "./webhook-definitions.js";
import type { Webhook } from "./webhook-definitions.js";

/** A failure to call the webhook (ErrCallingWebhook): subject to failurePolicy. */
export class CallError extends Error {}

interface Target {
  /** The URL as kube-apiserver names it in errors, `?timeout=` included. */
  displayUrl: string;
  connectHost: string;
  connectPort: number;
  path: string;
  hostHeader: string;
  servername?: string;
}

const agents = new Map<string, { fingerprint: string; agent: https.Agent }>();

/** Agents kept at once; the oldest is closed beyond it. */
const MAX_AGENTS = 32;

/**
 * One keep-alive agent per webhook and address (and CA bundle), as client-go's webhook client cache keys
 * clients by CA and target: a Service whose endpoints take turns gets one agent per endpoint, so a call to
 * one endpoint never closes another's connection mid-request.
 */
export function agentFor(h: Webhook, caPem: string | undefined, target: Target): https.Agent {
  const fingerprint = `${caPem ?? ""}\u0000${target.connectHost}:${target.connectPort}\u0000${target.servername ?? ""}`;
  const key = `${h.configurationName}\u0000${h.name}\u0000${fingerprint}`;
  const cached = agents.get(key);
  if (cached) return cached.agent;
  const agent = new https.Agent({ keepAlive: true, ca: caPem, minVersion: "TLSv1.2" });
  agents.set(key, { fingerprint, agent });
  for (const [old, entry] of agents) {
    if (agents.size <= MAX_AGENTS) break;
    entry.agent.destroy();
    agents.delete(old);
  }
  return agent;
}

/** Closes every cached webhook connection (the API server calls this when it stops; tests too). */
export function closeWebhookClients(): void {
  for (const { agent } of agents.values()) agent.destroy();
  agents.clear();
}

/** client-go's rootCertPool: the caBundle must hold at least one PEM certificate. */
export function caPemOf(caBundle: string | undefined): string | undefined {
  if (caBundle === undefined) return undefined;
  const pem = Buffer.from(caBundle, "base64").toString("utf8");
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new CallError("could not get REST client: unable to load root certificates: unable to parse bytes as PEM block");
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (e) {
      throw new CallError(`could not get REST client: failed to parse certificate: ${(e as Error).message}`);
    }
  }
  return pem;
}

export function targetFor(h: Webhook, timeoutParam: string, resolver: AdmissionChainOptions["serviceResolver"]): Target {
  if (h.url !== undefined) {
    let u: URL;
    try {
      u = new URL(h.url);
    } catch {
      throw new CallError(`could not get REST client: parse "${h.url}": invalid URL`);
    }
    // rest.Config: Host is scheme://host, APIPath the URL path ("/" when empty).
    const base = `${u.protocol}//${u.host}${u.pathname || "/"}`;
    return {
      displayUrl: `${base}?timeout=${timeoutParam}`,
      connectHost: u.hostname.replace(/^\[|\]$/g, ""),
      connectPort: u.port ? Number(u.port) : 443,
      path: `${u.pathname || "/"}?timeout=${timeoutParam}`,
      hostHeader: u.host,
    };
  }
  if (h.service) {
    const s = h.service;
    const serverName = `${s.name}.${s.namespace}.svc`;
    const path = s.path || "/";
    const displayUrl = `https://${serverName}:${s.port}${path}?timeout=${timeoutParam}`;
    const resolved = resolver?.({ namespace: s.namespace, name: s.name, port: s.port, path: s.path || undefined });
    if (resolved === undefined) {
      throw new CallError(`failed to call webhook: Post "${displayUrl}": service "${s.namespace}/${s.name}" is not resolvable: the sandbox has no address for it`);
    }
    let u: URL;
    try {
      u = new URL(resolved);
    } catch {
      throw new CallError(`failed to call webhook: Post "${displayUrl}": service "${s.namespace}/${s.name}" resolved to an invalid address ${JSON.stringify(resolved)}`);
    }
    return {
      displayUrl,
      connectHost: u.hostname.replace(/^\[|\]$/g, ""),
      connectPort: u.port ? Number(u.port) : 443,
      path: `${path}?timeout=${timeoutParam}`,
      hostHeader: `${serverName}:${s.port}`,
      servername: serverName,
    };
  }
  throw new CallError("could not get REST client: webhook has neither clientConfig.url nor clientConfig.service");
}

interface HttpResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

class DeadlineExceeded extends Error {
  constructor() {
    super("context deadline exceeded");
  }
}

/** Go's x509.HostnameError wording, from the certificate Node rejected. */
function hostnameError(host: string, cert: { subjectaltname?: string } | undefined): string {
  const sans = (cert?.subjectaltname ?? "").split(/,\s*/).filter(Boolean);
  const dns = sans.filter((s) => s.startsWith("DNS:")).map((s) => s.slice(4));
  const ips = sans.filter((s) => s.startsWith("IP Address:")).map((s) => s.slice(11));
  const isIp = /^[\d.]+$|:/.test(host);
  if (isIp && ips.length === 0) return `x509: cannot validate certificate for ${host} because it doesn't contain any IP SANs`;
  const valid = (isIp ? ips : dns).join(", ");
  if (!valid) return `x509: certificate is not valid for any names, but wanted to match ${host}`;
  return `x509: certificate is valid for ${valid}, not ${host}`;
}

const UNKNOWN_AUTHORITY = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
]);

/** A Node transport error in the words of Go's net/http and crypto/tls, as kube-apiserver reports them. */
function transportMessage(err: NodeJS.ErrnoException & { host?: string; cert?: { subjectaltname?: string } }, target: Target): string {
  if (err instanceof DeadlineExceeded) return err.message;
  const code = err.code ?? "";
  if (UNKNOWN_AUTHORITY.has(code)) return "tls: failed to verify certificate: x509: certificate signed by unknown authority";
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return `tls: failed to verify certificate: ${hostnameError(target.servername ?? err.host ?? target.connectHost, err.cert)}`;
  }
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID") {
    return "tls: failed to verify certificate: x509: certificate has expired or is not yet valid";
  }
  if (code === "ECONNREFUSED") return `dial tcp ${target.connectHost}:${target.connectPort}: connect: connection refused`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `dial tcp: lookup ${target.connectHost}: no such host`;
  if (code === "ECONNRESET") return err.message === "socket hang up" ? "EOF" : "read: connection reset by peer";
  return err.message;
}

export function post(target: Target, agent: https.Agent, body: string, timeoutMs: number): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (e: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(new CallError(`failed to call webhook: Post "${target.displayUrl}": ${transportMessage(e, target)}`));
    };
    const req = https.request({
      agent,
      host: target.connectHost,
      port: target.connectPort,
      method: "POST",
      path: target.path,
      servername: target.servername,
      headers: {
        host: target.hostHeader,
        "content-type": "application/json",
        accept: "application/json, */*",
        "user-agent": "kube-apiserver-admission",
        "content-length": Buffer.byteLength(body),
      },
    });
    // The context deadline covers connecting, sending and reading the whole answer.
    const timer = setTimeout(() => fail(new DeadlineExceeded()), timeoutMs);
    req.on("error", fail);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", fail);
      res.on("close", () => {
        if (!res.complete) fail(new Error("unexpected EOF"));
      });
      res.on("end", () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
    });
    req.end(body);
  });
}

// errors.NewGenericServerResponse: the message client-go makes of a non-2xx answer that is not a Status.
function genericServerMessage(code: number, serverMessage: string): string {
  switch (code) {
    case 409:
      return "the server reported a conflict";
    case 404:
      return "the server could not find the requested resource";
    case 400:
      return "the server rejected our request for an unknown reason";
    case 401:
      return "the server has asked for the client to provide credentials";
    case 403:
      return serverMessage;
    case 405:
      return "the server does not allow this method on the requested resource";
    case 406:
      return serverMessage === "" || serverMessage === "unknown" ? "the server was unable to respond with a content type that the client supports" : serverMessage;
    case 415:
      return serverMessage;
    case 422:
      return "the server rejected our request due to an error in our request";
    case 429:
      return "the server has received too many requests and has asked us to try again later";
    case 503:
      return "the server is currently unable to handle the request";
    case 504:
      return "the server was unable to return a response in the time allotted, but may still be processing the request";
    default:
      if (code >= 500) return `an error on the server (${JSON.stringify(serverMessage)}) has prevented the request from succeeding`;
      return `the server responded with the status code ${code} but did not return more information`;
  }
}

export function jsonTypeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v === "object" ? "object" : typeof v;
}

/** client-go Result.Into: the decoded body, or the error the rest client reports. */
export function decodeBody(res: HttpResponse): unknown {
  const contentType = (res.headers["content-type"] ?? "").trim() || "application/json";
  const mediaType = (contentType.split(";")[0] ?? "").trim().toLowerCase();
  const text = res.body.toString("utf8");
  const ok = res.statusCode >= 200 && res.statusCode <= 206;
  const isJson = mediaType === "application/json";
  if (!ok) {
    if (isJson) {
      try {
        const parsed: unknown = JSON.parse(text);
        // A metav1.Status with status Failure is returned as the error itself.
        if (isRecord(parsed) && parsed.kind === "Status" && parsed.status === "Failure") {
          throw new CallError(`failed to call webhook: ${stringOr(parsed.message, "")}`);
        }
      } catch (e) {
        if (e instanceof CallError) throw e;
      }
    }
    const serverMessage = mediaType.startsWith("text/plain") ? text.slice(0, 2048).trim() : "unknown";
    throw new CallError(`failed to call webhook: ${genericServerMessage(res.statusCode, serverMessage)}`);
  }
  if (!isJson) throw new CallError(`failed to call webhook: serializer for ${contentType} doesn't exist`);
  if (res.body.length === 0) {
    throw new CallError(`failed to call webhook: 0-length response with status code: ${res.statusCode} and content type: ${contentType}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new CallError(`failed to call webhook: couldn't get version/kind; json parse error: ${(e as Error).message}`);
  }
  if (!isRecord(parsed)) {
    throw new CallError(`failed to call webhook: couldn't get version/kind; json parse error: json: cannot unmarshal ${jsonTypeName(parsed)} into Go value of type struct`);
  }
  if (parsed.kind === "Status" && parsed.apiVersion === "v1" && parsed.status !== "Success") {
    throw new CallError(`failed to call webhook: ${stringOr(parsed.message, "")}`);
  }
  return parsed;
}
