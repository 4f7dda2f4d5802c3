import { describe, expect, it } from "vitest";
import { SOURCE_KINDS } from "../flux/sources.js";
import { sourceCodec } from "./source-revisions.js";

describe("sourceCodec", () => {
  const codec = sourceCodec(SOURCE_KINDS[1]!, "v1beta2");

  it("lists and watches the source at the served version, keeping its revision only", () => {
    expect(codec.type).toEqual({ group: "source.toolkit.fluxcd.io", version: "v1beta2", resource: "ocirepositories", kind: "OCIRepository", namespaced: true });
    const raw = { metadata: { name: "podinfo", namespace: "apps" }, spec: { url: "oci://x" }, status: { artifact: { revision: "6.5.0@sha256:ab" } } };
    expect(codec.decode(raw)).toEqual({ namespace: "apps", name: "podinfo", revision: "6.5.0@sha256:ab" });
    expect(codec.decode({ metadata: { name: "podinfo", namespace: "apps" } })).toEqual({ namespace: "apps", name: "podinfo" });
    expect(codec.decode("nonsense")).toBeUndefined();
  });

  it("announces a change only when the revision changes", () => {
    expect(codec.same({ namespace: "a", name: "b", revision: "r1" }, { namespace: "a", name: "b", revision: "r1" })).toBe(true);
    expect(codec.same({ namespace: "a", name: "b", revision: "r1" }, { namespace: "a", name: "b", revision: "r2" })).toBe(false);
  });
});
