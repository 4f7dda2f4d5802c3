// The gate controller: transitions, reconcile requests, Events and gate metrics.
export * from "./transitions.js";
export * from "./token-bucket.js";
export * from "./reconcile-queue.js";
export * from "./gate-metrics.js";
export * from "./gate-controller.js";
export * from "./leader-start.js";
