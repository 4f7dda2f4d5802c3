// `releasegate sandbox`: try releasegate with no cluster. The in-memory Kubernetes API (src/sandbox),
// seeded with the objects under --seed, with `serve` wired to it exactly as in a cluster (its
// ValidatingWebhookConfiguration registered with a url clientConfig, self-managed certificates whose
// caBundle serve injects, a leader Lease, Events), plus a small simulated Flux (helm-controller,
// kustomize-controller, the Flux Operator's ResourceSet dependency check) so a person sees gates open
// without waiting for Flux's 30 s dependency poll. With --serve=false only the API and the simulated Flux
// run, and `releasegate serve` runs beside it as its own process (one or several replicas). Writes a
// kubeconfig for kubectl, prints where everything listens and what to try, and on SIGINT/SIGTERM stops
// everything and removes the files it wrote.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { AdmissionregistrationV1Api } from "@kubernetes/client-node";
import type { KubeConfig, V1ValidatingWebhook, V1ValidatingWebhookConfiguration } from "@kubernetes/client-node";
import { generateCertificateAuthority, generateServingCertificate } from "../certs/generate.js";
import { StaticPeerSource } from "../admission/peer-source.js";
import { describeError } from "../runtime/api-error.js";
import { readCrdDocuments } from "../sandbox/crd-files.js";
import { EarlyReconcileReport } from "../sandbox/early-reconcile-report.js";
import { startSandbox } from "../sandbox/sandbox.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import type { AuthorizationMode } from "../sandbox/rbac-authorizer.js";
import { SimulatedFlux } from "../sandbox/simulated-flux.js";
import type { ReconcileEvent } from "../sandbox/simulated-flux.js";
import { parseCommandLine, UsageError } from "./args.js";
import { DEFAULT_FLUX_FEATURE_GATES, parseFluxFeatureGates } from "../graph/feature-gates.js";
import type { CommandIo } from "./io.js";
import { createLogger } from "./logger.js";
import type { Logger } from "./logger.js";
import { startServe } from "./serve.js";
import type { RunningServe } from "./serve.js";
import { parseDuration, parsePort, resolveServeOptions } from "./serve-options.js";
import type { LogLevel, ServeOptions } from "./serve-options.js";
import { readSeedObjects } from "./sandbox-seed.js";
import { onTermination } from "../runtime/termination.js";
import { WEBHOOKS, webhookRules } from "../cluster/webhook-rules.js";

export const sandboxUsage = `Usage: releasegate sandbox [options]

Runs an in-memory Kubernetes API with releasegate's webhook, gate controller and metrics wired to it,
and a simulated Flux (helm-controller, kustomize-controller, the Flux Operator's ResourceSet checks).
Point kubectl at the kubeconfig it writes.

Options:
  --seed PATH                  objects to start with: a file or a folder of manifests
  --crds PATH                  real CustomResourceDefinitions (a file or a folder) to validate the Flux kinds
                               with, instead of the sandbox's own structural schemas
  --flux-crd-cross-kind=true   serve HelmRelease and Kustomization schemas with the Flux RFC's cross-kind
                               dependsOn (apiVersion, kind, ready on entries; default false, as every
                               released Flux); the simulated controllers then follow the RFC
  --kubeconfig-out FILE        where to write the kubeconfig (default: $TMPDIR/releasegate-sandbox/kubeconfig)
  --api-port N                 port of the API (default 6443; 0 picks a free one)
  --serve true|false           run releasegate in this process (default true); false: the API alone, for
                               \`releasegate serve\` run beside it (see the banner for the command)
  --webhook-port N             port of the webhook (default 9443)
  --webhook-url URL            --serve=false: where the registered webhooks call (default
                               https://127.0.0.1:9443/validate)
  --ca-file FILE               --serve=false: PEM CA for the webhooks' caBundle (default: a CA the sandbox
                               makes, with a serving certificate written beside the kubeconfig)
  --metrics-port N             port of /metrics (default 8080)
  --ui-port N                  port of the graph page (default 9080; 0 turns it off)
  --simulate-flux true|false   run the simulated Flux (default true); false: play Flux yourself
                               through the /status subresource
  --install-delay DUR          how long a simulated install takes (default 2s)
  --requeue-dependency DUR     simulated Flux's dependency poll (default 30s, as Flux's)
  --flux-feature-gates A=true  Flux's --feature-gates, for the simulated Flux and serve alike
  --resourceset-requeue DUR    simulated Flux Operator's dependency re-check (default 5s, as the operator's)
  --log-level LEVEL            releasegate's JSON log on stderr: debug|info|warn|error (default warn)
  -h, --help                   show this help`;

