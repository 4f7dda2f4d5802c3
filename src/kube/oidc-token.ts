// The kubeconfig `auth-provider: oidc` as client-go's plugin/pkg/client/auth/oidc reads it
// (docs/architecture.md, "The Kubernetes transport"): the `id-token` is the bearer token while its `exp`
// is more than 10 s away; once it is not (or after a 401), and a `refresh-token` and `idp-issuer-url`
// are given, the issuer's token endpoint (from its /.well-known/openid-configuration) is asked for a
// new one with grant_type=refresh_token, client-id and client-secret, trusting `idp-certificate-authority`
// (file) or `-data`. client-go writes the new tokens back into the kubeconfig; releasegate keeps them
// in memory only (a controller's kubeconfig is usually read-only).
import { readFileSync } from "node:fs";
import https from "node:https";
import http from "node:http";
import { isRecord } from "../runtime/json.js";

/** client-go's expiryDelta: a token this close to its exp is refreshed first. */
const EXPIRY_DELTA_MS = 10_000;
const ISSUER_TIMEOUT_MS = 30_000;

export class OidcTokenSource {
  private idToken: string;
  private refreshToken: string;
  private running: Promise<string> | undefined;

  constructor(
    private readonly config: Record<string, string>,
    private readonly now: () => number = Date.now,
  ) {
    this.idToken = config["id-token"] ?? "";
    this.refreshToken = config["refresh-token"] ?? "";
  }

  get(): Promise<string> {
    if (this.idToken !== "" && !expired(this.idToken, this.now())) return Promise.resolve(this.idToken);
    this.running ??= this.refresh().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** The server refused the token: refresh before the next request. */
  invalidate(): void {
    if (this.refreshToken !== "") this.idToken = "";
  }

  private async refresh(): Promise<string> {
    const issuer = this.config["idp-issuer-url"] ?? "";
    if (this.refreshToken === "" || issuer === "") {
      if (this.idToken !== "") return this.idToken;
      throw new Error("auth-provider oidc: no id-token, and no refresh-token and idp-issuer-url to get one");
    }
    const ca = this.issuerCa();
    const discovery = await fetchJson(`${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`, { ca });
    const endpoint = isRecord(discovery) && typeof discovery["token_endpoint"] === "string" ? discovery["token_endpoint"] : undefined;
    if (endpoint === undefined) throw new Error(`auth-provider oidc: ${issuer} names no token_endpoint`);
    const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: this.refreshToken });
    const clientId = this.config["client-id"] ?? "";
    const clientSecret = this.config["client-secret"] ?? "";
    const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
    if (clientId !== "") headers["authorization"] = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString("base64")}`;
    const answer = await fetchJson(endpoint, { ca, method: "POST", headers, body: form.toString() });
    const idToken = isRecord(answer) && typeof answer["id_token"] === "string" ? answer["id_token"] : "";
    if (idToken === "") throw new Error("auth-provider oidc: the token response did not contain an id_token");
    this.idToken = idToken;
    if (isRecord(answer) && typeof answer["refresh_token"] === "string" && answer["refresh_token"] !== "") this.refreshToken = answer["refresh_token"];
    return idToken;
  }

  private issuerCa(): Buffer | undefined {
    const data = this.config["idp-certificate-authority-data"];
    if (data !== undefined && data !== "") return Buffer.from(data, "base64");
    const file = this.config["idp-certificate-authority"];
    return file !== undefined && file !== "" ? readFileSync(file) : undefined;
  }
}

/** A JWT's exp is at most EXPIRY_DELTA_MS away (an unreadable token counts as expired). */
function expired(jwt: string, now: number): boolean {
  const payload = jwt.split(".")[1];
  if (payload === undefined) return true;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    if (!isRecord(claims) || typeof claims["exp"] !== "number") return true;
    return claims["exp"] * 1000 <= now + EXPIRY_DELTA_MS;
  } catch {
    return true;
  }
}

function fetchJson(url: string, options: { ca?: Buffer | undefined; method?: string; headers?: Record<string, string>; body?: string }): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = (target.protocol === "https:" ? https : http).request(
      target,
      { method: options.method ?? "GET", headers: { accept: "application/json", ...options.headers }, ...(options.ca !== undefined ? { ca: options.ca } : {}), timeout: ISSUER_TIMEOUT_MS },
      (response) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        response.on("data", (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > 1024 * 1024) request.destroy(new Error("answer over 1 MiB"));
          else chunks.push(chunk);
        });
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if ((response.statusCode ?? 0) < 200 || (response.statusCode ?? 0) >= 300) {
            reject(new Error(`auth-provider oidc: ${url} answered HTTP ${response.statusCode ?? 0}`));
            return;
          }
          try {
            resolve(JSON.parse(text));
          } catch {
            reject(new Error(`auth-provider oidc: ${url} did not answer JSON`));
          }
        });
      },
    );
    request.on("timeout", () => request.destroy(new Error(`no answer within ${ISSUER_TIMEOUT_MS / 1000} s`)));
    request.on("error", (error) => reject(new Error(`auth-provider oidc: ${url}: ${error.message}`, { cause: error })));
    request.end(options.body);
  });
}
