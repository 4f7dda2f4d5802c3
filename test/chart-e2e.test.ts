// The chart as it would run in a cluster: `helm template` with default values, its ServiceAccount, RBAC,
// Service and ValidatingWebhookConfiguration applied to a sandbox that enforces RBAC, and `releasegate
// serve` started with exactly the rendered container args ($(POD_NAMESPACE) expanded from the rendered env
// as the kubelet does) under the ServiceAccount's identity. The only things added are what a pod gets from
// its environment: a kubeconfig for the ServiceAccount instead of the mounted token, and the Service's
// address (the sandbox resolves the rendered Service to the port the rendered Deployment names).
// Then a person's kubectl is denied a dependency cycle, the controller opens a gate and records Events,
// nothing it does is forbidden; once it is stopped, a new object is rejected but deletions go through (the
// DELETE webhook ignores an outage); and without the ClusterRoleBinding it says clearly what it may not do.
import { execFile, spawn } from "node:child_process";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { AdmissionregistrationV1Api, CoordinationV1Api, CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { freePort } from "../src/cli/sandbox.js";
import { SERVER_VERSION } from "../src/sandbox/discovery.js";
import { serviceAccountToken } from "../src/sandbox/rbac-authorizer.js";
import { startSandbox } from "../src/sandbox/sandbox.js";
import type { Sandbox } from "../src/sandbox/sandbox.js";
import { binary, repoRoot } from "./helpers/cli.js";
import { eventually } from "./helpers/eventually.js";
import { FluxClient, REQUESTED_AT, helmRelease } from "./helpers/flux-client.js";
import { findSamples, scrape } from "./helpers/metrics-text.js";
import { runTool, toolPath } from "./helpers/tools.js";

const run = promisify(execFile);
const NAMESPACE = "releasegate";
const POD_NAME = "rg-releasegate-6d5f8b7c9-x7k2p";
const APPLIED_KINDS = new Set(["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Service", "ValidatingWebhookConfiguration"]);

interface Rendered {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [field: string]: unknown;
}

interface Container {
  args: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }>;
  ports: Array<{ name: string; containerPort: number }>;
}

interface ServicePort {
  port: number;
  targetPort: number | string;
}

/** The container's environment as the kubelet builds it: literal values and the downward API fields a Deployment's pod has. */
function podEnvironment(container: Container): Record<string, string> {
  const env: Record<string, string> = {};
  const fields: Record<string, string> = { "metadata.namespace": NAMESPACE, "metadata.name": POD_NAME };
  for (const variable of container.env ?? []) {
    const fieldPath = variable.valueFrom?.fieldRef?.fieldPath;
    if (variable.value !== undefined) env[variable.name] = expand(variable.value, env);
    else if (fieldPath !== undefined && fields[fieldPath] !== undefined) env[variable.name] = fields[fieldPath];
    else throw new Error(`the test cannot give the pod ${variable.name} (${JSON.stringify(variable.valueFrom)}): teach podEnvironment`);
  }
  return env;
}

/** Kubernetes' $(VAR) expansion of args: known variables replaced, `$$` an escaped `$`, unknown references kept as written. */
function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$(\$|\(([^)]*)\))/g, (whole, token: string, name: string | undefined) => {
    if (token === "$") return "$";
    return name !== undefined && env[name] !== undefined ? env[name] : whole;
  });
}

function flag(args: string[], name: string): string {
  const value = args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  if (value === undefined) throw new Error(`the rendered args have no --${name}`);
  return value;
}

