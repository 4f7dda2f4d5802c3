// Preloaded by bench/check.ts (`node --import`): when the process exits, writes its peak resident set
// size in KiB (getrusage's maxrss) and its CPU time in microseconds (user, system) to the file named by
// RELEASEGATE_PEAK_RSS_FILE, as "maxRssKiB userUs systemUs". The benchmarked program itself is left as it ships.
import { writeFileSync } from "node:fs";

const file = process.env["RELEASEGATE_PEAK_RSS_FILE"];
if (file !== undefined) {
  process.on("exit", () => {
    const usage = process.resourceUsage();
    writeFileSync(file, `${usage.maxRSS} ${usage.userCPUTime} ${usage.systemCPUTime}`);
  });
}
