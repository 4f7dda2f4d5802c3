// The chart's Flux install examples (charts/releasegate/examples): applied with the real kubectl
// (server-side, strict field validation) to the sandbox serving the real HelmRelease CRD from
// ../shared/fixtures, with releasegate's webhook answering; their HelmRelease values rendered by helm with
// the chart, so a value the chart does not have fails here; and `releasegate check` on them.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { startSandboxEnvironment } from "../src/cli/sandbox.js";
import type { SandboxEnvironment } from "../src/cli/sandbox.js";
import { readCrdDocuments } from "../src/sandbox/crd-files.js";
import { repoRoot, runCli } from "./helpers/cli.js";
import { quietLogger } from "./helpers/quiet-logger.js";
import { runTool, toolPath } from "./helpers/tools.js";

const FLUX = "../shared/fixtures/flux";
const haveShared = existsSync(FLUX);
if (!haveShared) {
  if (process.env.CI === "true") throw new Error(`${FLUX} is missing: CI needs ../shared/fixtures`);
  console.log(`skipping the Flux install example tests: ${FLUX} not found (../shared/fixtures is absent)`);
}

const run = promisify(execFile);
const chart = join(repoRoot, "charts/releasegate");
const examples = join(chart, "examples");

interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: { values?: unknown; ingress?: Array<{ from?: unknown[] }> };
}

async function docsOf(file: string): Promise<Doc[]> {
  return parseAllDocuments(await readFile(file, "utf8")).map((d) => d.toJS() as Doc);
}

describe.skipIf(!haveShared)("installing the chart with Flux (charts/releasegate/examples)", () => {
  let env: SandboxEnvironment;
  let work = "";
  let kubeconfig = "";
  let files: string[] = [];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "releasegate-flux-install-"));
    kubeconfig = join(work, "kubeconfig");
    env = await startSandboxEnvironment({ logger: quietLogger(), crds: await readCrdDocuments(FLUX), simulateFlux: false, kubeconfigOut: kubeconfig });
    files = (await readdir(examples)).filter((f) => f.endsWith(".yaml")).map((f) => join(examples, f));
  }, 60_000);
  afterAll(async () => {
    await env?.close();
    if (work !== "") await rm(work, { recursive: true, force: true });
  });

  it("has an OCIRepository example and a GitRepository one, each with a HelmRelease", async () => {
    const kinds = await Promise.all(files.map(async (f) => (await docsOf(f)).map((d) => d.kind).sort().join(",")));
    expect(kinds.sort()).toEqual(["GitRepository,HelmRelease,Namespace", "HelmRelease,Namespace,OCIRepository"]);
  });

  it("applies with kubectl to an API server serving the real HelmRelease CRD, past releasegate's webhook", async () => {
    const kubectl = await toolPath("kubectl");
    for (const file of files) {
      const applied = await runTool(kubectl, ["--kubeconfig", kubeconfig, "apply", "--server-side", "--field-manager=flux", "--validate=strict", "-f", file], { env: { HOME: work } });
      expect(applied.stderr).toBe("");
      expect(applied.code).toBe(0);
      const got = await runTool(kubectl, ["--kubeconfig", kubeconfig, "get", "helmrelease", "releasegate", "-n", "releasegate", "-o", "jsonpath={.spec}"], { env: { HOME: work } });
      const spec = JSON.parse(got.stdout) as { chartRef?: { kind: string }; chart?: { spec: { sourceRef: { kind: string } } } };
      const source = (await docsOf(file)).find((d) => d.kind.endsWith("Repository"))!.kind;
      expect(spec.chartRef?.kind ?? spec.chart?.spec.sourceRef.kind).toBe(source);
      // The examples are alternatives: the next one starts from no HelmRelease, as on a fresh cluster.
      const deleted = await runTool(kubectl, ["--kubeconfig", kubeconfig, "delete", "helmrelease", "releasegate", "-n", "releasegate"], { env: { HOME: work } });
      expect(deleted.code).toBe(0);
    }
  });

  it("gives the chart values it has: helm renders them, ServiceMonitor and alerts labelled for kube-prometheus-stack", async () => {
    const helm = await toolPath("helm");
    for (const file of files) {
      const release = (await docsOf(file)).find((d) => d.kind === "HelmRelease")!;
      const values = join(work, "values.json");
      await writeFile(values, JSON.stringify(release.spec?.values ?? {}));
      const { stdout } = await run(helm, ["template", "releasegate", chart, "--namespace", "releasegate", "--values", values], { maxBuffer: 32 * 1024 * 1024 });
      const rendered = parseAllDocuments(stdout).map((d) => d.toJS() as Doc | null).filter((d): d is Doc => d !== null);
      if (file.endsWith("flux-oci.yaml")) {
        expect(rendered.find((d) => d.kind === "ServiceMonitor")?.metadata.labels?.release).toBe("kube-prometheus-stack");
        expect(rendered.find((d) => d.kind === "PrometheusRule")?.metadata.labels?.release).toBe("kube-prometheus-stack");
        const policy = rendered.find((d) => d.kind === "NetworkPolicy")!;
        expect(policy.spec?.ingress?.[1]?.from).toEqual([
          { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } },
        ]);
      }
    }
  });

  it("passes `releasegate check`", async () => {
    for (const file of files) {
      const result = await runCli(["check", file]);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
    }
  });
});
