// End to end through the sandbox: `serve` follows a Flux upgrade that starts serving the Flux RFC's
// cross-kind dependsOn fields (fluxcd/flux2 PR 5988) without a restart (docs/behaviour.md, "Gate states").
// serve starts while the HelmRelease CRD object lacks the fields, so an entry naming a ConfigMap is read as
// today's same-kind entry (a HelmRelease gates/switch: missing, the gate blocked, admission denies a new one);
// the CRD object is then replaced by one with the fields, and within serve's re-read interval the gate
// judges the ConfigMap and admission admits a new such entry. A CRD that cannot be read keeps the reading;
// a downgrade brings today's meaning back.
import { ApiextensionsV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import type { V1CustomResourceDefinition } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandboxEnvironment } from "../src/cli/sandbox.js";
import type { SandboxEnvironment } from "../src/cli/sandbox.js";
import { setCrossKindDependsOn } from "../src/flux/cross-kind.js";
import { eventually } from "./helpers/eventually.js";

const HR = { group: "helm.toolkit.fluxcd.io", version: "v2", plural: "helmreleases" };
const CRD_NAME = "helmreleases.helm.toolkit.fluxcd.io";
const ENTRY = { apiVersion: "v1", kind: "ConfigMap", name: "switch", namespace: "gates" };

function release(name: string) {
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name, namespace: "default" },
    spec: { interval: "10m", chart: { spec: { chart: name, sourceRef: { kind: "HelmRepository", name: "charts", namespace: "flux-system" } } }, dependsOn: [ENTRY] },
  };
}

/** The HelmRelease CRD as a Flux with (or without) the RFC's fields serves it: only what decides the reading. */
function helmReleaseCrd(crossKind: boolean) {
  const item = { name: { type: "string" }, namespace: { type: "string" }, readyExpr: { type: "string" }, ...(crossKind ? { apiVersion: { type: "string" }, kind: { type: "string" }, ready: { type: "boolean" } } : {}) };
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: CRD_NAME },
    spec: {
      group: HR.group,
      names: { kind: "HelmRelease", plural: "helmreleases", singular: "helmrelease", shortNames: ["hr"] },
      scope: "Namespaced",
      versions: [
        {
          name: "v2",
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true, properties: { spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true, properties: { dependsOn: { type: "array", items: { type: "object", properties: item } } } } } } },
        },
      ],
    },
    status: { conditions: [{ type: "Established", status: "True", reason: "InitialNamesAccepted", message: "", lastTransitionTime: "2024-01-01T00:00:00Z" }] },
  };
}

describe("serve follows the served schema's cross-kind dependsOn without a restart", () => {
  let env: SandboxEnvironment;
  let custom: CustomObjectsApi;
  let crds: ApiextensionsV1Api;
  const lines: string[] = [];
  beforeAll(async () => {
    env = await startSandboxEnvironment({
      logger: pino({ level: "debug" }, { write: (line: string) => void lines.push(line) }),
      // The sandbox's own pruning keeps the RFC's fields, while the CRD object serve reads says they are not served.
      fluxCrdCrossKind: true,
      seed: [
        helmReleaseCrd(false),
        { apiVersion: "v1", kind: "Namespace", metadata: { name: "gates" } },
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "switch", namespace: "gates" }, data: { gate: "open" } },
        release("early"),
      ],
      installDelayMs: 30,
      requeueDependencyMs: 300,
      crossKindRefreshMs: 200,
      serve: { externalKinds: true },
    });
    custom = env.sandbox.kubeConfig().makeApiClient(CustomObjectsApi);
    crds = env.sandbox.kubeConfig().makeApiClient(ApiextensionsV1Api);
  });
  afterAll(async () => {
    await env?.close();
    setCrossKindDependsOn([]);
  });

  const gate = (name: string) => env.serve.controller.state("HelmRelease", `default/${name}`);
  const replaceCrd = async (crossKind: boolean) => {
    const current = await crds.readCustomResourceDefinition({ name: CRD_NAME });
    const body = { ...helmReleaseCrd(crossKind), metadata: { name: CRD_NAME, resourceVersion: current.metadata?.resourceVersion } } as unknown as V1CustomResourceDefinition;
    await crds.replaceCustomResourceDefinition({ name: CRD_NAME, body });
  };
  const create = (name: string) => custom.createNamespacedCustomObject({ ...HR, namespace: "default", body: release(name) });

  it("before the upgrade: the entry is today's same-kind entry (gate blocked on HelmRelease gates/switch, admission denies)", async () => {
    await eventually(() => gate("early")?.state === "blocked", { what: "the gate of early blocked" });
    expect(gate("early")).toMatchObject({ rootCause: "HelmRelease/gates/switch" });
    await expect(create("late-denied")).rejects.toThrow(/switch/);
  });

  it("after the upgrade: within the interval the gate judges the ConfigMap and admission admits a new entry", async () => {
    await replaceCrd(true);
    await eventually(() => gate("early")?.state === "open", { what: "the gate of early open on the ConfigMap" });
    expect(lines.some((l) => l.includes("cross-kind dependsOn changed") && l.includes('"started":["HelmRelease"]'))).toBe(true);
    await create("late");
    await eventually(() => gate("late")?.state === "open", { what: "the gate of late open" });
  });

  it("a CRD that cannot be read keeps the current reading (no flip on an error)", async () => {
    await crds.deleteCustomResourceDefinition({ name: CRD_NAME });
    await eventually(() => lines.some((l) => l.includes("could not read a Flux CRD again")), { what: "serve's warning about the unread CRD" });
    await create("while-unread");
    await eventually(() => gate("while-unread")?.state === "open", { what: "the gate of while-unread open" });
    expect(gate("early")?.state).toBe("open");
    await crds.createCustomResourceDefinition({ body: helmReleaseCrd(true) as unknown as V1CustomResourceDefinition });
  });

  it("after a downgrade: the entries are read as today's again", async () => {
    await replaceCrd(false);
    await eventually(() => gate("early")?.state === "blocked", { what: "the gate of early blocked again" });
    expect(gate("early")).toMatchObject({ rootCause: "HelmRelease/gates/switch" });
  });
});
