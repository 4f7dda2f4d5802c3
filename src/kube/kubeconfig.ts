// The one kubeconfig loader of every command that talks to a cluster (serve, why): where the API server
// is, how to reach it and how to prove who we are, read from kubeconfig files or from inside a pod, with
// kubectl's semantics for every field (docs/architecture.md, "The Kubernetes transport", whose table
// lists each field and the test that shows it). It returns plain data; files named by the kubeconfig
// (CA, client certificate and key, token file) stay paths, so the authenticator reads them again as
// they rotate.
//
// The order is controller-runtime's (and so Flux's): --kubeconfig, else $KUBECONFIG (several files
// merged as clientcmd merges them: the first file to define a name wins, and the first current-context),
// else in-cluster (the service account), else ~/.kube/config.
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import { load as parseYaml } from "js-yaml";
import { isRecord } from "../runtime/json.js";

/** PEM material: inline (the `-data` fields, or an exec plugin's answer) or a file read again as it changes. */
export type PemSource = { data: Buffer } | { file: string };

/** An `exec` credential plugin (client.authentication.k8s.io, kubectl's ExecConfig). */
export interface ExecConfig {
  command: string;
  args: string[];
  env: Array<{ name: string; value: string }>;
  apiVersion: string;
  /** Never, IfAvailable or Always; v1beta1 defaults to IfAvailable, v1 requires it. */
  interactiveMode: "Never" | "IfAvailable" | "Always";
  provideClusterInfo: boolean;
  installHint?: string;
}

/** What `provideClusterInfo` hands the plugin in KUBERNETES_EXEC_INFO (clientauthentication Cluster). */
export interface ExecClusterInfo {
  server: string;
  "tls-server-name"?: string;
  "insecure-skip-tls-verify"?: boolean;
  "certificate-authority-data"?: string;
  "proxy-url"?: string;
  "disable-compression"?: boolean;
  /** The cluster's `extensions` entry named client.authentication.k8s.io/exec. */
  config?: unknown;
}

/** How requests prove who is asking. Files are read again as they rotate (authenticator.ts). */
type Credentials =
  | { type: "none" }
  | { type: "token"; token: string }
  | { type: "token-file"; file: string; token?: string }
  | { type: "basic"; username: string; password: string }
  | { type: "exec"; exec: ExecConfig; cluster: ExecClusterInfo; user: string }
  | { type: "oidc"; config: Record<string, string>; user: string };

/** `as`, `as-uid`, `as-groups`, `as-user-extra`: who the requests act as (Impersonate-* headers). */
export interface Impersonation {
  user?: string;
  uid?: string;
  groups: string[];
  extra: Record<string, string[]>;
}

/** Everything needed to talk to one API server, as plain data. */
export interface ClusterAccess {
  /** The API server's base URL, e.g. https://10.96.0.1:443. */
  server: string;
  /** PEM bundle to trust; undefined: the system's roots. */
  ca?: PemSource;
  /** insecure-skip-tls-verify. */
  insecure: boolean;
  /** The TLS server name to check, when the kubeconfig sets tls-server-name. */
  serverName?: string;
  /** A client certificate and key, PEM. */
  clientCert?: PemSource;
  clientKey?: PemSource;
  credentials: Credentials;
  /** The cluster's proxy-url; it wins over HTTPS_PROXY (client-go's rest.Config.Proxy). */
  proxyUrl?: string;
  impersonate?: Impersonation;
  /** The context's namespace (or the pod's), if any. */
  namespace?: string;
  /** Where this came from, for messages: a file path or "in-cluster". */
  origin: string;
}

/** A kubeconfig that cannot be used: one line saying what and where. */
export class KubeconfigError extends Error {
  override name = "KubeconfigError";
}

/** The in-cluster service account files (Kubernetes documentation, Accessing the API from a Pod). */
const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface LoadOptions {
  /** --kubeconfig; wins over everything else. */
  kubeconfig?: string;
  /** --in-cluster: the service account only. */
  inCluster?: boolean;
  env?: NodeJS.ProcessEnv;
  /** The service account folder (tests). */
  serviceAccountDir?: string;
  home?: string;
}

