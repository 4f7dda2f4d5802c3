// What every offline view of a repository draws (`graph` in each format, `graph --format html`, `why
// --from`): one graph per cluster that `check` finds, with exactly the problems `check` reports for it
// (its own per-cluster build, checkCluster), and no status, since manifests carry none. An object is
// shown blocked only when the structure alone blocks it for ever — it is on a dependency cycle, or it
// depends (directly or through others) on a cycle or on a dependency `check` reports missing; every
// other object's gate is "unknown" offline (docs/behaviour.md, "Offline views").

import { blockedMessage, cycleMessage, sharedNameIn, DependencyGraph, findCycles, kindOfNode, missingMessage, objectKeyOf, resolveDependencies, topologicalLevels } from "../graph/index.js";
import { PATH_TAIL } from "../graph/gate-path.js";
import type { BlockedGate, BlockedReason, NodeKey } from "../graph/types.js";
import type { CheckOptions } from "../graph/index.js";
import type { ClusterManifests, ManifestObject } from "../manifests/index.js";
import { ghostOf } from "../ui/graph-nodes.js";
import type { GraphNode, GraphSnapshot, SnapshotProblem } from "../ui/graph-snapshot.js";
import { checkCluster } from "./check.js";
import type { ReportedProblem } from "./check.js";

/** A path to a root cause is walked at most this far (a view's memory stays linear in the graph). */
const MAX_PATH = 64;

/** A block found from the structure alone, with its path (at most MAX_PATH hops, kept per node: files are small). */
interface StructuralGate {
  state: "blocked";
  reason: BlockedReason;
  rootCause: NodeKey;
  rootCauseMessage: string;
  path: NodeKey[];
}

/** The Events' words for a structural block: its path shown as gate-path.ts bounds it. */
function structuralMessage(gate: StructuralGate, kind: string, onCycle: boolean): string {
  const { path } = gate;
  const blocked: BlockedGate = { state: "blocked", reason: gate.reason, rootCause: gate.rootCause, rootCauseMessage: gate.rootCauseMessage, via: path[0]!, depth: path.length, tail: path.slice(-PATH_TAIL), ...(onCycle ? { onCycle: true as const } : {}) };
  const shown = path.length <= 2 * PATH_TAIL ? { head: path.slice(0, Math.max(0, path.length - PATH_TAIL)), omitted: 0, tail: path.slice(-PATH_TAIL) } : { head: path.slice(0, PATH_TAIL), omitted: path.length - 2 * PATH_TAIL, tail: path.slice(-PATH_TAIL) };
  return blockedMessage(blocked, kind, shown);
}

export interface ClusterView {
  /** The cluster's name as `check` gives it ("." for a PATH with no Flux Kustomization). */
  cluster: string;
  graph: DependencyGraph;
  /** Closed paths of nodes, as findCycles gives them (the cycles `check` reports). */
  cycles: NodeKey[][];
  /** Dependencies `check` reports missing (not those it calls unverified). */
  missing: ReadonlySet<NodeKey>;
  /** Objects `check` reports defined twice. */
  duplicates: ReadonlySet<NodeKey>;
  /** Every problem `check` reports for the cluster, in its words. */
  problems: ReportedProblem[];
  /** The page's nodes: the objects, then a ghost per missing dependency. */
  snapshot: GraphSnapshot;
}

/** `check` leaves out dependsOn entries that still hold a `${VAR}` (their value is in the cluster): so do the views. */
function withoutUnresolvedEntries(object: ManifestObject): ManifestObject {
  const unresolved = (text: string | undefined) => text?.includes("${") === true;
  const dependsOn = object.dependsOn.filter((entry) => !unresolved(entry.name) && !unresolved(entry.namespace));
  return dependsOn.length === object.dependsOn.length ? object : { ...object, dependsOn };
}

function rank(reason: BlockedReason): number {
  return reason === "Cycle" ? 0 : 1;
}

