// The graph page's HTML: the same document for `serve` (the script and the data fetched from the
// page's server) and for `graph --format html` (script and data inlined: one file, no server).

import type { GraphSnapshot } from "./graph-snapshot.js";

/** The page's script by URL, or inlined. */
type PageScript = { src: string } | { inline: string };

const STYLE = `
:root { font-family: system-ui, sans-serif; color: #1b1b1b; background: #fafafa; }
body { margin: 0; }
header { padding: 8px 16px; background: #263238; color: #fff; display: flex; gap: 16px; align-items: baseline; flex-wrap: wrap; }
header h1 { font-size: 18px; margin: 0; }
#status { margin: 0; font-size: 14px; }
#filters { display: flex; gap: 16px; padding: 8px 16px; flex-wrap: wrap; align-items: center; border-bottom: 1px solid #ccc; background: #fff; }
#filters label { font-size: 14px; display: flex; gap: 6px; align-items: center; }
#filters label[hidden] { display: none; }
main { display: flex; min-height: 60vh; }
#graph { flex: 1; overflow: auto; max-height: 75vh; background: #fff; }
#details { width: 380px; border-left: 1px solid #ccc; padding: 8px 16px; overflow: auto; max-height: 75vh; font-size: 14px; }
#details h2 { font-size: 17px; margin: 4px 0; word-break: break-all; }
#details h3 { font-size: 14px; margin: 12px 0 4px; }
#details table { border-collapse: collapse; width: 100%; }
#details th, #details td { border: 1px solid #ddd; padding: 2px 4px; text-align: left; vertical-align: top; }
#details td:last-child { overflow-wrap: anywhere; }
.gate-message { font-family: ui-monospace, monospace; background: #f4f4f4; padding: 4px; }
ol.path, #details ul { padding-left: 20px; margin: 0; }
ol.path { padding-left: 48px; }
li.omitted { list-style: none; font-style: italic; }
button.link { background: none; border: none; color: #0b57d0; text-decoration: underline; cursor: pointer; padding: 0; font: inherit; text-align: left; }
#list-section { padding: 8px 16px; border-top: 1px solid #ccc; }
#list-section h2 { font-size: 15px; margin: 0 0 4px; }
#list { list-style: none; padding: 0; margin: 0; columns: 3 320px; font-size: 13px; }
#list button { background: none; border: none; border-left: 6px solid var(--stroke); padding: 1px 6px; cursor: pointer; text-align: left; font: inherit; }
.legend { display: flex; gap: 12px; flex-wrap: wrap; font-size: 13px; padding: 6px 16px; border-top: 1px solid #eee; }
.legend span { border-left: 14px solid var(--stroke); padding-left: 4px; }
:focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
svg text { font-size: 12px; pointer-events: none; }
svg .name { font-weight: 600; font-size: 13px; }
.node { cursor: pointer; --fill: #eceff1; --stroke: #546e7a; }
.node .box { fill: var(--fill); stroke: var(--stroke); stroke-width: 2; }
.node .outline { fill: none; stroke: none; }
.node:focus { outline: none; }
.node.root-cause .outline { stroke: #000; stroke-width: 3; }
.node:focus .outline { stroke: #0b57d0; stroke-width: 3; stroke-dasharray: 5 3; }
.health-ready { --fill: #e8f5e9; --stroke: #2e7d32; }
.health-progressing { --fill: #e3f2fd; --stroke: #1565c0; }
.health-failed { --fill: #ffebee; --stroke: #b71c1c; }
.health-suspended { --fill: #f5f5f5; --stroke: #757575; }
.reason-Failed { --fill: #fff3e0; --stroke: #e65100; }
.reason-NotReady { --fill: #fffde7; --stroke: #f9a825; }
.reason-Suspended { --fill: #eeeeee; --stroke: #9e9e9e; }
.reason-Missing { --fill: #f3e5f5; --stroke: #6a1b9a; }
.reason-Cycle, .cycle { --fill: #ffcdd2; --stroke: #d50000; }
.state-missing { --fill: #ffffff; --stroke: #6a1b9a; }
.state-unknown { --fill: #f5f7f8; --stroke: #78909c; }
.node.duplicate .outline { stroke: var(--stroke); stroke-width: 2; }
.legend .duplicate { --stroke: #78909c; }
.zoom { display: flex; gap: 4px; align-items: center; font-size: 13px; }
.zoom button { font: inherit; padding: 1px 8px; }
#problems-section { padding: 6px 16px; border-bottom: 1px solid #ccc; background: #fff8f6; font-size: 13px; }
#problems-section h2 { font-size: 14px; margin: 0 0 4px; }
#problems { margin: 0; padding-left: 20px; font-family: ui-monospace, monospace; }
svg .kind { font-size: 11px; fill: #37474f; }
.node.ghost .box { stroke-dasharray: 6 4; fill-opacity: 0.6; }
.node.selected .box { stroke: #0b57d0; stroke-width: 4; }
.node.dimmed { opacity: 0.35; }
.edge { fill: none; stroke: #90a4ae; stroke-width: 1.5; }
.edge.cycle { stroke: #d50000; stroke-width: 2.5; }
.edge.on-path { stroke: #0b57d0; stroke-width: 3.5; }
.edge.upstream { stroke: #5c6bc0; stroke-width: 2.5; }
.edge.downstream { stroke: #00897b; stroke-width: 2.5; }
.edge.dimmed { opacity: 0.25; }
.node.on-path .box { stroke: #0b57d0; stroke-width: 3; }
.node.upstream .box { stroke-dasharray: none; }
.hint { color: #555; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
`;