/** The namespace releasegate runs in inside the sandbox (its Lease and certificate Secret). */
export const SANDBOX_NAMESPACE = "releasegate-system";
export const SANDBOX_WEBHOOK_CONFIG = "releasegate";

export interface SandboxEnvironmentOptions {
  /** Raw objects to seed (documents read from --seed). */
  seed?: unknown[];
  /** CustomResourceDefinition documents (read from --crds). */
  crds?: unknown[];
  /** Serve the Flux RFC's cross-kind dependsOn fields in the built-in HelmRelease and Kustomization schemas. */
  fluxCrdCrossKind?: boolean;
  apiPort?: number;
  /** 0 picks a free port. */
  webhookPort?: number;
  metricsPort?: number;
  simulateFlux?: boolean;
  installDelayMs?: number;
  requeueDependencyMs?: number;
  resourceSetRequeueMs?: number;
  /** The simulated helm-controller and kustomize-controller run with --feature-gates=AdditiveCELDependencyCheck=true. */
  additiveCelDependencyCheck?: boolean;
  onReconcile?: (event: ReconcileEvent) => void;
  kubeconfigOut?: string;
  logger?: Logger;
  /** Settings of serve to change (tests: short leases, ...). The webhook configuration is registered under its webhookConfigName. */
  serve?: Partial<ServeOptions>;
  /** "RBAC": the API authorizes as kube-apiserver's RBAC does (tests of the chart's grants); default AlwaysAllow. */
  authorization?: AuthorizationMode;
  /** The user serve talks to the API as (a ServiceAccount's `system:serviceaccount:NS:NAME`); default the admin. */
  serveUser?: string;
  /** How soon serve tries again a kind outside Flux it could not watch (tests; serve's default 30 s). */
  externalRetryMs?: number;
  /** How often serve reads the Flux CRDs again for the RFC's cross-kind fields (tests; serve's default 60 s). */
  crossKindRefreshMs?: number;
}

export interface SandboxEnvironment {
  readonly sandbox: Sandbox;
  readonly serve: RunningServe;
  readonly flux: SimulatedFlux | undefined;
  readonly kubeconfigPath: string | undefined;
  /** Another `serve` replica against the same sandbox (tests of leader election). */
  startReplica(identity: string, overrides?: Partial<ServeOptions>): Promise<RunningServe>;
  close(): Promise<void>;
}

export interface SandboxApiOptions extends Omit<SandboxEnvironmentOptions, "serve" | "metricsPort" | "webhookPort"> {
  /** Where the webhooks call (default https://127.0.0.1:9443/validate). */
  webhookUrl?: string;
  /** PEM CA for the webhooks' caBundle; without it the sandbox makes a CA and a serving certificate. */
  caPem?: string;
  /** Folder for the serving certificate the sandbox makes (default: beside the kubeconfig, else a temp folder). */
  certDir?: string;
}

