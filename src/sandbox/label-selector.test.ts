import { describe, it, expect } from "vitest";
import { LabelSelectorError, matchesLabelSelector, parseLabelSelectorString } from "./label-selector.js";

describe("matchesLabelSelector", () => {
  it("matches everything when the selector is absent or empty", () => {
    expect(matchesLabelSelector(undefined, { a: "b" })).toBe(true);
    expect(matchesLabelSelector({}, {})).toBe(true);
  });

  it("ANDs matchLabels and matchExpressions", () => {
    const sel = { matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "In" as const, values: ["fe", "be"] }] };
    expect(matchesLabelSelector(sel, { app: "web", tier: "fe" })).toBe(true);
    expect(matchesLabelSelector(sel, { app: "web", tier: "db" })).toBe(false);
    expect(matchesLabelSelector(sel, { tier: "fe" })).toBe(false);
  });

  it("NotIn matches when the key is absent; Exists and DoesNotExist look at the key only", () => {
    const notIn = { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn" as const, values: ["kube-system"] }] };
    expect(matchesLabelSelector(notIn, {})).toBe(true);
    expect(matchesLabelSelector(notIn, { "kubernetes.io/metadata.name": "kube-system" })).toBe(false);
    expect(matchesLabelSelector(notIn, { "kubernetes.io/metadata.name": "apps" })).toBe(true);
    expect(matchesLabelSelector({ matchExpressions: [{ key: "x", operator: "Exists" }] }, { x: "" })).toBe(true);
    expect(matchesLabelSelector({ matchExpressions: [{ key: "x", operator: "Exists" }] }, {})).toBe(false);
    expect(matchesLabelSelector({ matchExpressions: [{ key: "x", operator: "DoesNotExist" }] }, {})).toBe(true);
    expect(matchesLabelSelector({ matchExpressions: [{ key: "x", operator: "DoesNotExist" }] }, { x: "1" })).toBe(false);
  });

  it("rejects invalid selectors with a message naming the problem", () => {
    expect(() => matchesLabelSelector({ matchExpressions: [{ key: "x", operator: "In", values: [] }] }, {})).toThrow(/values set can't be empty/);
    expect(() => matchesLabelSelector({ matchExpressions: [{ key: "x", operator: "Exists", values: ["a"] }] }, {})).toThrow(LabelSelectorError);
    expect(() => matchesLabelSelector({ matchExpressions: [{ key: "x", operator: "Equals" as never }] }, {})).toThrow(/not a valid label selector operator/);
    expect(() => matchesLabelSelector({ matchLabels: { "bad key!": "a" } }, {})).toThrow(/name part/);
  });
});

describe("parseLabelSelectorString", () => {
  const m = (s: string, labels: Record<string, string>) => matchesLabelSelector(parseLabelSelectorString(s), labels);

  it("parses equality, inequality, sets, existence and numeric comparisons", () => {
    expect(m("", { a: "1" })).toBe(true);
    expect(m("app=web", { app: "web" })).toBe(true);
    expect(m("app==web", { app: "db" })).toBe(false);
    expect(m("app!=web", {})).toBe(true);
    expect(m("app!=web", { app: "web" })).toBe(false);
    expect(m("env in (prod, staging)", { env: "staging" })).toBe(true);
    expect(m("env notin (prod,staging)", { env: "prod" })).toBe(false);
    expect(m("app", { app: "" })).toBe(true);
    expect(m("!app", { app: "x" })).toBe(false);
    expect(m("n>5", { n: "6" })).toBe(true);
    expect(m("n<5", { n: "6" })).toBe(false);
    expect(m("app=web, !legacy, env in (prod)", { app: "web", env: "prod" })).toBe(true);
    expect(m("app=web, !legacy, env in (prod)", { app: "web", env: "prod", legacy: "1" })).toBe(false);
    expect(m("app=", { app: "" })).toBe(true);
    expect(m("example.com/team=a", { "example.com/team": "a" })).toBe(true);
  });

  it("rejects malformed strings with 'unable to parse requirement'", () => {
    for (const bad of ["=a", "a in b", "a in (b", "a b", "a,", "!a=b", "n>x", "a in ()"]) {
      expect(() => parseLabelSelectorString(bad), bad).toThrow(LabelSelectorError);
    }
    expect(() => parseLabelSelectorString("a b")).toThrow(/unable to parse requirement/);
  });
});
