// `releasegate sandbox`: try releasegate with no cluster. The in-memory Kubernetes API (src/sandbox),
// seeded with the objects under --seed, with `serve` wired to it exactly as in a cluster (its
// ValidatingWebhookConfiguration registered with a url clientConfig, self-managed certificates whose
// caBundle serve injects, a leader Lease, Events), plus a small simulated Flux helm-controller so a
// person sees gates open without waiting for Flux's 30 s dependency poll. Writes a kubeconfig for
// kubectl, prints where everything listens and what to try, and stops cleanly on SIGINT/SIGTERM.
import { mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { AdmissionregistrationV1Api } from "@kubernetes/client-node";
import type { KubeConfig, V1ValidatingWebhookConfiguration } from "@kubernetes/client-node";
import { StaticPeerSource } from "../admission/peer-source.js";
import { describeError } from "../cluster/logger.js";
import { FLUX_KINDS, FLUX_RESOURCES } from "../cluster/resources.js";
import { startSandbox } from "../sandbox/sandbox.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import { SimulatedFlux } from "../sandbox/simulated-flux.js";
import { parseCommandLine, UsageError } from "./args.js";
import type { CommandIo } from "./io.js";
import { createLogger } from "./logger.js";
import type { Logger } from "./logger.js";
import { startServe } from "./serve.js";
import type { RunningServe } from "./serve.js";
import { parseDuration, parsePort, resolveServeOptions } from "./serve-options.js";
import type { LogLevel, ServeOptions } from "./serve-options.js";
import { readSeedObjects } from "./sandbox-seed.js";

export const sandboxUsage = `Usage: releasegate sandbox [options]

Runs an in-memory Kubernetes API with releasegate's webhook, gate controller and metrics wired to it,
and a simulated Flux helm-controller. Point kubectl at the kubeconfig it writes.

Options:
  --seed PATH                  objects to start with: a file or a folder of manifests
  --kubeconfig-out FILE        where to write the kubeconfig (default: $TMPDIR/releasegate-sandbox/kubeconfig)
  --api-port N                 port of the API (default 6443; 0 picks a free one)
  --webhook-port N             port of the webhook (default 9443)
  --metrics-port N             port of /metrics (default 8080)
  --simulate-flux true|false   run the simulated Flux (default true); false: play helm-controller
                               yourself through the /status subresource
  --install-delay DUR          how long a simulated install takes (default 2s)
  --requeue-dependency DUR     simulated Flux's dependency poll (default 30s, as Flux's)
  --log-level LEVEL            releasegate's JSON log on stderr: debug|info|warn|error (default warn)
  -h, --help                   show this help`;

/** The namespace releasegate runs in inside the sandbox (its Lease and certificate Secret). */
export const SANDBOX_NAMESPACE = "releasegate-system";
export const SANDBOX_WEBHOOK_CONFIG = "releasegate";

export interface SandboxEnvironmentOptions {
  /** Raw objects to seed (documents read from --seed). */
  seed?: unknown[];
  apiPort?: number;
  /** 0 picks a free port. */
  webhookPort?: number;
  metricsPort?: number;
  simulateFlux?: boolean;
  installDelayMs?: number;
  requeueDependencyMs?: number;
  kubeconfigOut?: string;
  logger?: Logger;
  /** Settings of serve to change (tests: short leases, ...). */
  serve?: Partial<ServeOptions>;
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

/** Our webhook, as the chart registers it, but reached by URL (no Services in the sandbox). */
export function sandboxWebhookConfiguration(webhookPort: number): V1ValidatingWebhookConfiguration {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name: SANDBOX_WEBHOOK_CONFIG, labels: { "app.kubernetes.io/name": "releasegate" } },
    webhooks: [
      {
        name: "dependencies.releasegate.io",
        admissionReviewVersions: ["v1"],
        sideEffects: "None",
        matchPolicy: "Equivalent",
        failurePolicy: "Fail",
        timeoutSeconds: 5,
        // No caBundle yet: serve's self-managed certificates inject it, as in a cluster.
        clientConfig: { url: `https://127.0.0.1:${webhookPort}/validate` },
        rules: FLUX_KINDS.map((kind) => ({
          apiGroups: [FLUX_RESOURCES[kind].group],
          apiVersions: ["*"],
          resources: [FLUX_RESOURCES[kind].resource],
          operations: ["CREATE", "UPDATE", "DELETE"],
          scope: "Namespaced",
        })),
        namespaceSelector: {
          matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: [SANDBOX_NAMESPACE] }],
        },
        // The chart's matchConditions: only requests releasegate could deny reach it, so a webhook
        // outage never stalls metadata updates (Flux's finalizers, releasegate's own requestedAt
        // patches), objects being deleted or namespace deletion.
        matchConditions: [
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
        ],
      },
    ],
  };
}

