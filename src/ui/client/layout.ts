// Left-to-right layered layout of the drawn nodes with dagre (@dagrejs/dagre, a Sugiyama-style layered
// layout: ranks by network simplex, crossings reduced by sweeps, edges routed between the ranks):
// dependencies on the left, their dependents to the right.
//
// Why dagre and not ELK (elkjs), which the page used first: ELK's JavaScript is a 1.6 MB compiled
// Java program. Measured in Chromium on a quiet machine, its worker took 0.2–0.26 s to start and its
// first layout of 250 nodes 0.35–0.48 s more (the code is compiled on first use; later layouts took
// 0.12–0.25 s), so a first view could hardly come in under a second however few nodes were drawn.
// dagre is 50 KB inside the page's script, loads in 25–45 ms and lays the same 250 nodes out in
// 0.1–0.2 s cold (on the shared machine under load: 0.3 s, against ELK's 2 s). It runs on the page's
// own thread: the page draws at most 250 nodes (graph-model.ts, MAX_DRAWN), and nothing is laid out
// on the server.

import { graphlib, layout as dagreLayout } from "@dagrejs/dagre";
import type { EdgeLabel, GraphLabel, NodeLabel } from "@dagrejs/dagre";
import type { GraphNode, NodeId } from "../graph-snapshot.js";

interface PlacedNode {
  node: GraphNode;
  /** The top-left corner. */
  x: number;
  y: number;
  width: number;
  height: number;
}

interface PlacedEdge {
  from: NodeId;
  to: NodeId;
  points: { x: number; y: number }[];
}

export interface Layout {
  width: number;
  height: number;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
}

const NODE_HEIGHT = 58;
const CHAR_WIDTH = 7.4;

function nodeWidth(node: GraphNode): number {
  // Room for the kind line and the longest state line ("blocked: NotReady · blocks 9999"), so a state
  // change needs no new layout.
  const longest = Math.max(node.name.length, node.kind.length + 3 + node.namespace.length, 30);
  return Math.max(150, Math.ceil(longest * CHAR_WIDTH) + 28);
}

const GRAPH: GraphLabel = { rankdir: "LR", ranksep: 60, nodesep: 18, edgesep: 10, marginx: 0, marginy: 0 };

export function layOut(nodes: readonly GraphNode[], edges: readonly { from: NodeId; to: NodeId }[]): Layout {
  const graph = new graphlib.Graph<GraphLabel, NodeLabel, EdgeLabel>();
  graph.setGraph({ ...GRAPH });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) graph.setNode(node.id, { width: nodeWidth(node), height: NODE_HEIGHT });
  for (const edge of edges) graph.setEdge(edge.from, edge.to);
  dagreLayout(graph);
  const placed: PlacedNode[] = nodes.map((node) => {
    const label = graph.node(node.id);
    // dagre places a node by its centre.
    return { node, x: (label.x ?? 0) - label.width / 2, y: (label.y ?? 0) - label.height / 2, width: label.width, height: label.height };
  });
  const placedEdges: PlacedEdge[] = edges.map((edge) => ({ from: edge.from, to: edge.to, points: graph.edge(edge.from, edge.to)?.points ?? [] }));
  const size = graph.graph();
  return { width: size.width ?? 0, height: size.height ?? 0, nodes: placed, edges: placedEdges };
}
