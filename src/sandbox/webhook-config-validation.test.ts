// ValidatingWebhookConfiguration validation as kube-apiserver does it: the configuration the chart renders
// passes, and each broken field is reported at its path with kube-apiserver's words.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { toolPath } from "../../test/helpers/tools.js";
import { validateWebhookConfiguration, webhookConfigurationDecodeError, type FieldError } from "./webhook-config-validation.js";

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

async function renderChart(...sets: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(await toolPath("helm"), ["template", "rg", "charts/releasegate", "--namespace", "releasegate", ...sets.flatMap((s) => ["--set", s])], {
    cwd: repoRoot,
  });
  const objects = parseAllDocuments(stdout).map((d) => d.toJS() as Record<string, unknown> | null);
  const config = objects.find((o) => o?.kind === "ValidatingWebhookConfiguration");
  if (!config) throw new Error("the chart rendered no ValidatingWebhookConfiguration");
  return config;
}

type Hook = Record<string, unknown>;

function hook(overrides: Hook = {}): Hook {
  return {
    name: "dependencies.releasegate.io",
    admissionReviewVersions: ["v1"],
    sideEffects: "None",
    clientConfig: { url: "https://releasegate.example.com:9443/validate" },
    rules: [{ operations: ["CREATE", "UPDATE"], apiGroups: ["helm.toolkit.fluxcd.io"], apiVersions: ["*"], resources: ["helmreleases"], scope: "Namespaced" }],
    ...overrides,
  };
}

function config(...webhooks: Hook[]): Record<string, unknown> {
  return { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingWebhookConfiguration", metadata: { name: "releasegate" }, webhooks };
}

/** `field: message`, as the Status message lists causes. */
function problems(...webhooks: Hook[]): string[] {
  return validateWebhookConfiguration(config(...webhooks)).map((e: FieldError) => `${e.field}: ${e.message}`);
}

describe("valid configurations", () => {
  it("accepts what the chart renders, in every certificate mode, matchConditions included", async () => {
    // Validation only decodes the bundle; the chain is what parses the certificates in it.
    const caBundle = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString("base64");
    const rendered = await Promise.all([
      renderChart(),
      renderChart("certificates.mode=cert-manager"),
      renderChart("certificates.mode=secret", `certificates.secret.caBundle=${caBundle}`, "failurePolicy=Ignore"),
    ]);
    for (const c of rendered) {
      const webhooks = c.webhooks as Hook[];
      expect(webhooks[0]?.matchConditions).toHaveLength(3);
      expect(validateWebhookConfiguration(c)).toEqual([]);
      expect(webhookConfigurationDecodeError(c)).toBeUndefined();
    }
  });

  it("accepts a URL webhook with every optional field set", () => {
    const full = hook({
      failurePolicy: "Ignore",
      matchPolicy: "Exact",
      timeoutSeconds: 30,
      sideEffects: "NoneOnDryRun",
      admissionReviewVersions: ["v1", "v1beta1"],
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "apps" }, matchExpressions: [{ key: "team", operator: "Exists" }] },
      objectSelector: { matchExpressions: [{ key: "releasegate.io/gate", operator: "NotIn", values: ["off"] }] },
      rules: [{ operations: ["*"], apiGroups: ["*"], apiVersions: ["*"], resources: ["*/*"], scope: "*" }],
      matchConditions: [{ name: "releasegate.io/not-dry-run", expression: "!request.dryRun" }],
    });
    expect(problems(full)).toEqual([]);
  });
});

