// The README's sizing table, measured: bench/controller.ts at several fleet sizes (SIZES, default
// 1000,10000), each a fresh sandbox and a fresh `serve` process, printed as a Markdown table with the
// load average of each run (the machine may be shared). Run: npm run bench:sizing
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";

interface Result {
  releases: number;
  valuesKiB: number;
  burst: number;
  probes: number;
  syncSeconds: number | null;
  syncCpuSeconds: number | null;
  idleCpuPercent: number | null;
  peakMiB: Record<string, number>;
  settledMiB: number | null;
  burstCpuSeconds: number | null;
  gateOpenMs: { p50: number; p99: number };
  load: number;
}

const sizes = (process.env.SIZES ?? "1000,10000").split(",").map(Number);
const HARNESS_HEAP_MIB = 16_384;
const script = fileURLToPath(new URL("./controller.js", import.meta.url));

function run(releases: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    // The sandbox API (the harness, in the benchmark's process) holds every release with its values:
    // about 2.5 GB of JSON at 100,000, past node's default heap limit. serve is spawned with its defaults.
    const child = spawn(process.execPath, [`--max-old-space-size=${HARNESS_HEAP_MIB}`, script], { env: { ...process.env, RELEASES: String(releases), JSON: "1" }, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      process.stdout.write(c.toString().split("\n").filter((l) => !l.startsWith('{"level"')).join("\n"));
    });
    child.on("exit", () => {
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      if (line === undefined) reject(new Error(`no result for ${releases} releases`));
      else resolve(JSON.parse(line.slice("RESULT ".length)) as Result);
    });
  });
}

const results: Result[] = [];
const loads: string[] = [];
for (const n of sizes) {
  const before = loadavg()[0]!.toFixed(1);
  results.push(await run(n));
  loads.push(`${before}–${loadavg()[0]!.toFixed(1)}`);
}
const v = (x: number | null | undefined, unit = ""): string => (x === null || x === undefined ? "–" : `${x}${unit}`);
console.log("\n| releases (20 KiB values) | sync | CPU to sync | peak RSS sync | RSS settled | idle CPU | blocked burst | peak RSS burst | CPU burst | peak RSS gate openings | load average (2 cores) |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|");
results.forEach((r, i) => {
  console.log(
    `| ${r.releases.toLocaleString("en")} | ${v(r.syncSeconds, " s")} | ${v(r.syncCpuSeconds, " s")} | ${v(r.peakMiB.sync, " MiB")} | ${v(r.settledMiB, " MiB")} | ${v(r.idleCpuPercent, "%")} | ${r.burst.toLocaleString("en")} | ${v(r.peakMiB.burst, " MiB")} | ${v(r.burstCpuSeconds, " s")} | ${v(r.peakMiB["gate openings"], " MiB")} | ${loads[i]} |`,
  );
});
