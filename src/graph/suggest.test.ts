import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { boundedEditDistance, editDistance, suggestKeys, SUGGESTIONS_SHOWN } from "./suggest.js";
import { DependencyGraph } from "./dependency-graph.js";

describe("editDistance", () => {
  it("counts an adjacent transposition as one edit", () => {
    expect(editDistance("redsi", "redis")).toBe(1);
    expect(editDistance("redis", "redis")).toBe(0);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });

  it("equals the textbook optimal-string-alignment table, names sharing a start or an end included", () => {
    // The whole (m+1)×(n+1) table, no shortcut: the oracle for the trimmed, bounded rows.
    const oracle = (a: string, b: string): number => {
      const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
      for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
          const cost = a[i - 1] === b[j - 1] ? 0 : 1;
          d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
          if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
        }
      }
      return d[a.length]![b.length]!;
    };
    const name = fc.string({ unit: fc.constantFrom("a", "b", "c", "-"), maxLength: 9 });
    fc.assert(
      fc.property(name, name, name, name, (start, a, b, end) => {
        expect(editDistance(start + a + end, start + b + end)).toBe(oracle(start + a + end, start + b + end));
        expect(editDistance(a, b)).toBe(oracle(a, b));
      }),
      { numRuns: 1000 },
    );
  });

  it("is symmetric and the bounded version agrees up to its limit", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), fc.nat(4), (a, b, limit) => {
        const d = editDistance(a, b);
        expect(editDistance(b, a)).toBe(d);
        expect(boundedEditDistance(a, b, limit)).toBe(Math.min(d, limit + 1));
      }),
      { numRuns: 300 },
    );
  });
});

