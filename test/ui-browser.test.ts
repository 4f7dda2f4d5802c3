// The graph page in a real browser (Debian's Chromium through playwright-core) against the sandbox
// with the simulated Flux: the seed's failure scenario (plus web, which needs backend) shows backend
// and web blocked with root cause redis, which says what failed and that it blocks 2 releases;
// clicking backend shows its path to the root cause; fixing redis's image tag updates the graph, the
// side panel, the list and the counts without a reload. The static page (`graph --format html`) of a
// repository of two clusters shows each cluster's graph apart, its cycle in its own cluster only. Takes the README's screenshot of that scenario: into a temporary folder, or, with
// UPDATE_SCREENSHOT=1 (`npm run docs:screenshot`), over docs/graph-page.png, so a test run never
// changes the work tree.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { readSeedObjects } from "../src/cli/sandbox-seed.js";
import { decodeSnapshot } from "../src/ui/compact-snapshot.js";
import type { CompactSnapshot } from "../src/ui/compact-snapshot.js";
import type { GraphNode } from "../src/ui/graph-snapshot.js";
import { freePort, startSandboxEnvironment } from "../src/cli/sandbox.js";
import type { SandboxEnvironment } from "../src/cli/sandbox.js";
import { chromiumMissing, launchChromium } from "./helpers/chromium.js";
import type { Browser } from "./helpers/chromium.js";
import { eventually } from "./helpers/eventually.js";
import { FluxClient } from "./helpers/flux-client.js";
import { quietLogger } from "./helpers/quiet-logger.js";
import { runCli } from "./helpers/cli.js";
import { writeTwoClustersRepo } from "./helpers/two-clusters-repo.js";

const skip = chromiumMissing();
if (skip !== undefined) console.log(skip);

/** The README's screenshot (docs/graph-page.png), rewritten only when asked. */
const UPDATE_SCREENSHOT = process.env.UPDATE_SCREENSHOT === "1";

const BACKEND = 'g[data-id="HelmRelease/default/backend"]';
const REDIS = 'g[data-id="HelmRelease/default/redis"]';
const WEB = 'g[data-id="HelmRelease/default/web"]';

/** web needs backend, which needs redis: redis, the root cause, blocks two releases. */
const WEB_RELEASE = {
  apiVersion: "helm.toolkit.fluxcd.io/v2",
  kind: "HelmRelease",
  metadata: { name: "web", namespace: "default" },
  spec: { interval: "10m", chart: { spec: { chart: "web", sourceRef: { kind: "HelmRepository", name: "bitnami", namespace: "flux-system" } } }, dependsOn: [{ name: "backend" }] },
};

