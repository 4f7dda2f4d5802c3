// `releasegate graph`: the dependency graph of the manifests under PATH as DOT, Mermaid or JSON, one
// subgraph per cluster and kind (the clusters `releasegate check` sees), with cycle edges and missing
// dependencies marked.
import { DependencyGraph, findCycles, objectKeyOf, topologicalLevels } from "../graph/index.js";
import type { FluxKind, NodeKey, ObjectKey } from "../graph/types.js";
import { readRepository } from "../manifests/index.js";
import { oneOf, parseCommandLine, UsageError } from "./args.js";
import type { CommandIo } from "./io.js";

export const graphUsage = `Usage: releasegate graph [options] PATH...

Prints the dependsOn graph of the Flux HelmReleases and Kustomizations under PATH (file, folder or -),
one subgraph per cluster and kind, with cycles and missing dependencies marked.

Options:
  --format dot|mermaid|json|html  output format (default dot); html: the graph page as one file
  --default-namespace NAME        namespace of objects that name none (default "default")
  -h, --help                      show this help`;

interface GraphEdge {
  from: ObjectKey;
  to: ObjectKey;
  missing: boolean;
  cycle: boolean;
}

interface KindGraph {
  /** The cluster's name ("." for everything under a PATH with no Flux Kustomization). */
  cluster: string;
  kind: FluxKind;
  nodes: { id: ObjectKey; level: number | null; cycle: boolean }[];
  edges: GraphEdge[];
  cycles: ObjectKey[][];
}

/** One kind's graph in a cluster (its nodes are `Kind/ns/name`; shown as `ns/name`). */
function describe(cluster: string, kind: FluxKind, graph: DependencyGraph): KindGraph {
  const cycles = findCycles(graph);
  // Each cycle is one strongly connected component: an edge is on a cycle when both ends share one.
  const component = new Map<NodeKey, number>();
  cycles.forEach((cycle, index) => cycle.forEach((key) => component.set(key, index)));
  const { levels } = topologicalLevels(graph);
  const levelOf = new Map<NodeKey, number>();
  levels.forEach((keys, level) => keys.forEach((key) => levelOf.set(key, level)));

  const keys = [...graph.keys()].sort();
  const nodes = keys.map((key) => ({ id: objectKeyOf(key), level: levelOf.get(key) ?? null, cycle: component.has(key) }));
  const edges: GraphEdge[] = [];
  for (const key of keys) {
    for (const to of graph.dependencyKeys(key)) {
      const cycle = component.has(key) && component.get(key) === component.get(to);
      edges.push({ from: objectKeyOf(key), to: objectKeyOf(to), missing: !graph.has(to), cycle });
    }
  }
  return { cluster, kind, nodes, edges, cycles: cycles.map((cycle) => cycle.map(objectKeyOf)) };
}

/** "HelmRelease" for the one cluster of a plain folder, "clusters/prod HelmRelease" otherwise. */
function prefixOf(graph: KindGraph): string {
  return graph.cluster === "." ? graph.kind : `${graph.cluster}/${graph.kind}`;
}

function toDot(graphs: KindGraph[]): string {
  const quote = (text: string) => JSON.stringify(text);
  const lines = ["digraph releasegate {", "  rankdir=BT;", "  node [shape=box];"];
  for (const graph of graphs) {
    const prefix = prefixOf(graph);
    lines.push(`  subgraph ${quote(`cluster_${prefix}`)} {`, `    label=${quote(prefix)};`);
    for (const node of graph.nodes) {
      const style = node.cycle ? ", color=red" : "";
      lines.push(`    ${quote(`${prefix}/${node.id}`)} [label=${quote(node.id)}${style}];`);
    }
    for (const edge of graph.edges) {
      if (edge.missing) {
        lines.push(`    ${quote(`${prefix}/${edge.to}`)} [label=${quote(`${edge.to} (missing)`)}, style=dashed, color=orange];`);
      }
      const style = edge.cycle ? " [color=red]" : edge.missing ? " [style=dashed, color=orange]" : "";
      lines.push(`    ${quote(`${prefix}/${edge.from}`)} -> ${quote(`${prefix}/${edge.to}`)}${style};`);
    }
    lines.push("  }");
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

function toMermaid(graphs: KindGraph[]): string {
  const ids = new Map<string, string>();
  const id = (prefix: string, key: ObjectKey) => {
    const full = `${prefix}/${key}`;
    let short = ids.get(full);
    if (short === undefined) {
      short = `n${ids.size}`;
      ids.set(full, short);
    }
    return short;
  };
  const lines = ["flowchart BT"];
  const cycleLinks: number[] = [];
  let link = 0;
  graphs.forEach((graph, index) => {
    const prefix = prefixOf(graph);
    lines.push(graph.cluster === "." ? `  subgraph ${graph.kind}` : `  subgraph g${index}["${prefix}"]`);
    for (const node of graph.nodes) lines.push(`    ${id(prefix, node.id)}["${node.id}"]`);
    for (const edge of graph.edges) {
      if (edge.missing) lines.push(`    ${id(prefix, edge.to)}["${edge.to} (missing)"]`);
      lines.push(`    ${id(prefix, edge.from)} -->${edge.cycle ? "|cycle|" : ""} ${id(prefix, edge.to)}`);
      if (edge.cycle) cycleLinks.push(link);
      link++;
    }
    lines.push("  end");
  });
  if (cycleLinks.length > 0) lines.push(`  linkStyle ${cycleLinks.join(",")} stroke:red`);
  return `${lines.join("\n")}\n`;
}

export async function runGraph(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandLine(
    argv,
    { format: { type: "string" }, "default-namespace": { type: "string" }, help: { type: "boolean", short: "h" } },
    "graph",
  );
  if (values.help === true) {
    io.stdout(`${graphUsage}\n`);
    return 0;
  }
  const format = oneOf(values.format, ["dot", "mermaid", "json", "html"] as const, "--format", "dot");
  if (positionals.length === 0) throw new UsageError("no PATH given");
  const { clusters } = await readRepository(positionals, { defaultNamespace: values["default-namespace"] ?? "default", stdin: io.stdin });
  if (format === "html") {
    io.stdout((await import("../ui/static-page.js")).staticGraphPage(clusters.flatMap((cluster) => cluster.objects), `releasegate · ${positionals.join(" ")}`));
    return 0;
  }

  const graphs: KindGraph[] = [];
  for (const cluster of clusters) {
    const byKind = new Map<FluxKind, DependencyGraph>();
    for (const object of cluster.objects) {
      let graph = byKind.get(object.kind);
      if (graph === undefined) byKind.set(object.kind, (graph = new DependencyGraph()));
      graph.upsert(object);
    }
    const kinds = [...byKind].sort(([a], [b]) => a.localeCompare(b));
    graphs.push(...kinds.map(([kind, graph]) => describe(cluster.name, kind, graph)));
  }
  if (format === "json") io.stdout(`${JSON.stringify({ graphs }, null, 2)}\n`);
  else io.stdout(format === "dot" ? toDot(graphs) : toMermaid(graphs));
  return 0;
}