async function waitForCaBundle(kc: KubeConfig, timeoutMs: number): Promise<void> {
  const api = kc.makeApiClient(AdmissionregistrationV1Api);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const config = await api.readValidatingWebhookConfiguration({ name: SANDBOX_WEBHOOK_CONFIG });
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
    ...overrides,
  };
}

/** Starts the sandbox API, registers the webhook, runs serve (and the simulated Flux) against it. */
export async function startSandboxEnvironment(options: SandboxEnvironmentOptions = {}): Promise<SandboxEnvironment> {
  const log = options.logger ?? createLogger("warn", undefined);
  const seed = [{ apiVersion: "v1", kind: "Namespace", metadata: { name: SANDBOX_NAMESPACE } }, ...(options.seed ?? [])];
  const sandbox = await startSandbox({ seed, port: options.apiPort ?? 0 });
  const cleanup: Array<() => Promise<void>> = [() => sandbox.close()];
  const closeAll = async (): Promise<void> => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
  };
  try {
    let kubeconfigPath: string | undefined;
    if (options.kubeconfigOut !== undefined) {
      kubeconfigPath = options.kubeconfigOut;
      await mkdir(dirname(kubeconfigPath), { recursive: true });
      await sandbox.writeKubeconfig(kubeconfigPath);
    }
    const kc = sandbox.kubeConfig();
    const webhookPort = options.webhookPort === undefined || options.webhookPort === 0 ? await freePort() : options.webhookPort;
    await kc.makeApiClient(AdmissionregistrationV1Api).createValidatingWebhookConfiguration({ body: sandboxWebhookConfiguration(webhookPort) });

    const replicas: RunningServe[] = [];
    const serveOverrides = { kubeConfig: kc, logger: log, peers: new StaticPeerSource([]), cacheBackoff: { initialMs: 100, maxMs: 2000 } };
    const serve = await startServe(serveOptionsFor(webhookPort, options.metricsPort ?? 0, options.serve ?? {}), serveOverrides);
    replicas.push(serve);
    cleanup.push(async () => {
      for (const replica of replicas) await replica.shutdown();
    });
    await serve.ready;
    await waitForCaBundle(kc, 30_000);

    let flux: SimulatedFlux | undefined;
    if (options.simulateFlux ?? true) {
      flux = new SimulatedFlux(sandbox.kubeConfig(), {
        ...(options.installDelayMs !== undefined ? { installDelayMs: options.installDelayMs } : {}),
        ...(options.requeueDependencyMs !== undefined ? { requeueDependencyMs: options.requeueDependencyMs } : {}),
        logger: log.child({ component: "simulated-flux" }),
      });
      const started = flux;
      cleanup.push(() => started.stop());
      await flux.start();
    }

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
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

function parseBooleanFlag(text: string | undefined, flag: string, fallback: boolean): boolean {
  if (text === undefined) return fallback;
  if (text === "true") return true;
  if (text === "false") return false;
  throw new UsageError(`${flag} must be true or false, not "${text}"`);
}

function hints(env: SandboxEnvironment, seedPath: string | undefined): string {
  const kubeconfig = env.kubeconfigPath ?? "(not written)";
  const k = `kubectl --kubeconfig ${kubeconfig}`;
  const metrics = `http://127.0.0.1:${env.serve.metricsPort}/metrics`;
  const seeded = seedPath === undefined ? "nothing" : seedPath;
  return `releasegate sandbox is running (seeded with ${seeded}).

  Kubernetes API   ${env.sandbox.url}
  kubeconfig       ${kubeconfig}      (export KUBECONFIG=${kubeconfig})
  webhook          https://127.0.0.1:${env.serve.webhookPort}/validate   (/healthz, /readyz)
  metrics          ${metrics}
  simulated Flux   ${env.flux ? "on: installs take a moment; blocked releases are polled every 30 s, as Flux does" : "off: set Ready conditions yourself through the /status subresource"}

Things to try:
  ${k} get helmreleases -A -w          watch the releases become Ready
  ${k} apply -f examples/failure/       redis fails (install retries exhausted): backend is blocked by it
  ${k} get events -A                   DependencyBlocked names the root cause: "blocked by default/redis: ..."
  curl -s ${metrics} | grep releasegate_release_blocked
  ${k} apply -f examples/chain/         redis fixed: the gate opens and backend is reconciled at once
  ${k} apply -f examples/cycle/         denied: the message names the whole cycle
  ${k} apply -f examples/missing/       denied: "did you mean default/redis?"

Press Ctrl-C to stop.
`;
}

export async function runSandbox(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandLine(
    argv,
    {
      seed: { type: "string" },
      "kubeconfig-out": { type: "string" },
      "api-port": { type: "string" },
      "webhook-port": { type: "string" },
      "metrics-port": { type: "string" },
      "simulate-flux": { type: "string" },
      "install-delay": { type: "string" },
      "requeue-dependency": { type: "string" },
      "log-level": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    "sandbox",
  );
  if (values.help === true) {
    io.stdout(`${sandboxUsage}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (to start with objects, use --seed PATH)`);
  const logLevel = values["log-level"] ?? "warn";
  if (!["debug", "info", "warn", "error"].includes(logLevel)) throw new UsageError(`--log-level must be one of debug, info, warn, error, not "${logLevel}"`);
  const seedPath = values.seed;
  const seed = seedPath === undefined ? [] : await readSeedObjects(seedPath);
  const log = createLogger(logLevel as LogLevel, undefined);
  const kubeconfigOut = values["kubeconfig-out"] ?? join(tmpdir(), "releasegate-sandbox", "kubeconfig");

  let env: SandboxEnvironment;
  try {
    env = await startSandboxEnvironment({
      seed,
      apiPort: parsePort(values["api-port"], "api-port", 6443),
      webhookPort: parsePort(values["webhook-port"], "webhook-port", 9443),
      metricsPort: parsePort(values["metrics-port"], "metrics-port", 8080),
      simulateFlux: parseBooleanFlag(values["simulate-flux"], "--simulate-flux", true),
      installDelayMs: parseDuration(values["install-delay"], "install-delay", 2000),
      requeueDependencyMs: parseDuration(values["requeue-dependency"], "requeue-dependency", 30_000),
      kubeconfigOut,
      logger: log,
      serve: { logLevel: logLevel as LogLevel },
    });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    io.stderr(`releasegate sandbox: cannot start: ${describeError(error)}\n`);
    return 1;
  }
  for (const warning of env.sandbox.seedWarnings) io.stderr(`releasegate sandbox: ${warning}\n`);
  io.stdout(hints(env, seedPath));

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const on = (s: NodeJS.Signals): void => {
      process.off("SIGINT", on);
      process.off("SIGTERM", on);
      resolve(s);
    };
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
  io.stdout(`\nreceived ${signal}; stopping\n`);
  await env.close();
  log.flush();
  io.stdout("stopped\n");
  return 0;
}