/** The API alone (`--serve=false`): releasegate runs elsewhere, reached at `webhookUrl`. */
export interface SandboxApi {
  readonly sandbox: Sandbox;
  readonly flux: SimulatedFlux | undefined;
  readonly kubeconfigPath: string | undefined;
  readonly webhookUrl: string;
  /** The serving certificate and key the sandbox made for the webhook URL's host (undefined with caPem). */
  readonly servingCert: { certFile: string; keyFile: string; caFile: string } | undefined;
  close(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 now (the webhook URL must be known before serve listens). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Our webhooks, as the chart registers them, but reached by URL (no Services in the sandbox): one for
 * CREATE and UPDATE (failurePolicy Fail: a dependency check is never skipped), one for DELETE
 * (failurePolicy Ignore: an outage of releasegate never blocks a deletion or a Flux prune).
 */
export function sandboxWebhookConfiguration(target: number | { url: string; caBundle?: string }, name = SANDBOX_WEBHOOK_CONFIG): V1ValidatingWebhookConfiguration {
  const clientConfig = typeof target === "number" ? { url: `https://127.0.0.1:${target}/validate` } : { url: target.url, ...(target.caBundle ? { caBundle: target.caBundle } : {}) };
  // The rules and the two webhooks come from the resource table, as the chart's are tested to
  // (docs/architecture.md, "Resources").
  const common = {
    admissionReviewVersions: ["v1"],
    sideEffects: "None",
    matchPolicy: "Equivalent",
    timeoutSeconds: 5,
    // Without a caBundle, serve's self-managed certificates inject it, as in a cluster.
    clientConfig,
    namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: [SANDBOX_NAMESPACE] }] },
  } satisfies Partial<V1ValidatingWebhook>;
  // The chart's matchConditions, on both webhooks as there (test/resource-table.test.ts): only requests
  // releasegate could deny reach it, so an outage never stalls metadata updates (Flux's finalizers,
  // releasegate's own requestedAt patches), objects being deleted, or the namespace controller.
  const matchConditions = [
    {
      name: "dependson-changed-on-update",
      expression:
        "request.operation != 'UPDATE' || " +
        "(has(object.spec) && has(object.spec.dependsOn) ? object.spec.dependsOn : []) != " +
        "(has(oldObject.spec) && has(oldObject.spec.dependsOn) ? oldObject.spec.dependsOn : [])",
    },
    { name: "not-being-deleted", expression: "request.operation != 'UPDATE' || !has(object.metadata.deletionTimestamp)" },
    {
      name: "not-namespace-controller-delete",
      expression: "request.operation != 'DELETE' || request.userInfo.username != 'system:serviceaccount:kube-system:namespace-controller'",
    },
  ];
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name, labels: { "app.kubernetes.io/name": "releasegate" } },
    webhooks: [
      {
        name: WEBHOOKS.dependencies.name,
        ...common,
        failurePolicy: "Fail",
        rules: webhookRules("dependencies"),
        matchConditions,
      },
      { name: WEBHOOKS.deletions.name, ...common, failurePolicy: "Ignore", rules: webhookRules("deletions"), matchConditions },
    ],
  };
}

async function waitForCaBundle(kc: KubeConfig, name: string, timeoutMs: number): Promise<void> {
  const api = kc.makeApiClient(AdmissionregistrationV1Api);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const config = await api.readValidatingWebhookConfiguration({ name });
    if ((config.webhooks ?? []).every((w) => (w.clientConfig.caBundle ?? "") !== "")) return;
    if (Date.now() > deadline) throw new Error("serve did not inject the webhook's caBundle in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function serveOptionsFor(webhookPort: number, metricsPort: number, overrides: Partial<ServeOptions>): ServeOptions {
  const base = resolveServeOptions({}, {});
  return {
    ...base,
    webhookPort,
    metricsPort,
    bindAddress: "127.0.0.1",
    namespace: SANDBOX_NAMESPACE,
    identity: "releasegate-0",
    certMode: "self-managed",
    webhookConfigName: SANDBOX_WEBHOOK_CONFIG,
    logLevel: "warn",
    // In-process environments (tests) draw no page unless they ask for one.
    uiPort: 0,
    ...overrides,
  };
}

/** Steps to undo, last first; each runs once however often close is called. */
class Cleanup {
  private readonly steps: Array<() => Promise<unknown>> = [];
  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) await step().catch(() => undefined);
  }
}

async function startApi(options: SandboxEnvironmentOptions, cleanup: Cleanup): Promise<{ sandbox: Sandbox; kubeconfigPath: string | undefined }> {
  const seed = [{ apiVersion: "v1", kind: "Namespace", metadata: { name: SANDBOX_NAMESPACE } }, ...(options.seed ?? [])];
  const sandbox = await startSandbox({
    seed,
    port: options.apiPort ?? 0,
    ...(options.crds ? { crds: options.crds } : {}),
    ...(options.authorization ? { authorization: options.authorization } : {}),
    ...(options.fluxCrdCrossKind === true ? { fluxCrdCrossKind: true } : {}),
  });
  cleanup.add(() => sandbox.close());
  let kubeconfigPath: string | undefined;
  if (options.kubeconfigOut !== undefined) {
    const path = options.kubeconfigOut;
    kubeconfigPath = path;
    await mkdir(dirname(path), { recursive: true });
    await sandbox.writeKubeconfig(path);
    cleanup.add(() => rm(path, { force: true }));
  }
  return { sandbox, kubeconfigPath };
}

