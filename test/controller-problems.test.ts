// End to end through the sandbox: problems that exist before releasegate starts (created with the
// webhook off: the seed bypasses admission) are reported by metric and Event; a suspended dependency
// blocks until it is resumed; the metrics text carries every controller metric with its labels.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandboxEnvironment } from "../src/cli/sandbox.js";
import type { SandboxEnvironment } from "../src/cli/sandbox.js";
import { eventually } from "./helpers/eventually.js";
import { quietLogger } from "./helpers/quiet-logger.js";
import { FluxClient, helmRelease, REQUESTED_AT } from "./helpers/flux-client.js";
import { findSamples, scrape } from "./helpers/metrics-text.js";
import type { Sample } from "./helpers/metrics-text.js";

describe("problems found in the live graph", () => {
  let env: SandboxEnvironment;
  let flux: FluxClient;

  beforeAll(async () => {
    env = await startSandboxEnvironment({
      logger: quietLogger(),
      seed: [
        helmRelease("cyc-a", ["cyc-b"]),
        helmRelease("cyc-b", ["cyc-a"]),
        helmRelease("web", ["redsi"]),
        helmRelease("db", [], { suspend: true }),
        helmRelease("app", ["db"]),
      ],
      installDelayMs: 20,
      requeueDependencyMs: 60_000,
    });
    flux = new FluxClient(env.sandbox.kubeConfig());
  });
  afterAll(async () => {
    await env?.close();
  });

  async function blocked(name: string): Promise<Sample | undefined> {
    return findSamples(await scrape(env.serve.metricsPort), "releasegate_release_blocked", { name })[0];
  }

  it("reports a pre-existing cycle by metric and Event", async () => {
    const samples = await eventually(async () => {
      const s = await scrape(env.serve.metricsPort);
      return findSamples(s, "releasegate_dependency_cycles", { kind: "HelmRelease" })[0]?.value === 1 ? s : undefined;
    });
    expect(findSamples(samples, "releasegate_release_blocked", { reason: "Cycle" }).map((s) => s.labels.name).sort()).toEqual(["cyc-a", "cyc-b"]);
    expect(findSamples(samples, "releasegate_release_blocked", { name: "cyc-a" })[0]?.labels.root_cause).toBe("default/cyc-a");
    const event = await eventually(async () => (await flux.eventsFor("cyc-a")).find((e) => e.reason === "DependencyCycle"));
    expect(event.type).toBe("Warning");
    expect(event.note).toBe("blocked by dependency cycle default/cyc-a → default/cyc-b → default/cyc-a: remove one of these dependsOn entries");
    expect(event.reportingController).toBe("releasegate");
    expect(event.regarding).toMatchObject({ kind: "HelmRelease", namespace: "default", name: "cyc-a" });
  });

  it("reports a missing dependency by metric and Event", async () => {
    const sample = await eventually(() => blocked("web"));
    expect(sample.labels).toMatchObject({ kind: "HelmRelease", namespace: "default", reason: "Missing", root_cause: "default/redsi" });
    const event = await eventually(async () => (await flux.eventsFor("web")).find((e) => e.reason === "DependencyMissing"));
    expect(event.note).toBe("blocked by default/redsi: HelmRelease default/redsi does not exist: create it or fix the dependsOn entry");
  });

  it("still denies a new cycle at the door (the webhook is wired)", async () => {
    await expect(flux.create(helmRelease("loop", ["loop"]))).rejects.toMatchObject({ code: 403 });
  });

  it("blocks on a suspended dependency until it is resumed, then opens the gate", async () => {
    const sample = await eventually(() => blocked("app"));
    expect(sample.labels).toMatchObject({ reason: "Suspended", root_cause: "default/db" });
    const event = await eventually(async () => (await flux.eventsFor("app")).find((e) => e.reason === "DependencyBlocked"));
    expect(event).toMatchObject({ type: "Normal", note: "blocked by default/db: suspended: resume it to continue" });
    expect((await flux.get("app")).metadata.annotations?.[REQUESTED_AT]).toBeUndefined();

    await flux.patch("db", { spec: { suspend: false } });
    await eventually(() => flux.isReady("app"), { what: "app Ready" });
    const app = await flux.get("app");
    expect(app.metadata.annotations?.[REQUESTED_AT]).toBeDefined();
    expect(app.status?.lastHandledReconcileAt).toBe(app.metadata.annotations?.[REQUESTED_AT]);
    expect(await blocked("app")).toBeUndefined();
  });

  it("serves every controller metric with its documented labels, bounded to known values", async () => {
    const samples = await scrape(env.serve.metricsPort);
    const names = new Set(samples.map((s) => s.name));
    for (const name of [
      "releasegate_release_blocked",
      "releasegate_releases",
      "releasegate_release_blocked_seconds",
      "releasegate_dependency_cycles",
      "releasegate_reconcile_requests_total",
      "releasegate_gate_open_latency_seconds_bucket",
      "releasegate_cache_synced",
      "releasegate_watch_restarts_total",
      "releasegate_leader",
      "process_resident_memory_bytes",
    ]) {
      expect(names, name).toContain(name);
    }
    const labelSets: Record<string, string[]> = {
      releasegate_release_blocked: ["kind", "name", "namespace", "reason", "root_cause"],
      releasegate_releases: ["kind", "state"],
      releasegate_release_blocked_seconds: ["kind", "name", "namespace"],
      releasegate_dependency_cycles: ["kind"],
      releasegate_reconcile_requests_total: ["kind", "result"],
      releasegate_cache_synced: ["kind"],
      releasegate_watch_restarts_total: ["kind"],
      releasegate_leader: [],
    };
    for (const [name, labels] of Object.entries(labelSets)) {
      for (const s of findSamples(samples, name)) expect(Object.keys(s.labels).sort(), name).toEqual(labels);
    }
    for (const s of findSamples(samples, "releasegate_releases")) {
      expect(["open", "Cycle", "Missing", "Failed", "NotReady", "Suspended"]).toContain(s.labels.state);
    }
    const byState = Object.fromEntries(findSamples(samples, "releasegate_releases", { kind: "HelmRelease" }).map((s) => [s.labels.state, s.value]));
    expect(byState).toMatchObject({ Cycle: 2, Missing: 1, Suspended: 0, Failed: 0 });
    expect(findSamples(samples, "releasegate_cache_synced").map((s) => [s.labels.kind, s.value]).sort()).toEqual([
      ["HelmRelease", 1],
      ["Kustomization", 1],
      ["ResourceSet", 1],
    ]);
    expect(findSamples(samples, "releasegate_leader")[0]?.value).toBe(1);
    // Blocked seconds only for blocked objects, and growing.
    expect(findSamples(samples, "releasegate_release_blocked_seconds").map((s) => s.labels.name).sort()).toEqual(["cyc-a", "cyc-b", "web"]);
  });
});