/** Finds and reads the access to use, in the order above; throws KubeconfigError when there is none. */
export function loadClusterAccess(options: LoadOptions = {}): ClusterAccess {
  const env = options.env ?? process.env;
  const saDir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  if (options.inCluster === true) return inClusterAccess(env, saDir);
  if (options.kubeconfig !== undefined) return kubeconfigAccess([options.kubeconfig]);
  const fromEnv = (env["KUBECONFIG"] ?? "").split(delimiter).filter((f) => f !== "");
  if (fromEnv.length > 0) {
    // clientcmd skips the files of the list that do not exist.
    const present = fromEnv.filter((f) => existsSync(f));
    if (present.length === 0) throw new KubeconfigError(`KUBECONFIG names ${fromEnv.join(delimiter)}, and none of it exists`);
    return kubeconfigAccess(present);
  }
  if (env["KUBERNETES_SERVICE_HOST"] !== undefined && existsSync(join(saDir, "token"))) return inClusterAccess(env, saDir);
  const home = join(options.home ?? env["HOME"] ?? homedir(), ".kube", "config");
  if (existsSync(home)) return kubeconfigAccess([home]);
  throw new KubeconfigError("no kubeconfig: pass --kubeconfig, set KUBECONFIG, run in a pod, or create ~/.kube/config");
}

/** The pod's service account: KUBERNETES_SERVICE_HOST/PORT, its token (rotated by the kubelet) and CA. */
function inClusterAccess(env: NodeJS.ProcessEnv, saDir = SERVICE_ACCOUNT_DIR): ClusterAccess {
  const host = env["KUBERNETES_SERVICE_HOST"];
  const port = env["KUBERNETES_SERVICE_PORT"] ?? "443";
  if (host === undefined || host === "") throw new KubeconfigError("not running in a pod: KUBERNETES_SERVICE_HOST is not set");
  const tokenFile = join(saDir, "token");
  if (!existsSync(tokenFile)) throw new KubeconfigError(`not running in a pod: ${tokenFile} does not exist`);
  const caFile = join(saDir, "ca.crt");
  const namespaceFile = join(saDir, "namespace");
  const namespace = existsSync(namespaceFile) ? readFileSync(namespaceFile, "utf8").trim() : undefined;
  return {
    server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    ...(existsSync(caFile) ? { ca: { file: caFile } } : {}),
    insecure: false,
    credentials: { type: "token-file", file: tokenFile },
    ...(namespace ? { namespace } : {}),
    origin: "in-cluster",
  };
}

interface Named {
  name: string;
  value: Record<string, unknown>;
  /** The folder of the file it came from: relative paths in it are relative to that. */
  dir: string;
}

interface Merged {
  clusters: Map<string, Named>;
  users: Map<string, Named>;
  contexts: Map<string, Named>;
  currentContext: string | undefined;
}

/** Reads and merges kubeconfig files (the first to define a name wins, as clientcmd merges them). */
export function kubeconfigAccess(files: readonly string[]): ClusterAccess {
  const merged: Merged = { clusters: new Map(), users: new Map(), contexts: new Map(), currentContext: undefined };
  for (const file of files) mergeFile(merged, file);
  const origin = files.join(delimiter);
  const where = (what: string): string => `${origin}: ${what}`;
  const contextName = merged.currentContext;
  if (contextName === undefined || contextName === "") throw new KubeconfigError(where("no current-context"));
  const context = merged.contexts.get(contextName);
  if (context === undefined) throw new KubeconfigError(where(`current-context "${contextName}" is not among its contexts`));
  const clusterName = stringField(context.value, "cluster");
  const cluster = clusterName === undefined ? undefined : merged.clusters.get(clusterName);
  if (cluster === undefined) throw new KubeconfigError(where(`context "${contextName}" names cluster "${clusterName ?? ""}", which is not defined`));
  const userName = stringField(context.value, "user") ?? "";
  const user = userName === "" ? undefined : merged.users.get(userName);
  if (userName !== "" && user === undefined) throw new KubeconfigError(where(`context "${contextName}" names user "${userName}", which is not defined`));
  const u = user?.value ?? {};
  const userDir = user?.dir ?? "";
  const c = cluster.value;
  const server = stringField(c, "server");
  if (server === undefined || server === "") throw new KubeconfigError(where(`cluster "${clusterName ?? ""}" has no server`));
  const proxyUrl = stringField(c, "proxy-url");
  if (proxyUrl !== undefined && proxyUrl !== "") checkProxyUrl(proxyUrl, where(`cluster "${clusterName ?? ""}"`));
  const ca = pemSource(c, "certificate-authority", cluster.dir, where(`cluster "${clusterName ?? ""}"`));
  const clientCert = pemSource(u, "client-certificate", userDir, where(`user "${userName}"`));
  const clientKey = pemSource(u, "client-key", userDir, where(`user "${userName}"`));
  if ((clientCert === undefined) !== (clientKey === undefined)) {
    throw new KubeconfigError(where(`user "${userName}" has a client certificate without a key, or a key without a certificate`));
  }
  const namespace = stringField(context.value, "namespace");
  const serverName = stringField(c, "tls-server-name");
  const insecure = c["insecure-skip-tls-verify"] === true;
  const impersonate = impersonationOf(u, where(`user "${userName}"`));
  return {
    server: server.replace(/\/+$/, ""),
    ...(ca !== undefined ? { ca } : {}),
    insecure,
    ...(serverName ? { serverName } : {}),
    ...(clientCert !== undefined && clientKey !== undefined ? { clientCert, clientKey } : {}),
    credentials: credentialsOf(u, userDir, userName, { server, cluster: c, clusterDir: cluster.dir }, where(`user "${userName}"`)),
    ...(proxyUrl ? { proxyUrl } : {}),
    ...(impersonate !== undefined ? { impersonate } : {}),
    ...(namespace ? { namespace } : {}),
    origin,
  };
}

