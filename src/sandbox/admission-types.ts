// The types the sandbox API server and its validating admission chain share: the attributes of one write
// (as k8s.io/apiserver's admission.Attributes), the outcome, and the options of the chain (admission-chain.ts).

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface AdmissionAttributes {
  operation: "CREATE" | "UPDATE" | "DELETE";
  /** As requested by the client. */
  resource: GroupVersionResource;
  subResource?: string;
  kind: GroupVersionKind;
  /** The object's namespace; for a Namespace object kube-apiserver uses the namespace's own name (defaulted here). */
  namespace?: string;
  name: string;
  /** The new object (absent for DELETE). */
  object?: unknown;
  /** The stored object, for UPDATE and DELETE. */
  oldObject?: unknown;
  dryRun: boolean;
  /** CreateOptions / UpdateOptions / DeleteOptions as sent. */
  options?: unknown;
  userInfo: { username: string; uid?: string; groups: string[] };
  /** Labels of the object's namespace (for namespaceSelector); absent when the namespace does not exist. */
  namespaceLabels?: Record<string, string>;
  /** Other served versions of the same resource (matchPolicy Equivalent), in preference order. */
  equivalentResources?: Array<{ group: string; version: string; resource: string; kind: string }>;
}

export interface AdmissionStatus {
  code: number;
  reason: string;
  message: string;
  details?: unknown;
}

export type AdmissionOutcome =
  | { allowed: true; warnings: string[] }
  | { allowed: false; warnings: string[]; status: AdmissionStatus };

interface ServiceRef {
  namespace: string;
  name: string;
  port?: number;
  path?: string;
}

export interface AdmissionChainOptions {
  /**
   * Where a `clientConfig.service` webhook really listens: a base URL such as `https://127.0.0.1:9443`. Only
   * its host and port are used, to dial (as kube-apiserver's service resolver does); the request still
   * names `https://<name>.<namespace>.svc:<port><path>` and TLS verifies `<name>.<namespace>.svc`.
   */
  serviceResolver?: (ref: ServiceRef) => string | undefined;
  /**
   * Converts an object to another served version for matchPolicy Equivalent. Defaults to rewriting
   * `apiVersion` only, which is exact for versions with the same schema.
   */
  convertObject?: (object: unknown, to: GroupVersionKind) => unknown;
  /** Called when a webhook with failurePolicy Ignore fails and the request goes on ("failing open"). */
  onFailOpen?: (webhookName: string, error: string) => void;
}
