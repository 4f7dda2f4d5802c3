// What Flux would apply from a repo folder, per cluster (docs/behaviour.md, "What check sees"):
//
// - Each cluster has an entry, the folder Flux syncs first: the `spec.path` of a bootstrap Kustomization
//   whose build includes its own file (clusters/NAME/flux-system/gotk-sync.yaml), the `spec.sync.path` of
//   a FluxInstance (also in the values of a HelmRelease of the `flux-instance` chart), or, when there is
//   neither, each topmost folder holding Flux Kustomizations that no other Kustomization builds.
// - A cluster's objects are exactly those its builds reach: a Flux Kustomization builds its `spec.path`
//   like kustomize (kustomize-build.ts); its `spec.patches` apply to that build's output; what it builds
//   lands in its `spec.targetNamespace`, else the kustomize `namespace:`, else the object's own; then
//   its `spec.postBuild` variables are substituted (substitution.ts). Its Flux Kustomizations are applied
//   in turn, so namespaces, patches and variables flow down the tree. ResourceSets add what their
//   templates generate.
// - An object that gets no namespace at all is refused by Flux: a `no-namespace` problem, not an object.
// - Files no build reaches are not applied: reported as unreached, never checked.
// - A folder with no Flux Kustomization at all is one cluster of everything in it, applied as kubectl
//   would: the outermost kustomize `namespace:` of a kustomization including it, else its own, else the
//   default namespace.
import { readFileSync } from "node:fs";
import { basename, dirname, relative, sep } from "node:path";
import { expandResourceSet } from "../flux/resourceset/index.js";
import { decodeManifestObject, isFluxInstance, nameOf, namespaceOf, roleOf } from "./flux-decode.js";
import type { DocumentRole } from "./flux-decode.js";
import { componentsOf, crdName, fluxInstanceCrds } from "./flux-crds.js";
import { crossKindKindOfCrd } from "../flux/cross-kind.js";
import type { FluxKind } from "../graph/types.js";
import { resolveFluxPath } from "./flux-path.js";
import { KustomizeBuilder } from "./kustomize-build.js";
import type { BuildItem, KustomizeConfig } from "./kustomize-build.js";
import { isPlainObject } from "./manifest-document.js";
import type { ManifestDocument } from "./manifest-document.js";
import type { FolderTree, ManifestFiles } from "./manifest-files.js";
import { KUSTOMIZATION_FILE_NAMES } from "./manifest-files.js";
import { ManifestError } from "./manifest-error.js";
import { buildFailedMessage, noNamespaceMessage, resourceSetErrorMessage } from "./manifest-messages.js";
import type { ClusterManifests, ManifestObject, ManifestProblem, RepositoryManifests, UnknownObject } from "./manifest-object.js";
import { applyPatches, patchesOf } from "./patches.js";
import type { Patch } from "./patches.js";
import { SourceIgnore } from "./source-ignore.js";
import { substituteString, substituteValue } from "./substitution.js";
import type { Variables } from "./substitution.js";

/** A document as one Flux Kustomization (or none) applies it. */
interface Placement extends BuildItem {
  targetNamespace?: string;
  /** The applying Kustomization's postBuild variables; undefined when it has no postBuild (no substitution). */
  variables?: Variables;
  /** The applying Kustomization's spec.patches. */
  patches: readonly Patch[];
  depth: number;
  /** The build that places it (ManifestObject.builds). */
  build?: string;
  /** The Flux Kustomization whose build this is (`namespace/name`), for check's order warnings. */
  appliedBy?: string;
}

/** Flux documents marked with this annotation are not substituted (kustomize-controller docs, postBuild). */
const SUBSTITUTE_ANNOTATION = "kustomize.toolkit.fluxcd.io/substitute";
/** Nesting depth of Flux Kustomizations beyond which a build is taken to be a loop. */
const MAX_DEPTH = 64;
/** ManifestObject.builds of what the cluster's entry build applies. */
const ENTRY_BUILD = "entry";
/** The cluster name of everything under a PATH with no Flux Kustomization. */
export const WHOLE_PATH_CLUSTER = ".";

function specOf(value: Record<string, unknown>): Record<string, unknown> {
  const spec = value["spec"];
  return isPlainObject(spec) ? spec : {};
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** What `read` returns, or undefined when it meets a file kustomize could not read. */
function orNothing<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (cause) {
    if (cause instanceof ManifestError) return undefined;
    throw cause;
  }
}

function docId(doc: ManifestDocument): string {
  return `${doc.path}#${doc.index}`;
}

