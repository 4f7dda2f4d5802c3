// `releasegate check` benchmark (docs/behaviour.md; targets: 50,000 HelmReleases in one 20 MB file under
// 5 s and 400 MiB; a 1,000-file repo under 1.5 s). Runs the real CLI as its own process with its
// defaults, and beside it, in the same run, a process that only JSON.parses the same objects: the
// floor any reader of that much data pays. Prints wall time, CPU time (user +
// system: the machine may be shared) and peak RSS of each.
// Run: npm run bench:check
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { mulberry32 } from "./random.js";

const CLI = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const PEAK_RSS = fileURLToPath(new URL("./peak-rss.js", import.meta.url));
const RELEASES = 50_000;
const REPO_APPS = 250; // 4 files each: 1,000 files

interface Run {
  seconds: number;
  /** User plus system CPU time of the process: on a shared machine wall time includes waiting for a core. */
  cpuSeconds: number;
  peakMiB: number;
  code: number | null;
  stdoutBytes: number;
}

/** Runs node with `args` and the peak-RSS reporter preloaded; resolves when it exits. */
function run(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const report = join(scratch, `rss-${Math.random().toString(36).slice(2)}`);
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ["--import", PEAK_RSS, ...args], {
      env: { ...process.env, RELEASEGATE_PEAK_RSS_FILE: report },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdoutBytes = 0;
    child.stdout.on("data", (chunk: Buffer) => (stdoutBytes += chunk.length));
    child.on("error", reject);
    child.on("close", (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const [peakKiB = 0, userUs = 0, systemUs = 0] = readFileSync(report, "utf8").split(" ").map(Number);
      resolve({ seconds, cpuSeconds: (userUs + systemUs) / 1e6, peakMiB: peakKiB / 1024, code, stdoutBytes });
    });
  });
}

function helmRelease(i: number, random: () => number, dependsOn: string | undefined, cycle: boolean): string {
  const lines = [
    "---",
    "apiVersion: helm.toolkit.fluxcd.io/v2",
    "kind: HelmRelease",
    "metadata:",
    `  name: release-${i}`,
    cycle ? "  namespace: ring" : `  namespace: team-${i % 100}`,
    "  labels:",
    `    app.kubernetes.io/name: release-${i}`,
    "spec:",
    "  interval: 10m",
    "  chart:",
    "    spec:",
    `      chart: chart-${Math.floor(random() * 500)}`,
    `      version: "1.${Math.floor(random() * 20)}.x"`,
    "      sourceRef: {kind: HelmRepository, name: charts, namespace: flux-system}",
    "  values:",
    `    replicaCount: ${1 + Math.floor(random() * 3)}`,
    `    image: {repository: registry.example.com/team/app-${i}, tag: "v${Math.floor(random() * 100)}"}`,
  ];
  if (dependsOn !== undefined) lines.push("  dependsOn:", `    - name: ${dependsOn}`);
  return `${lines.join("\n")}\n`;
}

/**
 * 50,000 HelmReleases, 500 a namespace: "chain", each depending on one earlier in its namespace; "ring",
 * all in one namespace and one cycle; "typos", each depending on a name one letter off one earlier in
 * its namespace (50,000 missing dependencies, each with 500 names of about its length to weigh for a
 * "did you mean").
 */
function largeFile(shape: "chain" | "ring" | "typos"): string {
  const random = mulberry32(42);
  const parts: string[] = [];
  for (let i = 0; i < RELEASES; i++) {
    // In the ring each release depends on the next one, the last on the first.
    const dependsOn = shape === "ring" ? `release-${(i + 1) % RELEASES}` : i < 100 ? undefined : shape === "typos" ? `release-${i - 100}x` : `release-${i - 100}`;
    parts.push(helmRelease(i, random, dependsOn, shape === "ring"));
  }
  return parts.join("");
}

/** The same objects as one JSON List, for the JSON.parse floor. */
function asJsonList(yamlText: string): string {
  const items = yamlText.split("---\n").filter((part) => part !== "").map((part) => {
    const name = /name: (release-\d+)/.exec(part)?.[1];
    const namespace = /namespace: (team-\d+)/.exec(part)?.[1];
    const dependency = /- name: (release-\d+)/.exec(part)?.[1];
    return {
      apiVersion: "helm.toolkit.fluxcd.io/v2",
      kind: "HelmRelease",
      metadata: { name, namespace, labels: { "app.kubernetes.io/name": name } },
      spec: {
        interval: "10m",
        chart: { spec: { chart: "chart", version: "1.x", sourceRef: { kind: "HelmRepository", name: "charts", namespace: "flux-system" } } },
        values: { replicaCount: 2, image: { repository: `registry.example.com/team/app-${name}`, tag: "v1" } },
        ...(dependency === undefined ? {} : { dependsOn: [{ name: dependency }] }),
      },
    };
  });
  return JSON.stringify({ apiVersion: "v1", kind: "List", items });
}

