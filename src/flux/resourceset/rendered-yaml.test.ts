// Reading rendered templates as the Flux Operator does (apimachinery's YAML reader, go-yaml v2, ReadObjects).

import { describe, expect, it } from "vitest";
import { readObject, readObjects, splitDocuments } from "./rendered-yaml.js";

describe("readObjects", () => {
  it("splits at --- lines, skipping empty and comment-only documents", () => {
    const text = "\n---\napiVersion: v1\nkind: A\nmetadata: {name: a}\n--- # note\n# only a comment\n---\napiVersion: v1\nkind: B\nmetadata: {name: b}\n";
    expect(readObjects(text).map((o) => o.kind)).toEqual(["A", "B"]);
  });
  it("does not split at --- inside a line", () => {
    expect(splitDocuments('a: "---"\nb: 1')).toHaveLength(1);
  });
  it("rejects text after a separator and a document without kind", () => {
    expect(() => readObjects("--- x: 1\n")).toThrow(/invalid document separator/);
    expect(() => readObjects("apiVersion: v1\nmetadata: {name: a}\n")).toThrow(/Object 'Kind' is missing/);
  });
  it("drops objects without apiVersion or name, and kustomize Kustomizations; expands Lists", () => {
    const text = [
      "kind: NoVersion\nmetadata: {name: a}",
      "apiVersion: v1\nkind: NoName",
      "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nmetadata: {name: k}",
      "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}",
    ].join("\n---\n");
    expect(readObjects(text).map((o) => o.kind)).toEqual(["ConfigMap"]);
  });
  it("reads YAML 1.1 scalars as go-yaml v2 does", () => {
    expect(readObject("apiVersion: v1\nkind: K\nmetadata: {name: a}\ndata: {a: yes, b: off, c: 0777, d: 1:20, e: ~}\n")?.data).toEqual({ a: true, b: false, c: 511, d: "1:20", e: null });
  });
  it("rejects invalid YAML in one line", () => {
    expect(() => readObject("apiVersion: v1\nkind: K\nspec:\n  semver: >=1.0.0\n")).toThrow(/^invalid YAML: [^\n]+$/);
  });
});
