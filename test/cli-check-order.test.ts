// `releasegate check`'s bootstrap-order warning (docs/behaviour.md, "Bootstrap order"), through the CLI on
// small GitOps repositories written here: a bootstrap Kustomization (clusters/prod) applying an `infra` and
// an `apps` Kustomization, each applying HelmReleases. A HelmRelease depending on one that another
// Kustomization applies warns unless its own Kustomization depends on that one, directly or through its
// dependsOn; the warning fails the check only with --strict.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";

interface Report {
  problems: Array<{ type: string; object: string; dependency?: string; file: string; line: number; message: string }>;
}

function kustomization(name: string, path: string, dependsOn: Array<{ name: string; namespace?: string }> = [], namespace = "flux-system"): string {
  const deps = dependsOn.length === 0 ? "" : `  dependsOn:\n${dependsOn.map((d) => `    - name: ${d.name}${d.namespace ? `\n      namespace: ${d.namespace}` : ""}`).join("\n")}\n`;
  return `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  interval: 10m
  path: ${path}
  prune: true
${deps}  sourceRef:
    kind: GitRepository
    name: flux-system
    namespace: flux-system
`;
}

function helmRelease(name: string, dependsOn: string[] = []): string {
  const deps = dependsOn.length === 0 ? "" : `  dependsOn:\n${dependsOn.map((d) => `    - name: ${d}`).join("\n")}\n`;
  return `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ${name}
  namespace: default
spec:
  interval: 10m
${deps}  chart:
    spec:
      chart: ${name}
      sourceRef:
        kind: HelmRepository
        name: charts
        namespace: flux-system
`;
}

const BOOTSTRAP = `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1m
  url: https://example.com/gitops
  ref:
    branch: main
---
${kustomization("flux-system", "./clusters/prod")}`;

describe("check: bootstrap order", () => {
  let work = "";
  let count = 0;

  /** A repository of these files (path → content) with the bootstrap in clusters/prod/flux-system. */
  async function repo(files: Record<string, string>): Promise<string> {
    const root = join(work, `repo-${count++}`);
    const all: Record<string, string> = {
      "clusters/prod/flux-system/gotk-sync.yaml": BOOTSTRAP,
      "clusters/prod/flux-system/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [gotk-sync.yaml]\n",
      ...files,
    };
    for (const [path, text] of Object.entries(all)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), text);
    }
    return root;
  }

  async function check(root: string, ...flags: string[]) {
    const result = await runCli(["check", "--output", "json", ...flags, "."], { cwd: root });
    return { code: result.code, report: JSON.parse(result.stdout) as Report, stderr: result.stderr };
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "releasegate-order-"));
  });
  afterAll(async () => {
    if (work !== "") await rm(work, { recursive: true, force: true });
  });

  it("warns when apps' HelmRelease depends on one infra applies and apps does not depend on infra; fails only with --strict", async () => {
    const root = await repo({
      "clusters/prod/infra.yaml": kustomization("infra", "./infra"),
      "clusters/prod/apps.yaml": kustomization("apps", "./apps"),
      "infra/redis.yaml": helmRelease("redis"),
      "apps/backend.yaml": helmRelease("backend", ["redis"]),
    });
    const { code, report } = await check(root);
    expect(report.problems).toEqual([
      {
        type: "order",
        kind: "HelmRelease",
        object: "default/backend",
        dependency: "default/redis",
        cluster: "clusters/prod",
        file: "apps/backend.yaml",
        line: 4,
        message:
          "depends on HelmRelease default/redis, which Kustomization flux-system/infra applies, but Kustomization flux-system/apps, which applies this one, does not depend on infra: on a new cluster, apps is refused until infra has applied; add {name: infra} to the dependsOn of apps",
      },
    ]);
    expect(code).toBe(0);
    expect((await check(root, "--strict")).code).toBe(1);
    const github = await runCli(["check", "--output", "github", "."], { cwd: root });
    expect(github.stdout).toMatch(/^::warning file=apps\/backend\.yaml,line=4::default\/backend: depends on HelmRelease default\/redis/m);
    const text = await runCli(["check", "."], { cwd: root });
    expect(text.stdout).toContain("1 problem (1 order)");
  });

  it("says nothing when apps depends on infra, directly or through another Kustomization, or when one Kustomization applies both", async () => {
    const direct = await repo({
      "clusters/prod/infra.yaml": kustomization("infra", "./infra"),
      "clusters/prod/apps.yaml": kustomization("apps", "./apps", [{ name: "infra" }]),
      "infra/redis.yaml": helmRelease("redis"),
      "apps/backend.yaml": helmRelease("backend", ["redis"]),
    });
    const transitive = await repo({
      "clusters/prod/infra.yaml": kustomization("infra", "./infra"),
      "clusters/prod/platform.yaml": kustomization("platform", "./platform", [{ name: "infra" }]),
      "clusters/prod/apps.yaml": kustomization("apps", "./apps", [{ name: "platform" }]),
      "infra/redis.yaml": helmRelease("redis"),
      "platform/ingress.yaml": helmRelease("ingress"),
      "apps/backend.yaml": helmRelease("backend", ["redis", "ingress"]),
    });
    const together = await repo({
      "clusters/prod/apps.yaml": kustomization("apps", "./apps"),
      "apps/redis.yaml": helmRelease("redis"),
      "apps/backend.yaml": helmRelease("backend", ["redis"]),
    });
    for (const root of [direct, transitive, together]) {
      const { code, report } = await check(root, "--strict");
      expect(report.problems).toEqual([]);
      expect(code).toBe(0);
    }
  });

  it("names a Kustomization in another namespace with its namespace", async () => {
    const root = await repo({
      "clusters/prod/infra.yaml": kustomization("infra", "./infra", [], "platform"),
      "clusters/prod/apps.yaml": kustomization("apps", "./apps"),
      "infra/redis.yaml": helmRelease("redis"),
      "apps/backend.yaml": helmRelease("backend", ["redis"]),
    });
    const { report } = await check(root);
    expect(report.problems[0]?.message).toMatch(/add \{name: infra, namespace: platform\} to the dependsOn of apps$/);
  });

  it("says it never resolves when the HelmRelease's own Kustomization applies the other one", async () => {
    // The bootstrap applies backend and the infra Kustomization in one batch: backend is refused, so
    // infra is never created, and neither is redis.
    const root = await repo({
      "clusters/prod/infra.yaml": kustomization("infra", "./infra"),
      "clusters/prod/backend.yaml": helmRelease("backend", ["redis"]),
      "infra/redis.yaml": helmRelease("redis"),
    });
    const { report } = await check(root);
    expect(report.problems.map((p) => [p.type, p.object, p.message])).toEqual([
      [
        "order",
        "default/backend",
        "depends on HelmRelease default/redis, which Kustomization flux-system/infra applies, but Kustomization flux-system/flux-system, which applies this one, does not depend on infra: on a new cluster flux-system is refused for ever, since infra is in its own build and is never created; move this HelmRelease into a Kustomization that depends on infra",
      ],
    ]);
  });
});
