// The cluster layer: the only code that talks to the Kubernetes API.
export * from "./resources.js";
export * from "./object-cache.js";
export * from "./reconcile-request.js";
export * from "./events.js";
export * from "./lease-election.js";
export * from "./logger.js";
