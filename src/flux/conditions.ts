// Condition types and reasons Flux writes in `status.conditions` (fluxcd/pkg apis/meta, and the
// controllers' own reasons). The terminal failure reasons are defined with the readiness rule in
// src/graph/readiness.ts, which the gate states need and which may import nothing of the project;
// this module is where the rest of the program reads them from (docs/architecture.md, "Readiness").

export { READY_CONDITION, STALLED_CONDITION, TERMINAL_FAILURE_REASONS } from "../graph/readiness.js";

export const RECONCILING_CONDITION = "Reconciling";

/** Ready=False while a dependency is not ready: the object waits for its next poll (30 s; 5 s for ResourceSets). */
export const DEPENDENCY_NOT_READY_REASON = "DependencyNotReady";
