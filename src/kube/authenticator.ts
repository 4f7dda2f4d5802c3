// What each request to the API server carries to prove who sends it and whom it acts as, and the TLS
// settings of the connection (docs/architecture.md, "The Kubernetes transport"). Everything that can
// rotate is read again, as client-go does: a token file (the pod's projected service account token,
// which the kubelet replaces before it expires) once a minute and at once after a 401; the CA and the
// client certificate and key files once a minute and after a 401 (the client then opens new
// connections); an exec plugin's credential at its expirationTimestamp and after a 401; an OIDC
// id-token near its exp and after a 401.
import { readFileSync } from "node:fs";
import { ExecCredentialSource } from "./exec-credential.js";
import type { ClusterAccess, Impersonation, PemSource } from "./kubeconfig.js";
import { OidcTokenSource } from "./oidc-token.js";
import { proxyFor } from "./proxy.js";

/** The TLS side of a connection to the API server. */
export interface TlsSettings {
  ca?: Buffer | string | Array<Buffer | string>;
  cert?: Buffer | string;
  key?: Buffer | string;
  rejectUnauthorized: boolean;
  servername?: string;
}

export type HeaderValues = Record<string, string | string[]>;

export interface Authenticator {
  /** The base URL of the API server. */
  readonly server: string;
  /** The proxy every connection goes through (proxy-url, or HTTPS_PROXY unless NO_PROXY), if any. */
  readonly proxy?: URL;
  /** Settings of the connections: the same object until the material changes (then new connections). */
  tls(): Promise<TlsSettings>;
  /** Headers for one request (Authorization, Impersonate-*), fresh when credentials rotate. */
  headers(): Promise<HeaderValues>;
  /** The server said 401: forget cached credentials, so the next request reads them again. */
  invalidate(): void;
  /** For messages: where the access came from. */
  readonly origin: string;
}

/** How long a file (token, CA, client certificate) is used before it is read again. */
export const TOKEN_FILE_REFRESH_MS = 60_000;

export interface AuthenticatorOptions {
  now?: () => number;
  /** For HTTPS_PROXY / NO_PROXY, and the exec plugin's environment. */
  env?: NodeJS.ProcessEnv;
  /** Whether stdin is a terminal (an exec plugin's interactive mode); process.stdin.isTTY by default. */
  stdinIsTerminal?: boolean;
}

