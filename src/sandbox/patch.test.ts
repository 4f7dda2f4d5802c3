import { describe, expect, it } from "vitest";
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from "./patch.js";
import type { StatusError } from "./status.js";

describe("JSON merge patch (RFC 7386)", () => {
  it("merges maps, deletes with null and replaces lists", () => {
    const target = { spec: { a: 1, b: { c: 2 }, list: [1, 2] }, keep: true };
    expect(applyMergePatch(target, { spec: { a: null, b: { d: 3 }, list: [3] } })).toEqual({ spec: { b: { c: 2, d: 3 }, list: [3] }, keep: true });
  });
});

describe("JSON patch (RFC 6902)", () => {
  const doc = { metadata: { finalizers: ["a", "b"] }, spec: { x: 1 } };

  it("applies add, remove, replace, move, copy and test in order", () => {
    const out = applyJsonPatch(doc, [
      { op: "test", path: "/spec/x", value: 1 },
      { op: "add", path: "/metadata/finalizers/-", value: "c" },
      { op: "remove", path: "/metadata/finalizers/0" },
      { op: "replace", path: "/spec/x", value: 2 },
      { op: "copy", from: "/spec/x", path: "/spec/y" },
      { op: "move", from: "/spec/y", path: "/spec/z" },
    ]);
    expect(out).toEqual({ metadata: { finalizers: ["b", "c"] }, spec: { x: 2, z: 2 } });
    expect(doc.metadata.finalizers).toEqual(["a", "b"]);
  });

  it("fails a test op or a missing path with 422, a malformed patch with 400", () => {
    const code = (f: () => unknown): number => {
      try {
        f();
      } catch (err) {
        return (err as StatusError).status.code;
      }
      return 0;
    };
    expect(code(() => applyJsonPatch(doc, [{ op: "test", path: "/spec/x", value: 9 }]))).toBe(422);
    expect(code(() => applyJsonPatch(doc, [{ op: "remove", path: "/spec/nope" }]))).toBe(422);
    expect(code(() => applyJsonPatch(doc, [{ op: "replace", path: "/spec/nope", value: 1 }]))).toBe(422);
    expect(code(() => applyJsonPatch(doc, { op: "add" }))).toBe(400);
  });
});

describe("strategic merge patch", () => {
  it("merges keyed lists by their merge key and unions finalizers", () => {
    const svc = { metadata: { finalizers: ["a"] }, spec: { ports: [{ port: 80, name: "http" }, { port: 443, name: "https" }] } };
    const out = applyStrategicMergePatch(svc, { metadata: { finalizers: ["b"] }, spec: { ports: [{ port: 80, name: "web" }, { port: 8080 }] } });
    expect(out).toEqual({ metadata: { finalizers: ["a", "b"] }, spec: { ports: [{ port: 80, name: "web" }, { port: 443, name: "https" }, { port: 8080 }] } });
  });

  it("honours $patch delete/replace, $deleteFromPrimitiveList and $setElementOrder", () => {
    const svc = { metadata: { finalizers: ["a", "b"], labels: { x: "1", y: "2" } }, spec: { ports: [{ port: 80 }, { port: 443 }] } };
    const out = applyStrategicMergePatch(svc, {
      metadata: { "$deleteFromPrimitiveList/finalizers": ["a"], labels: { $patch: "replace", z: "3" } },
      spec: { ports: [{ port: 80, $patch: "delete" }, { port: 9000 }], "$setElementOrder/ports": [{ port: 9000 }, { port: 443 }] },
    });
    expect(out).toEqual({ metadata: { finalizers: ["b"], labels: { z: "3" } }, spec: { ports: [{ port: 9000 }, { port: 443 }] } });
  });

  it("replaces lists without a strategy and deletes keys set to null", () => {
    expect(applyStrategicMergePatch({ data: { a: "1", b: "2" }, spec: { finalizers: ["kubernetes"] } }, { data: { a: null }, spec: { finalizers: [] } })).toEqual({
      data: { b: "2" },
      spec: { finalizers: [] },
    });
  });
});