/** One cluster as the offline views show it. */
export function clusterView(cluster: ClusterManifests, options: CheckOptions = { crossNamespace: "allow" }): ClusterView {
  const problems = checkCluster(cluster, options);
  const graph = new DependencyGraph();
  for (const object of cluster.objects) graph.upsert(withoutUnresolvedEntries(object));
  const cycles = findCycles(graph);

  // check's problems by what they are about, read once (a repository may hold tens of thousands).
  const duplicated = new Set<string>();
  const missingNamed = new Set<string>();
  for (const p of problems) {
    if (p.type === "duplicate") duplicated.add(`${p.kind}/${p.object}`);
    else if (p.type === "missing" && p.dependency !== undefined) missingNamed.add(`${p.kind}/${p.object}\u0000${p.dependency}`);
  }
  const missing = new Set<NodeKey>();
  const duplicates = new Set<NodeKey>();
  for (const key of graph.keys()) {
    if (duplicated.has(key)) duplicates.add(key);
    for (const dep of graph.dependencyKeys(key)) {
      if (graph.has(dep)) continue;
      // check names a missing dependency by `ns/name`; an unverified one (a template might make it) is not missing.
      if (missingNamed.has(`${key}\u0000${objectKeyOf(dep)}`)) missing.add(dep);
    }
  }

  // Structural blocks, nearest first: cycle members, then dependents of a missing dependency, then
  // everything behind them (breadth first over the dependents, so each path is a shortest one).
  const gates = new Map<NodeKey, StructuralGate>();
  const dependents = new Map<NodeKey, NodeKey[]>();
  for (const key of graph.keys()) {
    for (const dep of graph.dependencyKeys(key)) {
      let list = dependents.get(dep);
      if (list === undefined) dependents.set(dep, (list = []));
      list.push(key);
    }
  }
  const queue: NodeKey[] = [];
  for (const cycle of cycles) {
    const members = cycle.slice(0, -1);
    const message = cycleMessage(cycle, sharedNameIn((node) => graph.has(node)));
    members.forEach((member, i) => {
      const round = [...members.slice(i + 1), ...members.slice(0, i + 1)];
      gates.set(member, { state: "blocked", reason: "Cycle", rootCause: cycle[0]!, rootCauseMessage: message, path: round });
      queue.push(member);
    });
  }
  for (const ghost of [...missing].sort()) {
    for (const dependent of dependents.get(ghost) ?? []) {
      const before = gates.get(dependent);
      if (before !== undefined && rank(before.reason) <= rank("Missing")) continue;
      gates.set(dependent, { state: "blocked", reason: "Missing", rootCause: ghost, rootCauseMessage: missingMessage(kindOfNode(ghost), objectKeyOf(ghost)), path: [ghost] });
      queue.push(dependent);
    }
  }
  // Cycle blocks first: a dependent reached by both is blocked by the cycle (Flux's precedence).
  queue.sort((a, b) => rank(gates.get(a)!.reason) - rank(gates.get(b)!.reason));
  for (let i = 0; i < queue.length; i++) {
    const from = queue[i]!;
    const gate = gates.get(from)!;
    for (const dependent of dependents.get(from) ?? []) {
      const before = gates.get(dependent);
      if (before !== undefined && rank(before.reason) <= rank(gate.reason)) continue;
      const path = [from, ...gate.path].slice(0, MAX_PATH);
      gates.set(dependent, { ...gate, path });
      queue.push(dependent);
    }
  }

  const { levels } = topologicalLevels(graph);
  const depth = new Map<NodeKey, number>();
  levels.forEach((keys, level) => keys.forEach((key) => depth.set(key, level)));
  const onCycle = new Set(cycles.flatMap((cycle) => cycle));
  const problemsOf = new Map<NodeKey, string[]>();
  for (const problem of problems) {
    const key = `${problem.kind}/${problem.object}`;
    let list = problemsOf.get(key);
    if (list === undefined) problemsOf.set(key, (list = []));
    list.push(`${problem.file === "" ? "" : `${problem.file}:${problem.line}: `}${problem.message}`);
  }

  const nodes: GraphNode[] = [];
  for (const key of [...graph.keys()].sort()) {
    const object = graph.get(key)!;
    const kind = kindOfNode(key);
    const dependencies = [...new Set(resolveDependencies(object).map((d) => d.node))];
    const gate = gates.get(key);
    const node: GraphNode = {
      id: key,
      kind,
      namespace: object.namespace,
      name: object.name,
      state: gate === undefined ? "unknown" : "blocked",
      message: gate === undefined ? offlineMessage(dependencies) : structuralMessage(gate, kind, onCycle.has(key)),
      conditions: [],
      dependencies,
    };
    if (gate !== undefined) {
      node.reason = gate.reason;
      node.rootCause = gate.rootCause;
      node.path = gate.path;
      node.rootCauseMessage = gate.rootCauseMessage;
    }
    if (onCycle.has(key)) node.cycle = true;
    const level = depth.get(key);
    if (level !== undefined) node.depth = level;
    if (duplicates.has(key)) node.duplicate = true;
    const own = problemsOf.get(key);
    if (own !== undefined) node.problems = own;
    nodes.push(node);
  }
  for (const ghost of [...missing].sort()) nodes.push(ghostOf("", ghost));
  const snapshotProblems: SnapshotProblem[] = problems.map((p) => ({ type: p.type, kind: p.kind, object: p.object, file: p.file, line: p.line, message: p.message }));
  return {
    cluster: cluster.name,
    graph,
    cycles,
    missing,
    duplicates,
    problems,
    snapshot: { generatedAt: new Date().toISOString(), source: "files", cluster: cluster.name, problems: snapshotProblems, nodes },
  };
}

/** An object whose gate only the cluster can tell: what it waits for, said plainly. */
function offlineMessage(dependencies: readonly NodeKey[]): string {
  if (dependencies.length === 0) return "no dependencies (from files: no status)";
  const shown = dependencies.slice(0, 5).map((dep) => `${kindOfNode(dep)} ${objectKeyOf(dep)}`);
  const more = dependencies.length > shown.length ? ` and ${dependencies.length - shown.length} more` : "";
  return `waits for ${shown.join(", ")}${more} to be Ready (from files: no status)`;
}
