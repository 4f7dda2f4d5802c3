// Runs a script under `node --cpu-prof` and prints its output, then the functions with the most self
// time (bench/cpu-profile.ts). Run: node dist/bench/profile.js SCRIPT [ARGS...]   (the environment
// passes through, e.g. SIZES=100000 REBUILD_ONLY=1 for the graph rebuild; UNDER=REGEX counts only
// samples with a function of that name on the stack; TOP=N rows)
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { formatSelfTimes } from "./cpu-profile.js";

const [script, ...args] = process.argv.slice(2);
if (script === undefined) {
  console.error("usage: node dist/bench/profile.js SCRIPT [ARGS...]");
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), "releasegate-profile-"));
const run = spawnSync(process.execPath, ["--cpu-prof", `--cpu-prof-dir=${dir}`, script, ...args], { stdio: "inherit" });
const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
if (files.length === 0) {
  console.error(`no .cpuprofile written (exit ${run.status})`);
  process.exitCode = 1;
} else {
  console.log(`\n${script} under --cpu-prof (load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}):`);
  const file = join(dir, files[0]!);
  if (process.env.UNDER !== undefined) console.log(formatSelfTimes(file, Number(process.env.TOP ?? 25), undefined, new RegExp(`^(?:${process.env.UNDER})$`)));
  console.log(formatSelfTimes(file, Number(process.env.TOP ?? 25)));
}
rmSync(dir, { recursive: true, force: true });
