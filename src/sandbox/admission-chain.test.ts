// The validating admission chain against real local HTTPS webhooks: matching, the AdmissionReview sent,
// decisions, failures and their kube-apiserver wording.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import https from "node:https";
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { generateSandboxCa, generateSandboxServing } from "./tls-identity.js";
import {
  closeWebhookClients,
  runValidatingAdmission,
  warningHeaderValues,
  type AdmissionAttributes,
  type AdmissionOutcome,
} from "./admission-chain.js";

interface Received {
  path: string;
  url: string;
  headers: IncomingHttpHeaders;
  review: { apiVersion: string; kind: string; request: Record<string, unknown> & { uid: string } };
  startedAt: number;
  answeredAt?: number;
}

const ca = generateSandboxCa("admission-chain-test-ca");
const otherCa = generateSandboxCa("some-other-ca");
const serving = generateSandboxServing(ca, "hooks", ["localhost", "hooks.webhooks.svc"], ["127.0.0.1"]);
const caBundle = Buffer.from(ca.certPem).toString("base64");

let received: Received[] = [];
const hanging: ServerResponse[] = [];
let port = 0;
let server: https.Server;

function reply(res: ServerResponse, body: unknown, status = 200, contentType = "application/json"): void {
  res.writeHead(status, { "content-type": contentType });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

beforeAll(async () => {
  server = https.createServer({ key: serving.keyPem, cert: serving.certPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = req.url ?? "";
      const path = url.split("?")[0] ?? "";
      const review = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Received["review"];
      const entry: Received = { path, url, headers: req.headers, review, startedAt: Date.now() };
      received.push(entry);
      const uid = review.request.uid;
      const answer = (response: Record<string, unknown>, extra: Record<string, unknown> = {}): void => {
        entry.answeredAt = Date.now();
        reply(res, { apiVersion: review.apiVersion, kind: "AdmissionReview", ...extra, response: { uid, ...response } });
      };
      switch (path) {
        case "/allow":
          return answer({ allowed: true });
        case "/deny":
          return answer({ allowed: false, status: { code: 403, reason: "Forbidden", message: "default/backend depends on itself" } });
        case "/deny-invalid":
          return answer({ allowed: false, status: { code: 422, reason: "Invalid", message: "dependsOn[0].name is not a valid name" } });
        case "/deny-bare":
          return answer({ allowed: false });
        case "/warn":
          return answer({ allowed: true, warnings: ["default/redis is pending", "second warning"] });
        case "/warn-other":
          return answer({ allowed: true, warnings: ["default/redis is pending", "third warning"] });
        case "/deny-warn":
          return answer({ allowed: false, status: { code: 403, message: "no" }, warnings: ["kept even when denied"] });
        case "/slow":
          setTimeout(() => answer({ allowed: true }), 300);
          return;
        case "/hang":
          hanging.push(res);
          return;
        case "/garbage":
          return reply(res, "this is not json");
        case "/wrong-uid":
          return reply(res, { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: "not-the-uid", allowed: true } });
        case "/no-typemeta":
          return reply(res, { response: { uid, allowed: true } });
        case "/patch":
          return answer({ allowed: true, patchType: "JSONPatch", patch: "W10=" });
        case "/unavailable":
          return reply(res, "cache not synced", 503, "text/plain");
        default:
          return reply(res, "not found", 404, "text/plain");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  closeWebhookClients();
  for (const res of hanging) res.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

// --- builders ---------------------------------------------------------------------------------------

type WebhookSpec = Record<string, unknown>;

const helmReleaseRule = {
  operations: ["CREATE", "UPDATE", "DELETE"],
  apiGroups: ["helm.toolkit.fluxcd.io"],
  apiVersions: ["v2"],
  resources: ["helmreleases"],
  scope: "Namespaced",
};

function webhook(path: string, overrides: WebhookSpec = {}): WebhookSpec {
  return {
    name: `${path.slice(1)}.releasegate.test`,
    clientConfig: { url: `https://127.0.0.1:${port}${path}`, caBundle },
    rules: [helmReleaseRule],
    sideEffects: "None",
    admissionReviewVersions: ["v1"],
    ...overrides,
  };
}

function configuration(...webhooks: WebhookSpec[]): unknown {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name: "releasegate" },
    webhooks,
  };
}

function helmRelease(apiVersion = "helm.toolkit.fluxcd.io/v2", labels: Record<string, string> = {}): Record<string, unknown> {
  return {
    apiVersion,
    kind: "HelmRelease",
    metadata: { name: "backend", namespace: "default", labels },
    spec: { dependsOn: [{ name: "redis" }] },
  };
}

function attrs(overrides: Partial<AdmissionAttributes> = {}): AdmissionAttributes {
  return {
    operation: "CREATE",
    resource: { group: "helm.toolkit.fluxcd.io", version: "v2", resource: "helmreleases" },
    kind: { group: "helm.toolkit.fluxcd.io", version: "v2", kind: "HelmRelease" },
    namespace: "default",
    name: "backend",
    object: helmRelease(),
    dryRun: false,
    options: { kind: "CreateOptions", apiVersion: "meta.k8s.io/v1", fieldManager: "kubectl-client-side-apply" },
    userInfo: { username: "alice", uid: "u-1", groups: ["system:authenticated", "devs"] },
    namespaceLabels: { "kubernetes.io/metadata.name": "default" },
    ...overrides,
  };
}

async function run(webhooks: WebhookSpec[], a: AdmissionAttributes = attrs(), options = {}): Promise<{ outcome: AdmissionOutcome; calls: Received[] }> {
  received = [];
  const outcome = await runValidatingAdmission([configuration(...webhooks)], a, options);
  return { outcome, calls: received };
}

function statusOf(outcome: AdmissionOutcome) {
  if (outcome.allowed) throw new Error("expected a denial, got allowed");
  return outcome.status;
}

// --- tests ------------------------------------------------------------------------------------------

describe("the AdmissionReview sent", () => {
  it("is a v1 AdmissionReview describing the request, posted with ?timeout", async () => {
    const { outcome, calls } = await run([webhook("/allow")]);
    expect(outcome).toEqual({ allowed: true, warnings: [] });
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    expect(call.url).toBe("/allow?timeout=10s");
    expect(call.headers["content-type"]).toBe("application/json");
    expect(call.review.apiVersion).toBe("admission.k8s.io/v1");
    expect(call.review.kind).toBe("AdmissionReview");
    const { uid, ...request } = call.review.request;
    expect(uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(request).toEqual({
      kind: { group: "helm.toolkit.fluxcd.io", version: "v2", kind: "HelmRelease" },
      resource: { group: "helm.toolkit.fluxcd.io", version: "v2", resource: "helmreleases" },
      requestKind: { group: "helm.toolkit.fluxcd.io", version: "v2", kind: "HelmRelease" },
      requestResource: { group: "helm.toolkit.fluxcd.io", version: "v2", resource: "helmreleases" },
      name: "backend",
      namespace: "default",
      operation: "CREATE",
      userInfo: { username: "alice", uid: "u-1", groups: ["system:authenticated", "devs"] },
      object: helmRelease(),
      oldObject: null,
      dryRun: false,
      options: { kind: "CreateOptions", apiVersion: "meta.k8s.io/v1", fieldManager: "kubectl-client-side-apply" },
    });
  });

  it("sends oldObject on UPDATE and DELETE, and a null object on DELETE", async () => {
    const old = helmRelease();
    const update = await run([webhook("/allow")], attrs({ operation: "UPDATE", oldObject: old }));
    expect(update.calls[0]!.review.request.oldObject).toEqual(old);
    const del = await run([webhook("/allow")], attrs({ operation: "DELETE", object: undefined, oldObject: old, options: { kind: "DeleteOptions" } }));
    expect(del.calls[0]!.review.request.object).toBeNull();
    expect(del.calls[0]!.review.request.oldObject).toEqual(old);
    expect(del.calls[0]!.review.request.options).toEqual({ kind: "DeleteOptions" });
  });

  it("passes dryRun and the configured timeout", async () => {
    const { calls } = await run([webhook("/allow", { timeoutSeconds: 3 })], attrs({ dryRun: true }));
    expect(calls[0]!.review.request.dryRun).toBe(true);
    expect(calls[0]!.url).toBe("/allow?timeout=3s");
  });

  it("sends a v1beta1 review to a webhook that only accepts v1beta1", async () => {
    const { outcome, calls } = await run([webhook("/allow", { admissionReviewVersions: ["v1beta1"] })]);
    expect(outcome.allowed).toBe(true);
    expect(calls[0]!.review.apiVersion).toBe("admission.k8s.io/v1beta1");
  });
});

describe("decisions", () => {
  it("returns a denial with the webhook's code and the kube-apiserver message", async () => {
    const { outcome } = await run([webhook("/deny")]);
    expect(statusOf(outcome)).toEqual({
      code: 403,
      reason: "Forbidden",
      message: 'admission webhook "deny.releasegate.test" denied the request: default/backend depends on itself',
    });
  });

  it("keeps a custom status code and reason", async () => {
    const status = statusOf((await run([webhook("/deny-invalid")])).outcome);
    expect(status.code).toBe(422);
    expect(status.reason).toBe("Invalid");
    expect(status.message).toBe('admission webhook "deny-invalid.releasegate.test" denied the request: dependsOn[0].name is not a valid name');
  });

  it("turns a denial without a status into a 400 'without explanation'", async () => {
    const status = statusOf((await run([webhook("/deny-bare")])).outcome);
    expect(status).toEqual({ code: 400, reason: "", message: 'admission webhook "deny-bare.releasegate.test" denied the request without explanation' });
  });

  it("collects warnings from every webhook, without duplicates, also from a denying one", async () => {
    const allowed = await run([webhook("/warn"), webhook("/warn-other")]);
    expect(allowed.outcome.allowed).toBe(true);
    expect([...allowed.outcome.warnings].sort()).toEqual(["default/redis is pending", "second warning", "third warning"]);
    const denied = await run([webhook("/deny-warn")]);
    expect(denied.outcome.allowed).toBe(false);
    expect(denied.outcome.warnings).toEqual(["kept even when denied"]);
  });

  it("calls the webhooks in parallel", async () => {
    const { outcome, calls } = await run([webhook("/slow", { name: "slow-1.releasegate.test" }), webhook("/slow", { name: "slow-2.releasegate.test" })]);
    expect(outcome.allowed).toBe(true);
    expect(calls).toHaveLength(2);
    // The second request arrived before the first was answered.
    const [a, b] = calls as [Received, Received];
    expect(b.startedAt).toBeLessThanOrEqual(a.answeredAt!);
  });

  it("never calls webhooks for writes to webhook configurations", async () => {
    const { outcome, calls } = await run(
      [webhook("/deny", { rules: [{ operations: ["*"], apiGroups: ["*"], apiVersions: ["*"], resources: ["*"], scope: "*" }] })],
      attrs({
        resource: { group: "admissionregistration.k8s.io", version: "v1", resource: "validatingwebhookconfigurations" },
        kind: { group: "admissionregistration.k8s.io", version: "v1", kind: "ValidatingWebhookConfiguration" },
        namespace: undefined,
        name: "releasegate",
      }),
    );
    expect(outcome.allowed).toBe(true);
    expect(calls).toHaveLength(0);
  });
});

describe("failures", () => {
  const internal = (outcome: AdmissionOutcome) => {
    const status = statusOf(outcome);
    expect(status.code).toBe(500);
    expect(status.reason).toBe("InternalError");
    return status.message;
  };

  it("fails a hanging webhook after timeoutSeconds: 500 with Fail, allowed with Ignore", async () => {
    const failOpen: string[] = [];
    const [closed, open] = await Promise.all([
      runValidatingAdmission([configuration(webhook("/hang", { timeoutSeconds: 1 }))], attrs()),
      runValidatingAdmission([configuration(webhook("/hang", { name: "hang-ignored.releasegate.test", timeoutSeconds: 1, failurePolicy: "Ignore" }))], attrs(), {
        onFailOpen: (name: string) => failOpen.push(name),
      }),
    ]);
    expect(internal(closed)).toBe(
      `Internal error occurred: failed calling webhook "hang.releasegate.test": failed to call webhook: Post "https://127.0.0.1:${port}/hang?timeout=1s": context deadline exceeded`,
    );
    expect(open).toEqual({ allowed: true, warnings: [] });
    expect(failOpen).toEqual(["hang-ignored.releasegate.test"]);
  });

  it("rejects a certificate the caBundle does not vouch for", async () => {
    const wrongCa = Buffer.from(otherCa.certPem).toString("base64");
    const message = internal((await run([webhook("/allow", { clientConfig: { url: `https://127.0.0.1:${port}/allow`, caBundle: wrongCa } })])).outcome);
    expect(message).toBe(
      `Internal error occurred: failed calling webhook "allow.releasegate.test": failed to call webhook: Post "https://127.0.0.1:${port}/allow?timeout=10s": tls: failed to verify certificate: x509: certificate signed by unknown authority`,
    );
    // No caBundle: the system roots, which do not know the test CA either.
    const noBundle = internal((await run([webhook("/allow", { clientConfig: { url: `https://127.0.0.1:${port}/allow` } })])).outcome);
    expect(noBundle).toContain("x509: certificate signed by unknown authority");
  });

  it("reports a caBundle that holds no certificate", async () => {
    const junk = Buffer.from("not a certificate").toString("base64");
    const message = internal((await run([webhook("/allow", { clientConfig: { url: `https://127.0.0.1:${port}/allow`, caBundle: junk } })])).outcome);
    expect(message).toBe(
      'Internal error occurred: failed calling webhook "allow.releasegate.test": could not get REST client: unable to load root certificates: unable to parse bytes as PEM block',
    );
  });

  it("reports bad answers: not JSON, wrong uid, no apiVersion/kind, a patch, a 503", async () => {
    const prefix = (name: string) => `Internal error occurred: failed calling webhook "${name}.releasegate.test": `;
    expect(internal((await run([webhook("/garbage")])).outcome)).toMatch(
      new RegExp(`^${prefix("garbage")}failed to call webhook: couldn't get version/kind; json parse error: `),
    );
    expect(internal((await run([webhook("/wrong-uid")])).outcome)).toMatch(
      new RegExp(`^${prefix("wrong-uid")}received invalid webhook response: expected response.uid="[0-9a-f-]{36}", got "not-the-uid"$`),
    );
    expect(internal((await run([webhook("/no-typemeta")])).outcome)).toBe(
      `${prefix("no-typemeta")}received invalid webhook response: expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got /, Kind=`,
    );
    expect(internal((await run([webhook("/patch")])).outcome)).toBe(
      `${prefix("patch")}received invalid webhook response: validating webhook may not return response.patch`,
    );
    expect(internal((await run([webhook("/unavailable")])).outcome)).toBe(
      `${prefix("unavailable")}failed to call webhook: the server is currently unable to handle the request`,
    );
  });

  it("reports a refused connection, and ignores it with failurePolicy Ignore", async () => {
    const closed = https.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const cc = { url: `https://127.0.0.1:${deadPort}/validate`, caBundle };
    expect(internal((await run([webhook("/allow", { clientConfig: cc })])).outcome)).toBe(
      `Internal error occurred: failed calling webhook "allow.releasegate.test": failed to call webhook: Post "https://127.0.0.1:${deadPort}/validate?timeout=10s": dial tcp 127.0.0.1:${deadPort}: connect: connection refused`,
    );
    expect((await run([webhook("/allow", { clientConfig: cc, failurePolicy: "Ignore" })])).outcome.allowed).toBe(true);
  });
});

describe("sideEffects and dryRun", () => {
  it("calls None and NoneOnDryRun webhooks on dry runs", async () => {
    for (const sideEffects of ["None", "NoneOnDryRun"]) {
      const { outcome, calls } = await run([webhook("/allow", { sideEffects })], attrs({ dryRun: true }));
      expect(outcome.allowed).toBe(true);
      expect(calls).toHaveLength(1);
    }
  });

  it("rejects a dry run matched by a Some/Unknown webhook without calling it, whatever the failurePolicy", async () => {
    for (const sideEffects of ["Some", "Unknown"]) {
      const { outcome, calls } = await run([webhook("/allow", { sideEffects, failurePolicy: "Ignore" })], attrs({ dryRun: true }));
      expect(calls).toHaveLength(0);
      expect(statusOf(outcome)).toEqual({ code: 400, reason: "BadRequest", message: 'admission webhook "allow.releasegate.test" does not support dry run' });
    }
    // The same webhook is called for the real request.
    expect((await run([webhook("/allow", { sideEffects: "Some" })])).calls).toHaveLength(1);
  });
});

describe("rules", () => {
  const called = async (rule: Record<string, unknown>, a: Partial<AdmissionAttributes> = {}): Promise<boolean> =>
    (await run([webhook("/allow", { rules: [rule] })], attrs(a))).calls.length === 1;
  const rule = (r: Record<string, unknown>) => ({ ...helmReleaseRule, ...r });
  const statusUpdate: Partial<AdmissionAttributes> = { operation: "UPDATE", subResource: "status", oldObject: helmRelease() };

  it("matches group, version and resource, with wildcards", async () => {
    expect(await called(rule({}))).toBe(true);
    expect(await called(rule({ apiGroups: ["kustomize.toolkit.fluxcd.io"] }))).toBe(false);
    expect(await called(rule({ apiGroups: ["*"] }))).toBe(true);
    expect(await called(rule({ apiVersions: ["v2beta1"], resources: ["helmreleases"] }), {})).toBe(false);
    expect(await called(rule({ apiVersions: ["*"] }))).toBe(true);
    expect(await called(rule({ resources: ["kustomizations"] }))).toBe(false);
    expect(await called(rule({ resources: ["*"] }))).toBe(true);
  });

  it("excludes /status unless a rule names it", async () => {
    expect(await called(rule({}), statusUpdate)).toBe(false);
    expect(await called(rule({ resources: ["*"] }), statusUpdate)).toBe(false);
    expect(await called(rule({ resources: ["helmreleases/status"] }), statusUpdate)).toBe(true);
    expect(await called(rule({ resources: ["helmreleases/status"] }))).toBe(false);
    expect(await called(rule({ resources: ["*/status"] }), statusUpdate)).toBe(true);
    expect(await called(rule({ resources: ["helmreleases/*"] }), statusUpdate)).toBe(true);
    expect(await called(rule({ resources: ["*/*"] }), statusUpdate)).toBe(true);
    expect(await called(rule({ resources: ["*/*"] }))).toBe(true);
  });

  it("matches operations, '*' included", async () => {
    const update = { operation: "UPDATE" as const, oldObject: helmRelease() };
    expect(await called(rule({ operations: ["CREATE"] }), update)).toBe(false);
    expect(await called(rule({ operations: ["UPDATE"] }), update)).toBe(true);
    expect(await called(rule({ operations: ["*"] }), update)).toBe(true);
  });

  it("matches scope: Namespaced, Cluster (Namespace objects are cluster-scoped) and *", async () => {
    expect(await called(rule({ scope: "Cluster" }))).toBe(false);
    expect(await called(rule({ scope: "*" }))).toBe(true);
    const namespaceCreate: Partial<AdmissionAttributes> = {
      resource: { group: "", version: "v1", resource: "namespaces" },
      kind: { group: "", version: "v1", kind: "Namespace" },
      namespace: undefined,
      name: "apps",
      object: { apiVersion: "v1", kind: "Namespace", metadata: { name: "apps" } },
      namespaceLabels: undefined,
    };
    const nsRule = { operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["namespaces"] };
    expect(await called({ ...nsRule, scope: "Namespaced" }, namespaceCreate)).toBe(false);
    expect(await called({ ...nsRule, scope: "Cluster" }, namespaceCreate)).toBe(true);
    // kube-apiserver sends a Namespace's own name as the request namespace.
    expect((await run([webhook("/allow", { rules: [{ ...nsRule, scope: "*" }] })], attrs(namespaceCreate))).calls[0]!.review.request.namespace).toBe("apps");
  });
});

describe("matchPolicy", () => {
  const v2beta2: Partial<AdmissionAttributes> = {
    resource: { group: "helm.toolkit.fluxcd.io", version: "v2beta2", resource: "helmreleases" },
    kind: { group: "helm.toolkit.fluxcd.io", version: "v2beta2", kind: "HelmRelease" },
    object: helmRelease("helm.toolkit.fluxcd.io/v2beta2"),
    equivalentResources: [
      { group: "helm.toolkit.fluxcd.io", version: "v2", resource: "helmreleases", kind: "HelmRelease" },
      { group: "helm.toolkit.fluxcd.io", version: "v2beta2", resource: "helmreleases", kind: "HelmRelease" },
    ],
  };

  it("Equivalent (the default) sends a v2beta2 request converted to the v2 the rule names", async () => {
    const { outcome, calls } = await run([webhook("/allow")], attrs(v2beta2));
    expect(outcome.allowed).toBe(true);
    const request = calls[0]!.review.request;
    expect(request.kind).toEqual({ group: "helm.toolkit.fluxcd.io", version: "v2", kind: "HelmRelease" });
    expect(request.resource).toEqual({ group: "helm.toolkit.fluxcd.io", version: "v2", resource: "helmreleases" });
    expect(request.requestKind).toEqual({ group: "helm.toolkit.fluxcd.io", version: "v2beta2", kind: "HelmRelease" });
    expect(request.requestResource).toEqual({ group: "helm.toolkit.fluxcd.io", version: "v2beta2", resource: "helmreleases" });
    expect((request.object as { apiVersion: string }).apiVersion).toBe("helm.toolkit.fluxcd.io/v2");
  });

  it("uses the given converter for the objects", async () => {
    const convertObject = (o: unknown, to: { version: string }) => ({ ...(o as object), apiVersion: `helm.toolkit.fluxcd.io/${to.version}`, converted: true });
    const old = helmRelease("helm.toolkit.fluxcd.io/v2beta2");
    const { calls } = await run([webhook("/allow")], attrs({ ...v2beta2, operation: "UPDATE", oldObject: old }), { convertObject });
    expect(calls[0]!.review.request.object).toMatchObject({ apiVersion: "helm.toolkit.fluxcd.io/v2", converted: true });
    expect(calls[0]!.review.request.oldObject).toMatchObject({ apiVersion: "helm.toolkit.fluxcd.io/v2", converted: true });
  });

  it("Exact does not match another version", async () => {
    const { outcome, calls } = await run([webhook("/deny", { matchPolicy: "Exact" })], attrs(v2beta2));
    expect(outcome.allowed).toBe(true);
    expect(calls).toHaveLength(0);
  });
});

describe("selectors", () => {
  const notKubeSystem = { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-system"] }] };

  it("namespaceSelector NotIn kube-system skips objects in kube-system", async () => {
    const hook = webhook("/allow", { namespaceSelector: notKubeSystem });
    expect((await run([hook])).calls).toHaveLength(1);
    const inKubeSystem = attrs({ namespace: "kube-system", namespaceLabels: { "kubernetes.io/metadata.name": "kube-system" } });
    expect((await run([hook], inKubeSystem)).calls).toHaveLength(0);
  });

  it("namespaceSelector judges a Namespace by its own labels and ignores other cluster-scoped objects", async () => {
    const everything = [{ operations: ["*"], apiGroups: ["*"], apiVersions: ["*"], resources: ["*"], scope: "*" }];
    const hook = webhook("/allow", { namespaceSelector: notKubeSystem, rules: everything });
    const namespace = (name: string): Partial<AdmissionAttributes> => ({
      resource: { group: "", version: "v1", resource: "namespaces" },
      kind: { group: "", version: "v1", kind: "Namespace" },
      namespace: undefined,
      name,
      object: { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { "kubernetes.io/metadata.name": name } } },
      namespaceLabels: undefined,
    });
    expect((await run([hook], attrs(namespace("kube-system")))).calls).toHaveLength(0);
    expect((await run([hook], attrs(namespace("apps")))).calls).toHaveLength(1);
    const clusterRole: Partial<AdmissionAttributes> = {
      resource: { group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterroles" },
      kind: { group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRole" },
      namespace: undefined,
      name: "viewer",
      object: { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "viewer" } },
      namespaceLabels: undefined,
    };
    expect((await run([hook], attrs(clusterRole))).calls).toHaveLength(1);
  });

  it("answers 404 when the namespace of a matched object does not exist", async () => {
    const { outcome, calls } = await run([webhook("/allow", { namespaceSelector: notKubeSystem })], attrs({ namespace: "ghost", namespaceLabels: undefined }));
    expect(calls).toHaveLength(0);
    expect(statusOf(outcome)).toEqual({ code: 404, reason: "NotFound", message: 'namespaces "ghost" not found', details: { name: "ghost", kind: "namespaces" } });
  });

  it("objectSelector matches the object or the old object", async () => {
    const hook = webhook("/allow", { objectSelector: { matchLabels: { "releasegate.io/gate": "on" } } });
    const on = helmRelease("helm.toolkit.fluxcd.io/v2", { "releasegate.io/gate": "on" });
    expect((await run([hook])).calls).toHaveLength(0);
    expect((await run([hook], attrs({ object: on }))).calls).toHaveLength(1);
    // Removing the label is still seen: the old object matches.
    expect((await run([hook], attrs({ operation: "UPDATE", object: helmRelease(), oldObject: on }))).calls).toHaveLength(1);
    expect((await run([hook], attrs({ operation: "DELETE", object: undefined, oldObject: on }))).calls).toHaveLength(1);
  });

  it("fails the request with an internal error for an invalid selector on a matching webhook", async () => {
    const bad = { matchExpressions: [{ key: "x", operator: "In", values: [] }] };
    const status = statusOf((await run([webhook("/allow", { objectSelector: bad })])).outcome);
    expect(status.code).toBe(500);
    expect(status.message).toMatch(/^Internal error occurred: invalid label selector: .*values set can't be empty/);
  });
});

describe("matchConditions", () => {
  const onUpdate = (spec: Record<string, unknown>, oldSpec: Record<string, unknown>, metadata: Record<string, unknown> = {}): Partial<AdmissionAttributes> => {
    const base = helmRelease();
    const object = { ...base, metadata: { ...(base.metadata as Record<string, unknown>), ...metadata }, spec };
    return { operation: "UPDATE", object, oldObject: { ...base, spec: oldSpec } };
  };
  const chartConditions = [
    {
      name: "dependson-changed-on-update",
      expression:
        "request.operation != 'UPDATE' || (has(object.spec) && has(object.spec.dependsOn) ? object.spec.dependsOn : []) != (has(oldObject.spec) && has(oldObject.spec.dependsOn) ? oldObject.spec.dependsOn : [])",
    },
    { name: "not-being-deleted", expression: "request.operation != 'UPDATE' || !has(object.metadata.deletionTimestamp)" },
    {
      name: "not-namespace-controller-delete",
      expression: "request.operation != 'DELETE' || request.userInfo.username != 'system:serviceaccount:kube-system:namespace-controller'",
    },
  ];

  it("calls the webhook only when every condition is true", async () => {
    const hook = webhook("/deny", { matchConditions: chartConditions });
    expect(statusOf((await run([hook])).outcome).code).toBe(403);
    const changed = await run([hook], attrs(onUpdate({ dependsOn: [{ name: "redis" }, { name: "db" }] }, { dependsOn: [{ name: "redis" }] })));
    expect(changed.calls).toHaveLength(1);
    const unchanged = await run([hook], attrs(onUpdate({ dependsOn: [{ name: "redis" }], interval: "1m" }, { dependsOn: [{ name: "redis" }] })));
    expect(unchanged).toEqual({ outcome: { allowed: true, warnings: [] }, calls: [] });
    const deleting = await run([hook], attrs(onUpdate({}, { dependsOn: [{ name: "redis" }] }, { deletionTimestamp: "2026-01-01T00:00:00Z" })));
    expect(deleting.calls).toHaveLength(0);
    const del = (username: string) =>
      attrs({ operation: "DELETE", object: undefined, oldObject: helmRelease(), userInfo: { username, groups: ["system:serviceaccounts"] } });
    expect((await run([hook], del("system:serviceaccount:kube-system:namespace-controller"))).calls).toHaveLength(0);
    expect((await run([hook], del("alice"))).calls).toHaveLength(1);
  });

  it("sees the object in the version the webhook matched, and the request as sent", async () => {
    const v2beta2: Partial<AdmissionAttributes> = {
      resource: { group: "helm.toolkit.fluxcd.io", version: "v2beta2", resource: "helmreleases" },
      kind: { group: "helm.toolkit.fluxcd.io", version: "v2beta2", kind: "HelmRelease" },
      object: helmRelease("helm.toolkit.fluxcd.io/v2beta2"),
      equivalentResources: [{ group: "helm.toolkit.fluxcd.io", version: "v2", resource: "helmreleases", kind: "HelmRelease" }],
    };
    const expression = "object.apiVersion == 'helm.toolkit.fluxcd.io/v2' && request.kind.version == 'v2beta2' && request.namespace == 'default'";
    const { calls } = await run([webhook("/allow", { matchConditions: [{ name: "versions", expression }] })], attrs(v2beta2));
    expect(calls).toHaveLength(1);
  });

  it("refuses the request with 403 when a condition errs under failurePolicy Fail, without calling the webhook", async () => {
    const { outcome, calls } = await run([webhook("/allow", { matchConditions: [{ name: "broken", expression: "object.spec.suspend == true" }] })]);
    expect(calls).toHaveLength(0);
    expect(statusOf(outcome)).toEqual({
      code: 403,
      reason: "Forbidden",
      message: `helmreleases.helm.toolkit.fluxcd.io "backend" is forbidden: expression 'object.spec.suspend == true' resulted in error: no such key: suspend`,
      details: { name: "backend", group: "helm.toolkit.fluxcd.io", kind: "helmreleases" },
    });
  });

  it("skips the webhook when a condition errs under failurePolicy Ignore, without failing open", async () => {
    const failOpen: string[] = [];
    const hook = webhook("/deny", { failurePolicy: "Ignore", matchConditions: [{ name: "broken", expression: "object.spec.suspend == true" }] });
    const { outcome, calls } = await run([hook], attrs(), { onFailOpen: (name: string) => failOpen.push(name) });
    expect(outcome).toEqual({ allowed: true, warnings: [] });
    expect(calls).toHaveLength(0);
    expect(failOpen).toEqual([]);
  });

  it("refuses the request when a stored condition does not compile (failurePolicy Fail)", async () => {
    const status = statusOf((await run([webhook("/allow", { matchConditions: [{ name: "typo", expression: "reqest.operation == 'CREATE'" }] })])).outcome);
    expect(status.code).toBe(403);
    expect(status.message).toBe(
      `helmreleases.helm.toolkit.fluxcd.io "backend" is forbidden: compilation error: compilation failed: ERROR: <input>:1:1: undeclared reference to 'reqest' (in container '')\n | reqest.operation == 'CREATE'\n | ^`,
    );
  });

  it("is evaluated only after rules and selectors matched", async () => {
    const broken = { matchConditions: [{ name: "broken", expression: "object.spec.suspend == true" }] };
    const otherKind = webhook("/allow", { ...broken, rules: [{ ...helmReleaseRule, resources: ["kustomizations"] }] });
    const otherLabels = webhook("/allow", { ...broken, objectSelector: { matchLabels: { "releasegate.io/gate": "on" } } });
    expect((await run([otherKind, otherLabels])).outcome).toEqual({ allowed: true, warnings: [] });
  });
});

describe("service references", () => {
  const service = (name: string) => ({ service: { namespace: "webhooks", name, port: 443, path: "/allow" }, caBundle });
  const serviceResolver = () => `https://127.0.0.1:${port}`;

  it("dials the resolved address and verifies the service DNS name", async () => {
    const { outcome, calls } = await run([webhook("/allow", { clientConfig: service("hooks") })], attrs(), { serviceResolver });
    expect(outcome.allowed).toBe(true);
    expect(calls[0]!.headers.host).toBe("hooks.webhooks.svc:443");
    expect(calls[0]!.url).toBe("/allow?timeout=10s");
  });

  it("fails when the certificate is not valid for <name>.<namespace>.svc", async () => {
    const status = statusOf((await run([webhook("/allow", { clientConfig: service("other") })], attrs(), { serviceResolver })).outcome);
    expect(status.message).toBe(
      'Internal error occurred: failed calling webhook "allow.releasegate.test": failed to call webhook: Post "https://other.webhooks.svc:443/allow?timeout=10s": tls: failed to verify certificate: x509: certificate is valid for localhost, hooks.webhooks.svc, not other.webhooks.svc',
    );
  });

  it("fails when no address is known for the service", async () => {
    const status = statusOf((await run([webhook("/allow", { clientConfig: service("hooks") })])).outcome);
    expect(status.code).toBe(500);
    expect(status.message).toContain('Post "https://hooks.webhooks.svc:443/allow?timeout=10s": service "webhooks/hooks" is not resolvable');
  });
});

describe("warningHeaderValues", () => {
  it("quotes, deduplicates and drops warnings with control characters", () => {
    expect(warningHeaderValues(["plain", 'say "hi" \\ there', "plain", "", "bad\u0007bell"])).toEqual(['299 - "plain"', '299 - "say \\"hi\\" \\\\ there"']);
  });

  it("writes UTF-8 bytes as latin1 characters for Node", () => {
    const [value] = warningHeaderValues(["default/backend → default/redis"]);
    expect(Buffer.from(value!, "latin1").toString("utf8")).toBe('299 - "default/backend → default/redis"');
  });

  it("cuts every warning to 256 characters once the total passes 4096, then drops the rest", () => {
    const long = (c: string) => c.repeat(1000);
    const values = warningHeaderValues(["a", "b", "c", "d", "e"].map(long));
    expect(values.slice(0, 4)).toEqual(["a", "b", "c", "d"].map((c) => `299 - "${c.repeat(256)}"`));
    expect(values).toHaveLength(5);
    const many = warningHeaderValues(Array.from({ length: 30 }, (_, i) => `${i}`.padEnd(1000, "x")));
    expect(many).toHaveLength(16); // 16 × 256 = 4096 characters
  });
});
