// `releasegate sandbox --serve=false`: the API alone, its webhooks registered for a releasegate run as
// its own process. Through the real kubectl: while releasegate is down (nothing listens at the webhook
// URL), a delete and a Flux-style prune of several objects succeed (the DELETE webhook has
// failurePolicy Ignore) while a create is refused (failurePolicy Fail); then `releasegate serve` started
// beside it with the serving certificate the sandbox wrote answers the webhooks.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AdmissionregistrationV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, SANDBOX_NAMESPACE, startSandboxApi } from "../src/cli/sandbox.js";
import type { SandboxApi } from "../src/cli/sandbox.js";
import { binary } from "./helpers/cli.js";
import { eventually } from "./helpers/eventually.js";
import { helmRelease } from "./helpers/flux-client.js";
import { bundledKubectl, runTool } from "./helpers/tools.js";

describe("sandbox --serve=false", () => {
  let api: SandboxApi;
  let work: string;
  let kubeconfig: string;
  let port: number;
  let serve: ChildProcess | undefined;
  const kubectl = (args: string[], stdin?: string) =>
    runTool(bundledKubectl(), ["--kubeconfig", kubeconfig, ...args], { env: { HOME: work }, ...(stdin !== undefined ? { stdin } : {}) });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "sandbox-serve-false-"));
    kubeconfig = join(work, "kubeconfig");
    port = await freePort();
    api = await startSandboxApi({
      seed: ["redis", "a", "b", "c"].map((n) => helmRelease(n)),
      kubeconfigOut: kubeconfig,
      webhookUrl: `https://127.0.0.1:${port}/validate`,
      simulateFlux: false,
    });
  });
  afterAll(async () => {
    if (serve && serve.exitCode === null) {
      const exited = new Promise((resolve) => serve?.once("exit", resolve));
      serve.kill("SIGTERM");
      await exited;
    }
    await api?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("registers two webhooks at the URL, with the caBundle of the certificate it wrote", async () => {
    const config = await api.sandbox.kubeConfig().makeApiClient(AdmissionregistrationV1Api).readValidatingWebhookConfiguration({ name: "releasegate" });
    expect(config.webhooks?.map((w) => [w.name, w.failurePolicy, w.rules?.[0]?.operations, w.clientConfig.url])).toEqual([
      ["dependencies.releasegate.io", "Fail", ["CREATE", "UPDATE"], `https://127.0.0.1:${port}/validate`],
      ["deletions.releasegate.io", "Ignore", ["DELETE"], `https://127.0.0.1:${port}/validate`],
    ]);
    expect(config.webhooks?.[0]?.rules?.map((r) => r.resources?.[0])).toEqual(["helmreleases", "kustomizations", "resourcesets"]);
    expect(config.webhooks?.every((w) => (w.clientConfig.caBundle ?? "") !== "")).toBe(true);
    expect(api.servingCert?.certFile).toBe(join(work, "webhook-tls.crt"));
  });

  it("with releasegate down: kubectl delete and a prune of several objects succeed, a create is refused", async () => {
    const one = await kubectl(["delete", "helmrelease", "redis"]);
    expect(one.stderr).toBe("");
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('helmrelease.helm.toolkit.fluxcd.io "redis" deleted');
    const prune = await kubectl(["delete", "helmrelease", "a", "b", "c"]);
    expect(prune.code).toBe(0);
    expect(prune.stdout.trim().split("\n")).toHaveLength(3);

    const file = join(work, "new.yaml");
    writeFileSync(file, JSON.stringify(helmRelease("new")));
    const create = await kubectl(["create", "-f", file]);
    expect(create.code).toBe(1);
    expect(create.stderr).toContain('failed calling webhook "dependencies.releasegate.io"');
    expect(create.stderr).toContain("connection refused");
  });

  it("answers through `releasegate serve` started beside it with the certificate the sandbox wrote", async () => {
    const cert = api.servingCert!;
    serve = spawn(
      process.execPath,
      [binary, "serve", "--kubeconfig", kubeconfig, "--namespace", SANDBOX_NAMESPACE, "--bind-address", "127.0.0.1", "--webhook-port", String(port),
        "--metrics-port", String(await freePort()), "--cert-mode", "files", "--tls-cert-file", cert.certFile, "--tls-key-file", cert.keyFile, "--identity", "beside", "--log-level", "error"],
      { stdio: "ignore" },
    );
    const file = join(work, "loop.yaml");
    writeFileSync(file, JSON.stringify(helmRelease("loop", ["loop"])));
    const denied = await eventually(async () => {
      const r = await kubectl(["create", "-f", file]);
      return r.stderr.includes("denied the request") ? r : undefined;
    }, { timeoutMs: 30_000, what: "serve denying a self-dependency" });
    expect(denied.stderr).toContain('admission webhook "dependencies.releasegate.io" denied the request');
  });
});
