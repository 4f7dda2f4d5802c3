// Preloaded by bench/check.ts (`node --import`): when the process exits, writes its peak resident set
// size in KiB (getrusage's maxrss) to the file named by RELEASEGATE_PEAK_RSS_FILE. The benchmarked
// program itself is left as it ships.
import { writeFileSync } from "node:fs";

const file = process.env["RELEASEGATE_PEAK_RSS_FILE"];
if (file !== undefined) process.on("exit", () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
