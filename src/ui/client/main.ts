// The graph page in the browser: reads the graph (embedded in a static file, or from /api/graph and
// then /api/events as gates change), lays out what the filters let through (layout.ts), draws it as SVG (every
// node a focusable button with a spoken name), and shows the selected node's conditions, gate and
// path to its root cause (live: asked of /api/node when selected, as the snapshot holds no words).
// Keyboard: Tab / arrow keys move between nodes (left: a dependency, right: a dependent), Enter
// selects, Escape clears, "/" jumps to the search box.

import { decodeSnapshot } from "../compact-snapshot.js";
import type { CompactSnapshot } from "../compact-snapshot.js";
import type { GraphNode, GraphSnapshot, GraphUpdate, NodeId } from "../graph-snapshot.js";
import { ALL, drawnSubset, GraphModel, MAX_DRAWN } from "./graph-model.js";
import type { Filters, PageNode, PageSnapshot, StateFilter } from "./graph-model.js";
import { layOut } from "./layout.js";
import type { Layout } from "./layout.js";
import { accessibleName, blocksWords, changeAnnouncement, kindLine, nodeClasses, stateWord, subtitle } from "./node-label.js";

const SVG_NS = "http://www.w3.org/2000/svg";
/** The list under the graph shows at most this many entries. */
const MAX_LISTED = 1000;
/** The side panel names at most this many dependencies, dependents or blocked objects a list (a fan-in base has thousands). */
const MAX_RELATIVES = 50;

const model = new GraphModel();
let filters: Filters = { namespace: ALL, kind: ALL, state: "all", search: "" };
let selected: NodeId | undefined;
let drawnIds: NodeId[] = [];
let layout: Layout | undefined;
/** Read from files: one snapshot per cluster (no status); undefined on the live page. */
let clusters: GraphSnapshot[] | undefined;
let shownSnapshot: PageSnapshot | undefined;
/** The live page's request for the selected node's words: one at a time, again when asked meanwhile. */
let asking: NodeId | undefined;
let askAgain = false;
let wordsError: string | undefined;
/** The drawing's scale: 1 is natural size; "fit" scales it to the graph's box. */
let zoom = 1;
const ZOOM_STEPS = [0.1, 0.15, 0.25, 0.35, 0.5, 0.65, 0.8, 1, 1.25, 1.5, 2];

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

const ui = {
  status: element<HTMLParagraphElement>("status"),
  namespace: element<HTMLSelectElement>("f-namespace"),
  kind: element<HTMLSelectElement>("f-kind"),
  state: element<HTMLSelectElement>("f-state"),
  search: element<HTMLInputElement>("f-search"),
  canvas: document.getElementById("canvas") as unknown as SVGSVGElement,
  details: element<HTMLElement>("details"),
  list: element<HTMLUListElement>("list"),
  listNote: element<HTMLParagraphElement>("list-note"),
  announce: element<HTMLParagraphElement>("announce"),
  cluster: element<HTMLSelectElement>("f-cluster"),
  clusterLabel: element<HTMLLabelElement>("cluster-label"),
  title: document.querySelector("header h1") as HTMLHeadingElement,
  graph: element<HTMLElement>("graph"),
  zoomLevel: element<HTMLSpanElement>("zoom-level"),
  problemsSection: element<HTMLElement>("problems-section"),
  problems: element<HTMLUListElement>("problems"),
};
const baseTitle = document.title;

function text(tag: string, content: string, className?: string): HTMLElement {
  const el = document.createElement(tag);
  el.textContent = content;
  if (className !== undefined) el.className = className;
  return el;
}

// --- filters ---

function fillSelect(select: HTMLSelectElement, values: readonly string[], current: string, allLabel: string): void {
  const wanted = [ALL, ...values];
  const have = [...select.options].map((o) => o.value);
  if (have.length !== wanted.length || have.some((v, i) => v !== wanted[i])) {
    select.replaceChildren(...wanted.map((v) => new Option(v === ALL ? allLabel : v, v)));
  }
  select.value = wanted.includes(current) ? current : ALL;
}

