// The Secret that holds the self-managed certificate set, shared by every replica: type kubernetes.io/tls
// with the standard keys (tls.crt, tls.key, and ca.crt as cert-manager writes it) plus ca.key, the signing
// CA's key, so whichever replica renews can sign. Reads and writes go through optimistic concurrency: create
// fails with 409 AlreadyExists when another replica created it first, and an update carrying the
// resourceVersion it read fails with 409 Conflict when another replica wrote in between
// (https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions).
import type { V1Secret } from "@kubernetes/client-node";
import { kubeClientOf, type KubeSource } from "../kube/connect.js";
import type { KubeClient } from "../kube/kube-client.js";
import { statusCodeOf } from "../runtime/api-error.js";
import type { CertificateSet } from "./certificate-set.js";

export const SECRET_KEYS = { caBundle: "ca.crt", caKey: "ca.key", cert: "tls.crt", key: "tls.key" } as const;

/** A Secret as read: its certificate set (fields absent when the keys are) and the version to update from. */
export interface StoredSecret {
  set: Partial<CertificateSet>;
  resourceVersion: string | undefined;
  /** Kept on update: the type is immutable, and others' labels and annotations are not ours to drop. */
  type: string | undefined;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

type WriteResult = { status: "written"; resourceVersion: string | undefined } | { status: "lost-race" };

function decode(data: Record<string, string> | undefined, key: string): string | undefined {
  const value = data?.[key];
  return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8");
}

function secretToStored(secret: V1Secret): StoredSecret {
  const data = secret.data;
  const set: Partial<CertificateSet> = {};
  const caBundlePem = decode(data, SECRET_KEYS.caBundle);
  const caKeyPem = decode(data, SECRET_KEYS.caKey);
  const certPem = decode(data, SECRET_KEYS.cert);
  const keyPem = decode(data, SECRET_KEYS.key);
  if (caBundlePem !== undefined) set.caBundlePem = caBundlePem;
  if (caKeyPem !== undefined) set.caKeyPem = caKeyPem;
  if (certPem !== undefined) set.certPem = certPem;
  if (keyPem !== undefined) set.keyPem = keyPem;
  return {
    set,
    resourceVersion: secret.metadata?.resourceVersion,
    type: secret.type,
    labels: secret.metadata?.labels ?? {},
    annotations: secret.metadata?.annotations ?? {},
  };
}

function storedToSecret(name: string, namespace: string, set: CertificateSet, previous?: StoredSecret): V1Secret {
  const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");
  return {
    apiVersion: "v1",
    kind: "Secret",
    type: previous?.type ?? "kubernetes.io/tls",
    metadata: {
      name,
      namespace,
      labels: { ...previous?.labels, "app.kubernetes.io/managed-by": "releasegate", "app.kubernetes.io/component": "webhook-certificate" },
      ...(previous === undefined ? {} : { annotations: previous.annotations, resourceVersion: previous.resourceVersion }),
    },
    data: {
      [SECRET_KEYS.caBundle]: b64(set.caBundlePem),
      [SECRET_KEYS.caKey]: b64(set.caKeyPem),
      [SECRET_KEYS.cert]: b64(set.certPem),
      [SECRET_KEYS.key]: b64(set.keyPem),
    },
  };
}

/** Get, create-if-absent and compare-and-swap update of one named Secret. */
export class TlsSecretStore {
  private readonly api: KubeClient;

  constructor(
    kubeConfig: KubeSource,
    readonly namespace: string,
    readonly name: string,
  ) {
    this.api = kubeClientOf(kubeConfig);
  }

  private path(name?: string): string {
    return `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/secrets${name === undefined ? "" : `/${encodeURIComponent(name)}`}`;
  }

  /** The Secret, or undefined when it does not exist. */
  async read(): Promise<StoredSecret | undefined> {
    try {
      return secretToStored(await this.api.get<V1Secret>(this.path(this.name), { timeoutMs: 10_000 }));
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Creates the Secret; `lost-race` when another replica created it first. */
  async create(set: CertificateSet): Promise<WriteResult> {
    try {
      const created = await this.api.create<V1Secret>(this.path(), storedToSecret(this.name, this.namespace, set), { timeoutMs: 10_000 });
      return { status: "written", resourceVersion: created.metadata?.resourceVersion };
    } catch (error) {
      if (statusCodeOf(error) === 409) return { status: "lost-race" };
      throw error;
    }
  }

  /** Replaces the Secret if it is still as `previous` read it; `lost-race` when someone wrote in between. */
  async update(set: CertificateSet, previous: StoredSecret): Promise<WriteResult> {
    try {
      const updated = await this.api.replace<V1Secret>(this.path(this.name), storedToSecret(this.name, this.namespace, set, previous), { timeoutMs: 10_000 });
      return { status: "written", resourceVersion: updated.metadata?.resourceVersion };
    } catch (error) {
      // 409: changed since we read it. 404: deleted since we read it; the next pass creates it again.
      const status = statusCodeOf(error);
      if (status === 409 || status === 404) return { status: "lost-race" };
      throw error;
    }
  }
}
