// An independent emulation of kustomize-controller for differential tests of `check`: every build is
// made by the real kustomize (`kubectl kustomize --load-restrictor LoadRestrictionsNone`, as Flux builds),
// and Flux's own steps around it are written here from kustomize-controller's sources (fluxcd/pkg
// kustomize/kustomize_generator.go and kustomize_varsub.go), not from the product's code:
// - a folder without a kustomization gets a generated one listing every *.yaml/*.yml file below it, a
//   sub-folder holding a kustomization as one entry (not descended into), files the source leaves out
//   (.sourceignore, as source-controller's go-git matcher reads it) skipped;
// - spec.targetNamespace, spec.namePrefix/nameSuffix, spec.patches and spec.components go into that
//   kustomization (here: a wrapper kustomization in a scratch folder around the spec.path folder);
// - postBuild substitution (`${var}`, `${var:=default}`…) runs on every built object not marked
//   `kustomize.toolkit.fluxcd.io/substitute: disabled`, with substituteFrom read from the ConfigMaps and
//   Secrets the same cluster's builds produce; a variable found nowhere is left as written (offline, a
//   Secret that is encrypted in git cannot be read), as `check` does.
// Starting at a cluster's entry folder, every Flux Kustomization a build produces is built in turn.
// The kubectl output of one wrapper is cached for the run; kubectl runs at most CONCURRENCY at a time.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { parseAllDocuments } from "yaml";
import { resolveFluxPath } from "../../src/manifests/flux-path.js";
import { readRepository } from "../../src/manifests/index.js";
import type { ClusterManifests } from "../../src/manifests/index.js";
import { bundledKubectl, runTool, systemKubectl } from "./tools.js";

const KUSTOMIZATION_FILES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];
const CONCURRENCY = 2;
/** The graph kinds `check` reads, by API group. */
const FLUX_KINDS = new Map([
  ["HelmRelease", "helm.toolkit.fluxcd.io"],
  ["Kustomization", "kustomize.toolkit.fluxcd.io"],
  ["ResourceSet", "fluxcd.controlplane.io"],
]);

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) current = isObject(current) ? current[key] : undefined;
  return current;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** One build as the oracle sees it. */
export interface OracleBuild {
  /** `entry` for the cluster's entry folder, else `Kustomization ns/name` of the Flux Kustomization. */
  by: string;
  /** The spec.path folder, relative to the repo. */
  folder: string;
  /** `group kind ns/name` of every Flux object the build yields, sorted. */
  objects: string[];
  /** `group kind ns/name -> dependency` for every dependsOn entry of those objects, sorted. */
  edges: string[];
  /** kustomize's error when the build fails (then objects and edges are empty). */
  error?: string;
}

/** The dependsOn edges of one object, as `from -> to` strings; entries still holding `${` are left out (neither side can judge them). */
export function edgesOf(kind: string, namespace: string, name: string, group: string, dependsOn: unknown): string[] {
  if (!Array.isArray(dependsOn)) return [];
  const from = `${group} ${kind} ${namespace}/${name}`;
  const edges: string[] = [];
  for (const entry of dependsOn as unknown[]) {
    if (!isObject(entry)) continue;
    const depName = text(entry["name"]);
    const depNamespace = text(entry["namespace"]);
    if (depName === undefined || depName.includes("${") || depNamespace?.includes("${") === true) continue;
    if (kind === "ResourceSet") {
      // Any kind, namespace verbatim (flux-operator checkDependencies).
      edges.push(`${from} -> ${String(entry["kind"])} ${depNamespace ?? ""}/${depName}`);
    } else {
      edges.push(`${from} -> ${kind} ${depNamespace ?? namespace}/${depName}`);
    }
  }
  return edges;
}

// go-git v5's gitignore matcher, as fluxcd/pkg/sourceignore/gitignore holds it: per path, last match wins.
interface IgnorePattern {
  domain: string[];
  parts: string[];
  include: boolean;
  dirOnly: boolean;
  glob: boolean;
}