function syncControls(): void {
  fillSelect(ui.namespace, model.namespaces(), filters.namespace, "all namespaces");
  fillSelect(ui.kind, model.kinds(), filters.kind, "all kinds");
  ui.state.value = filters.state;
  if (ui.search.value !== filters.search) ui.search.value = filters.search;
}

function readControls(): void {
  filters = { namespace: ui.namespace.value, kind: ui.kind.value, state: ui.state.value as StateFilter, search: ui.search.value };
}

// --- drawing ---

/** Lays out and draws what the filters let through (dagre runs on this thread: a few hundred nodes). */
function requestLayout(): void {
  const visible = model.visible(filters);
  const subset = drawnSubset(visible);
  drawnIds = subset.nodes.map((n) => n.id);
  listSoon(visible);
  const started = performance.now();
  document.body.dataset.loadedMs ??= String(Math.round(started));
  try {
    layout = layOut(subset.nodes, subset.edges);
  } catch (error) {
    ui.status.textContent = `cannot lay out the graph: ${error instanceof Error ? error.message : String(error)}`;
    return;
  }
  const laidOut = performance.now();
  draw(layout);
  // For bench/ui.ts: where the time of a view goes (ms since the navigation started).
  document.body.dataset.layoutMs = String(Math.round(laidOut - started));
  document.body.dataset.drawMs = String(Math.round(performance.now() - laidOut));
  renderStatus(visible.length, subset.truncated);
  if (document.body.dataset.drawnMs === undefined) {
    document.body.dataset.drawnMs = String(Math.round(performance.now()));
    // The first frame painted after it: what the person sees (the browser lays out and paints after this task).
    requestAnimationFrame(() => setTimeout(() => (document.body.dataset.paintedMs = String(Math.round(performance.now()))), 0));
  }
  document.body.dataset.ready = "true";
}

function draw(placed: Layout): void {
  const svg = ui.canvas;
  const pad = 16;
  const width = Math.max(placed.width + 2 * pad, 200);
  const height = Math.max(placed.height + 2 * pad, 60);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.dataset.width = String(width);
  svg.dataset.height = String(height);
  applyZoom();
  const root = document.createElementNS(SVG_NS, "g");
  root.setAttribute("transform", `translate(${pad},${pad})`);
  const edges = document.createElementNS(SVG_NS, "g");
  const byId = new Map(placed.nodes.map((p) => [p.node.id, p.node]));
  for (const edge of placed.edges) {
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", edge.points.map((p, i) => `${i === 0 ? "M" : "L"}${p.x},${p.y}`).join(" "));
    path.setAttribute("marker-end", "url(#arrow)");
    const cycle = byId.get(edge.from)?.cycle === true && byId.get(edge.to)?.cycle === true;
    path.setAttribute("class", cycle ? "edge cycle" : "edge");
    path.dataset.from = edge.from;
    path.dataset.to = edge.to;
    edges.append(path);
  }
  const nodes = document.createElementNS(SVG_NS, "g");
  for (const p of placed.nodes) {
    const g = document.createElementNS(SVG_NS, "g");
    g.setAttribute("transform", `translate(${p.x},${p.y})`);
    g.setAttribute("role", "button");
    g.setAttribute("tabindex", "0");
    g.dataset.id = p.node.id;
    const outline = document.createElementNS(SVG_NS, "rect");
    outline.setAttribute("class", "outline");
    outline.setAttribute("x", "-4");
    outline.setAttribute("y", "-4");
    outline.setAttribute("width", String(p.width + 8));
    outline.setAttribute("height", String(p.height + 8));
    outline.setAttribute("rx", "9");
    const box = document.createElementNS(SVG_NS, "rect");
    box.setAttribute("class", "box");
    box.setAttribute("width", String(p.width));
    box.setAttribute("height", String(p.height));
    box.setAttribute("rx", "6");
    const title = document.createElementNS(SVG_NS, "text");
    title.setAttribute("class", "name");
    title.setAttribute("x", "10");
    title.setAttribute("y", "18");
    title.textContent = p.node.name;
    const kind = document.createElementNS(SVG_NS, "text");
    kind.setAttribute("class", "kind");
    kind.setAttribute("x", "10");
    kind.setAttribute("y", "33");
    kind.textContent = kindLine(p.node);
    const sub = document.createElementNS(SVG_NS, "text");
    sub.setAttribute("class", "sub");
    sub.setAttribute("x", "10");
    sub.setAttribute("y", "49");
    g.append(outline, box, title, kind, sub);
    nodes.append(g);
  }
  root.append(edges, nodes);
  const defs = svg.querySelector("defs");
  svg.replaceChildren(...(defs === null ? [] : [defs]), root);
  paint();
}

