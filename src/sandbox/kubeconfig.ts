// A kubeconfig for the sandbox: one cluster (the sandbox URL and its CA), one user with a bearer token.
import { KubeConfig } from "@kubernetes/client-node";
import { stringify } from "yaml";

interface KubeconfigInput {
  url: string;
  caPem: string;
  token: string;
  name?: string;
}

function kubeconfigDocument(input: KubeconfigInput): Record<string, unknown> {
  const name = input.name ?? "releasegate-sandbox";
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster: { server: input.url, "certificate-authority-data": Buffer.from(input.caPem).toString("base64") } }],
    users: [{ name: `${name}-user`, user: { token: input.token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-user`, namespace: "default" } }],
    "current-context": name,
    preferences: {},
  };
}

export function kubeconfigYaml(input: KubeconfigInput): string {
  return stringify(kubeconfigDocument(input));
}

export function kubeConfigFor(input: KubeconfigInput): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigYaml(input));
  return kc;
}
