// The settings of `releasegate serve`, each one a flag and an environment variable (the chart sets the
// variables; a person types the flags; a flag wins over its variable). One table drives the parser, the
// `--help` text and the error messages, so the three cannot disagree.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { parseAdmissionPolicy, AdmissionPolicyError } from "../admission/policy.js";
import type { AdmissionPolicy } from "../admission/policy.js";
import { DEFAULT_KUBE_API_BURST, DEFAULT_KUBE_API_QPS } from "../kube/kube-client.js";
import { optionTable, parseCommandLine, UsageError } from "./args.js";
import { DEFAULT_FLUX_FEATURE_GATES, parseFluxFeatureGates } from "../graph/feature-gates.js";
import type { FluxFeatureGates } from "../graph/feature-gates.js";

type CertMode = "self-managed" | "files" | "cert-manager";
export type LogLevel = "debug" | "info" | "warn" | "error";

export interface ServeOptions {
  /** HTTPS port of /validate, /healthz and /readyz. */
  webhookPort: number;
  /** Plain HTTP port of /metrics. */
  metricsPort: number;
  /** Plain HTTP port of the graph page; 0 turns it off. */
  uiPort: number;
  /** Address both servers listen on (all interfaces when undefined). */
  bindAddress: string | undefined;
  /** A kubeconfig file; undefined: KUBECONFIG, then in-cluster, then ~/.kube/config (src/kube/kubeconfig.ts). */
  kubeconfig: string | undefined;
  /** Use the pod's service account even when a kubeconfig is around. */
  inCluster: boolean;
  /** Client-side rate limit of API requests: a second, and at once (client-go's --kube-api-qps/--kube-api-burst). */
  kubeApiQps: number;
  kubeApiBurst: number;
  /** Namespace releasegate runs in: its Lease and its certificate Secret live there. */
  namespace: string;
  /** This replica's name, unique among replicas (the pod name). */
  identity: string;
  leaseName: string;
  leaseDurationMs: number;
  leaseRenewDeadlineMs: number;
  leaseRetryPeriodMs: number;
  policy: AdmissionPolicy;
  certMode: CertMode;
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
  /** Files mode: a CA file whose contents releasegate injects as the webhook's caBundle. */
  injectCaFile: string | undefined;
  /** Secret holding the self-managed CA and serving certificate. */
  secretName: string;
  /** The ValidatingWebhookConfiguration whose caBundle the self-managed mode keeps current. */
  webhookConfigName: string;
  /** The Service in front of the webhook (the serving certificate's DNS names). */
  serviceName: string;
  logLevel: LogLevel;
  /** Reconcile requests per second across all objects, and the burst allowed above it. */
  reconcileRate: number;
  reconcileBurst: number;
  /** Longest wait for in-flight admission reviews on shutdown. */
  shutdownTimeoutMs: number;
  /** Past this age (no word from the API server on a kind's watch) the webhook answers 503. */
  maxCacheStalenessMs: number;
  /** Request bodies buffered at once, in bytes; 429 beyond. */
  bodyBudgetBytes: number;
  /** A request must arrive whole within this (and its headers within half of it). */
  requestTimeoutMs: number;
  /** PEM CA whose client certificates the webhook requires on /validate (the API server's). */
  clientCaFile: string | undefined;
  /** json, or text: short readable lines (default: text on a terminal, else json). */
  logFormat: LogFormat;
  /** Watch the kinds outside Flux that ResourceSets depend on (docs/behaviour.md, "Kinds outside Flux"). */
  externalKinds: boolean;
  /** At most this many such kinds are watched at once. */
  maxExternalKinds: number;
  /** At most this many namespaces of one such kind, where it may not be read cluster-wide, are watched one by one. */
  maxExternalNamespaces: number;
  /** Flux's feature gates as set on helm-controller and kustomize-controller (src/graph/feature-gates.ts). */
  fluxFeatureGates: FluxFeatureGates;
}

export type LogFormat = "json" | "text";

/** Where cert-manager's Secret is mounted by the chart (files mode reads the same two keys). */
const CERT_MANAGER_CERT_FILE = "/etc/releasegate/tls/tls.crt";
const CERT_MANAGER_KEY_FILE = "/etc/releasegate/tls/tls.key";
const SERVICE_ACCOUNT_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