/** The Authenticator of a kubeconfig or service account (kubeconfig.ts). */
export function accessAuthenticator(access: ClusterAccess, options: AuthenticatorOptions | (() => number) = {}): Authenticator {
  const opts: AuthenticatorOptions = typeof options === "function" ? { now: options } : options;
  const now = opts.now ?? Date.now;
  const credentials = access.credentials;
  const exec =
    credentials.type === "exec"
      ? new ExecCredentialSource(credentials.exec, credentials.cluster, {
          now,
          ...(opts.env !== undefined ? { env: opts.env } : {}),
          ...(opts.stdinIsTerminal !== undefined ? { stdinIsTerminal: opts.stdinIsTerminal } : {}),
        })
      : undefined;
  const oidc = credentials.type === "oidc" ? new OidcTokenSource(credentials.config, now) : undefined;
  const impersonation = impersonationHeaders(access.impersonate);

  let cachedToken: { token: string; readAt: number } | undefined;
  const fileToken = (file: string, fallback: string | undefined): string => {
    if (cachedToken !== undefined && now() - cachedToken.readAt < TOKEN_FILE_REFRESH_MS) return cachedToken.token;
    try {
      cachedToken = { token: readFileSync(file, "utf8").trim(), readAt: now() };
    } catch (error) {
      // A token being replaced may be absent for a moment: keep the last one (or the kubeconfig's token) rather than send none.
      if (cachedToken === undefined && fallback !== undefined) return fallback;
      if (cachedToken === undefined) throw new Error(`cannot read the token file ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    return cachedToken.token;
  };

  // TLS material: read now, and again when a minute has passed or the server refused us.
  let material: { ca?: Buffer; cert?: Buffer; key?: Buffer; readAt: number } | undefined;
  let settings: TlsSettings | undefined;
  let execCert: { cert: string; key: string } | undefined;
  const readMaterial = (): { ca?: Buffer; cert?: Buffer; key?: Buffer; readAt: number } => {
    const read = (source: PemSource | undefined, previous: Buffer | undefined): Buffer | undefined => {
      if (source === undefined) return undefined;
      if ("data" in source) return source.data;
      try {
        return readFileSync(source.file);
      } catch (error) {
        // A file being replaced may be absent for a moment: keep what worked.
        if (previous !== undefined) return previous;
        throw new Error(`cannot read ${source.file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
    };
    const ca = read(access.ca, material?.ca);
    const cert = read(access.clientCert, material?.cert);
    const key = read(access.clientKey, material?.key);
    return { ...(ca !== undefined ? { ca } : {}), ...(cert !== undefined ? { cert } : {}), ...(key !== undefined ? { key } : {}), readAt: now() };
  };
  const same = (a: Buffer | undefined, b: Buffer | undefined): boolean => (a === undefined ? b === undefined : b !== undefined && a.equals(b));
  const hasFiles = [access.ca, access.clientCert, access.clientKey].some((s) => s !== undefined && "file" in s);

  const proxy = proxyFor(new URL(access.server), access.proxyUrl, opts.env ?? process.env);
  return {
    server: access.server,
    origin: access.origin,
    ...(proxy !== undefined ? { proxy } : {}),
    async tls() {
      let changed = settings === undefined;
      if (material === undefined || (hasFiles && now() - material.readAt >= TOKEN_FILE_REFRESH_MS)) {
        const next = readMaterial();
        if (material === undefined || !same(material.ca, next.ca) || !same(material.cert, next.cert) || !same(material.key, next.key)) changed = true;
        material = next;
      }
      if (exec !== undefined) {
        const credential = await exec.get();
        const fromExec = credential.clientCertificateData !== undefined && credential.clientKeyData !== undefined ? { cert: credential.clientCertificateData, key: credential.clientKeyData } : undefined;
        if (fromExec?.cert !== execCert?.cert || fromExec?.key !== execCert?.key) changed = true;
        execCert = fromExec;
      }
      if (changed || settings === undefined) {
        settings = {
          ...(material.ca !== undefined ? { ca: material.ca } : {}),
          // An exec plugin's certificate wins over the kubeconfig's (client-go: the plugin's TLS config).
          ...(execCert !== undefined ? { cert: execCert.cert, key: execCert.key } : material.cert !== undefined && material.key !== undefined ? { cert: material.cert, key: material.key } : {}),
          rejectUnauthorized: !access.insecure,
          ...(access.serverName !== undefined ? { servername: access.serverName } : {}),
        };
      }
      return settings;
    },
    async headers() {
      const headers: HeaderValues = { ...impersonation };
      switch (credentials.type) {
        case "token":
          headers["authorization"] = `Bearer ${credentials.token}`;
          break;
        case "token-file":
          headers["authorization"] = `Bearer ${fileToken(credentials.file, credentials.token)}`;
          break;
        case "basic":
          headers["authorization"] = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
          break;
        case "exec": {
          const credential = await exec!.get();
          if (credential.token !== undefined) headers["authorization"] = `Bearer ${credential.token}`;
          break;
        }
        case "oidc":
          headers["authorization"] = `Bearer ${await oidc!.get()}`;
          break;
        case "none":
          break;
      }
      return headers;
    },
    invalidate() {
      cachedToken = undefined;
      if (material !== undefined) material = { ...material, readAt: -Infinity };
      exec?.invalidate();
      oidc?.invalidate();
    },
  };
}

/** Impersonate-User, -Uid, -Group (one line each) and -Extra-<key> (the key percent-encoded), as client-go sends them. */
function impersonationHeaders(impersonate: Impersonation | undefined): HeaderValues {
  if (impersonate === undefined) return {};
  const headers: HeaderValues = {};
  if (impersonate.user !== undefined) headers["impersonate-user"] = impersonate.user;
  if (impersonate.uid !== undefined) headers["impersonate-uid"] = impersonate.uid;
  if (impersonate.groups.length > 0) headers["impersonate-group"] = [...impersonate.groups];
  for (const [key, values] of Object.entries(impersonate.extra)) {
    if (values.length > 0) headers[`impersonate-extra-${headerKeyEscape(key)}`] = [...values];
  }
  return headers;
}

/** client-go's headerKeyEscape: bytes outside an HTTP token are percent-encoded (the server decodes them). */
function headerKeyEscape(key: string): string {
  let out = "";
  for (const byte of Buffer.from(key, "utf8")) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9!#$&'*+\-.^_`|~]/.test(ch) && ch !== "%" ? ch : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}
