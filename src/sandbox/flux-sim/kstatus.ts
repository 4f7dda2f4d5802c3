// The generic part of kstatus (sigs.k8s.io/cli-utils pkg/kstatus, "status.Compute"), which the Flux
// Operator uses for a `ready: true` dependency of a kind without a readyExpr: an object whose controller
// has not observed its latest generation is InProgress; the standard conditions Reconciling=True and
// Stalled=True mean InProgress and Failed; a Flux-style Ready=False means InProgress; otherwise Current.
// Of the per-kind rules of kstatus only the Deployment's is imitated (the one workload the sandbox
// serves): its rollout must be complete, every desired replica updated, ready and available, and the
// Available condition True; a Progressing condition with reason ProgressDeadlineExceeded is Failed. And
// the CustomResourceDefinition's (a ResourceSet's commonest dependency): Current once Established=True,
// Failed when NamesAccepted=False or Established=False for any reason but Installing, else InProgress.
import { condition, numberField, stringField } from "./unstructured.js";

type KStatus = "InProgress" | "Failed" | "Current";

export function computeStatus(obj: unknown): KStatus {
  const generation = numberField(obj, "metadata", "generation");
  const observed = numberField(obj, "status", "observedGeneration");
  if (observed !== undefined && generation !== undefined && observed !== generation) return "InProgress";
  if (condition(obj, "Stalled")?.status === "True") return "Failed";
  if (condition(obj, "Reconciling")?.status === "True") return "InProgress";
  if (stringField(obj, "apiVersion") === "apps/v1" && stringField(obj, "kind") === "Deployment") return deploymentStatus(obj);
  if (stringField(obj, "apiVersion")?.startsWith("apiextensions.k8s.io/") === true && stringField(obj, "kind") === "CustomResourceDefinition") return crdStatus(obj);
  if (condition(obj, "Ready")?.status === "False") return "InProgress";
  return "Current";
}

function deploymentStatus(obj: unknown): KStatus {
  if (condition(obj, "Progressing")?.reason === "ProgressDeadlineExceeded") return "Failed";
  const desired = numberField(obj, "spec", "replicas") ?? 1;
  const counts = ["replicas", "updatedReplicas", "readyReplicas", "availableReplicas"].map((name) => numberField(obj, "status", name) ?? 0);
  if (counts.some((n) => n !== desired)) return "InProgress";
  return condition(obj, "Available")?.status === "True" ? "Current" : "InProgress";
}

function crdStatus(obj: unknown): KStatus {
  if (condition(obj, "NamesAccepted")?.status === "False") return "Failed";
  const established = condition(obj, "Established");
  if (established?.status === "True") return "Current";
  if (established?.status === "False" && established.reason !== "Installing") return "Failed";
  return "InProgress";
}
