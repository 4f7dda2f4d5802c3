// The chart's Grafana dashboard and Prometheus alert rules query only what releasegate really exports.
// Every metric name in every dashboard target and alert expression is checked against the `# TYPE` lines
// of the live /metrics of a running `releasegate serve` (against the sandbox), histograms only through
// their _bucket/_sum/_count series; and every label a query selects on, groups by, or shows (legend,
// alert annotation) against the labels of the series serve exports once each of its metrics has a value.
import { spawn } from "node:child_process";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AdmissionregistrationV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { SANDBOX_NAMESPACE, freePort, sandboxWebhookConfiguration } from "../src/cli/sandbox.js";
import { startSandbox } from "../src/sandbox/sandbox.js";
import type { Sandbox } from "../src/sandbox/sandbox.js";
import { binary, repoRoot } from "./helpers/cli.js";
import { eventually } from "./helpers/eventually.js";
import { FluxClient, helmRelease } from "./helpers/flux-client.js";
import { parseMetricsText } from "./helpers/metrics-text.js";

/** One PromQL expression of the chart, where it is, and the labels its legend or annotations print. */
interface Query {
  where: string;
  expr: string;
  shownLabels: string[];
}

interface Panel {
  title?: string;
  panels?: Panel[];
  targets?: Array<{ expr?: string; legendFormat?: string; refId?: string }>;
}

/** What /metrics says: family types from `# TYPE`, and the label names seen on each series name. */
interface Exported {
  types: Map<string, string>;
  labels: Map<string, Set<string>>;
}

const PREFIX = "releasegate_";
const HISTOGRAM_SERIES = ["_bucket", "_sum", "_count"];
// Series names are words after which no `(` follows (that would be a function such as rate()).
const METRIC = /\b(releasegate_[A-Za-z0-9_:]*)\b/g;
const SELECTOR = /\b(releasegate_[A-Za-z0-9_:]*)\s*\{([^}]*)\}/g;
const MATCHER = /([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)/g;
const GROUPING = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g;
const BY = /\bby\s*\(([^)]*)\)/g;

function labelList(text: string): string[] {
  return text.split(",").map((l) => l.trim()).filter((l) => l !== "");
}

/** Labels printed by a Grafana legend (`{{reason}}`) or an alert annotation (`{{ $labels.reason }}`). */
function printedLabels(text: string): string[] {
  return [...text.matchAll(/\{\{\s*(?:\$labels\.)?([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)].map((m) => m[1] as string);
}

function dashboardQueries(dashboard: { panels: Panel[] }): Query[] {
  const queries: Query[] = [];
  const visit = (panels: Panel[]): void => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        if (target.expr === undefined) continue;
        queries.push({ where: `dashboard panel "${panel.title ?? "?"}" target ${target.refId ?? "?"}`, expr: target.expr, shownLabels: printedLabels(target.legendFormat ?? "") });
      }
      visit(panel.panels ?? []);
    }
  };
  visit(dashboard.panels);
  return queries;
}

function alertQueries(rules: { groups: Array<{ rules: Array<{ alert?: string; record?: string; expr: string; annotations?: Record<string, string>; labels?: Record<string, string> }> }> }): Query[] {
  return rules.groups.flatMap((group) =>
    group.rules.map((rule) => ({
      where: `alert ${rule.alert ?? rule.record ?? "?"}`,
      expr: rule.expr,
      shownLabels: [...Object.values(rule.annotations ?? {}), ...Object.values(rule.labels ?? {})].flatMap(printedLabels),
    })),
  );
}

function exportedFrom(text: string): Exported {
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (m) types.set(m[1] as string, m[2] as string);
  }
  const labels = new Map<string, Set<string>>();
  for (const sample of parseMetricsText(text)) {
    const set = labels.get(sample.name) ?? new Set<string>();
    Object.keys(sample.labels).forEach((l) => set.add(l));
    labels.set(sample.name, set);
  }
  return { types, labels };
}

/** The series name a PromQL name reads, or why it reads nothing. Histograms are stored only as _bucket, _sum and _count. */
function resolve(name: string, exported: Exported): { series: string } | { problem: string } {
  const type = exported.types.get(name);
  if (type === "histogram") return { problem: `${name} is a histogram: query ${name}_bucket, _sum or _count` };
  if (type !== undefined) return { series: name };
  const suffix = HISTOGRAM_SERIES.find((s) => name.endsWith(s));
  const base = suffix === undefined ? undefined : name.slice(0, -suffix.length);
  if (base !== undefined && (exported.types.get(base) === "histogram" || (exported.types.get(base) === "summary" && suffix !== "_bucket"))) return { series: name };
  return { problem: `${name} is not exported by releasegate serve` };
}

