// kstatus, the Kubernetes status convention the Flux Operator judges a ResourceSet's `ready: true`
// dependency by when the entry has no readyExpr (docs/behaviour.md, "Flux's behaviour we build on"):
// Current, InProgress, Failed or Terminating, computed from the object alone, in this order:
//
// 1. `metadata.deletionTimestamp` set: Terminating.
// 2. `status.observedGeneration` present and not `metadata.generation`: InProgress.
// 3. The standard conditions, in their order: Reconciling=True is InProgress, Stalled=True is Failed.
// 4. Rules of their own for some kinds (only these are imitated): apps Deployment, StatefulSet,
//    DaemonSet and ReplicaSet (replica counts, the Deployment's Progressing/Available conditions),
//    apiextensions CustomResourceDefinition (Established, NamesAccepted), PersistentVolumeClaim
//    (phase Bound); ConfigMap, Secret and batch CronJob are always Current.
// 5. A Ready condition: True is Current, anything else InProgress.
// 6. Otherwise Current.
//
// Only the fields listed in external-objects.ts are read (the external caches keep no more).

import type { JsonMap, JsonValue } from "./external-objects.js";

type KStatus = "Current" | "InProgress" | "Failed" | "Terminating";

interface KStatusResult {
  status: KStatus;
  message: string;
}

/** What kstatus reads of an object, in the object's own shape. */
export interface KStatusSubject {
  apiVersion?: string;
  kind: string;
  generation?: number;
  deleting?: boolean;
  spec?: JsonMap;
  status?: JsonMap;
}

interface RawCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

const CURRENT: KStatusResult = Object.freeze({ status: "Current", message: "Resource is current" });

export function computeKStatus(subject: KStatusSubject): KStatusResult {
  if (subject.deleting === true) return { status: "Terminating", message: "Resource scheduled for deletion" };
  const observed = numberAt(subject.status, "observedGeneration");
  if (subject.generation !== undefined && observed !== undefined && observed !== subject.generation) {
    return inProgress(`${subject.kind} generation is ${subject.generation}, but latest observed generation is ${observed}`);
  }
  const conditions = conditionsOf(subject.status);
  for (const c of conditions) {
    if (c.type === "Reconciling" && c.status === "True") return inProgress(c.message);
    if (c.type === "Stalled" && c.status === "True") return { status: "Failed", message: c.message };
  }
  const rule = KIND_RULES[groupKind(subject)];
  if (rule !== undefined) return rule(subject, conditions);
  const ready = conditions.find((c) => c.type === "Ready");
  if (ready !== undefined) return ready.status === "True" ? { status: "Current", message: "Resource is Ready" } : inProgress(ready.message);
  return CURRENT;
}

type KindRule = (subject: KStatusSubject, conditions: readonly RawCondition[]) => KStatusResult;

const alwaysReady: KindRule = () => ({ status: "Current", message: "Resource is always ready" });

const KIND_RULES: Readonly<Record<string, KindRule>> = {
  "apps/Deployment": deploymentStatus,
  "apps/StatefulSet": statefulSetStatus,
  "apps/DaemonSet": daemonSetStatus,
  "apps/ReplicaSet": replicaSetStatus,
  "apiextensions.k8s.io/CustomResourceDefinition": crdStatus,
  PersistentVolumeClaim: (subject) => {
    const phase = stringAt(subject.status, "phase") ?? "unknown";
    return phase === "Bound" ? { status: "Current", message: "PVC is Bound" } : inProgress(`PVC is not Bound. phase: ${phase}`);
  },
  ConfigMap: alwaysReady,
  Secret: alwaysReady,
  "batch/CronJob": alwaysReady,
};

/** "apps/Deployment", or the bare kind for the core group. */
function groupKind(subject: KStatusSubject): string {
  const apiVersion = subject.apiVersion ?? "";
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? subject.kind : `${apiVersion.slice(0, slash)}/${subject.kind}`;
}

function deploymentStatus(subject: KStatusSubject, conditions: readonly RawCondition[]): KStatusResult {
  // Without progressDeadlineSeconds the controller never sets Progressing: count it as progressing.
  let progressing = numberAt(subject.spec, "progressDeadlineSeconds") === undefined;
  let available = false;
  for (const c of conditions) {
    if (c.type === "Progressing") {
      if (c.reason === "ProgressDeadlineExceeded") return { status: "Failed", message: "Progress deadline exceeded" };
      if (c.status === "True" && c.reason === "NewReplicaSetAvailable") progressing = true;
    }
    if (c.type === "Available" && c.status === "True") available = true;
  }
  const spec = numberAt(subject.spec, "replicas") ?? 1;
  const replicas = numberAt(subject.status, "replicas") ?? 0;
  const updated = numberAt(subject.status, "updatedReplicas") ?? 0;
  const ready = numberAt(subject.status, "readyReplicas") ?? 0;
  const availableReplicas = numberAt(subject.status, "availableReplicas") ?? 0;
  if (spec > replicas) return inProgress(`Replicas: ${replicas}/${spec}`);
  if (spec > updated) return inProgress(`Updated: ${updated}/${spec}`);
  if (replicas > spec) return inProgress(`Pending termination: ${replicas - spec}`);
  if (updated > availableReplicas) return inProgress(`Available: ${availableReplicas}/${updated}`);
  if (spec > ready) return inProgress(`Ready: ${ready}/${spec}`);
  if (!progressing) return inProgress("ReplicaSet not Available");
  if (!available) return inProgress("Deployment not Available");
  return { status: "Current", message: `Deployment is available. Replicas: ${replicas}` };
}

