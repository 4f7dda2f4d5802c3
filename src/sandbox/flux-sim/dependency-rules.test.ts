// The simulated Flux's dependency rules, as Flux documents them (see each rule file's header).
import { describe, expect, it } from "vitest";
import { checkEntry, dependsOnEntries, invalidReadyExpr } from "./helm-dependencies.js";
import { computeStatus } from "./kstatus.js";
import { checkKustomizationEntry } from "./kustomize-dependencies.js";
import { checkResourceSetDependency, invalidResourceSetExpr, resourceSetDependencies } from "./resourceset-dependencies.js";
import type { Json } from "./unstructured.js";

function flux(kind: string, name: string, opts: { generation?: number; observed?: number; ready?: string; spec?: Json; status?: Json; namespace?: string } = {}): Json {
  return {
    apiVersion: "x/v1",
    kind,
    metadata: { name, namespace: opts.namespace ?? "default", generation: opts.generation ?? 1 },
    spec: opts.spec ?? {},
    status: {
      observedGeneration: opts.observed ?? opts.generation ?? 1,
      ...(opts.ready ? { conditions: [{ type: "Ready", status: opts.ready, reason: "R", message: "m", observedGeneration: opts.observed ?? opts.generation ?? 1 }] } : {}),
      ...opts.status,
    },
  };
}

describe("helm-controller dependency rule", () => {
  const self = flux("HelmRelease", "backend", { spec: { dependsOn: [{ name: "redis" }] } });
  const [entry] = dependsOnEntries(self);

  it("resolves the namespace of an entry to the dependent's own", () => {
    expect(entry).toEqual({ name: "redis", namespace: "default", readyExpr: undefined });
  });

  it("waits on a missing dependency, one not Ready, and one Ready at an older generation", () => {
    expect(checkEntry(self, entry!, undefined, "helmreleases.helm.toolkit.fluxcd.io")).toEqual({
      kind: "wait",
      message: `unable to get 'default/redis' dependency: helmreleases.helm.toolkit.fluxcd.io "redis" not found`,
    });
    expect(checkEntry(self, entry!, flux("HelmRelease", "redis", { ready: "False" }), "hr")).toEqual({ kind: "wait", message: "dependency 'default/redis' is not ready" });
    expect(checkEntry(self, entry!, flux("HelmRelease", "redis", { ready: "True", generation: 2, observed: 1 }), "hr").kind).toBe("wait");
    expect(checkEntry(self, entry!, flux("HelmRelease", "redis", { ready: "True", generation: 2, observed: 2 }), "hr")).toEqual({ kind: "ok" });
  });

  it("lets readyExpr replace the built-in check, or add to it with AdditiveCELDependencyCheck", () => {
    const withExpr = flux("HelmRelease", "backend", { spec: { dependsOn: [{ name: "redis", readyExpr: "dep.metadata.name == 'redis' && self.metadata.name == 'backend'" }] } });
    const [e] = dependsOnEntries(withExpr);
    const notReady = flux("HelmRelease", "redis", { ready: "False" });
    expect(checkEntry(withExpr, e!, notReady, "hr")).toEqual({ kind: "ok" });
    expect(checkEntry(withExpr, e!, notReady, "hr", { additiveCel: true })).toEqual({ kind: "wait", message: "dependency 'default/redis' is not ready" });
    const falseExpr = dependsOnEntries(flux("HelmRelease", "b", { spec: { dependsOn: [{ name: "redis", readyExpr: "dep.status.observedGeneration == 7" }] } }))[0]!;
    expect(checkEntry(withExpr, falseExpr, notReady, "hr")).toEqual({ kind: "wait", message: "dependency 'default/redis' is not ready according to readyExpr eval" });
  });

  it("makes a readyExpr that does not compile terminal (InvalidCELExpression)", () => {
    const verdict = invalidReadyExpr(dependsOnEntries(flux("HelmRelease", "b", { spec: { dependsOn: [{ name: "redis", readyExpr: "dep.status.(" }] } })));
    expect(verdict).toMatchObject({ kind: "terminal", reason: "InvalidCELExpression" });
  });
});

describe("kustomize-controller source revision rule", () => {
  const git = (revision: string): Json => ({ kind: "GitRepository", metadata: { name: "flux-system", namespace: "flux-system" }, status: { artifact: { revision } } });
  const ks = (name: string, applied: string | undefined, source = "flux-system"): Json =>
    flux("Kustomization", name, { namespace: "flux-system", ready: "True", spec: { sourceRef: { kind: "GitRepository", name: source } }, status: applied ? { lastAppliedRevision: applied } : {} });
  const self = flux("Kustomization", "apps", { namespace: "flux-system", spec: { sourceRef: { kind: "GitRepository", name: "flux-system" }, dependsOn: [{ name: "infra" }] } });
  const [entry] = dependsOnEntries(self);

  it("holds a dependent until a same-source dependency has applied the source's current revision", () => {
    expect(checkKustomizationEntry(self, entry!, ks("infra", "main@sha1:old"), git("main@sha1:new"))).toEqual({
      kind: "wait",
      message: "dependency 'flux-system/infra' revision is not up to date",
    });
    expect(checkKustomizationEntry(self, entry!, ks("infra", "main@sha1:new"), git("main@sha1:new"))).toEqual({ kind: "ok" });
  });

  it("does not compare revisions across different sources", () => {
    expect(checkKustomizationEntry(self, entry!, ks("infra", "x@sha1:1", "other"), git("main@sha1:new"))).toEqual({ kind: "ok" });
  });
});