describe("invalid webhooks", () => {
  it("requires a fully qualified, unique webhook name", () => {
    expect(problems(hook({ name: "x" }))).toEqual(['webhooks[0].name: Invalid value: "x": should be a domain with at least three segments separated by dots']);
    expect(problems(hook({ name: undefined }))).toEqual(["webhooks[0].name: Required value"]);
    expect(problems(hook({ name: "Deps.releasegate.io" }))).toEqual([
      `webhooks[0].name: Invalid value: "Deps.releasegate.io": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ]);
    expect(problems(hook(), hook())).toEqual(['webhooks[1].name: Duplicate value: "dependencies.releasegate.io"']);
  });

  it("requires sideEffects None or NoneOnDryRun and known admissionReviewVersions", () => {
    expect(problems(hook({ sideEffects: undefined }))).toEqual(["webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun"]);
    expect(problems(hook({ sideEffects: "Some" }))).toEqual(['webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"']);
    expect(problems(hook({ admissionReviewVersions: undefined }))).toEqual(["webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1"]);
    expect(problems(hook({ admissionReviewVersions: ["v2"] }))).toEqual(['webhooks[0].admissionReviewVersions: Invalid value: []string{"v2"}: must include at least one of v1, v1beta1']);
    expect(problems(hook({ admissionReviewVersions: ["v1", "v1"] }))).toEqual(['webhooks[0].admissionReviewVersions[1]: Invalid value: "v1": duplicate version']);
  });

  it("checks clientConfig: exactly one of url and service, https URLs, service path and port", () => {
    const both = { url: "https://a.example.com/", service: { name: "rg", namespace: "rg" } };
    expect(problems(hook({ clientConfig: both }))).toEqual(["webhooks[0].clientConfig: Required value: exactly one of url or service is required"]);
    expect(problems(hook({ clientConfig: {} }))).toEqual(["webhooks[0].clientConfig: Required value: exactly one of url or service is required"]);
    expect(problems(hook({ clientConfig: { url: "http://releasegate.example.com/validate" } }))).toEqual([
      `webhooks[0].clientConfig.url: Invalid value: "http": 'https' is the only allowed URL scheme; desired format: https://host[/path]`,
    ]);
    expect(problems(hook({ clientConfig: { url: "https://user@rg.example.com/validate?x=1#top" } }))).toEqual([
      'webhooks[0].clientConfig.url: Invalid value: "user": user information is not permitted in the URL',
      'webhooks[0].clientConfig.url: Invalid value: "top": fragments are not permitted in the URL',
      'webhooks[0].clientConfig.url: Invalid value: "x=1": query parameters are not permitted in the URL',
    ]);
    expect(problems(hook({ clientConfig: { url: "releasegate/validate" } }))).toEqual([
      `webhooks[0].clientConfig.url: Invalid value: "": 'https' is the only allowed URL scheme; desired format: https://host[/path]`,
      'webhooks[0].clientConfig.url: Invalid value: "": host must be provided; desired format: https://host[/path]',
    ]);
    expect(problems(hook({ clientConfig: { service: { path: "/a//B", port: 0 } } }))).toEqual([
      "webhooks[0].clientConfig.service.name: Required value: service name is required",
      "webhooks[0].clientConfig.service.namespace: Required value: service namespace is required",
      "webhooks[0].clientConfig.service.port: Invalid value: 0: port is not valid: must be between 1 and 65535, inclusive",
      'webhooks[0].clientConfig.service.path: Invalid value: "/a//B": segment[1] may not be empty',
      `webhooks[0].clientConfig.service.path: Invalid value: "/a//B": segment[2]: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ]);
  });

  it("bounds timeoutSeconds to 1..30 and checks the failurePolicy and matchPolicy enums", () => {
    expect(problems(hook({ timeoutSeconds: 31 }))).toEqual(["webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds"]);
    expect(problems(hook({ timeoutSeconds: 0 }))).toEqual(["webhooks[0].timeoutSeconds: Invalid value: 0: the timeout value must be between 1 and 30 seconds"]);
    expect(problems(hook({ failurePolicy: "Sometimes", matchPolicy: "Fuzzy" }))).toEqual([
      'webhooks[0].failurePolicy: Unsupported value: "Sometimes": supported values: "Fail", "Ignore"',
      'webhooks[0].matchPolicy: Unsupported value: "Fuzzy": supported values: "Equivalent", "Exact"',
    ]);
  });

  it("checks rules: operations, groups, versions, resources and scope", () => {
    const rule = (r: Hook): Hook => hook({ rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], ...r }] });
    expect(problems(rule({ operations: [] }))).toEqual(["webhooks[0].rules[0].operations: Required value"]);
    expect(problems(rule({ operations: ["*", "CREATE"] }))).toEqual([
      `webhooks[0].rules[0].operations: Invalid value: []admissionregistration.OperationType{"*", "CREATE"}: if '*' is present, must not specify other operations`,
    ]);
    expect(problems(rule({ operations: ["PATCH"] }))).toEqual([
      'webhooks[0].rules[0].operations[0]: Unsupported value: "PATCH": supported values: "*", "CONNECT", "CREATE", "DELETE", "UPDATE"',
    ]);
    expect(problems(rule({ apiGroups: undefined, apiVersions: ["*", "v1"] }))).toEqual([
      "webhooks[0].rules[0].apiGroups: Required value",
      `webhooks[0].rules[0].apiVersions: Invalid value: []string{"*", "v1"}: if '*' is present, must not specify other API versions`,
    ]);
    expect(problems(rule({ resources: ["*", "pods"] }))).toEqual([
      `webhooks[0].rules[0].resources: Invalid value: []string{"*", "pods"}: if '*' is present, must not specify other resources without subresources`,
    ]);
    expect(problems(rule({ resources: ["pods/*", "pods/status"] }))).toEqual([
      `webhooks[0].rules[0].resources[1]: Invalid value: "pods/status": if 'pods/*' is present, must not specify pods/status`,
    ]);
    expect(problems(rule({ scope: "Global" }))).toEqual(['webhooks[0].rules[0].scope: Unsupported value: "Global": supported values: "*", "Cluster", "Namespaced"']);
  });

  it("checks label selectors", () => {
    const selector = {
      matchLabels: { "bad key!": "ok" },
      matchExpressions: [
        { key: "a", operator: "Has" },
        { key: "b", operator: "In", values: [] },
        { key: "c", operator: "Exists", values: ["x"] },
        { key: "d", operator: "NotIn", values: ["not valid"] },
      ],
    };
    const qualifiedName =
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    expect(problems(hook({ namespaceSelector: selector }))).toEqual([
      `webhooks[0].namespaceSelector.matchLabels: Invalid value: "bad key!": ${qualifiedName}`,
      'webhooks[0].namespaceSelector.matchExpressions[0].operator: Invalid value: "Has": not a valid selector operator',
      "webhooks[0].namespaceSelector.matchExpressions[1].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      "webhooks[0].namespaceSelector.matchExpressions[2].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      `webhooks[0].namespaceSelector.matchExpressions[3].values[0]: Invalid value: "not valid": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
    ]);
  });

  it("checks matchConditions: at most 64, names required, qualified and unique, expressions that compile to bool", () => {
    const many = Array.from({ length: 65 }, (_, i) => ({ name: `c${i}`, expression: "true" }));
    expect(problems(hook({ matchConditions: many }))).toEqual(["webhooks[0].matchConditions: Too many: 65: must have at most 64 items"]);
    expect(
      problems(
        hook({
          matchConditions: [
            { name: "a", expression: "true" },
            { name: "a", expression: "  " },
            { expression: "object.spec.suspend" },
            { name: "b", expression: " request.uid == '' " },
          ],
        }),
      ),
    ).toEqual([
      "webhooks[0].matchConditions[1].expression: Required value",
      'webhooks[0].matchConditions[1].name: Duplicate value: "a"',
      'webhooks[0].matchConditions[2].expression: Invalid value: "object.spec.suspend": must evaluate to bool',
      "webhooks[0].matchConditions[2].name: Required value",
      `webhooks[0].matchConditions[3].expression: Invalid value: "request.uid == ''": compilation failed: ERROR: <input>:1:8: undefined field 'uid'\n | request.uid == ''\n | .......^`,
    ]);
  });

  it("reports reasons for Status causes", () => {
    expect(validateWebhookConfiguration(config(hook({ name: "x", sideEffects: undefined, failurePolicy: "No" })))).toEqual([
      { field: "webhooks[0].name", reason: "FieldValueInvalid", message: 'Invalid value: "x": should be a domain with at least three segments separated by dots' },
      { field: "webhooks[0].failurePolicy", reason: "FieldValueNotSupported", message: 'Unsupported value: "No": supported values: "Fail", "Ignore"' },
      { field: "webhooks[0].sideEffects", reason: "FieldValueRequired", message: "Required value: must specify one of None, NoneOnDryRun" },
    ]);
  });
});

