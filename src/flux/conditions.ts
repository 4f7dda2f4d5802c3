// Condition types and reasons Flux writes in `status.conditions` (fluxcd/pkg apis/meta, and the
// controllers' own reasons). The terminal failure reasons are defined with the readiness rule in
// src/graph/readiness.ts, which the gate states need and which may import nothing of the project;
// this module is where the rest of the program reads them from (docs/architecture.md, "Readiness").

export { READY_CONDITION } from "../graph/readiness.js";

/** Ready=False while a dependency is not ready: the object waits for its next poll (30 s; 5 s for ResourceSets). */
export const DEPENDENCY_NOT_READY_REASON = "DependencyNotReady";
