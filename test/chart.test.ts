// The Helm chart as a user installs it: `helm lint --strict`, `helm template` for every certificate mode
// and option, each rendered object validated against its Kubernetes / cert-manager / Prometheus Operator
// schema, and the promises the chart README makes (security context, least-privilege RBAC, the webhook
// configuration's scope) checked on the rendered objects.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile, copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { V1Deployment, V1PolicyRule, V1Service, V1ValidatingWebhookConfiguration } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { repoRoot } from "./helpers/cli.js";
import { systemTool, toolPath } from "./helpers/tools.js";

const run = promisify(execFile);
const chart = join(repoRoot, "charts/releasegate");

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

async function helm(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(await toolPath("helm"), args, { cwd: repoRoot, maxBuffer: 32 * 1024 * 1024 });
}

async function render(...sets: string[]): Promise<K8sObject[]> {
  const { stdout } = await helm("template", "rg", chart, "--namespace", "releasegate", ...sets.flatMap((s) => ["--set", s]));
  return parseAllDocuments(stdout)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

function find(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found === undefined) throw new Error(`no ${kind} ${name ?? ""} rendered`);
  return found;
}

/** Loads the kubernetes-models class for an object's apiVersion/kind (core, cert-manager, Prometheus Operator). */
async function modelFor(object: K8sObject): Promise<new (data: unknown) => { validate(): void }> {
  const [group, version] = object.apiVersion.includes("/") ? object.apiVersion.split("/") : ["", object.apiVersion];
  const path =
    group === "cert-manager.io"
      ? `@kubernetes-models/cert-manager/${group}/${version}/${object.kind}`
      : group === "monitoring.coreos.com"
        ? `@kubernetes-models/prometheus-operator/${group}/${version}/${object.kind}`
        : `kubernetes-models/${group === "" ? "" : `${group}/`}${version}/${object.kind}`;
  const module = (await import(path)) as Record<string, new (data: unknown) => { validate(): void }>;
  const model = module[object.kind];
  if (model === undefined) throw new Error(`no schema model for ${object.apiVersion} ${object.kind}`);
  return model;
}

async function validateAll(objects: K8sObject[]): Promise<void> {
  for (const object of objects) {
    const Model = await modelFor(object);
    expect(() => new Model(object).validate(), `${object.kind} ${object.metadata.name}`).not.toThrow();
  }
}

const variants: Record<string, string[]> = {
  defaults: [],
  "cert-manager": ["certificates.mode=cert-manager"],
  "cert-manager with an issuer": ["certificates.mode=cert-manager", "certificates.certManager.issuerRef.name=corp-ca", "certificates.certManager.issuerRef.kind=ClusterIssuer"],
  "existing secret": ["certificates.mode=secret", "certificates.secretName=my-tls"],
  "existing secret with caBundle": ["certificates.mode=secret", "certificates.secret.caBundle=LS0tLS1CRUdJTg=="],
  "everything on": [
    "serviceMonitor.enabled=true",
    "prometheusRule.enabled=true",
    "networkPolicy.enabled=true",
    "priorityClassName=system-cluster-critical",
    "policy.exemptNamespaces={sandbox,legacy}",
    "failurePolicy=Ignore",
  ],
  "everything off": ["grafanaDashboard.enabled=false", "podDisruptionBudget.enabled=false", "replicaCount=1", "webhook.matchConditions=false"],
};