describe.skipIf(skip !== undefined)("the graph page in Chromium, over the sandbox", () => {
  let env: SandboxEnvironment;
  let browser: Browser;
  let page: Page;
  let shots: string;

  beforeAll(async () => {
    shots = await mkdtemp(join(tmpdir(), "releasegate-screenshot-"));
    env = await startSandboxEnvironment({
      logger: quietLogger(),
      seed: [...(await readSeedObjects("examples/failure")), WEB_RELEASE],
      installDelayMs: 50,
      requeueDependencyMs: 60_000,
      serve: { uiPort: await freePort() },
    });
    browser = await launchChromium();
    page = await browser.context.newPage();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await env?.close();
    if (shots !== undefined) await rm(shots, { recursive: true, force: true });
  });

  const classOf = (selector: string) => page.locator(selector).getAttribute("class", { timeout: 5000 });

  it("shows backend blocked (Failed) with redis outlined as its root cause", async () => {
    await eventually(() => env.serve.controller.state("HelmRelease", "default/backend")?.state === "blocked" && env.serve.controller.state("HelmRelease", "default/backend"), {
      timeoutMs: 20_000,
      what: "backend blocked in the controller",
    });
    await eventually(() => env.serve.controller.state("HelmRelease", "default/web")?.state === "blocked", { timeoutMs: 20_000, what: "web blocked in the controller" });
    await page.goto(env.serve.ui!.url);
    await page.waitForSelector(`${BACKEND}.reason-Failed`, { timeout: 20_000 });
    await page.waitForSelector(`${WEB}.reason-Failed`, { timeout: 20_000 });
    expect(await classOf(REDIS)).toContain("root-cause");
    expect(await classOf(REDIS)).toContain("health-failed");
    expect(await page.locator(BACKEND).getAttribute("aria-label")).toBe(
      "HelmRelease default/backend, blocked: Failed, blocked by default/redis: install retries exhausted",
    );
    // Cards say their kind; the root cause says how many releases it holds back, through others too.
    expect(await page.locator(`${BACKEND} .kind`).textContent()).toBe("HelmRelease · default");
    expect(await page.locator(`${REDIS} .sub`).textContent()).toBe("failed · blocks 2");
    expect(await page.locator(REDIS).getAttribute("aria-label")).toContain("root cause, blocks 2 releases");
    expect(await page.locator("#status").textContent()).toMatch(/^3 objects, 2 blocked/);
    // One cluster, live: no cluster selector.
    expect(await page.locator("#cluster-label").isHidden()).toBe(true);
    // The JSON snapshot says the same, compact (no words); one node's words come on demand.
    const snapshot = decodeSnapshot((await (await fetch(`${env.serve.ui!.url}api/graph`)).json()) as CompactSnapshot);
    expect(snapshot.find((n) => n.id === "HelmRelease/default/backend")?.rootCause).toBe("HelmRelease/default/redis");
    const words = await fetch(`${env.serve.ui!.url}api/node?id=${encodeURIComponent("HelmRelease/default/backend")}`);
    expect(((await words.json()) as GraphNode).message).toBe("blocked by default/redis: install retries exhausted");
    expect((await fetch(`${env.serve.ui!.url}api/node?id=HelmRelease/default/nothing`)).status).toBe(404);
    expect(await (await fetch(`${env.serve.ui!.url}api/node`)).text()).toMatch(/^GET \/api\/node\?id=KIND\/NAMESPACE\/NAME: the id is missing\n$/);
  }, 60_000);

  it("clicking backend shows its gate, conditions and path to the root cause, upstream highlighted", async () => {
    await page.click(BACKEND);
    const details = page.locator("#details");
    await expect.poll(() => details.locator("h2").textContent()).toBe("default/backend");
    expect(await details.locator(".gate-message").textContent()).toBe("blocked by default/redis: install retries exhausted");
    expect(await details.locator("ol.path li").allTextContents()).toEqual([
      "HelmRelease default/backend (blocked: Failed)",
      "HelmRelease default/redis (failed)",
    ]);
    expect(await details.locator("table").textContent()).toContain("DependencyNotReady");
    expect(await classOf(REDIS)).toContain("on-path");
    expect(await classOf(REDIS)).toContain("upstream");
    expect(await page.locator('path.edge.on-path[data-from="HelmRelease/default/redis"]').count()).toBe(1);
    const path = UPDATE_SCREENSHOT ? "docs/graph-page.png" : join(shots, "graph-page.png");
    await page.screenshot({ path, fullPage: false });
    // A PNG of the viewport (1400 x 900), whichever place it went to.
    const png = await readFile(path);
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1400, 900]);
  }, 60_000);

  it("the failed root cause's panel says what failed and what it blocks, not that its gate is open", async () => {
    await page.click(REDIS);
    const details = page.locator("#details");
    await expect.poll(() => details.locator("h2").textContent()).toBe("default/redis");
    expect(await details.locator(".kind").textContent()).toBe("HelmRelease · failed · root cause, blocks 2 releases");
    expect(await details.locator(".failure").textContent()).toBe("InstallFailed: install retries exhausted (Stalled: RetriesExceeded)");
    expect(await details.textContent()).not.toContain("gate open");
    expect(await details.locator("h3").allTextContents()).toContain("Blocks 2 releases (directly or through others)");
    expect(await page.locator('#list button[data-id="HelmRelease/default/redis"]').textContent()).toBe("default/redis HelmRelease · failed · root cause, blocks 2 releases");
  }, 30_000);

  it("zooms in and out, and fits the graph to the screen", async () => {
    const width = async () => Number(await page.locator("#canvas").getAttribute("width"));
    await page.click("#zoom-fit");
    const fitted = await width();
    await page.click("#zoom-in");
    expect(await width()).toBeGreaterThan(fitted);
    await page.click("#zoom-out");
    await page.click("#zoom-out");
    expect(await width()).toBeLessThan(fitted);
    expect(await page.locator("#zoom-level").textContent()).toMatch(/^\d+%$/);
    await page.click("#zoom-fit");
    expect(await width()).toBe(fitted);
    const box = await page.locator("#graph").boundingBox();
    expect(fitted).toBeLessThanOrEqual(box!.width);
  }, 30_000);

  it("is reachable by keyboard: a node takes the focus, Enter selects it, arrow right goes to a dependent, Escape clears", async () => {
    // Every drawn node is a focusable button with a spoken name; the counts are a polite status.
    const nodes = (await page.evaluate(
      "[...document.querySelectorAll('g[data-id]')].map((g) => [g.getAttribute('role'), g.getAttribute('tabindex'), g.getAttribute('aria-label') ?? ''])",
    )) as [string, string, string][];
    expect(nodes.length).toBeGreaterThan(1);
    for (const [role, tabindex, label] of nodes) expect([role, tabindex, label.length > 0]).toEqual(["button", "0", true]);
    expect(await page.locator("#status").getAttribute("role")).toBe("status");
    await page.keyboard.press("Escape");
    await page.locator(REDIS).focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator("#details h2").textContent()).toBe("default/redis");
    await page.keyboard.press("ArrowRight");
    expect(await page.evaluate("document.activeElement?.dataset.id")).toBe("HelmRelease/default/backend");
    await page.keyboard.press("Escape");
    expect(await page.locator("#details .hint").count()).toBe(1);
  }, 30_000);

  it("turns backend open within a second of its gate opening, without a reload: graph, panel, list and counts", async () => {
    await page.click(BACKEND);
    await expect.poll(() => page.locator("#details h2").textContent()).toBe("default/backend");
    const listed = (id: string) => page.locator(`#list button[data-id="${id}"] .list-state`).textContent();
    expect(await listed("HelmRelease/default/backend")).toBe(" HelmRelease · blocked: Failed");
    await page.evaluate("window.marker = 42");
    const flux = new FluxClient(env.sandbox.kubeConfig());
    await flux.patch("redis", { spec: { values: { image: { tag: "7.2" } } } });
    await eventually(() => env.serve.controller.state("HelmRelease", "default/backend")?.state === "open", { timeoutMs: 20_000, what: "backend open in the controller" });
    const opened = Date.now();
    await page.waitForSelector(`${BACKEND}.state-open`, { timeout: 1000 });
    console.log(`graph page: backend shown open ${Date.now() - opened} ms after the controller opened its gate`);
    expect(await page.evaluate("window.marker")).toBe(42);
    // Said to a screen reader too, in the polite live region.
    await expect.poll(() => page.locator("#announce[aria-live=polite]").textContent(), { timeout: 2000 }).toContain("HelmRelease default/backend: now");
    expect(await classOf(REDIS)).not.toContain("root-cause");
    // Every part of the page follows every change, the ones that keep the layout included: once
    // backend and web are Ready, the graph, the side panel (backend is selected), the list and the
    // counts all say so.
    await page.waitForSelector(`${BACKEND}.health-ready`, { timeout: 20_000 });
    await page.waitForSelector(`${WEB}.health-ready`, { timeout: 20_000 });
    await expect.poll(() => listed("HelmRelease/default/backend"), { timeout: 2000 }).toBe(" HelmRelease · ready");
    await expect.poll(() => listed("HelmRelease/default/web"), { timeout: 2000 }).toBe(" HelmRelease · ready");
    await expect.poll(() => page.locator("#details .kind").textContent(), { timeout: 2000 }).toBe("HelmRelease · ready");
    expect(await page.locator("#details .gate-message").textContent()).toBe("gate open: dependency default/redis is Ready");
    await expect.poll(() => page.locator("#status").textContent(), { timeout: 2000 }).toMatch(/^3 objects, 0 blocked/);
    expect(await page.locator(`${REDIS} .sub`).textContent()).toBe("ready");
  }, 60_000);
});

