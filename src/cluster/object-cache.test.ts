import { describe, expect, it } from "vitest";
import { resourceVersionOf } from "./object-cache.js";

describe("resourceVersionOf", () => {
  it("reads metadata.resourceVersion, a string only", () => {
    expect(resourceVersionOf({ metadata: { resourceVersion: "42" } })).toBe("42");
    expect(resourceVersionOf({ metadata: { resourceVersion: 42 } })).toBeUndefined();
    expect(resourceVersionOf(null)).toBeUndefined();
  });
});