describe("helm chart", () => {
  for (const [name, sets] of Object.entries(variants)) {
    it(`lints strictly and renders schema-valid objects: ${name}`, async () => {
      await helm("lint", "--strict", chart, ...sets.flatMap((s) => ["--set", s]));
      await validateAll(await render(...sets));
    });
  }

  it("rejects values the schema does not allow, naming the value", async () => {
    await expect(render("policy.missingDependencies=maybe")).rejects.toThrow(/missingDependencies/);
    await expect(render("certificates.mode=vault")).rejects.toThrow(/certificates\/mode/);
    await expect(render("replicaCount=0")).rejects.toThrow(/replicaCount/);
    await expect(render("typoValue=1")).rejects.toThrow(/typoValue/);
  });

  it("runs the pods hardened, spread, probed and with two replicas by default", async () => {
    const objects = await render();
    const deployment = find(objects, "Deployment") as unknown as V1Deployment;
    expect(deployment.spec?.replicas).toBe(2);
    const pod = deployment.spec!.template.spec!;
    const container = pod.containers[0]!;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(container.livenessProbe?.httpGet).toMatchObject({ path: "/healthz", scheme: "HTTPS" });
    expect(container.readinessProbe?.httpGet).toMatchObject({ path: "/readyz", scheme: "HTTPS" });
    expect(pod.affinity?.podAntiAffinity).toBeDefined();
    expect(pod.topologySpreadConstraints?.length).toBeGreaterThan(0);
    expect(container.args?.[0]).toBe("serve");
    expect(find(objects, "PodDisruptionBudget")).toBeDefined();
    const service = find(objects, "Service") as unknown as V1Service;
    expect(service.spec?.ports).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: "webhook", port: 443 }), expect.objectContaining({ name: "metrics", port: 8080 })]),
    );
  });

  it("sends the webhook only main-resource writes of every served Flux version, never /status, never its own namespace", async () => {
    const objects = await render();
    const config = find(objects, "ValidatingWebhookConfiguration") as unknown as V1ValidatingWebhookConfiguration;
    expect(config.webhooks).toHaveLength(1);
    const webhook = config.webhooks![0]!;
    expect(webhook).toMatchObject({ sideEffects: "None", matchPolicy: "Equivalent", timeoutSeconds: 5, failurePolicy: "Fail", admissionReviewVersions: ["v1"] });
    expect(webhook.clientConfig.caBundle).toBeUndefined();
    expect(webhook.rules).toEqual([
      { apiGroups: ["helm.toolkit.fluxcd.io"], apiVersions: ["*"], resources: ["helmreleases"], operations: ["CREATE", "UPDATE", "DELETE"], scope: "Namespaced" },
      { apiGroups: ["kustomize.toolkit.fluxcd.io"], apiVersions: ["*"], resources: ["kustomizations"], operations: ["CREATE", "UPDATE", "DELETE"], scope: "Namespaced" },
    ]);
    expect(webhook.namespaceSelector?.matchExpressions?.[0]).toEqual({ key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-system", "releasegate"] });
    expect(webhook.matchConditions?.map((c) => c.name)).toEqual(["dependson-changed-on-update", "not-being-deleted", "not-namespace-controller-delete"]);
  });

  it("lets cert-manager inject the caBundle, and takes one from values in secret mode", async () => {
    const certManager = await render("certificates.mode=cert-manager");
    const config = find(certManager, "ValidatingWebhookConfiguration");
    expect(config.metadata.annotations?.["cert-manager.io/inject-ca-from"]).toBe("releasegate/rg-releasegate");
    const certificate = find(certManager, "Certificate", "rg-releasegate") as unknown as { spec: { dnsNames: string[] } };
    expect(certificate.spec.dnsNames).toContain("rg-releasegate.releasegate.svc");
    const secret = await render("certificates.mode=secret", "certificates.secret.caBundle=LS0tLS1CRUdJTg==");
    const webhook = (find(secret, "ValidatingWebhookConfiguration") as unknown as V1ValidatingWebhookConfiguration).webhooks?.[0];
    expect(webhook?.clientConfig.caBundle).toBe("LS0tLS1CRUdJTg==");
  });

  it("grants least privilege: no wildcards, the webhook configuration and Lease by name only", async () => {
    const objects = await render();
    const rules: V1PolicyRule[] = [find(objects, "ClusterRole"), find(objects, "Role")].flatMap((role) => (role as unknown as { rules: V1PolicyRule[] }).rules);
    for (const rule of rules) {
      expect(rule.verbs).not.toContain("*");
      expect(rule.resources).not.toContain("*");
      expect(rule.verbs).not.toContain("delete");
    }
    const covering = (resource: string) => rules.filter((r) => r.resources?.includes(resource) === true);
    expect(covering("validatingwebhookconfigurations")[0]?.resourceNames).toEqual(["rg-releasegate-releasegate"]);
    expect(covering("helmreleases")[0]?.verbs.sort()).toEqual(["get", "list", "patch", "watch"]);
    const secretRules = covering("secrets");
    expect(secretRules.filter((r) => r.verbs.some((v: string) => v !== "create")).every((r) => r.resourceNames?.length === 1)).toBe(true);
  });

  it("keeps the release's namespace label when the Prometheus Operator scrapes it", async () => {
    const monitor = find(await render("serviceMonitor.enabled=true"), "ServiceMonitor") as unknown as { spec: { endpoints: { honorLabels?: boolean }[] } };
    expect(monitor.spec.endpoints[0]?.honorLabels).toBe(true);
  });

  it("ships the Grafana dashboard with the sidecar label", async () => {
    const objects = await render();
    const configMap = find(objects, "ConfigMap", "rg-releasegate-dashboard") as K8sObject & { data: Record<string, string> };
    expect(configMap.metadata.labels?.grafana_dashboard).toBe("1");
    const dashboard = JSON.parse(configMap.data["releasegate.json"] ?? "") as { uid: string; panels: unknown[] };
    expect(dashboard.uid).toBe("releasegate");
    expect(dashboard.panels.length).toBeGreaterThan(8);
  });
});

