// End to end through the sandbox and the simulated Flux: releasegate starts (an upgrade, a restart, a
// failover) while dependents already wait. redis became Ready while nobody led, so backend (a
// HelmRelease) and platform (a ResourceSet) say DependencyNotReady and Flux would look again only at its
// next dependency poll (set longer than this test). Within 2 s of serve taking the Lease both are asked
// to reconcile, with an Event saying why; worker, whose dependency failed, is not (docs/behaviour.md,
// "After a restart").
import { CoordinationV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StaticPeerSource } from "../src/admission/peer-source.js";
import { SANDBOX_NAMESPACE, startSandboxApi } from "../src/cli/sandbox.js";
import type { SandboxApi } from "../src/cli/sandbox.js";
import { startServe } from "../src/cli/serve.js";
import type { RunningServe } from "../src/cli/serve.js";
import { resolveServeOptions } from "../src/cli/serve-options.js";
import { eventually } from "./helpers/eventually.js";
import { FluxClient, helmRelease, REQUESTED_AT } from "./helpers/flux-client.js";
import { quietLogger } from "./helpers/quiet-logger.js";

const RS = { group: "fluxcd.controlplane.io", version: "v1", plural: "resourcesets" };
const IDENTITY = "releasegate-restarted";

interface View {
  metadata: { annotations?: Record<string, string>; generation?: number };
  status?: { lastHandledReconcileAt?: string; conditions?: Array<{ type: string; status: string; reason?: string }> };
}

const waitsOnDependencies = (view: View): boolean => view.status?.conditions?.some((c) => c.type === "Ready" && c.status === "False" && c.reason === "DependencyNotReady") === true;

describe("a releasegate that starts while dependents already wait", () => {
  let api: SandboxApi;
  let serve: RunningServe | undefined;
  let flux: FluxClient;
  let custom: CustomObjectsApi;
  const getHr = async (name: string): Promise<View> => (await flux.get(name)) as View;
  const getRs = async (name: string): Promise<View> => (await custom.getNamespacedCustomObject({ ...RS, namespace: "default", name })) as View;

  beforeAll(async () => {
    api = await startSandboxApi({
      logger: quietLogger(),
      webhookUrl: "https://127.0.0.1:1/validate",
      seed: [
        helmRelease("redis"),
        helmRelease("backend", ["redis"]),
        { ...helmRelease("broken"), metadata: { name: "broken", namespace: "default", annotations: { "sandbox.releasegate.io/simulate": "install-failure" } } },
        helmRelease("worker", ["broken"]),
        {
          apiVersion: "fluxcd.controlplane.io/v1",
          kind: "ResourceSet",
          metadata: { name: "platform", namespace: "default" },
          spec: {
            dependsOn: [{ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "redis", namespace: "default", ready: true }],
            resources: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "platform-settings", namespace: "default" } }],
          },
        },
      ],
      // redis installs for a second: backend and platform look at it before it is Ready, then wait.
      installDelayMs: 1000,
      // Flux's own polls: longer than this whole test, so every request seen here is releasegate's.
      requeueDependencyMs: 300_000,
      resourceSetRequeueMs: 300_000,
    });
    flux = new FluxClient(api.sandbox.kubeConfig());
    custom = api.sandbox.kubeConfig().makeApiClient(CustomObjectsApi);
  });
  afterAll(async () => {
    await serve?.shutdown();
    await api?.close();
  });

  it("asks every open gate that still waits within 2 s of taking the Lease, with an Event; never a blocked one", async () => {
    // The state before releasegate starts: redis Ready, its dependents waiting for Flux's next poll.
    await eventually(() => flux.isReady("redis"), { what: "redis Ready", timeoutMs: 20_000 });
    await eventually(async () => waitsOnDependencies(await getHr("backend")), { what: "backend waiting" });
    await eventually(async () => waitsOnDependencies(await getRs("platform")), { what: "platform waiting" });
    await eventually(async () => waitsOnDependencies(await getHr("worker")), { what: "worker waiting" });
    expect((await getHr("backend")).metadata.annotations?.[REQUESTED_AT]).toBeUndefined();

    serve = await startServe(
      {
        ...resolveServeOptions({}, {}),
        webhookPort: 0,
        metricsPort: 0,
        uiPort: 0,
        bindAddress: "127.0.0.1",
        namespace: SANDBOX_NAMESPACE,
        identity: IDENTITY,
        certMode: "files",
        tlsCertFile: api.servingCert!.certFile,
        tlsKeyFile: api.servingCert!.keyFile,
      },
      { kubeConfig: api.sandbox.kubeConfig(), logger: quietLogger(), peers: new StaticPeerSource([]) },
    );
    const leases = api.sandbox.kubeConfig().makeApiClient(CoordinationV1Api);
    await eventually(async () => (await leases.readNamespacedLease({ namespace: SANDBOX_NAMESPACE, name: "releasegate-leader" }).catch(() => undefined))?.spec?.holderIdentity === IDENTITY, {
      what: "serve holding the Lease",
      timeoutMs: 30_000,
    });

    // From the moment the Lease is seen held: 2 s at most.
    const asked = await eventually(
      async () => {
        const [backend, platform] = await Promise.all([getHr("backend"), getRs("platform")]);
        const a = backend.metadata.annotations?.[REQUESTED_AT];
        const b = platform.metadata.annotations?.[REQUESTED_AT];
        return a !== undefined && b !== undefined ? { backend: a, platform: b } : undefined;
      },
      { what: "backend and platform asked to reconcile", timeoutMs: 2000, intervalMs: 50 },
    );
    for (const name of ["backend", "platform"]) {
      const events = await eventually(async () => {
        const list = await flux.eventsFor(name);
        return list.length > 0 ? list : undefined;
      }, { what: `an Event on ${name}` });
      expect(events.map((e) => [e.type, e.reason, e.note])).toEqual([
        ["Normal", "GateOpened", "dependencies were already Ready when releasegate started: asked Flux to reconcile now, not at its next dependency poll"],
      ]);
    }
    // Flux handled releasegate's requests, not its own poll.
    await eventually(() => flux.isReady("backend"), { what: "backend Ready", timeoutMs: 10_000 });
    expect((await getHr("backend")).status?.lastHandledReconcileAt).toBe(asked.backend);
    await eventually(async () => (await getRs("platform")).status?.lastHandledReconcileAt === asked.platform, { what: "platform's request handled" });

    // worker's gate is blocked by broken: no request, a Warning naming the root cause instead.
    expect((await getHr("worker")).metadata.annotations?.[REQUESTED_AT]).toBeUndefined();
    expect(serve.controller.state("HelmRelease", "default/worker")).toMatchObject({ state: "blocked", reason: "Failed" });
  });
});
