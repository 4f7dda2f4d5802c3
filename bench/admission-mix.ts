// The admission benchmarks' cluster and review mix (docs/behaviour.md, Performance targets): 10,000
// HelmReleases in teams of 20, each team in its own namespace leaning on shared infra, all Ready; and
// 2,000 reviews of them: 10% UPDATEs closing a cycle, 5% CREATEs naming a missing dependency, the rest
// allowed CREATEs and UPDATEs. Deterministic for a seed (bench/random.ts). Used by bench/admission.ts
// (over HTTPS, serve as users run it) and bench/admission-cpu.ts (the review alone, in-process).
import { admissionReview, fluxManifest } from "../src/admission/review-builder.test-support.js";
import type { ManifestSpec, ReviewSpec } from "../src/admission/review-builder.test-support.js";

export const RELEASES = Number(process.env.RELEASES ?? 10_000);
const NAMESPACE_SIZE = 20;
const INFRA = 20;
export const PAYLOADS = 2_000;

export interface Release {
  namespace: string;
  name: string;
  dependsOn: { name: string; namespace?: string }[];
}

export interface Fleet {
  releases: Release[];
  /** Names by namespace, in creation order (dependencies only point to earlier ones: a DAG). */
  byNamespace: Map<string, string[]>;
}

export function makeFleet(random: () => number): Fleet {
  const releases: Release[] = [];
  const byNamespace = new Map<string, string[]>();
  const add = (namespace: string, name: string, dependsOn: Release["dependsOn"]): void => {
    releases.push({ namespace, name, dependsOn });
    const list = byNamespace.get(namespace) ?? [];
    list.push(name);
    byNamespace.set(namespace, list);
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const infra: string[] = [];
  for (let i = 0; i < INFRA; i++) {
    const name = `infra-${i}`;
    add("infra", name, i === 0 ? [] : [{ name: pick(infra) }]);
    infra.push(name);
  }
  for (let t = 0; releases.length < RELEASES; t++) {
    const namespace = `team-${t}`;
    const names: string[] = [];
    for (let i = 0; i < NAMESPACE_SIZE && releases.length < RELEASES; i++) {
      const deps: Release["dependsOn"] = [];
      const count = names.length === 0 ? 0 : Math.floor(random() * 3);
      for (let d = 0; d < count; d++) deps.push({ name: pick(names) });
      if (random() < 0.3) deps.push({ name: pick(infra), namespace: "infra" });
      const name = `app-${t}-${i}`;
      add(namespace, name, [...new Map(deps.map((d) => [`${d.namespace ?? ""}/${d.name}`, d])).values()]);
      names.push(name);
    }
  }
  return { releases, byNamespace };
}

/** What the sandbox stores: the namespaces, and each release as Flux leaves it (Ready, up to date). */
export function seedObjects(fleet: Fleet): unknown[] {
  const objects: unknown[] = [...fleet.byNamespace.keys()].map((name) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } }));
  for (const r of fleet.releases) {
    objects.push({
      ...fluxManifest({ name: r.name, namespace: r.namespace, dependsOn: r.dependsOn }),
      status: {
        observedGeneration: 1,
        conditions: [{ type: "Ready", status: "True", reason: "InstallSucceeded", message: "Helm install succeeded", lastTransitionTime: "2026-01-01T00:00:00Z" }],
      },
    });
  }
  return objects;
}

export type Category = "allowed" | "cycle" | "missing";
export const CATEGORIES: readonly Category[] = ["allowed", "cycle", "missing"];

/** The review mix: 10% close a cycle, 5% name a missing dependency, 45% allowed CREATE, 40% UPDATE (half keep dependsOn). */
export function makePayloads(fleet: Fleet, random: () => number): { body: string; category: Category }[] {
  const byKey = new Map(fleet.releases.map((r) => [`${r.namespace}/${r.name}`, r]));
  const teams = [...fleet.byNamespace.keys()].filter((ns) => ns !== "infra");
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const spec = (r: Release, dependsOn = r.dependsOn, labels?: Record<string, string>): ManifestSpec => ({
    name: r.name,
    namespace: r.namespace,
    dependsOn,
    ...(labels ? { labels } : {}),
  });
  const out: { body: string; category: Category }[] = [];
  for (let i = 0; out.length < PAYLOADS; i++) {
    const r = random();
    const namespace = pick(teams);
    const names = fleet.byNamespace.get(namespace)!;
    let review: ReviewSpec;
    let category: Category = "allowed";
    if (r < 0.1) {
      // UPDATE a release's dependency d to depend back on the release: d → release → d.
      const release = names.map((n) => byKey.get(`${namespace}/${n}`)!).find((o) => o.dependsOn.some((d) => d.namespace === undefined) && random() < 0.5);
      const dep = release?.dependsOn.find((d) => d.namespace === undefined);
      if (release === undefined || dep === undefined) continue;
      const target = byKey.get(`${namespace}/${dep.name}`)!;
      review = { operation: "UPDATE", oldObject: spec(target), object: spec(target, [...target.dependsOn, { name: release.name }]) };
      category = "cycle";
    } else if (r < 0.15) {
      // CREATE naming a dependency with a typo.
      review = { operation: "CREATE", object: { name: `new-${i}`, namespace, dependsOn: [{ name: `${pick(names)}x` }] } };
      category = "missing";
    } else if (r < 0.6) {
      const deps: { name: string; namespace?: string }[] = [...new Set([pick(names), pick(names)])].map((name) => ({ name }));
      if (random() < 0.3) deps.push({ name: `infra-${Math.floor(random() * INFRA)}`, namespace: "infra" });
      review = { operation: "CREATE", object: { name: `new-${i}`, namespace, dependsOn: deps } };
    } else if (r < 0.8) {
      const o = byKey.get(`${namespace}/${pick(names)}`)!;
      review = { operation: "UPDATE", oldObject: spec(o), object: spec(o, o.dependsOn, { revision: String(i) }) };
    } else {
      // UPDATE adding a dependency on an earlier release of the team: still a DAG.
      const index = 1 + Math.floor(random() * (names.length - 1));
      const o = byKey.get(`${namespace}/${names[index]!}`)!;
      const earlier = names[Math.floor(random() * index)]!;
      review = { operation: "UPDATE", oldObject: spec(o), object: spec(o, [...o.dependsOn.filter((d) => d.name !== earlier), { name: earlier }]) };
    }
    out.push({ body: JSON.stringify(admissionReview({ ...review, uid: `bench-${i}` })), category });
  }
  return out;
}
