// The chart's escape hatches and the defaults that must agree with each other, through `helm template` and
// `helm lint --strict` (helm from the npm layer): extra flags and environment for serve, the host's
// network, labels and annotations where Kyverno's and cert-manager's charts offer them, the metrics port
// open to Prometheus whenever the chart creates a ServiceMonitor, port clashes refused when rendering, and
// a chart README that lists every value with its default.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { V1Deployment, V1Service } from "@kubernetes/client-node";
import { parse, parseAllDocuments } from "yaml";
import { binary, repoRoot } from "./helpers/cli.js";
import { toolPath } from "./helpers/tools.js";

const run = promisify(execFile);
const chart = join(repoRoot, "charts/releasegate");

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: unknown;
}

async function helm(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(await toolPath("helm"), args, { cwd: repoRoot, maxBuffer: 32 * 1024 * 1024 });
}

async function render(...sets: string[]): Promise<K8sObject[]> {
  const { stdout } = await helm("template", "rg", chart, "--namespace", "releasegate", ...sets.flatMap((s) => ["--set", s]));
  return parseAllDocuments(stdout)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

function one<T>(objects: K8sObject[], kind: string): T {
  const found = objects.find((o) => o.kind === kind);
  if (found === undefined) throw new Error(`no ${kind} rendered`);
  return found as unknown as T;
}

/** A NetworkPolicy as rendered (YAML field names: `from`, which client-node's type calls `_from`). */
interface V1NetworkPolicy {
  spec?: { ingress?: Array<{ from?: unknown[]; ports?: Array<{ port?: number | string }> }> };
}

const container = (objects: K8sObject[]) => one<V1Deployment>(objects, "Deployment").spec!.template.spec!.containers[0]!;

describe("chart escape hatches", () => {
  it("appends extraArgs to serve's flags (later flags win) and extraEnv to the container's environment", async () => {
    const objects = await render("extraArgs={--max-cache-staleness=20s,--body-budget=128Mi,--log-level=debug}", "extraEnv[0].name=NODE_OPTIONS", "extraEnv[0].value=--max-old-space-size=200");
    const args = container(objects).args!;
    expect(args.slice(-3)).toEqual(["--max-cache-staleness=20s", "--body-budget=128Mi", "--log-level=debug"]);
    expect(args.indexOf("--log-level=info")).toBeLessThan(args.indexOf("--log-level=debug"));
    expect(container(objects).env?.map((e) => e.name)).toEqual(["POD_NAMESPACE", "POD_NAME", "NODE_OPTIONS"]);
    await expect(render("extraArgs={max-cache-staleness=20s}")).rejects.toThrow(/extraArgs/);
  });

  it("passes serve flags that serve really has, as the chart README's example gives them", async () => {
    const readme = await readFile(join(chart, "README.md"), "utf8");
    const example = /--set 'extraArgs=\{([^}]+)\}'/.exec(readme)?.[1];
    expect(example, "an extraArgs example in the chart README").toBeDefined();
    const { stdout } = await run(process.execPath, [binary, "serve", "--help"]);
    for (const flag of example!.split(",")) expect(stdout).toContain(flag.split("=")[0]);
  });

  it("runs in the host's network with ClusterFirstWithHostNet DNS, unless dnsPolicy says otherwise", async () => {
    const spec = async (...sets: string[]) => one<V1Deployment>(await render(...sets), "Deployment").spec!.template.spec!;
    expect(await spec("hostNetwork=true")).toMatchObject({ hostNetwork: true, dnsPolicy: "ClusterFirstWithHostNet" });
    expect(await spec("hostNetwork=true", "dnsPolicy=ClusterFirst")).toMatchObject({ hostNetwork: true, dnsPolicy: "ClusterFirst" });
    const plain = await spec();
    expect(plain.hostNetwork).toBeUndefined();
    expect(plain.dnsPolicy).toBeUndefined();
    await expect(render("dnsPolicy=Cluster")).rejects.toThrow(/dnsPolicy/);
  });

  it("labels and annotates the Deployment, the pods, the Service and every object as asked", async () => {
    const objects = await render(
      "deploymentAnnotations.team=platform",
      "deploymentLabels.tier=control",
      "podAnnotations.example\\.com/owner=platform",
      "podLabels.example\\.com/tier=control",
      "service.labels.exposed=no",
      "commonLabels.cost-center=cc-42",
      "serviceMonitor.enabled=true",
      "serviceMonitor.labels.release=kube-prometheus-stack",
    );
    const deployment = one<V1Deployment>(objects, "Deployment");
    expect(deployment.metadata?.annotations).toEqual({ team: "platform" });
    expect(deployment.metadata?.labels).toMatchObject({ tier: "control", "cost-center": "cc-42" });
    expect(deployment.spec?.template.metadata?.annotations).toEqual({ "example.com/owner": "platform" });
    expect(deployment.spec?.template.metadata?.labels).toMatchObject({ "example.com/tier": "control", "cost-center": "cc-42" });
    // The selector never changes with labels (it is immutable on a Deployment).
    expect(deployment.spec?.selector.matchLabels).toEqual({ "app.kubernetes.io/name": "releasegate", "app.kubernetes.io/instance": "rg" });
    expect(one<V1Service>(objects, "Service").metadata?.labels).toMatchObject({ exposed: "no" });
    expect(one<K8sObject>(objects, "ServiceMonitor").metadata.labels).toMatchObject({ release: "kube-prometheus-stack" });
    expect(objects.filter((o) => o.metadata.labels?.["cost-center"] !== "cc-42").map((o) => o.kind)).toEqual([]);
    await helm("lint", "--strict", chart, "--set", "commonLabels.cost-center=cc-42", "--set", "hostNetwork=true", "--set", "extraArgs={--log-level=debug}", "--set", "extraEnv[0].name=A", "--set", "extraEnv[0].value=b");
  });
});

describe("chart defaults that must agree", () => {
  it("opens the metrics port to Prometheus whenever it creates a ServiceMonitor, on the port the ServiceMonitor scrapes", async () => {
    const objects = await render("serviceMonitor.enabled=true");
    const policy = one<V1NetworkPolicy>(objects, "NetworkPolicy");
    const monitor = one<{ spec: { endpoints: Array<{ port: string }> } }>(objects, "ServiceMonitor");
    const service = one<V1Service>(objects, "Service");
    const servicePort = service.spec!.ports!.find((p) => p.name === monitor.spec.endpoints[0]!.port)!;
    const containerPort = container(objects).ports!.find((p) => p.name === servicePort.targetPort)!.containerPort;
    const metricsRule = policy.spec!.ingress!.find((rule) => rule.ports?.some((p) => p.port === containerPort));
    expect(metricsRule?.from).toEqual([{ namespaceSelector: {}, podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } }]);
    // Narrowed to the namespaces the user names; metricsFrom, when given, decides alone.
    const narrowed = one<V1NetworkPolicy>(await render("serviceMonitor.enabled=true", "networkPolicy.scrapers.namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=monitoring"), "NetworkPolicy");
    expect(narrowed.spec!.ingress![1]!.from).toEqual([{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } }]);
    const own = one<V1NetworkPolicy>(await render("serviceMonitor.enabled=true", "networkPolicy.metricsFrom[0].ipBlock.cidr=10.1.0.0/16"), "NetworkPolicy");
    expect(own.spec!.ingress![1]!.from).toEqual([{ ipBlock: { cidr: "10.1.0.0/16" } }]);
    // No ServiceMonitor, no metricsFrom: closed, as before.
    expect(one<V1NetworkPolicy>(await render(), "NetworkPolicy").spec!.ingress).toHaveLength(1);
  });

  it("refuses ports that clash, naming both values", async () => {
    await expect(render("metrics.port=9443")).rejects.toThrow("webhook.port and metrics.port are both 9443");
    await expect(render("ui.port=8080")).rejects.toThrow("metrics.port and ui.port are both 8080");
    await expect(render("webhook.port=9080")).rejects.toThrow("webhook.port and ui.port are both 9080");
    // The graph page off (0) clashes with nothing.
    expect(container(await render("ui.port=0", "metrics.port=9080")).ports?.map((p) => p.containerPort)).toEqual([9443, 9080]);
  });
});