describe("suggestKeys", () => {
  it("equals scoring every candidate and sorting them all (tier, then edits, then key)", () => {
    const name = fc.string({ unit: fc.constantFrom("a", "b", "-"), minLength: 1, maxLength: 7 });
    const key = fc.tuple(fc.constantFrom("HelmRelease", "Kustomization"), fc.constantFrom("apps", "infra"), name).map(([k, ns, n]) => `${k}/${ns}/${n}`);
    fc.assert(
      fc.property(key, fc.array(key, { maxLength: 40 }), fc.integer({ min: 0, max: 4 }), (missing, candidates, max) => {
        const [kind, namespace, missingName] = missing.split("/") as [string, string, string];
        const limit = missingName.length <= 4 ? 1 : missingName.length <= 9 ? 2 : 3;
        const scored: { key: string; tier: number; distance: number }[] = [];
        for (const candidate of candidates) {
          const [k, ns, n] = candidate.split("/") as [string, string, string];
          if (candidate === missing || k !== kind) continue;
          if (ns === namespace) {
            const distance = editDistance(missingName, n);
            if (distance <= limit) scored.push({ key: candidate, tier: 0, distance });
          } else if (n === missingName) scored.push({ key: candidate, tier: 1, distance: 0 });
        }
        scored.sort((x, y) => x.tier - y.tier || x.distance - y.distance || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
        expect(suggestKeys(missing, candidates, max)).toEqual(scored.slice(0, max).map((s) => s.key));
      }),
      { numRuns: 1000 },
    );
  });

  const hr = (key: string): string => `HelmRelease/${key}`;
  const keys = ["default/redis", "default/backend", "cache/redis", "cache/redsi-operator", "monitoring/prometheus"].map(hr);

  it("suggests the close name in the same namespace first (redsi → redis)", () => {
    expect(suggestKeys(hr("default/redsi"), keys)[0]).toBe(hr("default/redis"));
  });

  it("suggests the same name in another namespace (a forgotten namespace)", () => {
    expect(suggestKeys(hr("default/prometheus"), keys)).toEqual([hr("monitoring/prometheus")]);
    expect(suggestKeys(hr("apps/redis"), keys)).toEqual([hr("cache/redis"), hr("default/redis")]);
  });

  it("suggests nothing for an unrelated name and respects max", () => {
    expect(suggestKeys(hr("default/grafana"), keys)).toEqual([]);
    expect(suggestKeys(hr("default/redi"), keys, 1)).toEqual([hr("default/redis")]);
  });

  it("stays within the missing object's kind", () => {
    const mixed = ["Kustomization/default/redis", "Kustomization/apps/prometheus", "HelmRelease/default/rediss"];
    expect(suggestKeys("Kustomization/default/redsi", mixed)).toEqual(["Kustomization/default/redis"]);
    expect(suggestKeys("HelmRelease/default/prometheus", mixed)).toEqual([]);
    expect(suggestKeys("HelmRelease/default/redis", mixed)).toEqual(["HelmRelease/default/rediss"]);
  });
});

describe("DependencyGraph.suggestionCandidates", () => {
  it("gives suggestKeys the same answer as the whole graph would", () => {
    const name = fc.constantFrom("redis", "redsi", "rdis", "backend", "backnd", "api", "apis", "web");
    const namespace = fc.constantFrom("default", "apps", "legacy");
    const kind = fc.constantFrom("HelmRelease" as const, "Kustomization" as const);
    fc.assert(
      fc.property(fc.array(fc.tuple(kind, namespace, name), { maxLength: 20 }), kind, namespace, name, (objects, k, ns, missingName) => {
        const graph = new DependencyGraph();
        for (const [kd, n, o] of objects) graph.upsert({ kind: kd, namespace: n, name: o, dependsOn: [{ name: "ghost" }] });
        const missing = `${k}/${ns}/${missingName}`;
        expect(suggestKeys(missing, graph.suggestionCandidates(missing))).toEqual(suggestKeys(missing, graph.keys()));
      }),
      { numRuns: 300 },
    );
  });
});

describe("DependencyGraph.suggestionCandidates with the deletion neighbourhood (many lookups without a change)", () => {
  it("gives suggestKeys the same answer as weighing every key, names one, two and three edits away included", () => {
    // Few letters and lengths up to 12, so names one to three edits apart abound (closeness allows 3 from 10 characters).
    const name = fc.string({ unit: fc.constantFrom("a", "b", "-"), minLength: 1, maxLength: 12 });
    const namespace = fc.constantFrom("default", "apps");
    const kind = fc.constantFrom("HelmRelease" as const, "Kustomization" as const);
    const key = fc.tuple(kind, namespace, name);
    fc.assert(
      fc.property(fc.array(key, { maxLength: 60 }), fc.array(key, { minLength: 1, maxLength: 20 }), (objects, lookups) => {
        const graph = new DependencyGraph();
        for (const [k, ns, n] of objects) graph.upsert({ kind: k, namespace: ns, name: n, dependsOn: [{ name: "ghost" }] });
        // As `check` asks: enough lookups in a row for the index to be built, then the ones compared.
        for (let i = 0; i < 64; i++) graph.suggestionCandidates("HelmRelease/default/warm-up");
        const excluded = objects.length > 0 ? `${objects[0]![0]}/${objects[0]![1]}/${objects[0]![2]}` : undefined;
        for (const [k, ns, n] of lookups) {
          const missing = `${k}/${ns}/${n}`;
          if (graph.has(missing)) continue;
          expect(suggestKeys(missing, graph.suggestionCandidates(missing), SUGGESTIONS_SHOWN, excluded)).toEqual(suggestKeys(missing, graph.keys(), SUGGESTIONS_SHOWN, excluded));
        }
      }),
      { numRuns: 500 },
    );
  });

  it("gives the same answer when many names are within two edits (the closest few, ties by key, the dependent left out)", () => {
    // Names of 5 to 7 letters over two letters: dozens within two edits of each lookup, many tied.
    const name = fc.string({ unit: fc.constantFrom("a", "b"), minLength: 5, maxLength: 7 });
    const namespace = fc.constantFrom("default", "apps");
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(namespace, name), { minLength: 1, maxLength: 80, selector: ([ns, n]) => `${ns}/${n}` }), fc.array(fc.tuple(namespace, name), { minLength: 1, maxLength: 10 }), fc.nat(), (objects, lookups, pick) => {
        const graph = new DependencyGraph();
        for (const [ns, n] of objects) graph.upsert({ kind: "HelmRelease", namespace: ns, name: n, dependsOn: [{ name: "ghost" }] });
        for (let i = 0; i < 64; i++) graph.suggestionCandidates("HelmRelease/default/warm-up");
        const [exNs, exName] = objects[pick % objects.length]!;
        const excluded = `HelmRelease/${exNs}/${exName}`;
        for (const [ns, n] of lookups) {
          const missing = `HelmRelease/${ns}/${n}`;
          if (graph.has(missing)) continue;
          expect(suggestKeys(missing, graph.suggestionCandidates(missing), SUGGESTIONS_SHOWN, excluded)).toEqual(suggestKeys(missing, graph.keys(), SUGGESTIONS_SHOWN, excluded));
        }
      }),
      { numRuns: 500 },
    );
  });

  it("forgets the index when an object comes or goes", () => {
    const graph = new DependencyGraph();
    for (let i = 0; i < 100; i++) graph.upsert({ kind: "HelmRelease", namespace: "default", name: `release-${i}`, dependsOn: [] });
    for (let i = 0; i < 64; i++) graph.suggestionCandidates("HelmRelease/default/warm-up");
    expect(suggestKeys("HelmRelease/default/releasex-7", graph.suggestionCandidates("HelmRelease/default/releasex-7"))[0]).toBe("HelmRelease/default/release-7");
    graph.upsert({ kind: "HelmRelease", namespace: "default", name: "releasex-70", dependsOn: [] });
    graph.remove("HelmRelease/default/release-7");
    expect(suggestKeys("HelmRelease/default/releasex-7", graph.suggestionCandidates("HelmRelease/default/releasex-7"))).toEqual(suggestKeys("HelmRelease/default/releasex-7", graph.keys()));
    expect(suggestKeys("HelmRelease/default/releasex-7", graph.suggestionCandidates("HelmRelease/default/releasex-7"))[0]).toBe("HelmRelease/default/releasex-70");
  });
});
