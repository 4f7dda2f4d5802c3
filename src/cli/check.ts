// `releasegate check`: the graph engine offline, for CI pipelines on a GitOps repo, one graph per
// cluster of what Flux would apply (docs/behaviour.md, What check sees).
// Exit 0: no problem; 1: problems found; 2: bad usage or unreadable input, or no Flux object at all.
import { cycleProblemMessage, DependencyGraph, findProblems, kindOfNode, sharedNameIn, type CheckOptions } from "../graph/index.js";
import type { ObjectKey, Problem } from "../graph/types.js";
import { dependencyLineOf, readRepository, type ClusterManifests, type ManifestObject, type SourceLocation } from "../manifests/index.js";
import { CRD_KIND, isFluxCrd } from "../manifests/flux-crds.js";
import { unreadKindMessage, unverifiedMessage } from "../manifests/manifest-messages.js";
import { orderWarnings } from "../manifests/order-warnings.js";

/** The kinds whose objects check reads from the repo; a dependency of any other kind cannot be judged missing. */
const GRAPH_KINDS: ReadonlySet<string> = new Set(["HelmRelease", "Kustomization", "ResourceSet"]);
import { oneOf, parseCommandLine, UsageError } from "./args.js";
import { addPrettyJson, ChunkedOutput } from "./chunked-output.js";
import type { CommandIo } from "./io.js";

const checkUsage = `Usage: releasegate check [options] PATH...

Checks the dependsOn graph of every Flux HelmRelease and Kustomization that Flux would apply from PATH
(a file, a folder searched recursively for *.yaml, *.yml and *.json, or - for stdin), cluster by
cluster, for cycles, missing dependencies, invalid entries, objects defined twice, objects without a
namespace, bootstrap order (a warning) and, optionally, cross-namespace references.

Options:
  --output text|json|github     output format (default text; github prints workflow annotations)
  --cross-namespace allow|deny  report dependencies in another namespace (default allow)
  --cluster NAME                check only this cluster (its entry folder, or the folder's last name)
  --include-unreached           list the files no Flux build applies (never checked)
  --strict                      fail on warnings too: unverified dependencies (ones only a ResourceSet
                                template might make) and bootstrap order (a HelmRelease whose dependency
                                another Kustomization applies, without its own depending on that one)
  --allow-empty                 exit 0 when PATH holds no Flux object
  --default-namespace NAME      namespace of objects applied without Flux that name none (default "default")
  --ignore-missing              do not report missing dependencies (checking part of a repo)
  -h, --help                    show this help

Exit status: 0 no problem, 1 problems found, 2 bad usage, unreadable input or no Flux object.`;

/** The problem types of the documented JSON output. */
type ReportedType = "cycle" | "missing" | "invalid" | "cross-namespace" | "duplicate" | "unverified" | "no-namespace" | "build" | "order";

/** Warnings: reported, but failing the check only with --strict. */
const WARNING_TYPES: ReadonlySet<ReportedType> = new Set(["unverified", "order"]);

export interface ReportedProblem {
  type: ReportedType;
  kind: string;
  object: ObjectKey;
  dependency?: ObjectKey;
  cycle?: ObjectKey[];
  cluster: string;
  file: string;
  line: number;
  message: string;
  /** The message with every cycle member's kind, for the JSON output (read by programs, out of context). */
  messageWithKinds?: string;
}

// The graph distinguishes more problem types than the documented interface; fold them onto it.
// A self-dependency is the shortest cycle; a repeated dependsOn entry and bad CEL are invalid entries.
const reportedType: Record<Problem["type"], ReportedType> = {
  cycle: "cycle",
  "self-dependency": "cycle",
  missing: "missing",
  invalid: "invalid",
  duplicate: "invalid",
  "ready-expr": "invalid",
  "cross-namespace": "cross-namespace",
};

/** A dependsOn entry still written with a ${VAR}: its value comes from postBuild.substituteFrom (a
 *  ConfigMap or Secret in the cluster) that cannot be read offline, so it can be judged neither valid nor
 *  missing. Such entries are left out of the check. */