/** The variables a ConfigMap or Secret offers to `postBuild.substituteFrom`; undefined for anything else. */
function variableData(value: Record<string, unknown>): { kind: string; name: string; data: Map<string, string> } | undefined {
  const { kind, metadata } = value;
  if ((kind !== "ConfigMap" && kind !== "Secret") || !isPlainObject(metadata)) return undefined;
  const name = metadata["name"];
  if (typeof name !== "string") return undefined;
  // A SOPS-encrypted Secret holds ciphertext, not values.
  if (kind === "Secret" && value["sops"] !== undefined) return undefined;
  const data = new Map<string, string>();
  const read = (field: unknown, decode: boolean) => {
    if (!isPlainObject(field)) return;
    for (const [key, item] of Object.entries(field)) {
      if (typeof item === "string") data.set(key, decode ? Buffer.from(item, "base64").toString("utf8") : item);
      else if (typeof item === "number" || typeof item === "boolean") data.set(key, String(item));
    }
  };
  read(value["data"], kind === "Secret");
  read(value["stringData"], false);
  return { kind, name, data };
}

/**
 * The ConfigMaps and Secrets one cluster's builds apply, by kind/namespace/name: kustomize-controller
 * reads `postBuild.substituteFrom` from the cluster it applies to, never from another cluster's folder.
 */
class ClusterVariables {
  readonly placed = new Map<string, Map<string, string>>();
  /** Set when a lookup could not be settled before the cluster's builds were all placed. */
  unsettled = false;

  constructor(readonly known?: ReadonlyMap<string, Map<string, string>>) {}

  record(value: Record<string, unknown>, namespace: string | undefined): void {
    const found = variableData(value);
    if (found === undefined || namespace === undefined) return;
    this.placed.set(`${found.kind}/${namespace}/${found.name}`, found.data);
  }
}

/** Every ConfigMap and Secret of the repo, for a lookup the cluster's own cannot settle yet. */
class VariableSources {
  private readonly byName = new Map<string, { namespace?: string; data: Map<string, string> }[]>();

  add(doc: ManifestDocument): void {
    const found = variableData(doc.value);
    if (found === undefined) return;
    const metadata = doc.value["metadata"] as Record<string, unknown>;
    const entry: { namespace?: string; data: Map<string, string> } = { data: found.data };
    if (typeof metadata["namespace"] === "string") entry.namespace = metadata["namespace"];
    const key = `${found.kind}/${found.name}`;
    this.byName.set(key, [...(this.byName.get(key) ?? []), entry]);
  }

  /**
   * The cluster's own source when its builds have placed it (all of them, on a second pass); else the
   * repo's only candidate. Several different candidates and none placed yet: the lookup is unsettled,
   * and the cluster is placed again once its own sources are all known.
   */
  find(kind: string, name: string, namespace: string, scope: ClusterVariables): Map<string, string> | undefined {
    const key = `${kind}/${namespace}/${name}`;
    const own = scope.known?.get(key) ?? scope.placed.get(key);
    if (own !== undefined || scope.known !== undefined) return own;
    const found = this.byName.get(`${kind}/${name}`) ?? [];
    const candidates = found.filter((entry) => entry.namespace === namespace || entry.namespace === undefined);
    if (candidates.length > 1) scope.unsettled = true;
    return (candidates.find((entry) => entry.namespace === namespace) ?? candidates[0] ?? found[0])?.data;
  }
}

/** The folder a cluster starts from, and the bootstrap Kustomization that applies it, if any. */
interface Entry {
  folder: string;
  bootstrap?: ManifestDocument;
  /** Without a bootstrap Kustomization: the Kustomizations in the folder that nothing builds. */
  roots?: ManifestDocument[];
  /** Namespace of the FluxInstance (or its HelmRelease) that syncs it. */
  namespace?: string;
  /** The FluxInstance (or `flux-instance` HelmRelease) whose sync applies this folder: the operator generates its root Kustomization. */
  instance?: { doc: ManifestDocument; generated: Record<string, unknown> };
}

function fieldAt(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) current = isPlainObject(current) ? current[key] : undefined;
  return current;
}

function flexibleString(value: unknown, ...path: string[]): string | undefined {
  return nonEmptyString(fieldAt(value, ...path));
}

/** A FluxInstance's `spec.sync` (or the one a `flux-instance` chart's values describe), and the namespace the FluxInstance lives in. */
interface InstanceSync {
  path: string;
  /** `sync.name`: the name of the Kustomization (and source) the operator generates. */
  name?: string;
  namespace?: string;
}

/** A HelmRelease of the Flux Operator's `flux-instance` chart, which creates a FluxInstance from its values. */
function isFluxInstanceRelease(value: Record<string, unknown>): boolean {
  if (roleOf(value) !== "HelmRelease") return false;
  const spec = specOf(value);
  const chart = flexibleString(spec, "chart", "spec", "chart") ?? flexibleString(spec, "chartRef", "name") ?? "";
  return chart.includes("flux-instance") || flexibleString(value, "metadata", "name") === "flux-instance";
}