async function startFlux(sandbox: Sandbox, options: SandboxEnvironmentOptions, log: Logger, cleanup: Cleanup): Promise<SimulatedFlux | undefined> {
  if (!(options.simulateFlux ?? true)) return undefined;
  const flux = new SimulatedFlux(sandbox.kubeConfig(), {
    ...(options.installDelayMs !== undefined ? { installDelayMs: options.installDelayMs } : {}),
    ...(options.requeueDependencyMs !== undefined ? { requeueDependencyMs: options.requeueDependencyMs } : {}),
    ...(options.resourceSetRequeueMs !== undefined ? { resourceSetRequeueMs: options.resourceSetRequeueMs } : {}),
    ...(options.additiveCelDependencyCheck === true ? { additiveCelDependencyCheck: true } : {}),
    ...(options.onReconcile ? { onReconcile: options.onReconcile } : {}),
    logger: log.child({ component: "simulated-flux" }),
  });
  cleanup.add(() => flux.stop());
  await flux.start();
  return flux;
}

/** Starts the sandbox API, registers the webhooks, runs serve (and the simulated Flux) against it. */
export async function startSandboxEnvironment(options: SandboxEnvironmentOptions = {}): Promise<SandboxEnvironment> {
  const log = options.logger ?? createLogger("warn", undefined);
  const cleanup = new Cleanup();
  try {
    const { sandbox, kubeconfigPath } = await startApi(options, cleanup);
    const kc = sandbox.kubeConfig();
    const webhookPort = options.webhookPort === undefined || options.webhookPort === 0 ? await freePort() : options.webhookPort;
    const webhookConfigName = options.serve?.webhookConfigName ?? SANDBOX_WEBHOOK_CONFIG;
    await kc.makeApiClient(AdmissionregistrationV1Api).createValidatingWebhookConfiguration({ body: sandboxWebhookConfiguration(webhookPort, webhookConfigName) });

    const replicas: RunningServe[] = [];
    const serveOverrides = {
      kubeConfig: options.serveUser === undefined ? kc : sandbox.kubeConfig(options.serveUser),
      logger: log,
      peers: new StaticPeerSource([]),
      cacheBackoff: { initialMs: 100, maxMs: 2000 },
      ...(options.externalRetryMs !== undefined ? { externalRetryMs: options.externalRetryMs } : {}),
      ...(options.crossKindRefreshMs !== undefined ? { crossKindRefreshMs: options.crossKindRefreshMs } : {}),
    };
    const serve = await startServe(serveOptionsFor(webhookPort, options.metricsPort ?? 0, options.serve ?? {}), serveOverrides);
    replicas.push(serve);
    cleanup.add(async () => {
      for (const replica of replicas) await replica.shutdown();
    });
    await serve.ready;
    await waitForCaBundle(kc, webhookConfigName, 30_000);
    const flux = await startFlux(sandbox, options, log, cleanup);

    return {
      sandbox,
      serve,
      flux,
      kubeconfigPath,
      startReplica: async (identity, overrides = {}) => {
        const replica = await startServe(
          serveOptionsFor(await freePort(), 0, { ...options.serve, identity, ...overrides }),
          { ...serveOverrides, logger: log.child({ replica: identity }) },
        );
        replicas.push(replica);
        return replica;
      },
      close: () => cleanup.run(),
    };
  } catch (error) {
    await cleanup.run();
    throw error;
  }
}

