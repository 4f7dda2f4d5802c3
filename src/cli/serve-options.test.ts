import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { UsageError } from "./args.js";
import { parseServeCommandLine, SERVE_SETTINGS, serveUsage } from "./serve-options.js";
import type { ServeOptions } from "./serve-options.js";

function parse(argv: string[], env: NodeJS.ProcessEnv = {}): ServeOptions {
  const result = parseServeCommandLine(argv, env);
  if (result === "help") throw new Error("unexpected help");
  return result;
}

describe("serve options", () => {
  it("has the documented defaults", () => {
    const o = parse([], { POD_NAMESPACE: "releasegate-system", POD_NAME: "releasegate-abc" });
    expect(o).toMatchObject({
      webhookPort: 9443,
      metricsPort: 8080,
      namespace: "releasegate-system",
      identity: "releasegate-abc",
      leaseName: "releasegate-leader",
      leaseDurationMs: 15_000,
      leaseRenewDeadlineMs: 10_000,
      leaseRetryPeriodMs: 2_000,
      certMode: "self-managed",
      logLevel: "info",
      policy: { missingDependencies: "deny", crossNamespace: "allow", deleteProtection: "warn", exemptNamespaces: [] },
    });
  });

  it("reads every setting from its environment variable, and a flag wins over it", () => {
    const env = {
      RELEASEGATE_WEBHOOK_PORT: "10443",
      RELEASEGATE_METRICS_PORT: "9090",
      RELEASEGATE_MISSING_DEPENDENCIES: "warn",
      RELEASEGATE_CROSS_NAMESPACE: "deny",
      RELEASEGATE_DELETE_PROTECTION: "deny",
      RELEASEGATE_EXEMPT_NAMESPACES: "kube-system, flux-system",
      RELEASEGATE_LEASE_DURATION: "3s",
      RELEASEGATE_LEASE_RENEW_DEADLINE: "2s",
      RELEASEGATE_LEASE_RETRY_PERIOD: "500ms",
      RELEASEGATE_LOG_LEVEL: "debug",
      RELEASEGATE_IN_CLUSTER: "true",
    };
    const o = parse(["--metrics-port", "9100", "--cert-mode", "files", "--tls-cert-file", "c.pem", "--tls-key-file", "k.pem"], env);
    expect(o.webhookPort).toBe(10443);
    expect(o.metricsPort).toBe(9100);
    expect(o.inCluster).toBe(true);
    expect(o.policy).toMatchObject({ missingDependencies: "warn", crossNamespace: "deny", deleteProtection: "deny" });
    expect(o.policy.exemptNamespaces).toEqual(["kube-system", "flux-system"]);
    expect([o.leaseDurationMs, o.leaseRenewDeadlineMs, o.leaseRetryPeriodMs]).toEqual([3000, 2000, 500]);
    expect(o.certMode).toBe("files");
    expect(o.logLevel).toBe("debug");
  });

  it("points cert-manager mode at the mounted Secret by default", () => {
    const o = parse(["--cert-mode", "cert-manager"]);
    expect(o.tlsCertFile).toBe("/etc/releasegate/tls/tls.crt");
    expect(o.tlsKeyFile).toBe("/etc/releasegate/tls/tls.key");
  });

  it("names the flag and its variable in one-line errors", () => {
    expect(() => parse(["--webhook-port", "http"])).toThrow(/--webhook-port \(\$RELEASEGATE_WEBHOOK_PORT\): "http" is not a port/);
    expect(() => parse([], { RELEASEGATE_MISSING_DEPENDENCIES: "maybe" })).toThrow(UsageError);
    expect(() => parse([], { RELEASEGATE_MISSING_DEPENDENCIES: "maybe" })).toThrow(/RELEASEGATE_MISSING_DEPENDENCIES/);
    expect(() => parse(["--cert-mode", "files"])).toThrow(/needs --tls-cert-file/);
    expect(() => parse(["--lease-duration", "5s", "--lease-renew-deadline", "5s"])).toThrow(/longer than --lease-renew-deadline/);
    expect(() => parse(["--lease-duration", "soon"])).toThrow(/not a duration/);
    expect(() => parse(["--no-such-flag"])).toThrow(UsageError);
  });

  it("documents every setting with its variable in --help", () => {
    expect(parseServeCommandLine(["--help"], {})).toBe("help");
    for (const s of SERVE_SETTINGS) {
      expect(serveUsage).toContain(`--${s.flag}`);
      expect(serveUsage).toContain(`$${s.env}`);
    }
  });

  it("accepts every flag the Helm chart passes to serve", () => {
    const deployment = readFileSync(new URL("../../charts/releasegate/templates/deployment.yaml", import.meta.url), "utf8");
    const flags = [...deployment.matchAll(/^\s*- --([a-z-]+)=/gm)].map((m) => m[1]);
    expect(flags.length).toBeGreaterThan(5);
    const known = new Set(SERVE_SETTINGS.map((s) => s.flag));
    expect(flags.filter((f) => !known.has(f!))).toEqual([]);
  });

  it("parses the limits: staleness, body budget, request timeout, client CA, log format", () => {
    const o = parse(["--max-cache-staleness", "30s", "--body-budget", "32", "--request-timeout", "5s", "--client-ca-file", "/ca.pem", "--log-format", "json"]);
    expect(o).toMatchObject({ maxCacheStalenessMs: 30_000, bodyBudgetBytes: 32 * 1024 * 1024, requestTimeoutMs: 5000, clientCaFile: "/ca.pem", logFormat: "json" });
    const d = parse([]);
    expect(d).toMatchObject({ maxCacheStalenessMs: 10_000, bodyBudgetBytes: 64 * 1024 * 1024, requestTimeoutMs: 10_000, clientCaFile: undefined });
    expect(() => parse(["--log-format", "yaml"])).toThrow(/--log-format \(\$RELEASEGATE_LOG_FORMAT\): "yaml" is not one of json\|text/);
  });
});