function statefulSetStatus(subject: KStatusSubject): KStatusResult {
  const strategy = subject.spec?.["updateStrategy"];
  const strategyMap = isMap(strategy) ? strategy : undefined;
  if (stringAt(strategyMap, "type") === "OnDelete") return { status: "Current", message: "StatefulSet is using the ondelete update strategy" };
  const spec = numberAt(subject.spec, "replicas") ?? 1;
  const replicas = numberAt(subject.status, "replicas") ?? 0;
  const ready = numberAt(subject.status, "readyReplicas") ?? 0;
  const current = numberAt(subject.status, "currentReplicas") ?? 0;
  const updated = numberAt(subject.status, "updatedReplicas") ?? 0;
  const rolling = strategyMap?.["rollingUpdate"];
  const partition = numberAt(isMap(rolling) ? rolling : undefined, "partition");
  if (spec > replicas) return inProgress(`Replicas: ${replicas}/${spec}`);
  if (spec > ready) return inProgress(`Ready: ${ready}/${spec}`);
  if (replicas > spec) return inProgress(`Pending termination: ${replicas - spec}`);
  if (partition !== undefined) {
    if (updated < spec - partition) return inProgress(`updated: ${updated}/${spec - partition}`);
    return { status: "Current", message: `Partition rollout complete. updated: ${updated}` };
  }
  if (spec > current) return inProgress(`current: ${current}/${spec}`);
  if ((stringAt(subject.status, "currentRevision") ?? "") !== (stringAt(subject.status, "updateRevision") ?? "")) {
    return inProgress("Waiting for updated revision to match current");
  }
  return { status: "Current", message: `All replicas scheduled as expected. Replicas: ${replicas}` };
}

function daemonSetStatus(subject: KStatusSubject): KStatusResult {
  // A DaemonSet the controller has acted on always has both generations.
  if (subject.generation === undefined) return inProgress(`${subject.kind} metadata.generation not found`);
  if (numberAt(subject.status, "observedGeneration") === undefined) return inProgress(`${subject.kind} status.observedGeneration not found`);
  const desired = numberAt(subject.status, "desiredNumberScheduled");
  if (desired === undefined) return inProgress("Missing .status.desiredNumberScheduled");
  const current = numberAt(subject.status, "currentNumberScheduled") ?? 0;
  const updated = numberAt(subject.status, "updatedNumberScheduled") ?? 0;
  const available = numberAt(subject.status, "numberAvailable") ?? 0;
  const ready = numberAt(subject.status, "numberReady") ?? 0;
  if (desired > current) return inProgress(`Current: ${current}/${desired}`);
  if (desired > updated) return inProgress(`Updated: ${updated}/${desired}`);
  if (desired > available) return inProgress(`Available: ${available}/${desired}`);
  if (desired > ready) return inProgress(`Ready: ${ready}/${desired}`);
  return { status: "Current", message: `All replicas scheduled as expected. Replicas: ${desired}` };
}

function replicaSetStatus(subject: KStatusSubject, conditions: readonly RawCondition[]): KStatusResult {
  if (conditions.some((c) => c.type === "ReplicaFailure" && c.status === "True")) return inProgress("Replica Failure condition. Check Pods");
  const spec = numberAt(subject.spec, "replicas") ?? 1;
  const replicas = numberAt(subject.status, "replicas") ?? 0;
  const ready = numberAt(subject.status, "readyReplicas") ?? 0;
  const available = numberAt(subject.status, "availableReplicas") ?? 0;
  const labelled = numberAt(subject.status, "fullyLabeledReplicas") ?? 0;
  if (spec > labelled) return inProgress(`Labelled: ${labelled}/${spec}`);
  if (spec > available) return inProgress(`Available: ${available}/${spec}`);
  if (spec > ready) return inProgress(`Ready: ${ready}/${spec}`);
  if (replicas > spec) return inProgress(`Pending termination: ${replicas - spec}`);
  return { status: "Current", message: `ReplicaSet is available. Replicas: ${replicas}` };
}

function crdStatus(_subject: KStatusSubject, conditions: readonly RawCondition[]): KStatusResult {
  for (const c of conditions) {
    if (c.type === "NamesAccepted" && c.status === "False") return { status: "Failed", message: c.message };
    if (c.type === "Established") {
      if (c.status === "False" && c.reason !== "Installing") return { status: "Failed", message: c.message };
      if (c.status === "True") return { status: "Current", message: "CRD is established" };
    }
  }
  return inProgress("Install in progress");
}

function inProgress(message: string): KStatusResult {
  return { status: "InProgress", message };
}

function isMap(value: JsonValue | undefined): value is JsonMap {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function numberAt(map: JsonMap | undefined, key: string): number | undefined {
  const value = map?.[key];
  return typeof value === "number" ? value : undefined;
}

function stringAt(map: JsonMap | undefined, key: string): string | undefined {
  const value = map?.[key];
  return typeof value === "string" ? value : undefined;
}

function conditionsOf(status: JsonMap | undefined): RawCondition[] {
  const list = status?.["conditions"];
  if (!Array.isArray(list)) return [];
  const out: RawCondition[] = [];
  for (const item of list) {
    if (!isMap(item)) continue;
    const type = item["type"];
    if (typeof type !== "string") continue;
    out.push({
      type,
      status: typeof item["status"] === "string" ? item["status"] : "",
      reason: typeof item["reason"] === "string" ? item["reason"] : "",
      message: typeof item["message"] === "string" ? item["message"] : "",
    });
  }
  return out;
}
