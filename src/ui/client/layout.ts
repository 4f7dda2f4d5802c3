// Left-to-right layered layout of the drawn nodes with ELK (elkjs, the Eclipse Layout Kernel's
// JavaScript build): dependencies on the left, their dependents to the right, edges routed between
// the layers. ELK runs in the page; nothing is laid out on the server.

import ELK from "elkjs/lib/elk.bundled.js";
import type { ElkExtendedEdge, ElkNode } from "elkjs/lib/elk.bundled.js";
import type { GraphNode, NodeId } from "../graph-snapshot.js";

export interface PlacedNode {
  node: GraphNode;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedEdge {
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

export const NODE_HEIGHT = 44;
const CHAR_WIDTH = 7.4;

export function nodeWidth(node: GraphNode): number {
  // Room for the longest state word ("blocked: NotReady"), so a state change needs no new layout.
  const longest = Math.max(node.name.length, node.namespace.length + 20);
  return Math.max(150, Math.ceil(longest * CHAR_WIDTH) + 28);
}

const elk = new ELK();

const OPTIONS = {
  "elk.algorithm": "layered",
  "elk.direction": "RIGHT",
  "elk.edgeRouting": "POLYLINE",
  "elk.layered.spacing.nodeNodeBetweenLayers": "60",
  "elk.spacing.nodeNode": "18",
  "elk.spacing.componentComponent": "30",
  // Fewer crossing-minimisation sweeps: the layout of a few hundred nodes stays well under a second.
  "elk.layered.thoroughness": "3",
};

export async function layOut(nodes: readonly GraphNode[], edges: readonly { from: NodeId; to: NodeId }[]): Promise<Layout> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const graph: ElkNode = {
    id: "root",
    layoutOptions: OPTIONS,
    children: nodes.map((n) => ({ id: n.id, width: nodeWidth(n), height: NODE_HEIGHT })),
    edges: edges.map((e, i): ElkExtendedEdge => ({ id: `e${i}`, sources: [e.from], targets: [e.to] })),
  };
  const result = await elk.layout(graph);
  const placed: PlacedNode[] = (result.children ?? []).map((c) => ({
    node: byId.get(c.id)!,
    x: c.x ?? 0,
    y: c.y ?? 0,
    width: c.width ?? 0,
    height: c.height ?? 0,
  }));
  const placedEdges: PlacedEdge[] = (result.edges ?? []).map((e, i) => {
    const section = e.sections?.[0];
    const points = section === undefined ? [] : [section.startPoint, ...(section.bendPoints ?? []), section.endPoint];
    return { from: edges[i]!.from, to: edges[i]!.to, points };
  });
  return { width: result.width ?? 0, height: result.height ?? 0, nodes: placed, edges: placedEdges };
}