function withoutUnresolvedEntries(object: ManifestObject): ManifestObject {
  const unresolved = (text: string | undefined) => text?.includes("${") === true;
  const dependsOn = object.dependsOn.filter((entry) => !unresolved(entry.name) && !unresolved(entry.namespace));
  return dependsOn.length === object.dependsOn.length ? object : { ...object, dependsOn };
}

/** Builds the one graph of every kind (an edge may cross kinds) from one cluster's objects and collects every problem, located. */
export function checkCluster(cluster: ClusterManifests, options: CheckOptions): ReportedProblem[] {
  const graph = new DependencyGraph();
  const sources = new Map<string, ManifestObject>();
  const locations = new Map<string, SourceLocation>();
  for (const object of cluster.objects) {
    graph.upsert(withoutUnresolvedEntries(object));
    sources.set(`${object.kind}/${object.namespace}/${object.name}`, object);
    locations.set(`${object.kind}/${object.namespace}/${object.name}`, object.source);
  }
  const reported: ReportedProblem[] = cluster.problems.map((problem) => ({
    type: problem.type,
    kind: problem.kind,
    object: problem.object,
    cluster: cluster.name,
    file: problem.source.file,
    line: problem.source.line,
    message: problem.message,
  }));
  {
    for (const problem of findProblems(graph, options)) {
      const object = sources.get(`${problem.kind}/${problem.object}`);
      const source = object?.source;
      const cycle = problem.type === "self-dependency" ? [problem.object, problem.object] : problem.cycle;
      const entry: ReportedProblem = {
        type: reportedType[problem.type],
        kind: problem.kind,
        object: problem.object,
        ...(problem.dependency === undefined ? {} : { dependency: problem.dependency }),
        ...(cycle === undefined ? {} : { cycle }),
        cluster: cluster.name,
        file: source?.file ?? "",
        // A problem with one entry is reported at that entry (where it is fixed); a cycle at its object.
        line: (object !== undefined && cycle === undefined && problem.dependency !== undefined ? entryLine(object, problem.dependency) : undefined) ?? source?.line ?? 0,
        message: problem.type === "cycle" && problem.cycleNodes !== undefined ? cycleAcrossFiles(graph, problem.cycleNodes, locations) : problem.message,
      };
      if (problem.type === "cycle" && problem.cycleNodes !== undefined) entry.messageWithKinds = cycleAcrossFiles(graph, problem.cycleNodes, locations, () => true);
      // A ResourceSet's missing dependency may be of another kind: the dependency's node says which.
      const dependencyKind = problem.dependencyNode === undefined ? problem.kind : kindOfNode(problem.dependencyNode);
      const maker = problem.type === "missing" && problem.dependency !== undefined ? mightGenerate(cluster, dependencyKind, problem.dependency) : undefined;
      if (maker !== undefined) {
        entry.type = "unverified";
        entry.message = unverifiedMessage(dependencyKind, problem.dependency!, maker.resourceSet, maker.reason);
      } else if (problem.type === "missing" && problem.dependency !== undefined && dependencyKind === CRD_KIND) {
        // A CRD the cluster's builds apply, or its FluxInstance's components install, exists; one of
        // Flux's own that the FluxInstance does not install is missing; any other cannot be known.
        const name = problem.dependency.slice(problem.dependency.lastIndexOf("/") + 1);
        if (cluster.definitions?.has(name) === true) continue;
        if (!(cluster.fluxInstance === true && isFluxCrd(name))) {
          entry.type = "unverified";
          entry.message = unreadKindMessage(dependencyKind, problem.dependency);
        }
      } else if (problem.type === "missing" && problem.dependency !== undefined && !GRAPH_KINDS.has(dependencyKind)) {
        // A ResourceSet may depend on any kind; check only reads the Flux kinds, so it cannot know.
        entry.type = "unverified";
        entry.message = unreadKindMessage(dependencyKind, problem.dependency);
      }
      reported.push(entry);
    }
  }
  for (const warning of orderWarnings(cluster)) {
    const { object, dependency, source, message } = warning;
    reported.push({ type: "order", kind: "HelmRelease", object, dependency, cluster: cluster.name, file: source.file, line: source.line, message });
  }
  return reported;
}

