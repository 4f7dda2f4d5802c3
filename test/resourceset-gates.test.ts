// End to end through the sandbox, with serve running and the simulated Flux playing the Flux Operator's
// dependency check (docs/behaviour.md, Gate states; "Kinds outside Flux"): a ResourceSet blocked on a
// failed HelmRelease names it as root cause (metric and Event) and is asked to reconcile when it
// recovers; a ResourceSet with `ready: true` on a Deployment opens when the Deployment becomes available.
import { AppsV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandboxEnvironment } from "../src/cli/sandbox.js";
import type { SandboxEnvironment } from "../src/cli/sandbox.js";
import { eventually } from "./helpers/eventually.js";
import { FluxClient, helmRelease, REQUESTED_AT } from "./helpers/flux-client.js";
import { findSamples, scrape } from "./helpers/metrics-text.js";
import { quietLogger } from "./helpers/quiet-logger.js";

const RS = { group: "fluxcd.controlplane.io", version: "v1", plural: "resourcesets" };

interface ResourceSetView {
  metadata: { name: string; generation?: number; annotations?: Record<string, string> };
  status?: { observedGeneration?: number; lastHandledReconcileAt?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

function resourceSet(name: string, dependsOn: object[]) {
  return {
    apiVersion: "fluxcd.controlplane.io/v1",
    kind: "ResourceSet",
    metadata: { name, namespace: "default" },
    spec: { dependsOn, resources: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${name}-settings`, namespace: "default" } }] },
  };
}

async function metricsText(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
  return response.text();
}

describe("ResourceSet gates with the simulated Flux Operator", () => {
  let env: SandboxEnvironment;
  let flux: FluxClient;
  let custom: CustomObjectsApi;
  let apps: AppsV1Api;
  const getRs = async (name: string): Promise<ResourceSetView> => (await custom.getNamespacedCustomObject({ ...RS, namespace: "default", name })) as ResourceSetView;
  const rsReady = async (name: string): Promise<boolean> => {
    const rs = await getRs(name);
    return rs.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true && rs.status.observedGeneration === rs.metadata.generation;
  };

  const gateMessage = (name: string): string | undefined => {
    const state = env.serve.controller.state("ResourceSet", `default/${name}`);
    return state?.state === "blocked" ? state.rootCauseMessage : undefined;
  };

  beforeAll(async () => {
    env = await startSandboxEnvironment({
      logger: quietLogger(),
      seed: [{ ...helmRelease("redis"), metadata: { name: "redis", namespace: "default", annotations: { "sandbox.releasegate.io/simulate": "install-failure" } } }],
      installDelayMs: 50,
      // The operator's own 5 s poll and helm-controller's: longer than this test, so every opening seen is releasegate's.
      requeueDependencyMs: 120_000,
      resourceSetRequeueMs: 120_000,
      serve: { externalKinds: true },
    });
    const kc = env.sandbox.kubeConfig();
    flux = new FluxClient(kc);
    custom = kc.makeApiClient(CustomObjectsApi);
    apps = kc.makeApiClient(AppsV1Api);
  });
  afterAll(async () => {
    await env?.close();
  });

  it("blocks a ResourceSet on a failed HelmRelease with reason Failed, naming it as root cause in the metric and an Event", async () => {
    await eventually(async () => (await flux.get("redis")).status?.conditions?.some((c) => c.reason === "InstallFailed") === true, { what: "redis failed" });
    await custom.createNamespacedCustomObject({
      ...RS,
      namespace: "default",
      body: resourceSet("platform", [{ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "redis", namespace: "default", ready: true }]),
    });
    const sample = await eventually(async () => findSamples(await scrape(env.serve.metricsPort), "releasegate_release_blocked", { kind: "ResourceSet", name: "platform" })[0], {
      what: "the ResourceSet's blocked metric",
    });
    expect(sample).toEqual({
      name: "releasegate_release_blocked",
      labels: { kind: "ResourceSet", namespace: "default", name: "platform", reason: "Failed", root_cause: "HelmRelease/default/redis" },
      value: 1,
    });
    const line = (await metricsText(env.serve.metricsPort)).split("\n").find((l) => l.startsWith("releasegate_release_blocked{") && l.includes('kind="ResourceSet"'));
    console.log(`gate metric of a ResourceSet, from /metrics:\n${line}`);
    const event = await eventually(async () => (await flux.eventsFor("platform")).find((e) => e.reason === "DependencyBlocked"), { what: "the DependencyBlocked Event" });
    expect(event).toMatchObject({ type: "Warning", note: "blocked by HelmRelease default/redis: install retries exhausted" });
    expect(event.regarding).toMatchObject({ kind: "ResourceSet", apiVersion: "fluxcd.controlplane.io/v1", name: "platform" });
    // The simulated operator holds it back too.
    await eventually(async () => (await getRs("platform")).status?.conditions?.some((c) => c.reason === "DependencyNotReady") === true, { what: "platform waiting" });
  });

  it("asks the ResourceSet to reconcile when the HelmRelease recovers: requestedAt set, the operator reconciles it", async () => {
    expect((await getRs("platform")).metadata.annotations?.[REQUESTED_AT]).toBeUndefined();
    await flux.patch("redis", { metadata: { annotations: { "sandbox.releasegate.io/simulate": null } } });
    const asked = await eventually(async () => {
      const rs = await getRs("platform");
      return rs.metadata.annotations?.[REQUESTED_AT] !== undefined ? rs : undefined;
    }, { what: "requestedAt on platform" });
    const requestedAt = asked.metadata.annotations![REQUESTED_AT]!;
    await eventually(() => rsReady("platform"), { what: "platform Ready" });
    expect((await getRs("platform")).status?.lastHandledReconcileAt).toBe(requestedAt);
    const samples = await scrape(env.serve.metricsPort);
    expect(findSamples(samples, "releasegate_release_blocked", { kind: "ResourceSet" })).toEqual([]);
    expect(findSamples(samples, "releasegate_reconcile_requests_total", { kind: "ResourceSet", result: "requested" })[0]?.value).toBe(1);
    const opened = await eventually(async () => (await flux.eventsFor("platform")).find((e) => e.reason === "GateOpened"), { what: "GateOpened" });
    expect(opened).toMatchObject({ type: "Normal", note: "gate open: dependency HelmRelease default/redis is Ready" });
  });

  it("opens a ResourceSet with ready: true on a Deployment when the Deployment becomes available (watch of a kind outside Flux)", async () => {
    await apps.createNamespacedDeployment({
      namespace: "default",
      body: {
        metadata: { name: "web", namespace: "default" },
        spec: {
          replicas: 1,
          progressDeadlineSeconds: 600,
          selector: { matchLabels: { app: "web" } },
          template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx:1.27" }] } },
        },
      },
    });
    await custom.createNamespacedCustomObject({
      ...RS,
      namespace: "default",
      body: resourceSet("frontend", [{ apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: "default", ready: true }]),
    });
    const blocked = await eventually(async () => findSamples(await scrape(env.serve.metricsPort), "releasegate_release_blocked", { kind: "ResourceSet", name: "frontend" })[0], {
      what: "frontend blocked on the Deployment",
    });
    expect(blocked.labels).toMatchObject({ reason: "NotReady", root_cause: "Deployment/default/web" });
    await eventually(async () => (await getRs("frontend")).status?.conditions?.some((c) => c.reason === "DependencyNotReady") === true, { what: "frontend waiting" });
    // The first Event may be from before the Deployments were listed ("cannot judge yet"); the gate itself says why now.
    const note = (await eventually(async () => (await flux.eventsFor("frontend")).find((e) => e.reason === "DependencyBlocked"), { what: "frontend's Event" })).note;
    expect(note).toMatch(/^blocked by Deployment default\/web: /);
    await eventually(() => gateMessage("frontend") === "status InProgress: Replicas: 0/1", { what: "frontend's root cause message" });

    // Play the Deployment controller: the rollout completes.
    await apps.patchNamespacedDeploymentStatus(
      {
        namespace: "default",
        name: "web",
        body: {
          status: {
            observedGeneration: 1,
            replicas: 1,
            updatedReplicas: 1,
            readyReplicas: 1,
            availableReplicas: 1,
            conditions: [
              { type: "Available", status: "True", reason: "MinimumReplicasAvailable", message: "Deployment has minimum availability." },
              { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable", message: 'ReplicaSet "web-1" has successfully progressed.' },
            ],
          },
        },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const asked = await eventually(async () => {
      const rs = await getRs("frontend");
      return rs.metadata.annotations?.[REQUESTED_AT] !== undefined ? rs : undefined;
    }, { what: "requestedAt on frontend" });
    await eventually(() => rsReady("frontend"), { what: "frontend Ready" });
    expect((await getRs("frontend")).status?.lastHandledReconcileAt).toBe(asked.metadata.annotations![REQUESTED_AT]);
    expect(findSamples(await scrape(env.serve.metricsPort), "releasegate_release_blocked", { kind: "ResourceSet", name: "frontend" })).toEqual([]);
  });
});
