import { describe, expect, it } from "vitest";
import { DEFAULT_ADMISSION_POLICY, parseAdmissionPolicy } from "./policy.js";

describe("parseAdmissionPolicy", () => {
  it("defaults to deny missing, allow cross-namespace, warn on delete, no exemptions, 120 s pending", () => {
    expect(parseAdmissionPolicy({})).toEqual({ ...DEFAULT_ADMISSION_POLICY, exemptNamespaces: [] });
    expect(DEFAULT_ADMISSION_POLICY).toMatchObject({ missingDependencies: "deny", crossNamespace: "allow", deleteProtection: "warn", pendingTtlSeconds: 120 });
  });

  it("reads every setting from its string form", () => {
    expect(
      parseAdmissionPolicy({
        missingDependencies: "warn",
        crossNamespace: "DENY",
        deleteProtection: "deny",
        exemptNamespaces: "kube-system, flux-system,,kube-system",
        pendingTtlSeconds: "30s",
      }),
    ).toEqual({ missingDependencies: "warn", crossNamespace: "deny", deleteProtection: "deny", exemptNamespaces: ["kube-system", "flux-system"], pendingTtlSeconds: 30 });
  });

  it("names the setting and the accepted values in its one-line errors", () => {
    expect(() => parseAdmissionPolicy({ missingDependencies: "block" }, { missingDependencies: "--missing-dependencies" })).toThrow(
      '--missing-dependencies: "block" is not one of deny|warn|ignore; pick one of those',
    );
    expect(() => parseAdmissionPolicy({ exemptNamespaces: "ok,Not_OK" })).toThrow(/"Not_OK" is not a namespace name/);
    expect(() => parseAdmissionPolicy({ pendingTtlSeconds: "0" })).toThrow(/between 1 and 3600/);
  });
});