/**
 * The line of the dependsOn entry that names `dependency` (`ns/name`): where a person fixes it. Undefined
 * when no written entry names it (a patch added it), and the object's own line is used.
 */
function entryLine(object: ManifestObject, dependency: string): number | undefined {
  const index = object.dependsOn.findIndex((entry) => {
    const namespace = entry.namespace ?? (object.kind === "ResourceSet" ? undefined : object.namespace);
    // A cluster-scoped dependency (a ResourceSet's entry without a namespace) is named by its name alone.
    return dependency === `${namespace ?? ""}/${entry.name}` || (namespace === undefined && (dependency === entry.name || dependency.endsWith(`/${entry.name}`)));
  });
  return index === -1 ? undefined : dependencyLineOf(object, index);
}

/** A problem as the JSON output gives it: a cycle's message always with its members' kinds. */
export function jsonProblem({ messageWithKinds, ...problem }: ReportedProblem): ReportedProblem {
  return messageWithKinds === undefined ? problem : { ...problem, message: messageWithKinds };
}

/** A cycle's message naming every member's file and line when the cycle spans several files. */
function cycleAcrossFiles(
  graph: DependencyGraph,
  cycle: readonly string[],
  sources: ReadonlyMap<string, SourceLocation>,
  ambiguous: (node: string) => boolean = sharedNameIn((node) => graph.has(node)),
): string {
  return cycleProblemMessage(cycle, ambiguous, cyclePlaces(cycle, sources));
}

/** A cycle message names at most this many `file:line` places, then how many more. */
const MAX_CYCLE_PLACES = 12;

/**
 * Where a cycle that spans files is defined: `file:line` of its first members, bounded, and nothing
 * for a cycle in one file. Lines are found by parsing their documents again (manifest-document.ts),
 * so they are asked for only the places a message shows: a 50,000-object cycle costs 12 lookups.
 */
function cyclePlaces(cycle: readonly string[], sources: ReadonlyMap<string, SourceLocation>): string[] {
  // A cycle's list ends where it began: each member once.
  const located = [...new Set(cycle)].flatMap((node) => {
    const source = sources.get(node);
    return source === undefined ? [] : [source];
  });
  if (new Set(located.map((source) => source.file)).size < 2) return [];
  const shown = located.slice(0, MAX_CYCLE_PLACES).map((source) => `${source.file}:${source.line}`);
  return located.length > MAX_CYCLE_PLACES ? [...shown, `… ${located.length - MAX_CYCLE_PLACES} more`] : shown;
}

/** The ResourceSet template that might generate `kind` `dependency`, when its output is unknown offline. */
function mightGenerate(cluster: ClusterManifests, kind: string, dependency: ObjectKey) {
  const namespace = dependency.slice(0, dependency.indexOf("/"));
  return cluster.unknown.find((unknown) => (unknown.kind ?? kind) === kind && (unknown.namespace ?? namespace) === namespace);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function summary(clusters: ClusterManifests[], unreached: number, problems: ReportedProblem[]): string {
  const objects = clusters.reduce((total, cluster) => total + cluster.objects.length, 0);
  const names = clusters.map((cluster) => cluster.name).filter((name) => name !== ".");
  const shown = names.length > 6 ? [...names.slice(0, 6), `${names.length - 6} more`] : names;
  const parts = [`${plural(objects, "object")} in ${plural(clusters.length, "cluster")}${shown.length > 0 ? ` (${shown.join(", ")})` : ""}`];
  if (unreached > 0) parts.push(`${plural(unreached, "file")} no Flux build applies`);
  if (problems.length === 0) parts.push("no problem found");
  else {
    const counts = new Map<ReportedType, number>();
    for (const problem of problems) counts.set(problem.type, (counts.get(problem.type) ?? 0) + 1);
    parts.push(`${plural(problems.length, "problem")} (${[...counts].map(([type, count]) => `${count} ${type}`).join(", ")})`);
  }
  return parts.join("; ");
}

/** GitHub Actions workflow command escaping (data and property values). */
function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

function byPlace(a: ReportedProblem, b: ReportedProblem): number {
  const order = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return order(a.cluster, b.cluster) || order(a.file, b.file) || a.line - b.line || order(a.object, b.object) || order(a.message, b.message);
}

/** parseCommandLine names the command; the CLI adds "releasegate check:" itself, so say it once. */
function usageOnce<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(error.message.replace(/^check: /, ""));
    throw error;
  }
}