describe.skipIf(skip !== undefined)("graph --format html opened from disk in Chromium", () => {
  it("shows each cluster of a repository apart, the cycle in its own cluster only, and no invented status", async () => {
    const dir = await mkdtemp(join(tmpdir(), "releasegate-html-"));
    const repo = await writeTwoClustersRepo();
    const browser = await launchChromium();
    try {
      const html = await runCli(["graph", "--format", "html", repo]);
      expect(html.code).toBe(0);
      await writeFile(join(dir, "repo.html"), html.stdout);
      const page = await browser.context.newPage();
      await page.goto(pathToFileURL(join(dir, "repo.html")).href);
      const APPS = 'g[data-id="Kustomization/flux-system/apps"]';
      await page.waitForSelector(`${APPS}.cycle.reason-Cycle`, { timeout: 20_000 });
      expect(await page.title()).toBe(`releasegate · ${repo} · cluster clusters/a`);
      expect(await page.locator("#cluster-label").isVisible()).toBe(true);
      expect(await page.locator("#f-cluster option").allTextContents()).toEqual(["clusters/a (5 objects)", "clusters/b (5 objects)"]);
      expect(await page.locator("path.edge.cycle").count()).toBe(2);
      // Only what files can tell is offered as a filter.
      expect(await page.evaluate("[...document.querySelectorAll('#f-state option')].map((o) => o.value)")).toEqual([
        "all",
        "blocked",
        "missing",
        "unknown",
        "Cycle",
        "Missing",
      ]);
      expect(await page.locator("#problems li").allTextContents()).toEqual([expect.stringContaining("flux-system/apps: dependency cycle Kustomization flux-system/apps")]);
      expect(await page.locator("#status").textContent()).toMatch(/^5 objects in cluster clusters\/a, \d+ blocked by the structure; check reports 1 problem; read from files: no status/);
      // Two kinds, one name: the cards say which is which.
      expect(await page.locator('g[data-id="HelmRelease/flux-system/infra"] .kind').textContent()).toBe("HelmRelease · flux-system");
      expect(await page.locator('g[data-id="Kustomization/flux-system/infra"] .kind').textContent()).toBe("Kustomization · flux-system");
      await page.selectOption("#f-cluster", "1");
      await expect.poll(() => page.title()).toBe(`releasegate · ${repo} · cluster clusters/b`);
      await page.waitForSelector(`${APPS}.state-unknown`, { timeout: 5000 });
      expect(await page.locator("g.cycle, path.edge.cycle, g.state-blocked").count()).toBe(0);
      expect(await page.locator("#problems-section").isHidden()).toBe(true);
      expect(await page.locator("#status").textContent()).toMatch(/^5 objects in cluster clusters\/b; check finds no problem; read from files: no status/);
      await page.click(APPS);
      expect(await page.locator("#details .gate-message").textContent()).toBe("waits for Kustomization flux-system/infra to be Ready (from files: no status)");
      expect(await page.locator("#details").textContent()).toContain("none: read from files, which carry no status");
    } finally {
      await browser.close();
      await rm(dir, { recursive: true, force: true });
      await rm(repo, { recursive: true, force: true });
    }
  }, 90_000);

  it("draws a cycle in red and a missing dependency as a ghost, with no server", async () => {
    const dir = await mkdtemp(join(tmpdir(), "releasegate-html-"));
    const browser = await launchChromium();
    try {
      const cycle = await runCli(["graph", "--format", "html", "examples/cycle"]);
      const missing = await runCli(["graph", "--format", "html", "examples/missing"]);
      expect(cycle.code).toBe(0);
      await writeFile(join(dir, "cycle.html"), cycle.stdout);
      await writeFile(join(dir, "missing.html"), missing.stdout);
      const page = await browser.context.newPage();
      await page.goto(pathToFileURL(join(dir, "cycle.html")).href);
      await page.waitForSelector('g[data-id="HelmRelease/default/redis"].cycle.reason-Cycle', { timeout: 20_000 });
      expect(await page.locator("path.edge.cycle").count()).toBe(2);
      await page.goto(pathToFileURL(join(dir, "missing.html")).href);
      await page.waitForSelector('g[data-id="HelmRelease/default/redsi"].ghost.state-missing', { timeout: 20_000 });
      await page.click('g[data-id="HelmRelease/default/backend"]');
      expect(await page.locator("#details .gate-message").textContent()).toBe(
        "blocked by default/redsi: HelmRelease default/redsi does not exist: create it or fix the dependsOn entry",
      );
    } finally {
      await browser.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
