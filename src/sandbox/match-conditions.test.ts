// matchConditions as kube-apiserver evaluates them: the three conditions the releasegate chart ships (read
// from the chart template itself), compile errors in cel-go's words, and what errors do under each
// failurePolicy.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { celRequest, evaluateMatchConditions, matchConditionCompileError, type CelRequestInput, type MatchCondition, type MatchConditionInput } from "./match-conditions.js";

/** The matchConditions block of the chart's webhook configuration, exactly as the chart renders it. */
function chartConditions(): MatchCondition[] {
  const template = readFileSync(new URL("../../charts/releasegate/templates/validatingwebhookconfiguration.yaml", import.meta.url), "utf8");
  const lines = template.split("\n");
  const start = lines.findIndex((l) => l.trim() === "matchConditions:");
  const end = lines.findIndex((l, i) => i > start && l.trim().startsWith("{{"));
  if (start < 0 || end < 0) throw new Error("the chart template has no matchConditions block");
  return parseYaml(lines.slice(start, end).join("\n")).matchConditions as MatchCondition[];
}

const conditions = chartConditions();

type Operation = "CREATE" | "UPDATE" | "DELETE";

function request(operation: Operation, username = "alice", extra: Partial<CelRequestInput> = {}): Record<string, unknown> {
  return celRequest({
    kind: { group: "helm.toolkit.fluxcd.io", version: "v2", kind: "HelmRelease" },
    resource: { group: "helm.toolkit.fluxcd.io", version: "v2", resource: "helmreleases" },
    name: "backend",
    namespace: "default",
    operation,
    userInfo: { username, groups: ["system:authenticated"] },
    dryRun: false,
    ...extra,
  });
}