function httpsGet(port: number, path: string, ca: string, servername: string): Promise<number> {
  return new Promise((resolve, reject) => {
    https.get({ host: "127.0.0.1", port, path, ca, servername, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on("error", reject);
  });
}

/** `releasegate serve` as the container runs it; output kept for the log assertions. */
class ServeProcess {
  readonly child: ChildProcessWithoutNullStreams;
  output = "";
  readonly exit: Promise<number | null>;

  constructor(args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [binary, ...args], { cwd: repoRoot, env });
    this.child.stdout.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.exit = new Promise((resolve) => this.child.on("exit", (code) => resolve(code)));
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    return this.exit;
  }
}

describe("the chart's RBAC, webhook configuration and Deployment args, applied to an RBAC-enforcing sandbox", () => {
  let sandbox: Sandbox;
  let dir: string;
  let adminKubeconfig: string;
  let kubectlPath: string;
  let args: string[];
  let env: Record<string, string>;
  let serve: ServeProcess;
  let webhookPort: number;
  let metricsPort: number;
  let webhookConfigName: string;
  let serviceHost: string;
  let clusterRoleBinding: string;
  let serviceAccount: string;
  const admin = () => sandbox.kubeConfig();
  const kubectl = (...kubectlArgs: string[]) => runTool(kubectlPath, ["--kubeconfig", adminKubeconfig, ...kubectlArgs], { env: { HOME: dir } });

  beforeAll(async () => {
    [webhookPort, metricsPort] = [await freePort(), await freePort()];
    // Only the ports are chosen, through the chart's own values, so the args stay exactly as rendered.
    const { stdout } = await run(
      await toolPath("helm"),
      ["template", "rg", join(repoRoot, "charts/releasegate"), "--namespace", NAMESPACE, "--kube-version", SERVER_VERSION.gitVersion.replace(/-.*$/, ""), "--set", `webhook.port=${webhookPort}`, "--set", `metrics.port=${metricsPort}`],
      { cwd: repoRoot, maxBuffer: 32 * 1024 * 1024 },
    );
    const rendered = parseAllDocuments(stdout).map((d) => d.toJS() as Rendered | null).filter((o): o is Rendered => o !== null);
    const deployment = rendered.find((o) => o.kind === "Deployment") as Rendered & { spec: { template: { spec: { serviceAccountName: string; containers: Container[] } } } };
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0] as Container;
    serviceAccount = pod.serviceAccountName;
    env = podEnvironment(container);
    args = container.args.map((a) => expand(a, env));
    webhookConfigName = flag(args, "webhook-config-name");
    clusterRoleBinding = (rendered.find((o) => o.kind === "ClusterRoleBinding") as Rendered).metadata.name;

    // The Service as kube-proxy would route it: service port → targetPort (a container port name) → the pod.
    const service = rendered.find((o) => o.kind === "Service") as Rendered & { spec: { ports: ServicePort[] } };
    serviceHost = `${service.metadata.name}.${NAMESPACE}.svc`;
    const podPort = (target: number | string): number | undefined => (typeof target === "number" ? target : container.ports.find((p) => p.name === target)?.containerPort);
    sandbox = await startSandbox({
      authorization: "RBAC",
      serviceResolver: (ref) => {
        if (ref.namespace !== NAMESPACE || ref.name !== service.metadata.name) return undefined;
        const port = service.spec.ports.find((p) => p.port === (ref.port ?? 443));
        const target = port && podPort(port.targetPort);
        return target === undefined ? undefined : `https://127.0.0.1:${target}`;
      },
    });
    dir = await mkdtemp(join(tmpdir(), "releasegate-chart-e2e-"));
    adminKubeconfig = join(dir, "admin.kubeconfig");
    await sandbox.writeKubeconfig(adminKubeconfig);
    kubectlPath = await toolPath("kubectl");

    // `helm install --create-namespace`: the namespace, then the chart's objects.
    const chartObjects = join(dir, "chart.yaml");
    const namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } };
    await writeFile(chartObjects, [namespace, ...rendered.filter((o) => APPLIED_KINDS.has(o.kind))].map((o) => stringify(o)).join("---\n"));
    const applied = await kubectl("apply", "-f", chartObjects);
    expect(applied.stderr).toBe("");
    expect(applied.stdout.trim().split("\n")).toHaveLength(1 + APPLIED_KINDS.size);

    // What the pod has instead of its mounted token: a kubeconfig for its ServiceAccount.
    const podKubeconfig = join(dir, "pod.kubeconfig");
    await sandbox.writeKubeconfig(podKubeconfig, serviceAccountToken(NAMESPACE, serviceAccount));
    env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, ...env, RELEASEGATE_KUBECONFIG: podKubeconfig };
    serve = new ServeProcess(args, env);
  }, 60_000);

  afterAll(async () => {
    if (serve && serve.child.exitCode === null) serve.child.kill("SIGKILL");
    await sandbox?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // Generous bounds: a loaded machine starts node, generates keys and signs slowly; nothing here is timed.
  it("starts from the rendered args alone: creates its Secret, injects the caBundle, holds the Lease, becomes ready", { timeout: 60_000 }, async () => {
    expect(args.slice(0, 2)).toEqual(["serve", `--webhook-port=${webhookPort}`]);
    expect(args).toContain(`--namespace=${NAMESPACE}`);
    const caBundle = await eventually(
      async () => (await admin().makeApiClient(AdmissionregistrationV1Api).readValidatingWebhookConfiguration({ name: webhookConfigName })).webhooks?.[0]?.clientConfig.caBundle,
      { timeoutMs: 20_000, what: `caBundle injected into ${webhookConfigName} (serve output: ${serve.output})` },
    );
    const secret = await admin().makeApiClient(CoreV1Api).readNamespacedSecret({ namespace: NAMESPACE, name: flag(args, "tls-secret-name") });
    expect(secret.type).toBe("kubernetes.io/tls");
    expect(secret.data?.["ca.crt"]).toBe(caBundle);
    const ca = Buffer.from(caBundle, "base64").toString("utf8");
    // The serving certificate is valid for the rendered Service's name, which the API server verifies.
    await eventually(async () => (await httpsGet(webhookPort, "/readyz", ca, serviceHost)) === 200, { timeoutMs: 20_000, what: `/readyz (serve output: ${serve.output})` });
    const lease = await eventually(async () => {
      const l = await admin().makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: NAMESPACE, name: flag(args, "lease-name") });
      return l.spec?.holderIdentity === POD_NAME ? l : undefined;
    });
    expect(lease.spec?.holderIdentity).toBe(POD_NAME);
  });

  it("denies a dependency cycle applied with kubectl, through the rendered Service and webhook configuration", async () => {
    const releases = join(dir, "releases.yaml");
    await writeFile(releases, [helmRelease("redis"), helmRelease("backend", ["redis"])].map((o) => stringify(o)).join("---\n"));
    const first = await kubectl("apply", "-f", releases);
    expect(first.stderr).toBe("");
    expect(first.stdout).toBe("helmrelease.helm.toolkit.fluxcd.io/redis created\nhelmrelease.helm.toolkit.fluxcd.io/backend created\n");

    const cycle = join(dir, "cycle.yaml");
    await writeFile(cycle, stringify(helmRelease("redis", ["backend"])));
    const denied = await kubectl("apply", "-f", cycle);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('admission webhook "dependencies.releasegate.io" denied the request: dependency cycle default/redis → default/backend → default/redis');
  });

  it("opens a gate with a reconcile request and records Events, as the leader, under the chart's RBAC", async () => {
    const flux = new FluxClient(admin());
    await flux.create(helmRelease("db"));
    await flux.setStatus("db", [{ type: "Ready", status: "False", reason: "InstallFailed", message: "install retries exhausted" }]);
    await flux.create(helmRelease("api", ["db"]));
    await flux.waiting("api", "default/db");
    const blocked = await eventually(async () => (await flux.eventsFor("api")).find((e) => e.reason === "DependencyBlocked"), { what: "a DependencyBlocked Event for api" });
    expect(blocked.note).toContain("default/db");

    await flux.ready("db");
    const requestedAt = await eventually(async () => (await flux.get("api")).metadata.annotations?.[REQUESTED_AT], { what: `${REQUESTED_AT} on api` });
    expect(Number.isNaN(Date.parse(requestedAt))).toBe(false);
    await eventually(async () => (await flux.eventsFor("api")).some((e) => e.reason === "GateOpened"), { what: "a GateOpened Event for api" });
    // The patch succeeded as far as serve knows too (counted once its answer arrived).
    await eventually(async () => (findSamples(await scrape(metricsPort), "releasegate_reconcile_requests_total", { kind: "HelmRelease", result: "requested" })[0]?.value ?? 0) >= 1, {
      what: "a requested reconcile in the metrics",
    });
  });

  it("needed nothing the chart does not grant: no forbidden error in its logs, and it hands the Lease over on SIGTERM", async () => {
    expect(await serve.stop()).toBe(0);
    expect(serve.output).not.toMatch(/forbidden/i);
    expect(serve.output).toContain('"msg":"stopped"');
    const lease = await admin().makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: NAMESPACE, name: flag(args, "lease-name") });
    expect(lease.spec?.holderIdentity ?? "").toBe("");
  });

  it("while no replica answers, rejects a new object but lets a deletion and a Flux-style prune through", async () => {
    expect(serve.child.exitCode).toBe(0);
    const fresh = join(dir, "fresh.yaml");
    await writeFile(fresh, stringify(helmRelease("cache")));
    const created = await kubectl("apply", "-f", fresh);
    expect(created.code).toBe(1);
    expect(created.stderr).toContain('failed calling webhook "dependencies.releasegate.io"');
    // kubectl delete, then a prune as kustomize-controller does it (a DELETE through the API, here client-node).
    const deleted = await kubectl("delete", "helmrelease", "backend");
    expect(deleted.stderr).toBe("");
    expect(deleted.stdout).toContain('helmrelease.helm.toolkit.fluxcd.io "backend" deleted');
    const flux = new FluxClient(admin());
    const helmReleases = { group: "helm.toolkit.fluxcd.io", version: "v2", plural: "helmreleases", namespace: "default" };
    await flux.api.deleteNamespacedCustomObject({ ...helmReleases, name: "redis", propagationPolicy: "Background" });
    await expect(flux.get("redis")).rejects.toThrow(/404|not found/i);
  });

  it("without the ClusterRoleBinding, says which permission it lacks and never becomes ready", { timeout: 60_000 }, async () => {
    const deleted = await kubectl("delete", "clusterrolebinding", clusterRoleBinding);
    expect(deleted.stderr).toBe("");
    const unbound = new ServeProcess(args, env);
    // The log is JSON: quotes inside messages are escaped.
    const log = () => unbound.output.replace(/\\"/g, '"');
    const user = serviceAccountToken(NAMESPACE, serviceAccount);
    try {
      // Once it listens, its caches have been refused and its caBundle injection too; the Role still lets it read its Secret.
      await eventually(() => log().includes('"msg":"serving"'), { timeoutMs: 20_000, what: `serve listening (output: ${unbound.output})` });
      await eventually(() => log().includes("helmreleases.helm.toolkit.fluxcd.io is forbidden"), { what: `the refused list in the log (output: ${unbound.output})` });
      expect(log()).toContain(`helmreleases.helm.toolkit.fluxcd.io is forbidden: User "${user}" cannot list resource "helmreleases" in API group "helm.toolkit.fluxcd.io" at the cluster scope`);
      expect(log()).toContain(
        `validatingwebhookconfigurations.admissionregistration.k8s.io "${webhookConfigName}" is forbidden: User "${user}" cannot get resource "validatingwebhookconfigurations" in API group "admissionregistration.k8s.io" at the cluster scope`,
      );
      const caBundle = (await admin().makeApiClient(AdmissionregistrationV1Api).readValidatingWebhookConfiguration({ name: webhookConfigName })).webhooks?.[0]?.clientConfig.caBundle ?? "";
      expect(await httpsGet(webhookPort, "/readyz", Buffer.from(caBundle, "base64").toString("utf8"), serviceHost)).toBe(503);
      expect(findSamples(await scrape(metricsPort), "releasegate_cache_synced", { kind: "HelmRelease" })[0]?.value).toBe(0);
    } finally {
      unbound.child.kill("SIGKILL");
      await unbound.exit;
    }
  });
});
