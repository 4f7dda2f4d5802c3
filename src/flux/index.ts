// The Flux object model: kinds and versions, conditions, annotations, the one decoder.
export * from "./kinds.js";
export * from "./conditions.js";
export * from "./annotations.js";
export * from "./decode.js";
export * from "./sources.js";
