// The Kubernetes transport of every command that talks to a cluster (docs/architecture.md, "The Kubernetes transport"):
// what the tests reach it by.
export { KubeApiError } from "./api-error.js";
export { accessAuthenticator } from "./authenticator.js";
export { connectKube } from "./connect.js";
export { KubeClient } from "./kube-client.js";
export type { KubeClientObserver, KubeClientOptions, WatchEvent } from "./kube-client.js";
export { loadClusterAccess } from "./kubeconfig.js";
