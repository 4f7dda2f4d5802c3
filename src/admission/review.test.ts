import { describe, expect, it } from "vitest";
import { parseAdmissionReview } from "./review.js";
import { admissionReview } from "./review-builder.test-support.js";

function parsed(body: unknown) {
  const result = parseAdmissionReview(body);
  if (!result.ok) throw new Error(result.error);
  return result.request;
}

function error(body: unknown): string {
  const result = parseAdmissionReview(body);
  if (result.ok) throw new Error("expected a parse error");
  return result.error;
}

function mutate(body: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  let at: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
  if (value === undefined) delete at[path[path.length - 1]!];
  else at[path[path.length - 1]!] = value;
  return copy;
}

describe("parseAdmissionReview", () => {
  it("reads a HelmRelease CREATE of every served version into a typed request", () => {
    for (const version of ["v2", "v2beta2", "v2beta1"]) {
      const body = admissionReview({ operation: "CREATE", uid: "u1", object: { name: "backend", version, dependsOn: [{ name: "redis" }] } });
      const request = parsed(body);
      expect(request).toMatchObject({ uid: "u1", kind: "HelmRelease", version, operation: "CREATE", namespace: "default", name: "backend", dryRun: false });
      expect(request.object?.dependsOn).toEqual([{ name: "redis" }]);
      expect(request.username).toBe("kubernetes-admin");
    }
  });

  it("reads Kustomizations of v1 and v1beta2", () => {
    for (const version of ["v1", "v1beta2"]) {
      const request = parsed(admissionReview({ operation: "CREATE", object: { kind: "Kustomization", version, name: "apps" } }));
      expect(request.kind).toBe("Kustomization");
      expect(request.version).toBe(version);
    }
  });

  it("takes the namespace from the request when the object omits it", () => {
    const body = admissionReview({ operation: "CREATE", object: { name: "backend", namespace: "team-a" } });
    const object = ((body.request as Record<string, unknown>).object as Record<string, Record<string, unknown>>).metadata!;
    delete object.namespace;
    expect(parsed(body).object?.namespace).toBe("team-a");
  });

  it("reads UPDATE old and new objects, deletion marks, dry-run and subresource", () => {
    const body = admissionReview({
      operation: "UPDATE",
      dryRun: true,
      subResource: "status",
      object: { name: "a", deletionTimestamp: "2026-01-01T00:00:00Z" },
      oldObject: { name: "a" },
    });
    const request = parsed(body);
    expect(request.dryRun).toBe(true);
    expect(request.subResource).toBe("status");
    expect(request.object?.deleting).toBe(true);
    expect(request.oldObject?.deleting).toBeUndefined();
  });

  it("reads a DELETE with and without oldObject", () => {
    const body = admissionReview({ operation: "DELETE", oldObject: { name: "redis" } });
    expect(parsed(body).oldObject?.name).toBe("redis");
    const bare = mutate(body, ["request", "oldObject"], null);
    expect(parsed(bare)).toMatchObject({ operation: "DELETE", name: "redis" });
    expect(parsed(bare).oldObject).toBeUndefined();
  });

  it("names the offending field for each malformed part", () => {
    const good = admissionReview({ operation: "CREATE", object: { name: "backend", dependsOn: [{ name: "redis" }] } });
    const cases: [string[], unknown, RegExp][] = [
      [["apiVersion"], "admission.k8s.io/v1beta1", /apiVersion must be admission.k8s.io\/v1, got "admission.k8s.io\/v1beta1"/],
      [["kind"], "ConfigMap", /kind must be AdmissionReview/],
      [["request"], 42, /request must be an object/],
      [["request", "uid"], "", /request.uid must be a non-empty string/],
      [["request", "uid"], undefined, /request.uid must be a non-empty string/],
      [["request", "resource"], { group: "", version: "v1", resource: "configmaps" }, /request.resource configmaps. is not helmreleases/],
      [["request", "kind", "kind"], "Kustomization", /request.kind helm.toolkit.fluxcd.io\/Kustomization does not match/],
      [["request", "operation"], "PATCH", /request.operation must be one of CREATE, UPDATE, DELETE, CONNECT/],
      [["request", "namespace"], undefined, /request.namespace must be a non-empty string/],
      [["request", "dryRun"], "yes", /request.dryRun must be a boolean/],
      [["request", "object"], null, /request.object is required for CREATE/],
      [["request", "object", "kind"], "Kustomization", /request.object.kind is Kustomization, expected HelmRelease/],
      [["request", "object", "metadata", "namespace"], "other", /request.object.metadata.namespace is other, but request.namespace is default/],
      [["request", "object", "spec", "dependsOn"], "redis", /request.object.spec.dependsOn must be a list/],
      [["request", "object", "spec", "dependsOn"], [{ name: 7 }], /request.object.spec.dependsOn\[0\].name must be a string/],
      [["request", "object", "spec", "dependsOn"], [{ name: "a", namespace: 1 }], /request.object.spec.dependsOn\[0\].namespace must be a string/],
      [["request", "userInfo"], "admin", /request.userInfo must be an object/],
    ];
    for (const [path, value, message] of cases) {
      expect(error(mutate(good, path, value)), path.join(".")).toMatch(message);
    }
  });

  it("says what it got for a body that is not an AdmissionReview at all", () => {
    expect(error([])).toMatch(/^not a valid AdmissionReview: body must be a JSON object/);
    expect(error(null)).toMatch(/body must be a JSON object/);
    expect(error({ apiVersion: "x".repeat(500), kind: "AdmissionReview" }).length).toBeLessThan(150);
  });

  it("requires oldObject for UPDATE", () => {
    const body = admissionReview({ operation: "UPDATE", object: { name: "a" }, oldObject: { name: "a" } });
    expect(error(mutate(body, ["request", "oldObject"], null))).toMatch(/request.oldObject is required for UPDATE/);
  });
});