interface Setting {
  flag: string;
  env: string;
  value: string;
  help: string;
  boolean?: true;
}

/** Every setting: flag (without --), environment variable, value shown in help, description. */
export const SERVE_SETTINGS: readonly Setting[] = [
  { flag: "webhook-port", env: "RELEASEGATE_WEBHOOK_PORT", value: "PORT", help: "HTTPS port of /validate, /healthz, /readyz (default 9443)" },
  { flag: "metrics-port", env: "RELEASEGATE_METRICS_PORT", value: "PORT", help: "plain HTTP port of /metrics (default 8080)" },
  { flag: "ui-port", env: "RELEASEGATE_UI_PORT", value: "PORT", help: "plain HTTP port of the read-only graph page, 0 turns it off (default 9080)" },
  { flag: "bind-address", env: "RELEASEGATE_BIND_ADDRESS", value: "ADDR", help: "address to listen on (default: all interfaces)" },
  { flag: "kubeconfig", env: "RELEASEGATE_KUBECONFIG", value: "FILE", help: "kubeconfig to use (default: $KUBECONFIG, in-cluster, ~/.kube/config)" },
  { flag: "in-cluster", env: "RELEASEGATE_IN_CLUSTER", value: "", help: "use the pod's service account", boolean: true },
  { flag: "kube-api-qps", env: "RELEASEGATE_KUBE_API_QPS", value: "N", help: "API requests per second, client-side (default 50)" },
  { flag: "kube-api-burst", env: "RELEASEGATE_KUBE_API_BURST", value: "N", help: "API requests allowed at once above --kube-api-qps (default 300)" },
  { flag: "namespace", env: "RELEASEGATE_NAMESPACE", value: "NS", help: "namespace of the Lease and certificate Secret (default: the pod's, else default)" },
  { flag: "identity", env: "RELEASEGATE_IDENTITY", value: "NAME", help: "this replica's name for leader election (default: $POD_NAME, else host-pid)" },
  { flag: "lease-name", env: "RELEASEGATE_LEASE_NAME", value: "NAME", help: "leader election Lease (default releasegate-leader)" },
  { flag: "lease-duration", env: "RELEASEGATE_LEASE_DURATION", value: "DUR", help: "how long a standby waits on a silent leader (default 15s)" },
  { flag: "lease-renew-deadline", env: "RELEASEGATE_LEASE_RENEW_DEADLINE", value: "DUR", help: "leader gives up when it cannot renew within this (default 10s)" },
  { flag: "lease-retry-period", env: "RELEASEGATE_LEASE_RETRY_PERIOD", value: "DUR", help: "how often to renew or try to acquire (default 2s)" },
  { flag: "missing-dependencies", env: "RELEASEGATE_MISSING_DEPENDENCIES", value: "deny|warn|ignore", help: "a dependsOn naming nothing (default deny)" },
  { flag: "cross-namespace", env: "RELEASEGATE_CROSS_NAMESPACE", value: "allow|deny", help: "dependsOn into another namespace (default allow)" },
  { flag: "delete-protection", env: "RELEASEGATE_DELETE_PROTECTION", value: "off|warn|deny", help: "deleting an object others depend on (default warn)" },
  { flag: "exempt-namespaces", env: "RELEASEGATE_EXEMPT_NAMESPACES", value: "NS,...", help: "namespaces the webhook never checks" },
  { flag: "pending-seconds", env: "RELEASEGATE_PENDING_SECONDS", value: "SECONDS", help: "how long a dry-run CREATE stays pending (default 120)" },
  { flag: "cert-mode", env: "RELEASEGATE_CERT_MODE", value: "self-managed|files|cert-manager", help: "where the serving certificate comes from (default self-managed)" },
  { flag: "tls-cert-file", env: "RELEASEGATE_TLS_CERT_FILE", value: "FILE", help: `PEM certificate (files mode; cert-manager default ${CERT_MANAGER_CERT_FILE})` },
  { flag: "tls-key-file", env: "RELEASEGATE_TLS_KEY_FILE", value: "FILE", help: `PEM key (files mode; cert-manager default ${CERT_MANAGER_KEY_FILE})` },
  { flag: "inject-ca-file", env: "RELEASEGATE_INJECT_CA_FILE", value: "FILE", help: "files mode: keep the webhook configuration's caBundle equal to this PEM CA" },
  { flag: "tls-secret-name", env: "RELEASEGATE_TLS_SECRET_NAME", value: "NAME", help: "Secret of the self-managed certificate (default releasegate-webhook-tls)" },
  { flag: "webhook-config-name", env: "RELEASEGATE_WEBHOOK_CONFIG_NAME", value: "NAME", help: "ValidatingWebhookConfiguration to keep the caBundle of (default releasegate)" },
  { flag: "service-name", env: "RELEASEGATE_SERVICE_NAME", value: "NAME", help: "Service in front of the webhook (default releasegate)" },
  { flag: "log-level", env: "RELEASEGATE_LOG_LEVEL", value: "debug|info|warn|error", help: "JSON log level (default info)" },
  { flag: "reconcile-rate", env: "RELEASEGATE_RECONCILE_RATE", value: "N", help: "reconcile requests per second, all objects together (default 20)" },
  { flag: "reconcile-burst", env: "RELEASEGATE_RECONCILE_BURST", value: "N", help: "reconcile requests allowed at once above the rate (default 50)" },
  { flag: "shutdown-timeout", env: "RELEASEGATE_SHUTDOWN_TIMEOUT", value: "DUR", help: "longest wait for in-flight reviews on SIGTERM (default 10s)" },
  { flag: "max-cache-staleness", env: "RELEASEGATE_MAX_CACHE_STALENESS", value: "DUR", help: "answer 503 when a cache heard nothing from the API this long (default 10s)" },
  { flag: "body-budget", env: "RELEASEGATE_BODY_BUDGET", value: "MIB", help: "MiB of review bodies buffered at once; 429 beyond (default 64)" },
  { flag: "request-timeout", env: "RELEASEGATE_REQUEST_TIMEOUT", value: "DUR", help: "a review must arrive whole within this (default 10s)" },
  { flag: "client-ca-file", env: "RELEASEGATE_CLIENT_CA_FILE", value: "FILE", help: "require API server client certificates signed by this PEM CA on /validate" },
  { flag: "log-format", env: "RELEASEGATE_LOG_FORMAT", value: "json|text", help: "log lines as JSON, or short text (default: text on a terminal, else json)" },
  { flag: "external-kinds", env: "RELEASEGATE_EXTERNAL_KINDS", value: "", help: "watch the kinds outside Flux ResourceSets depend on (needs get/list/watch on them; default on, false turns it off)", boolean: true },
  { flag: "flux-feature-gates", env: "RELEASEGATE_FLUX_FEATURE_GATES", value: "A=true,...", help: "Flux's --feature-gates as set on helm-controller and kustomize-controller (AdditiveCELDependencyCheck)" },
  { flag: "max-external-kinds", env: "RELEASEGATE_MAX_EXTERNAL_KINDS", value: "N", help: "kinds outside Flux watched at once (default 8)" },
  { flag: "max-external-namespaces", env: "RELEASEGATE_MAX_EXTERNAL_NAMESPACES", value: "N", help: "namespaces watched one by one of a kind releasegate may not list cluster-wide (default 10)" },
];