/** Names the program must export that the chart's queries read (histogram series reduced to their family). */
function families(queries: Query[]): Set<string> {
  const names = new Set<string>();
  for (const q of queries) {
    for (const m of q.expr.matchAll(METRIC)) {
      const name = m[1] as string;
      const suffix = HISTOGRAM_SERIES.find((s) => name.endsWith(s));
      names.add(suffix === undefined ? name : name.slice(0, -suffix.length));
    }
  }
  return names;
}

/** Every problem of one query: unknown names, and labels no series it reads carries. */
function problemsOf(q: Query, exported: Exported): string[] {
  const problems: string[] = [];
  const read = new Set<string>();
  for (const m of q.expr.matchAll(METRIC)) {
    const r = resolve(m[1] as string, exported);
    if ("problem" in r) problems.push(r.problem);
    else read.add(r.series);
  }
  if (read.size === 0 && problems.length === 0) problems.push(`no ${PREFIX}* metric in ${JSON.stringify(q.expr)}`);
  const labelsOf = (series: string): Set<string> => exported.labels.get(series) ?? new Set();
  const anyLabels = new Set([...read].flatMap((s) => [...labelsOf(s)]));
  for (const m of q.expr.matchAll(SELECTOR)) {
    const series = m[1] as string;
    for (const matcher of (m[2] as string).matchAll(MATCHER)) {
      const label = matcher[1] as string;
      if (label !== "__name__" && read.has(series) && !labelsOf(series).has(label)) problems.push(`${series} has no label "${label}"`);
    }
  }
  for (const m of q.expr.matchAll(GROUPING)) {
    for (const label of labelList(m[1] as string)) if (!anyLabels.has(label)) problems.push(`no series of the expression has the label "${label}" it groups or matches on`);
  }
  // What a legend or annotation can print: the labels the aggregations keep (or, without any, the series' own).
  const kept = [...q.expr.matchAll(BY)].flatMap((m) => labelList(m[1] as string));
  const printable = new Set(kept.length > 0 ? kept : anyLabels);
  for (const label of q.shownLabels) if (!printable.has(label)) problems.push(`prints label "${label}", which the expression does not keep`);
  return problems.map((p) => `${q.where}: ${p}`);
}

const T = "2026-01-01T00:00:00Z";
function released(name: string, dependsOn: string[], ready: { status: "True" | "False" | "Unknown"; reason: string; message: string }) {
  return { ...helmRelease(name, dependsOn), status: { observedGeneration: 1, conditions: [{ type: "Ready", lastTransitionTime: T, ...ready }] } };
}

