// The in-process parts of bench/shapes.ts: admission and `check` on the same shapes (docs/behaviour.md,
// Performance targets). Admission: the shape in one GateTracker's graph as the webhook's cache holds it, and
// one AdmissionReview that adds one edge to it (an UPDATE of an existing object), parsed and decided 2,000
// times; the p99 of parse + decide, the decision, and the length of its message (a cycle's is bounded).
// check: the shape as one multi-document file, the built CLI in its own process: wall time, peak RSS.
import type { execFileSync as ExecFileSync } from "node:child_process";
import type { writeFile as WriteFile } from "node:fs/promises";
import { join } from "node:path";
import { decide } from "../src/admission/decide.js";
import { DEFAULT_ADMISSION_POLICY } from "../src/admission/policy.js";
import { parseAdmissionReview } from "../src/admission/review.js";
import { GateTracker } from "../src/graph/gates.js";
import type { FluxObject } from "../src/graph/types.js";
import { CLI } from "./serve-process.js";
import { release, shape } from "./shapes-seed.js";
import type { ShapeName } from "./shapes-seed.js";

const ROUNDS = 2000;

function fluxObject(name: string, dependsOn: string[]): FluxObject {
  return { kind: "HelmRelease", apiVersion: "helm.toolkit.fluxcd.io/v2", namespace: "default", name, generation: 1, dependsOn: dependsOn.map((d) => ({ name: d })) };
}

function review(object: Record<string, unknown>, oldObject: Record<string, unknown>): string {
  const metadata = object["metadata"] as { name: string };
  return JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "00000000-0000-0000-0000-000000000001",
      kind: { group: "helm.toolkit.fluxcd.io", version: "v2", kind: "HelmRelease" },
      resource: { group: "helm.toolkit.fluxcd.io", version: "v2", resource: "helmreleases" },
      name: metadata.name,
      namespace: "default",
      operation: "UPDATE",
      userInfo: { username: "bench", groups: ["system:authenticated"] },
      object,
      oldObject,
      dryRun: false,
    },
  });
}

/** One line: p99 of parse + decide for the review adding the shape's edge, its decision and message length. */
export function shapeAdmission(name: ShapeName, size: number): string {
  const s = shape(name, size);
  const tracker = new GateTracker(s.releases.map((r) => fluxObject(r.name, r.dependsOn)));
  const current = s.releases.find((r) => r.name === s.edge.object)!;
  const oldObject = release(current);
  const object = release({ ...current, dependsOn: [...current.dependsOn, s.edge.dependency] });
  const body = review(object, oldObject);
  const times: number[] = [];
  let last: ReturnType<typeof decide> | undefined;
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    const parsed = parseAdmissionReview(JSON.parse(body));
    if (!parsed.ok) throw new Error(parsed.error);
    last = decide(parsed.request, { graph: tracker.graph, dependents: tracker.graph, policy: DEFAULT_ADMISSION_POLICY });
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const p99 = times[Math.floor(0.99 * times.length)]!;
  // The median beside the p99: on a shared machine the p99 of a sub-millisecond step is the scheduler's.
  const median = times[Math.floor(0.5 * times.length)]!;
  const decision = last!.allowed ? "allowed" : "denied";
  const message = last!.allowed ? "" : (last as { message: string }).message;
  const expected = s.edge.closes ? "denied" : "allowed";
  return `${size} objects, ${s.edge.object} + dependsOn ${s.edge.dependency}: p99 ${p99.toFixed(3)} ms (target < 2 ms), median ${median.toFixed(3)} ms, ${decision}${decision === expected ? "" : ` (EXPECTED ${expected})`}${message === "" ? "" : `, message ${message.length} characters: ${message.slice(0, 160)}${message.length > 160 ? "…" : ""}`}`;
}

/** One line: `releasegate check FILE` on the shape as one file. */
export async function shapeCheck(name: ShapeName, size: number, dir: string, writeFile: typeof WriteFile, execFileSync: typeof ExecFileSync): Promise<string> {
  const s = shape(name, size);
  const file = join(dir, `${name}.yaml`);
  const { stringify } = await import("yaml");
  await writeFile(file, s.releases.map((r) => stringify(release(r))).join("---\n"));
  const peakFile = join(dir, `${name}.peak`);
  const started = performance.now();
  let code = 0;
  try {
    execFileSync(process.execPath, ["--import", new URL("./peak-rss.js", import.meta.url).pathname, CLI, "check", "--output", "json", file], {
      env: { ...process.env, RELEASEGATE_PEAK_RSS_FILE: peakFile },
      stdio: ["ignore", "ignore", "ignore"],
      maxBuffer: 1 << 30,
    });
  } catch (error) {
    code = (error as { status?: number }).status ?? -1;
  }
  const wall = performance.now() - started;
  const { readFileSync } = await import("node:fs");
  const peak = Number(readFileSync(peakFile, "utf8").split(" ")[0]) / 1024;
  return `${size} objects in one file: ${(wall / 1000).toFixed(2)} s, peak RSS ${peak.toFixed(0)} MiB, exit ${code}`;
}
