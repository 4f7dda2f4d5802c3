// `releasegate graph`: the dependency graph of the manifests under PATH as DOT, Mermaid, JSON or the
// HTML page, one graph per cluster (the clusters `releasegate check` sees, built by its own pass in
// repository-view.ts) across kinds, nodes `Kind/ns/name`, with the cycles, missing dependencies and
// duplicates check reports marked, and no status (docs/behaviour.md, "Offline views").
import { basename, resolve } from "node:path";
import { kindOfNode, objectKeyOf } from "../graph/index.js";
import type { NodeKey, ObjectKey } from "../graph/types.js";
import { readRepository } from "../manifests/index.js";
import { oneOf, parseCommandLine, UsageError } from "./args.js";
import { jsonProblem } from "./check.js";
import type { ReportedProblem } from "./check.js";
import type { CommandIo } from "./io.js";
import { clusterView } from "./repository-view.js";
import type { ClusterView } from "./repository-view.js";

const graphUsage = `Usage: releasegate graph [options] PATH...

Prints the dependsOn graph of the Flux HelmReleases, Kustomizations and ResourceSets under PATH (file,
folder or -), one graph per cluster that 'releasegate check' finds, across kinds, with the cycles,
missing dependencies and duplicates check reports marked. Files carry no status: an object is shown
blocked only when a cycle or a missing dependency blocks it for ever.

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
  nodes: {
    id: NodeKey;
    kind: string;
    object: ObjectKey;
    level: number | null;
    cycle: boolean;
    /** Defined more than once in the cluster (check's `duplicate`). */
    duplicate: boolean;
    /** Structural only: "blocked" on a cycle or behind a missing dependency or a cycle, else "unknown" (no status offline). */
    state: string;
    reason?: string;
  }[];
  edges: GraphEdge[];
  cycles: NodeKey[][];
  /** Dependencies check reports missing. */
  missing: NodeKey[];
  /** What `check` reports for this cluster, in its words. */
  problems: ReportedProblem[];
}

/** One cluster's graph across kinds, with what check reports for it. */
function describe(view: ClusterView): ClusterGraph {
  const { graph, cycles } = view;
  // Each cycle is one strongly connected component: an edge is on a cycle when both ends share one.
  const component = new Map<NodeKey, number>();
  cycles.forEach((cycle, index) => cycle.forEach((key) => component.set(key, index)));
  const byId = new Map(view.snapshot.nodes.map((node) => [node.id, node]));
  const keys = [...graph.keys()].sort();
  const nodes = keys.map((key) => {
    const node = byId.get(key);
    return {
      id: key,
      kind: kindOfNode(key),
      object: objectKeyOf(key),
      level: node?.depth ?? null,
      cycle: component.has(key),
      duplicate: view.duplicates.has(key),
      state: node?.state ?? "unknown",
      ...(node?.reason === undefined ? {} : { reason: node.reason }),
    };
  });
  const edges: GraphEdge[] = [];
  for (const key of keys) {
    for (const to of graph.dependencyKeys(key)) {
      const cycle = component.has(key) && component.get(key) === component.get(to);
      edges.push({ from: key, to, missing: !graph.has(to), cycle });
    }
  }
  return { cluster: view.cluster, nodes, edges, cycles: cycles.map((cycle) => [...cycle]), missing: [...view.missing], problems: view.problems.map(jsonProblem) };
}

/** A node as people read it: `HelmRelease flux-system/redis`. */
function labelOf(key: NodeKey): string {
  return `${kindOfNode(key)} ${objectKeyOf(key)}`;
}

/** Node ids are unique across clusters: the cluster's name comes first when there are several. */
function nodeId(graph: ClusterGraph, key: NodeKey): string {
  return graph.cluster === "." ? key : `${graph.cluster}:${key}`;
}

/** What a node's label adds to its name: on a cycle, defined twice, structurally blocked. */
function marks(node: ClusterGraph["nodes"][number]): string {
  const parts = [node.cycle ? "cycle" : "", node.duplicate ? "defined twice" : "", !node.cycle && node.state === "blocked" && node.reason !== undefined ? `blocked: ${node.reason}` : ""].filter((p) => p !== "");
  return parts.length === 0 ? "" : ` (${parts.join(", ")})`;
}

/** Mermaid node text: its own quotes would end the label. */
function mermaidText(text: string): string {
  return text.replace(/"/g, "#quot;");
}

function toDot(graphs: ClusterGraph[]): string {
  const quote = (text: string) => JSON.stringify(text);
  const lines = ["digraph releasegate {", "  rankdir=BT;", "  node [shape=box];"];
  for (const graph of graphs) {
    const nested = graph.cluster !== ".";
    const pad = nested ? "    " : "  ";
    if (nested) lines.push(`  subgraph ${quote(`cluster_${graph.cluster}`)} {`, `    label=${quote(graph.cluster)};`);
    // check's words for what it reports here, as comments: the drawing marks the same places.
    for (const problem of graph.problems) lines.push(`${pad}// ${problem.type}: ${problem.object}: ${problem.message.replace(/\n/g, " ")}`);
    for (const node of graph.nodes) {
      const style = (node.cycle ? ", color=red" : "") + (node.duplicate ? ", peripheries=2" : "");
      lines.push(`${pad}${quote(nodeId(graph, node.id))} [label=${quote(labelOf(node.id) + marks(node))}${style}];`);
    }
    const missing = new Set<NodeKey>();
    for (const edge of graph.edges) {
      if (edge.missing && !missing.has(edge.to) && graph.missing.includes(edge.to)) {
        missing.add(edge.to);
        lines.push(`${pad}${quote(nodeId(graph, edge.to))} [label=${quote(`${labelOf(edge.to)} (missing)`)}, style=dashed, color=orange];`);
      }
      const style = edge.cycle ? " [color=red]" : edge.missing ? (graph.missing.includes(edge.to) ? " [style=dashed, color=orange]" : " [style=dotted]") : "";
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
  const cycleNodes: string[] = [];
  let link = 0;
  graphs.forEach((graph, index) => {
    const nested = graph.cluster !== ".";
    const pad = nested ? "    " : "  ";
    if (nested) lines.push(`  subgraph g${index}["${graph.cluster}"]`);
    for (const problem of graph.problems) lines.push(`${pad}%% ${problem.type}: ${problem.object}: ${problem.message.replace(/\n/g, " ")}`);
    for (const node of graph.nodes) lines.push(`${pad}${id(nodeId(graph, node.id))}["${mermaidText(labelOf(node.id) + marks(node))}"]`);
    for (const node of graph.nodes) if (node.cycle) cycleNodes.push(id(nodeId(graph, node.id)));
    const missing = new Set<NodeKey>();
    for (const edge of graph.edges) {
      if (edge.missing && !missing.has(edge.to) && graph.missing.includes(edge.to)) {
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
  if (cycleNodes.length > 0) lines.push(`  style ${cycleNodes.join(",")} stroke:red`);
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
  // One view per cluster check finds, built by check's own per-cluster pass.
  const views = clusters.map((cluster) => clusterView(cluster));
  if (format === "html") {
    const { staticGraphPage } = await import("../ui/static-page.js");
    io.stdout(staticGraphPage(views.map((view) => view.snapshot), `releasegate · ${positionals.map(shownPath).join(" ")}`));
    return 0;
  }
  const graphs = views.map(describe);
  if (format === "json") io.stdout(`${JSON.stringify({ graphs }, null, 2)}\n`);
  else io.stdout(format === "dot" ? toDot(graphs) : toMermaid(graphs));
  return 0;
}

/** A PATH as a title names it: "." and ".." are named by the folder they are. */
function shownPath(path: string): string {
  return path === "." || path === ".." || path === "./" ? `${basename(resolve(path))} (${path})` : path;
}
