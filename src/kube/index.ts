// The Kubernetes transport serve uses instead of @kubernetes/client-node (docs/architecture.md, "The Kubernetes transport").
export { KubeApiError } from "./api-error.js";
export { accessAuthenticator, TOKEN_FILE_REFRESH_MS } from "./authenticator.js";
export type { Authenticator, TlsSettings } from "./authenticator.js";
export { clientNodeAuthenticator, loadClientNodeAuthenticator } from "./client-node-auth.js";
export { connectKube, kubeClientOf } from "./connect.js";
export type { Connected, KubeSource } from "./connect.js";
export { LineSplitter, LineTooLongError } from "./json-lines.js";
export { DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_SOCKETS, DEFAULT_MAX_WATCH_LINE_BYTES, DEFAULT_REQUEST_TIMEOUT_MS, KubeClient, readListPage } from "./kube-client.js";
export type { KubeClientOptions, ListPage, PatchType, Query, RequestOptions, WatchEnd, WatchEvent, WatchHandle, WatchOptions } from "./kube-client.js";
export { inClusterAccess, isUnsupported, KubeconfigError, kubeconfigAccess, loadClusterAccess, SERVICE_ACCOUNT_DIR } from "./kubeconfig.js";
export type { ClusterAccess, Credentials, LoadedAccess, LoadOptions, UnsupportedKubeconfig } from "./kubeconfig.js";