function helmRelease(spec: Record<string, unknown> | undefined, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  const o: Record<string, unknown> = { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", metadata: { name: "backend", namespace: "default", ...metadata } };
  if (spec) o.spec = spec;
  return o;
}

const redis = { name: "redis" };
const postgres = { name: "postgres", namespace: "databases" };

function chart(operation: Operation, object: unknown, oldObject: unknown, username = "alice") {
  return evaluateMatchConditions(conditions, { object, oldObject, request: request(operation, username) }, false);
}

describe("the chart's matchConditions", () => {
  it("are the three the chart documents", () => {
    expect(conditions.map((c) => c.name)).toEqual(["dependson-changed-on-update", "not-being-deleted", "not-namespace-controller-delete"]);
    for (const c of conditions) expect(matchConditionCompileError(c.expression)).toBeUndefined();
  });

  it("call the webhook on CREATE, where oldObject is null", () => {
    expect(chart("CREATE", helmRelease({ dependsOn: [redis] }), null)).toEqual({ matches: true });
    expect(chart("CREATE", helmRelease(undefined), null)).toEqual({ matches: true });
  });

  it("call the webhook on UPDATE when dependsOn changed: added, removed or reordered", () => {
    expect(chart("UPDATE", helmRelease({ dependsOn: [redis, postgres] }), helmRelease({ dependsOn: [redis] }))).toEqual({ matches: true });
    expect(chart("UPDATE", helmRelease({ interval: "5m" }), helmRelease({ dependsOn: [redis] }))).toEqual({ matches: true });
    expect(chart("UPDATE", helmRelease({ dependsOn: [redis] }), helmRelease(undefined))).toEqual({ matches: true });
    expect(chart("UPDATE", helmRelease({ dependsOn: [postgres, redis] }), helmRelease({ dependsOn: [redis, postgres] }))).toEqual({ matches: true });
    expect(chart("UPDATE", helmRelease({ dependsOn: [{ name: "redis", namespace: "cache" }] }), helmRelease({ dependsOn: [redis] }))).toEqual({ matches: true });
  });

  it("skip the webhook on UPDATE when dependsOn is unchanged or absent on both sides", () => {
    const skipped = { matches: false, failedCondition: "dependson-changed-on-update" };
    expect(chart("UPDATE", helmRelease({ dependsOn: [redis], interval: "1m" }), helmRelease({ dependsOn: [redis], interval: "5m" }))).toEqual(skipped);
    expect(chart("UPDATE", helmRelease({ interval: "1m" }), helmRelease({ interval: "5m" }))).toEqual(skipped);
    expect(chart("UPDATE", helmRelease(undefined, { labels: { a: "b" } }), helmRelease(undefined))).toEqual(skipped);
  });

  it("skip the webhook on UPDATE of an object being deleted, even when dependsOn changed", () => {
    const deleting = helmRelease({ dependsOn: [] }, { deletionTimestamp: "2026-01-01T00:00:00Z", finalizers: [] });
    expect(chart("UPDATE", deleting, helmRelease({ dependsOn: [redis] }))).toEqual({ matches: false, failedCondition: "not-being-deleted" });
  });

  it("skip DELETE by the namespace controller but not by anyone else", () => {
    const old = helmRelease({ dependsOn: [redis] });
    expect(chart("DELETE", null, old, "system:serviceaccount:kube-system:namespace-controller")).toEqual({
      matches: false,
      failedCondition: "not-namespace-controller-delete",
    });
    expect(chart("DELETE", null, old, "alice")).toEqual({ matches: true });
    expect(chart("DELETE", null, old, "system:serviceaccount:flux-system:kustomize-controller")).toEqual({ matches: true });
  });
});

describe("compilation", () => {
  it("reports syntax errors as cel-go does", () => {
    expect(matchConditionCompileError("request.operation == ")).toMatch(/^compilation failed: ERROR: <input>:1:\d+: Syntax error: .+\n \| request\.operation == \n \| \.*\^$/);
  });

  it("refuses undeclared references and fields the request type does not have", () => {
    expect(matchConditionCompileError("foo == 1")).toBe("compilation failed: ERROR: <input>:1:1: undeclared reference to 'foo' (in container '')\n | foo == 1\n | ^");
    expect(matchConditionCompileError("request.uid == ''")).toBe("compilation failed: ERROR: <input>:1:8: undefined field 'uid'\n | request.uid == ''\n | .......^");
    expect(matchConditionCompileError("object.spec.dependsOn.exists(d, d.name == 'redis')")).toBeUndefined();
    expect(matchConditionCompileError("object.spec.dependsOn.exists(d, d.name == 'redis') && d.name == ''")).toContain("undeclared reference to 'd'");
  });

  it("requires a bool result: a bare field of the object is dyn, a field of request is typed", () => {
    expect(matchConditionCompileError("object.spec.suspend")).toBe("must evaluate to bool");
    expect(matchConditionCompileError("size(object.spec.dependsOn)")).toBe("must evaluate to bool");
    expect(matchConditionCompileError("'UPDATE'")).toBe("must evaluate to bool");
    expect(matchConditionCompileError("request.dryRun")).toBeUndefined();
    expect(matchConditionCompileError("object.spec.suspend == true")).toBeUndefined();
    expect(matchConditionCompileError("has(object.spec) ? object.spec.suspend == true : false")).toBeUndefined();
  });

  it("accepts expressions using authorizer, which kube-apiserver declares", () => {
    expect(matchConditionCompileError("authorizer.group('').resource('pods').check('get').allowed()")).toBeUndefined();
  });
});

describe("evaluation", () => {
  const update: MatchConditionInput = { object: helmRelease({ dependsOn: [redis] }), oldObject: helmRelease({ dependsOn: [] }), request: request("UPDATE") };
  const run = (expressions: string[], ignore = false, input = update) =>
    evaluateMatchConditions(
      expressions.map((expression, i) => ({ name: `c${i}`, expression })),
      input,
      ignore,
    );

  it("gives CEL the AdmissionRequest fields kube-apiserver does", () => {
    const r = request("CREATE", "alice", { dryRun: true, options: { kind: "CreateOptions", apiVersion: "meta.k8s.io/v1" } });
    expect(r).toEqual({
      uid: "",
      kind: { group: "helm.toolkit.fluxcd.io", version: "v2", kind: "HelmRelease" },
      resource: { group: "helm.toolkit.fluxcd.io", version: "v2", resource: "helmreleases" },
      requestKind: { group: "helm.toolkit.fluxcd.io", version: "v2", kind: "HelmRelease" },
      requestResource: { group: "helm.toolkit.fluxcd.io", version: "v2", resource: "helmreleases" },
      name: "backend",
      namespace: "default",
      operation: "CREATE",
      userInfo: { username: "alice", groups: ["system:authenticated"] },
      object: null,
      oldObject: null,
      dryRun: true,
      options: { kind: "CreateOptions", apiVersion: "meta.k8s.io/v1" },
    });
    const all = [
      "request.userInfo.username == 'alice'",
      "'system:authenticated' in request.userInfo.groups",
      "request.kind.kind == 'HelmRelease' && request.resource.resource == 'helmreleases'",
      "request.namespace == 'default' && request.name == 'backend'",
      "request.dryRun",
      "request.options.kind == 'CreateOptions'",
      "!has(request.subResource)",
      "oldObject == null",
    ];
    expect(run(all, false, { object: helmRelease({}), oldObject: null, request: r })).toEqual({ matches: true });
  });

  it("reads whole JSON numbers as CEL int and others as double", () => {
    const input = { ...update, object: helmRelease({ maxHistory: 5, ratio: 0.5 }) };
    expect(run(["object.spec.maxHistory == 5", "object.spec.ratio == 0.5", "object.spec.maxHistory + 1 == 6"], false, input)).toEqual({ matches: true });
  });

  it("treats && and || as commutative over errors, as CEL specifies", () => {
    const create = { object: helmRelease({}), oldObject: null, request: request("CREATE") };
    expect(run(["request.operation != 'UPDATE' || oldObject.spec.missing == 1"], false, create)).toEqual({ matches: true });
    expect(run(["oldObject.spec.missing == 1 || request.operation == 'CREATE'"], false, create)).toEqual({ matches: true });
    expect(run(["object.spec.missing == 1 && false"], false, create)).toEqual({ matches: false, failedCondition: "c0" });
    expect(run(["object.spec.missing == 1 || false"], false, create)).toMatchObject({ error: expect.stringContaining("no such key: missing") });
  });

  it("skips on a false condition even when another one errs", () => {
    expect(run(["object.spec.missing == 1", "false"])).toEqual({ matches: false, failedCondition: "c1" });
  });

  it("returns the error under failurePolicy Fail, skips under Ignore", () => {
    expect(run(["object.spec.missing == 1"])).toEqual({
      matches: false,
      error: "expression 'object.spec.missing == 1' resulted in error: no such key: missing",
    });
    expect(run(["object.spec.missing == 1"], true)).toEqual({ matches: false });
  });

  it("aggregates several errors, compilation errors included", () => {
    expect(run(["object.spec.missing == 1", "nope", "true"])).toEqual({
      matches: false,
      error:
        "[expression 'object.spec.missing == 1' resulted in error: no such key: missing, compilation error: compilation failed: ERROR: <input>:1:1: undeclared reference to 'nope' (in container '')\n | nope\n | ^]",
    });
  });

  it("fails expressions using authorizer, which the sandbox does not provide", () => {
    const result = run(["authorizer.group('').resource('pods').check('get').allowed()"]);
    expect(result).toMatchObject({ matches: false, error: expect.stringContaining("the sandbox has no authorizer") });
  });
});
