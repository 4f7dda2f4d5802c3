import { describe, expect, it } from "vitest";
import { applyConfiguration, fieldPaths, pathString, recordUpdate, toFieldsV1 } from "./managed-fields.js";
import type { StatusError } from "./status.js";

const who = (manager: string, force = false) => ({ manager, apiVersion: "helm.toolkit.fluxcd.io/v2", force, hasStatusSubresource: true });

function hr(spec: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", metadata: { name: "a", namespace: "default", ...extra }, spec };
}

describe("field sets", () => {
  it("tracks map leaves, atomic lists as a whole, set items and keyed items, without system fields", () => {
    const paths = fieldPaths({ metadata: { labels: { app: "x" }, finalizers: ["f"] }, spec: { dependsOn: [{ name: "b" }], ports: [{ port: 80, protocol: "TCP" }] } }).map(pathString);
    expect(paths).toEqual([".metadata.labels.app", '.metadata.finalizers[="f"]', ".spec.dependsOn", '.spec.ports[port=80,protocol="TCP"]', '.spec.ports[port=80,protocol="TCP"].port', '.spec.ports[port=80,protocol="TCP"].protocol']);
    expect(toFieldsV1([["f:spec", "f:interval"]])).toEqual({ "f:spec": { "f:interval": {} } });
  });
});

describe("server-side apply", () => {
  it("creates, then removes fields its manager stopped applying", () => {
    const first = applyConfiguration(undefined, hr({ interval: "1m", suspend: true }), who("flux"));
    expect(first.object.spec).toEqual({ interval: "1m", suspend: true });
    const live = { ...first.object, metadata: { ...(first.object.metadata as object), managedFields: first.managedFields } };
    const second = applyConfiguration(live, hr({ interval: "1m" }), who("flux"));
    expect(second.object.spec).toEqual({ interval: "1m" });
  });

  it("conflicts on a field another manager set to a different value, shares it when equal, takes it when forced", () => {
    const created = applyConfiguration(undefined, hr({ interval: "1m" }), who("flux"));
    const live = { ...created.object, metadata: { ...(created.object.metadata as object), managedFields: created.managedFields } };
    expect(applyConfiguration(live, hr({ interval: "1m" }), who("kubectl")).managedFields.map((e) => e.manager)).toEqual(["flux", "kubectl"]);
    let error: StatusError | undefined;
    try {
      applyConfiguration(live, hr({ interval: "5m" }), who("kubectl"));
    } catch (err) {
      error = err as StatusError;
    }
    expect(error?.status).toMatchObject({ code: 409, reason: "Conflict", message: 'Apply failed with 1 conflict: conflict with "flux": .spec.interval' });
    const forced = applyConfiguration(live, hr({ interval: "5m" }), who("kubectl", true));
    expect(forced.object.spec).toEqual({ interval: "5m" });
    expect(forced.managedFields.map((e) => e.manager)).toEqual(["kubectl"]);
  });

  it("records an Update as owning what it changed and takes those fields from others", () => {
    const created = applyConfiguration(undefined, hr({ interval: "1m", suspend: false }), who("flux"));
    const live = { ...created.object, metadata: { ...(created.object.metadata as object), managedFields: created.managedFields } };
    const updated = { ...live, spec: { interval: "1m", suspend: true } };
    const entries = recordUpdate(live, updated, created.managedFields, { manager: "kubectl-edit", apiVersion: "helm.toolkit.fluxcd.io/v2", hasStatusSubresource: true });
    expect(entries.map((e) => `${e.manager}/${e.operation}`)).toEqual(["flux/Apply", "kubectl-edit/Update"]);
    expect(entries[1]?.fieldsV1).toEqual({ "f:spec": { "f:suspend": {} } });
    expect(entries[0]?.fieldsV1).toEqual({ "f:spec": { "f:interval": {} } });
  });
});
