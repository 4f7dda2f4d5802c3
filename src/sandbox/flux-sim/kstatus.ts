// The generic part of kstatus (sigs.k8s.io/cli-utils pkg/kstatus, "status.Compute"), which the Flux
// Operator uses for a `ready: true` dependency of a kind without a readyExpr: an object whose controller
// has not observed its latest generation is InProgress; the standard conditions Reconciling=True and
// Stalled=True mean InProgress and Failed; a Flux-style Ready=False means InProgress; otherwise Current.
// The per-kind rules of kstatus (Deployment replicas, Pod phases...) are not imitated: the sandbox serves
// no workloads.
import { condition, numberField } from "./unstructured.js";

export type KStatus = "InProgress" | "Failed" | "Current";

export function computeStatus(obj: unknown): KStatus {
  const generation = numberField(obj, "metadata", "generation");
  const observed = numberField(obj, "status", "observedGeneration");
  if (observed !== undefined && generation !== undefined && observed !== generation) return "InProgress";
  if (condition(obj, "Stalled")?.status === "True") return "Failed";
  if (condition(obj, "Reconciling")?.status === "True") return "InProgress";
  if (condition(obj, "Ready")?.status === "False") return "InProgress";
  return "Current";
}
