// Webhook warnings as HTTP Warning headers (k8s.io/apiserver/pkg/endpoints/filters/warning.go recorder and
// net.NewWarningHeader): code 299, sanitized, truncated as kube-apiserver truncates them.

const TRUNCATE_AT_TOTAL_RUNES = 4 * 1024;
const TRUNCATE_ITEM_RUNES = 256;

// unicode.IsControl: C0, DEL and C1 control characters.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function headerValue(text: string): string | undefined {
  if (CONTROL.test(text)) return undefined; // NewWarningHeader refuses it, so the warning is dropped
  const quoted = `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
  // Go writes the header's UTF-8 bytes as they are; Node needs them as latin1 characters to do the same.
  return Buffer.from(`299 - ${quoted}`, "utf8").toString("latin1");
}

/**
 * The `Warning` header values for all warnings of one request, as kube-apiserver writes them: `299 - "text"`,
 * duplicates and warnings with control characters dropped; once the texts exceed 4096 characters every
 * warning is cut to 256 characters, and warnings past 4096 truncated characters are dropped. Values are
 * latin1 strings of the UTF-8 bytes, ready for `res.setHeader("Warning", values)`.
 */
export function warningHeaderValues(warnings: readonly string[]): string[] {
  const recorded = new Set<string>();
  const ordered: string[] = [];
  let headers: string[] = [];
  let written = 0;
  let truncating = false;
  const runes = (s: string): number => [...s].length;
  const cut = (s: string): string => (runes(s) > TRUNCATE_ITEM_RUNES ? [...s].slice(0, TRUNCATE_ITEM_RUNES).join("") : s);
  for (const original of warnings) {
    if (original === "") continue;
    if (written >= TRUNCATE_AT_TOTAL_RUNES && truncating) break;
    if (recorded.has(original)) continue;
    recorded.add(original);
    ordered.push(original);
    const text = truncating ? cut(original) : original;
    const header = headerValue(text);
    if (header === undefined) continue;
    if (written + runes(text) <= TRUNCATE_AT_TOTAL_RUNES || truncating) {
      written += runes(text);
      headers.push(header);
      continue;
    }
    // Over the limit for the first time: replay everything so far, truncated.
    truncating = true;
    written = 0;
    headers = [];
    for (const w of ordered) {
      const t = cut(w);
      const h = headerValue(t);
      if (h === undefined) continue;
      written += runes(t);
      headers.push(h);
    }
  }
  return headers;
}