function instanceSyncOf(value: Record<string, unknown>): InstanceSync | undefined {
  let sync: unknown;
  let namespace = flexibleString(value, "metadata", "namespace");
  if (isFluxInstance(value)) {
    sync = specOf(value)["sync"];
  } else {
    if (!isFluxInstanceRelease(value)) return undefined;
    const spec = specOf(value);
    sync = fieldAt(spec, "values", "instance", "sync");
    // The chart creates the FluxInstance in the release's namespace.
    namespace = flexibleString(spec, "targetNamespace") ?? namespace;
  }
  const path = flexibleString(sync, "path");
  if (path === undefined) return undefined;
  const name = flexibleString(sync, "name");
  return { path, ...(name === undefined ? {} : { name }), ...(namespace === undefined ? {} : { namespace }) };
}

/**
 * The root Kustomization the Flux Operator generates from a FluxInstance's sync: named `sync.name`, else
 * after the instance's namespace, in that namespace (the FluxInstance CRD, `spec.sync.name`).
 */
function generatedRootKustomization(sync: InstanceSync): Record<string, unknown> | undefined {
  if (sync.namespace === undefined) return undefined;
  return {
    apiVersion: "kustomize.toolkit.fluxcd.io/v1",
    kind: "Kustomization",
    metadata: { name: sync.name ?? sync.namespace, namespace: sync.namespace },
    spec: { path: sync.path },
  };
}

/** One reading of the repo folder: what every step of `applyRepository` looks things up in. */
interface RepositoryIndex {
  root: string;
  files: ManifestFiles;
  tree: FolderTree;
  documents: ManifestDocument[];
  /** The builder of a source that leaves nothing out (no .sourceignore, no spec.ignore). */
  plainBuilder: KustomizeBuilder;
  /** The kustomization files of the tree, each read where it lies. */
  configs: KustomizeConfig[];
  variableSources: VariableSources;
  /** The Flux documents, patch fragments left out. */
  fluxDocuments: { doc: ManifestDocument; role: NonNullable<DocumentRole> }[];
  /** Flux GitRepositories by `namespace/name`. */
  gitRepositories: Map<string, ManifestDocument>;
  /** The Flux Kustomizations among `fluxDocuments`. */
  kustomizations: ManifestDocument[];
}

/** Which Flux Kustomizations build each document, judged on the specs as written. */
interface AsWrittenBuilds {
  builds: Map<ManifestDocument, BuildItem[]>;
  /** Documents some other Kustomization's build holds. */
  builtByOther: Set<ManifestDocument>;
}

/** What applying the clusters one by one gathers. */
interface ApplyState {
  root: string;
  rules: BuildRules;
  /** Every file a cluster's builds reached so far. */
  reached: Set<string>;
  clusters: ClusterManifests[];
}

export function applyRepository(root: string, files: ManifestFiles, defaultNamespace: string): RepositoryManifests {
  const repo = indexRepository(root, files);
  if (repo.kustomizations.length === 0) {
    // Applied as kubectl would, a file that cannot be read fails the whole apply: an input error.
    for (const file of repo.tree.files) files.documents(file);
    return { clusters: [applyAsWritten(repo.fluxDocuments, repo.configs, repo.plainBuilder, defaultNamespace)], unreached: [] };
  }
  const rules = buildRulesOf(repo);
  const asWritten = asWrittenBuildsOf(repo.kustomizations, rules);
  const entries = findEntries(repo, asWritten);
  const state: ApplyState = { root, rules, reached: new Set(), clusters: [] };
  for (const entry of entries) applyCluster(state, entry);
  if (entries.length === 0) applyTopmostRoots(state, repo.kustomizations, asWritten.builtByOther);
  const unreached = [
    ...new Set(repo.fluxDocuments.filter(({ doc }) => !state.reached.has(doc.path)).map(({ doc }) => doc.path)),
  ].map((path) => files.display(path));
  return { clusters: state.clusters, unreached };
}

/** Reads the tree under `root`: its documents, kustomization files, Flux documents and variable sources. */
function indexRepository(root: string, files: ManifestFiles): RepositoryIndex {
  const tree = files.tree(root);
  const documents = tree.files.flatMap((file) => files.documentsIfReadable(file));
  const plainBuilder = new KustomizeBuilder(files);
  const configs: KustomizeConfig[] = [];
  for (const file of tree.files) {
    if (!KUSTOMIZATION_FILE_NAMES.includes(basename(file))) continue;
    const config = orNothing(() => plainBuilder.configAt(dirname(file)));
    if (config && config.path === file) configs.push(config);
  }
  const patchFiles = new Set(configs.flatMap((config) => config.patchFiles));
  const variableSources = new VariableSources();
  const fluxDocuments: { doc: ManifestDocument; role: NonNullable<DocumentRole> }[] = [];
  const gitRepositories = new Map<string, ManifestDocument>();
  for (const doc of documents) {
    variableSources.add(doc);
    if (doc.value["kind"] === "GitRepository" && typeof doc.value["apiVersion"] === "string" && doc.value["apiVersion"].startsWith("source.toolkit.fluxcd.io/")) {
      const metadata = isPlainObject(doc.value["metadata"]) ? doc.value["metadata"] : {};
      gitRepositories.set(`${String(metadata["namespace"] ?? "")}/${String(metadata["name"] ?? "")}`, doc);
    }
    const role = roleOf(doc.value);
    // A file that a kustomization names as a patch is a fragment merged into another object.
    if (role && !patchFiles.has(doc.path)) fluxDocuments.push({ doc, role });
  }
  const kustomizations = fluxDocuments.filter(({ role }) => role === "Kustomization").map(({ doc }) => doc);
  return { root, files, tree, documents, plainBuilder, configs, variableSources, fluxDocuments, gitRepositories, kustomizations };
}