/** Colours, words and highlights of the drawn nodes, from the model as it is now (no new layout). */
function paint(): void {
  const roots = model.rootCauses();
  const onPath = new Set(selected === undefined ? [] : model.pathToRootCause(selected));
  const upstream = selected === undefined ? new Set<NodeId>() : model.upstream(selected);
  const downstream = selected === undefined ? new Set<NodeId>() : model.downstream(selected);
  const relation = (id: NodeId): string => {
    if (selected === undefined) return "";
    if (id === selected) return " selected";
    const marks = [onPath.has(id) ? " on-path" : "", upstream.has(id) ? " upstream" : "", downstream.has(id) ? " downstream" : ""].join("");
    return marks === "" ? " dimmed" : marks;
  };
  for (const g of ui.canvas.querySelectorAll<SVGGElement>("g[data-id]")) {
    const node = model.nodes.get(g.dataset.id!);
    if (node === undefined) continue;
    const isRoot = roots.has(node.id);
    const blocks = isRoot ? model.blocks(node.id).length : 0;
    g.setAttribute("class", nodeClasses(node, isRoot) + relation(node.id));
    g.setAttribute("aria-label", accessibleName(node, isRoot, blocks));
    g.setAttribute("aria-pressed", String(node.id === selected));
    g.querySelector(".kind")!.textContent = kindLine(node);
    g.querySelector(".sub")!.textContent = subtitle(node, blocks);
  }
  for (const path of ui.canvas.querySelectorAll<SVGPathElement>("path.edge")) {
    const from = path.dataset.from!;
    const to = path.dataset.to!;
    let mark = "";
    if (selected !== undefined) {
      const pathIndex = [...onPath];
      const i = pathIndex.indexOf(to);
      if (i >= 0 && pathIndex[i + 1] === from) mark = " on-path";
      else if ((to === selected || upstream.has(to)) && (upstream.has(from) || from === selected)) mark = " upstream";
      else if ((from === selected || downstream.has(from)) && downstream.has(to)) mark = " downstream";
      else mark = " dimmed";
    }
    path.setAttribute("class", `${path.classList.contains("cycle") ? "edge cycle" : "edge"}${mark}`);
  }
}

function renderStatus(visible: number, truncated: number): void {
  const all = [...model.nodes.values()].filter((n) => n.ghost !== true);
  const blocked = all.filter((n) => n.state === "blocked").length;
  const drawn = truncated > 0 ? `; drawing the first ${MAX_DRAWN} of ${visible}: narrow the filters to see the rest` : "";
  const filtered = filters.state === "blocked" && visible < all.length ? ` (showing blocked objects and their root causes: ${visible})` : ` (showing ${visible})`;
  if (shownSnapshot?.source === "files") {
    // Files carry no status: say what the structure shows, as check counts it, and nothing more.
    const problems = shownSnapshot.problems?.length ?? 0;
    const cluster = shownSnapshot.cluster === undefined || shownSnapshot.cluster === "." ? "" : ` in cluster ${shownSnapshot.cluster}`;
    const stuck = blocked === 0 ? "" : `, ${blocked} blocked by the structure`;
    ui.status.textContent = `${all.length} objects${cluster}${stuck}; ${problems === 0 ? "check finds no problem" : `check reports ${problems} ${problems === 1 ? "problem" : "problems"}`}; read from files: no status${filtered}${drawn}`;
    return;
  }
  ui.status.textContent = `${all.length} objects, ${blocked} blocked${filtered}${drawn}`;
}

