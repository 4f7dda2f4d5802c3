// End to end through the sandbox: the API server drops every watch, forgets its history (410 Gone
// on resume) or restarts, and in each case a gate that opens meanwhile still gets its one reconcile
// request. The test plays helm-controller through /status.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandboxEnvironment } from "../src/cli/sandbox.js";
import type { SandboxEnvironment } from "../src/cli/sandbox.js";
import { eventually } from "./helpers/eventually.js";
import { quietLogger } from "./helpers/quiet-logger.js";
import { FluxClient, helmRelease, REQUESTED_AT } from "./helpers/flux-client.js";
import { findSamples, scrape } from "./helpers/metrics-text.js";

describe("watch faults", () => {
  let env: SandboxEnvironment;
  let flux: FluxClient;

  beforeAll(async () => {
    env = await startSandboxEnvironment({ logger: quietLogger(), simulateFlux: false });
    flux = new FluxClient(env.sandbox.kubeConfig());
  });
  afterAll(async () => {
    await env?.close();
  });

  async function blockedPair(n: number): Promise<void> {
    await flux.create(helmRelease(`redis${n}`));
    await flux.create(helmRelease(`backend${n}`, [`redis${n}`]));
    await flux.progressing(`redis${n}`);
    await flux.waiting(`backend${n}`, `default/redis${n}`);
    await eventually(() => env.serve.controller.state("HelmRelease", `default/backend${n}`)?.state === "blocked");
  }

  async function askedOnce(n: number): Promise<void> {
    const hr = await eventually(async () => {
      const current = await flux.get(`backend${n}`);
      return current.metadata.annotations?.[REQUESTED_AT] !== undefined ? current : undefined;
    }, { what: `backend${n} asked to reconcile` });
    expect(hr.metadata.annotations?.[REQUESTED_AT]).toMatch(/^\d{4}-\d\d-\d\dT/);
  }

  async function restarts(): Promise<number> {
    return findSamples(await scrape(env.serve.metricsPort), "releasegate_watch_restarts_total", { kind: "HelmRelease" })[0]?.value ?? 0;
  }

  it("sees a transition made while its watch was cut", async () => {
    await blockedPair(1);
    const before = await restarts();
    env.sandbox.faults.dropWatches("reset");
    await flux.ready("redis1");
    await askedOnce(1);
    expect(await restarts()).toBeGreaterThan(before);
  });

  it("sees a transition made while its resourceVersion expired (410 Gone, re-list)", async () => {
    await blockedPair(2);
    env.sandbox.faults.expireHistory();
    env.sandbox.faults.dropWatches("end");
    await flux.ready("redis2");
    await askedOnce(2);
  });

  it("sees a transition made right after the API server restarted", async () => {
    await blockedPair(3);
    await env.sandbox.restart({ keepState: true });
    await flux.ready("redis3");
    await askedOnce(3);
    const results = findSamples(await scrape(env.serve.metricsPort), "releasegate_reconcile_requests_total", { result: "requested", kind: "HelmRelease" });
    expect(results[0]?.value).toBe(3);
  });
});
