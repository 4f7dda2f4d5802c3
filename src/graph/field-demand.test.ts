import { describe, expect, it } from "vitest";
import { decodeFluxObject } from "../flux/decode.js";
import { FieldDemand } from "./field-demand.js";
import { WHOLE_OBJECT } from "./field-paths.js";
import { nodeOf } from "./refs.js";

const raw = (name: string, dependsOn: unknown[] = []) => ({
  apiVersion: "helm.toolkit.fluxcd.io/v2",
  kind: "HelmRelease",
  metadata: { name, namespace: "apps" },
  spec: { values: { tag: `${name}-1`, big: "x".repeat(1000) }, dependsOn },
});

describe("FieldDemand", () => {
  it("keeps, for every object of a kind, the plain paths any expression reads of the kind; a whole object only for the one asked", () => {
    const demand = new FieldDemand();
    const keepFor = (kind: string, namespace: string, name: string) => demand.decodeKeep(`${kind}/${namespace}/${name}`);
    // A dependency listed before its dependent: decoded without the field, then the demand grows.
    const early = decodeFluxObject("HelmRelease", raw("redis"), { keepFor });
    expect(early.fields).toBeUndefined();
    const dependent = decodeFluxObject("HelmRelease", raw("api", [{ name: "redis", readyExpr: "dep.spec.values.tag == 'redis-1'" }]), { keepFor });
    const grown = demand.update(nodeOf(dependent), dependent);
    expect(grown).toEqual(["HelmRelease//*", "HelmRelease/apps/redis"]);
    // Decoded again (the cache reads it once more), and any later HelmRelease, keep the tag alone.
    expect(decodeFluxObject("HelmRelease", raw("redis"), { keepFor }).fields).toEqual({ spec: { values: { tag: "redis-1" } } });
    expect(decodeFluxObject("HelmRelease", raw("later"), { keepFor }).fields).toEqual({ spec: { values: { tag: "later-1" } } });
    // The same expression on another dependent asks nothing new.
    const second = decodeFluxObject("HelmRelease", raw("web", [{ name: "later", readyExpr: "dep.spec.values.tag == 'redis-1'" }]), { keepFor });
    expect(demand.update(nodeOf(second), second)).toEqual([]);
    // An expression that uses dep whole: that object alone keeps its spec.
    const whole = decodeFluxObject("HelmRelease", raw("ops", [{ name: "later", readyExpr: "dep == self" }]), { keepFor });
    expect(demand.update(nodeOf(whole), whole)).toEqual(["HelmRelease/apps/later"]);
    expect(demand.keepOf("HelmRelease/apps/later")).toEqual(WHOLE_OBJECT);
    expect(decodeFluxObject("HelmRelease", raw("redis"), { keepFor }).fields?.spec).toEqual({ values: { tag: "redis-1" } });
    // Deleted: nothing is asked of it any more.
    demand.update(nodeOf(whole), undefined);
    expect(demand.keepOf("HelmRelease/apps/later")).toEqual({ spec: { values: { tag: true } } });
  });
});
