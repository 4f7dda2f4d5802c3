// The cluster layer: the only code that talks to the Kubernetes API.
export * from "./resources.js";
export * from "./object-cache.js";
export * from "./flux-graph.js";
export * from "./kind-store.js";
export * from "./source-revisions.js";
export * from "./webhook-rules.js";
export * from "./reconcile-request.js";
export * from "./events.js";
export * from "./lease-election.js";
