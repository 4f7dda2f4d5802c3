// The pure domain core: dependency graphs of Flux objects, cycles, problems, gate states.
export * from "./types.js";
export * from "./refs.js";
export * from "./dependency-graph.js";
export * from "./cycles.js";
export * from "./messages.js";
export * from "./ready-expr.js";
export * from "./readiness.js";
export * from "./gate-rules.js";
export * from "./gates.js";
export * from "./suggest.js";
export * from "./problems.js";
export * from "./topo.js";
export * from "./graph-overlay.js";
