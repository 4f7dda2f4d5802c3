// Graph page benchmark (docs/behaviour.md, Performance targets: first view of a 10,000-object cluster
// under 1 s; a gate change shown within 1 s). 10,000 HelmReleases in 100 namespaces, chains of ten, 2%
// failed and 5% progressing, served by the page's own server over serve's feed (the kind's store on
// the one FluxGraph, storeFeed), opened in Debian's Chromium. Prints the first view as a user meets
// it (a fresh browser profile and a fresh page server each time, so nothing is cached in the browser
// and the server builds the graph's JSON anew), measured in the page from the start of the navigation
// to the graph drawn, with where the time went; and the latency from a watch event to the page showing the
// change, with and without a new layout. Not a test: it asserts nothing.
// Run: npm run bench:ui   (SHAPE=chain: one chain of 10,000 instead, first view and the side panel's path only;
// SHAPE=fanin|fanout|lattice|cycle: bench/shapes.ts's shapes of 10,000, first view only)
import { gzipSync } from "node:zlib";
import { loadavg } from "node:os";
import { FluxGraph } from "../src/cluster/flux-graph.js";
import { KindStore } from "../src/cluster/kind-store.js";
import { release } from "../src/graph/test-helpers.test-support.js";
import type { FluxObject } from "../src/graph/types.js";
import { storeFeed } from "../src/ui/store-feed.js";
import { startUiServer } from "../src/ui/ui-server.js";
import { chromiumMissing, launchChromium } from "../test/helpers/chromium.js";
import { MemoryCache } from "../test/helpers/memory-cache.js";
import { mulberry32 } from "./random.js";
import { shape, SHAPES } from "./shapes-seed.js";
import type { ShapeName } from "./shapes-seed.js";

const NAMESPACES = 100;
const PER_NAMESPACE = 100;
const CHAIN = 10;
const ROUNDS = 15;
const VIEWS = 5;

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(" ");

function fleet(): { objects: FluxObject[]; failed: FluxObject[] } {
  const random = mulberry32(14);
  const objects: FluxObject[] = [];
  const failed: FluxObject[] = [];
  for (let n = 0; n < NAMESPACES; n++) {
    for (let i = 0; i < PER_NAMESPACE; i++) {
      const r = random();
      const status = r < 0.02 ? "failed" : r < 0.07 ? "progressing" : "ready";
      const object = release(`team-${n}/app-${i}`, {
        dependsOn: i % CHAIN === 0 ? [] : [`app-${i - 1}`],
        status,
        ...(status === "failed" ? { message: "install retries exhausted" } : {}),
      });
      objects.push(object);
      if (status === "failed") failed.push(object);
    }
  }
  return { objects, failed };
}

/**
 * SHAPE=chain: one chain of 10,000 (app-I depends on app-(I-1)), its root failed: every path is 9,999 hops
 * at most, and the page's snapshot must not grow with that (docs/behaviour.md, "Paths are bounded").
 */
function chainFleet(): { objects: FluxObject[]; failed: FluxObject[] } {
  const objects: FluxObject[] = [];
  for (let i = 0; i < NAMESPACES * PER_NAMESPACE; i++) {
    objects.push(release(`chain/app-${i}`, { dependsOn: i === 0 ? [] : [`app-${i - 1}`], status: i === 0 ? "failed" : "progressing", ...(i === 0 ? { message: "install retries exhausted" } : {}) }));
  }
  return { objects, failed: [objects[0]!] };
}

/**
 * SHAPE=fanin|fanout|lattice|cycle: bench/shapes-seed.ts's shapes of 10,000 objects, statuses as there
 * (no status: not Ready; "waiting" progressing).
 */