function globPart(pattern: string, name: string): boolean {
  let source = "^";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else if (char === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end === -1) return false;
      source += `[${pattern.slice(i + 1, end).replace(/^\^/, "^").replace(/^!/, "^")}]`;
      i = end;
    } else if (char === "\\" && i + 1 < pattern.length) source += `\\${pattern[++i]!}`;
    else source += char.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`${source}$`).test(name);
}

function parseIgnore(line: string, domain: string[]): IgnorePattern {
  let p = line;
  const include = p.startsWith("!");
  if (include) p = p.slice(1);
  if (!p.endsWith("\\ ")) p = p.replace(/ +$/, "");
  const dirOnly = p.endsWith("/");
  if (dirOnly) p = p.slice(0, -1);
  return { domain, parts: p.split("/"), include, dirOnly, glob: p.includes("/") };
}

function ignoreMatch(pattern: IgnorePattern, path: string[], isDir: boolean): boolean {
  if (path.length <= pattern.domain.length) return false;
  if (pattern.domain.some((part, i) => path[i] !== part)) return false;
  let rest = path.slice(pattern.domain.length);
  if (!pattern.glob) {
    return rest.some((name, i) => globPart(pattern.parts[0]!, name) && !(pattern.dirOnly && !isDir && i === rest.length - 1));
  }
  let matched = false;
  let traverse = false;
  for (let i = 0; i < pattern.parts.length; i++) {
    const part = pattern.parts[i]!;
    if (part === "") {
      traverse = false;
      continue;
    }
    if (part === "**") {
      if (i === pattern.parts.length - 1) break;
      traverse = true;
      continue;
    }
    if (part.includes("**") || rest.length === 0) return false;
    if (traverse) {
      traverse = false;
      matched = false;
      while (rest.length > 0) {
        const name = rest[0]!;
        rest = rest.slice(1);
        if (globPart(part, name)) {
          matched = true;
          break;
        }
      }
    } else {
      if (!globPart(part, rest[0]!)) return false;
      matched = true;
      rest = rest.slice(1);
    }
  }
  return matched && !(pattern.dirOnly && !isDir && rest.length === 0);
}

function loadIgnore(root: string): IgnorePattern[] {
  const patterns: IgnorePattern[] = [".git/", ".gitignore", ".gitmodules", ".gitattributes"].map((p) => parseIgnore(p, []));
  const own: IgnorePattern[] = [];
  const walk = (folder: string, domain: string[]) => {
    const file = join(folder, ".sourceignore");
    if (existsSync(file)) {
      for (const line of readFileSync(file, "utf8").split("\n")) {
        const clean = line.replace(/\r$/, "");
        if (!clean.startsWith("#") && clean.trim() !== "") own.push(parseIgnore(clean, domain));
      }
    }
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      if (name !== ".git" && statSync(path).isDirectory()) walk(path, [...domain, name]);
    }
  };
  walk(root, []);
  return [...patterns, ...own];
}

function ignored(patterns: IgnorePattern[], relativePath: string, isDir: boolean): boolean {
  const path = relativePath.split(sep);
  for (let i = patterns.length - 1; i >= 0; i--) {
    if (ignoreMatch(patterns[i]!, path, isDir)) return !patterns[i]!.include;
  }
  return false;
}

const GROUPS: Record<string, string> = {
  HelmRelease: "helm.toolkit.fluxcd.io",
  Kustomization: "kustomize.toolkit.fluxcd.io",
  ResourceSet: "fluxcd.controlplane.io",
};

