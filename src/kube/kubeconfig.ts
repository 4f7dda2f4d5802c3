// Where the API server is and how to prove who we are, read from a kubeconfig or from inside a pod
// (docs/architecture.md, "The Kubernetes transport"). Only what a controller's kubeconfig holds in
// practice is understood here: a server, its CA (file or data) or insecure-skip-tls-verify, and a
// client certificate and key (file or data), a bearer token (value or file), or a username and
// password. Anything else that authenticates (an exec plugin, an auth-provider) is reported as
// `unsupported`, so the caller can hand the file to @kubernetes/client-node instead.
//
// The order is kubectl's: --kubeconfig, else $KUBECONFIG (several files, the first to set a name or
// the current context wins), else in-cluster (the service account), else ~/.kube/config.
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import { load as parseYaml } from "js-yaml";
import { isRecord } from "../runtime/json.js";

/** How requests prove who is asking. A token file is read again as it rotates (authenticator.ts). */
export type Credentials =
  | { type: "none" }
  | { type: "token"; token: string }
  | { type: "token-file"; file: string }
  | { type: "basic"; username: string; password: string };

/** Everything needed to talk to one API server, as plain data. */
export interface ClusterAccess {
  /** The API server's base URL, e.g. https://10.96.0.1:443. */
  server: string;
  /** PEM bundle to trust; undefined: the system's roots. */
  ca?: Buffer;
  /** insecure-skip-tls-verify. */
  insecure: boolean;
  /** The TLS server name to check, when the kubeconfig sets tls-server-name. */
  serverName?: string;
  /** A client certificate and key, PEM. */
  clientCert?: Buffer;
  clientKey?: Buffer;
  credentials: Credentials;
  /** The context's namespace (or the pod's), if any. */
  namespace?: string;
  /** Where this came from, for messages: a file path or "in-cluster". */
  origin: string;
}

/** A kubeconfig this module cannot carry out itself: why, and the file(s) to hand to client-node. */
export interface UnsupportedKubeconfig {
  unsupported: string;
  files: string[];
}

export type LoadedAccess = ClusterAccess | UnsupportedKubeconfig;

export function isUnsupported(loaded: LoadedAccess): loaded is UnsupportedKubeconfig {
  return "unsupported" in loaded;
}

/** A kubeconfig that cannot be used: one line saying what and where. */
export class KubeconfigError extends Error {
  override name = "KubeconfigError";
}

/** The in-cluster service account files (Kubernetes documentation, Accessing the API from a Pod). */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

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

/** Finds and reads the access to use, in kubectl's order; throws KubeconfigError when there is none. */
export function loadClusterAccess(options: LoadOptions = {}): LoadedAccess {
  const env = options.env ?? process.env;
  const saDir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  if (options.inCluster === true) return inClusterAccess(env, saDir);
  if (options.kubeconfig !== undefined) return kubeconfigAccess([options.kubeconfig]);
  const fromEnv = (env["KUBECONFIG"] ?? "").split(delimiter).filter((f) => f !== "");
  if (fromEnv.length > 0) {
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
export function inClusterAccess(env: NodeJS.ProcessEnv, saDir = SERVICE_ACCOUNT_DIR): ClusterAccess {
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
    ...(existsSync(caFile) ? { ca: readFileSync(caFile) } : {}),
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

/** Reads and merges kubeconfig files (the first to define a name wins, as kubectl merges them). */
export function kubeconfigAccess(files: readonly string[]): LoadedAccess {
  const merged: Merged = { clusters: new Map(), users: new Map(), contexts: new Map(), currentContext: undefined };
  for (const file of files) mergeFile(merged, file);
  const origin = files.join(delimiter);
  const contextName = merged.currentContext;
  if (contextName === undefined || contextName === "") throw new KubeconfigError(`${origin}: no current-context`);
  const context = merged.contexts.get(contextName);
  if (context === undefined) throw new KubeconfigError(`${origin}: current-context "${contextName}" is not among its contexts`);
  const clusterName = stringField(context.value, "cluster");
  const cluster = clusterName === undefined ? undefined : merged.clusters.get(clusterName);
  if (cluster === undefined) throw new KubeconfigError(`${origin}: context "${contextName}" names cluster "${clusterName ?? ""}", which is not defined`);
  const userName = stringField(context.value, "user");
  const user = userName === undefined || userName === "" ? undefined : merged.users.get(userName);
  if (userName !== undefined && userName !== "" && user === undefined) {
    throw new KubeconfigError(`${origin}: context "${contextName}" names user "${userName}", which is not defined`);
  }
  const u = user?.value ?? {};
  if (isRecord(u["exec"])) return { unsupported: `user "${userName ?? ""}" authenticates with an exec plugin`, files: [...files] };
  if (isRecord(u["auth-provider"])) return { unsupported: `user "${userName ?? ""}" authenticates with an auth-provider`, files: [...files] };
  const c = cluster.value;
  const server = stringField(c, "server");
  if (server === undefined || server === "") throw new KubeconfigError(`${origin}: cluster "${clusterName ?? ""}" has no server`);
  if (stringField(c, "proxy-url") !== undefined) return { unsupported: `cluster "${clusterName ?? ""}" is reached through proxy-url`, files: [...files] };
  const where = (what: string): string => `${origin}: ${what}`;
  const ca = pem(c, "certificate-authority", cluster.dir, where(`cluster "${clusterName ?? ""}"`));
  const clientCert = pem(u, "client-certificate", user?.dir ?? "", where(`user "${userName ?? ""}"`));
  const clientKey = pem(u, "client-key", user?.dir ?? "", where(`user "${userName ?? ""}"`));
  if ((clientCert === undefined) !== (clientKey === undefined)) {
    throw new KubeconfigError(where(`user "${userName ?? ""}" has a client certificate without a key, or a key without a certificate`));
  }
  const namespace = stringField(context.value, "namespace");
  const serverName = stringField(c, "tls-server-name");
  return {
    server: server.replace(/\/+$/, ""),
    ...(ca !== undefined ? { ca } : {}),
    insecure: c["insecure-skip-tls-verify"] === true,
    ...(serverName ? { serverName } : {}),
    ...(clientCert !== undefined && clientKey !== undefined ? { clientCert, clientKey } : {}),
    credentials: credentialsOf(u, user?.dir ?? ""),
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

/** `<field>-data` (base64) or `<field>` (a file, relative to the kubeconfig's folder). */
function pem(record: Record<string, unknown>, field: string, dir: string, where: string): Buffer | undefined {
  const data = stringField(record, `${field}-data`);
  if (data !== undefined && data !== "") return Buffer.from(data, "base64");
  const file = stringField(record, field);
  if (file === undefined || file === "") return undefined;
  const path = isAbsolute(file) || dir === "" ? file : join(dir, file);
  try {
    return readFileSync(path);
  } catch (error) {
    throw new KubeconfigError(`${where}: cannot read ${field} ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

function credentialsOf(user: Record<string, unknown>, dir: string): Credentials {
  const token = stringField(user, "token");
  if (token !== undefined && token !== "") return { type: "token", token };
  const tokenFile = stringField(user, "tokenFile");
  if (tokenFile !== undefined && tokenFile !== "") return { type: "token-file", file: isAbsolute(tokenFile) || dir === "" ? tokenFile : join(dir, tokenFile) };
  const username = stringField(user, "username");
  const password = stringField(user, "password");
  if (username !== undefined && username !== "") return { type: "basic", username, password: password ?? "" };
  return { type: "none" };
}
