// `releasegate serve` (the built binary) does not load @kubernetes/client-node when its kubeconfig holds a
// token, a client certificate or an exec plugin: a module hook records every module the process resolves,
// serve runs against the sandbox until /readyz answers 200, and the list is read (the hook seeing serve's
// own modules shows the check can fail).
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { AdmissionregistrationV1Api } from "@kubernetes/client-node";
import { dump as toYaml, load as parseYaml } from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateCertificateAuthority } from "../src/certs/generate.js";
import { freePort, sandboxWebhookConfiguration, SANDBOX_NAMESPACE } from "../src/cli/sandbox.js";
import { startSandbox } from "../src/sandbox/sandbox.js";
import type { Sandbox } from "../src/sandbox/sandbox.js";
import { binary, repoRoot } from "./helpers/cli.js";
import { eventually } from "./helpers/eventually.js";
import { helmRelease } from "./helpers/flux-client.js";

const HOOKS = `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.RELEASEGATE_TEST_MODULES_FILE, result.url + "\\n");
  return result;
}
`;

let sandbox: Sandbox;
let dir: string;
let register: string;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: SANDBOX_NAMESPACE } }, helmRelease("redis")] });
  dir = await mkdtemp(join(tmpdir(), "releasegate-modules-"));
  const hooks = join(dir, "hooks.mjs");
  await writeFile(hooks, HOOKS);
  register = join(dir, "register.mjs");
  await writeFile(register, `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
});

afterAll(async () => {
  await sandbox?.close();
  await rm(dir, { recursive: true, force: true });
});

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

/** Runs serve with `kubeconfig` until /readyz is 200; the modules it resolved by then. */
async function modulesOfServe(kubeconfig: string, name: string): Promise<string[]> {
  const modulesFile = join(dir, `${name}.modules`);
  await writeFile(modulesFile, "");
  const [webhookPort, metricsPort] = [await freePort(), await freePort()];
  const webhooks = sandbox.kubeConfig().makeApiClient(AdmissionregistrationV1Api);
  await webhooks.deleteValidatingWebhookConfiguration({ name: "releasegate" }).catch(() => undefined);
  await webhooks.createValidatingWebhookConfiguration({ body: sandboxWebhookConfiguration(webhookPort) });
  let output = "";
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", pathToFileURL(register).href, binary, "serve", "--kubeconfig", kubeconfig, "--webhook-port", String(webhookPort), "--metrics-port", String(metricsPort), "--ui-port", "0", "--bind-address", "127.0.0.1", "--namespace", SANDBOX_NAMESPACE, "--identity", name],
    { cwd: repoRoot, env: { ...process.env, RELEASEGATE_TEST_MODULES_FILE: modulesFile }, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  try {
    await eventually(async () => child.exitCode === null && (await readyz(webhookPort)) === 200, { timeoutMs: 60_000, intervalMs: 200, what: `serve ready (output: ${output.slice(-2000)})` });
    return (await readFile(modulesFile, "utf8")).split("\n").filter((line) => line !== "");
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once("exit", resolve)));
  }
}

const clientNode = (modules: string[]): string[] => modules.filter((url) => url.includes("/@kubernetes/client-node/"));

describe("serve's module graph", () => {
  it("leaves @kubernetes/client-node unloaded with the sandbox's token kubeconfig", async () => {
    const kubeconfig = join(dir, "token.kubeconfig");
    await sandbox.writeKubeconfig(kubeconfig);
    const modules = await modulesOfServe(kubeconfig, "token");
    // The hook saw serve's own modules, so an empty answer below means something.
    expect(modules.some((url) => url.endsWith("/dist/src/kube/kube-client.js"))).toBe(true);
    expect(modules.some((url) => url.endsWith("/dist/src/cli/serve.js"))).toBe(true);
    expect(clientNode(modules)).toEqual([]);
  });

  it("leaves it unloaded with a client certificate and a token file too", async () => {
    const kubeconfig = join(dir, "cert.kubeconfig");
    await sandbox.writeKubeconfig(kubeconfig);
    const doc = parseYaml(await readFile(kubeconfig, "utf8")) as { users: Array<{ user: Record<string, unknown> }> };
    // The sandbox authenticates by token; the certificate is offered on the TLS handshake as a user's would be.
    const client = generateCertificateAuthority("releasegate-test-user");
    await writeFile(join(dir, "token"), "sandbox-admin\n");
    await writeFile(join(dir, "user.crt"), client.certPem);
    doc.users[0]!.user = { tokenFile: "token", "client-certificate": "user.crt", "client-key-data": Buffer.from(client.keyPem).toString("base64") };
    await writeFile(kubeconfig, toYaml(doc));
    const modules = await modulesOfServe(kubeconfig, "tokenfile");
    expect(clientNode(modules)).toEqual([]);
  });

  it("leaves it unloaded for an exec-plugin kubeconfig too (src/kube runs the plugin), and serve becomes ready", async () => {
    const plugin = join(dir, "credential-plugin.mjs");
    await writeFile(plugin, `#!${process.execPath}\nprocess.stdout.write(JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: { token: "sandbox-admin", expirationTimestamp: new Date(Date.now() + 3600_000).toISOString() } }));\n`);
    await chmod(plugin, 0o755);
    const kubeconfig = join(dir, "exec.kubeconfig");
    await sandbox.writeKubeconfig(kubeconfig);
    const doc = parseYaml(await readFile(kubeconfig, "utf8")) as { users: Array<{ user: Record<string, unknown> }> };
    doc.users[0]!.user = { exec: { apiVersion: "client.authentication.k8s.io/v1", command: plugin, interactiveMode: "Never" } };
    await writeFile(kubeconfig, toYaml(doc));
    const modules = await modulesOfServe(kubeconfig, "exec");
    expect(modules.some((url) => url.endsWith("/dist/src/kube/exec-credential.js"))).toBe(true);
    expect(clientNode(modules)).toEqual([]);
  });
});
