// The webhook configuration and the RBAC rules exist in three places besides the resource table: the
// chart, `releasegate sandbox` and the tests. Each is checked against the rules derived from the table
// (src/cluster/webhook-rules.ts), so a kind or version added in one place and not the others fails here.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { sandboxWebhookConfiguration } from "../src/cli/sandbox.js";
import { clusterRbacRules, webhookRules, WEBHOOKS } from "../src/cluster/webhook-rules.js";
import { repoRoot } from "./helpers/cli.js";
import { toolPath } from "./helpers/tools.js";

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  operations?: string[];
  verbs?: string[];
}

/** Each (group, resource) of the rules with the operations or verbs granted on it. */
function grants(rules: readonly Rule[], field: "operations" | "verbs"): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const rule of rules) {
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        const key = `${resource}.${group}`;
        const set = out.get(key) ?? new Set<string>();
        for (const value of rule[field] ?? []) set.add(value);
        out.set(key, set);
      }
    }
  }
  return out;
}

function sorted(map: Map<string, Set<string>>): Record<string, string[]> {
  return Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, [...v].sort()]));
}

describe("the resource table and its copies", () => {
  it("the chart's two webhooks and its ClusterRole match the table", async () => {
    const { stdout } = await promisify(execFile)(await toolPath("helm"), ["template", "rg", join(repoRoot, "charts/releasegate"), "--namespace", "releasegate"], {
      cwd: repoRoot,
      maxBuffer: 32 * 1024 * 1024,
    });
    const objects = parseAllDocuments(stdout).map(
      (d) => d.toJS() as { kind?: string; webhooks?: { name: string; failurePolicy?: string; rules: Rule[]; matchConditions?: { name: string; expression: string }[] }[]; rules?: Rule[] },
    );
    const vwc = objects.find((o) => o?.kind === "ValidatingWebhookConfiguration")!;
    for (const webhook of Object.keys(WEBHOOKS) as (keyof typeof WEBHOOKS)[]) {
      const rendered = vwc.webhooks?.find((w) => w.name === WEBHOOKS[webhook].name);
      expect(rendered, `the chart has no webhook ${WEBHOOKS[webhook].name}`).toBeDefined();
      expect(sorted(grants(rendered!.rules, "operations"))).toEqual(sorted(grants(webhookRules(webhook), "operations")));
    }
    expect(vwc.webhooks?.find((w) => w.name === WEBHOOKS.deletions.name)?.failurePolicy).toBe("Ignore");
    const clusterRole = objects.find((o) => o?.kind === "ClusterRole")!;
    const granted = grants(clusterRole.rules ?? [], "verbs");
    for (const [resource, verbs] of grants(clusterRbacRules(), "verbs")) {
      expect([...(granted.get(resource) ?? [])].sort(), `ClusterRole verbs on ${resource}`).toEqual(expect.arrayContaining([...verbs].sort()));
    }
    // `releasegate sandbox` registers the same two webhooks, filtered by the same matchConditions.
    const sandbox = sandboxWebhookConfiguration(9443);
    for (const webhook of Object.keys(WEBHOOKS) as (keyof typeof WEBHOOKS)[]) {
      const registered = sandbox.webhooks?.find((w) => w.name === WEBHOOKS[webhook].name);
      expect(registered, `the sandbox registers no webhook ${WEBHOOKS[webhook].name}`).toBeDefined();
      expect(sorted(grants(registered!.rules ?? [], "operations"))).toEqual(sorted(grants(webhookRules(webhook), "operations")));
      const chart = vwc.webhooks?.find((w) => w.name === WEBHOOKS[webhook].name);
      expect(registered!.matchConditions ?? []).toEqual(chart?.matchConditions ?? []);
    }
    expect(sandbox.webhooks?.find((w) => w.name === WEBHOOKS.deletions.name)?.failurePolicy).toBe("Ignore");
  }, 120_000);
});