export async function runCheck(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = usageOnce(() =>
    parseCommandLine(
      argv,
      {
        output: { type: "string" },
        "cross-namespace": { type: "string" },
        cluster: { type: "string" },
        "include-unreached": { type: "boolean" },
        strict: { type: "boolean" },
        "allow-empty": { type: "boolean" },
        "default-namespace": { type: "string" },
        "ignore-missing": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      "check",
    ),
  );
  if (values.help === true) {
    io.stdout(`${checkUsage}\n`);
    return 0;
  }
  const output = oneOf(values.output, ["text", "json", "github"] as const, "--output", "text");
  const crossNamespace = oneOf(values["cross-namespace"], ["allow", "deny"] as const, "--cross-namespace", "allow");
  if (positionals.length === 0) throw new UsageError("no PATH given");

  const repository = await readRepository(positionals, {
    defaultNamespace: values["default-namespace"] ?? "default",
    stdin: io.stdin,
  });
  let clusters = repository.clusters;
  const found = clusters.some((cluster) => cluster.objects.length > 0 || cluster.problems.length > 0) || repository.unreached.length > 0;
  if (!found && values["allow-empty"] !== true) {
    throw new UsageError(`no Flux object found in ${positionals.join(" ")}: give the folder of a GitOps repo, or --allow-empty to accept none`);
  }
  if (values.cluster !== undefined) {
    const wanted = values.cluster;
    const chosen = clusters.filter((cluster) => cluster.name === wanted || cluster.name.split("/").pop() === wanted);
    if (chosen.length === 0) {
      throw new UsageError(`--cluster ${wanted}: no such cluster; the clusters are ${clusters.map((cluster) => cluster.name).join(", ") || "none"}`);
    }
    clusters = chosen;
  }
  const problems = clusters.flatMap((cluster) => checkCluster(cluster, { crossNamespace, ignoreMissing: values["ignore-missing"] === true })).sort(byPlace);
  const failing = problems.filter((problem) => !WARNING_TYPES.has(problem.type) || values.strict === true);
  const includeUnreached = values["include-unreached"] === true;

  const out = new ChunkedOutput((text) => io.stdout(text));
  if (output === "json") {
    const report = {
      clusters: clusters.map((cluster) => ({ name: cluster.name, objects: cluster.objects.length })),
      objects: clusters.reduce((total, cluster) => total + cluster.objects.length, 0),
      // Kinds always, in JSON: a program reading one problem has no line around it to tell them.
      problems: problems.map(jsonProblem),
      ...(includeUnreached ? { unreached: repository.unreached } : {}),
    };
    addPrettyJson(out, report);
  } else {
    const tag = (cluster: string) => (clusters.length > 1 ? ` [${cluster}]` : "");
    for (const problem of problems) {
      if (output === "github") {
        const level = WARNING_TYPES.has(problem.type) && values.strict !== true ? "warning" : "error";
        const where = problem.file === "" ? "" : ` file=${escapeProperty(problem.file)},line=${problem.line}`;
        out.add(`::${level}${where}::${escapeData(`${problem.object}: ${problem.message}${tag(problem.cluster)}`)}\n`);
      } else {
        const prefix = problem.file === "" ? "" : `${problem.file}:${problem.line}: `;
        out.add(`${prefix}${problem.object}: ${problem.message}${tag(problem.cluster)}\n`);
      }
    }
    if (includeUnreached) for (const file of repository.unreached) out.add(`${file}: no Flux build applies this file (not checked)\n`);
    out.add(`${summary(clusters, repository.unreached.length, problems)}\n`);
  }
  out.flush();
  return failing.length === 0 ? 0 : 1;
}
