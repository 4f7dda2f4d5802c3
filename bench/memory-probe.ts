// Loaded into `serve` by the controller benchmark (`node --import …/memory-probe.js`): every 250 ms
// one JSON line of process.memoryUsage() and V8's malloc figure, stamped with process.hrtime() in
// microseconds (the same clock in every process), appended to $RELEASEGATE_BENCH_MEMORY_FILE. It
// shows where RSS goes from inside (V8 heap, external, array buffers), which /proc cannot.
import { createWriteStream } from "node:fs";
import { getHeapStatistics } from "node:v8";

const file = process.env.RELEASEGATE_BENCH_MEMORY_FILE;
if (file !== undefined && file !== "") {
  const out = createWriteStream(file, { flags: "a" });
  const sample = (): void => {
    const m = process.memoryUsage();
    const h = getHeapStatistics();
    out.write(
      `${JSON.stringify({ us: Number(process.hrtime.bigint() / 1000n), rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, malloced: h.malloced_memory })}\n`,
    );
  };
  sample();
  setInterval(sample, 250).unref();
}
