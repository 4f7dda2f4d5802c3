// The live graph page over a chain of 10,000 HelmReleases (app-I depends on app-(I-1), app-0 failed), in
// Debian's Chromium: the page's own server over serve's feed (the kind's store on the one FluxGraph), the
// watch played by this process. What a person sees: the counts, the root cause holding 9,999 releases
// back, a selected object's path to it shortened in the middle ("… 9987 more …") in the side panel, and
// both following a change without a reload. The snapshot the page loads carries no path and no message
// (docs/architecture.md, "The graph page"): it stays small and is sent gzipped.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { FluxGraph } from "../src/cluster/flux-graph.js";
import { KindStore } from "../src/cluster/kind-store.js";
import { release } from "../src/graph/test-helpers.test-support.js";
import { storeFeed } from "../src/ui/store-feed.js";
import { startUiServer } from "../src/ui/ui-server.js";
import type { UiServer } from "../src/ui/ui-server.js";
import { chromiumMissing, launchChromium } from "./helpers/chromium.js";
import { MemoryCache } from "./helpers/memory-cache.js";
import type { Browser } from "./helpers/chromium.js";

const skip = chromiumMissing();
if (skip !== undefined) console.log(skip);

const SIZE = 10_000;

const app = (i: number, status: "failed" | "progressing" | "ready") =>
  release(`chain/app-${i}`, { dependsOn: i === 0 ? [] : [`app-${i - 1}`], status, ...(status === "failed" ? { message: "install retries exhausted" } : {}) });

describe.skipIf(skip !== undefined)("the live graph page over a chain of 10,000, in Chromium", () => {
  const cache = new MemoryCache();
  let server: UiServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    for (let i = 0; i < SIZE; i++) cache.upsert(app(i, i === 0 ? "failed" : "progressing"));
    server = await startUiServer(storeFeed([new KindStore(cache, new FluxGraph())]), { port: 0, host: "127.0.0.1" });
    browser = await launchChromium();
    page = await browser.context.newPage();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("opens on the blocked objects with the counts, the root cause saying it blocks 9,999", async () => {
    await page.goto(server.url);
    await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 });
    expect(await page.locator("#status").textContent()).toBe(
      "10000 objects, 9999 blocked (showing 10000); drawing the first 250 of 10000: narrow the filters to see the rest",
    );
    expect(await page.locator("#f-state").inputValue()).toBe("blocked");
    expect(await page.locator("g[data-id]").count()).toBe(250);
    const root = page.locator('g[data-id="HelmRelease/chain/app-0"]');
    expect(await root.locator(".sub").textContent()).toBe("failed · blocks 9999");
    expect(await root.getAttribute("class")).toContain("root-cause");
    // Without its words yet, a blocked card still says what holds it back.
    expect(await page.locator('g[data-id="HelmRelease/chain/app-1"]').getAttribute("aria-label")).toBe(
      "HelmRelease chain/app-1, blocked: Failed, blocked by chain/app-0: install retries exhausted",
    );
    await expect.poll(() => page.locator("#list li").count()).toBe(1000);
    expect(await page.locator("#list-note").textContent()).toBe("listing the first 1000 of 10000");
    // Its side panel names the first fifty it blocks, then how many more.
    await root.click();
    const details = page.locator("#details");
    await expect.poll(() => details.locator("h2").textContent()).toBe("chain/app-0");
    expect(await details.locator(".failure").textContent()).toBe("InstallFailed: install retries exhausted");
    expect(await details.locator("h3").allTextContents()).toContain("Blocks 9999 releases (directly or through others)");
    const blocks = details.locator("ul").last().locator("li");
    expect(await blocks.count()).toBe(51);
    expect(await blocks.last().textContent()).toBe("… and 9949 more");
  }, 90_000);

  it("loads a snapshot without paths or messages, gzipped: a small fraction of the full nodes", async () => {
    const response = await fetch(`${server.url}api/graph`, { headers: { "accept-encoding": "gzip" } });
    expect(response.headers.get("content-encoding")).toBe("gzip");
    const text = await response.text();
    // The full nodes (a message and a path each) were 8.2 MiB for this chain.
    expect(text.length).toBeLessThan(512 * 1024);
    expect(text).not.toContain("more …");
    // Asked without gzip, the same text as it is.
    const plain = await fetch(`${server.url}api/graph`, { headers: { "accept-encoding": "identity" } });
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(await plain.text()).toBe(text);
  }, 30_000);

  it("shows the last object's path to the root cause in the side panel, shortened in the middle", async () => {
    await page.fill("#f-search", "app-9999");
    const last = page.locator('g[data-id="HelmRelease/chain/app-9999"]');
    await last.waitFor({ timeout: 10_000 });
    await last.click();
    const details = page.locator("#details");
    await expect.poll(() => details.locator("h2").textContent()).toBe("chain/app-9999");
    expect(await details.locator(".gate-message").textContent()).toBe(
      "blocked by chain/app-0 via chain/app-9998 → chain/app-9997 → chain/app-9996 → chain/app-9995 → chain/app-9994 → chain/app-9993 → … 9987 more … → chain/app-5 → chain/app-4 → chain/app-3 → chain/app-2 → chain/app-1: install retries exhausted",
    );
    const hop = (i: number, state = "blocked: Failed") => `HelmRelease chain/app-${i} (${state})`;
    expect(await details.locator("ol.path li").allTextContents()).toEqual([
      ...[9999, 9998, 9997, 9996, 9995, 9994, 9993].map((i) => hop(i)),
      "… 9987 more …",
      ...[5, 4, 3, 2, 1].map((i) => hop(i)),
      hop(0, "failed"),
    ]);
    // Numbered as hops of the whole path: 1 to 7, the gap unnumbered, then 9,995 to 10,000.
    expect(await details.locator("ol.path li").evaluateAll((items) => items.map((li) => Number(li.getAttribute("value") ?? "0")))).toEqual([1, 2, 3, 4, 5, 6, 7, 0, 9995, 9996, 9997, 9998, 9999, 10000]);
  }, 60_000);

  it("follows a fix of the root cause without a reload: the counts, and the panel's path to the new root cause", async () => {
    await page.evaluate("window.marker = 42");
    cache.upsert(app(0, "ready"));
    // app-1 is now open and progressing: everything after it waits on it.
    await expect.poll(() => page.locator("#status").textContent(), { timeout: 10_000 }).toMatch(/^10000 objects, 9998 blocked/);
    const details = page.locator("#details");
    await expect.poll(() => details.locator("ol.path li").allTextContents(), { timeout: 10_000 }).toEqual([
      ...[9999, 9998, 9997, 9996, 9995, 9994, 9993].map((i) => `HelmRelease chain/app-${i} (blocked: NotReady)`),
      "… 9986 more …",
      ...[6, 5, 4, 3, 2].map((i) => `HelmRelease chain/app-${i} (blocked: NotReady)`),
      "HelmRelease chain/app-1 (progressing)",
    ]);
    expect(await page.evaluate("window.marker")).toBe(42);
  }, 60_000);
});