/** The build rules of this repo, each builder made once per source and kept in `builders`. */
function buildRulesOf(repo: RepositoryIndex): BuildRules {
  const builders = new Map<string, KustomizeBuilder>();
  const builderFor = (value: Record<string, unknown>, namespace: string | undefined) => sourceBuilder(repo, builders, value, namespace);
  return {
    buildOf: (value, definedIn, namespace) => kustomizationBuild(repo, builderFor, value, definedIn, namespace),
    variablesOf: (value, namespace, scope) => postBuildVariables(repo.variableSources, value, namespace, scope),
    plainBuilder: repo.plainBuilder,
    builderFor,
  };
}

/**
 * The builder for what a Flux Kustomization's source leaves in its artifact: the source's spec.ignore
 * and the repo's .sourceignore files.
 */
function sourceBuilder(
  repo: RepositoryIndex,
  builders: Map<string, KustomizeBuilder>,
  value: Record<string, unknown>,
  namespace: string | undefined,
): KustomizeBuilder {
  const sourceRef = specOf(value)["sourceRef"];
  const sourceName = isPlainObject(sourceRef) ? nonEmptyString(sourceRef["name"]) : undefined;
  const sourceNamespace = (isPlainObject(sourceRef) ? nonEmptyString(sourceRef["namespace"]) : undefined) ?? namespace ?? "";
  const kind = isPlainObject(sourceRef) ? nonEmptyString(sourceRef["kind"]) : undefined;
  const source = kind === "GitRepository" && sourceName !== undefined ? repo.gitRepositories.get(`${sourceNamespace}/${sourceName}`) : undefined;
  const key = source === undefined ? "" : docId(source);
  let builder = builders.get(key);
  if (builder === undefined) {
    // source-controller reads the .sourceignore files top down (a folder's before its sub-folders'), then spec.ignore.
    const rules = new SourceIgnore(repo.root);
    for (const file of repo.tree.sourceIgnoreFiles) rules.add(dirname(file), readFileSync(file, "utf8"));
    const ignore = source === undefined ? undefined : nonEmptyString(specOf(source.value)["ignore"]);
    if (ignore !== undefined) rules.add(repo.root, ignore);
    builder = rules.empty ? repo.plainBuilder : new KustomizeBuilder(repo.files, rules.finish());
    builders.set(key, builder);
  }
  return builder;
}

/** The folder a Flux Kustomization's spec.path names, or undefined. */
function kustomizationFolder(repo: RepositoryIndex, value: Record<string, unknown>, definedIn: ManifestDocument): string | undefined {
  const spec = specOf(value);
  const path = typeof spec["path"] === "string" ? spec["path"] : "";
  // A path still holding a variable names no folder we can find.
  if (path.includes("${")) return undefined;
  const sourceRef = spec["sourceRef"];
  const sourceName = isPlainObject(sourceRef) ? nonEmptyString(sourceRef["name"]) : undefined;
  return resolveFluxPath(path, repo.root, repo.tree.folders, { definedIn: definedIn.path, ...(sourceName ? { sourceName } : {}) }, (p) =>
    repo.files.isDirectory(p),
  );
}

/** What a Flux Kustomization (its document after substitution) builds. */
function kustomizationBuild(
  repo: RepositoryIndex,
  builderFor: BuildRules["builderFor"],
  value: Record<string, unknown>,
  definedIn: ManifestDocument,
  namespace: string | undefined,
): BuildItem[] {
  const folder = kustomizationFolder(repo, value, definedIn);
  if (folder === undefined) return [];
  const spec = specOf(value);
  const components = Array.isArray(spec["components"])
    ? spec["components"].filter((entry): entry is string => typeof entry === "string" && !entry.includes("${"))
    : [];
  return builderFor(value, namespace).buildFluxPath(folder, components);
}