describe("updates", () => {
  it("hold an update to the rules the stored object met", () => {
    const stored = config(hook({ sideEffects: "Some" }), hook({ sideEffects: "Some" }));
    const edited = config(hook({ sideEffects: "Some", timeoutSeconds: 5 }), hook({ sideEffects: "Unknown" }));
    // Stored before v1 required None/NoneOnDryRun and unique names: still editable, still unique-free.
    expect(validateWebhookConfiguration(edited, stored)).toEqual([]);
    expect(validateWebhookConfiguration(edited).map((e) => e.field)).toEqual(["webhooks[0].sideEffects", "webhooks[1].sideEffects", "webhooks[1].name"]);
  });

  it("compile matchConditions again only when they changed", () => {
    const broken = [{ name: "old", expression: "object.spec.suspend" }];
    const stored = config(hook({ matchConditions: broken }));
    expect(validateWebhookConfiguration(config(hook({ matchConditions: broken, timeoutSeconds: 3 })), stored)).toEqual([]);
    expect(validateWebhookConfiguration(config(hook({ matchConditions: [...broken, { name: "new", expression: "true" }] })), stored)).toHaveLength(1);
  });
});

describe("decoding", () => {
  const decode = (h: Hook) => webhookConfigurationDecodeError(config(h));
  const prefix = 'ValidatingWebhookConfiguration in version "v1" cannot be handled as a ValidatingWebhookConfiguration: ';

  it("refuses JSON types the v1 types cannot hold, with encoding/json's words", () => {
    expect(decode(hook({ timeoutSeconds: "10" }))).toBe(`${prefix}json: cannot unmarshal string into Go struct field ValidatingWebhook.webhooks.timeoutSeconds of type int32`);
    expect(decode(hook({ failurePolicy: 1 }))).toBe(`${prefix}json: cannot unmarshal number into Go struct field ValidatingWebhook.webhooks.failurePolicy of type v1.FailurePolicyType`);
    expect(decode(hook({ rules: { operations: ["CREATE"] } }))).toBe(
      `${prefix}json: cannot unmarshal object into Go struct field ValidatingWebhook.webhooks.rules of type []v1.RuleWithOperations`,
    );
    expect(decode(hook({ clientConfig: { service: { name: "rg", namespace: "rg", port: 1.5 } } }))).toBe(
      `${prefix}json: cannot unmarshal number 1.5 into Go struct field ServiceReference.webhooks.clientConfig.service.port of type int32`,
    );
    expect(decode(hook({ clientConfig: { url: "https://a.b.c/", caBundle: "not base64!" } }))).toBe(`${prefix}illegal base64 data at input byte 3`);
    expect(webhookConfigurationDecodeError({ webhooks: {} })).toBe(
      `${prefix}json: cannot unmarshal object into Go struct field ValidatingWebhookConfiguration.webhooks of type []v1.ValidatingWebhook`,
    );
    expect(decode(hook({ timeoutSeconds: null }))).toBeUndefined();
  });

  it("never throws on malformed input", () => {
    for (const bad of [null, "x", 1, [], { webhooks: "x" }, { webhooks: [null, 1, "x", []] }, config({ rules: [null], clientConfig: { service: "x" }, matchConditions: [1] })]) {
      expect(() => validateWebhookConfiguration(bad)).not.toThrow();
      expect(() => validateWebhookConfiguration(bad, bad)).not.toThrow();
      expect(() => webhookConfigurationDecodeError(bad)).not.toThrow();
    }
  });
});