/** check's objects grouped as the oracle groups its builds (each build that applies an object), and the builds it reports as failing. */
function checkBuilds(cluster: ClusterManifests): CheckBuilds {
  const builds: CheckBuilds = new Map();
  for (const object of cluster.objects) {
    for (const by of object.builds ?? []) {
      // What a ResourceSet or a FluxInstance generates is no kustomize build.
      if (by.startsWith("ResourceSet ") || by.startsWith("FluxInstance ")) continue;
      const group = GROUPS[object.kind]!;
      const build = builds.get(by) ?? { objects: [], edges: [] };
      build.objects.push(`${group} ${object.kind} ${object.namespace}/${object.name}`);
      build.edges.push(...edgesOf(object.kind, object.namespace, object.name, group, object.dependsOn));
      builds.set(by, build);
    }
  }
  for (const problem of cluster.problems) {
    if (problem.type !== "build") continue;
    const by = problem.object.includes("/") ? `Kustomization ${problem.object}` : "entry";
    const build = builds.get(by) ?? { objects: [], edges: [] };
    build.failed = true;
    builds.set(by, build);
  }
  for (const build of builds.values()) {
    build.objects.sort();
    build.edges.sort();
  }
  return builds;
}

function difference(a: string[], b: string[]): string[] {
  const have = new Set(b);
  return a.filter((item) => !have.has(item));
}

/** Every difference between kustomize + Flux's steps and check, one line each naming the build. */
export function compareBuilds(oracle: OracleBuild[], check: CheckBuilds): string[] {
  const problems: string[] = [];
  const known = new Set<string>();
  for (const build of oracle) {
    known.add(build.by);
    const where = `${build.folder} (${build.by})`;
    const mine = check.get(build.by) ?? { objects: [], edges: [] };
    // A build kustomize cannot make is a `build` problem of check's, and neither applies anything of it.
    if ((build.error !== undefined) !== (mine.failed === true)) {
      problems.push(build.error === undefined ? `${where}: only check fails this build` : `${where}: only kustomize fails: ${build.error}`);
      continue;
    }
    if (build.error !== undefined) continue;
    // An object without a namespace is refused by Flux; check reports it as a no-namespace problem.
    const objects = build.objects.filter((key) => !key.includes(" /"));
    for (const key of difference(objects, mine.objects)) problems.push(`${where}: only kustomize yields ${key}`);
    for (const key of difference(mine.objects, objects)) problems.push(`${where}: only check yields ${key}`);
    const edges = build.edges.filter((edge) => !edge.split(" -> ")[0]!.includes(" /"));
    for (const edge of difference(edges, mine.edges)) problems.push(`${where}: only kustomize has ${edge}`);
    for (const edge of difference(mine.edges, edges)) problems.push(`${where}: only check has ${edge}`);
  }
  for (const [by, build] of check) {
    if (!known.has(by) && build.objects.length > 0) problems.push(`(${by}): check places ${build.objects.length} objects in a build kustomize-controller never makes`);
  }
  return problems;
}

type CheckBuilds = Map<string, { objects: string[]; edges: string[]; failed?: boolean }>;

function foldersOf(root: string): string[] {
  const folders: string[] = [];
  const walk = (folder: string) => {
    folders.push(folder);
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (name !== ".git" && statSync(path).isDirectory()) walk(path);
    }
  };
  walk(root);
  return folders;
}

/**
 * Every difference, one line each naming the cluster and build, between what `check` reads from the repo
 * at `root` and what kustomize plus kustomize-controller's steps make of the same clusters.
 */
export async function differencesWithFlux(root: string, scratch: string): Promise<string[]> {
  const folders = foldersOf(root);
  const repository = await readRepository([root], { defaultNamespace: "default" });
  const oracle = new FluxOracle(root, {
    kubectl: systemKubectl() ?? bundledKubectl(),
    scratch,
    resolvePath: (path, sourceName) =>
      resolveFluxPath(path, root, folders, { definedIn: "", ...(sourceName === undefined ? {} : { sourceName }) }, (p) => existsSync(p) && statSync(p).isDirectory()),
  });
  const problems: string[] = [];
  for (const cluster of repository.clusters) {
    const builds = await oracle.cluster(join(root, cluster.name));
    problems.push(...compareBuilds(builds, checkBuilds(cluster)).map((line) => `[${cluster.name}] ${line}`));
  }
  return problems;
}