function renderProblems(): void {
  const problems = shownSnapshot?.problems ?? [];
  ui.problemsSection.hidden = problems.length === 0;
  ui.problems.replaceChildren(...problems.map((p) => text("li", `${p.file === "" ? "" : `${p.file}:${p.line}: `}${p.object}: ${p.message}`)));
}

// --- zoom ---

function applyZoom(): void {
  const width = Number(ui.canvas.dataset.width ?? "200");
  const height = Number(ui.canvas.dataset.height ?? "60");
  ui.canvas.setAttribute("width", String(Math.round(width * zoom)));
  ui.canvas.setAttribute("height", String(Math.round(height * zoom)));
  ui.zoomLevel.textContent = `${Math.round(zoom * 100)}%`;
  document.body.dataset.zoom = String(zoom);
}

/** Scales the drawing to the graph's box (never above natural size). */
function fitToScreen(): void {
  const width = Number(ui.canvas.dataset.width ?? "200");
  const height = Number(ui.canvas.dataset.height ?? "60");
  const box = ui.graph.getBoundingClientRect();
  zoom = Math.max(0.05, Math.min(1, (box.width - 4) / width, (box.height - 4) / height));
  applyZoom();
}

function zoomBy(direction: 1 | -1): void {
  const next = direction > 0 ? ZOOM_STEPS.find((step) => step > zoom + 1e-9) : [...ZOOM_STEPS].reverse().find((step) => step < zoom - 1e-9);
  zoom = next ?? zoom;
  applyZoom();
}

/** What the list is to show once the graph is on screen; undefined while nothing waits. */
let toList: readonly PageNode[] | undefined;

/**
 * The list (up to MAX_LISTED entries, below the graph) is built after the next frame is painted, so the
 * graph shows first; later calls before then just replace what it will show.
 */
function listSoon(visible: readonly PageNode[]): void {
  const waiting = toList !== undefined;
  toList = visible;
  if (waiting) return;
  requestAnimationFrame(() =>
    setTimeout(() => {
      const shown = toList ?? [];
      toList = undefined;
      const started = performance.now();
      renderList(shown);
      // For bench/ui.ts.
      document.body.dataset.listMs ??= String(Math.round(performance.now() - started));
    }, 0),
  );
}

function renderList(visible: readonly PageNode[]): void {
  const roots = model.rootCauses();
  const items = visible.slice(0, MAX_LISTED).map((node) => {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.id = node.id;
    const isRoot = roots.has(node.id);
    const blocks = isRoot ? model.blocks(node.id).length : 0;
    button.className = nodeClasses(node, isRoot);
    const held = blocks > 0 ? ` · root cause, ${blocksWords(blocks)}` : "";
    button.append(text("span", `${node.namespace}/${node.name}`, "list-name"), text("span", ` ${node.kind} · ${stateWord(node)}${held}`, "list-state"));
    button.setAttribute("aria-label", accessibleName(node, isRoot, blocks));
    li.append(button);
    return li;
  });
  ui.list.replaceChildren(...items);
  ui.listNote.textContent = visible.length > MAX_LISTED ? `listing the first ${MAX_LISTED} of ${visible.length}` : "";
}

// --- the selected node ---

function nodeButton(id: NodeId): HTMLElement {
  const node = model.nodes.get(id);
  const button = document.createElement("button");
  button.type = "button";
  button.className = "link";
  button.dataset.id = id;
  button.textContent = node === undefined ? id : `${node.kind} ${node.namespace}/${node.name} (${stateWord(node)})`;
  return button;
}

