// releasegate's readyExpr against the simulated Flux's, over the Go-typed objects helm-controller and
// kustomize-controller bind (src/graph/flux-typed-view.ts and src/sandbox/flux-sim/go-typed.ts, written apart
// from each other from the Go types): for every pair of a stored dependency and an expression, both must
// say ready, not ready, or the same evaluation error. The objects are the shapes the typed view changes:
// fields stored with their zero value, fields absent that Go fills, durations and times Go writes back its
// own way, `dep` without apiVersion and kind.
import { describe, expect, it } from "vitest";
import { decodeFluxObject } from "../src/flux/decode.js";
import { FieldDemand } from "../src/graph/field-demand.js";
import { compileReadyExpr } from "../src/graph/ready-expr.js";
import { nodeOf } from "../src/graph/refs.js";
import type { FluxKind } from "../src/graph/types.js";
import { checkEntry } from "../src/sandbox/flux-sim/helm-dependencies.js";

type Raw = Record<string, unknown>;

const API_VERSION: Record<"HelmRelease" | "Kustomization", string> = { HelmRelease: "helm.toolkit.fluxcd.io/v2", Kustomization: "kustomize.toolkit.fluxcd.io/v1" };

function object(kind: "HelmRelease" | "Kustomization", name: string, spec: Raw, status?: Raw): Raw {
  const required = kind === "HelmRelease" ? { interval: "5m", chart: { spec: { chart: name, sourceRef: { kind: "HelmRepository", name: "repo" } } } } : { interval: "5m", prune: true, sourceRef: { kind: "GitRepository", name: "repo" } };
  return {
    apiVersion: API_VERSION[kind],
    kind,
    metadata: { name, namespace: "apps", generation: 3, uid: `uid-${name}`, creationTimestamp: "2025-03-01T10:00:00Z" },
    spec: { ...required, ...spec },
    ...(status === undefined ? {} : { status }),
  };
}

const HELM_DEPS: Raw[] = [
  object("HelmRelease", "redis", {}),
  object("HelmRelease", "redis", { suspend: false, dependsOn: [], releaseName: "", values: { enabled: false, version: "1" } }, { observedGeneration: 0, failures: 0, lastAttemptedRevision: "" }),
  object("HelmRelease", "redis", { interval: "60m", timeout: "1500ms", suspend: true }, {
    observedGeneration: 3,
    conditions: [{ type: "Ready", status: "True", reason: "UpgradeSucceeded", lastTransitionTime: "2025-01-01T01:00:00.5+01:00", observedGeneration: 3 }],
    history: [{ name: "redis", namespace: "apps", chartName: "redis", chartVersion: "1.2.3", status: "deployed", version: 4 }],
  }),
];

const KUSTOMIZE_DEPS: Raw[] = [
  object("Kustomization", "infra", { prune: false }),
  object("Kustomization", "infra", { path: "", interval: "90s", timeout: "2h30m", dependsOn: [{ name: "base" }] }, { lastAppliedRevision: "main@sha1:abc", history: [{ digest: "sha256:x", lastReconciledStatus: "ReconciliationSucceeded" }] }),
];

const EXPRESSIONS = [
  "has(dep.status)",
  "has(dep.status.observedGeneration)",
  "dep.status.observedGeneration == dep.metadata.generation",
  "dep.spec.suspend == false",
  "!has(dep.spec.suspend) || dep.spec.suspend == false",
  "has(dep.spec.dependsOn)",
  "has(dep.kind) || has(dep.apiVersion)",
  "self.kind == 'HelmRelease' || self.kind == 'Kustomization'",
  "dep.spec.interval == '5m0s'",
  "self.spec.interval == dep.spec.interval",
  "dep.spec.timeout == '1.5s' || dep.spec.timeout == '2h30m0s'",
  "has(dep.spec.timeout)",
  "dep.metadata.creationTimestamp == '2025-03-01T10:00:00Z'",
  "dep.status.conditions.all(c, c.message == '' && c.lastTransitionTime == '2025-01-01T00:00:00Z')",
  "dep.status.history[0].digest == '' && dep.status.history[0].version == 4",
  "!has(dep.status.history[0].appVersion)",
  "has(dep.status.failures) || has(dep.status.lastAttemptedRevision)",
  "dep.spec.values.enabled == false && dep.spec.values.version == '1'",
  "dep.spec.prune == false",
  "has(dep.spec.sourceRef) && !has(dep.spec.path)",
  "dep.status.history[0].lastReconciledDuration == '0s' && dep.status.history[0].totalReconciliations == 0",
  "dep.status.lastAppliedRevision.startsWith('main@')",
];

/** releasegate: both objects decoded as the caches decode them, the dependency keeping what the expression reads. */
function releasegate(kind: FluxKind, self: Raw, dep: Raw, expr: string): string {
  const compiled = compileReadyExpr(expr);
  if (!compiled.ok) return `terminal: ${compiled.error}`;
  const demand = new FieldDemand();
  const selfObject = decodeFluxObject(kind, self);
  demand.update(nodeOf(selfObject), selfObject);
  const depObject = decodeFluxObject(kind, dep, { keepFor: (k, namespace, name) => demand.keepOf(`${k}/${namespace}/${name}`) });
  const result = compiled.evaluate(selfObject, depObject);
  return result.ready ? "ready" : `not ready: ${result.error ?? "false"}`;
}

/** The simulated controller's check of the same entry. */
function simulated(self: Raw, dep: Raw, expr: string): string {
  const name = (dep.metadata as Raw).name as string;
  const verdict = checkEntry(self, { name, namespace: "apps", readyExpr: expr }, dep, "resource");
  if (verdict.kind === "ok") return "ready";
  if (verdict.kind === "terminal") return `terminal: ${verdict.message}`;
  return verdict.message === `dependency 'apps/${name}' is not ready according to readyExpr eval` ? "not ready: false" : `not ready: ${verdict.message}`;
}

describe("readyExpr over the typed objects: releasegate and the simulated Flux agree", () => {
  for (const [kind, deps] of [["HelmRelease", HELM_DEPS], ["Kustomization", KUSTOMIZE_DEPS]] as const) {
    it(`on every ${kind} shape and expression`, () => {
      let ready = 0;
      let errors = 0;
      for (const [index, dep] of deps.entries()) {
        for (const expr of EXPRESSIONS) {
          const self = object(kind, "backend", { interval: "1h", dependsOn: [{ name: (dep.metadata as Raw).name, readyExpr: expr }] });
          const ours = releasegate(kind, self, dep, expr);
          expect(ours, `${kind} #${index}: ${expr}`).toBe(simulated(self, dep, expr));
          if (ours === "ready") ready++;
          else if (ours.includes("failed to evaluate")) errors++;
        }
      }
      // The battery reaches each outcome: some expressions hold, some fail on a key the typed object lacks.
      expect(ready).toBeGreaterThan(0);
      expect(errors).toBeGreaterThan(0);
    });
  }
});