/** A bootstrap cluster applying 250 apps (ks.yaml, kustomization.yaml, two HelmReleases each): 1,000 files. */
function writeRepo(root: string): void {
  const write = (path: string, text: string) => {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write(
    "clusters/main/flux-system/gotk-sync.yaml",
    "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: flux-system, namespace: flux-system}\n" +
      "spec: {interval: 10m, path: ./clusters/main, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}\n",
  );
  write(
    "clusters/main/apps.yaml",
    "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\n" +
      "spec: {interval: 10m, path: ./apps, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}\n",
  );
  // Like the home-ops repos: the apps folder's kustomization lists each app's ks.yaml.
  const resources = Array.from({ length: REPO_APPS }, (_, i) => `  - ./app-${i}/ks.yaml`).join("\n");
  write("apps/kustomization.yaml", `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${resources}\n`);
  for (let i = 0; i < REPO_APPS; i++) {
    const app = `app-${i}`;
    write(
      `apps/${app}/ks.yaml`,
      `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: ${app}, namespace: flux-system}\n` +
        `spec:\n  interval: 10m\n  path: ./apps/${app}/app\n  prune: true\n  targetNamespace: ${app}\n` +
        `  sourceRef: {kind: GitRepository, name: flux-system}\n  postBuild:\n    substitute:\n      APP: ${app}\n` +
        (i > 0 ? `  dependsOn:\n    - name: app-${i - 1}\n` : ""),
    );
    write(`apps/${app}/app/kustomization.yaml`, "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [helmrelease.yaml, database.yaml]\n");
    write(
      `apps/${app}/app/helmrelease.yaml`,
      "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ${APP}\n" +
        "spec:\n  interval: 10m\n  chart: {spec: {chart: web, sourceRef: {kind: HelmRepository, name: charts, namespace: flux-system}}}\n" +
        "  dependsOn:\n    - name: ${APP}-db\n",
    );
    write(
      `apps/${app}/app/database.yaml`,
      "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ${APP}-db\n" +
        "spec:\n  interval: 10m\n  chart: {spec: {chart: postgresql, sourceRef: {kind: HelmRepository, name: charts, namespace: flux-system}}}\n",
    );
  }
}

function line(label: string, result: Run, target?: string): void {
  const figures = `${result.seconds.toFixed(2)} s wall, ${result.cpuSeconds.toFixed(2)} s CPU, peak RSS ${result.peakMiB.toFixed(0)} MiB, exit ${result.code}`;
  console.log(`${label.padEnd(44)} ${figures}${target === undefined ? "" : `   (target ${target})`}`);
}

const scratch = mkdtempSync(join(tmpdir(), "releasegate-bench-check-"));
try {
  const yaml = largeFile("chain");
  const big = join(scratch, "releases.yaml");
  writeFileSync(big, yaml);
  const list = join(scratch, "releases.json");
  writeFileSync(list, asJsonList(yaml));
  console.log(`load average ${loadavg().map((n) => n.toFixed(1)).join(" ")} on ${availableParallelism()} CPUs`);
  console.log(`${RELEASES.toLocaleString("en")} HelmReleases, ${(yaml.length / 1e6).toFixed(1)} MB of YAML (JSON copy ${(readFileSync(list).length / 1e6).toFixed(1)} MB)`);

  const floor = await run(["-e", `JSON.parse(require("node:fs").readFileSync(${JSON.stringify(list)}, "utf8"))`]);
  line("JSON.parse of the same objects (floor)", floor);
  const check = await run([CLI, "check", big]);
  line("releasegate check FILE (YAML)", check, "< 5 s, < 400 MiB");
  const checkJson = await run([CLI, "check", list]);
  line("releasegate check FILE (the JSON List)", checkJson);
  console.log(`ratio check/JSON.parse: ${(check.seconds / floor.seconds).toFixed(1)}x wall, ${(check.cpuSeconds / floor.cpuSeconds).toFixed(1)}x CPU, ${(check.peakMiB / floor.peakMiB).toFixed(1)}x memory`);

  const ring = join(scratch, "ring.yaml");
  writeFileSync(ring, largeFile("ring"));
  const cycle = await run([CLI, "check", ring]);
  line("releasegate check, one 50,000-node cycle", cycle);
  console.log(`  its output: ${cycle.stdoutBytes.toLocaleString("en")} bytes`);

  const typos = join(scratch, "typos.yaml");
  writeFileSync(typos, largeFile("typos"));
  const typoRun = await run([CLI, "check", typos]);
  line("releasegate check, 49,900 missing names", typoRun);
  console.log(`  its output: ${typoRun.stdoutBytes.toLocaleString("en")} bytes`);

  const repo = join(scratch, "repo");
  writeRepo(repo);
  const repoRun = await run([CLI, "check", repo]);
  line(`releasegate check, a ${REPO_APPS * 4 + 3}-file repo`, repoRun, "< 1.5 s");
} finally {
  // KEEP=1 leaves the inputs for profiling (node --cpu-prof dist/src/cli/main.js check FILE).
  if (process.env["KEEP"] === "1") console.log(`inputs kept in ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}
