// `releasegate serve` as the binary runs in a pod: against the sandbox through a kubeconfig file,
// settings from flags and environment, JSON logs, readiness, metrics on their own port, leader
// Lease, and a graceful stop on SIGTERM that releases the Lease.
import { spawn } from "node:child_process";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AdmissionregistrationV1Api, CoordinationV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, sandboxWebhookConfiguration, SANDBOX_NAMESPACE } from "../src/cli/sandbox.js";
import { startSandbox } from "../src/sandbox/sandbox.js";
import type { Sandbox } from "../src/sandbox/sandbox.js";
import { main } from "../src/cli/main.js";
import { binary, repoRoot } from "./helpers/cli.js";
import { eventually } from "./helpers/eventually.js";
import { FluxClient, helmRelease } from "./helpers/flux-client.js";
import { findSamples, scrape } from "./helpers/metrics-text.js";

function get(url: string, ca?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ...(ca ? { ca } : { rejectUnauthorized: false }), agent: false }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
  });
}

describe("releasegate serve (the binary)", () => {
  let sandbox: Sandbox;
  let dir: string;
  let child: ChildProcessWithoutNullStreams;
  let stdout = "";
  let stderr = "";
  let exit: Promise<number | null>;
  let webhookPort: number;
  let metricsPort: number;

  beforeAll(async () => {
    sandbox = await startSandbox({
      seed: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: SANDBOX_NAMESPACE } }, helmRelease("redis")],
    });
    dir = await mkdtemp(join(tmpdir(), "releasegate-serve-"));
    const kubeconfig = join(dir, "kubeconfig");
    await sandbox.writeKubeconfig(kubeconfig);
    [webhookPort, metricsPort] = [await freePort(), await freePort()];
    await sandbox.kubeConfig().makeApiClient(AdmissionregistrationV1Api).createValidatingWebhookConfiguration({ body: sandboxWebhookConfiguration(webhookPort) });
    child = spawn(
      process.execPath,
      [binary, "serve", "--kubeconfig", kubeconfig, "--webhook-port", String(webhookPort), "--bind-address", "127.0.0.1", "--lease-duration", "3s", "--lease-renew-deadline", "2s", "--lease-retry-period", "500ms"],
      {
        cwd: repoRoot,
        env: {
          ...process.env,
          RELEASEGATE_METRICS_PORT: String(metricsPort),
          RELEASEGATE_NAMESPACE: SANDBOX_NAMESPACE,
          RELEASEGATE_IDENTITY: "serve-test",
          RELEASEGATE_MISSING_DEPENDENCIES: "warn",
          RELEASEGATE_LOG_LEVEL: "info",
        },
      },
    );
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    exit = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  });
  afterAll(async () => {
    if (child.exitCode === null) child.kill("SIGKILL");
    await sandbox?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("becomes ready once its caches synced, serving a certificate the injected caBundle verifies", async () => {
    const caBundle = await eventually(async () => {
      const config = await sandbox.kubeConfig().makeApiClient(AdmissionregistrationV1Api).readValidatingWebhookConfiguration({ name: "releasegate" });
      return config.webhooks?.[0]?.clientConfig.caBundle;
    }, { timeoutMs: 30_000, what: `caBundle injected (stderr: ${stderr})` });
    const ca = Buffer.from(caBundle, "base64").toString("utf8");
    const ready = await eventually(async () => {
      const res = await get(`https://127.0.0.1:${webhookPort}/readyz`, ca);
      return res.status === 200 ? res : undefined;
    }, { timeoutMs: 30_000 });
    expect(ready.body).toBe("ok\n");
    expect((await get(`https://127.0.0.1:${webhookPort}/healthz`, ca)).status).toBe(200);
    // Metrics live on their own plain-HTTP port, never on the webhook's.
    expect((await get(`https://127.0.0.1:${webhookPort}/metrics`, ca)).status).toBe(404);
    const samples = await scrape(metricsPort);
    expect(findSamples(samples, "releasegate_cache_synced", { kind: "HelmRelease" })[0]?.value).toBe(1);
  });

  it("takes its policy from the environment (missing dependencies: warn) and leads", async () => {
    const flux = new FluxClient(sandbox.kubeConfig());
    await flux.create(helmRelease("backend", ["redsi"]));
    await eventually(async () => findSamples(await scrape(metricsPort), "releasegate_release_blocked", { name: "backend", reason: "Missing" }).length === 1);
    const lease = await eventually(async () => {
      const l = await sandbox.kubeConfig().makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: SANDBOX_NAMESPACE, name: "releasegate-leader" });
      return l.spec?.holderIdentity === "serve-test" ? l : undefined;
    });
    expect(lease.spec?.leaseDurationSeconds).toBe(3);
  });

  it("logs one JSON object a line, with no secret in it", () => {
    const lines = stdout.split("\n").filter((l) => l !== "");
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(typeof entry.msg).toBe("string");
      expect(["debug", "info", "warn", "error"]).toContain(entry.level);
      expect(typeof entry.time).toBe("string");
    }
    expect(stdout).not.toContain("PRIVATE KEY");
    expect(stdout).not.toContain("sandbox-admin");
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toContain("became leader");
  });

  it("stops on SIGTERM: exits 0 and hands the Lease over", async () => {
    child.kill("SIGTERM");
    expect(await exit).toBe(0);
    expect(stdout).toContain('"msg":"stopped"');
    const lease = await sandbox.kubeConfig().makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: SANDBOX_NAMESPACE, name: "releasegate-leader" });
    expect(lease.spec?.holderIdentity ?? "").toBe("");
  });

  it("refuses bad settings with one line and exit status 2", async () => {
    let out = "";
    let err = "";
    const io = { stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t), stdin: process.stdin };
    expect(await main(["serve", "--cert-mode", "files"], io)).toBe(2);
    expect(err.trim().split("\n")).toHaveLength(1);
    expect(err).toContain("--cert-mode files needs --tls-cert-file");
    expect(await main(["serve", "--help"], io)).toBe(0);
    expect(out).toContain("RELEASEGATE_MISSING_DEPENDENCIES");
  });
});