describe("chart documentation", () => {
  it("describes every value of values.yaml in the chart README and the schema", async () => {
    const { parse } = await import("yaml");
    const values = parse(await readFile(join(chart, "values.yaml"), "utf8")) as Record<string, unknown>;
    const readme = await readFile(join(chart, "README.md"), "utf8");
    const leaves: string[] = [];
    const walk = (value: unknown, path: string) => {
      const isMap = value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length > 0;
      // Free-form maps (resources, labels, selectors) are documented as one value.
      if (isMap && !["resources", "objectSelector", "issuerRef", "labels", "podSecurityContext", "securityContext"].some((k) => path.endsWith(k))) {
        for (const [key, child] of Object.entries(value as Record<string, unknown>)) walk(child, path === "" ? key : `${path}.${key}`);
      } else leaves.push(path);
    };
    walk(values, "");
    expect(leaves.length).toBeGreaterThan(40);
    expect(leaves.filter((leaf) => !readme.includes(`| \`${leaf}\` |`))).toEqual([]);
  });
});

const promtool = systemTool("promtool");

describe.skipIf(!promtool.found)("alert rules (promtool)", () => {
  it("pass promtool check rules and promtool's unit tests for every alert", async () => {
    const dir = await mkdtemp(join(tmpdir(), "releasegate-rules-"));
    const rules = (await readFile(join(chart, "files/alerts.yaml"), "utf8")).replaceAll("__BLOCKED_FOR__", "15m");
    await writeFile(join(dir, "alerts.rendered.yaml"), rules);
    await copyFile(join(chart, "tests/alerts.test.yaml"), join(dir, "alerts.test.yaml"));
    const check = await run(promtool.path(), ["check", "rules", "alerts.rendered.yaml"], { cwd: dir });
    expect(check.stdout).toContain("SUCCESS: 7 rules found");
    const unit = await run(promtool.path(), ["test", "rules", "alerts.test.yaml"], { cwd: dir });
    expect(unit.stdout).toContain("SUCCESS");
    // Every alert has at least one unit test.
    const tested = new Set([...(await readFile(join(dir, "alerts.test.yaml"), "utf8")).matchAll(/alertname: (\w+)/g)].map((m) => m[1]));
    const defined = [...rules.matchAll(/alert: (\w+)/g)].map((m) => m[1]);
    expect(defined.filter((name) => !tested.has(name))).toEqual([]);
  });

  it("render into the PrometheusRule with the configured threshold", async () => {
    const objects = await render("prometheusRule.enabled=true", "prometheusRule.blockedFor=1h");
    const rule = find(objects, "PrometheusRule") as K8sObject & { spec: { groups: { rules: { alert: string; for?: string }[] }[] } };
    const blocked = rule.spec.groups[0]?.rules.find((r) => r.alert === "ReleasegateReleaseBlocked");
    expect(blocked?.for).toBe("1h");
  });
});