function renderDetails(): void {
  const summary = selected === undefined ? undefined : model.nodes.get(selected);
  if (summary === undefined) {
    ui.details.replaceChildren(text("p", "Select an object (click, or Tab to it and press Enter) to see its conditions, its gate and the path to its root cause.", "hint"));
    return;
  }
  const parts: HTMLElement[] = [text("h2", `${summary.namespace}/${summary.name}`)];
  const isRoot = model.rootCauses().has(summary.id);
  const blocked = isRoot ? model.blocks(summary.id) : [];
  parts.push(text("p", `${summary.kind} · ${stateWord(summary)}${isRoot ? ` · root cause, ${blocksWords(blocked.length)}` : ""}`, "kind"));
  const node = model.words(summary.id);
  if (node === undefined) parts.push(text("p", wordsError ?? "loading its gate, conditions and path…", "loading"));
  else parts.push(...wordsOf(node));
  const relatives = (title: string, ids: readonly NodeId[]): void => {
    parts.push(text("h3", title));
    if (ids.length === 0) parts.push(text("p", "none"));
    else {
      const ul = document.createElement("ul");
      for (const id of ids.slice(0, MAX_RELATIVES)) {
        const li = document.createElement("li");
        li.append(nodeButton(id));
        ul.append(li);
      }
      if (ids.length > MAX_RELATIVES) ul.append(text("li", `… and ${ids.length - MAX_RELATIVES} more`, "omitted"));
      parts.push(ul);
    }
  };
  relatives("Depends on", summary.dependencies);
  relatives("Needed by", model.dependents(summary.id));
  if (blocked.length > 0) relatives(`Blocks ${blocked.length === 1 ? "1 release" : `${blocked.length} releases`} (directly or through others)`, blocked);
  ui.details.replaceChildren(...parts);
}

/** The panel's words of a node: what failed, its gate, what check reports, its path and its conditions. */
function wordsOf(node: GraphNode): HTMLElement[] {
  const parts: HTMLElement[] = [];
  const failure = whatFailed(node);
  if (failure !== undefined) parts.push(text("h3", "What failed"), text("p", failure, "gate-message failure"));
  // A failed object's own gate may be open (its dependencies are fine); that is not what holds the others back.
  if (failure === undefined || node.state !== "open") parts.push(text("h3", "Gate"), text("p", node.message, "gate-message"));
  if (node.problems !== undefined && node.problems.length > 0) {
    parts.push(text("h3", "What check reports"));
    const ul = document.createElement("ul");
    for (const problem of node.problems) ul.append(text("li", problem));
    parts.push(ul);
  }
  if (node.depth !== undefined) parts.push(text("p", `depth ${node.depth} (${node.depth === 0 ? "no dependency" : `the longest chain of dependencies below it has ${node.depth}`})`, "hint"));
  if (node.path !== undefined && node.path.length > 0) {
    parts.push(text("h3", "Path to the root cause"));
    const ol = document.createElement("ol");
    ol.className = "path";
    // A long path comes shortened in the middle (at most twelve hops shown): the gap says how many.
    const gapBefore = node.pathOmitted !== undefined && node.pathOmitted > 0 ? 1 + (node.pathOmittedAt ?? 0) : -1;
    model.pathToRootCause(node.id).forEach((id, i) => {
      const li = document.createElement("li");
      if (i === gapBefore) ol.append(text("li", `… ${node.pathOmitted} more …`, "omitted"));
      // Numbered by place in the whole path: the hops after the gap keep theirs.
      li.value = i + 1 + (gapBefore >= 0 && i >= gapBefore ? (node.pathOmitted ?? 0) : 0);
      li.append(nodeButton(id));
      ol.append(li);
    });
    parts.push(ol);
  }
  parts.push(text("h3", "Conditions"));
  const noConditions = node.ghost === true ? "none: the object does not exist" : shownSnapshot?.source === "files" ? "none: read from files, which carry no status" : "none reported yet";
  if (node.conditions.length === 0) parts.push(text("p", noConditions));
  else {
    const table = document.createElement("table");
    const head = document.createElement("tr");
    for (const h of ["type", "status", "reason", "message"]) head.append(text("th", h));
    table.append(head);
    for (const c of node.conditions) {
      const row = document.createElement("tr");
      for (const cell of [c.type, c.status, c.reason ?? "", c.message ?? ""]) row.append(text("td", cell));
      table.append(row);
    }
    parts.push(table);
  }
  return parts;
}