/** The API and the simulated Flux, with the webhooks registered for a releasegate run elsewhere. */
export async function startSandboxApi(options: SandboxApiOptions = {}): Promise<SandboxApi> {
  const log = options.logger ?? createLogger("warn", undefined);
  const cleanup = new Cleanup();
  try {
    const { sandbox, kubeconfigPath } = await startApi(options, cleanup);
    const webhookUrl = options.webhookUrl ?? "https://127.0.0.1:9443/validate";
    let caPem = options.caPem;
    let servingCert: SandboxApi["servingCert"];
    if (caPem === undefined) {
      const host = new URL(webhookUrl).hostname.replace(/^\[|\]$/g, "");
      const isIp = /^[\d.]+$/.test(host) || host.includes(":");
      const ca = generateCertificateAuthority("releasegate-sandbox-webhook-ca");
      const cert = generateServingCertificate(ca, { commonName: host, dnsNames: isIp ? ["localhost"] : [host, "localhost"], ipAddresses: isIp ? [host] : ["127.0.0.1"] });
      const dir = options.certDir ?? (kubeconfigPath ? dirname(kubeconfigPath) : join(tmpdir(), "releasegate-sandbox"));
      await mkdir(dir, { recursive: true });
      servingCert = { certFile: join(dir, "webhook-tls.crt"), keyFile: join(dir, "webhook-tls.key"), caFile: join(dir, "webhook-ca.crt") };
      const files = servingCert;
      await writeFile(files.certFile, cert.certPem, { mode: 0o600 });
      await writeFile(files.keyFile, cert.keyPem, { mode: 0o600 });
      await writeFile(files.caFile, ca.certPem, { mode: 0o600 });
      cleanup.add(() => Promise.all([files.certFile, files.keyFile, files.caFile].map((f) => rm(f, { force: true }))));
      caPem = ca.certPem;
    }
    await sandbox
      .kubeConfig()
      .makeApiClient(AdmissionregistrationV1Api)
      .createValidatingWebhookConfiguration({ body: sandboxWebhookConfiguration({ url: webhookUrl, caBundle: Buffer.from(caPem).toString("base64") }) });
    const flux = await startFlux(sandbox, options, log, cleanup);
    return { sandbox, flux, kubeconfigPath, webhookUrl, servingCert, close: () => cleanup.run() };
  } catch (error) {
    await cleanup.run();
    throw error;
  }
}

function parseBooleanFlag(text: string | undefined, flag: string, fallback: boolean): boolean {
  if (text === undefined) return fallback;
  if (text === "true") return true;
  if (text === "false") return false;
  throw new UsageError(`${flag} must be true or false, not "${text}"`);
}

function fluxLine(on: boolean, requeueMs: number): string {
  return on
    ? `on: installs take a moment; waiting releases are polled every ${requeueMs / 1000} s, as Flux does`
    : "off: set Ready conditions yourself through the /status subresource";
}

function hints(env: SandboxEnvironment, seedPath: string | undefined, requeueMs: number): string {
  const kubeconfig = env.kubeconfigPath ?? "(not written)";
  const k = `kubectl --kubeconfig ${kubeconfig}`;
  const metrics = `http://127.0.0.1:${env.serve.metricsPort}/metrics`;
  const seeded = seedPath === undefined ? "nothing" : seedPath;
  return `releasegate sandbox is running (seeded with ${seeded}).

  Kubernetes API   ${env.sandbox.url}
  kubeconfig       ${kubeconfig}      (export KUBECONFIG=${kubeconfig})
  webhook          https://127.0.0.1:${env.serve.webhookPort}/validate   (/healthz, /readyz)
  metrics          ${metrics}
  graph page       ${env.serve.ui === undefined ? "off" : env.serve.ui.url}
  simulated Flux   ${fluxLine(env.flux !== undefined, requeueMs)}

Things to try (the README's tour, in this order):
  ${k} get helmreleases -A -w          watch the releases become Ready
  ${k} apply -f examples/cycle/         denied: the message names the whole cycle
  ${k} apply -f examples/missing/       denied: "did you mean default/redis?"
  ${k} delete -f examples/chain/        start again, from the failure scenario:
  ${k} apply -f examples/failure/       redis's image tag does not exist: its install fails, backend waits
  ${k} get events -A                   DependencyBlocked names the root cause: "blocked by default/redis: ..."
  releasegate why HelmRelease/backend --kubeconfig ${kubeconfig}      the chain to the root cause
  curl -s ${metrics} | grep releasegate_release_blocked
  ${k} patch helmrelease redis --type merge -p '{"spec":{"values":{"image":{"tag":"7.2"}}}}'
                                       redis fixed: backend's gate opens and it is reconciled at once (a tour: line here)

Press Ctrl-C to stop.
`;
}

