// Plumbing written once for the whole program: JSON guard, logger interface, API errors, signals.
export * from "./json.js";
export * from "./logger.js";
export * from "./api-error.js";
export * from "./termination.js";
