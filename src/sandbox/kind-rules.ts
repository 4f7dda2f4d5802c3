// Per-kind defaulting and validation that kube-apiserver's registry strategies apply on create and
// update, for the kinds the sandbox serves: Namespaces (finalizer, phase, the
// kubernetes.io/metadata.name label), Secrets (stringData, base64 data), Services (type, cluster IP),
// ValidatingWebhookConfigurations (webhook defaults; the checks of admissionregistration/v1 are in
// webhook-config-validation.ts).
import type { FieldProblem } from "./object-meta.js";
import { labelsOf, meta, nameOf } from "./object-meta.js";
import type { JsonObject } from "./json.js";
import type { ResourceDef } from "./resource-def.js";
import { badRequest } from "./status.js";
import { validateWebhookConfiguration, webhookConfigurationDecodeError } from "./webhook-config-validation.js";

function obj(v: unknown): JsonObject | undefined {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as JsonObject) : undefined;
}

let nextClusterIp = 10;

/** Defaults applied to a new object (after name generation, before validation). */
export function defaultOnCreate(def: ResourceDef, o: JsonObject): void {
  switch (def.storage) {
    case "namespaces": {
      const spec = obj(o.spec) ?? {};
      if (!Array.isArray(spec.finalizers)) spec.finalizers = ["kubernetes"];
      o.spec = spec;
      o.status = { phase: "Active" };
      break;
    }
    case "secrets":
      if (!o.type) o.type = "Opaque";
      break;
    case "services": {
      const spec = obj(o.spec) ?? {};
      o.spec = spec;
      spec.type ??= "ClusterIP";
      spec.sessionAffinity ??= "None";
      if (spec.type !== "ExternalName" && spec.clusterIP === undefined) {
        // A made-up address from the default service CIDR (10.96.0.0/12); nothing routes to it.
        const n = nextClusterIp++;
        spec.clusterIP = `10.96.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
      }
      if (typeof spec.clusterIP === "string") spec.clusterIPs ??= [spec.clusterIP];
      if (Array.isArray(spec.ports)) {
        for (const port of spec.ports) {
          const p = obj(port);
          if (!p) continue;
          p.protocol ??= "TCP";
          p.targetPort ??= p.port;
        }
      }
      o.status ??= { loadBalancer: {} };
      break;
    }
    case "validatingwebhookconfigurations.admissionregistration.k8s.io":
      defaultWebhooks(o);
      break;
  }
}

/** Defaults and carried-over fields on update (`old` is the stored object). */
export function defaultOnUpdate(def: ResourceDef, o: JsonObject, old: JsonObject): void {
  switch (def.storage) {
    case "namespaces": {
      // spec.finalizers only changes through /finalize; status only through /status.
      const spec = obj(o.spec) ?? {};
      spec.finalizers = obj(old.spec)?.finalizers ?? [];
      o.spec = spec;
      break;
    }
    case "secrets":
      if (!o.type) o.type = old.type ?? "Opaque";
      break;
    case "services": {
      const spec = obj(o.spec) ?? {};
      const oldSpec = obj(old.spec) ?? {};
      o.spec = spec;
      spec.type ??= oldSpec.type ?? "ClusterIP";
      spec.clusterIP ??= oldSpec.clusterIP;
      spec.clusterIPs ??= oldSpec.clusterIPs;
      spec.sessionAffinity ??= "None";
      break;
    }
    case "validatingwebhookconfigurations.admissionregistration.k8s.io":
      defaultWebhooks(o);
      break;
  }
}

/** Last step on every write: fields the server always owns. */
export function finalizeObject(def: ResourceDef, o: JsonObject): void {
  if (def.storage === "namespaces") {
    // Kubernetes sets this immutable label on every namespace (NamespaceDefaultLabelName).
    meta(o).labels = { ...labelsOf(o), "kubernetes.io/metadata.name": nameOf(o) };
  }
  if (def.storage === "secrets" && o.stringData !== undefined) {
    // stringData is write-only: merged into data, base64-encoded, and never stored.
    const data = { ...(obj(o.data) ?? {}) };
    for (const [key, value] of Object.entries(obj(o.stringData) ?? {})) {
      data[key] = Buffer.from(String(value), "utf8").toString("base64");
    }
    o.data = data;
    delete o.stringData;
  }
}

/** Decoding errors the API server reports as 400 before validation (e.g. bad base64 in Secret data). */
export function decodeProblems(def: ResourceDef, o: JsonObject): void {
  if (def.storage === "validatingwebhookconfigurations.admissionregistration.k8s.io") {
    const problem = webhookConfigurationDecodeError(o);
    if (problem) throw badRequest(problem);
    return;
  }
  if (def.storage !== "secrets") return;
  for (const [key, value] of Object.entries(obj(o.data) ?? {})) {
    if (typeof value !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
      throw badRequest(`Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0 (data.${key})`);
    }
  }
}

/** Kind-specific validation problems (422); `old` is the stored object on update. */
export function kindProblems(def: ResourceDef, o: JsonObject, old?: JsonObject): FieldProblem[] {
  if (def.storage === "validatingwebhookconfigurations.admissionregistration.k8s.io") return validateWebhookConfiguration(o, old);
  return [];
}

function defaultWebhooks(o: JsonObject): void {
  if (!Array.isArray(o.webhooks)) return;
  for (const w of o.webhooks) {
    const hook = obj(w);
    if (!hook) continue;
    // Defaults of admissionregistration/v1 (SetDefaults_ValidatingWebhook, SetDefaults_Rule, SetDefaults_ServiceReference).
    hook.failurePolicy ??= "Fail";
    hook.matchPolicy ??= "Equivalent";
    hook.namespaceSelector ??= {};
    hook.objectSelector ??= {};
    hook.timeoutSeconds ??= 10;
    if (Array.isArray(hook.rules)) {
      for (const r of hook.rules) {
        const rule = obj(r);
        if (rule) rule.scope ??= "*";
      }
    }
    const service = obj(obj(hook.clientConfig)?.service);
    if (service) service.port ??= 443;
  }
}
