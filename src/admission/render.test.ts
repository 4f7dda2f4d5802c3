import { describe, expect, it } from "vitest";
import { allow, deny } from "./decision.js";
import { MAX_WARNING_LENGTH, MAX_WARNINGS, limitWarnings, renderAdmissionResponse } from "./render.js";

describe("renderAdmissionResponse", () => {
  it("answers an allow with the request's uid and no status", () => {
    expect(renderAdmissionResponse("abc", allow("ok"))).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: "abc", allowed: true },
    });
  });

  it("answers a denial with a 403 Forbidden status carrying the message", () => {
    const review = renderAdmissionResponse("abc", deny("cycle", "dependency cycle a → b → a: remove one", ["w"]));
    expect(review.response).toEqual({
      uid: "abc",
      allowed: false,
      status: { status: "Failure", code: 403, reason: "Forbidden", message: "dependency cycle a → b → a: remove one" },
      warnings: ["w"],
    });
  });

  it("keeps warnings short, printable, unique and few", () => {
    const long = "x".repeat(300);
    const warnings = limitWarnings([long, "a\nb\u0007c", "a\nb\u0007c", "1", "2", "3", "4", "5"]);
    expect(warnings).toHaveLength(MAX_WARNINGS);
    expect(warnings.every((w) => w.length <= MAX_WARNING_LENGTH)).toBe(true);
    expect(warnings[0]).toMatch(/^x+…$/);
    expect(warnings[1]).toBe("a b c");
    expect(warnings[MAX_WARNINGS - 1]).toBe("…and 3 more warnings");
  });

  it("strips control characters from a denial message but keeps its lines", () => {
    const review = renderAdmissionResponse("u", deny("invalid", 'dependsOn[0].name "a\u001b[31m" is bad\nsecond line'));
    expect(review.response.status?.message).toBe('dependsOn[0].name "a [31m" is bad\nsecond line');
  });
});
