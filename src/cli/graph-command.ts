// `releasegate graph`: the dependency graph of the manifests under PATH as DOT, Mermaid or JSON, one
// graph per cluster (the clusters `releasegate check` sees) across kinds, nodes `Kind/ns/name`, with
// cycle edges and missing dependencies marked.
import { DependencyGraph, findCycles, kindOfNode, objectKeyOf, topologicalLevels } from "../graph/index.js";
import type { NodeKey, ObjectKey } from "../graph/types.js";
import { readRepository } from "../manifests/index.js";
import { oneOf, parseCommandLine, UsageError } from "./args.js";
import type { CommandIo } from "./io.js";

export const graphUsage = `Usage: releasegate graph [options] PATH...

Prints the dependsOn graph of the Flux HelmReleases and Kustomizations under PATH (file, folder or -),
one graph per cluster across kinds, with cycles and missing dependencies marked.

Options:
  --format dot|mermaid|json|html  output format (default dot); html: the graph page as one file
  --default-namespace NAME        namespace of objects that name none (default "default")
  -h, --help                      show this help`;

interface GraphEdge {
  /** Node ids: `Kind/ns/name`, since an edge may cross kinds (a ResourceSet's dependsOn names any kind). */
  from: NodeKey;
  to: NodeKey;
  missing: boolean;
  cycle: boolean;
}

interface ClusterGraph {
  /** The cluster's name ("." for everything under a PATH with no Flux Kustomization). */
  cluster: string;
  nodes: { id: NodeKey; kind: string; object: ObjectKey; level: number | null; cycle: boolean }[];
  edges: GraphEdge[];
  cycles: NodeKey[][];
}

/** One cluster's graph across kinds. */
function describe(cluster: string, graph: DependencyGraph): ClusterGraph {
  const cycles = findCycles(graph);
  // Each cycle is one strongly connected component: an edge is on a cycle when both ends share one.
  const component = new Map<NodeKey, number>();
  cycles.forEach((cycle, index) => cycle.forEach((key) => component.set(key, index)));
  const { levels } = topologicalLevels(graph);
  const levelOf = new Map<NodeKey, number>();
  levels.forEach((keys, level) => keys.forEach((key) => levelOf.set(key, level)));

  const keys = [...graph.keys()].sort();
  const nodes = keys.map((key) => ({ id: key, kind: kindOfNode(key), object: objectKeyOf(key), level: levelOf.get(key) ?? null, cycle: component.has(key) }));
  const edges: GraphEdge[] = [];
  for (const key of keys) {
    for (const to of graph.dependencyKeys(key)) {
      const cycle = component.has(key) && component.get(key) === component.get(to);
      edges.push({ from: key, to, missing: !graph.has(to), cycle });
    }
  }
  return { cluster, nodes, edges, cycles: cycles.map((cycle) => [...cycle]) };
}

/** A node as people read it: `HelmRelease flux-system/redis`. */
function labelOf(key: NodeKey): string {
  return `${kindOfNode(key)} ${objectKeyOf(key)}`;
}

/** Node ids are unique across clusters: the cluster's name comes first when there are several. */
function nodeId(graph: ClusterGraph, key: NodeKey): string {
  return graph.cluster === "." ? key : `${graph.cluster}:${key}`;
}

function toDot(graphs: ClusterGraph[]): string {
  const quote = (text: string) => JSON.stringify(text);
  const lines = ["digraph releasegate {", "  rankdir=BT;", "  node [shape=box];"];
  for (const graph of graphs) {
    const nested = graph.cluster !== ".";
    const pad = nested ? "    " : "  ";
    if (nested) lines.push(`  subgraph ${quote(`cluster_${graph.cluster}`)} {`, `    label=${quote(graph.cluster)};`);
    for (const node of graph.nodes) {
      const style = node.cycle ? ", color=red" : "";
      lines.push(`${pad}${quote(nodeId(graph, node.id))} [label=${quote(labelOf(node.id))}${style}];`);
    }
    const missing = new Set<NodeKey>();
    for (const edge of graph.edges) {
      if (edge.missing && !missing.has(edge.to)) {
        missing.add(edge.to);
        lines.push(`${pad}${quote(nodeId(graph, edge.to))} [label=${quote(`${labelOf(edge.to)} (missing)`)}, style=dashed, color=orange];`);
      }
      const style = edge.cycle ? " [color=red]" : edge.missing ? " [style=dashed, color=orange]" : "";
      lines.push(`${pad}${quote(nodeId(graph, edge.from))} -> ${quote(nodeId(graph, edge.to))}${style};`);
    }
    if (nested) lines.push("  }");
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

function toMermaid(graphs: ClusterGraph[]): string {
  const ids = new Map<string, string>();
  const id = (full: string) => {
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
    const nested = graph.cluster !== ".";
    const pad = nested ? "    " : "  ";
    if (nested) lines.push(`  subgraph g${index}["${graph.cluster}"]`);
    for (const node of graph.nodes) lines.push(`${pad}${id(nodeId(graph, node.id))}["${labelOf(node.id)}"]`);
    const missing = new Set<NodeKey>();
    for (const edge of graph.edges) {
      if (edge.missing && !missing.has(edge.to)) {
        missing.add(edge.to);
        lines.push(`${pad}${id(nodeId(graph, edge.to))}["${labelOf(edge.to)} (missing)"]`);
      }
      lines.push(`${pad}${id(nodeId(graph, edge.from))} -->${edge.cycle ? "|cycle|" : ""} ${id(nodeId(graph, edge.to))}`);
      if (edge.cycle) cycleLinks.push(link);
      link++;
    }
    if (nested) lines.push("  end");
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

  // One graph per cluster, across kinds: a ResourceSet's edge to a HelmRelease joins the two.
  const graphs = clusters.map((cluster) => {
    const graph = new DependencyGraph();
    for (const object of cluster.objects) graph.upsert(object);
    return describe(cluster.name, graph);
  });
  if (format === "json") io.stdout(`${JSON.stringify({ graphs }, null, 2)}\n`);
  else io.stdout(format === "dot" ? toDot(graphs) : toMermaid(graphs));
  return 0;
}
