// Every offline view of a repository says what `check` says, cluster by cluster: two clusters with the
// same names and a cycle in one — `check`, `graph` as DOT, Mermaid, JSON and the HTML page's data all put
// the cycle in that cluster only, and none of them invents a status (docs/behaviour.md, "Offline views").
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { writeTwoClustersRepo } from "./helpers/two-clusters-repo.js";

interface JsonGraph {
  cluster: string;
  nodes: { id: string; cycle: boolean; state: string; reason?: string; duplicate: boolean }[];
  edges: { from: string; to: string; cycle: boolean; missing: boolean }[];
  cycles: string[][];
  problems: { type: string; object: string; message: string }[];
}

interface PageSnapshot {
  cluster: string;
  source: string;
  problems: { type: string; object: string }[];
  nodes: { id: string; state: string; reason?: string; cycle?: boolean; health?: string; message: string }[];
}

describe("one graph per cluster in every view, as check reports it", () => {
  let repo: string;
  beforeAll(async () => {
    repo = await writeTwoClustersRepo();
  });
  afterAll(async () => {
    if (repo !== undefined) await rm(repo, { recursive: true, force: true });
  });

  const CYCLE = ["Kustomization/flux-system/apps", "Kustomization/flux-system/infra"];

  it("check: the cycle in clusters/a only, naming every file it spans and the kinds (a HelmRelease shares a name)", async () => {
    const result = await runCli(["check", "--output", "json", repo]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { clusters: { name: string }[]; problems: { type: string; cluster: string; message: string }[] };
    expect(report.clusters.map((c) => c.name)).toEqual(["clusters/a", "clusters/b"]);
    expect(report.problems.map((p) => [p.type, p.cluster])).toEqual([["cycle", "clusters/a"]]);
    expect(report.problems[0]!.message).toBe(
      `dependency cycle Kustomization flux-system/apps → Kustomization flux-system/infra → Kustomization flux-system/apps (defined at ${repo}/clusters/a/apps.yaml:3, ${repo}/clusters/a/infra.yaml:3): remove one of these dependsOn entries`,
    );
    const text = await runCli(["check", repo]);
    expect(text.stdout).toContain("dependency cycle Kustomization flux-system/apps → Kustomization flux-system/infra");
  });

  it("check's JSON names a cycle's kinds always; its text only where a name is ambiguous", async () => {
    const json = JSON.parse((await runCli(["check", "--output", "json", "examples/cycle"])).stdout) as { problems: { message: string }[] };
    expect(json.problems[0]!.message).toMatch(/^dependency cycle HelmRelease default\/backend → HelmRelease default\/redis → HelmRelease default\/backend \(defined at /);
    expect((await runCli(["check", "examples/cycle"])).stdout).toContain(": dependency cycle default/backend → default/redis → default/backend (defined at ");
  });

  it("graph --format json: the same cycle and problem in clusters/a, none in clusters/b, no status", async () => {
    const result = await runCli(["graph", "--format", "json", repo]);
    expect(result.code).toBe(0);
    const { graphs } = JSON.parse(result.stdout) as { graphs: JsonGraph[] };
    const [a, b] = graphs;
    expect(graphs.map((g) => g.cluster)).toEqual(["clusters/a", "clusters/b"]);
    expect(a!.cycles).toEqual([[...CYCLE, CYCLE[0]]]);
    expect(a!.problems.map((p) => p.type)).toEqual(["cycle"]);
    expect(a!.nodes.filter((n) => n.cycle).map((n) => n.id)).toEqual(CYCLE);
    expect(a!.edges.filter((e) => e.cycle)).toHaveLength(2);
    expect(b!.cycles).toEqual([]);
    expect(b!.problems).toEqual([]);
    expect(b!.nodes.filter((n) => n.cycle || n.state === "blocked")).toEqual([]);
    // Same names, two clusters: each cluster has its own nodes, nothing overwritten.
    expect(a!.nodes.map((n) => n.id)).toEqual(b!.nodes.map((n) => n.id));
    // Offline: structure only. Behind the cycle blocked, the rest "unknown", never "ready" or "NotReady".
    expect(new Set(graphs.flatMap((g) => g.nodes.map((n) => `${n.state}/${n.reason ?? ""}`)))).toEqual(new Set(["blocked/Cycle", "unknown/"]));
  });

  it("graph --format dot and mermaid: red cycle edges inside clusters/a's subgraph only", async () => {
    const dot = (await runCli(["graph", repo])).stdout;
    const [, a, b] = dot.split(/subgraph "cluster_clusters\/[ab]"/);
    expect(a).toContain('"clusters/a:Kustomization/flux-system/apps" -> "clusters/a:Kustomization/flux-system/infra" [color=red];');
    expect(a).toContain('"clusters/a:Kustomization/flux-system/infra" -> "clusters/a:Kustomization/flux-system/apps" [color=red];');
    // A HelmRelease is called flux-system/infra too: the cycle names its kinds.
    expect(a).toContain(
      "// cycle: flux-system/apps: dependency cycle Kustomization flux-system/apps → Kustomization flux-system/infra → Kustomization flux-system/apps (defined at",
    );
    expect(b).not.toContain("red");
    expect(b).not.toContain("cycle");
    const mermaid = (await runCli(["graph", "--format", "mermaid", repo])).stdout;
    const [, ma, mb] = mermaid.split(/ {2}subgraph g\d/);
    expect(ma).toContain("-->|cycle|");
    expect(ma).toContain('Kustomization flux-system/apps (cycle)"]');
    expect(mb).not.toContain("cycle");
  });

  it("graph --format html: one embedded graph per cluster, the cycle in clusters/a only, titled by the path", async () => {
    const result = await runCli(["graph", "--format", "html", repo]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`<title>releasegate · ${repo}</title>`);
    const data = /<script type="application\/json" id="graph-data">(.*?)<\/script>/s.exec(result.stdout)?.[1];
    const [a, b] = JSON.parse(data!) as PageSnapshot[];
    expect([a!.cluster, b!.cluster]).toEqual(["clusters/a", "clusters/b"]);
    expect(a!.nodes.filter((n) => n.cycle === true).map((n) => n.id)).toEqual(CYCLE);
    expect(a!.problems.map((p) => p.type)).toEqual(["cycle"]);
    expect(b!.nodes.filter((n) => n.cycle === true || n.state === "blocked")).toEqual([]);
    expect(b!.problems).toEqual([]);
    // No status from files: no health, no invented gate.
    for (const node of [...a!.nodes, ...b!.nodes]) expect(node.health).toBeUndefined();
    expect(b!.nodes.find((n) => n.id === "HelmRelease/flux-system/web")?.message).toBe("waits for HelmRelease flux-system/infra to be Ready (from files: no status)");
  });

  it("why --from: the cycle in clusters/a (exit 1), the plain chain in clusters/b (exit 0)", async () => {
    const both = await runCli(["why", "ks/flux-system/apps", "--from", repo]);
    expect(both.code).toBe(1);
    expect(both.stdout).toContain("cluster clusters/a:\nKustomization flux-system/apps  blocked (Cycle)");
    expect(both.stdout).toContain("cluster clusters/b:\nKustomization flux-system/apps  no status (from files): waits for Kustomization flux-system/infra to be Ready");
    const b = await runCli(["why", "ks/apps", "-n", "flux-system", "--cluster", "b", "--from", repo]);
    expect(b.code).toBe(0);
    expect(b.stdout).toBe(
      [
        "Kustomization flux-system/apps  no status (from files): waits for Kustomization flux-system/infra to be Ready (from files: no status)",
        "└─ Kustomization flux-system/infra  no status (from files): no dependencies (from files: no status)",
        "",
      ].join("\n"),
    );
  });

  it("graph on examples/ shows the duplicates check reports, and a healthy folder no blocked object", async () => {
    const check = JSON.parse((await runCli(["check", "--output", "json", "examples"])).stdout) as { problems: { type: string; object: string }[] };
    const { graphs } = JSON.parse((await runCli(["graph", "--format", "json", "examples"])).stdout) as { graphs: JsonGraph[] };
    expect(graphs.flatMap((g) => g.problems)).toEqual(check.problems);
    const duplicated = new Set(check.problems.filter((p) => p.type === "duplicate").map((p) => p.object));
    expect(new Set(graphs.flatMap((g) => g.nodes.filter((n) => n.duplicate).map((n) => n.id.split("/").slice(1).join("/"))))).toEqual(duplicated);
    const chain = JSON.parse((await runCli(["graph", "--format", "json", "examples/chain"])).stdout) as { graphs: JsonGraph[] };
    expect(chain.graphs[0]!.nodes.map((n) => n.state)).toEqual(["unknown", "unknown"]);
  });
});