/**
 * Live: asks the server for the selected node's words (its gate, conditions and bounded path), one
 * request at a time; asked again meanwhile (another selection, an update), it asks once more after.
 */
function askWords(): void {
  if (selected === undefined || clusters !== undefined) return;
  if (asking !== undefined) {
    askAgain = true;
    return;
  }
  const id = selected;
  const mark = model.touchesOf(id);
  asking = id;
  askAgain = false;
  const show = (): void => {
    if (selected !== id) return;
    renderDetails();
    paint();
  };
  fetch(`api/node?id=${encodeURIComponent(id)}`)
    .then(async (response) => {
      // Gone meanwhile: the update that removes it is on its way.
      if (response.status === 404) return;
      if (!response.ok) throw new Error(`GET api/node: HTTP ${response.status}`);
      const words = (await response.json()) as GraphNode;
      wordsError = undefined;
      // Touched by an update since it was asked for: stale, ask again.
      if (model.setWords(words, mark)) show();
      else askAgain = true;
    })
    .catch((error: unknown) => {
      wordsError = `cannot load its gate and path: ${error instanceof Error ? error.message : String(error)}`;
      show();
    })
    .finally(() => {
      asking = undefined;
      if (askAgain) askWords();
    });
}

/** A failed object says what failed: its Ready condition's reason and message, as Flux wrote them. */
function whatFailed(node: GraphNode): string | undefined {
  if (node.health !== "failed") return undefined;
  const ready = node.conditions.find((c) => c.type === "Ready" && c.status === "False");
  const stalled = node.conditions.find((c) => c.type === "Stalled" && c.status === "True");
  const words = [ready?.reason, ready?.message].filter((w): w is string => w !== undefined && w !== "").join(": ");
  const extra = stalled !== undefined && stalled.reason !== ready?.reason ? ` (Stalled: ${stalled.reason ?? ""})` : "";
  return words === "" ? "failed (no reason given)" : `${words}${extra}`;
}

function select(id: NodeId | undefined, focus = false): void {
  selected = id !== undefined && model.nodes.has(id) ? id : undefined;
  wordsError = undefined;
  if (selected !== undefined && model.words(selected) === undefined) askWords();
  if (selected !== undefined && !drawnIds.includes(selected)) {
    // Selected from a list or a path but not drawn: show its namespace, whatever its state.
    filters = { namespace: model.nodes.get(selected)!.namespace, kind: ALL, state: "all", search: "" };
    syncControls();
    requestLayout();
  }
  paint();
  renderDetails();
  if (focus && selected !== undefined) focusNode(selected);
}

function focusNode(id: NodeId): void {
  const g = ui.canvas.querySelector<SVGGElement>(`g[data-id="${CSS.escape(id)}"]`);
  g?.focus();
}

// --- data ---

