// What each request to the API server carries to prove who sends it, and the TLS settings of the
// connection (docs/architecture.md, "The Kubernetes transport"). A token file (the pod's projected
// service account token, which the kubelet replaces before it expires) is read again once a minute,
// as client-go does, and at once after a 401, so a rotated token is used without a restart.
import { readFileSync } from "node:fs";
import type { ClusterAccess } from "./kubeconfig.js";

/** The TLS side of a connection to the API server. */
export interface TlsSettings {
  ca?: Buffer | string | Array<Buffer | string>;
  cert?: Buffer | string;
  key?: Buffer | string;
  rejectUnauthorized: boolean;
  servername?: string;
}

export interface Authenticator {
  /** The base URL of the API server. */
  readonly server: string;
  /** Settings of every connection (fixed for the client's life). */
  tls(): Promise<TlsSettings>;
  /** Headers for one request (Authorization), fresh when credentials rotate. */
  headers(): Promise<Record<string, string>>;
  /** The server said 401: forget cached credentials, so the next request reads them again. */
  invalidate(): void;
  /** For messages: where the access came from. */
  readonly origin: string;
}

/** How long a token read from a file is used before the file is read again. */
export const TOKEN_FILE_REFRESH_MS = 60_000;

/** The Authenticator of a kubeconfig or service account this project reads itself (kubeconfig.ts). */
export function accessAuthenticator(access: ClusterAccess, now: () => number = Date.now): Authenticator {
  const settings: TlsSettings = {
    ...(access.ca !== undefined ? { ca: access.ca } : {}),
    ...(access.clientCert !== undefined ? { cert: access.clientCert } : {}),
    ...(access.clientKey !== undefined ? { key: access.clientKey } : {}),
    rejectUnauthorized: !access.insecure,
    ...(access.serverName !== undefined ? { servername: access.serverName } : {}),
  };
  const credentials = access.credentials;
  let cached: { token: string; readAt: number } | undefined;
  const fileToken = (file: string): string => {
    if (cached !== undefined && now() - cached.readAt < TOKEN_FILE_REFRESH_MS) return cached.token;
    try {
      cached = { token: readFileSync(file, "utf8").trim(), readAt: now() };
    } catch (error) {
      // A token being replaced may be absent for a moment: keep the last one rather than send none.
      if (cached === undefined) throw new Error(`cannot read the token file ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    return cached.token;
  };
  return {
    server: access.server,
    origin: access.origin,
    tls: () => Promise.resolve(settings),
    headers() {
      switch (credentials.type) {
        case "token":
          return Promise.resolve({ authorization: `Bearer ${credentials.token}` });
        case "token-file":
          try {
            return Promise.resolve({ authorization: `Bearer ${fileToken(credentials.file)}` });
          } catch (error) {
            return Promise.reject(error instanceof Error ? error : new Error(String(error)));
          }
        case "basic":
          return Promise.resolve({ authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}` });
        case "none":
          return Promise.resolve({});
      }
    },
    invalidate() {
      cached = undefined;
    },
  };
}
