import { describe, expect, it } from "vitest";
import { SourceIgnore } from "./source-ignore.js";

describe("source ignore rules (gitignore syntax)", () => {
  const root = "/repo";
  it("matches anchored and unanchored patterns, folders and negations", () => {
    const rules = new SourceIgnore().add(root, "# comment\n/docs\n*.draft.yaml\ntmp/\n!keep.draft.yaml\n");
    expect(rules.ignores("/repo/docs/a.yaml", root)).toBe(true);
    expect(rules.ignores("/repo/apps/docs/a.yaml", root)).toBe(false);
    expect(rules.ignores("/repo/apps/x.draft.yaml", root)).toBe(true);
    expect(rules.ignores("/repo/apps/keep.draft.yaml", root)).toBe(false);
    expect(rules.ignores("/repo/apps/tmp/a.yaml", root)).toBe(true);
    expect(rules.ignores("/repo/apps/tmp.yaml", root)).toBe(false);
  });

  it("applies a nested .sourceignore to its own folder only, and ** across folders", () => {
    const rules = new SourceIgnore().add("/repo/apps", "drafts/\n").add(root, "clusters/**/secret-*.yaml\n");
    expect(rules.ignores("/repo/apps/drafts/a.yaml", root)).toBe(true);
    expect(rules.ignores("/repo/infra/drafts/a.yaml", root)).toBe(false);
    expect(rules.ignores("/repo/clusters/a/b/secret-x.yaml", root)).toBe(true);
    expect(rules.ignores("/repo/clusters/secret-x.yaml", root)).toBe(true);
  });
});
