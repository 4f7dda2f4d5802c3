import { describe, expect, it } from "vitest";
import { SourceIgnore } from "./source-ignore.js";

const root = "/repo";
const rules = (text: string, base = root) => new SourceIgnore(root).add(base, text).finish();

describe("source ignore rules (source-controller's go-git matcher)", () => {
  it("matches anchored and unanchored patterns, folders and negations", () => {
    const ignore = rules("# comment\n/docs\n*.draft.yaml\ntmp/\n!keep.draft.yaml\n");
    expect(ignore.ignores("/repo/docs/a.yaml")).toBe(true);
    expect(ignore.ignores("/repo/apps/docs/a.yaml")).toBe(false);
    expect(ignore.ignores("/repo/apps/x.draft.yaml")).toBe(true);
    expect(ignore.ignores("/repo/apps/keep.draft.yaml")).toBe(false);
    expect(ignore.ignores("/repo/apps/tmp/a.yaml")).toBe(true);
    expect(ignore.ignores("/repo/apps/tmp.yaml")).toBe(false);
  });

  it("has no excluded-parent rule: each file is matched on its own, the last match wins", () => {
    const ignore = rules("/*\n!/k8s/prod\n");
    expect(ignore.ignores("/repo/k8s/prod/apps/web.yaml")).toBe(false);
    expect(ignore.ignores("/repo/k8s/staging/web.yaml")).toBe(true);
    expect(ignore.ignores("/repo/README.md")).toBe(true);
    // xunholy/k8s-gitops's .sourceignore: a file brought back below an excluded folder.
    const fleet = rules("/*\n!/kubernetes\n/kubernetes/clusters/**/secrets/\n!/kubernetes/clusters/**/secrets/cluster-config.yaml\n");
    expect(fleet.ignores("/repo/kubernetes/clusters/a/secrets/cluster-config.yaml")).toBe(false);
    expect(fleet.ignores("/repo/kubernetes/clusters/a/secrets/other.yaml")).toBe(true);
    expect(fleet.ignores("/repo/kubernetes/apps/web.yaml")).toBe(false);
  });

  it("applies a nested .sourceignore to its own folder only, and ** across folders", () => {
    const ignore = new SourceIgnore(root).add("/repo/apps", "drafts/\n").add(root, "clusters/**/secret-*.yaml\n").finish();
    expect(ignore.ignores("/repo/apps/drafts/a.yaml")).toBe(true);
    expect(ignore.ignores("/repo/infra/drafts/a.yaml")).toBe(false);
    expect(ignore.ignores("/repo/clusters/a/b/secret-x.yaml")).toBe(true);
    expect(ignore.ignores("/repo/clusters/secret-x.yaml")).toBe(true);
  });

  // Cases from fluxcd/pkg sourceignore/gitignore/pattern_test.go (go-git's), as facts.
  it.each([
    ["vul?ano", "value/vulkano/tail", true],
    ["value", "head/value/tail", true],
    ["value/", "head/value", false],
    ["val", "head/value/tail", false],
    ["v[ou]l[kc]ano", "value/volcano", true],
    ["/value/vul?ano", "value/vulkano/tail", true],
    ["value/vul?ano", "value/vulkano/tail", true],
    ["value/vulkano", "value/volcano", false],
    ["/value/volcano", "value/value/volcano", false],
    ["**/*lue/vol?ano", "head/value/volcano/tail", true],
    ["**/*lue/vol?ano", "head/value/Volcano/tail", false],
  ])("pattern %s on %s: %s", (pattern, path, ignored) => {
    expect(rules(pattern).ignores(`/repo/${path}`)).toBe(ignored);
  });
});
