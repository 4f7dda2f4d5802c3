// Kept for the files that still import the logger and API-error helpers from here; both live in
// src/runtime now (docs/architecture.md, "Runtime"). New code imports src/runtime.
export type { Logger as ClusterLogger } from "../runtime/logger.js";
export { silentLogger } from "../runtime/logger.js";
export { describeError, statusCodeOf } from "../runtime/api-error.js";