/** The variables a Flux Kustomization substitutes: substituteFrom found in the repo, overridden by substitute. */
function postBuildVariables(
  variableSources: VariableSources,
  value: Record<string, unknown>,
  namespace: string,
  scope: ClusterVariables,
): Variables | undefined {
  const postBuild = specOf(value)["postBuild"];
  if (!isPlainObject(postBuild)) return undefined;
  const variables = new Map<string, string>();
  const from = postBuild["substituteFrom"];
  if (Array.isArray(from)) {
    for (const ref of from as unknown[]) {
      if (!isPlainObject(ref) || typeof ref["kind"] !== "string" || typeof ref["name"] !== "string") continue;
      for (const [key, item] of variableSources.find(ref["kind"], ref["name"], namespace, scope) ?? []) variables.set(key, item);
    }
  }
  const substitute = postBuild["substitute"];
  if (isPlainObject(substitute)) {
    for (const [key, item] of Object.entries(substitute)) {
      if (typeof item === "string" || typeof item === "number" || typeof item === "boolean") variables.set(key, String(item));
    }
  }
  return variables;
}

/** What each Flux Kustomization builds as written, and which documents another one's build holds. */
function asWrittenBuildsOf(kustomizations: readonly ManifestDocument[], rules: BuildRules): AsWrittenBuilds {
  const builds = new Map<ManifestDocument, BuildItem[]>();
  const builtByOther = new Set<ManifestDocument>();
  for (const doc of kustomizations) {
    // A build that fails (a file kustomize cannot read) is reported where it is applied; here it builds nothing.
    const items = orNothing(() => rules.buildOf(doc.value, doc, namespaceOf(doc, "Kustomization", doc.value))) ?? [];
    builds.set(doc, items);
    for (const item of items) if (item.doc !== doc) builtByOther.add(item.doc);
  }
  return { builds, builtByOther };
}

/** The clusters' entries: bootstrap Kustomizations first, then FluxInstance syncs; one entry a folder. */
function findEntries(repo: RepositoryIndex, asWritten: AsWrittenBuilds): Entry[] {
  const entries: Entry[] = [];
  const addEntry = (entry: Entry) => {
    if (!entries.some((known) => known.folder === entry.folder)) entries.push(entry);
  };
  for (const doc of repo.kustomizations) {
    const items = asWritten.builds.get(doc) ?? [];
    // A Kustomization whose build holds its own file roots a cluster only as the bootstrap sync: one
    // that another Kustomization applies belongs to that one's cluster (and gets its namespace there).
    if (!items.some((item) => item.doc === doc) || asWritten.builtByOther.has(doc)) continue;
    const folder = kustomizationFolder(repo, doc.value, doc);
    if (folder !== undefined) addEntry({ folder, bootstrap: doc });
  }
  for (const doc of repo.documents) {
    const sync = instanceSyncOf(doc.value);
    if (sync === undefined) continue;
    const folder = resolveFluxPath(sync.path, repo.root, repo.tree.folders, { definedIn: doc.path }, (p) => repo.files.isDirectory(p));
    if (folder === undefined) continue;
    const generated = generatedRootKustomization(sync);
    addEntry({
      folder,
      ...(sync.namespace === undefined ? {} : { namespace: sync.namespace }),
      ...(generated === undefined ? {} : { instance: { doc, generated } }),
    });
  }
  return entries;
}

/** Places one cluster from its entry, and records it and the files it reached in `state`. */
function applyCluster(state: ApplyState, entry: Entry): void {
  const name = relative(state.root, entry.folder) || WHOLE_PATH_CLUSTER;
  let cluster = new ClusterApplier(name, state.rules, new ClusterVariables());
  cluster.applyEntry(entry);
  // A substituteFrom the repo holds in several versions (one per cluster) is read from this cluster's
  // own: once all of them are known, the cluster is placed again with them.
  if (cluster.variables.unsettled) {
    cluster = new ClusterApplier(name, state.rules, new ClusterVariables(cluster.variables.placed));
    cluster.applyEntry(entry);
  }
  for (const file of cluster.reachedFiles) state.reached.add(file);
  state.clusters.push(cluster.result());
}

/**
 * No entry in the repo (bootstrap created it): the topmost folders holding Kustomizations that
 * nothing builds. A deeper one in the same top folder as what those clusters apply is one commented
 * out of a build (`# - ./app/ks.yaml`), not a cluster of its own.
 */
function applyTopmostRoots(state: ApplyState, kustomizations: readonly ManifestDocument[], builtByOther: ReadonlySet<ManifestDocument>): void {
  const folders = [...new Set(kustomizations.filter((doc) => !builtByOther.has(doc)).map((doc) => dirname(doc.path)))];
  const depth = (folder: string) => folder.split(sep).length;
  const topDepth = Math.min(...folders.map(depth));
  const topFolderOf = (path: string) => relative(state.root, path).split(sep)[0] ?? "";
  const rootsIn = (folder: string) => kustomizations.filter((doc) => !builtByOther.has(doc) && dirname(doc.path) === folder);
  for (const folder of folders.filter((f) => depth(f) === topDepth).sort()) applyCluster(state, { folder, roots: rootsIn(folder) });
  const usedTopFolders = new Set([...state.reached].map(topFolderOf));
  for (const folder of folders.filter((f) => depth(f) > topDepth).sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : 1))) {
    if (usedTopFolders.has(topFolderOf(folder))) continue;
    applyCluster(state, { folder, roots: rootsIn(folder) });
    for (const file of state.reached) usedTopFolders.add(topFolderOf(file));
  }
}

