// `releasegate check`: the graph engine offline, for CI pipelines on a GitOps repo.
// Exit 0: no problem; 1: problems found; 2: bad usage or unreadable input (DESIGN.md, Interfaces).
import { DependencyGraph, findProblems, type CheckOptions } from "../graph/index.js";
import type { FluxKind, ObjectKey, Problem } from "../graph/types.js";
import { readManifests, type ManifestObject, type SourceLocation } from "../manifests/index.js";
import { oneOf, parseCommandLine, UsageError } from "./args.js";
import type { CommandIo } from "./io.js";

export const checkUsage = `Usage: releasegate check [options] PATH...

Checks the dependsOn graph of every Flux HelmRelease and Kustomization under PATH (a file, a folder
searched recursively for *.yaml, *.yml and *.json, or - for stdin) for cycles, missing dependencies,
invalid entries and, optionally, cross-namespace references.

Options:
  --output text|json            output format (default text)
  --cross-namespace allow|deny  report dependencies in another namespace (default allow)
  --default-namespace NAME      namespace of objects that name none (default "default")
  --ignore-missing              do not report missing dependencies (checking part of a repo)
  -h, --help                    show this help

Exit status: 0 no problem, 1 problems found, 2 bad usage or unreadable input.`;

/** The problem types of the documented JSON output. */
type ReportedType = "cycle" | "missing" | "invalid" | "cross-namespace";

interface ReportedProblem {
  type: ReportedType;
  kind: FluxKind;
  object: ObjectKey;
  dependency?: ObjectKey;
  cycle?: ObjectKey[];
  message: string;
}

// The graph distinguishes more problem types than the documented interface; fold them onto it.
// A self-dependency is the shortest cycle; duplicates and bad CEL are invalid entries.
const reportedType: Record<Problem["type"], ReportedType> = {
  cycle: "cycle",
  "self-dependency": "cycle",
  missing: "missing",
  invalid: "invalid",
  duplicate: "invalid",
  "ready-expr": "invalid",
  "cross-namespace": "cross-namespace",
};

function toReported(problem: Problem): ReportedProblem {
  const cycle = problem.type === "self-dependency" ? [problem.object, problem.object] : problem.cycle;
  return {
    type: reportedType[problem.type],
    kind: problem.kind,
    object: problem.object,
    ...(problem.dependency === undefined ? {} : { dependency: problem.dependency }),
    ...(cycle === undefined ? {} : { cycle }),
    message: problem.message,
  };
}

export interface CheckResult {
  objects: ManifestObject[];
  problems: Problem[];
}

/** Builds one graph per kind from the objects read and collects every problem. */
export function checkObjects(objects: ManifestObject[], options: CheckOptions): Problem[] {
  const graphs = new Map<FluxKind, DependencyGraph>();
  for (const object of objects.map(withoutUnresolvedEntries)) {
    let graph = graphs.get(object.kind);
    if (graph === undefined) {
      graph = new DependencyGraph(object.kind);
      graphs.set(object.kind, graph);
    }
    graph.upsert(object);
  }
  return [...graphs.values()].flatMap((graph) => findProblems(graph, options));
}

/** A dependsOn entry still written with a ${VAR}: its value comes from postBuild.substituteFrom (a
 *  ConfigMap or Secret in the cluster) that cannot be read offline, so it can be judged neither valid nor
 *  missing. Such entries are left out of the check. */
function withoutUnresolvedEntries(object: ManifestObject): ManifestObject {
  const unresolved = (text: string | undefined) => text?.includes("${") === true;
  const dependsOn = object.dependsOn.filter((entry) => !unresolved(entry.name) && !unresolved(entry.namespace));
  return dependsOn.length === object.dependsOn.length ? object : { ...object, dependsOn };
}

function locate(objects: ManifestObject[]): (kind: FluxKind, key: ObjectKey) => SourceLocation | undefined {
  const index = new Map<string, SourceLocation>();
  for (const object of objects) {
    const id = `${object.kind}/${object.namespace}/${object.name}`;
    if (!index.has(id)) index.set(id, object.source);
  }
  return (kind, key) => index.get(`${kind}/${key}`);
}

function summary(objectCount: number, problems: Problem[]): string {
  if (problems.length === 0) return `${objectCount} objects checked, no problem found`;
  const counts = new Map<ReportedType, number>();
  for (const problem of problems) counts.set(reportedType[problem.type], (counts.get(reportedType[problem.type]) ?? 0) + 1);
  const parts = [...counts].map(([type, count]) => `${count} ${type}`);
  const noun = problems.length === 1 ? "problem" : "problems";
  return `${objectCount} objects checked, ${problems.length} ${noun} (${parts.join(", ")})`;
}

export async function runCheck(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandLine(
    argv,
    {
      output: { type: "string" },
      "cross-namespace": { type: "string" },
      "default-namespace": { type: "string" },
      "ignore-missing": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    "check",
  );
  if (values.help === true) {
    io.stdout(`${checkUsage}\n`);
    return 0;
  }
  const output = oneOf(values.output, ["text", "json"] as const, "--output", "text");
  const crossNamespace = oneOf(values["cross-namespace"], ["allow", "deny"] as const, "--cross-namespace", "allow");
  if (positionals.length === 0) throw new UsageError("no PATH given");

  const objects = await readManifests(positionals, {
    defaultNamespace: values["default-namespace"] ?? "default",
    stdin: io.stdin,
  });
  const problems = checkObjects(objects, { crossNamespace, ignoreMissing: values["ignore-missing"] === true });

  if (output === "json") {
    io.stdout(`${JSON.stringify({ objects: objects.length, problems: problems.map(toReported) }, null, 2)}\n`);
  } else {
    const where = locate(objects);
    for (const problem of problems) {
      const source = where(problem.kind, problem.object);
      const prefix = source === undefined ? "" : `${source.file}:${source.line}: `;
      io.stdout(`${prefix}${problem.object}: ${problem.message}\n`);
    }
    io.stdout(`${summary(objects.length, problems)}\n`);
  }
  return problems.length === 0 ? 0 : 1;
}
