// The admission policies an operator chooses (docs/behaviour.md, Admission rules; set by the chart through
// `serve` flags or environment). Typed values with defaults, and one parser for their string forms so
// flags and environment variables say the same thing and fail with the same one-line errors.

type MissingDependencyPolicy = "deny" | "warn" | "ignore";
type CrossNamespacePolicy = "allow" | "deny";
type DeleteProtectionPolicy = "off" | "warn" | "deny";

export interface AdmissionPolicy {
  /** A dependsOn entry naming an object that neither exists nor is pending. */
  missingDependencies: MissingDependencyPolicy;
  /** A dependsOn entry in another namespace (Flux's own `--no-cross-namespace-refs` is the analogue). */
  crossNamespace: CrossNamespacePolicy;
  /** Deleting an object others depend on: allow silently, allow with a warning, or deny. Never denied
   *  while the object's namespace is terminating. */
  deleteProtection: DeleteProtectionPolicy;
  /** Namespaces whose objects are always allowed without checks. */
  exemptNamespaces: readonly string[];
  /** How long a dry-run CREATE stays pending (docs/behaviour.md, The pending batch). */
  pendingTtlSeconds: number;
}

export const DEFAULT_ADMISSION_POLICY: Readonly<AdmissionPolicy> = Object.freeze({
  missingDependencies: "deny",
  crossNamespace: "allow",
  deleteProtection: "warn",
  exemptNamespaces: Object.freeze([]) as readonly string[],
  pendingTtlSeconds: 120,
});

/** The string forms, as flags or environment variables give them; absent fields keep their default. */
interface AdmissionPolicyInput {
  missingDependencies?: string;
  crossNamespace?: string;
  deleteProtection?: string;
  /** Comma-separated namespace names. */
  exemptNamespaces?: string;
  pendingTtlSeconds?: string;
}

/** A policy value that cannot be used; the message names the setting and the accepted values. */
export class AdmissionPolicyError extends Error {
  override readonly name = "AdmissionPolicyError";
}

function oneOf<T extends string>(setting: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined || value.trim() === "") return fallback;
  const v = value.trim().toLowerCase();
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw new AdmissionPolicyError(`${setting}: "${value}" is not one of ${allowed.join("|")}; pick one of those`);
}

/**
 * Parses the string forms. `settingNames` lets the caller name its flags or variables in errors
 * (e.g. `{missingDependencies: "--missing-dependencies"}`).
 */
export function parseAdmissionPolicy(
  input: AdmissionPolicyInput,
  settingNames: Partial<Record<keyof AdmissionPolicyInput, string>> = {},
): AdmissionPolicy {
  const d = DEFAULT_ADMISSION_POLICY;
  const nameOf = (k: keyof AdmissionPolicyInput): string => settingNames[k] ?? k;
  const exempt = (input.exemptNamespaces ?? "")
    .split(",")
    .map((ns) => ns.trim())
    .filter((ns) => ns !== "");
  const bad = exempt.find((ns) => !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns) || ns.length > 63);
  if (bad !== undefined) {
    throw new AdmissionPolicyError(`${nameOf("exemptNamespaces")}: "${bad}" is not a namespace name; give a comma-separated list of namespaces`);
  }
  let ttl = d.pendingTtlSeconds;
  if (input.pendingTtlSeconds !== undefined && input.pendingTtlSeconds.trim() !== "") {
    ttl = Number(input.pendingTtlSeconds.trim().replace(/s$/, ""));
    if (!Number.isFinite(ttl) || ttl <= 0 || ttl > 3600) {
      throw new AdmissionPolicyError(`${nameOf("pendingTtlSeconds")}: "${input.pendingTtlSeconds}" is not a number of seconds between 1 and 3600`);
    }
  }
  return {
    missingDependencies: oneOf(nameOf("missingDependencies"), input.missingDependencies, ["deny", "warn", "ignore"], d.missingDependencies),
    crossNamespace: oneOf(nameOf("crossNamespace"), input.crossNamespace, ["allow", "deny"], d.crossNamespace),
    deleteProtection: oneOf(nameOf("deleteProtection"), input.deleteProtection, ["off", "warn", "deny"], d.deleteProtection),
    exemptNamespaces: [...new Set(exempt)],
    pendingTtlSeconds: ttl,
  };
}
