// The graph page in a real browser (Debian's Chromium through playwright-core) against the sandbox
// with the simulated Flux: the seed's failure scenario shows backend blocked with root cause redis;
// clicking backend shows its path to the root cause; fixing redis turns backend open on the page
// without a reload. Takes the README's screenshot of that scenario: into a temporary folder, or, with
// UPDATE_SCREENSHOT=1 (`npm run docs:screenshot`), over docs/graph-page.png, so a test run never
// changes the work tree.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { readSeedObjects } from "../src/cli/sandbox-seed.js";
import { freePort, startSandboxEnvironment } from "../src/cli/sandbox.js";
import type { SandboxEnvironment } from "../src/cli/sandbox.js";
import { chromiumMissing, launchChromium } from "./helpers/chromium.js";
import type { Browser } from "./helpers/chromium.js";
import { eventually } from "./helpers/eventually.js";
import { FluxClient } from "./helpers/flux-client.js";
import { quietLogger } from "./helpers/quiet-logger.js";
import { runCli } from "./helpers/cli.js";

const skip = chromiumMissing();
if (skip !== undefined) console.log(skip);

/** The README's screenshot (docs/graph-page.png), rewritten only when asked. */
const UPDATE_SCREENSHOT = process.env.UPDATE_SCREENSHOT === "1";

const BACKEND = 'g[data-id="HelmRelease/default/backend"]';
const REDIS = 'g[data-id="HelmRelease/default/redis"]';

describe.skipIf(skip !== undefined)("the graph page in Chromium, over the sandbox", () => {
  let env: SandboxEnvironment;
  let browser: Browser;
  let page: Page;
  let shots: string;

  beforeAll(async () => {
    shots = await mkdtemp(join(tmpdir(), "releasegate-screenshot-"));
    env = await startSandboxEnvironment({
      logger: quietLogger(),
      seed: await readSeedObjects("examples/failure"),
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
    await page.goto(env.serve.ui!.url);
    await page.waitForSelector(`${BACKEND}.reason-Failed`, { timeout: 20_000 });
    expect(await classOf(REDIS)).toContain("root-cause");
    expect(await classOf(REDIS)).toContain("health-failed");
    expect(await page.locator(BACKEND).getAttribute("aria-label")).toBe(
      "HelmRelease default/backend, blocked: Failed, blocked by default/redis: install retries exhausted",
    );
    // The JSON snapshot says the same.
    const snapshot = (await (await fetch(`${env.serve.ui!.url}api/graph`)).json()) as { nodes: { id: string; rootCause?: string }[] };
    expect(snapshot.nodes.find((n) => n.id === "HelmRelease/default/backend")?.rootCause).toBe("HelmRelease/default/redis");
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

  it("turns backend open within a second of its gate opening, without a reload", async () => {
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
  }, 60_000);
});

describe.skipIf(skip !== undefined)("graph --format html opened from disk in Chromium", () => {
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