function apply(update: { nodes: readonly PageNode[]; removed: readonly NodeId[] }): void {
  const changes = update.nodes.map((after) => ({ before: model.nodes.get(after.id), after }));
  const structural = model.apply(update);
  // Screen readers hear which gates changed (a polite live region), not only the new counts.
  const said = changeAnnouncement(changes);
  if (said !== "") ui.announce.textContent = said;
  const visible = model.visible(filters);
  const subset = drawnSubset(visible);
  const visibleIds = subset.nodes.map((n) => n.id);
  if (structural || visibleIds.length !== drawnIds.length || visibleIds.some((id, i) => id !== drawnIds[i])) {
    syncControls();
    requestLayout();
  } else {
    // Same nodes drawn: new colours and words on the graph, and the list and counts with them.
    paint();
    listSoon(visible);
    renderStatus(visible.length, subset.truncated);
  }
  if (selected !== undefined) {
    renderDetails();
    // Its words (and the path's first hops) may have moved with any gate: asked for again.
    askWords();
  }
  document.body.dataset.updates = String(Number(document.body.dataset.updates ?? "0") + 1);
}

function start(snapshot: PageSnapshot): void {
  shownSnapshot = snapshot;
  model.load(snapshot);
  filters = model.defaultFilters();
  selected = undefined;
  syncControls();
  renderDetails();
  renderProblems();
  requestLayout();
  fitToScreen();
}

/** Keeps only the state filters that can match: read from files there is no status to filter on. */
function stateOptions(offline: boolean): void {
  const live = new Set(["open", "Failed", "NotReady", "Suspended"]);
  for (const option of [...ui.state.options]) {
    if (offline ? live.has(option.value) : option.value === "unknown") option.remove();
  }
}

/** Read from files: the clusters check finds, one shown at a time, the title naming it. */
function startClusters(snapshots: GraphSnapshot[]): void {
  clusters = snapshots;
  stateOptions(true);
  const names = snapshots.map((s, i) => s.cluster ?? String(i));
  ui.clusterLabel.hidden = snapshots.length < 2;
  ui.cluster.replaceChildren(...names.map((name, i) => new Option(`${name === "." ? "(whole path)" : name} (${snapshots[i]!.nodes.filter((n) => n.ghost !== true).length} objects)`, String(i))));
  showCluster(0);
}

function showCluster(index: number): void {
  const snapshot = clusters?.[index];
  if (snapshot === undefined) return;
  ui.cluster.value = String(index);
  const named = snapshot.cluster === undefined || snapshot.cluster === "." ? baseTitle : `${baseTitle} · cluster ${snapshot.cluster}`;
  document.title = named;
  ui.title.textContent = named;
  document.body.dataset.cluster = snapshot.cluster ?? "";
  start(snapshot);
}

/** A later snapshot as an update of the one shown: only what changed is drawn again. */
function catchUp(snapshot: PageSnapshot): void {
  const fresh = new Set(snapshot.nodes.map((n) => n.id));
  apply({ nodes: snapshot.nodes, removed: [...model.nodes.keys()].filter((id) => !fresh.has(id)) });
}

function connectLive(): void {
  let shown: PageSnapshot | undefined;
  let loading = 0;
  let queued: GraphUpdate[] = [];
  /** The feed's revision when the first stream opened, until the first snapshot is shown. */
  let streamRevision: number | undefined;
  let hellos = 0;
  const fetchSnapshot = async (): Promise<void> => {
    loading++;
    let snapshot: PageSnapshot;
    try {
      const response = await fetch("api/graph");
      if (!response.ok) throw new Error(`GET api/graph: HTTP ${response.status}`);
      const compact = (await response.json()) as CompactSnapshot;
      document.body.dataset.fetchedMs ??= String(Math.round(performance.now()));
      snapshot = { source: compact.source, ...(compact.revision === undefined ? {} : { revision: compact.revision }), nodes: decodeSnapshot(compact) };
      document.body.dataset.decodedMs ??= String(Math.round(performance.now()));
      if (shown !== undefined) {
        shownSnapshot = snapshot;
        catchUp(snapshot);
      } else start(snapshot);
      shown = snapshot;
    } finally {
      loading--;
    }
    if (loading === 0) {
      for (const update of queued) apply(update);
      queued = [];
    }
    // Taken before the stream opened and older than the stream: what changed between is fetched.
    if (streamRevision !== undefined && loading === 0) {
      if (snapshot.revision === undefined || snapshot.revision < streamRevision) load();
      streamRevision = undefined;
    }
  };
  const load = (): void => {
    fetchSnapshot().catch((error: unknown) => (ui.status.textContent = `cannot load the graph: ${error instanceof Error ? error.message : String(error)}`));
  };
  // The first snapshot is fetched at once (the page preloads it), beside the stream. Changes reach
  // the page only once the stream is open; the stream opens with the feed's revision, so the first
  // snapshot is fetched again only when something changed before the stream opened. Every
  // reconnection fetches it again and applies what changed meanwhile.
  stateOptions(false);
  load();
  const source = new EventSource("api/events");
  source.addEventListener("hello", (event) => {
    hellos++;
    const revision = (JSON.parse((event as MessageEvent<string>).data) as { revision?: number }).revision;
    if (hellos > 1 || revision === undefined) load();
    else if (shown === undefined || loading > 0) streamRevision = revision;
    else if (shown.revision === undefined || shown.revision < revision) load();
  });
  source.addEventListener("update", (event) => {
    const update = JSON.parse((event as MessageEvent<string>).data) as GraphUpdate;
    if (loading === 0 && shown !== undefined) apply(update);
    else queued.push(update);
  });
  source.addEventListener("error", () => {
    if (source.readyState !== EventSource.OPEN) ui.status.textContent = "connection to releasegate lost; reconnecting…";
  });
}