/** The option table of `serve --help`: every setting, then -h, --help, in one aligned column. */
function serveSettingsHelp(settings: readonly Setting[] = SERVE_SETTINGS): string {
  const rows = settings.map((s) => [`--${s.flag}${s.value ? ` ${s.value}` : ""}`, `${s.help} [$${s.env}]`] as const);
  return optionTable([...rows, ["-h, --help", "show this help"]]);
}

export const serveUsage = `Usage: releasegate serve [options]

Runs the admission webhook, the gate controller and the metrics endpoint against the cluster of the
kubeconfig (or the pod's service account). Every option can also be set by the environment variable
in brackets; a flag wins over its variable.

Options:
${serveSettingsHelp()}`;

/** The parseArgs option table of a settings list (strings, booleans for switches). */
function parseArgsOptions(settings: readonly Setting[]): Record<string, { type: "string" | "boolean" }> {
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const s of settings) options[s.flag] = { type: s.boolean ? "boolean" : "string" };
  return options;
}

/** Flag value, else environment value, else undefined; an empty variable counts as unset. */
function settingValue(
  values: Record<string, string | boolean | undefined>,
  env: NodeJS.ProcessEnv,
  flag: string,
): string | undefined {
  const setting = SERVE_SETTINGS.find((s) => s.flag === flag);
  const fromFlag = values[flag];
  if (typeof fromFlag === "string") return fromFlag;
  if (fromFlag === true) return "true";
  const fromEnv = setting === undefined ? undefined : env[setting.env];
  return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
}

