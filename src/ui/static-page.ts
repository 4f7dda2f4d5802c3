// `releasegate graph --format html PATH...`: the graph page as one self-contained file (script and
// graphs inlined), one graph per cluster as `check` reads them, a selector between them. Opens from
// disk; no server.

import type { GraphSnapshot } from "./graph-snapshot.js";
import { pageHtml } from "./page-html.js";
import { readPageBundle } from "./ui-server.js";

export function staticGraphPage(clusters: readonly GraphSnapshot[], title?: string): string {
  const bundle = readPageBundle();
  if (bundle === undefined) throw new Error("the graph page script is missing from this build: run npm run build");
  return pageHtml({ script: { inline: bundle.script }, snapshots: clusters, ...(title !== undefined ? { title } : {}) });
}