interface BuildRules {
  buildOf(value: Record<string, unknown>, definedIn: ManifestDocument, namespace: string | undefined): BuildItem[];
  variablesOf(value: Record<string, unknown>, namespace: string, scope: ClusterVariables): Variables | undefined;
  plainBuilder: KustomizeBuilder;
  builderFor(value: Record<string, unknown>, namespace: string | undefined): KustomizeBuilder;
}

/** Places one cluster's objects, breadth first from its entry. */
class ClusterApplier {
  private readonly objects: ManifestObject[] = [];
  private readonly problems: ManifestProblem[] = [];
  private readonly unknown: UnknownObject[] = [];
  /** CustomResourceDefinitions the cluster's builds apply or its FluxInstance installs (flux-crds.ts). */
  private readonly definitions = new Set<string>();
  /** The Flux kinds whose CRD applied here has the Flux RFC's cross-kind dependsOn. */
  private readonly crossKind = new Set<FluxKind>();
  private fluxInstance = false;
  /** Each placement once: the same document placed again at the same identity is the same object (another build applies it too). */
  private readonly placed = new Map<string, ManifestObject | undefined>();
  private readonly queue: Placement[] = [];
  readonly reachedFiles = new Set<string>();

  /**
   * `defaultNamespace` is for objects applied as kubectl would (no Flux build around them); inside a
   * Flux build an object without a namespace is a problem instead.
   */
  constructor(
    private readonly name: string,
    private readonly rules: BuildRules,
    readonly variables: ClusterVariables,
    private readonly defaultNamespace?: string,
  ) {}

  applyEntry(entry: Entry): void {
    if (entry.instance !== undefined) {
      // Not in the repo, yet in the cluster: what others name as `dependsOn: [{name: flux-system}]`.
      const { doc, generated } = entry.instance;
      const metadata = generated["metadata"] as { name: string; namespace: string };
      const root = decodeManifestObject(doc, "Kustomization", generated, metadata.namespace, metadata.name);
      root.builds = [`FluxInstance ${metadata.namespace}`];
      this.objects.push(root);
      // The FluxInstance that syncs this cluster installs its components' CRDs in it.
      this.installs(doc.value, isFluxInstance(doc.value));
    }
    if (entry.bootstrap !== undefined) {
      const doc = entry.bootstrap;
      // Placed as its own build places it (its folder's kustomize namespace, if any).
      const own = orNothing(() => this.rules.buildOf(doc.value, doc, namespaceOf(doc, "Kustomization", doc.value)))?.find((item) => item.doc === doc);
      // It applies itself: its own build (below) records it as applied by it.
      this.apply([{ ...(own ?? { doc, value: doc.value, namePrefix: "", nameSuffix: "" }), patches: [], depth: 0 }]);
    } else {
      // Applied by a bootstrap that is not in the repo: a file it cannot read is an input error (exit 2).
      const items = this.rules.plainBuilder.buildFolder(entry.folder);
      // A root the folder's own build leaves out (a .json file, one its kustomization does not list) is
      // still applied: bootstrap, absent from the repo, applies these.
      const built = new Set(items.map((item) => item.doc));
      const roots = (entry.roots ?? []).filter((doc) => !built.has(doc)).map((doc) => ({ doc, value: doc.value, namePrefix: "", nameSuffix: "" }));
      this.apply([...items, ...roots].map((item) => ({ ...item, patches: [], depth: 1, build: ENTRY_BUILD })));
    }
  }

  /**
   * A build, or none when kustomize would fail on it (a file it cannot read as YAML): Flux then fails
   * that Kustomization alone and applies nothing of its build; a `build` problem at the file that breaks it.
   */
  private buildOrReport(build: () => BuildItem[], kustomization: string): BuildItem[] {
    try {
      return build();
    } catch (cause) {
      if (!(cause instanceof ManifestError)) throw cause;
      this.problems.push({
        type: "build",
        kind: "Kustomization",
        object: kustomization,
        source: { file: cause.file, line: cause.line ?? 1 },
        message: buildFailedMessage(`Kustomization ${kustomization}`, cause.message),
      });
      return [];
    }
  }

  /** A FluxInstance (or a flux-instance chart's HelmRelease) of the cluster: the CRDs of the components it lists exist. */
  private installs(value: Record<string, unknown>, isInstance: boolean): void {
    this.fluxInstance = true;
    for (const crd of fluxInstanceCrds(componentsOf(value, isInstance))) this.definitions.add(crd);
  }