function describe(flag: string): string {
  const setting = SERVE_SETTINGS.find((s) => s.flag === flag);
  return setting === undefined ? `--${flag}` : `--${flag} ($${setting.env})`;
}

export function parsePort(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`${describe(flag)}: "${text}" is not a port number (0-65535)`);
  }
  return port;
}

/** "15s", "500ms", "2m", "1h" or a bare number of seconds, as milliseconds. */
export function parseDuration(text: string | undefined, flag: string, fallbackMs: number): number {
  if (text === undefined) return fallbackMs;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new UsageError(`${describe(flag)}: "${text}" is not a duration; write e.g. 15s, 500ms or 2m`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? "s"] ?? 1000;
  const ms = Number(match[1]) * unit;
  if (ms <= 0) throw new UsageError(`${describe(flag)}: the duration must be more than zero`);
  return ms;
}

function parsePositive(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${describe(flag)}: "${text}" is not a positive number`);
  return n;
}

function parseBoolean(text: string | undefined, flag: string): boolean {
  if (text === undefined) return false;
  const t = text.trim().toLowerCase();
  if (["true", "1", "yes"].includes(t)) return true;
  if (["false", "0", "no"].includes(t)) return false;
  throw new UsageError(`${describe(flag)}: "${text}" is not true or false`);
}

function parseGates(text: string | undefined): FluxFeatureGates {
  if (text === undefined) return DEFAULT_FLUX_FEATURE_GATES;
  try {
    return parseFluxFeatureGates(text);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function oneOfSetting<T extends string>(text: string | undefined, flag: string, allowed: readonly T[], fallback: T): T {
  if (text === undefined) return fallback;
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw new UsageError(`${describe(flag)}: "${text}" is not one of ${allowed.join("|")}`);
}

function defaultNamespace(): string {
  try {
    const ns = readFileSync(SERVICE_ACCOUNT_NAMESPACE_FILE, "utf8").trim();
    if (ns !== "") return ns;
  } catch {
    // Not in a pod.
  }
  return "default";
}

/** Builds ServeOptions from parsed flag values and the environment; throws UsageError with one line. */
export function resolveServeOptions(values: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv): ServeOptions {
  const get = (flag: string): string | undefined => settingValue(values, env, flag);
  let policy: AdmissionPolicy;
  try {
    policy = parseAdmissionPolicy(
      {
        ...optional("missingDependencies", get("missing-dependencies")),
        ...optional("crossNamespace", get("cross-namespace")),
        ...optional("deleteProtection", get("delete-protection")),
        ...optional("exemptNamespaces", get("exempt-namespaces")),
        ...optional("pendingTtlSeconds", get("pending-seconds")),
      },
      {
        missingDependencies: describe("missing-dependencies"),
        crossNamespace: describe("cross-namespace"),
        deleteProtection: describe("delete-protection"),
        exemptNamespaces: describe("exempt-namespaces"),
        pendingTtlSeconds: describe("pending-seconds"),
      },
    );
  } catch (error) {
    if (error instanceof AdmissionPolicyError) throw new UsageError(error.message);
    throw error;
  }
  const certMode = oneOfSetting(get("cert-mode"), "cert-mode", ["self-managed", "files", "cert-manager"] as const, "self-managed");
  let tlsCertFile = get("tls-cert-file");
  let tlsKeyFile = get("tls-key-file");
  if (certMode === "cert-manager") {
    tlsCertFile ??= CERT_MANAGER_CERT_FILE;
    tlsKeyFile ??= CERT_MANAGER_KEY_FILE;
  }
  if (certMode === "files" && (tlsCertFile === undefined || tlsKeyFile === undefined)) {
    throw new UsageError(`--cert-mode files needs ${describe("tls-cert-file")} and ${describe("tls-key-file")}`);
  }
  const options: ServeOptions = {
    webhookPort: parsePort(get("webhook-port"), "webhook-port", 9443),
    metricsPort: parsePort(get("metrics-port"), "metrics-port", 8080),
    uiPort: parsePort(get("ui-port"), "ui-port", 9080),
    bindAddress: get("bind-address"),
    kubeconfig: get("kubeconfig"),
    inCluster: parseBoolean(get("in-cluster"), "in-cluster"),
    kubeApiQps: parsePositive(get("kube-api-qps"), "kube-api-qps", DEFAULT_KUBE_API_QPS),
    kubeApiBurst: parsePositive(get("kube-api-burst"), "kube-api-burst", DEFAULT_KUBE_API_BURST),
    namespace: get("namespace") ?? env.POD_NAMESPACE ?? defaultNamespace(),
    identity: get("identity") ?? env.POD_NAME ?? `${hostname()}-${process.pid}`,
    leaseName: get("lease-name") ?? "releasegate-leader",
    leaseDurationMs: parseDuration(get("lease-duration"), "lease-duration", 15_000),
    leaseRenewDeadlineMs: parseDuration(get("lease-renew-deadline"), "lease-renew-deadline", 10_000),
    leaseRetryPeriodMs: parseDuration(get("lease-retry-period"), "lease-retry-period", 2_000),
    policy,
    certMode,
    tlsCertFile,
    tlsKeyFile,
    injectCaFile: get("inject-ca-file"),
    secretName: get("tls-secret-name") ?? "releasegate-webhook-tls",
    webhookConfigName: get("webhook-config-name") ?? "releasegate",
    serviceName: get("service-name") ?? "releasegate",
    logLevel: oneOfSetting(get("log-level"), "log-level", ["debug", "info", "warn", "error"] as const, "info"),
    reconcileRate: parsePositive(get("reconcile-rate"), "reconcile-rate", 20),
    reconcileBurst: parsePositive(get("reconcile-burst"), "reconcile-burst", 50),
    shutdownTimeoutMs: parseDuration(get("shutdown-timeout"), "shutdown-timeout", 10_000),
    maxCacheStalenessMs: parseDuration(get("max-cache-staleness"), "max-cache-staleness", 10_000),
    bodyBudgetBytes: Math.round(parsePositive(get("body-budget"), "body-budget", 64) * 1024 * 1024),
    requestTimeoutMs: parseDuration(get("request-timeout"), "request-timeout", 10_000),
    clientCaFile: get("client-ca-file"),
    logFormat: oneOfSetting(get("log-format"), "log-format", ["json", "text"] as const, process.stdout.isTTY === true ? "text" : "json"),
    externalKinds: get("external-kinds") === undefined ? true : parseBoolean(get("external-kinds"), "external-kinds"),
    fluxFeatureGates: parseGates(get("flux-feature-gates")),
    maxExternalKinds: Math.round(parsePositive(get("max-external-kinds"), "max-external-kinds", 8)),
    maxExternalNamespaces: Math.round(parsePositive(get("max-external-namespaces"), "max-external-namespaces", 10)),
  };
  // client-go's leader election refuses these too; say so before anything starts.
  if (options.leaseDurationMs <= options.leaseRenewDeadlineMs) {
    throw new UsageError(`--lease-duration must be longer than --lease-renew-deadline`);
  }
  if (options.leaseRenewDeadlineMs <= 1.2 * options.leaseRetryPeriodMs) {
    throw new UsageError(`--lease-renew-deadline must be longer than 1.2 × --lease-retry-period`);
  }
  if (options.reconcileBurst < 1) throw new UsageError(`${describe("reconcile-burst")} must be at least 1`);
  if (options.kubeApiBurst < 1 || !Number.isInteger(options.kubeApiBurst)) throw new UsageError(`${describe("kube-api-burst")} must be a whole number, at least 1`);
  return options;
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/** Parses `serve`'s command line and environment. Returns undefined for --help. */
export function parseServeCommandLine(argv: string[], env: NodeJS.ProcessEnv): ServeOptions | "help" {
  const { values, positionals } = parseCommandLine(argv, { ...parseArgsOptions(SERVE_SETTINGS), help: { type: "boolean", short: "h" } }, "serve");
  if (values.help === true) return "help";
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  return resolveServeOptions(values as Record<string, string | boolean | undefined>, env);
}
