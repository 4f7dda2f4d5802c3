import { describe, expect, it } from "vitest";
import { applyReplacements, parseFieldPath } from "./replacements.js";

describe("kustomize replacements", () => {
  it("parses field paths with list selectors and bracketed keys", () => {
    expect(parseFieldPath("spec.dependsOn.[name=db].namespace")).toEqual(["spec", "dependsOn", { key: "name", equals: "db" }, "namespace"]);
    expect(parseFieldPath("metadata.annotations.[a.b/c]")).toEqual(["metadata", "annotations", "a.b/c"]);
    expect(parseFieldPath("spec.list.0")).toEqual(["spec", "list", 0]);
  });

  it("copies a ConfigMap value into the selected objects' fields, creating them only when asked", () => {
    const settings = { value: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" }, data: { ns: "shop", db: "pg.data" } } };
    const apps = { value: { kind: "Kustomization", metadata: { name: "apps" }, spec: { targetNamespace: "x", dependsOn: [{ name: "db" }] } } };
    const other = { value: { kind: "Kustomization", metadata: { name: "other" }, spec: {} } };
    applyReplacements(
      [settings, apps, other],
      [
        { source: { kind: "ConfigMap", name: "settings", fieldPath: "data.ns" }, targets: [{ select: { kind: "Kustomization" }, fieldPaths: ["spec.targetNamespace"] }] },
        {
          source: { kind: "ConfigMap", name: "settings", fieldPath: "data.db", options: { delimiter: ".", index: 1 } },
          targets: [{ select: { name: "apps" }, fieldPaths: ["spec.dependsOn.[name=db].namespace"], options: { create: true } }],
        },
      ],
    );
    expect(apps.value.spec).toEqual({ targetNamespace: "shop", dependsOn: [{ name: "db", namespace: "data" }] });
    expect(other.value.spec).toEqual({});
  });
});
