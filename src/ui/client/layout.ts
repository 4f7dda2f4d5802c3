// Left-to-right layered layout of the drawn nodes with ELK (elkjs, the Eclipse Layout Kernel's
// JavaScript build): dependencies on the left, their dependents to the right, edges routed between
// the layers. ELK runs in a Web Worker of the page (its script is large: the browser compiles it
// on another thread while the page fetches the graph); nothing is laid out on the server.

import ELK from "elkjs/lib/elk-api.js";
import type { ElkExtendedEdge, ElkNode } from "elkjs/lib/elk-api.js";
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

/** The worker's script: inlined in a static page, else served beside the page's own. */
function elkWorker(): Worker {
  const inline = document.getElementById("elk-worker-source");
  if (inline !== null) return new Worker(URL.createObjectURL(new Blob([inline.textContent ?? ""], { type: "text/javascript" })));
  return new Worker("elk-worker.js");
}

// Started with the page, so the worker is ready by the time the graph has arrived.
const elk = new ELK({ workerFactory: elkWorker });

const OPTIONS = {
  "elk.algorithm": "layered",
  "elk.direction": "RIGHT",
  "elk.edgeRouting": "POLYLINE",
  "elk.layered.spacing.nodeNodeBetweenLayers": "60",
  "elk.spacing.nodeNode": "18",
  // One layered drawing for everything rather than one per connected component packed afterwards,
  // fewer crossing-minimisation sweeps and the simple node placement: a view of a few hundred nodes
  // (the most the page draws) is laid out several times faster, and still reads left to right.
  "elk.separateConnectedComponents": "false",
  "elk.layered.thoroughness": "1",
  "elk.layered.nodePlacement.strategy": "SIMPLE",
};

/**
 * A first layout of a few nodes, sent as soon as the worker exists. ELK's first layout in a fresh
 * worker is several times slower than the next (its classes are set up and its code compiled on
 * first use): measured in Chromium, 250 nodes took ~350 ms first and ~130 ms after. Done while the
 * page still fetches the graph, that cost is paid in parallel instead of before the first view.
 */
function warmUp(): void {
  const box = { width: 150, height: NODE_HEIGHT };
  const graph: ElkNode = {
    id: "warm-up",
    layoutOptions: OPTIONS,
    children: ["a", "b", "c", "d"].map((id) => ({ id, ...box })),
    edges: [
      { id: "ab", sources: ["a"], targets: ["b"] },
      { id: "bc", sources: ["b"], targets: ["c"] },
      { id: "ac", sources: ["a"], targets: ["c"] },
    ],
  };
  // For bench/ui.ts: when the worker had started and laid out its first graph (ms since navigation).
  elk.layout(graph).then(
    () => (document.body.dataset.elkWarmMs = String(Math.round(performance.now()))),
    () => undefined,
  );
}

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

warmUp();
