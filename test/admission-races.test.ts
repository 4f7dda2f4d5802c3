// The cycle guarantee under races (docs/behaviour.md, "No window"), through the sandbox's API server
// calling the webhook as kube-apiserver does: opposite dependsOn edges written at the same instant, by raw
// merge PATCHes and by two kubectl processes, through one replica and through two behind a round-robin
// Service; and opposite edges while the replica's path to the API server is stalled. The full counts (50
// trials each, a 25 s stall) run in bench/admission-races.ts; here fewer, so the suite stays quick.
import net from "node:net";
import type { AddressInfo } from "node:net";
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runStall, runTrials, startRaceRig } from "../bench/admission-races.js";
import type { RaceRig } from "../bench/admission-races.js";
import { eventually } from "./helpers/eventually.js";

const TRIALS = Number(process.env.RACE_TRIALS ?? 20);

describe("opposite edges at the same instant", () => {
  let rig: RaceRig;

  beforeAll(async () => {
    rig = await startRaceRig();
  }, 60_000);
  afterAll(async () => {
    await rig?.close();
  });

  it("never stores a cycle through one replica", async () => {
    const tally = await runTrials(rig, { mode: "one", trials: TRIALS, kubectlEvery: 10, prefix: "one" });
    expect(tally.cycles).toBe(0);
    // One replica decides one review at a time: the second of each pair sees the first, so one edge is stored
    // (unless a read timed out on a busy machine: a 503, never an allow).
    expect(tally.writes.ok).toBeGreaterThan(TRIALS / 2);
    // The edges allowed here are not left behind once the watch has seen them stored.
    // The watch delivers them a moment after the writes return, and a replica drops confirmed entries when
    // its next review settles them: with no review left to come, settle here as that review would.
    const replica = rig.replicas[0]!;
    await eventually(
      () => {
        replica.unconfirmed.settle(replica.graphs.graph("HelmRelease"));
        return replica.unconfirmed.count <= 2;
      },
      { what: "the allowed edges seen back through the watch" },
    );
  }, 120_000);

  it("never stores a cycle through two replicas taking turns", async () => {
    const tally = await runTrials(rig, { mode: "two", trials: TRIALS, kubectlEvery: 10, prefix: "two" });
    expect(tally.cycles).toBe(0);
    // Two replicas deciding at once may both refuse (each saw the other's edge first), never both allow.
    expect(tally.writes.ok).toBeGreaterThan(0);
    expect(tally.writes.ok + tally.writes.denied + tally.writes.error).toBe(2 * TRIALS);
  }, 120_000);

  it("stores no cycle while the replica's path to the API server is stalled, and allows edges again after", async () => {
    const result = await runStall(rig, { stallMs: Number(process.env.RACE_STALL_MS ?? 4000), prefix: "stall" });
    expect(result.cycle).toBe(false);
    // Cut off from the API server, the webhook cannot prove it answers: both fail closed.
    expect(result.writes).toEqual(["error", "error"]);
    expect(result.afterwards).toBe("ok");
  }, 90_000);

  it("fails a new edge closed (503) when a peer accepts the connection and never answers", async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    rig.route("one");
    rig.extraPeers.push(`https://127.0.0.1:${(silent.address() as AddressInfo).port}`);
    try {
      const api = rig.sandbox.kubeConfig().makeApiClient(CustomObjectsApi);
      const hr = { group: "helm.toolkit.fluxcd.io", version: "v2", plural: "helmreleases", namespace: "default" };
      for (const name of ["quiet-a", "quiet-b"]) {
        await api.createNamespacedCustomObject({ ...hr, body: { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", metadata: { name }, spec: { interval: "10m", chart: { spec: { chart: name, sourceRef: { kind: "HelmRepository", name: "charts" } } } } } });
      }
      const started = Date.now();
      const failure = await api
        .patchNamespacedCustomObject({ ...hr, name: "quiet-a", body: { spec: { dependsOn: [{ name: "quiet-b" }] } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch))
        .then(
          () => "stored",
          (error: unknown) => String((error as { body?: unknown }).body),
        );
      // The webhook's 503 as kube-apiserver words it (failurePolicy Fail): the write is refused, not guessed.
      expect(failure).toContain("failed to call webhook: the server is currently unable to handle the request");
      // Within the peer's bound (1 s) and the API server's webhook timeout, not at it.
      expect(Date.now() - started).toBeLessThan(5000);
      const stored = (await api.getNamespacedCustomObject({ ...hr, name: "quiet-a" })) as { spec?: { dependsOn?: unknown[] } };
      expect(stored.spec?.dependsOn ?? []).toEqual([]);
    } finally {
      rig.extraPeers.length = 0;
      silent.close();
    }
  }, 60_000);
});
