// The sandbox's structural schemas of HelmRelease (helm.toolkit.fluxcd.io v2, v2beta2, v2beta1) and
// Kustomization (kustomize.toolkit.fluxcd.io v1, v1beta2): written here for the fields the sandbox and
// releasegate use (dependsOn, suspend, sourceRef, interval, the status Flux writes), everything else kept
// as sent. Field names, required fields, enums and defaults follow the Flux API reference; the real CRDs,
// with every field, are loaded with `releasegate sandbox --crds PATH` (src/sandbox/README.md).
import type { Schema } from "../schema-validation.js";
import { bool, duration, fluxStatus, list, open, resource, str } from "./structural.js";

const dependsOn = (): Schema => list(open({ name: str({ minLength: 1 }), namespace: str(), readyExpr: str() }, { required: ["name"] }));

const crossNamespaceRef = (kinds: string[]): Schema =>
  open({ apiVersion: str(), kind: str({ enum: kinds }), name: str({ minLength: 1 }), namespace: str() }, { required: ["kind", "name"] });

function helmReleaseSpec(version: string): Schema {
  const chartXorChartRef = { rule: "(has(self.chart) && !has(self.chartRef)) || (!has(self.chart) && has(self.chartRef))", message: "either chart or chartRef must be set" };
  return open(
    {
      interval: duration(),
      suspend: bool(),
      releaseName: str(),
      targetNamespace: str(),
      storageNamespace: str(),
      dependsOn: dependsOn(),
      chart: open(
        {
          spec: open(
            {
              chart: str({ minLength: 1 }),
              version: str({ default: "*" }),
              reconcileStrategy: str({ enum: ["ChartVersion", "Revision"], default: "ChartVersion" }),
              sourceRef: crossNamespaceRef(["HelmRepository", "GitRepository", "Bucket"]),
            },
            { required: ["chart", "sourceRef"] },
          ),
        },
        { required: ["spec"] },
      ),
      ...(version === "v2beta1" ? {} : { chartRef: crossNamespaceRef(["OCIRepository", "HelmChart"]) }),
      values: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
    },
    version === "v2beta1" ? { required: ["chart", "interval"] } : { required: ["interval"], "x-kubernetes-validations": [chartXorChartRef] },
  );
}

const helmReleaseStatus = (): Schema => fluxStatus({ lastAttemptedRevision: str(), lastAttemptedGeneration: { type: "integer" } });

export const HELM_RELEASE_SCHEMAS: Record<string, Schema> = Object.fromEntries(
  ["v2", "v2beta2", "v2beta1"].map((v) => [v, resource(helmReleaseSpec(v), helmReleaseStatus())]),
);

const kustomizationSpec = (): Schema =>
  open(
    {
      interval: duration(),
      retryInterval: duration(),
      suspend: bool(),
      path: str(),
      prune: bool(),
      targetNamespace: str(),
      dependsOn: dependsOn(),
      sourceRef: open(
        { apiVersion: str(), kind: str({ enum: ["OCIRepository", "GitRepository", "Bucket", "ExternalArtifact"] }), name: str(), namespace: str() },
        { required: ["kind", "name"] },
      ),
    },
    { required: ["interval", "prune", "sourceRef"] },
  );

const kustomizationStatus = (): Schema => fluxStatus({ lastAppliedRevision: str(), lastAttemptedRevision: str() });

export const KUSTOMIZATION_SCHEMAS: Record<string, Schema> = {
  v1: resource(kustomizationSpec(), kustomizationStatus()),
  v1beta2: resource(kustomizationSpec(), kustomizationStatus()),
};
