// `releasegate graph --format html PATH...`: the graph page as one self-contained file (script and
// graph inlined), for a repo's objects as `check` reads them. Opens from disk; no server.

import type { FluxObject } from "../graph/types.js";
import { snapshotOfObjects } from "./graph-nodes.js";
import { pageHtml } from "./page-html.js";
import { readPageBundle } from "./ui-server.js";

export function staticGraphPage(objects: Iterable<FluxObject>, title?: string): string {
  const bundle = readPageBundle();
  if (bundle === undefined) throw new Error("the graph page script is missing from this build: run npm run build");
  return pageHtml({ script: { inline: bundle.script }, snapshot: snapshotOfObjects(objects, "files"), ...(title !== undefined ? { title } : {}) });
}
