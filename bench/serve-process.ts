// `releasegate serve` as its own process, started the way a user starts it (the built CLI, its
// defaults, only the flags a user must give), for the benchmarks: its RSS and CPU are its own.
import { execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import https from "node:https";
import { fileURLToPath } from "node:url";

export const CLI = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));

export interface ServeProcessOptions {
  kubeconfig: string;
  webhookPort: number;
  metricsPort: number;
  /** Further flags (certificates, namespace ...). */
  flags?: string[];
  /** Flags for node itself (--cpu-prof, --import ...). */
  nodeFlags?: string[];
  env?: NodeJS.ProcessEnv;
  /** Called with every line serve logs on stdout. */
  onLine?: (line: string) => void;
}

export interface ServeProcess {
  child: ChildProcess;
  pid: number;
  /** SIGTERM, as Kubernetes stops a pod; SIGKILL after `timeoutMs`. Resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
}

let helpText: string | undefined;

/** Whether this build's serve has a flag (flags added by other work may not have landed yet). */
export function serveHasFlag(flag: string): boolean {
  helpText ??= execFileSync(process.execPath, [CLI, "serve", "--help"], { encoding: "utf8" });
  return helpText.includes(`--${flag} `) || helpText.includes(`--${flag}\n`) || helpText.includes(`--${flag}=`);
}

/**
 * The flags this machine forces on every run: ports of our own (the machine is shared, 9443 and 8080
 * may be taken), loopback only, and the graph page off when this build has one.
 */
export function serveFlags(options: ServeProcessOptions): string[] {
  const flags = ["serve", "--kubeconfig", options.kubeconfig, "--webhook-port", String(options.webhookPort), "--metrics-port", String(options.metricsPort), "--bind-address", "127.0.0.1"];
  if (serveHasFlag("ui-port")) flags.push("--ui-port", "0");
  return [...flags, ...(options.flags ?? [])];
}

/**
 * The environment the container image gives serve: the `ENV NAME=value` lines of the Dockerfile's last
 * stage (MALLOC_ARENA_MAX, NODE_OPTIONS with its V8 heap flags, ...), each overridden by the caller's own
 * variable of that name when set (NODE_OPTIONS= runs serve without the image's V8 flags).
 */
export function imageEnvironment(): Record<string, string> {
  const dockerfile = readFileSync(new URL("../../Dockerfile", import.meta.url), "utf8");
  const lastStage = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
  const env: Record<string, string> = {};
  for (const [, name, quoted, plain] of lastStage.matchAll(/^ENV ([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"]*)"|(\S*))\s*$/gm)) {
    env[name!] = process.env[name!] ?? quoted ?? plain ?? "";
  }
  return env;
}

/** serve as its own process, in the image's environment (imageEnvironment) unless `options.env` says otherwise. */
export function startServe(options: ServeProcessOptions): ServeProcess {
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), CLI, ...serveFlags(options)], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...imageEnvironment(), ...(options.env ?? {}) },
  });
  let buffered = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      options.onLine?.(line);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    pid: child.pid!,
    async stop(timeoutMs = 20_000) {
      if (child.exitCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export function httpsStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = https.get(url, { rejectUnauthorized: false, agent: false, timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
  });
}

/** Waits for /readyz 200; the time from now in ms. */
export async function waitReady(serve: ServeProcess, webhookPort: number, timeoutMs = 300_000): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (serve.child.exitCode !== null) throw new Error(`serve exited with ${serve.child.exitCode} before /readyz`);
    if ((await httpsStatus(`https://127.0.0.1:${webhookPort}/readyz`)) === 200) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`serve not ready after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function metricsText(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

export interface ProcStatus {
  rss: number;
  rssAnon: number;
  rssFile: number;
  threads: number;
}

/** VmRSS and its anonymous / file-backed parts (the node binary's pages count as file). */
export function procStatus(pid: number): ProcStatus {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kib("VmRSS"), rssAnon: kib("RssAnon"), rssFile: kib("RssFile") + kib("RssShmem"), threads: Number(/Threads:\s+(\d+)/.exec(status)?.[1] ?? NaN) };
}

/** User + system CPU seconds of a process so far (from /proc/PID/stat, clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

/**
 * RSS by kind of mapping, from /proc/PID/smaps: the brk heap (small malloc blocks), anonymous mappings
 * (V8's heap pages, large malloc blocks, thread stacks), and files (the node binary, libraries).
 */
export function rssByMapping(pid: number): { brkHeap: number; anonymous: number; files: number; largestAnonymous: number[] } {
  const text = readFileSync(`/proc/${pid}/smaps`, "utf8");
  let kind: "brkHeap" | "anonymous" | "files" = "anonymous";
  const out = { brkHeap: 0, anonymous: 0, files: 0 };
  const anonymous: number[] = [];
  for (const line of text.split("\n")) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header !== null) {
      const name = header[1] ?? "";
      kind = name === "[heap]" ? "brkHeap" : name === "" || name.startsWith("[") ? "anonymous" : "files";
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss !== null) {
      const bytes = Number(rss[1]) * 1024;
      out[kind] += bytes;
      if (kind === "anonymous") anonymous.push(bytes);
    }
  }
  return { ...out, largestAnonymous: anonymous.sort((a, b) => b - a).slice(0, 5) };
}
