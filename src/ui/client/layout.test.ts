import { describe, expect, it } from "vitest";
import type { PageNode } from "./graph-model.js";
import { layOut } from "./layout.js";
import type { Layout } from "./layout.js";

const node = (name: string): PageNode => ({ id: `HelmRelease/default/${name}`, kind: "HelmRelease", namespace: "default", name, state: "open", dependencies: [] });
const edge = (from: string, to: string) => ({ from: `HelmRelease/default/${from}`, to: `HelmRelease/default/${to}` });

/** No two cards overlap. */
function overlaps(layout: Layout): number {
  const byColumn = new Map<number, { y: number; height: number }[]>();
  for (const p of layout.nodes) byColumn.set(p.x, [...(byColumn.get(p.x) ?? []), p]);
  let count = 0;
  for (const column of byColumn.values()) {
    column.sort((a, b) => a.y - b.y);
    for (let i = 1; i < column.length; i++) if (column[i]!.y < column[i - 1]!.y + column[i - 1]!.height) count++;
  }
  return count;
}

describe("the page's layout of many nodes", () => {
  it("lays a chain of 10,000 out left to right, dependencies first, without recursion", () => {
    const nodes = Array.from({ length: 10_000 }, (_, i) => node(`app-${i}`));
    const edges = nodes.slice(1).map((_, i) => edge(`app-${i}`, `app-${i + 1}`));
    const layout = layOut(nodes, edges);
    expect(layout.nodes).toHaveLength(10_000);
    expect(layout.edges.every((e) => e.points[0]!.x < e.points.at(-1)!.x)).toBe(true);
    expect(layout.nodes[9999]!.x).toBeGreaterThan(layout.nodes[0]!.x);
    expect(overlaps(layout)).toBe(0);
  });

  it("puts each level of a lattice in a column of its own, in order, every edge going right", () => {
    const nodes: PageNode[] = [];
    const edges: ReturnType<typeof edge>[] = [];
    for (let level = 0; level < 25; level++) {
      for (let i = 0; i < 10; i++) {
        nodes.push(node(`l${level}-${i}`));
        if (level > 0) for (let j = 0; j < 10; j++) edges.push(edge(`l${level - 1}-${j}`, `l${level}-${i}`));
      }
    }
    const layout = layOut(nodes, edges);
    const columns = Array.from({ length: 25 }, (_, level) => new Set(layout.nodes.filter((p) => p.node.name.startsWith(`l${level}-`)).map((p) => p.x)));
    expect(columns.every((xs) => xs.size === 1)).toBe(true);
    const xs = columns.map((set) => [...set][0]!);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(layout.edges).toHaveLength(2400);
    expect(layout.edges.every((e) => e.points[0]!.x < e.points.at(-1)!.x)).toBe(true);
    expect(overlaps(layout)).toBe(0);
  });

  it("places every member of a cycle, and wraps objects unrelated to one another into columns", () => {
    const ring = Array.from({ length: 150 }, (_, i) => node(`cyc-${i}`));
    const layout = layOut(ring, ring.map((_, i) => edge(`cyc-${i}`, `cyc-${(i + 1) % 150}`)));
    expect(layout.nodes.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y))).toBe(true);
    expect(layout.edges).toHaveLength(150);
    expect(overlaps(layout)).toBe(0);
    const loose = layOut(Array.from({ length: 250 }, (_, i) => node(`app-${i}`)), []);
    // 250 cards without an edge: columns of twenty, not one column 250 cards tall.
    expect(new Set(loose.nodes.map((p) => p.x)).size).toBe(13);
    expect(loose.height).toBeLessThan(20 * 80);
    expect(overlaps(loose)).toBe(0);
  });
});
