// The pure domain core: dependency graphs of Flux objects, cycles, problems, gate states.
export * from "./types.js";
export * from "./refs.js";
export * from "./dependency-graph.js";
export * from "./cycles.js";