/** A tiny semaphore: at most `limit` tasks at once. */
function limiter(limit: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((go) => waiting.push(go));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

export interface OracleOptions {
  kubectl: string;
  /** A scratch folder for the wrapper kustomizations. */
  scratch: string;
  /** Finds the folder a Kustomization's spec.path names (the artifact may be rooted below the repo). */
  resolvePath: (specPath: string, sourceName: string | undefined) => string | undefined;
}

/** Builds with the real kustomize, cached per wrapper for the run. */
export class FluxOracle {
  private readonly cache = new Map<string, Promise<{ objects: Json[]; error?: string }>>();
  private readonly limit = limiter(CONCURRENCY);
  private readonly ignore: IgnorePattern[];

  constructor(
    private readonly root: string,
    private readonly options: OracleOptions,
  ) {
    this.ignore = loadIgnore(root);
  }

  private hasKustomization(folder: string): boolean {
    return KUSTOMIZATION_FILES.some((name) => existsSync(join(folder, name)) && statSync(join(folder, name)).isFile());
  }

  /** kustomize-controller's generated resources for a folder with no kustomization (scanManifests). */
  private generated(folder: string): string[] {
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir).sort()) {
        const path = join(dir, name);
        const stat = statSync(path);
        if (stat.isDirectory()) {
          if (this.hasKustomization(path)) found.push(path);
          else walk(path);
        } else if (stat.isFile() && (name.endsWith(".yaml") || name.endsWith(".yml")) && !ignored(this.ignore, relative(this.root, path), false)) {
          found.push(path);
        }
      }
    };
    walk(folder);
    return found;
  }

  /** The build of `folder` with a Flux Kustomization's steps (none for the entry). */
  build(folder: string, spec: Json | undefined): Promise<{ objects: Json[]; error?: string }> {
    const wrapperFolder = (name: string) => join(this.options.scratch, name);
    // Every wrapper sits at the same depth, so relative paths do not depend on its name.
    const fromWrapper = (path: string) => relative(wrapperFolder("x"), path);
    const kustomization: Json = { apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization" };
    kustomization["resources"] = this.hasKustomization(folder) ? [fromWrapper(folder)] : this.generated(folder).map(fromWrapper);
    const targetNamespace = text(field(spec, "targetNamespace"));
    if (targetNamespace !== undefined) kustomization["namespace"] = targetNamespace;
    const prefix = text(field(spec, "namePrefix"));
    if (prefix !== undefined) kustomization["namePrefix"] = prefix;
    const suffix = text(field(spec, "nameSuffix"));
    if (suffix !== undefined) kustomization["nameSuffix"] = suffix;
    const patches = field(spec, "patches");
    if (Array.isArray(patches) && patches.length > 0) kustomization["patches"] = patches;
    const components = field(spec, "components");
    if (Array.isArray(components) && components.length > 0) {
      kustomization["components"] = components.filter((c): c is string => typeof c === "string").map((c) => fromWrapper(resolve(folder, c)));
    }
    const body = JSON.stringify(kustomization);
    const cached = this.cache.get(body);
    if (cached !== undefined) return cached;
    const result = this.limit(async () => {
      const dir = wrapperFolder(createHash("sha256").update(body).digest("hex").slice(0, 16));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "kustomization.yaml"), body);
      const run = await runTool(this.options.kubectl, ["kustomize", "--load-restrictor", "LoadRestrictionsNone", dir], { timeoutMs: 60_000 });
      if (run.code !== 0) return { objects: [], error: run.stderr.trim().split("\n").pop() ?? "kustomize failed" };
      const objects = parseAllDocuments(run.stdout)
        .map((doc) => doc.toJS() as unknown)
        .filter(isObject);
      return { objects };
    });
    this.cache.set(body, result);
    return result;
  }

  /** Every build of the cluster whose entry folder is `entry`, breadth first, as kustomize-controller would apply them. */
  async cluster(entry: string): Promise<OracleBuild[]> {
    const builds: OracleBuild[] = [];
    const variableSources: Json[] = [];
    const seen = new Set<string>();
    type Pending = { by: string; folder: string; spec?: Json; namespace?: string };
    let level: Pending[] = [{ by: "entry", folder: entry }];
    while (level.length > 0) {
      const results = await Promise.all(level.map((item) => this.build(item.folder, item.spec)));
      const next: Pending[] = [];
      level.forEach((item, i) => {
        const result = results[i]!;
        const substituted = result.objects.map((object) => this.substitute(object, item.spec, item.namespace ?? "", variableSources));
        for (const object of substituted) if (object["kind"] === "ConfigMap" || object["kind"] === "Secret") variableSources.push(object);
        const build: OracleBuild = { by: item.by, folder: relative(this.root, item.folder) || ".", objects: [], edges: [] };
        if (result.error !== undefined) build.error = result.error;
        for (const object of substituted) {
          const kind = String(object["kind"]);
          const group = FLUX_KINDS.get(kind);
          const apiVersion = String(object["apiVersion"]);
          if (group === undefined || !apiVersion.startsWith(`${group}/`)) continue;
          const namespace = String(field(object, "metadata", "namespace") ?? "");
          const name = String(field(object, "metadata", "name"));
          build.objects.push(`${group} ${kind} ${namespace}/${name}`);
          build.edges.push(...edgesOf(kind, namespace, name, group, field(object, "spec", "dependsOn")));
          if (kind !== "Kustomization") continue;
          const key = `Kustomization ${namespace}/${name}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const spec = field(object, "spec");
          const path = typeof field(spec, "path") === "string" ? String(field(spec, "path")) : "";
          if (path.includes("${")) continue;
          const folder = this.options.resolvePath(path, text(field(spec, "sourceRef", "name")));
          // The bootstrap Kustomization applies the entry folder: that build is its own.
          if (item.by === "entry" && folder === entry) build.by = key;
          if (folder === undefined || (item.by === "entry" && folder === entry)) continue;
          next.push({ by: key, folder, ...(isObject(spec) ? { spec } : {}), namespace });
        }
        build.objects.sort();
        build.edges.sort();
        builds.push(build);
      });
      level = next;
    }
    return builds;
  }

  /** Flux's post-build substitution of one built object (kustomize_varsub.go). */
  private substitute(object: Json, spec: Json | undefined, namespace: string, sources: Json[]): Json {
    const postBuild = field(spec, "postBuild");
    if (!isObject(postBuild)) return object;
    const marker = "kustomize.toolkit.fluxcd.io/substitute";
    if (field(object, "metadata", "annotations", marker) === "disabled" || field(object, "metadata", "labels", marker) === "disabled") return object;
    const variables = new Map<string, string>();
    const from = postBuild["substituteFrom"];
    if (Array.isArray(from)) {
      for (const ref of from as unknown[]) {
        const kind = field(ref, "kind");
        const name = field(ref, "name");
        const source = sources.find((s) => s["kind"] === kind && field(s, "metadata", "name") === name && field(s, "metadata", "namespace") === namespace);
        for (const key of ["data", "stringData"]) {
          const data = field(source, key);
          if (!isObject(data)) continue;
          for (const [k, v] of Object.entries(data)) {
            variables.set(k, kind === "Secret" && key === "data" ? Buffer.from(String(v), "base64").toString("utf8") : String(v));
          }
        }
      }
    }
    const substitute = postBuild["substitute"];
    if (isObject(substitute)) for (const [k, v] of Object.entries(substitute)) variables.set(k, String(v));
    const replace = (value: string) =>
      value.replace(/\$(\$)?\{([_a-zA-Z][_a-zA-Z0-9]*)(?:(:?[-=])([^}]*))?\}/g, (whole, escaped: string | undefined, name: string, op: string | undefined, fallback: string | undefined) => {
        if (escaped !== undefined) return whole.slice(1);
        const found = variables.get(name);
        if (found !== undefined && !(op?.startsWith(":") === true && found === "")) return found;
        if (op !== undefined) return fallback ?? "";
        return whole;
      });
    const walk = (value: unknown): unknown => {
      if (typeof value === "string") return replace(value);
      if (Array.isArray(value)) return value.map(walk);
      if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
      return value;
    };
    return walk(object) as Json;
  }
}
