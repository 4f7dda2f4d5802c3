// Where a process spent its CPU: the self time of each function in a V8 .cpuprofile (what
// `node --cpu-prof` writes on exit), summed over every node of the call tree with the same function,
// file and line. Run: node dist/bench/cpu-profile.js FILE.cpuprofile [TOP]
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  /** Microseconds on the monotonic clock, the one process.hrtime() reads in every process. */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A part of the run, in microseconds of process.hrtime() (BigInt(…) / 1000n in the process that knows it). */
export interface Window {
  fromUs: number;
  toUs: number;
}

export interface SelfTime {
  fn: string;
  where: string;
  ms: number;
  share: number;
}

function shortUrl(url: string): string {
  if (url === "") return "";
  const nodeModules = url.lastIndexOf("node_modules/");
  if (nodeModules >= 0) return url.slice(nodeModules + "node_modules/".length);
  const dist = url.lastIndexOf("/dist/");
  if (dist >= 0) return url.slice(dist + "/dist/".length);
  return url.replace(/^file:\/\//, "");
}

/** Self time per function, largest first; `(idle)` is left out of the shares (time with nothing to do). */
export function selfTimes(profile: Profile, window?: Window, under?: RegExp): { top: SelfTime[]; busyMs: number; idleMs: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  /** Whether a sample's stack has a frame whose function name matches `under`. */
  const isUnder = (id: number): boolean => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      if (under!.test(byId.get(at)?.callFrame.functionName ?? "")) return true;
    }
    return false;
  };
  const totals = new Map<string, { fn: string; where: string; us: number }>();
  let idle = 0;
  let busy = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window !== undefined && (at < window.fromUs || at > window.toUs)) return;
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) return;
    if (frame.functionName === "(idle)") {
      idle += delta;
      return;
    }
    if (under !== undefined && !isUnder(id)) return;
    busy += delta;
    const where = frame.url === "" ? "" : `${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    const key = `${frame.functionName}\u0000${where}`;
    const entry = totals.get(key) ?? { fn: frame.functionName || "(anonymous)", where, us: 0 };
    entry.us += delta;
    totals.set(key, entry);
  });
  const top = [...totals.values()]
    .sort((a, b) => b.us - a.us)
    .map((e) => ({ fn: e.fn, where: e.where, ms: e.us / 1000, share: busy === 0 ? 0 : e.us / busy }));
  return { top, busyMs: busy / 1000, idleMs: idle / 1000 };
}

/** The table the benchmarks print. */
export function formatSelfTimes(file: string, count = 25, window?: Window, under?: RegExp): string {
  const { top, busyMs, idleMs } = selfTimes(JSON.parse(readFileSync(file, "utf8")) as Profile, window, under);
  const scope = under === undefined ? "" : ` under ${under.source} (GC, which V8 records outside any stack, left out)`;
  const lines = [`  busy ${busyMs.toFixed(0)} ms${scope}, idle ${idleMs.toFixed(0)} ms; top ${count} by self time (share of busy time):`];
  for (const e of top.slice(0, count)) {
    lines.push(`  ${(e.share * 100).toFixed(1).padStart(5)}%  ${e.ms.toFixed(0).padStart(7)} ms  ${e.fn}${e.where ? `  ${e.where}` : ""}`);
  }
  return lines.join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, top] = process.argv.slice(2);
  if (file === undefined) {
    console.error("usage: node dist/bench/cpu-profile.js FILE.cpuprofile [TOP]");
    process.exitCode = 2;
  } else {
    console.log(formatSelfTimes(file, Number(top ?? 25)));
  }
}
