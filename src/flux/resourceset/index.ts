// Flux Operator ResourceSet expansion, offline: what a ResourceSet generates, computed with the operator's
// Go text/template semantics.

export { expandResourceSet } from "./expand.js";
