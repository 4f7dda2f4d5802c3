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
//
// dagre's cost grows faster than the graph: measured in Chromium on the shared machine, 250 nodes of one
// chain took it 0.13–0.3 s and 250 nodes of a lattice (levels of ten, each on all ten before: some 2,200 edges)
// 1.1–1.8 s. Past a hundred nodes or two hundred edges the page therefore lays out with `layered` below:
// the same left-to-right layers, ranks by longest path and one barycentre sweep for the order, linear in
// nodes and edges (a sort within each rank apart), a few milliseconds for the 250 nodes drawn at most.

import { graphlib, layout as dagreLayout } from "@dagrejs/dagre";
import type { EdgeLabel, GraphLabel, NodeLabel } from "@dagrejs/dagre";
import type { NodeId } from "../graph-snapshot.js";
import type { PageNode } from "./graph-model.js";

interface PlacedNode {
  node: PageNode;
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

function nodeWidth(node: PageNode): number {
  // Room for the kind line and the longest state line ("blocked: NotReady · blocks 9999"), so a state
  // change needs no new layout.
  const longest = Math.max(node.name.length, node.kind.length + 3 + node.namespace.length, 30);
  return Math.max(150, Math.ceil(longest * CHAR_WIDTH) + 28);
}

const GRAPH: GraphLabel = { rankdir: "LR", ranksep: 60, nodesep: 18, edgesep: 10, marginx: 0, marginy: 0 };

/** Up to these, dagre (it draws fewer crossings); past either, `layered`. */
const DAGRE_NODES = 100;
const DAGRE_EDGES = 200;

type Edge = { from: NodeId; to: NodeId };

export function layOut(nodes: readonly PageNode[], edges: readonly Edge[]): Layout {
  return nodes.length <= DAGRE_NODES && edges.length <= DAGRE_EDGES ? withDagre(nodes, edges) : layered(nodes, edges);
}

function withDagre(nodes: readonly PageNode[], edges: readonly Edge[]): Layout {
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

/** A rank holds at most this many nodes a column; more (objects unrelated to one another) wrap into columns. */
const ROWS = 20;

/**
 * Layers left to right in time linear in nodes and edges: cycles broken where a depth-first search
 * meets a node on its stack, each node ranked one past its furthest dependency, each rank ordered by the
 * mean place of the dependencies before it (one sweep), then placed in columns of at most ROWS.
 */
function layered(nodes: readonly PageNode[], edges: readonly Edge[]): Layout {
  const count = nodes.length;
  const index = new Map<NodeId, number>();
  nodes.forEach((node, i) => index.set(node.id, i));
  const outs: number[][] = nodes.map(() => []);
  for (const edge of edges) {
    const from = index.get(edge.from);
    const to = index.get(edge.to);
    if (from !== undefined && to !== undefined && from !== to) outs[from]!.push(to);
  }
  // Depth-first, without recursion (a chain of thousands must not overflow the stack): an edge to a node
  // still on the stack closes a cycle and is left out of the ranking.
  const forward: number[][] = nodes.map(() => []);
  const mark = new Uint8Array(count); // 0 unseen, 1 on the stack, 2 done
  for (let root = 0; root < count; root++) {
    if (mark[root] !== 0) continue;
    const stack: [number, number][] = [[root, 0]];
    mark[root] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [v, next] = top;
      if (next === outs[v]!.length) {
        mark[v] = 2;
        stack.pop();
        continue;
      }
      top[1]++;
      const w = outs[v]![next]!;
      if (mark[w] === 1) continue;
      forward[v]!.push(w);
      if (mark[w] === 0) {
        mark[w] = 1;
        stack.push([w, 0]);
      }
    }
  }
  // Ranks by longest path, in topological order (Kahn).
  const ins: number[][] = nodes.map(() => []);
  const pending = new Int32Array(count);
  for (let v = 0; v < count; v++) {
    for (const w of forward[v]!) {
      ins[w]!.push(v);
      pending[w] = pending[w]! + 1;
    }
  }
  const rank = new Int32Array(count);
  const queue: number[] = [];
  for (let v = 0; v < count; v++) if (pending[v] === 0) queue.push(v);
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head]!;
    for (const w of forward[v]!) {
      rank[w] = Math.max(rank[w]!, rank[v]! + 1);
      pending[w] = pending[w]! - 1;
      if (pending[w] === 0) queue.push(w);
    }
  }
  const ranks: number[][] = [];
  for (let v = 0; v < count; v++) (ranks[rank[v]!] ??= []).push(v);
  // Order within a rank: by the mean place of its dependencies (already placed: they rank lower).
  const place = new Float64Array(count);
  for (const members of ranks) {
    if (members === undefined) continue;
    const key = (v: number): number => (ins[v]!.length === 0 ? -1 : ins[v]!.reduce((sum, u) => sum + place[u]!, 0) / ins[v]!.length);
    const keys = new Map(members.map((v) => [v, key(v)]));
    members.sort((a, b) => keys.get(a)! - keys.get(b)! || a - b);
    members.forEach((v, i) => (place[v] = i));
  }
  // Columns: each rank as wide as its widest node, wrapped every ROWS nodes.
  const widths = nodes.map(nodeWidth);
  const rowHeight = NODE_HEIGHT + (GRAPH.nodesep ?? 18);
  const tallest = Math.min(ROWS, Math.max(0, ...ranks.map((members) => members?.length ?? 0)));
  const x = new Float64Array(count);
  const y = new Float64Array(count);
  let left = 0;
  for (const members of ranks) {
    if (members === undefined) continue;
    for (let start = 0; start < members.length; start += ROWS) {
      const column = members.slice(start, start + ROWS);
      const width = Math.max(...column.map((v) => widths[v]!));
      // Centred against the tallest column, as dagre centres its ranks.
      const top = ((tallest - column.length) * rowHeight) / 2;
      column.forEach((v, i) => {
        x[v] = left;
        y[v] = top + i * rowHeight;
      });
      left += width + (GRAPH.ranksep ?? 60);
    }
  }
  const placed: PlacedNode[] = nodes.map((node, v) => ({ node, x: x[v]!, y: y[v]!, width: widths[v]!, height: NODE_HEIGHT }));
  const placedEdges: PlacedEdge[] = [];
  for (const edge of edges) {
    const from = index.get(edge.from);
    const to = index.get(edge.to);
    if (from === undefined || to === undefined) continue;
    placedEdges.push({
      from: edge.from,
      to: edge.to,
      points: [
        { x: x[from]! + widths[from]!, y: y[from]! + NODE_HEIGHT / 2 },
        { x: x[to]!, y: y[to]! + NODE_HEIGHT / 2 },
      ],
    });
  }
  return { width: Math.max(0, left - (GRAPH.ranksep ?? 60)), height: tallest * rowHeight - (tallest > 0 ? GRAPH.nodesep ?? 18 : 0), nodes: placed, edges: placedEdges };
}
