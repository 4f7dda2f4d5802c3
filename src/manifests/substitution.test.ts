import { describe, expect, it } from "vitest";
import { substituteString, substituteValue, unresolvedVariableNames } from "./substitution.js";

const vars = new Map([
  ["APP", "podinfo"],
  ["EMPTY", ""],
]);

describe("Flux postBuild substitution", () => {
  it("replaces known variables", () => {
    expect(substituteString("${APP}-db", vars)).toBe("podinfo-db");
  });

  it("uses the default of ${VAR:=default} and ${VAR:-default} when VAR is unset or empty", () => {
    expect(substituteString("${CACHE:=redis}", vars)).toBe("redis");
    expect(substituteString("${EMPTY:-fallback}", vars)).toBe("fallback");
    expect(substituteString("${APP:=other}", vars)).toBe("podinfo");
  });

  it("uses the default of ${VAR=default} only when VAR is unset", () => {
    expect(substituteString("${EMPTY=fallback}", vars)).toBe("");
    expect(substituteString("${MISSING-fallback}", vars)).toBe("fallback");
  });

  it("leaves unknown variables as written, and names them", () => {
    expect(substituteString("${QUEUE}-${APP}", vars)).toBe("${QUEUE}-podinfo");
    expect(unresolvedVariableNames("${QUEUE}-${APP}")).toEqual(["QUEUE", "APP"]);
  });

  it("turns the escape $${VAR} into a literal ${VAR}", () => {
    expect(substituteString("$${APP}", vars)).toBe("${APP}");
    expect(unresolvedVariableNames("$${APP}")).toEqual([]);
  });

  it("substitutes every string value of a document, not its keys", () => {
    expect(substituteValue({ "${APP}": ["${APP}", 3, { name: "${APP}" }] }, vars)).toEqual({
      "${APP}": ["podinfo", 3, { name: "podinfo" }],
    });
  });
});