describe("the chart's dashboard and alert rules against a running serve's /metrics", () => {
  let sandbox: Sandbox;
  let dir: string;
  let child: ChildProcessWithoutNullStreams;
  let output = "";
  let metricsPort: number;
  let queries: Query[];
  let exported: Exported;

  beforeAll(async () => {
    const dashboard = JSON.parse(await readFile(join(repoRoot, "charts/releasegate/files/dashboard.json"), "utf8")) as { panels: Panel[] };
    const alerts = parseYaml((await readFile(join(repoRoot, "charts/releasegate/files/alerts.yaml"), "utf8")).replaceAll("__BLOCKED_FOR__", "15m")) as Parameters<typeof alertQueries>[0];
    queries = [...dashboardQueries(dashboard), ...alertQueries(alerts)];

    // Something for every metric to say: a cycle, a missing and a failed dependency, a gate about to open.
    const notReady = { status: "False" as const, reason: "DependencyNotReady", message: "dependency is not ready" };
    sandbox = await startSandbox({
      seed: [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: SANDBOX_NAMESPACE } },
        released("a", ["b"], notReady),
        released("b", ["a"], notReady),
        released("m", ["ghost"], notReady),
        released("e", [], { status: "False", reason: "InstallFailed", message: "install retries exhausted" }),
        released("d", ["e"], notReady),
        released("p", [], { status: "Unknown", reason: "Progressing", message: "Running 'install' action" }),
        released("w", ["p"], notReady),
      ],
    });
    dir = await mkdtemp(join(tmpdir(), "releasegate-dashboard-"));
    const kubeconfig = join(dir, "kubeconfig");
    await sandbox.writeKubeconfig(kubeconfig);
    const webhookPort = await freePort();
    metricsPort = await freePort();
    await sandbox.kubeConfig().makeApiClient(AdmissionregistrationV1Api).createValidatingWebhookConfiguration({ body: sandboxWebhookConfiguration(webhookPort) });
    child = spawn(
      process.execPath,
      [binary, "serve", "--kubeconfig", kubeconfig, "--webhook-port", String(webhookPort), "--metrics-port", String(metricsPort), "--bind-address", "127.0.0.1", "--namespace", SANDBOX_NAMESPACE, "--identity", "dashboard-test", "--log-level", "warn"],
      { cwd: repoRoot, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir } },
    );
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const metrics = async (): Promise<string> => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const seriesOf = (text: string) => new Set(parseMetricsText(text).map((s) => s.name));
    await eventually(async () => seriesOf(await metrics()).has(`${PREFIX}release_blocked`) && (await metrics()).includes(`${PREFIX}leader 1`), {
      timeoutMs: 20_000,
      what: `serve synced and leading (output: ${output})`,
    });

    // Admission decisions, a gate opening (reconcile request) and a restarted watch.
    const flux = new FluxClient(sandbox.kubeConfig());
    await flux.create(helmRelease("n", ["p"]));
    await expect(flux.create(helmRelease("x", ["nothing"]))).rejects.toThrow(/nothing/);
    await flux.ready("p");
    sandbox.faults.dropWatches();
    exported = await eventually(
      async () => {
        const text = await metrics();
        const series = seriesOf(text);
        const exp = exportedFrom(text);
        const silent = [...families(queries)].filter((f) => exp.types.has(f) && ![f, `${f}_bucket`].some((s) => series.has(s)));
        return silent.length === 0 ? exp : undefined;
      },
      { timeoutMs: 20_000, what: "a value for every metric the chart queries" },
    );
  }, 60_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await sandbox?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("finds queries in every dashboard panel and every alert rule", () => {
    expect(queries.filter((q) => q.where.startsWith("dashboard")).length).toBeGreaterThanOrEqual(10);
    expect(queries.filter((q) => q.where.startsWith("alert")).length).toBeGreaterThanOrEqual(6);
  });

  it("queries only metric names serve exports, histograms through their series", () => {
    const unknown = queries.flatMap((q) => problemsOf(q, exported).filter((p) => p.includes("not exported") || p.includes("is a histogram") || p.includes("no releasegate_")));
    expect(unknown).toEqual([]);
  });

  it("selects, groups and prints only labels those metrics carry", () => {
    expect(queries.flatMap((q) => problemsOf(q, exported))).toEqual([]);
  });

  it("would notice a misspelt metric, a bare histogram and a label that does not exist", () => {
    const probe = (expr: string, shownLabels: string[] = []) => problemsOf({ where: "probe", expr, shownLabels }, exported);
    expect(probe("sum(releasegate_releases_blocked)")).toEqual(["probe: releasegate_releases_blocked is not exported by releasegate serve"]);
    expect(probe("rate(releasegate_admission_duration_seconds[5m])")[0]).toContain("is a histogram");
    expect(probe('releasegate_release_blocked{rootcause="x"}')).toEqual(['probe: releasegate_release_blocked has no label "rootcause"']);
    expect(probe("sum by (reason) (releasegate_releases)", ["reason"])).toContain('probe: no series of the expression has the label "reason" it groups or matches on');
    expect(probe("max by (kind) (releasegate_dependency_cycles)", ["namespace"])).toEqual(['probe: prints label "namespace", which the expression does not keep']);
  });

  it("exports every metric docs/behaviour.md names", () => {
    const design = ["release_blocked", "releases", "release_blocked_seconds", "dependency_cycles", "reconcile_requests_total", "gate_open_latency_seconds", "admission_requests_total", "admission_duration_seconds", "cache_synced", "watch_restarts_total", "leader"];
    expect(design.filter((name) => !exported.types.has(`${PREFIX}${name}`))).toEqual([]);
    // …and the dashboard or alerts read every one of them.
    const queried = families(queries);
    expect(design.filter((name) => !queried.has(`${PREFIX}${name}`))).toEqual([]);
  });
});
