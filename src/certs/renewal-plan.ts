// When to renew, as a pure decision over dates (no clocks, no crypto, no I/O), so every case is tested
// exhaustively. The self-managed source summarises what the Secret holds, asks planRenewal, and carries out
// the plan.
//
// CA rotation keeps the webhook trusted throughout: the new CA first joins the bundle (old and new together)
// and is patched into the caBundle while the serving certificate, still signed by the old CA, keeps serving;
// only once the new CA has been trusted for `caPropagationMs` (time for kube-apiserver to see the new
// caBundle) is a serving certificate issued by the new CA. "Trusted since" is when this replica saw the
// webhook configuration's caBundle hold the new CA, or, with no configuration to check, the CA's birth.
// An old CA leaves the bundle when it expires.

/** What the Secret holds, reduced to what the decision needs. */
export type StoredSummary =
  | { kind: "absent" }
  /** Present but with no usable CA (no ca.key, or it matches no certificate in ca.crt): start over. */
  | { kind: "unusable"; problem: string }
  | {
      kind: "usable";
      /** The CA whose key we hold: it signs new serving certificates. */
      signer: {
        notBefore: Date;
        notAfter: Date;
        /** Since when kube-apiserver is known to trust this CA; undefined: since its birth (notBefore + clock skew). */
        trustedSince?: Date;
      };
      /** Undefined when tls.crt/tls.key are missing, unreadable or do not match. */
      serving?: {
        notBefore: Date;
        notAfter: Date;
        dnsNames: string[];
        ipAddresses: string[];
        issuedBySigner: boolean;
      };
      servingProblem?: string;
    };

export interface RenewalPolicy {
  caValidityMs: number;
  servingValidityMs: number;
  /** Rotate the CA when less than this remains of it. */
  caRenewBeforeMs: number;
  /** Renew the serving certificate when less than this remains of it. */
  servingRenewBeforeMs: number;
  /** After a CA rotation, how long to keep serving the old CA's certificate before switching to the new CA. */
  caPropagationMs: number;
  /** Certificates start this long before they are issued, to tolerate clocks that lag ours. */
  clockSkewMs: number;
  dnsNames: string[];
  ipAddresses: string[];
}

/** Defaults: a five-year CA, one-year serving certificates, each renewed with a third of its life left. */
export function defaultRenewalPolicy(names: { dnsNames: string[]; ipAddresses: string[] }, overrides: Partial<RenewalPolicy> = {}): RenewalPolicy {
  const DAY = 24 * 60 * 60 * 1000;
  const caValidityMs = overrides.caValidityMs ?? 5 * 365 * DAY;
  const servingValidityMs = overrides.servingValidityMs ?? 365 * DAY;
  return {
    caValidityMs,
    servingValidityMs,
    caRenewBeforeMs: overrides.caRenewBeforeMs ?? Math.floor(caValidityMs / 3),
    servingRenewBeforeMs: overrides.servingRenewBeforeMs ?? Math.floor(servingValidityMs / 3),
    caPropagationMs: overrides.caPropagationMs ?? 10 * 60 * 1000,
    clockSkewMs: overrides.clockSkewMs ?? 60 * 1000,
    dnsNames: overrides.dnsNames ?? names.dnsNames,
    ipAddresses: overrides.ipAddresses ?? names.ipAddresses,
  };
}

/**
 * The decision: what to do with the CA (`keep`; `rotate` — a new signer joins the bundle beside the old;
 * `new` — start over with a fresh CA alone) and with the serving certificate (`keep` or `issue`).
 */
export interface RenewalPlan {
  ca: "keep" | "rotate" | "new";
  serving: "keep" | "issue";
  /** Why, for the log: empty when nothing is to be done. */
  reasons: string[];
}

export function isNoop(plan: RenewalPlan): boolean {
  return plan.ca === "keep" && plan.serving === "keep";
}

/** `force` asks for a renewal now: of the serving certificate, or a CA rotation (e.g. a leaked key). */
export function planRenewal(stored: StoredSummary, policy: RenewalPolicy, now: Date, force: { serving?: boolean; ca?: boolean } = {}): RenewalPlan {
  if (stored.kind === "absent") return { ca: "new", serving: "issue", reasons: ["no certificate Secret yet"] };
  if (stored.kind === "unusable") return { ca: "new", serving: "issue", reasons: [stored.problem] };

  const t = now.getTime();
  const reasons: string[] = [];
  const { signer, serving } = stored;
  if (t >= signer.notAfter.getTime()) {
    return { ca: "new", serving: "issue", reasons: [`CA expired at ${signer.notAfter.toISOString()}`] };
  }

  let ca: RenewalPlan["ca"] = "keep";
  if (signer.notAfter.getTime() - t < policy.caRenewBeforeMs) {
    ca = "rotate";
    reasons.push(`CA expires at ${signer.notAfter.toISOString()}, within its renewal window`);
  } else if (force.ca === true) {
    ca = "rotate";
    reasons.push("CA rotation requested");
  }

  // Reasons to issue now whatever the CA does: the served certificate is unusable or names the wrong hosts.
  const urgent: string[] = [];
  // Reasons that can wait for a rotated CA to reach kube-apiserver.
  const due: string[] = [];
  if (serving === undefined) {
    urgent.push(stored.servingProblem ?? "no serving certificate");
  } else {
    if (t >= serving.notAfter.getTime()) urgent.push(`serving certificate expired at ${serving.notAfter.toISOString()}`);
    const missing = [
      ...policy.dnsNames.filter((n) => !serving.dnsNames.includes(n)),
      ...policy.ipAddresses.filter((n) => !serving.ipAddresses.includes(n)),
    ];
    if (missing.length > 0) urgent.push(`serving certificate does not name ${missing.join(", ")}`);
    if (serving.notAfter.getTime() - t < policy.servingRenewBeforeMs) {
      due.push(`serving certificate expires at ${serving.notAfter.toISOString()}, within its renewal window`);
    }
    if (!serving.issuedBySigner) due.push("serving certificate is not yet signed by the current CA");
    if (force.serving === true) due.push("renewal requested");
  }

  if (urgent.length > 0) return { ca, serving: "issue", reasons: [...reasons, ...urgent] };
  // A certificate from a CA that kube-apiserver may not trust yet would fail every call: while the current
  // signer has been trusted for less than the propagation delay (or is being rotated in this very step), a
  // still-valid serving certificate from the previous CA keeps serving.
  const trustedSince = signer.trustedSince?.getTime() ?? signer.notBefore.getTime() + policy.clockSkewMs;
  const caStillPropagating = ca === "rotate" || (serving?.issuedBySigner === false && t - trustedSince < policy.caPropagationMs);
  if (due.length > 0 && !caStillPropagating) return { ca, serving: "issue", reasons: [...reasons, ...due] };
  return { ca, serving: "keep", reasons };
}
