// Combining a ResourceSet's inputs as the Flux Operator does: inline inputs, static input providers by name
// and by label selector, Flatten and Permute.

import { describe, expect, it } from "vitest";
import { combineInputs, matchesSelector, normalizeProviderName } from "./inputs.js";

const rset = (spec: Record<string, unknown>) => ({ apiVersion: "fluxcd.controlplane.io/v1", kind: "ResourceSet", metadata: { name: "rs", namespace: "ns" }, spec });
const provider = (name: string, labels: Record<string, string>, values: Record<string, unknown>, type = "Static", namespace = "ns") => ({
  apiVersion: "fluxcd.controlplane.io/v1",
  kind: "ResourceSetInputProvider",
  metadata: { name, namespace, labels },
  spec: { type, defaultValues: values },
});

describe("combineInputs", () => {
  it("adds the provider reference to inline inputs", () => {
    expect(combineInputs(rset({ inputs: [{ a: 1 }] }), undefined)).toEqual({
      known: true,
      inputs: [{ a: 1, provider: { apiVersion: "fluxcd.controlplane.io/v1", kind: "ResourceSet", name: "rs", namespace: "ns" } }],
    });
  });
  it("flattens inline inputs then providers sorted by name; only same-namespace providers count", () => {
    const providers = [provider("b", { x: "1" }, { v: "b" }), provider("a", { x: "1" }, { v: "a" }), provider("c", { x: "1" }, { v: "c" }, "Static", "other")];
    const result = combineInputs(rset({ inputs: [{ v: "inline" }], inputsFrom: [{ selector: { matchLabels: { x: "1" } } }] }), providers);
    expect(result.known && result.inputs.map((i) => i.v)).toEqual(["inline", "a", "b"]);
    expect(result.known && result.inputs[1]?.id).toBe("6422626") // Adler-32 of "a": a = 1 + 97, b = a, so 0x00620062;
  });
  it("is unknown without providers, with a missing named provider, or with a non-static one", () => {
    expect(combineInputs(rset({ inputsFrom: [{ name: "p" }] }), undefined).known).toBe(false);
    expect(combineInputs(rset({ inputsFrom: [{ name: "p" }] }), []).known).toBe(false);
    const result = combineInputs(rset({ inputsFrom: [{ name: "p" }] }), [provider("p", {}, {}, "GitHubPullRequest")]);
    expect(result).toMatchObject({ known: false, reason: expect.stringContaining("GitHubPullRequest") });
  });
  it("permutes providers under their normalized names with a combination id", () => {
    const result = combineInputs(
      rset({ inputStrategy: { name: "Permute" }, inputs: [{ c: "blue" }, { c: "red" }], inputsFrom: [{ name: "team-1" }] }),
      [provider("team-1", {}, { t: "x" })],
    );
    if (!result.known) throw new Error(result.reason);
    expect(result.inputs.map((i) => [(i.rs as Record<string, unknown>).c, (i.team_1 as Record<string, unknown>).t])).toEqual([
      ["blue", "x"],
      ["red", "x"],
    ]);
    expect(new Set(result.inputs.map((i) => i.id)).size).toBe(2);
  });
});

describe("selectors and names", () => {
  it("matches labels and expressions", () => {
    const labels = { a: "1", b: "2" };
    expect(matchesSelector({ matchLabels: { a: "1" }, matchExpressions: [{ key: "b", operator: "In", values: ["2", "3"] }] }, labels)).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: "b", operator: "NotIn", values: ["2"] }] }, labels)).toBe(false);
    expect(matchesSelector({ matchExpressions: [{ key: "c", operator: "DoesNotExist" }] }, labels)).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: "c", operator: "Exists" }] }, labels)).toBe(false);
    expect(matchesSelector({}, labels)).toBe(true);
  });
  it("normalizes provider names as Permute keys", () => {
    expect(normalizeProviderName("Team1--Apps.v2")).toBe("team1_appsv2");
  });
});