// --- events ---

function wire(): void {
  for (const control of [ui.namespace, ui.kind, ui.state]) {
    control.addEventListener("change", () => {
      readControls();
      requestLayout();
    });
  }
  let searchTimer: number | undefined;
  ui.search.addEventListener("input", () => {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(() => {
      readControls();
      requestLayout();
    }, 120);
  });
  element<HTMLFormElement>("filters").addEventListener("submit", (event) => event.preventDefault());
  ui.cluster.addEventListener("change", () => showCluster(Number(ui.cluster.value)));
  element<HTMLButtonElement>("zoom-fit").addEventListener("click", fitToScreen);
  element<HTMLButtonElement>("zoom-in").addEventListener("click", () => zoomBy(1));
  element<HTMLButtonElement>("zoom-out").addEventListener("click", () => zoomBy(-1));
  const pick = (event: Event): void => {
    const target = (event.target as Element).closest<HTMLElement | SVGGElement>("[data-id]");
    if (target === null) return;
    select(target.dataset.id, target instanceof SVGGElement || target.closest("#details") !== null);
  };
  ui.canvas.addEventListener("click", pick);
  ui.list.addEventListener("click", pick);
  ui.details.addEventListener("click", pick);
  ui.canvas.addEventListener("keydown", (event) => {
    const target = (event.target as Element).closest<SVGGElement>("g[data-id]");
    if (target === null) return;
    const id = target.dataset.id!;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      select(id, true);
    } else if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      event.preventDefault();
      const next = event.key === "ArrowLeft" ? model.nodes.get(id)?.dependencies : model.dependents(id);
      const drawn = (next ?? []).find((n) => drawnIds.includes(n));
      if (drawn !== undefined) focusNode(drawn);
    } else if (event.key === "ArrowUp" || event.key === "ArrowDown") {
      event.preventDefault();
      const order = [...ui.canvas.querySelectorAll<SVGGElement>("g[data-id]")];
      const at = order.indexOf(target);
      order[at + (event.key === "ArrowUp" ? -1 : 1)]?.focus();
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "/" && document.activeElement !== ui.search) {
      event.preventDefault();
      ui.search.focus();
    } else if (event.key === "Escape") {
      select(undefined);
    }
  });
}

document.body.dataset.scriptMs = String(Math.round(performance.now()));
wire();
const embedded = document.getElementById("graph-data");
if (embedded !== null) {
  const data = JSON.parse(embedded.textContent ?? "[]") as GraphSnapshot[] | GraphSnapshot;
  startClusters(Array.isArray(data) ? data : [data]);
} else connectLive();
