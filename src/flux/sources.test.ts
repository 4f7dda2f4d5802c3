import { describe, expect, it } from "vitest";
import { decodeSourceRevision, SOURCE_KINDS } from "./sources.js";

describe("source revisions", () => {
  it("keeps only the identity and status.artifact.revision", () => {
    const raw = {
      apiVersion: "source.toolkit.fluxcd.io/v1",
      kind: "GitRepository",
      metadata: { name: "flux-system", namespace: "flux-system", resourceVersion: "9" },
      spec: { url: "https://example.com/repo", ref: { branch: "main" } },
      status: { artifact: { revision: "main@sha1:0123abcd", digest: "sha256:x", path: "p", url: "u" }, conditions: [] },
    };
    expect(decodeSourceRevision("GitRepository", raw)).toEqual({
      ref: { kind: "GitRepository", namespace: "flux-system", name: "flux-system" },
      revision: "main@sha1:0123abcd",
    });
    expect(decodeSourceRevision("Bucket", { metadata: { name: "b", namespace: "n" } })).toEqual({ ref: { kind: "Bucket", namespace: "n", name: "b" }, revision: undefined });
    expect(decodeSourceRevision("Bucket", { metadata: { name: "b" } })).toBeUndefined();
    expect(decodeSourceRevision("Bucket", null)).toBeUndefined();
  });

  it("knows the four source kinds", () => {
    expect(SOURCE_KINDS.map((s) => s.kind)).toEqual(["GitRepository", "OCIRepository", "Bucket", "ExternalArtifact"]);
  });
});
