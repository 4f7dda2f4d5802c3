// Events written through events.k8s.io/v1 (as releasegate writes them), read through core/v1 by the real
// kubectl: `kubectl get events` shows LAST SEEN from the series' last observation, `--sort-by=.lastTimestamp`
// orders them, and the core fields (count, firstTimestamp, source, involvedObject, message) are mapped the
// way the API server maps them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventsV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox } from "../src/sandbox/sandbox.js";
import type { Sandbox } from "../src/sandbox/sandbox.js";
import { bundledKubectl, runTool } from "./helpers/tools.js";

const ago = (seconds: number): Date => new Date(Date.now() - seconds * 1000);

describe("core/v1 Events mapped from events.k8s.io/v1", () => {
  let sandbox: Sandbox;
  let work: string;
  let kubeconfig: string;
  const kubectl = (args: string[]) => runTool(bundledKubectl(), ["--kubeconfig", kubeconfig, ...args], { env: { HOME: work } });

  beforeAll(async () => {
    sandbox = await startSandbox();
    work = mkdtempSync(join(tmpdir(), "sandbox-events-"));
    kubeconfig = join(work, "kubeconfig");
    await sandbox.writeKubeconfig(kubeconfig);
    const events = sandbox.kubeConfig().makeApiClient(EventsV1Api);
    const regarding = (name: string) => ({ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", namespace: "default", name });
    await events.createNamespacedEvent({
      namespace: "default",
      body: {
        metadata: { name: "backend.repeated" },
        eventTime: ago(600),
        series: { count: 3, lastObservedTime: ago(120) },
        reportingController: "releasegate",
        reportingInstance: "releasegate-0",
        action: "Gate",
        reason: "DependencyBlocked",
        type: "Warning",
        note: "blocked by default/redis: install retries exhausted",
        regarding: regarding("backend"),
      },
    });
    await events.createNamespacedEvent({
      namespace: "default",
      body: {
        metadata: { name: "redis.once" },
        eventTime: ago(300),
        reportingController: "releasegate",
        reportingInstance: "releasegate-0",
        action: "Gate",
        reason: "GateOpened",
        type: "Normal",
        note: "gate open",
        regarding: regarding("redis"),
      },
    });
  });
  afterAll(async () => {
    await sandbox?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("shows LAST SEEN from the series' last observation, else the event time", async () => {
    const { stdout, code } = await kubectl(["get", "events", "-n", "default"]);
    expect(code).toBe(0);
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE/);
    expect(lines.find((l) => l.includes("DependencyBlocked"))).toMatch(/^(2m\d*s?|1[01]\ds)\s+Warning\s+DependencyBlocked\s+helmrelease\/backend\s+blocked by default\/redis/);
    expect(lines.find((l) => l.includes("GateOpened"))).toMatch(/^5m\d*s?\s+Normal\s+GateOpened\s+helmrelease\/redis/);
  });

  it("sorts by .lastTimestamp (oldest first)", async () => {
    const { stdout, code, stderr } = await kubectl(["get", "events", "-n", "default", "--sort-by=.lastTimestamp", "-o", "custom-columns=NAME:.metadata.name,COUNT:.count"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout.trim().split("\n").slice(1).map((l) => l.split(/\s+/))).toEqual([
      ["redis.once", "1"],
      ["backend.repeated", "3"],
    ]);
  });

  it("maps the core fields as the API server does", async () => {
    const { stdout } = await kubectl(["get", "event", "backend.repeated", "-n", "default", "-o", "json"]);
    const event = JSON.parse(stdout) as Record<string, unknown>;
    expect(event).toMatchObject({
      apiVersion: "v1",
      count: 3,
      message: "blocked by default/redis: install retries exhausted",
      source: { component: "releasegate" },
      involvedObject: { kind: "HelmRelease", name: "backend", namespace: "default" },
      reportingComponent: "releasegate",
    });
    expect(Date.parse(String(event.lastTimestamp))).toBeGreaterThan(Date.parse(String(event.firstTimestamp)));
  });
});