  /** Places the placements and everything their Kustomizations and ResourceSets apply. */
  apply(placements: Placement[]): void {
    this.queue.push(...placements);
    for (let next = 0; next < this.queue.length; next++) this.place(this.queue[next]!);
    this.queue.length = 0;
  }

  result(): ClusterManifests {
    return { name: this.name, objects: this.objects, problems: this.problems, unknown: this.unknown, definitions: this.definitions, fluxInstance: this.fluxInstance, crossKind: this.crossKind };
  }

  private place(placement: Placement): void {
    try {
      this.placeObject(placement);
    } catch (cause) {
      // An object Flux cannot apply (a required field missing or of the wrong type) fails the
      // Kustomization that applies it; outside a Flux build it is an input error (exit 2).
      const by = placement.build;
      if (!(cause instanceof ManifestError) || by === undefined || !by.startsWith("Kustomization ")) throw cause;
      this.problems.push({
        type: "build",
        kind: "Kustomization",
        object: by.slice("Kustomization ".length),
        source: { file: cause.file, line: cause.line ?? 1 },
        message: buildFailedMessage(by, cause.message),
      });
    }
  }

  private placeObject(placement: Placement): void {
    const { doc, targetNamespace, variables, depth } = placement;
    const role = roleOf(placement.value);
    const kustomizeNamespace = placement.namespace;
    if (role === undefined) {
      const kind = placement.value["kind"];
      const definition = crdName(placement.value);
      if (definition !== undefined) {
        this.definitions.add(definition);
        // A Flux CRD with the RFC's cross-kind dependsOn (src/flux/cross-kind.ts): read-manifests.ts reads again with it.
        const crossKind = crossKindKindOfCrd(placement.value);
        if (crossKind !== undefined) this.crossKind.add(crossKind);
      } else if (isFluxInstance(placement.value)) this.installs(placement.value, true);
      if (kind === "ConfigMap" || kind === "Secret") {
        const metadata = placement.value["metadata"];
        const own = isPlainObject(metadata) && typeof metadata["namespace"] === "string" ? metadata["namespace"] : undefined;
        this.variables.record(placement.value, targetNamespace ?? kustomizeNamespace ?? own);
      }
      return;
    }
    const landing = (value: Record<string, unknown>) => targetNamespace ?? kustomizeNamespace ?? namespaceOf(doc, role, value);
    let value: Record<string, unknown> | undefined = placement.value;
    if (placement.patches.length > 0) value = applyPatches(value, placement.patches, landing(value));
    if (value === undefined) return;
    this.reachedFiles.add(doc.path);
    const annotations = isPlainObject(value["metadata"]) ? value["metadata"]["annotations"] : undefined;
    const substitutes = variables !== undefined && !(isPlainObject(annotations) && annotations[SUBSTITUTE_ANNOTATION] === "disabled");
    const substitute = (text: string) => (substitutes ? substituteString(text, variables) : text);
    const name = nameOf(doc, role, value);
    const finalName = substitute(placement.namePrefix + name + placement.nameSuffix);
    const namespaceText = landing(value);
    const namespace = (namespaceText === undefined ? "" : substitute(namespaceText)) || (this.defaultNamespace ?? "");
    // The kind is part of the identity: a ResourceSet and the HelmRelease it generates may share a name
    // (and a document); so may any two generated objects (the Flux Operator's objectKey).
    const key = `${docId(doc)}|${role}|${namespace}|${finalName}`;
    if (this.placed.has(key)) {
      const first = this.placed.get(key);
      if (first !== undefined && placement.build !== undefined) first.builds = [...(first.builds ?? []), placement.build];
      return;
    }
    this.placed.set(key, undefined);
    const source = sourceOf(doc);
    if (namespace === "") {
      this.problems.push({ type: "no-namespace", kind: role, object: finalName, source, message: noNamespaceMessage(role, finalName) });
      return;
    }
    if (substitutes) value = substituteValue(value, variables) as Record<string, unknown>;
    const object = decodeManifestObject(doc, role, value, namespace, finalName);
    if (role === "HelmRelease" && isFluxInstanceRelease(value)) this.installs(value, false);
    if (placement.build !== undefined) object.builds = [placement.build];
    if (placement.appliedBy !== undefined) object.appliedBy = placement.appliedBy;
    this.placed.set(key, object);
    this.objects.push(object);
    if (role === "ResourceSet") {
      // The ResourceSet is in the graph itself (its dependsOn may name any kind), and so is what it generates.
      this.expand(doc, value, namespace, finalName, depth);
      return;
    }
    if (role === "Kustomization") this.applyKustomization(doc, value, namespace, finalName, depth);
  }

