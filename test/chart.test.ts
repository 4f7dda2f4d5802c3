// The Helm chart as a user installs it: `helm lint --strict`, `helm template` for every certificate mode
// and option, each rendered object validated against its Kubernetes / cert-manager / Prometheus Operator
// schema, and the promises the chart README makes (security context, least-privilege RBAC per certificate
// mode, the two webhooks' scope, a drain-friendly budget, the NetworkPolicy, the install NOTES) checked on
// the rendered objects; the alert rules with promtool.
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
  return renderIn("releasegate", ...sets);
}

async function renderIn(namespace: string, ...sets: string[]): Promise<K8sObject[]> {
  const { stdout } = await helm("template", "rg", chart, "--namespace", namespace, ...sets.flatMap((s) => ["--set", s]));
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

/** The rules of the rendered ClusterRole and Role together. */
function rulesOf(objects: K8sObject[]): V1PolicyRule[] {
  return [find(objects, "ClusterRole"), find(objects, "Role")].flatMap((role) => (role as unknown as { rules: V1PolicyRule[] }).rules);
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
    "networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.team=monitoring",
    "networkPolicy.apiServerCidrs={10.0.0.1/32}",
    "priorityClassName=system-cluster-critical",
    "policy.exemptNamespaces={sandbox,legacy}",
    "failurePolicy=Ignore",
  ],
  "external kinds": ["externalKinds.enabled=true", "externalKinds.maxKinds=3", "externalKinds.rules[0].apiGroups={example.io}", "externalKinds.rules[0].resources={widgets}", "externalKinds.secretNamespaces={team-a,team-b}", "externalKinds.maxNamespaces=4"],
  "everything off": ["grafanaDashboard.enabled=false", "podDisruptionBudget.enabled=false", "networkPolicy.enabled=false", "replicaCount=1", "webhook.matchConditions=false"],
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
    const service = find(objects, "Service") as unknown as V1Service;
    expect(service.spec?.ports).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: "webhook", port: 443 }), expect.objectContaining({ name: "metrics", port: 8080 })]),
    );
  });

  it("sends CREATE/UPDATE to a webhook under failurePolicy, DELETE to its own under Ignore; never /status, never its own namespace", async () => {
    const failClosed = find(await render(), "ValidatingWebhookConfiguration") as unknown as V1ValidatingWebhookConfiguration;
    const failOpen = find(await render("failurePolicy=Ignore"), "ValidatingWebhookConfiguration") as unknown as V1ValidatingWebhookConfiguration;
    expect(failClosed.webhooks?.map((w) => [w.name, w.failurePolicy])).toEqual([
      ["dependencies.releasegate.io", "Fail"],
      ["deletions.releasegate.io", "Ignore"],
    ]);
    expect(failOpen.webhooks?.map((w) => w.failurePolicy)).toEqual(["Ignore", "Ignore"]);
    const rules = (operations: string[]) => [
      { apiGroups: ["helm.toolkit.fluxcd.io"], apiVersions: ["*"], resources: ["helmreleases"], operations, scope: "Namespaced" },
      { apiGroups: ["kustomize.toolkit.fluxcd.io"], apiVersions: ["*"], resources: ["kustomizations"], operations, scope: "Namespaced" },
      { apiGroups: ["fluxcd.controlplane.io"], apiVersions: ["v1"], resources: ["resourcesets"], operations, scope: "Namespaced" },
    ];
    const [dependencies, deletions] = failClosed.webhooks ?? [];
    expect(dependencies?.rules).toEqual(rules(["CREATE", "UPDATE"]));
    expect(deletions?.rules).toEqual(rules(["DELETE"]));
    for (const webhook of failClosed.webhooks ?? []) {
      expect(webhook).toMatchObject({ sideEffects: "None", matchPolicy: "Equivalent", timeoutSeconds: 5, admissionReviewVersions: ["v1"] });
      expect(webhook.clientConfig).toEqual({ service: { name: "rg-releasegate", namespace: "releasegate", path: "/validate", port: 443 } });
      expect(webhook.namespaceSelector?.matchExpressions?.[0]).toEqual({ key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-system", "releasegate"] });
      expect(webhook.matchConditions?.map((c) => c.name)).toEqual(["dependson-changed-on-update", "not-being-deleted", "not-namespace-controller-delete"]);
    }
  });

  it("requires Kubernetes 1.30, where matchConditions are always available", async () => {
    await expect(helm("template", "rg", chart, "--kube-version", "1.29.9")).rejects.toThrow(/>=1\.30\.0-0/);
    const { stdout } = await helm("template", "rg", chart, "--kube-version", "1.30.0");
    const config = parseAllDocuments(stdout)
      .map((d) => d.toJS() as K8sObject | null)
      .find((o) => o?.kind === "ValidatingWebhookConfiguration") as unknown as V1ValidatingWebhookConfiguration;
    expect(config.webhooks?.map((w) => w.matchConditions?.length)).toEqual([3, 3]);
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
    const rules = rulesOf(objects);
    for (const rule of rules) {
      expect(rule.verbs).not.toContain("*");
      expect(rule.resources).not.toContain("*");
      expect(rule.verbs).not.toContain("delete");
    }
    const covering = (resource: string) => rules.filter((r) => r.resources?.includes(resource) === true);
    expect(covering("validatingwebhookconfigurations")[0]?.resourceNames).toEqual(["rg-releasegate-releasegate"]);
    for (const resource of ["helmreleases", "kustomizations", "resourcesets"]) expect(covering(resource)[0]?.verbs.sort()).toEqual(["get", "list", "patch", "watch"]);
    expect(covering("resourcesets")[0]?.apiGroups).toEqual(["fluxcd.controlplane.io"]);
    // The Flux CRDs' schema (cross-kind dependsOn, the Flux RFC) is read by name, whatever externalKinds says.
    for (const sets of [[], ["externalKinds.enabled=false"]]) {
      const named = rulesOf(await render(...sets)).filter((r) => r.resources?.includes("customresourcedefinitions") === true && r.resourceNames !== undefined);
      expect(named).toEqual([{ apiGroups: ["apiextensions.k8s.io"], resources: ["customresourcedefinitions"], resourceNames: ["helmreleases.helm.toolkit.fluxcd.io", "kustomizations.kustomize.toolkit.fluxcd.io"], verbs: ["get"] }]);
    }
    const secretRules = covering("secrets");
    expect(secretRules.filter((r) => r.verbs.some((v: string) => v !== "create")).every((r) => r.resourceNames?.length === 1)).toBe(true);
  });

  it("watches kinds outside Flux by default, read-only: CRDs, ConfigMaps, Namespaces, apps; Secrets only when a value allows", async () => {
    const readOnly = (rules: V1PolicyRule[], resource: string) =>
      rules
        .filter((r) => r.resources?.includes(resource) === true && r.resourceNames === undefined && r.verbs.every((v: string) => ["get", "list", "watch"].includes(v)))
        .map((r) => ({ apiGroups: r.apiGroups, verbs: [...r.verbs].sort() }));
    const defaults = rulesOf(await render());
    expect(readOnly(defaults, "customresourcedefinitions")).toEqual([{ apiGroups: ["apiextensions.k8s.io"], verbs: ["get", "list", "watch"] }]);
    expect(readOnly(defaults, "configmaps")).toEqual([{ apiGroups: [""], verbs: ["get", "list", "watch"] }]);
    expect(readOnly(defaults, "namespaces")).toEqual([{ apiGroups: [""], verbs: ["get", "list", "watch"] }]);
    expect(readOnly(defaults, "deployments")).toEqual([{ apiGroups: ["apps"], verbs: ["get", "list", "watch"] }]);
    // A cluster-wide Secret read is the user's decision: a value, off by default (self-managed certificates read one Secret by name).
    const clusterWideSecrets = (rules: V1PolicyRule[]) => rules.filter((r) => r.resources?.includes("secrets") === true && r.resourceNames === undefined && r.verbs.includes("list"));
    expect(clusterWideSecrets(defaults)).toEqual([]);
    expect(clusterWideSecrets(rulesOf(await render("externalKinds.secrets=true"))).map((r) => r.verbs)).toEqual([["get", "list", "watch"]]);
    // Off: no such rules, and the process is told so.
    const off = await render("externalKinds.enabled=false");
    expect(readOnly(rulesOf(off), "configmaps")).toEqual([]);
    const envOf = (objects: typeof off) => (find(objects, "Deployment") as unknown as { spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } }).spec.template.spec.containers[0]!.env;
    expect(envOf(off)).toEqual(expect.arrayContaining([{ name: "RELEASEGATE_EXTERNAL_KINDS", value: "false" }]));
    // --set on a list replaces it: the user's own kinds only.
    const objects = await render("externalKinds.maxKinds=3", "externalKinds.rules[0].apiGroups={example.io}", "externalKinds.rules[0].resources={widgets}", "fluxFeatureGates=AdditiveCELDependencyCheck=true");
    expect(readOnly(rulesOf(objects), "widgets")).toEqual([{ apiGroups: ["example.io"], verbs: ["get", "list", "watch"] }]);
    const args = (find(objects, "Deployment") as unknown as { spec: { template: { spec: { containers: { args: string[] }[] } } } }).spec.template.spec.containers[0]!.args;
    expect(args).toEqual(expect.arrayContaining(["--max-external-kinds=3", "--flux-feature-gates=AdditiveCELDependencyCheck=true"]));
  });

  it("reads Secrets only in the namespaces externalKinds.secretNamespaces lists, through a Role and RoleBinding in each", async () => {
    const objects = await render("externalKinds.secretNamespaces={team-a,team-b}", "externalKinds.maxNamespaces=4");
    const inTeams = objects.filter((o) => o.metadata.namespace?.startsWith("team-") === true);
    expect(inTeams.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual(
      expect.arrayContaining(["Role/team-a/rg-releasegate-releasegate-secrets", "Role/team-b/rg-releasegate-releasegate-secrets", "RoleBinding/team-a/rg-releasegate-releasegate-secrets", "RoleBinding/team-b/rg-releasegate-releasegate-secrets"]),
    );
    expect(inTeams).toHaveLength(4);
    for (const role of inTeams.filter((o) => o.kind === "Role")) expect((role as unknown as { rules: V1PolicyRule[] }).rules).toEqual([{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch"] }]);
    for (const binding of inTeams.filter((o) => o.kind === "RoleBinding")) {
      expect(binding).toMatchObject({ roleRef: { kind: "Role", name: "rg-releasegate-releasegate-secrets" }, subjects: [{ kind: "ServiceAccount", name: "rg-releasegate", namespace: "releasegate" }] });
    }
    // Never cluster-wide: the ClusterRole still has no Secret rule.
    const clusterRules = (find(objects, "ClusterRole") as unknown as { rules: V1PolicyRule[] }).rules;
    expect(clusterRules.filter((r) => r.resources?.includes("secrets") === true)).toEqual([]);
    const args = (find(objects, "Deployment") as unknown as { spec: { template: { spec: { containers: { args: string[] }[] } } } }).spec.template.spec.containers[0]!.args;
    expect(args).toContain("--max-external-namespaces=4");
    // Off, or with the watches off: no such Role.
    expect((await render()).filter((o) => o.kind === "Role").map((o) => o.metadata.namespace)).toEqual(["releasegate"]);
    expect((await render("externalKinds.enabled=false", "externalKinds.secretNamespaces={team-a}")).filter((o) => o.kind === "Role").map((o) => o.metadata.namespace)).toEqual(["releasegate"]);
    await expect(render("externalKinds.secretNamespaces={Team_A}")).rejects.toThrow(/secretNamespaces/);
  });

  it("reads Secrets and writes its webhook configuration only in the certificate modes that need it", async () => {
    const grants = async (...sets: string[]) => {
      const rules = rulesOf(await render(...sets));
      const verbs = (resource: string) => rules.filter((r) => r.resources?.includes(resource) === true).flatMap((r) => r.verbs).sort();
      return { secrets: verbs("secrets"), webhookConfiguration: verbs("validatingwebhookconfigurations") };
    };
    // self-managed: it writes the Secret and injects the caBundle.
    expect(await grants()).toEqual({ secrets: ["create", "get", "list", "update", "watch"], webhookConfiguration: ["get", "patch", "update"] });
    // cert-manager: the kubelet mounts the Secret and cainjector writes the caBundle.
    expect(await grants("certificates.mode=cert-manager")).toEqual({ secrets: [], webhookConfiguration: [] });
    // secret mode injects the mounted ca.crt, unless the caBundle is given in values.
    expect(await grants("certificates.mode=secret")).toEqual({ secrets: [], webhookConfiguration: ["get", "patch", "update"] });
    expect(await grants("certificates.mode=secret", "certificates.secret.caBundle=LS0tLS1CRUdJTg==")).toEqual({ secrets: [], webhookConfiguration: [] });
  });

  it("names its cluster-scoped objects after the namespace, so two installations never collide", async () => {
    const clusterScoped = (objects: K8sObject[]) =>
      objects.filter((o) => ["ClusterRole", "ClusterRoleBinding", "ValidatingWebhookConfiguration"].includes(o.kind)).map((o) => `${o.kind}/${o.metadata.name}`);
    const teamA = await renderIn("team-a");
    const teamB = clusterScoped(await renderIn("team-b"));
    expect(clusterScoped(teamA)).toEqual(["ClusterRole/rg-releasegate-team-a", "ClusterRoleBinding/rg-releasegate-team-a", "ValidatingWebhookConfiguration/rg-releasegate-team-a"]);
    expect(clusterScoped(teamA).filter((name) => teamB.includes(name))).toEqual([]);
    expect((find(teamA, "ClusterRoleBinding") as K8sObject & { roleRef: { name: string } }).roleRef.name).toBe("rg-releasegate-team-a");
  });

  it("keeps a PodDisruptionBudget that a drain can always satisfy, and none for a single replica", async () => {
    const budget = find(await render(), "PodDisruptionBudget") as K8sObject & { spec: Record<string, unknown> };
    expect(budget.spec).toMatchObject({ maxUnavailable: 1 });
    expect(budget.spec.minAvailable).toBeUndefined();
    expect((await render("replicaCount=1")).filter((o) => o.kind === "PodDisruptionBudget")).toEqual([]);
    expect(find(await render("replicaCount=3", "podDisruptionBudget.maxUnavailable=2"), "PodDisruptionBudget").spec).toMatchObject({ maxUnavailable: 2 });
    await expect(render("podDisruptionBudget.maxUnavailable=0")).rejects.toThrow(/maxUnavailable/);
  });

  it("confines the pods with a NetworkPolicy by default: webhook open, metrics only from metricsFrom, egress to the API server and DNS", async () => {
    type Port = { port: number; protocol: string };
    type Policy = K8sObject & { spec: { policyTypes: string[]; ingress: { from?: unknown[]; ports: Port[] }[]; egress: { to?: unknown[]; ports: Port[] }[] } };
    const policy = find(await render(), "NetworkPolicy") as Policy;
    expect(policy.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    // The API server's address is unknown: the webhook port is open to all; metrics to nobody until metricsFrom says who.
    expect(policy.spec.ingress).toEqual([{ ports: [{ port: 9443, protocol: "TCP" }] }]);
    expect(policy.spec.egress).toEqual([
      { ports: [{ port: 443, protocol: "TCP" }, { port: 6443, protocol: "TCP" }] },
      { ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }] },
      { to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "releasegate", "app.kubernetes.io/instance": "rg" } } }], ports: [{ port: 9443, protocol: "TCP" }] },
    ]);
    const scraped = find(await render("networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.team=monitoring", "networkPolicy.apiServerCidrs={10.0.0.1/32}"), "NetworkPolicy") as Policy;
    expect(scraped.spec.ingress[1]).toEqual({ from: [{ namespaceSelector: { matchLabels: { team: "monitoring" } } }], ports: [{ port: 8080, protocol: "TCP" }] });
    expect(scraped.spec.egress[0]?.to).toEqual([{ ipBlock: { cidr: "10.0.0.1/32" } }]);
    expect((await render("networkPolicy.enabled=false")).filter((o) => o.kind === "NetworkPolicy")).toEqual([]);
  });

  it("schedules the pods with the priority class given", async () => {
    const priority = async (...sets: string[]) => (find(await render(...sets), "Deployment") as unknown as V1Deployment).spec?.template.spec?.priorityClassName;
    expect(await priority("priorityClassName=system-cluster-critical")).toBe("system-cluster-critical");
    expect(await priority()).toBeUndefined();
  });

  it("warns at install into flux-system that objects in its own namespace are not checked", async () => {
    const notes = async (namespace: string, ...sets: string[]) =>
      (await helm("install", "rg", chart, "--dry-run=client", "--namespace", namespace, ...sets.flatMap((s) => ["--set", s]))).stdout.split("NOTES:\n")[1] ?? "";
    const flux = await notes("flux-system");
    expect(flux).toContain("WARNING: installed into flux-system. The webhook never checks objects in its own namespace");
    expect(flux).toContain("helm install rg <chart> --namespace releasegate --create-namespace");
    expect(flux).toContain("in every namespace except kube-system, flux-system.");
    const own = await notes("releasegate");
    expect(own).not.toContain("WARNING");
    expect(own).toContain("The NetworkPolicy closes the metrics port (8080) to every peer.");
    // With the ServiceMonitor on, the NetworkPolicy admits the Prometheus pods; the notes say how to narrow it.
    const monitored = await notes("releasegate", "serviceMonitor.enabled=true");
    expect(monitored).not.toContain("closes the metrics port");
    expect(monitored).toContain("lets the Prometheus Operator's Prometheus pods (networkPolicy.scrapers) scrape the metrics");
    expect(monitored).toContain("--set serviceMonitor.labels.release=<its Helm release name>");
    expect(await notes("releasegate", "networkPolicy.metricsFrom[0].podSelector.matchLabels.app=prometheus")).not.toContain("closes the metrics port");
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
      if (isMap && !["resources", "objectSelector", "issuerRef", "labels", "podSecurityContext", "securityContext", "Selector"].some((k) => path.endsWith(k))) {
        for (const [key, child] of Object.entries(value as Record<string, unknown>)) walk(child, path === "" ? key : `${path}.${key}`);
      } else leaves.push(path);
    };
    walk(values, "");
    expect(leaves.length).toBeGreaterThan(40);
    expect(leaves.filter((leaf) => !readme.includes(`| \`${leaf}\` |`))).toEqual([]);
    type Schema = { properties?: Record<string, Schema>; description?: string };
    const schema = JSON.parse(await readFile(join(chart, "values.schema.json"), "utf8")) as Schema;
    const inSchema = (leaf: string) => leaf.split(".").reduce<Schema | undefined>((node, key) => node?.properties?.[key], schema)?.description !== undefined;
    expect(leaves.filter((leaf) => !inSchema(leaf))).toEqual([]);
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
    expect(check.stdout).toContain("SUCCESS: 9 rules found");
    const unit = await run(promtool.path(), ["test", "rules", "alerts.test.yaml"], { cwd: dir });
    expect(unit.stdout).toContain("SUCCESS");
    // Every alert has at least one unit test.
    const tested = new Set([...(await readFile(join(dir, "alerts.test.yaml"), "utf8")).matchAll(/alertname: (\w+)/g)].map((m) => m[1]));
    const defined = [...rules.matchAll(/alert: (\w+)/g)].map((m) => m[1]);
    expect(defined.filter((name) => !tested.has(name))).toEqual([]);
  });
});

describe("the PrometheusRule", () => {
  it("render into the PrometheusRule with the configured threshold", async () => {
    const objects = await render("prometheusRule.enabled=true", "prometheusRule.blockedFor=1h");
    const rule = find(objects, "PrometheusRule") as K8sObject & { spec: { groups: { rules: { alert: string; for?: string }[] }[] } };
    const alert = (name: string) => rule.spec.groups[0]?.rules.find((r) => r.alert === name) as { for?: string; expr?: string } | undefined;
    expect(alert("ReleasegateReleaseBlocked")?.for).toBe("1h");
    // One alert per root cause, however many dependents it blocks.
    expect(alert("ReleasegateReleaseBlocked")?.expr).toMatch(/^count by \(root_cause, reason\)/);
    expect(alert("ReleasegateCertificateExpiresSoon")?.expr).toBe("min(releasegate_certificate_expiry_timestamp_seconds > 0) - time() < 14 * 86400");
  });
});