const LEGEND: [string, string][] = [
  ["health-ready", "open, ready"],
  ["health-progressing", "open, progressing"],
  ["health-failed", "failed"],
  ["reason-Failed", "blocked: Failed"],
  ["reason-NotReady", "blocked: NotReady"],
  ["reason-Suspended", "blocked: Suspended"],
  ["reason-Missing", "blocked: Missing"],
  ["reason-Cycle", "cycle"],
  ["state-missing", "missing (dashed)"],
];

/** Read from files there is no status: the legend says only what the structure tells. */
const OFFLINE_LEGEND: [string, string][] = [
  ["state-unknown", "no status (from files)"],
  ["reason-Missing", "blocked: Missing"],
  ["reason-Cycle", "cycle"],
  ["state-missing", "missing (dashed)"],
  ["duplicate", "defined twice (double border)"],
];

/** Script text inside a <script> element: nothing in it may close the element. */
function noScriptEnd(text: string): string {
  return text.replace(/<\/script/gi, "<\\/script");
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON inside a <script> element: nothing in it may close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

/**
 * The page. `snapshots`: the graphs read from files, one per cluster, embedded (the page shows one at a
 * time, with a cluster selector when there are several); without them the page reads the live feed.
 */
export function pageHtml(options: { script: PageScript; snapshots?: readonly GraphSnapshot[]; title?: string; preload?: string }): string {
  const title = options.title ?? "releasegate · dependency graph";
  const data = options.snapshots === undefined ? "" : `<script type="application/json" id="graph-data">${scriptJson(options.snapshots)}</script>\n`;
  // A script by URL is asked for first (deferred: it runs once the document is read), before the graph,
  // so the server sends it before it serializes the graph; the graph is fetched while the script is read.
  const head =
    ("src" in options.script ? `<script src="${escapeHtml(options.script.src)}" defer></script>\n` : "") +
    (options.preload === undefined ? "" : `<link rel="preload" href="${escapeHtml(options.preload)}" as="fetch" crossorigin="anonymous">\n`);
  const script =
    "src" in options.script
      ? ""
      : `<script>${noScriptEnd(options.script.inline)}</script>`;
  const legend = (options.snapshots === undefined ? LEGEND : OFFLINE_LEGEND).map(([cls, label]) => `<span class="${cls}">${escapeHtml(label)}</span>`).join("");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
${head}<style>${STYLE}</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1><p id="status" role="status" aria-live="polite">loading…</p><p id="announce" class="visually-hidden" aria-live="polite"></p></header>
<form id="filters" role="search" aria-label="Filter the graph">
<label id="cluster-label" hidden>Cluster <select id="f-cluster"></select></label>
<label>Namespace <select id="f-namespace"></select></label>
<label>Kind <select id="f-kind"></select></label>
<label>State <select id="f-state">
<option value="all">all</option>
<option value="blocked">blocked only (with root causes)</option>
<option value="open">open</option>
<option value="missing">missing</option>
<option value="unknown">no status (from files)</option>
<option value="Cycle">blocked: Cycle</option>
<option value="Missing">blocked: Missing</option>
<option value="Failed">blocked: Failed</option>
<option value="NotReady">blocked: NotReady</option>
<option value="Suspended">blocked: Suspended</option>
</select></label>
<label>Search <input id="f-search" type="search" placeholder="name (press /)" autocomplete="off"></label>
<span class="zoom" role="group" aria-label="Zoom"><button type="button" id="zoom-fit">Fit to screen</button><button type="button" id="zoom-out" aria-label="Zoom out">−</button><button type="button" id="zoom-in" aria-label="Zoom in">+</button><span id="zoom-level">100%</span></span>
</form>
<section id="problems-section" hidden aria-labelledby="problems-title"><h2 id="problems-title">What check reports</h2><ul id="problems"></ul></section>
<div class="legend" aria-label="Legend">${legend}<span class="root-outline" style="--stroke:#000">thick black border: root cause</span><span style="--stroke:#90a4ae">arrow: dependency → dependent</span></div>
<main>
<section id="graph" aria-label="Dependency graph, dependencies on the left. Arrow keys move between nodes: left to a dependency, right to a dependent, up and down through the list.">
<svg id="canvas" xmlns="http://www.w3.org/2000/svg" role="group" aria-label="dependency graph"><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#78909c"/></marker></defs></svg>
</section>
<aside id="details" aria-label="Selected object" aria-live="polite"></aside>
</main>
<section id="list-section" aria-labelledby="list-title"><h2 id="list-title">Objects shown</h2><p id="list-note"></p><ul id="list"></ul></section>
${data}${script}
</body>
</html>
`;
}
