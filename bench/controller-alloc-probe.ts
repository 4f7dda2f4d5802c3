// Loaded into `serve` by the controller benchmark when PROFILE_PHASE is set (`node --import …`): the
// first SIGUSR2 (or the start, with RELEASEGATE_BENCH_ALLOC_FROM_START=1) starts V8's sampling heap profiler counting every allocation, also those a scavenge or a
// full collection has freed since (what makes a burst's RSS peak is mostly garbage); the second stops it
// and writes the profile to $RELEASEGATE_BENCH_ALLOC_FILE (open it in Chrome DevTools, Memory tab) and a
// text summary beside it (`.txt`): bytes allocated per function, and per the innermost frame of the
// project's own code, so an allocation inside a library is charged to the project code that asked for it.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

const file = process.env.RELEASEGATE_BENCH_ALLOC_FILE;
if (file !== undefined && file !== "") {
  const session = new Session();
  session.connect();
  let running = false;
  const start = (): void => {
    running = true;
    session.post("HeapProfiler.startSampling", { samplingInterval: 16 * 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  };
  // RELEASEGATE_BENCH_ALLOC_FROM_START=1: from now (the sync phase), without waiting for a signal.
  if (process.env.RELEASEGATE_BENCH_ALLOC_FROM_START === "1") start();
  process.on("SIGUSR2", () => {
    if (!running) return start();
    running = false;
    session.post("HeapProfiler.stopSampling", (error, result) => {
      if (error !== null) return;
      const head = (result.profile as unknown as { head: ProfileNode }).head;
      writeFileSync(file, JSON.stringify(result.profile));
      writeFileSync(file.replace(/(\.heapprofile)?$/, ".txt"), summary(head));
    });
  });
}

const where = (frame: ProfileNode["callFrame"]): string => `${frame.functionName || "(anonymous)"} ${frame.url.replace(/^.*\/(dist|node_modules)\//, "$1/")}:${frame.lineNumber + 1}`;
const own = (url: string): boolean => url.includes("/dist/src/");

function summary(head: ProfileNode): string {
  const bySelf = new Map<string, number>();
  const byOwn = new Map<string, number>();
  let total = 0;
  const walk = (node: ProfileNode, ownFrame: string | undefined): void => {
    const frame = where(node.callFrame);
    const mine = own(node.callFrame.url) ? frame : ownFrame;
    if (node.selfSize > 0) {
      total += node.selfSize;
      bySelf.set(frame, (bySelf.get(frame) ?? 0) + node.selfSize);
      const key = mine ?? "(no project frame)";
      byOwn.set(key, (byOwn.get(key) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, mine);
  };
  walk(head, undefined);
  const top = (map: Map<string, number>): string =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 40)
      .map(([k, v]) => `${(v / 1048576).toFixed(1).padStart(8)} MiB  ${k}`)
      .join("\n");
  return `allocated while profiling: ${(total / 1048576).toFixed(1)} MiB (sampled)\n\nby function:\n${top(bySelf)}\n\nby the innermost project frame:\n${top(byOwn)}\n`;
}
