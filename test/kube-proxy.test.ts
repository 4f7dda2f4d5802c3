// `serve`, `why` and the real kubectl through an HTTP CONNECT proxy, from one kubeconfig: named by the
// cluster's proxy-url, and by HTTPS_PROXY (with NO_PROXY honoured). The API server's address is a name
// only the proxy resolves (kubernetes.default.svc), so a connection that went around the proxy could
// not reach it at all: every request that succeeded was seen by the proxy, and the proxy lists its
// tunnels. The kubeconfig impersonates one user (as, as-groups); the sandbox's audit log shows that
// serve, why and kubectl all acted as that user.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AdmissionregistrationV1Api } from "@kubernetes/client-node";
import { dump as toYaml, load as parseYaml } from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, sandboxWebhookConfiguration, SANDBOX_NAMESPACE } from "../src/cli/sandbox.js";
import { startSandbox } from "../src/sandbox/sandbox.js";
import type { Sandbox } from "../src/sandbox/sandbox.js";
import { binary, repoRoot } from "./helpers/cli.js";
import { startConnectProxy, startSocksProxy } from "./helpers/connect-proxy.js";
import type { ConnectProxy } from "./helpers/connect-proxy.js";
import { eventually } from "./helpers/eventually.js";
import { helmRelease } from "./helpers/flux-client.js";
import { bundledKubectl, runTool } from "./helpers/tools.js";
import { connectKube } from "../src/kube/index.js";

const API_NAME = "kubernetes.default.svc";

let sandbox: Sandbox;
let proxy: ConnectProxy;
let dir: string;
let apiPort: string;

beforeAll(async () => {
  sandbox = await startSandbox({
    seed: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: SANDBOX_NAMESPACE } }, helmRelease("redis"), helmRelease("backend", ["redis"])],
  });
  apiPort = new URL(sandbox.url).port;
  proxy = await startConnectProxy({ hosts: { [API_NAME]: "127.0.0.1" }, credentials: "ci:secret" });
  dir = await mkdtemp(join(tmpdir(), "releasegate-proxy-"));
});