describe("chart README", () => {
  it("lists every value of values.yaml with its default", async () => {
    const values = parse(await readFile(join(chart, "values.yaml"), "utf8")) as Record<string, unknown>;
    const readme = await readFile(join(chart, "README.md"), "utf8");
    const rows = new Map<string, string>();
    for (const [, key, cell] of readme.matchAll(/^\| `([^`]+)` \| `(.*?)` \|/gm)) rows.set(key!, cell!);
    const leaves: Array<[string, unknown]> = [];
    const documentedWhole = (path: string) => ["resources", "objectSelector", "issuerRef", "labels", "Labels", "Annotations", "Selector", "SecurityContext", "securityContext"].some((k) => path.endsWith(k));
    const walk = (value: unknown, path: string) => {
      const isMap = value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length > 0;
      if (isMap && !documentedWhole(path)) for (const [key, child] of Object.entries(value as Record<string, unknown>)) walk(child, path === "" ? key : `${path}.${key}`);
      else leaves.push([path, value]);
    };
    walk(values, "");
    const wrong = leaves.filter(([path, value]) => rows.get(path) !== JSON.stringify(value)).map(([path, value]) => `${path}: README says ${rows.get(path) ?? "nothing"}, values.yaml ${JSON.stringify(value)}`);
    expect(wrong).toEqual([]);
  });
});