function apiHints(api: SandboxApi, seedPath: string | undefined, requeueMs: number): string {
  const kubeconfig = api.kubeconfigPath ?? "(not written)";
  const port = new URL(api.webhookUrl).port || "443";
  const files = api.servingCert
    ? ` --cert-mode files --tls-cert-file ${api.servingCert.certFile} --tls-key-file ${api.servingCert.keyFile}`
    : "";
  return `releasegate sandbox is running without releasegate (seeded with ${seedPath ?? "nothing"}).

  Kubernetes API   ${api.sandbox.url}
  kubeconfig       ${kubeconfig}      (export KUBECONFIG=${kubeconfig})
  webhooks         ${api.webhookUrl}   (dependencies: failurePolicy Fail; deletions: Ignore)
  simulated Flux   ${fluxLine(api.flux !== undefined, requeueMs)}

Run releasegate beside it (each replica its own process; add --identity NAME per replica):
  releasegate serve --kubeconfig ${kubeconfig} --namespace ${SANDBOX_NAMESPACE} --bind-address 127.0.0.1 --webhook-port ${port}${files}

Press Ctrl-C to stop.
`;
}

/** How long stopping may take before the process gives up waiting (every part has its own timeouts too). */
const STOP_TIMEOUT_MS = 20_000;

const SANDBOX_FLAGS = {
  seed: { type: "string" },
  crds: { type: "string" },
  "flux-crd-cross-kind": { type: "string" },
  "kubeconfig-out": { type: "string" },
  "api-port": { type: "string" },
  serve: { type: "string" },
  "webhook-port": { type: "string" },
  "webhook-url": { type: "string" },
  "ca-file": { type: "string" },
  "metrics-port": { type: "string" },
  "ui-port": { type: "string" },
  "simulate-flux": { type: "string" },
  "install-delay": { type: "string" },
  "requeue-dependency": { type: "string" },
  "resourceset-requeue": { type: "string" },
  "flux-feature-gates": { type: "string" },
  "log-level": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type SandboxFlagValues = ReturnType<typeof parseCommandLine<typeof SANDBOX_FLAGS>>["values"];

/** The command line, checked: a mistake is a UsageError (exit 2) before anything starts. */
function parseSandboxFlags(argv: string[]): "help" | { values: SandboxFlagValues; logLevel: LogLevel; runServe: boolean } {
  const { values, positionals } = parseCommandLine(argv, SANDBOX_FLAGS, "sandbox");
  if (values.help === true) return "help";
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (to start with objects, use --seed PATH)`);
  const logLevel = values["log-level"] ?? "warn";
  if (!["debug", "info", "warn", "error"].includes(logLevel)) throw new UsageError(`--log-level must be one of debug, info, warn, error, not "${logLevel}"`);
  const runServe = parseBooleanFlag(values.serve, "--serve", true);
  if (runServe && (values["webhook-url"] !== undefined || values["ca-file"] !== undefined)) {
    throw new UsageError("--webhook-url and --ca-file go with --serve=false (with serve in this process the sandbox wires the webhook itself)");
  }
  if (values["webhook-url"] !== undefined && !/^https:\/\/[^/]+/.test(values["webhook-url"])) {
    throw new UsageError(`--webhook-url must be an https:// URL, not "${values["webhook-url"]}"`);
  }
  return { values, logLevel: logLevel as LogLevel, runServe };
}

/** The files the flags name (--seed, --crds, --ca-file), or the one line saying which cannot be used. */
async function readSandboxFiles(values: SandboxFlagValues): Promise<{ seed: unknown[]; crds?: unknown[]; caPem?: string } | { error: string }> {
  const seed = values.seed === undefined ? [] : await readSeedObjects(values.seed);
  let crds: unknown[] | undefined;
  let caPem: string | undefined;
  try {
    if (values.crds !== undefined) crds = await readCrdDocuments(values.crds);
    if (values["ca-file"] !== undefined) caPem = await readFile(values["ca-file"], "utf8");
  } catch (error) {
    return { error: describeError(error) };
  }
  if (caPem !== undefined && !caPem.includes("-----BEGIN CERTIFICATE-----")) return { error: `--ca-file ${values["ca-file"]} holds no PEM certificate` };
  return { seed, ...(crds ? { crds } : {}), ...(caPem !== undefined ? { caPem } : {}) };
}