afterAll(async () => {
  await proxy?.close();
  await sandbox?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The sandbox's kubeconfig, its server renamed to a name only the proxy resolves, impersonating jane. */
async function kubeconfigFile(name: string, cluster: Record<string, unknown>): Promise<string> {
  const file = join(dir, name);
  await sandbox.writeKubeconfig(file);
  const doc = parseYaml(await readFile(file, "utf8")) as { clusters: Array<{ cluster: Record<string, unknown> }>; users: Array<{ user: Record<string, unknown> }> };
  doc.clusters[0]!.cluster = { ...doc.clusters[0]!.cluster, server: `https://${API_NAME}:${apiPort}`, ...cluster };
  doc.users[0]!.user = { ...doc.users[0]!.user, as: "jane", "as-groups": ["platform"] };
  await writeFile(file, toYaml(doc));
  return file;
}

function readyz(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = https.get(`https://127.0.0.1:${port}/readyz`, { rejectUnauthorized: false, agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
  });
}

/** Runs serve with `kubeconfig` and `env` until /readyz is 200, then stops it. */
async function serveUntilReady(kubeconfig: string, env: NodeJS.ProcessEnv, identity: string): Promise<void> {
  const [webhookPort, metricsPort] = [await freePort(), await freePort()];
  const webhooks = sandbox.kubeConfig().makeApiClient(AdmissionregistrationV1Api);
  await webhooks.deleteValidatingWebhookConfiguration({ name: "releasegate" }).catch(() => undefined);
  await webhooks.createValidatingWebhookConfiguration({ body: sandboxWebhookConfiguration(webhookPort) });
  let output = "";
  const child: ChildProcess = spawn(
    process.execPath,
    [binary, "serve", "--kubeconfig", kubeconfig, "--webhook-port", String(webhookPort), "--metrics-port", String(metricsPort), "--ui-port", "0", "--bind-address", "127.0.0.1", "--namespace", SANDBOX_NAMESPACE, "--identity", identity],
    { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  try {
    await eventually(async () => child.exitCode === null && (await readyz(webhookPort)) === 200, { timeoutMs: 60_000, intervalMs: 200, what: `serve ready (output: ${output.slice(-2000)})` });
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once("exit", resolve)));
  }
}

function runWhy(kubeconfig: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binary, "why", "HelmRelease/default/backend", "--kubeconfig", kubeconfig, "--timeout", "20"], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Audit entries from `since` on whose user agent starts with `agent`. */
function requestsBy(agent: string, since: number): Array<{ user: string; impersonatedUser?: string; impersonatedGroups?: string[] }> {
  return sandbox.auditLog().slice(since).filter((e) => e.userAgent.startsWith(agent));
}

/** No environment proxy settings of the machine running the tests leak into the child processes. */
const CLEAN_ENV = { HTTPS_PROXY: "", https_proxy: "", HTTP_PROXY: "", http_proxy: "", NO_PROXY: "", no_proxy: "", KUBECONFIG: "" };

describe.each([
  { how: "proxy-url", cluster: () => ({ "proxy-url": `http://ci:secret@127.0.0.1:${proxy.port}` }), env: (): Record<string, string> => CLEAN_ENV },
  { how: "HTTPS_PROXY", cluster: () => ({}), env: (): Record<string, string> => ({ ...CLEAN_ENV, HTTPS_PROXY: `http://ci:secret@127.0.0.1:${proxy.port}`, NO_PROXY: "example.com,10.0.0.0/8" }) },
])("through an HTTP CONNECT proxy named by $how", ({ how, cluster, env }) => {
  it("serve becomes ready, why answers, kubectl lists: every connection through the proxy, all as the impersonated user", async () => {
    const kubeconfig = await kubeconfigFile(`${how}.kubeconfig`, cluster());
    const tunnelsBefore = proxy.tunnels.length;
    let since = sandbox.auditLog().length;
    await serveUntilReady(kubeconfig, env(), `proxy-${how}`);
    const serveTunnels = proxy.tunnels.length - tunnelsBefore;
    expect(serveTunnels).toBeGreaterThan(0);
    const serveRequests = requestsBy("releasegate", since);
    expect(serveRequests.length).toBeGreaterThan(serveTunnels - 1);
    expect(new Set(serveRequests.map((e) => `${e.user} as ${e.impersonatedUser ?? "-"} in ${(e.impersonatedGroups ?? []).join(",")}`))).toEqual(new Set(["sandbox-admin as jane in platform,system:authenticated"]));

    since = sandbox.auditLog().length;
    const why = await runWhy(kubeconfig, env());
    expect(why.stderr).toBe("");
    expect([0, 1]).toContain(why.code);
    expect(why.stdout).toContain("backend");
    const whyRequests = requestsBy("releasegate", since);
    expect(whyRequests.length).toBeGreaterThan(0);
    expect(new Set(whyRequests.map((e) => e.impersonatedUser))).toEqual(new Set(["jane"]));

    since = sandbox.auditLog().length;
    const kubectl = await runTool(bundledKubectl(), ["--kubeconfig", kubeconfig, "get", "helmreleases", "-A", "-o", "name"], { env: { HOME: dir, ...env() } });
    expect(kubectl.stderr).toBe("");
    expect(kubectl.stdout).toContain("helmrelease.helm.toolkit.fluxcd.io/backend");
    expect(new Set(requestsBy("kubectl", since).map((e) => e.impersonatedUser))).toEqual(new Set(["jane"]));
    // Every tunnel went to the API server's name: nothing was resolved or connected around the proxy.
    expect(new Set(proxy.tunnels.slice(tunnelsBefore))).toEqual(new Set([`${API_NAME}:${apiPort}`]));
    expect(proxy.refused).toEqual([]);
  });
});

describe("NO_PROXY", () => {
  it("sends a host it names around the proxy, as kubectl does (here: unreachable, the name only resolves at the proxy)", async () => {
    const kubeconfig = await kubeconfigFile("no-proxy.kubeconfig", {});
    const env = { ...CLEAN_ENV, HTTPS_PROXY: `http://ci:secret@127.0.0.1:${proxy.port}`, NO_PROXY: `.default.svc` };
    const tunnelsBefore = proxy.tunnels.length;
    const why = await runWhy(kubeconfig, env);
    expect(why.code).toBe(2);
    expect(why.stderr).toMatch(/cannot reach the Kubernetes API/);
    const kubectl = await runTool(bundledKubectl(), ["--kubeconfig", kubeconfig, "get", "helmreleases", "-A", "--request-timeout", "5s"], { env: { HOME: dir, ...env } });
    expect(kubectl.code).not.toBe(0);
    expect(proxy.tunnels.length).toBe(tunnelsBefore);
  });
});

describe("a socks5 proxy-url", () => {
  it("carries src/kube's and kubectl's connections alike", async () => {
    const socks = await startSocksProxy({ hosts: { [API_NAME]: "127.0.0.1" } });
    try {
      const kubeconfig = await kubeconfigFile("socks.kubeconfig", { "proxy-url": socks.url });
      const { client } = await connectKube({ kubeconfig, env: CLEAN_ENV });
      const list = await client.get<{ items: unknown[] }>("/apis/helm.toolkit.fluxcd.io/v2/namespaces/default/helmreleases");
      client.close();
      expect(list.items).toHaveLength(2);
      const ours = socks.tunnels.length;
      expect(ours).toBeGreaterThan(0);
      const kubectl = await runTool(bundledKubectl(), ["--kubeconfig", kubeconfig, "get", "helmreleases", "-A", "-o", "name"], { env: { HOME: dir, ...CLEAN_ENV } });
      expect(kubectl.stderr).toBe("");
      expect(kubectl.stdout).toContain("helmrelease.helm.toolkit.fluxcd.io/redis");
      expect(socks.tunnels.length).toBeGreaterThan(ours);
      expect(new Set(socks.tunnels)).toEqual(new Set([`${API_NAME}:${apiPort}`]));
    } finally {
      await socks.close();
    }
  });
});