  private applyKustomization(doc: ManifestDocument, value: Record<string, unknown>, namespace: string, name: string, depth: number): void {
    if (depth >= MAX_DEPTH) return;
    const spec = specOf(value);
    const childTarget = nonEmptyString(spec["targetNamespace"]);
    const childVariables = this.rules.variablesOf(value, namespace, this.variables);
    const patches = patchesOf(spec["patches"]);
    // spec.namePrefix/nameSuffix go into the kustomization Flux generates around spec.path: outermost.
    const prefix = nonEmptyString(spec["namePrefix"]) ?? "";
    const suffix = nonEmptyString(spec["nameSuffix"]) ?? "";
    for (const item of this.buildOrReport(() => this.rules.buildOf(value, doc, namespace), `${namespace}/${name}`)) {
      const child: Placement = {
        ...item,
        namePrefix: prefix + item.namePrefix,
        nameSuffix: item.nameSuffix + suffix,
        patches,
        depth: depth + 1,
        build: `Kustomization ${namespace}/${name}`,
        appliedBy: `${namespace}/${name}`,
      };
      if (childTarget !== undefined) child.targetNamespace = childTarget;
      if (childVariables !== undefined) child.variables = childVariables;
      this.queue.push(child);
    }
  }

  /** A ResourceSet's generated objects join the cluster; what cannot be known offline is recorded. */
  private expand(doc: ManifestDocument, value: Record<string, unknown>, namespace: string, name: string, depth: number): void {
    const resourceSet = `${namespace}/${name}`;
    const source = sourceOf(doc);
    const withNamespace = structuredClone(value);
    const metadata = isPlainObject(withNamespace["metadata"]) ? withNamespace["metadata"] : {};
    metadata["namespace"] = namespace;
    metadata["name"] = name;
    withNamespace["metadata"] = metadata;
    let expansion;
    try {
      expansion = expandResourceSet(withNamespace);
    } catch (cause) {
      const error = cause instanceof Error ? cause.message : String(cause);
      this.problems.push({ type: "invalid", kind: "ResourceSet", object: resourceSet, source, message: resourceSetErrorMessage(resourceSet, error) });
      this.unknown.push({ reason: `its template fails: ${error}`, resourceSet, source });
      return;
    }
    for (const unknown of expansion.unknown) {
      const entry: UnknownObject = { reason: unknown.reason, resourceSet, source };
      if (unknown.kind !== undefined) entry.kind = unknown.kind;
      if (unknown.namespace !== undefined) entry.namespace = unknown.namespace;
      this.unknown.push(entry);
    }
    expansion.objects.forEach((object) => {
      const generatedMetadata = isPlainObject(object["metadata"]) ? object["metadata"] : {};
      // The Flux Operator applies a generated object without a namespace in the ResourceSet's own.
      if (roleOf(object) === undefined) return;
      const placed = generatedMetadata["namespace"] === undefined ? { ...object, metadata: { ...generatedMetadata, namespace } } : object;
      // Generated objects are reported at the ResourceSet that generates them.
      const generated: ManifestDocument = {
        path: doc.path,
        file: doc.file,
        index: doc.index,
        get line() {
          return doc.line;
        },
        value: placed,
        lineOf: () => doc.objectLine(),
        objectLine: doc.objectLine,
      };
      this.queue.push({ doc: generated, value: placed, namePrefix: "", nameSuffix: "", patches: [], depth: depth + 1, build: `ResourceSet ${resourceSet}` });
    });
  }
}


function sourceOf(doc: ManifestDocument): { file: string; readonly line: number } {
  const objectLine = doc.objectLine;
  return {
    file: doc.file,
    get line() {
      return objectLine();
    },
  };
}

/** A folder with no Flux Kustomization: every Flux object in it, as kubectl (or kustomize) would apply it. */
function applyAsWritten(
  fluxDocuments: { doc: ManifestDocument; role: NonNullable<DocumentRole> }[],
  configs: KustomizeConfig[],
  builder: KustomizeBuilder,
  defaultNamespace: string,
): ClusterManifests {
  // Where kustomize alone would put each document: the builds of the outermost kustomizations.
  const included = new Set(configs.flatMap((config) => builder.includedFolders(config)));
  const kustomizePlacements = new Map<ManifestDocument, BuildItem[]>();
  for (const config of configs) {
    if (included.has(config.folder)) continue;
    for (const item of builder.buildFolder(config.folder)) {
      kustomizePlacements.set(item.doc, [...(kustomizePlacements.get(item.doc) ?? []), item]);
    }
  }
  const rules: BuildRules = { buildOf: () => [], variablesOf: () => undefined, plainBuilder: builder, builderFor: () => builder };
  const applier = new ClusterApplier(WHOLE_PATH_CLUSTER, rules, new ClusterVariables(), defaultNamespace);
  const placements: Placement[] = [];
  for (const { doc } of fluxDocuments) {
    const items = kustomizePlacements.get(doc) ?? [{ doc, value: doc.value, namePrefix: "", nameSuffix: "" }];
    for (const item of items) placements.push({ ...item, patches: [], depth: 0 });
  }
  applier.apply(placements);
  return applier.result();
}