/** Stops everything, bounded by STOP_TIMEOUT_MS: the exit code. */
async function stopSandbox(close: () => Promise<void>, io: CommandIo): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const stopped = await Promise.race([
    close().then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), STOP_TIMEOUT_MS))),
  ]);
  clearTimeout(timer);
  if (!stopped) {
    io.stderr(`releasegate sandbox: did not stop within ${STOP_TIMEOUT_MS / 1000} s; exiting anyway\n`);
    // Whatever still holds the event loop must not keep the process (and its ports) alive.
    setTimeout(() => process.exit(1), 1000).unref();
    return 1;
  }
  io.stdout("stopped\n");
  return 0;
}

export async function runSandbox(argv: string[], io: CommandIo): Promise<number> {
  const flags = parseSandboxFlags(argv);
  if (flags === "help") {
    io.stdout(`${sandboxUsage}\n`);
    return 0;
  }
  const { values, logLevel, runServe } = flags;
  const seedPath = values.seed;
  const files = await readSandboxFiles(values);
  if ("error" in files) {
    io.stderr(`releasegate sandbox: ${files.error}\n`);
    return 2;
  }
  const log = createLogger(logLevel, undefined);
  const kubeconfigOut = values["kubeconfig-out"] ?? join(tmpdir(), "releasegate-sandbox", "kubeconfig");
  const requeueDependencyMs = parseDuration(values["requeue-dependency"], "requeue-dependency", 30_000);
  // Flux's feature gates, for the simulated controllers and for serve alike.
  let fluxFeatureGates = DEFAULT_FLUX_FEATURE_GATES;
  try {
    if (values["flux-feature-gates"] !== undefined) fluxFeatureGates = parseFluxFeatureGates(values["flux-feature-gates"]);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const report = new EarlyReconcileReport(requeueDependencyMs);
  const common = {
    seed: files.seed,
    ...(files.crds ? { crds: files.crds } : {}),
    fluxCrdCrossKind: parseBooleanFlag(values["flux-crd-cross-kind"], "--flux-crd-cross-kind", false),
    apiPort: parsePort(values["api-port"], "api-port", 6443),
    simulateFlux: parseBooleanFlag(values["simulate-flux"], "--simulate-flux", true),
    installDelayMs: parseDuration(values["install-delay"], "install-delay", 2000),
    requeueDependencyMs,
    resourceSetRequeueMs: parseDuration(values["resourceset-requeue"], "resourceset-requeue", 5000),
    additiveCelDependencyCheck: fluxFeatureGates.additiveCelDependencyCheck,
    onReconcile: (event: ReconcileEvent) => {
      const line = report.add(event);
      if (line !== undefined) io.stdout(`tour: ${line}\n`);
    },
    kubeconfigOut,
    logger: log,
  };
  // A Ctrl-C in a terminal reaches both npm and this process, and npm forwards it again: a second signal
  // must not kill the process halfway through its cleanup, so it is ignored.
  const signals = onTermination({ onSecondSignal: () => undefined });

  let close: () => Promise<void>;
  try {
    if (runServe) {
      const env = await startSandboxEnvironment({
        ...common,
        webhookPort: parsePort(values["webhook-port"], "webhook-port", 9443),
        metricsPort: parsePort(values["metrics-port"], "metrics-port", 8080),
        serve: { logLevel, uiPort: parsePort(values["ui-port"], "ui-port", 9080), fluxFeatureGates },
      });
      close = env.close;
      for (const warning of env.sandbox.seedWarnings) io.stderr(`releasegate sandbox: ${warning}\n`);
      io.stdout(hints(env, seedPath, requeueDependencyMs));
    } else {
      const port = parsePort(values["webhook-port"], "webhook-port", 9443);
      const api = await startSandboxApi({ ...common, webhookUrl: values["webhook-url"] ?? `https://127.0.0.1:${port}/validate`, ...(files.caPem ? { caPem: files.caPem } : {}) });
      close = api.close;
      for (const warning of api.sandbox.seedWarnings) io.stderr(`releasegate sandbox: ${warning}\n`);
      io.stdout(apiHints(api, seedPath, requeueDependencyMs));
    }
  } catch (error) {
    signals.dispose();
    if (error instanceof UsageError) throw error;
    io.stderr(`releasegate sandbox: cannot start: ${describeError(error)}\n`);
    return 1;
  }

  const received = await signals.signal;
  io.stdout(`\nreceived ${received}; stopping\n`);
  const code = await stopSandbox(close, io);
  signals.dispose();
  log.flush();
  return code;
}
