// A kubeconfig `exec` credential plugin run as client-go runs it (docs/architecture.md, "The Kubernetes
// transport"; client-go's plugin/pkg/client/auth/exec): the command with the kubeconfig's args and env
// added to ours, KUBERNETES_EXEC_INFO holding an ExecCredential (spec.interactive, and spec.cluster when
// provideClusterInfo is set), stdin handed over only in interactive mode (Never: never; IfAvailable:
// when stdin is a terminal; Always: a terminal is required). The answer is an ExecCredential of the same
// apiVersion with a token or a client certificate and key; it is used until its expirationTimestamp,
// then the plugin runs again, and at once after a 401. Concurrent callers share one run.
import { spawn } from "node:child_process";
import type { ExecClusterInfo, ExecConfig } from "./kubeconfig.js";
import { isRecord } from "../runtime/json.js";

interface ExecCredential {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  /** Milliseconds since the epoch; undefined: valid until the server says 401. */
  expiresAt?: number;
}

/** The longest a plugin may run (a login flow in interactive mode gets the same bound). */
const EXEC_PLUGIN_TIMEOUT_MS = 120_000;
const MAX_OUTPUT_BYTES = 1024 * 1024;

export class ExecCredentialSource {
  private cached: ExecCredential | undefined;
  private running: Promise<ExecCredential> | undefined;

  constructor(
    private readonly exec: ExecConfig,
    private readonly cluster: ExecClusterInfo,
    private readonly options: { now?: () => number; stdinIsTerminal?: boolean; env?: NodeJS.ProcessEnv } = {},
  ) {}

  /** The current credential, running the plugin when there is none or it has expired. */
  get(): Promise<ExecCredential> {
    const now = (this.options.now ?? Date.now)();
    const cached = this.cached;
    if (cached !== undefined && (cached.expiresAt === undefined || cached.expiresAt > now)) return Promise.resolve(cached);
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** The server refused the credential: the next get() runs the plugin again. */
  invalidate(): void {
    this.cached = undefined;
  }

  private async run(): Promise<ExecCredential> {
    const terminal = this.options.stdinIsTerminal ?? process.stdin.isTTY === true;
    const mode = this.exec.interactiveMode;
    if (mode === "Always" && !terminal) {
      throw new Error(`exec plugin "${this.exec.command}" is configured to use interactive mode (interactiveMode: Always), but standard input is not a terminal`);
    }
    const interactive = mode !== "Never" && terminal;
    const info = {
      apiVersion: this.exec.apiVersion,
      kind: "ExecCredential",
      spec: { interactive, ...(this.exec.provideClusterInfo ? { cluster: this.cluster } : {}) },
    };
    const env: NodeJS.ProcessEnv = { ...(this.options.env ?? process.env), KUBERNETES_EXEC_INFO: JSON.stringify(info) };
    for (const { name, value } of this.exec.env) env[name] = value;
    const output = await runPlugin(this.exec, env, interactive);
    const credential = parseExecCredential(output, this.exec.apiVersion, this.exec.command);
    this.cached = credential;
    return credential;
  }
}

function runPlugin(exec: ExecConfig, env: NodeJS.ProcessEnv, interactive: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(exec.command, exec.args, { env, stdio: [interactive ? "inherit" : "ignore", "pipe", interactive ? "inherit" : "pipe"] });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = "";
    let settled = false;
    const finish = (error: Error | undefined, text?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error !== undefined) reject(error);
      else resolve(text ?? "");
    };
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      finish(new Error(`exec plugin "${exec.command}" did not finish within ${EXEC_PLUGIN_TIMEOUT_MS / 1000} s`));
    }, EXEC_PLUGIN_TIMEOUT_MS);
    child.stdout?.on("data", (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > MAX_OUTPUT_BYTES) {
        child.kill("SIGKILL");
        finish(new Error(`exec plugin "${exec.command}" wrote more than ${MAX_OUTPUT_BYTES} bytes`));
        return;
      }
      out.push(chunk);
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      if (err.length < 4096) err += chunk.toString("utf8");
    });
    child.on("error", (error: NodeJS.ErrnoException) => {
      const hint = exec.installHint !== undefined ? `; ${exec.installHint.trim().split("\n", 1)[0] ?? ""}` : "";
      if (error.code === "ENOENT") finish(new Error(`exec plugin "${exec.command}" not found${hint}`));
      else finish(new Error(`exec plugin "${exec.command}": ${error.message}`));
    });
    child.on("close", (code, signal) => {
      if (code !== 0) {
        const last = err.trim().split("\n").pop() ?? "";
        finish(new Error(`exec plugin "${exec.command}" failed (${signal ?? `exit ${code ?? "?"}`})${last !== "" ? `: ${last}` : ""}`));
        return;
      }
      finish(undefined, Buffer.concat(out).toString("utf8"));
    });
  });
}

/** The plugin's answer, checked as client-go checks it. */
function parseExecCredential(text: string, apiVersion: string, command: string): ExecCredential {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(`exec plugin "${command}" did not print an ExecCredential (not JSON)`);
  }
  if (!isRecord(doc) || doc["kind"] !== "ExecCredential") throw new Error(`exec plugin "${command}" did not print an ExecCredential`);
  if (doc["apiVersion"] !== apiVersion) throw new Error(`exec plugin "${command}" answered ${String(doc["apiVersion"])}, not ${apiVersion} as configured`);
  const status = doc["status"];
  if (!isRecord(status)) throw new Error(`exec plugin "${command}" answered an ExecCredential without status`);
  const token = typeof status["token"] === "string" && status["token"] !== "" ? status["token"] : undefined;
  const cert = typeof status["clientCertificateData"] === "string" && status["clientCertificateData"] !== "" ? status["clientCertificateData"] : undefined;
  const key = typeof status["clientKeyData"] === "string" && status["clientKeyData"] !== "" ? status["clientKeyData"] : undefined;
  if ((cert === undefined) !== (key === undefined)) throw new Error(`exec plugin "${command}" answered a client certificate without a key, or a key without a certificate`);
  if (token === undefined && cert === undefined) throw new Error(`exec plugin "${command}" answered neither a token nor a client certificate`);
  let expiresAt: number | undefined;
  if (typeof status["expirationTimestamp"] === "string" && status["expirationTimestamp"] !== "") {
    expiresAt = Date.parse(status["expirationTimestamp"]);
    if (Number.isNaN(expiresAt)) throw new Error(`exec plugin "${command}": expirationTimestamp "${status["expirationTimestamp"]}" is not a time`);
  }
  return {
    ...(token !== undefined ? { token } : {}),
    ...(cert !== undefined && key !== undefined ? { clientCertificateData: cert, clientKeyData: key } : {}),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  };
}