function mergeFile(merged: Merged, file: string): void {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new KubeconfigError(`cannot read kubeconfig ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new KubeconfigError(`kubeconfig ${file} is not YAML: ${(error instanceof Error ? error.message : String(error)).split("\n", 1)[0] ?? ""}`, { cause: error });
  }
  if (doc === undefined || doc === null) return;
  if (!isRecord(doc)) throw new KubeconfigError(`kubeconfig ${file} is not a mapping`);
  const dir = dirname(file);
  const collect = (list: unknown, field: string, into: Map<string, Named>): void => {
    if (list === undefined || list === null) return;
    if (!Array.isArray(list)) throw new KubeconfigError(`kubeconfig ${file}: ${field}s is not a list`);
    for (const entry of list) {
      if (!isRecord(entry) || typeof entry["name"] !== "string") throw new KubeconfigError(`kubeconfig ${file}: an entry of ${field}s has no name`);
      const value = entry[field];
      if (!into.has(entry["name"])) into.set(entry["name"], { name: entry["name"], value: isRecord(value) ? value : {}, dir });
    }
  };
  collect(doc["clusters"], "cluster", merged.clusters);
  collect(doc["users"], "user", merged.users);
  collect(doc["contexts"], "context", merged.contexts);
  const current = doc["current-context"];
  if (merged.currentContext === undefined && typeof current === "string" && current !== "") merged.currentContext = current;
}

function stringField(record: Record<string, unknown>, field: string): string | undefined {
  const value = record[field];
  return typeof value === "string" ? value : undefined;
}

function resolvePath(file: string, dir: string): string {
  return isAbsolute(file) || dir === "" ? file : join(dir, file);
}

/** `<field>-data` (base64; it wins, as in clientcmd) or `<field>` (a file, relative to the kubeconfig's folder). */
function pemSource(record: Record<string, unknown>, field: string, dir: string, where: string): PemSource | undefined {
  const data = stringField(record, `${field}-data`);
  if (data !== undefined && data !== "") return { data: Buffer.from(data, "base64") };
  const file = stringField(record, field);
  if (file === undefined || file === "") return undefined;
  const path = resolvePath(file, dir);
  // Read now once, so a wrong path is a one-line error at start rather than a failing first request.
  try {
    readFileSync(path);
  } catch (error) {
    throw new KubeconfigError(`${where}: cannot read ${field} ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return { file: path };
}

function checkProxyUrl(text: string, where: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new KubeconfigError(`${where}: proxy-url "${text}" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:" && url.protocol !== "socks5:") {
    throw new KubeconfigError(`${where}: proxy-url scheme "${url.protocol.slice(0, -1)}" is not supported (http, https or socks5)`);
  }
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** `as`, `as-uid`, `as-groups`, `as-user-extra` (clientcmd AuthInfo Impersonate*). */
function impersonationOf(user: Record<string, unknown>, where: string): Impersonation | undefined {
  const as = stringField(user, "as") ?? "";
  const uid = stringField(user, "as-uid") ?? "";
  const groups = stringList(user["as-groups"]);
  const extra: Record<string, string[]> = {};
  const extraField = user["as-user-extra"];
  if (isRecord(extraField)) for (const [key, values] of Object.entries(extraField)) extra[key] = stringList(values);
  if (as === "" && uid === "" && groups.length === 0 && Object.keys(extra).length === 0) return undefined;
  // kube-apiserver refuses groups, a uid or extras without a user to impersonate; say so at start.
  if (as === "") throw new KubeconfigError(`${where}: as-groups, as-uid or as-user-extra need "as" (the user to impersonate)`);
  return { user: as, ...(uid !== "" ? { uid } : {}), groups, extra };
}

function credentialsOf(
  user: Record<string, unknown>,
  dir: string,
  userName: string,
  cluster: { server: string; cluster: Record<string, unknown>; clusterDir: string },
  where: string,
): Credentials {
  if (isRecord(user["exec"])) return { type: "exec", exec: execConfigOf(user["exec"], dir, where), cluster: clusterInfoOf(cluster), user: userName };
  const provider = user["auth-provider"];
  if (isRecord(provider)) {
    const name = stringField(provider, "name") ?? "";
    if (name !== "oidc") {
      // gcp and azure were removed from client-go (1.26): kubectl itself refuses them.
      throw new KubeconfigError(`${where}: auth-provider "${name}" is not supported (only oidc; use an exec plugin such as kubelogin or gke-gcloud-auth-plugin)`);
    }
    const config: Record<string, string> = {};
    if (isRecord(provider["config"])) for (const [key, value] of Object.entries(provider["config"])) if (typeof value === "string") config[key] = value;
    if (config["idp-certificate-authority"] !== undefined) config["idp-certificate-authority"] = resolvePath(config["idp-certificate-authority"], dir);
    return { type: "oidc", config, user: userName };
  }
  const token = stringField(user, "token");
  const tokenFile = stringField(user, "tokenFile");
  // clientcmd: with both, the file is read periodically and its last successful read wins over token.
  if (tokenFile !== undefined && tokenFile !== "") return { type: "token-file", file: resolvePath(tokenFile, dir), ...(token ? { token } : {}) };
  if (token !== undefined && token !== "") return { type: "token", token };
  const username = stringField(user, "username");
  const password = stringField(user, "password");
  if (username !== undefined && username !== "") return { type: "basic", username, password: password ?? "" };
  return { type: "none" };
}

const EXEC_API_VERSIONS = new Set(["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"]);

function execConfigOf(exec: Record<string, unknown>, dir: string, where: string): ExecConfig {
  const command = stringField(exec, "command") ?? "";
  if (command === "") throw new KubeconfigError(`${where}: exec has no command`);
  const apiVersion = stringField(exec, "apiVersion") ?? "";
  if (!EXEC_API_VERSIONS.has(apiVersion)) {
    throw new KubeconfigError(`${where}: exec apiVersion "${apiVersion}" is not supported (client.authentication.k8s.io/v1 or v1beta1)`);
  }
  const mode = stringField(exec, "interactiveMode");
  let interactiveMode: ExecConfig["interactiveMode"];
  if (mode === "Never" || mode === "IfAvailable" || mode === "Always") interactiveMode = mode;
  else if (mode === undefined || mode === "") {
    // client-go: v1 requires the field; v1beta1 defaults it to IfAvailable.
    if (apiVersion.endsWith("/v1")) throw new KubeconfigError(`${where}: exec interactiveMode must be set for ${apiVersion} (Never, IfAvailable or Always)`);
    interactiveMode = "IfAvailable";
  } else throw new KubeconfigError(`${where}: exec interactiveMode "${mode}" is not Never, IfAvailable or Always`);
  const env = Array.isArray(exec["env"])
    ? exec["env"].filter(isRecord).map((e) => ({ name: String(e["name"] ?? ""), value: String(e["value"] ?? "") }))
    : [];
  const installHint = stringField(exec, "installHint");
  return {
    // clientcmd resolves a command relative to the kubeconfig only when it names a path (has a separator).
    command: command.includes("/") ? resolvePath(command, dir) : command,
    args: stringList(exec["args"]),
    env,
    apiVersion,
    interactiveMode,
    provideClusterInfo: exec["provideClusterInfo"] === true,
    ...(installHint !== undefined ? { installHint } : {}),
  };
}

/** The cluster as client-go hands it to an exec plugin (rest.Config to clientauthentication.Cluster). */
function clusterInfoOf(input: { server: string; cluster: Record<string, unknown>; clusterDir: string }): ExecClusterInfo {
  const c = input.cluster;
  let caData = stringField(c, "certificate-authority-data");
  const caFile = stringField(c, "certificate-authority");
  if ((caData === undefined || caData === "") && caFile !== undefined && caFile !== "") {
    try {
      caData = readFileSync(resolvePath(caFile, input.clusterDir)).toString("base64");
    } catch {
      caData = undefined;
    }
  }
  const extension = Array.isArray(c["extensions"])
    ? c["extensions"].filter(isRecord).find((e) => e["name"] === "client.authentication.k8s.io/exec")?.["extension"]
    : undefined;
  const info: ExecClusterInfo = { server: input.server };
  const serverName = stringField(c, "tls-server-name");
  if (serverName) info["tls-server-name"] = serverName;
  if (c["insecure-skip-tls-verify"] === true) info["insecure-skip-tls-verify"] = true;
  if (caData) info["certificate-authority-data"] = caData;
  const proxyUrl = stringField(c, "proxy-url");
  if (proxyUrl) info["proxy-url"] = proxyUrl;
  if (c["disable-compression"] === true) info["disable-compression"] = true;
  if (extension !== undefined) info.config = extension;
  return info;
}
