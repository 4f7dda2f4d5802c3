// A command's output written in chunks of about 64 KiB instead of one write per line or one string of
// the whole report: `check` on a file of 49,900 problems prints 12.8 MB (more as JSON), and one write per
// line queued that many write requests on a pipe, while one string of it all doubled what the report
// itself holds. The text is exactly what writing it at once would give.

/** About how many characters a chunk holds before it is written. */
const CHUNK = 64 * 1024;

export class ChunkedOutput {
  private parts: string[] = [];
  private length = 0;

  constructor(private readonly write: (text: string) => void) {}

  add(text: string): void {
    this.parts.push(text);
    this.length += text.length;
    if (this.length >= CHUNK) this.flush();
  }

  /** Writes what is held; call once at the end. */
  flush(): void {
    if (this.length === 0) return;
    this.write(this.parts.join(""));
    this.parts = [];
    this.length = 0;
  }
}

/** JSON.stringify(value, null, 2) of a value nested `depth` levels deep in a pretty-printed document. */
function nested(value: unknown, depth: number): string {
  const text = JSON.stringify(value, null, 2);
  return depth === 0 ? text : text.replaceAll("\n", `\n${"  ".repeat(depth)}`);
}

/**
 * Adds exactly `${JSON.stringify(report, null, 2)}\n` to `out`, one array element at a time: the string
 * of the whole report is never built. `report` is a plain object of JSON values.
 */
export function addPrettyJson(out: ChunkedOutput, report: Record<string, unknown>): void {
  const entries = Object.entries(report).filter(([, value]) => value !== undefined && typeof value !== "function" && typeof value !== "symbol");
  if (entries.length === 0) {
    out.add("{}\n");
    return;
  }
  out.add("{\n");
  entries.forEach(([key, value], i) => {
    out.add(`  ${JSON.stringify(key)}: `);
    if (Array.isArray(value) && value.length > 0) {
      out.add("[\n");
      value.forEach((element: unknown, j) => {
        // JSON.stringify writes an array's undefined (or function) elements as null.
        const text = element === undefined || typeof element === "function" || typeof element === "symbol" ? "null" : nested(element, 2);
        out.add(`    ${text}${j < value.length - 1 ? "," : ""}\n`);
      });
      out.add("  ]");
    } else {
      out.add(nested(value, 1));
    }
    out.add(i < entries.length - 1 ? ",\n" : "\n");
  });
  out.add("}\n");
}