function shapeFleet(name: ShapeName): { objects: FluxObject[]; failed: FluxObject[] } {
  const objects = shape(name, NAMESPACES * PER_NAMESPACE).releases.map((r) =>
    release(`default/${r.name}`, { dependsOn: r.dependsOn, status: r.status === "waiting" ? "progressing" : (r.status ?? "none") }),
  );
  return { objects, failed: objects.filter((o) => o.status?.conditions?.some((c) => c.reason === "InstallFailed") === true) };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const missing = chromiumMissing();
  if (missing !== undefined) {
    console.log(missing);
    return;
  }
  const shapeName = process.env.SHAPE;
  const chain = shapeName === "chain";
  const other = SHAPES.find((s) => s === shapeName && s !== "chain" && s !== "burst");
  if (shapeName !== undefined && !chain && other === undefined) throw new Error(`SHAPE=${shapeName}: one of chain, fanin, fanout, lattice, cycle`);
  const { objects, failed } = chain ? chainFleet() : other !== undefined ? shapeFleet(other) : fleet();
  const cache = new MemoryCache();
  for (const object of objects) cache.upsert(object);
  const store = new KindStore(cache, new FluxGraph());
  const gate = (object: FluxObject) => store.state(`${object.namespace}/${object.name}`);
  const feed = storeFeed([store]);
  const server = await startUiServer(feed, { port: 0, host: "127.0.0.1" });
  try {
    const blocked = [...store.states().values()].filter((g) => g.state === "blocked").length;
    const json = feed.pageJson!();
    const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;
    console.log(
      `graph page benchmark${chain ? " (one chain)" : other !== undefined ? ` (${other})` : ""}: ${objects.length} objects, ${blocked} blocked, ${failed.length} failed; ` +
        `/api/graph ${kib(Buffer.byteLength(json))} (${kib(gzipSync(json, { level: 1 }).length)} gzipped, as a browser gets it); load average ${load()}`,
    );
    // The deepest node's path: what a side panel gets for it (GET /api/node).
    const words = feed.snapshot().nodes;
    const deepest = words.reduce((a, n) => ((n.path?.length ?? 0) + (n.pathOmitted ?? 0) > a.path.length + a.omitted ? { id: n.id, path: n.path ?? [], omitted: n.pathOmitted ?? 0 } : a), { id: "", path: [] as string[], omitted: 0 });
    const longest = words.reduce((a, n) => Math.max(a, n.path?.length ?? 0), 0);
    console.log(`side panel paths sent: at most ${longest} hops; the deepest node's ${deepest.path.length + deepest.omitted}-hop path as ${deepest.path.length} hops shown and ${deepest.omitted} left out`);

    // First view: a fresh browser each time (one warm-up first, not counted) and a fresh page server
    // and feed, whose JSON of the graph is not built yet (as after serve starts, or a quiet spell of
    // two minutes): nothing is cached anywhere.
    const views: Record<string, string>[] = [];
    for (let run = 0; run <= VIEWS; run++) {
      const fresh = await startUiServer(storeFeed([store]), { port: 0, host: "127.0.0.1" });
      const browser = await launchChromium();
      try {
        const page = await browser.context.newPage();
        const started = Date.now();
        await page.goto(fresh.url);
        await page.waitForSelector("body[data-painted-ms]", { timeout: 60_000 });
        const wall = Date.now() - started;
        const marks = (await page.evaluate(
          `({ ...document.body.dataset, nodes: document.querySelectorAll('g[data-id]').length, responseEnd: performance.getEntriesByType('navigation')[0].responseEnd,
             ...Object.fromEntries(performance.getEntriesByType('resource').map((r) => [r.name.split('/').pop() + 'Res', r.startTime + '-' + r.responseStart + '-' + r.responseEnd])) })`,
        )) as Record<string, string | number>;
        const ms = (v: string | number): string => String(v).split("-").map((t) => Math.round(Number(t))).join("–");
        if (run === VIEWS && deepest.id !== "") {
          // The side panel of the deepest node: found by name, clicked, its path shown.
          const name = deepest.id.split("/").pop()!;
          await page.fill("#f-search", name);
          const card = `g[data-id="${deepest.id}"]`;
          await page.waitForSelector(card, { timeout: 10_000 });
          const clicked = Date.now();
          await page.click(card);
          await page.waitForSelector("#details ol.path", { timeout: 10_000 });
          const shown = Date.now() - clicked;
          const entries = await page.locator("#details ol.path li").allTextContents();
          console.log(`side panel of ${deepest.id}: path shown ${shown} ms after the click, ${entries.length} entries: ${entries.join(" | ")}`);
        }
        if (run > 0) views.push({ wall: String(wall), ...Object.fromEntries(Object.entries(marks).filter(([k]) => k !== "ready").map(([k, v]) => [k, ms(v)])) });
      } finally {
        await browser.close();
        await fresh.close();
      }
    }
    for (const v of views) {
      console.log(
        `first view: graph drawn ${v.drawnMs} ms after navigation start, on screen (next frame painted) ${v.paintedMs} ms (in the page; ${v.wall} ms as the driving process sees it): ` +
          `page received ${v.responseEnd} ms, script running ${v.scriptMs} ms, graph fetched and parsed ${v.fetchedMs} ms, decoded ${v.decodedMs ?? "-"} ms, loaded and filtered ${v.loadedMs} ms, list of the first 1,000 ${v.listMs} ms, ` +
          `then layout ${v.layoutMs} ms and drawing ${v.drawMs} ms; ${v.nodes} nodes drawn, "blocked only"; ` +
          `fetched (start–first byte–end, ms): script ${v["graph-page.jsRes"]}, graph ${v.graphRes}`,
      );
    }
    console.log(
      `first view median: ${percentile(views.map((v) => Number(v.drawnMs)), 50)} ms from navigation to the graph drawn, ${percentile(views.map((v) => Number(v.paintedMs)), 50)} ms to it painted (target < 1000 ms); load average ${load()}`,
    );

    if (shapeName !== undefined) return;
    // Update latency: a watch event in, the page showing it. The page marks the time a node's class
    // changes (same clock as this process: one machine).
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      await page.goto(server.url);
      await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 });
      // Watches (in the page) for the node to carry a class, or (cls null) to be gone, and keeps the
      // time it saw that in window.seen. Written as a string: it runs in the browser, not here. The
      // watch is set up before the change is made, so a slow round trip to the browser is not counted.
      const watch = (id: string, cls: string | null): Promise<unknown> =>
        page.evaluate(`(() => {
          const id = ${JSON.stringify(id)}, cls = ${JSON.stringify(cls)};
          window.seen = new Promise((resolve) => {
            const check = () => {
              const g = document.querySelector('g[data-id=' + JSON.stringify(id) + ']');
              const done = cls === null ? g === null : g !== null && (g.getAttribute("class") || "").split(" ").includes(cls);
              if (done) resolve(Date.now());
              return done;
            };
            if (check()) return;
            const observer = new MutationObserver(() => { if (check()) observer.disconnect(); });
            observer.observe(document.getElementById("canvas"), { attributes: true, subtree: true, childList: true });
          });
        })()`);
      const seen = async (): Promise<number> => (await page.evaluate("window.seen")) as number;
      // Root causes only: a failed release below another failed one is blocked, not a root cause.
      const roots = failed.filter((f) => gate(f)?.state === "open");
      const repaint: number[] = [];
      const relayout: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const root = roots[round]!;
        const id = `HelmRelease/${root.namespace}/${root.name}`;
        // Same view, new words: the root cause starts again (progressing), no new layout.
        await watch(id, "health-progressing");
        let at = Date.now();
        cache.upsert(release(`${root.namespace}/${root.name}`, { status: "progressing", message: `retrying ${round}` }));
        repaint.push((await seen()) - at);
        // Fixed: its chain leaves the "blocked only" view, which is laid out again.
        await watch(id, null);
        at = Date.now();
        cache.upsert(release(`${root.namespace}/${root.name}`, { status: "ready" }));
        relayout.push((await seen()) - at);
      }
      console.log(`update shown, same view (repaint): p50 ${percentile(repaint, 50)} ms, max ${Math.max(...repaint)} ms over ${ROUNDS} changes (target < 1000 ms)`);
      console.log(`update shown, view changed (new layout): p50 ${percentile(relayout, 50)} ms, max ${Math.max(...relayout)} ms over ${ROUNDS} changes (target < 1000 ms)`);
      console.log(`load average ${load()}`);
    } finally {
      await browser.close();
    }
  } finally {
    await server.close();
  }
}

await main();
