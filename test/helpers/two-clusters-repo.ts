// A GitOps repository of two clusters that use the same object names, with a dependency cycle in
// cluster a only (apps ↔ infra) and a HelmRelease named like a Kustomization: what every offline view
// must draw per cluster, as `check` reports it. Written to a temporary folder.
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const SYNC = (cluster: string) => `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: flux-system, namespace: flux-system}
spec: {interval: 1m, url: https://example.com/fleet.git, ref: {branch: main}}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: flux-system, namespace: flux-system}
spec: {interval: 10m, path: ./clusters/${cluster}, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}
`;

const kustomization = (name: string, path: string, dependsOn: string[]) => `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: ${name}, namespace: flux-system}
spec:
  interval: 10m
  path: ${path}
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
${dependsOn.length === 0 ? "" : `  dependsOn:\n${dependsOn.map((d) => `    - name: ${d}\n`).join("")}`}`;

/** The repository's folder; clusters `clusters/a` (cycle) and `clusters/b` (none). */
export async function writeTwoClustersRepo(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "releasegate-two-clusters-"));
  const files: Record<string, string> = {
    "clusters/a/flux-system/gotk-sync.yaml": SYNC("a"),
    "clusters/a/infra.yaml": kustomization("infra", "./infrastructure", ["apps"]),
    "clusters/a/apps.yaml": kustomization("apps", "./apps", ["infra"]),
    "clusters/b/flux-system/gotk-sync.yaml": SYNC("b"),
    "clusters/b/infra.yaml": kustomization("infra", "./infrastructure", []),
    "clusters/b/apps.yaml": kustomization("apps", "./apps", ["infra"]),
    // A HelmRelease flux-system/infra too: two kinds, one name.
    "infrastructure/infra.yaml": `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: infra, namespace: flux-system}
spec: {interval: 10m, chart: {spec: {chart: infra, sourceRef: {kind: HelmRepository, name: charts}}}}
`,
    "apps/web.yaml": `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: web, namespace: flux-system}
spec: {interval: 10m, chart: {spec: {chart: web, sourceRef: {kind: HelmRepository, name: charts}}}, dependsOn: [{name: infra}]}
`,
  };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}
