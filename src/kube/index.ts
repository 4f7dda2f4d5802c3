// The Kubernetes transport of every command that talks to a cluster (docs/architecture.md, "The Kubernetes transport").
export { KubeApiError } from "./api-error.js";
export { accessAuthenticator, impersonationHeaders, TOKEN_FILE_REFRESH_MS } from "./authenticator.js";
export type { Authenticator, AuthenticatorOptions, HeaderValues, TlsSettings } from "./authenticator.js";
export { clientNodeAuthenticator } from "./client-node-auth.js";
export { connectKube, kubeClientOf } from "./connect.js";
export type { Connected, KubeSource } from "./connect.js";
export { ExecCredentialSource, parseExecCredential } from "./exec-credential.js";
export { LineSplitter, LineTooLongError } from "./json-lines.js";
export {
  DEFAULT_KUBE_API_BURST,
  DEFAULT_KUBE_API_QPS,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_MAX_SOCKETS,
  DEFAULT_MAX_WATCH_LINE_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  KubeClient,
  readListPage,
} from "./kube-client.js";
export type { KubeClientObserver, KubeClientOptions, KubeVerb, ListPage, PatchType, Query, RequestOptions, WatchEnd, WatchEvent, WatchHandle, WatchOptions } from "./kube-client.js";
export { inClusterAccess, KubeconfigError, kubeconfigAccess, loadClusterAccess, SERVICE_ACCOUNT_DIR } from "./kubeconfig.js";
export type { ClusterAccess, Credentials, ExecClusterInfo, ExecConfig, Impersonation, LoadOptions, PemSource } from "./kubeconfig.js";
export { OidcTokenSource } from "./oidc-token.js";
export { openTunnel, proxyFor, useProxy } from "./proxy.js";
export { RequestRateLimiter } from "./rate-limiter.js";
export { MAX_RETRIES, retryAfterMs, retryOnError, retryOnStatus } from "./retry-policy.js";
