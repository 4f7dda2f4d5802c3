// A few client-node calls on HelmReleases and Events, for the end-to-end tests that play a user
// (kubectl-like writes) or helm-controller (writes through the /status subresource).
import { CustomObjectsApi, EventsV1Api, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { EventsV1Event, KubeConfig } from "@kubernetes/client-node";

const HR = { group: "helm.toolkit.fluxcd.io", version: "v2", plural: "helmreleases" };

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
}

export interface HelmReleaseView {
  metadata: { name: string; namespace: string; generation?: number; annotations?: Record<string, string> };
  spec: { dependsOn?: { name: string; namespace?: string }[]; suspend?: boolean };
  status?: { observedGeneration?: number; conditions?: Condition[]; lastHandledReconcileAt?: string };
}

export const REQUESTED_AT = "reconcile.fluxcd.io/requestedAt";

export function helmRelease(name: string, dependsOn: string[] = [], extra: { annotations?: Record<string, string>; suspend?: boolean; namespace?: string } = {}) {
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name, namespace: extra.namespace ?? "default", ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: {
      interval: "10m",
      chart: { spec: { chart: name, sourceRef: { kind: "HelmRepository", name: "bitnami", namespace: "flux-system" } } },
      ...(dependsOn.length > 0 ? { dependsOn: dependsOn.map((d) => ({ name: d })) } : {}),
      ...(extra.suspend !== undefined ? { suspend: extra.suspend } : {}),
      values: { replicaCount: 1 },
    },
  };
}

export class FluxClient {
  readonly api: CustomObjectsApi;
  readonly events: EventsV1Api;

  constructor(kc: KubeConfig) {
    this.api = kc.makeApiClient(CustomObjectsApi);
    this.events = kc.makeApiClient(EventsV1Api);
  }

  async create(object: object, namespace = "default"): Promise<void> {
    await this.api.createNamespacedCustomObject({ ...HR, namespace, body: object });
  }

  async get(name: string, namespace = "default"): Promise<HelmReleaseView> {
    return (await this.api.getNamespacedCustomObject({ ...HR, namespace, name })) as HelmReleaseView;
  }

  async patch(name: string, body: object, namespace = "default"): Promise<void> {
    await this.api.patchNamespacedCustomObject({ ...HR, namespace, name, body }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
  }

  /** Plays helm-controller: set the conditions at the current generation. */
  async setStatus(name: string, conditions: Condition[], namespace = "default"): Promise<void> {
    const current = await this.get(name, namespace);
    const generation = current.metadata.generation ?? 1;
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    await this.api.patchNamespacedCustomObjectStatus(
      {
        ...HR,
        namespace,
        name,
        body: { status: { observedGeneration: generation, conditions: conditions.map((c) => ({ ...c, lastTransitionTime: now })) } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
  }

  async ready(name: string, namespace = "default"): Promise<void> {
    await this.setStatus(name, [{ type: "Ready", status: "True", reason: "InstallSucceeded", message: "Helm install succeeded" }], namespace);
  }

  async waiting(name: string, dependency: string, namespace = "default"): Promise<void> {
    await this.setStatus(
      name,
      [{ type: "Ready", status: "False", reason: "DependencyNotReady", message: `dependency '${dependency}' is not ready` }],
      namespace,
    );
  }

  async progressing(name: string, namespace = "default"): Promise<void> {
    await this.setStatus(name, [{ type: "Ready", status: "Unknown", reason: "Progressing", message: "Running 'install' action" }], namespace);
  }

  async isReady(name: string, namespace = "default"): Promise<boolean> {
    const hr = await this.get(name, namespace);
    const ready = hr.status?.conditions?.find((c) => c.type === "Ready");
    return ready?.status === "True" && hr.status?.observedGeneration === hr.metadata.generation;
  }

  async eventsFor(name: string, namespace = "default"): Promise<EventsV1Event[]> {
    const list = await this.events.listNamespacedEvent({ namespace });
    return list.items.filter((e) => e.regarding?.name === name && e.reportingController === "releasegate");
  }
}