describe("Flux Operator ResourceSet dependency rule", () => {
  const deps = resourceSetDependencies({
    spec: {
      dependsOn: [
        { apiVersion: "v1", kind: "ConfigMap", name: "settings", namespace: "apps" },
        { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name: "redis", namespace: "apps", ready: true },
        { apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: "apps", ready: true, readyExpr: "status.availableReplicas >= 2" },
        { apiVersion: "fluxcd.controlplane.io/v1", kind: "ResourceSet", name: "infra", namespace: "apps", ready: true },
        { apiVersion: "v1", kind: "ConfigMap", name: "x", namespace: "apps", readyExpr: "this is not evaluated" },
      ],
    },
  });
  const [configMap, helm, deployment, rset, unevaluated] = deps;

  it("checks existence only without ready: true, even with a readyExpr", () => {
    expect(checkResourceSetDependency(configMap!, undefined)).toEqual({ kind: "wait", message: "dependency v1/ConfigMap/apps/settings not found" });
    expect(checkResourceSetDependency(configMap!, { data: {} })).toEqual({ kind: "ok" });
    expect(checkResourceSetDependency(unevaluated!, { data: {} })).toEqual({ kind: "ok" });
    expect(invalidResourceSetExpr([unevaluated!])).toBeUndefined();
  });

  it("uses kstatus for other kinds with ready: true", () => {
    expect(checkResourceSetDependency(helm!, flux("HelmRelease", "redis", { ready: "False" }))).toEqual({
      kind: "wait",
      message: "dependency helm.toolkit.fluxcd.io/v2/HelmRelease/apps/redis not ready: status InProgress",
    });
    expect(checkResourceSetDependency(helm!, flux("HelmRelease", "redis", { ready: "True" }))).toEqual({ kind: "ok" });
  });

  it("evaluates readyExpr over the dependency object itself", () => {
    expect(checkResourceSetDependency(deployment!, { status: { availableReplicas: 1 } })).toEqual({
      kind: "wait",
      message: "dependency apps/v1/Deployment/apps/web not ready: expression 'status.availableReplicas >= 2'",
    });
    expect(checkResourceSetDependency(deployment!, { status: { availableReplicas: 2 } })).toEqual({ kind: "ok" });
  });

  it("judges a ResourceSet dependency by its Ready condition at its current generation", () => {
    expect(checkResourceSetDependency(rset!, flux("ResourceSet", "infra", { ready: "True", generation: 3, observed: 2 })).kind).toBe("wait");
    expect(checkResourceSetDependency(rset!, flux("ResourceSet", "infra", { ready: "True" }))).toEqual({ kind: "ok" });
  });
});

describe("the Flux Operator's view of a dependency object", () => {
  const entry = (kind: string, namespace: string, readyExpr: string) => ({ apiVersion: "v1", kind, name: "x", namespace, ready: true, readyExpr });
  it("hides a Secret's data outside the ResourceSet's namespace, and the last-applied annotation always", () => {
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "x", namespace: "vault", annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" } }, data: { token: "eA==" } };
    expect(checkResourceSetDependency(entry("Secret", "vault", "has(data.token)"), secret, "vault")).toEqual({ kind: "ok" });
    // Hidden data is a missing variable: cel-go fails the has() ("no such attribute(s)"), it does not answer false.
    expect(checkResourceSetDependency(entry("Secret", "vault", "has(data.token)"), secret, "apps")).toEqual({
      kind: "wait",
      message: "failed to evaluate the CEL expression 'has(data.token)': no such attribute(s): data.token",
    });
    const annotated = entry("Secret", "vault", "has(metadata.annotations) && !('kubectl.kubernetes.io/last-applied-configuration' in metadata.annotations)");
    expect(checkResourceSetDependency(annotated, secret, "vault")).toEqual({ kind: "ok" });
  });
  it("waits on an expression that fails to evaluate, in pkg/runtime/cel's words", () => {
    const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", namespace: "gates" } };
    expect(checkResourceSetDependency(entry("ConfigMap", "gates", "data.gate == 'open'"), cm, "gates")).toMatchObject({ kind: "wait", message: expect.stringMatching(/^failed to evaluate the CEL expression 'data.gate == 'open'': /) });
  });
});

describe("kstatus of a CustomResourceDefinition (cli-utils CRDConditions)", () => {
  const crd = (conditions: object[]) => ({ apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: "x.example.io" }, status: { conditions } });
  it("is Current once Established, InProgress while installing, Failed when names are refused", () => {
    expect(computeStatus(crd([{ type: "NamesAccepted", status: "True" }, { type: "Established", status: "True" }]))).toBe("Current");
    expect(computeStatus(crd([]))).toBe("InProgress");
    expect(computeStatus(crd([{ type: "Established", status: "False", reason: "Installing" }]))).toBe("InProgress");
    expect(computeStatus(crd([{ type: "Established", status: "False", reason: "NotAccepted" }]))).toBe("Failed");
    expect(computeStatus(crd([{ type: "NamesAccepted", status: "False", reason: "NameConflict" }]))).toBe("Failed");
  });
});

describe("kstatus (generic)", () => {
  it("is InProgress before the latest generation is observed, Failed when Stalled, else Current", () => {
    expect(computeStatus({ metadata: { generation: 2 }, status: { observedGeneration: 1 } })).toBe("InProgress");
    expect(computeStatus({ status: { conditions: [{ type: "Stalled", status: "True" }] } })).toBe("Failed");
    expect(computeStatus({ status: { conditions: [{ type: "Reconciling", status: "True" }] } })).toBe("InProgress");
    expect(computeStatus({ data: {} })).toBe("Current");
  });
});
