// End to end through the sandbox: the seed's failure scenario with the simulated Flux, then a chain
// of five releases whose gates open one after another without Flux's 30 s dependency poll.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSeedObjects } from "../src/cli/sandbox-seed.js";
import { startSandboxEnvironment } from "../src/cli/sandbox.js";
import type { SandboxEnvironment } from "../src/cli/sandbox.js";
import { eventually } from "./helpers/eventually.js";
import { quietLogger } from "./helpers/quiet-logger.js";
import { FluxClient, helmRelease, REQUESTED_AT } from "./helpers/flux-client.js";
import { findSamples, scrape } from "./helpers/metrics-text.js";

describe("gated reconciliation with the simulated Flux", () => {
  let env: SandboxEnvironment;
  let flux: FluxClient;

  beforeAll(async () => {
    env = await startSandboxEnvironment({
      logger: quietLogger(),
      seed: await readSeedObjects("examples/failure"),
      installDelayMs: 50,
      // Flux's own poll: longer than this whole test, so every opening seen here is releasegate's.
      requeueDependencyMs: 60_000,
    });
    flux = new FluxClient(env.sandbox.kubeConfig());
  });
  afterAll(async () => {
    await env?.close();
  });

  it("failure scenario: blocks backend with reason Failed and root cause default/redis, in the metric and an Event", async () => {
    await eventually(async () => (await scrape(env.serve.metricsPort)).some((s) => s.name === "releasegate_release_blocked" && s.labels.name === "backend" && s.labels.reason === "Failed"));
    const samples = await scrape(env.serve.metricsPort);
    expect(findSamples(samples, "releasegate_release_blocked", { name: "backend" })).toEqual([
      { name: "releasegate_release_blocked", labels: { kind: "HelmRelease", namespace: "default", name: "backend", reason: "Failed", root_cause: "default/redis" }, value: 1 },
    ]);
    const events = await eventually(async () => {
      const list = await flux.eventsFor("backend");
      return list.some((e) => e.reason === "DependencyBlocked" && e.note?.includes("install retries exhausted")) ? list : undefined;
    });
    const blocked = events.find((e) => e.reason === "DependencyBlocked" && e.note?.includes("install retries exhausted"));
    expect(blocked).toMatchObject({ type: "Warning", note: "blocked by default/redis: install retries exhausted" });
  });

  it("failure scenario: opens the gate when redis is fixed: requestedAt patched, backend reconciled and Ready", async () => {
    const before = await flux.get("backend");
    expect(before.metadata.annotations?.[REQUESTED_AT]).toBeUndefined();
    await flux.patch("redis", { spec: { values: { image: { tag: "7.2" } } } });

    const backend = await eventually(async () => {
      const hr = await flux.get("backend");
      return hr.metadata.annotations?.[REQUESTED_AT] !== undefined ? hr : undefined;
    });
    const requestedAt = backend.metadata.annotations![REQUESTED_AT]!;
    expect(new Date(requestedAt).toISOString()).toBe(requestedAt);
    await eventually(() => flux.isReady("backend"), { what: "backend Ready" });
    // Flux handled releasegate's request (not its own poll).
    expect((await flux.get("backend")).status?.lastHandledReconcileAt).toBe(requestedAt);

    const samples = await scrape(env.serve.metricsPort);
    expect(findSamples(samples, "releasegate_release_blocked")).toEqual([]);
    expect(findSamples(samples, "releasegate_reconcile_requests_total", { kind: "HelmRelease", result: "requested" })[0]?.value).toBe(1);
    expect(findSamples(samples, "releasegate_gate_open_latency_seconds_count")[0]?.value).toBe(1);
    const opened = await eventually(async () => (await flux.eventsFor("backend")).find((e) => e.reason === "GateOpened"));
    expect(opened).toMatchObject({ type: "Normal", note: "gate open: dependency default/redis is Ready" });
  });

  it("opens the gates of a chain of five one after another as each dependency becomes Ready, without waiting for Flux's poll", async () => {
    const names = ["c1", "c2", "c3", "c4", "c5"];
    // Dependencies first: the webhook denies a dependency that does not exist yet.
    for (let i = 0; i < names.length; i++) await flux.create(helmRelease(names[i]!, i === 0 ? [] : [names[i - 1]!]));
    await eventually(async () => (await Promise.all(names.map((n) => flux.isReady(n)))).every(Boolean), { timeoutMs: 20_000, what: "the chain Ready" });
    for (const name of names.slice(1)) {
      const hr = await flux.get(name);
      const requestedAt = hr.metadata.annotations?.[REQUESTED_AT];
      expect(requestedAt, name).toBeDefined();
      expect(hr.status?.lastHandledReconcileAt, name).toBe(requestedAt);
    }
    // One after another: each dependent was asked after its dependency was asked.
    const times = await Promise.all(names.slice(1).map(async (n) => Date.parse((await flux.get(n)).metadata.annotations![REQUESTED_AT]!)));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect((await flux.get("c1")).metadata.annotations?.[REQUESTED_AT]).toBeUndefined();
  });
});
