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
import { resolveFluxPath } from "./flux-path.js";
import { KustomizeBuilder } from "./kustomize-build.js";
import type { BuildItem, KustomizeConfig } from "./kustomize-build.js";
import { isPlainObject } from "./manifest-document.js";
import type { ManifestDocument } from "./manifest-document.js";
import type { ManifestFiles } from "./manifest-files.js";
import { KUSTOMIZATION_FILE_NAMES } from "./manifest-files.js";
import { noNamespaceMessage, resourceSetErrorMessage } from "./manifest-messages.js";
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
  /** The Flux Kustomization whose build this is (`namespace/name`), for check's order warnings. */
  appliedBy?: string;
}

/** Flux documents marked with this annotation are not substituted (kustomize-controller docs, postBuild). */
const SUBSTITUTE_ANNOTATION = "kustomize.toolkit.fluxcd.io/substitute";
/** Nesting depth of Flux Kustomizations beyond which a build is taken to be a loop. */
const MAX_DEPTH = 64;
/** The cluster name of everything under a PATH with no Flux Kustomization. */
export const WHOLE_PATH_CLUSTER = ".";

function specOf(value: Record<string, unknown>): Record<string, unknown> {
  const spec = value["spec"];
  return isPlainObject(spec) ? spec : {};
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function docId(doc: ManifestDocument): string {
  return `${doc.path}#${doc.index}`;
}

/** Where ConfigMaps and Secrets named by `postBuild.substituteFrom` can be found in the repo. */
class VariableSources {
  private readonly byName = new Map<string, { namespace?: string; data: Map<string, string> }[]>();

  add(doc: ManifestDocument): void {
    const { kind, metadata } = doc.value;
    if ((kind !== "ConfigMap" && kind !== "Secret") || !isPlainObject(metadata)) return;
    const name = metadata["name"];
    if (typeof name !== "string") return;
    // A SOPS-encrypted Secret holds ciphertext, not values.
    if (kind === "Secret" && doc.value["sops"] !== undefined) return;
    const data = new Map<string, string>();
    const read = (field: unknown, decode: boolean) => {
      if (!isPlainObject(field)) return;
      for (const [key, item] of Object.entries(field)) {
        if (typeof item === "string") data.set(key, decode ? Buffer.from(item, "base64").toString("utf8") : item);
        else if (typeof item === "number" || typeof item === "boolean") data.set(key, String(item));
      }
    };
    read(doc.value["data"], kind === "Secret");
    read(doc.value["stringData"], false);
    const entry: { namespace?: string; data: Map<string, string> } = { data };
    if (typeof metadata["namespace"] === "string") entry.namespace = metadata["namespace"];
    const key = `${kind}/${name}`;
    this.byName.set(key, [...(this.byName.get(key) ?? []), entry]);
  }

  find(kind: string, name: string, namespace: string): Map<string, string> | undefined {
    const found = this.byName.get(`${kind}/${name}`) ?? [];
    return (found.find((entry) => entry.namespace === namespace) ?? found[0])?.data;
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

function instanceSyncOf(value: Record<string, unknown>): InstanceSync | undefined {
  let sync: unknown;
  let namespace = flexibleString(value, "metadata", "namespace");
  if (isFluxInstance(value)) {
    sync = specOf(value)["sync"];
  } else {
    if (roleOf(value) !== "HelmRelease") return undefined;
    const spec = specOf(value);
    const chart = flexibleString(spec, "chart", "spec", "chart") ?? flexibleString(spec, "chartRef", "name") ?? "";
    const name = flexibleString(value, "metadata", "name") ?? "";
    if (!chart.includes("flux-instance") && name !== "flux-instance") return undefined;
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

export function applyRepository(root: string, files: ManifestFiles, defaultNamespace: string): RepositoryManifests {
  const tree = files.tree(root);
  const documents = tree.files.flatMap((file) => files.documents(file));
  const plainBuilder = new KustomizeBuilder(files);
  const configs: KustomizeConfig[] = [];
  for (const file of tree.files) {
    if (!KUSTOMIZATION_FILE_NAMES.includes(basename(file))) continue;
    const config = plainBuilder.configAt(dirname(file));
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

  if (kustomizations.length === 0) {
    return { clusters: [applyAsWritten(fluxDocuments, configs, plainBuilder, defaultNamespace)], unreached: [] };
  }

  // What each source leaves out of its artifact: its spec.ignore and the repo's .sourceignore files.
  const sourceIgnoreFiles = tree.sourceIgnoreFiles;
  const builders = new Map<string, KustomizeBuilder>();
  const builderFor = (value: Record<string, unknown>, namespace: string | undefined): KustomizeBuilder => {
    const sourceRef = specOf(value)["sourceRef"];
    const sourceName = isPlainObject(sourceRef) ? nonEmptyString(sourceRef["name"]) : undefined;
    const sourceNamespace = (isPlainObject(sourceRef) ? nonEmptyString(sourceRef["namespace"]) : undefined) ?? namespace ?? "";
    const kind = isPlainObject(sourceRef) ? nonEmptyString(sourceRef["kind"]) : undefined;
    const source = kind === "GitRepository" && sourceName !== undefined ? gitRepositories.get(`${sourceNamespace}/${sourceName}`) : undefined;
    const key = source === undefined ? "" : docId(source);
    let builder = builders.get(key);
    if (builder === undefined) {
      const rules = new SourceIgnore();
      for (const file of sourceIgnoreFiles) rules.add(dirname(file), readFileSync(file, "utf8"));
      const ignore = source === undefined ? undefined : nonEmptyString(specOf(source.value)["ignore"]);
      if (ignore !== undefined) rules.add(root, ignore);
      builder = rules.empty ? plainBuilder : new KustomizeBuilder(files, { rules, root });
      builders.set(key, builder);
    }
    return builder;
  };

  /** The folder a Flux Kustomization's spec.path names, or undefined. */
  const folderOf = (value: Record<string, unknown>, definedIn: ManifestDocument): string | undefined => {
    const spec = specOf(value);
    const path = typeof spec["path"] === "string" ? spec["path"] : "";
    // A path still holding a variable names no folder we can find.
    if (path.includes("${")) return undefined;
    const sourceRef = spec["sourceRef"];
    const sourceName = isPlainObject(sourceRef) ? nonEmptyString(sourceRef["name"]) : undefined;
    return resolveFluxPath(path, root, tree.folders, { definedIn: definedIn.path, ...(sourceName ? { sourceName } : {}) }, (p) => files.isDirectory(p));
  };

  /** What a Flux Kustomization (its document after substitution) builds. */
  const buildOf = (value: Record<string, unknown>, definedIn: ManifestDocument, namespace: string | undefined): BuildItem[] => {
    const folder = folderOf(value, definedIn);
    if (folder === undefined) return [];
    const spec = specOf(value);
    const components = Array.isArray(spec["components"])
      ? spec["components"].filter((entry): entry is string => typeof entry === "string" && !entry.includes("${"))
      : [];
    return builderFor(value, namespace).buildFluxPath(folder, components);
  };

  /** The variables a Flux Kustomization substitutes: substituteFrom found in the repo, overridden by substitute. */
  const variablesOf = (value: Record<string, unknown>, namespace: string): Variables | undefined => {
    const postBuild = specOf(value)["postBuild"];
    if (!isPlainObject(postBuild)) return undefined;
    const variables = new Map<string, string>();
    const from = postBuild["substituteFrom"];
    if (Array.isArray(from)) {
      for (const ref of from as unknown[]) {
        if (!isPlainObject(ref) || typeof ref["kind"] !== "string" || typeof ref["name"] !== "string") continue;
        for (const [key, item] of variableSources.find(ref["kind"], ref["name"], namespace) ?? []) variables.set(key, item);
      }
    }
    const substitute = postBuild["substitute"];
    if (isPlainObject(substitute)) {
      for (const [key, item] of Object.entries(substitute)) {
        if (typeof item === "string" || typeof item === "number" || typeof item === "boolean") variables.set(key, String(item));
      }
    }
    return variables;
  };

  // Which Flux Kustomizations build each document, judged on the specs as written.
  const asWrittenBuilds = new Map<ManifestDocument, BuildItem[]>();
  const builtByOther = new Set<ManifestDocument>();
  for (const doc of kustomizations) {
    const items = buildOf(doc.value, doc, namespaceOf(doc, "Kustomization", doc.value));
    asWrittenBuilds.set(doc, items);
    for (const item of items) if (item.doc !== doc) builtByOther.add(item.doc);
  }

  const entries: Entry[] = [];
  const addEntry = (entry: Entry) => {
    if (!entries.some((known) => known.folder === entry.folder)) entries.push(entry);
  };
  for (const doc of kustomizations) {
    const items = asWrittenBuilds.get(doc) ?? [];
    if (!items.some((item) => item.doc === doc)) continue;
    const folder = folderOf(doc.value, doc);
    if (folder !== undefined) addEntry({ folder, bootstrap: doc });
  }
  for (const doc of documents) {
    const sync = instanceSyncOf(doc.value);
    if (sync === undefined) continue;
    const folder = resolveFluxPath(sync.path, root, tree.folders, { definedIn: doc.path }, (p) => files.isDirectory(p));
    if (folder === undefined) continue;
    const generated = generatedRootKustomization(sync);
    addEntry({
      folder,
      ...(sync.namespace === undefined ? {} : { namespace: sync.namespace }),
      ...(generated === undefined ? {} : { instance: { doc, generated } }),
    });
  }
  const reached = new Set<string>();
  const clusters: ClusterManifests[] = [];
  const apply = (entry: Entry) => {
    const cluster = new ClusterApplier(relative(root, entry.folder) || WHOLE_PATH_CLUSTER, { buildOf, variablesOf, plainBuilder, builderFor });
    cluster.applyEntry(entry);
    for (const file of cluster.reachedFiles) reached.add(file);
    clusters.push(cluster.result());
  };
  for (const entry of entries) apply(entry);
  if (entries.length === 0) {
    // No entry in the repo (bootstrap created it): the topmost folders holding Kustomizations that
    // nothing builds. A deeper one in the same top folder as what those clusters apply is one commented
    // out of a build (`# - ./app/ks.yaml`), not a cluster of its own.
    const folders = [...new Set(kustomizations.filter((doc) => !builtByOther.has(doc)).map((doc) => dirname(doc.path)))];
    const depth = (folder: string) => folder.split(sep).length;
    const topDepth = Math.min(...folders.map(depth));
    const topFolderOf = (path: string) => relative(root, path).split(sep)[0] ?? "";
    const rootsIn = (folder: string) => kustomizations.filter((doc) => !builtByOther.has(doc) && dirname(doc.path) === folder);
    for (const folder of folders.filter((f) => depth(f) === topDepth).sort()) apply({ folder, roots: rootsIn(folder) });
    const usedTopFolders = new Set([...reached].map(topFolderOf));
    for (const folder of folders.filter((f) => depth(f) > topDepth).sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : 1))) {
      if (usedTopFolders.has(topFolderOf(folder))) continue;
      apply({ folder, roots: rootsIn(folder) });
      for (const file of reached) usedTopFolders.add(topFolderOf(file));
    }
  }
  const unreached = [
    ...new Set(fluxDocuments.filter(({ doc }) => !reached.has(doc.path)).map(({ doc }) => doc.path)),
  ].map((path) => files.display(path));
  return { clusters, unreached };
}

interface BuildRules {
  buildOf(value: Record<string, unknown>, definedIn: ManifestDocument, namespace: string | undefined): BuildItem[];
  variablesOf(value: Record<string, unknown>, namespace: string): Variables | undefined;
  plainBuilder: KustomizeBuilder;
  builderFor(value: Record<string, unknown>, namespace: string | undefined): KustomizeBuilder;
}

/** Places one cluster's objects, breadth first from its entry. */
class ClusterApplier {
  private readonly objects: ManifestObject[] = [];
  private readonly problems: ManifestProblem[] = [];
  private readonly unknown: UnknownObject[] = [];
  private readonly placed = new Set<string>();
  private readonly queue: Placement[] = [];
  readonly reachedFiles = new Set<string>();

  /**
   * `defaultNamespace` is for objects applied as kubectl would (no Flux build around them); inside a
   * Flux build an object without a namespace is a problem instead.
   */
  constructor(
    private readonly name: string,
    private readonly rules: BuildRules,
    private readonly defaultNamespace?: string,
  ) {}

  applyEntry(entry: Entry): void {
    if (entry.instance !== undefined) {
      // Not in the repo, yet in the cluster: what others name as `dependsOn: [{name: flux-system}]`.
      const { doc, generated } = entry.instance;
      const metadata = generated["metadata"] as { name: string; namespace: string };
      this.objects.push(decodeManifestObject(doc, "Kustomization", generated, metadata.namespace, metadata.name));
    }
    if (entry.bootstrap !== undefined) {
      const doc = entry.bootstrap;
      // Placed as its own build places it (its folder's kustomize namespace, if any).
      const own = this.rules.buildOf(doc.value, doc, namespaceOf(doc, "Kustomization", doc.value)).find((item) => item.doc === doc);
      this.apply([{ ...(own ?? { doc, value: doc.value, namePrefix: "", nameSuffix: "" }), patches: [], depth: 0 }]);
    } else {
      const items = this.rules.plainBuilder.buildFolder(entry.folder);
      // A root the folder's own build leaves out (a .json file, one its kustomization does not list) is
      // still applied: bootstrap, absent from the repo, applies these.
      const built = new Set(items.map((item) => item.doc));
      const roots = (entry.roots ?? []).filter((doc) => !built.has(doc)).map((doc) => ({ doc, value: doc.value, namePrefix: "", nameSuffix: "" }));
      this.apply([...items, ...roots].map((item) => ({ ...item, patches: [], depth: 1 })));
    }
  }

  /** Places the placements and everything their Kustomizations and ResourceSets apply. */
  apply(placements: Placement[]): void {
    this.queue.push(...placements);
    for (let next = 0; next < this.queue.length; next++) this.place(this.queue[next]!);
    this.queue.length = 0;
  }

  result(): ClusterManifests {
    return { name: this.name, objects: this.objects, problems: this.problems, unknown: this.unknown };
  }

  private place(placement: Placement): void {
    const { doc, targetNamespace, variables, depth } = placement;
    const role = roleOf(placement.value);
    if (role === undefined) return;
    const kustomizeNamespace = placement.namespace;
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
    const key = `${docId(doc)}|${namespace}|${finalName}`;
    if (this.placed.has(key)) return;
    this.placed.add(key);
    const source = sourceOf(doc);
    if (namespace === "") {
      this.problems.push({ type: "no-namespace", kind: role, object: finalName, source, message: noNamespaceMessage(role, finalName) });
      return;
    }
    if (substitutes) value = substituteValue(value, variables) as Record<string, unknown>;
    if (role === "ResourceSet") {
      // The ResourceSet is in the graph itself (its dependsOn may name any kind), and so is what it generates.
      this.objects.push(withApplier(decodeManifestObject(doc, role, value, namespace, finalName), placement.appliedBy));
      this.expand(doc, value, namespace, finalName, depth);
      return;
    }
    this.objects.push(withApplier(decodeManifestObject(doc, role, value, namespace, finalName), placement.appliedBy));
    if (role === "Kustomization") this.applyKustomization(doc, value, namespace, depth, `${namespace}/${finalName}`);
  }

  private applyKustomization(doc: ManifestDocument, value: Record<string, unknown>, namespace: string, depth: number, appliedBy: string): void {
    if (depth >= MAX_DEPTH) return;
    const spec = specOf(value);
    const childTarget = nonEmptyString(spec["targetNamespace"]);
    const childVariables = this.rules.variablesOf(value, namespace);
    const patches = patchesOf(spec["patches"]);
    // spec.namePrefix/nameSuffix go into the kustomization Flux generates around spec.path: outermost.
    const prefix = nonEmptyString(spec["namePrefix"]) ?? "";
    const suffix = nonEmptyString(spec["nameSuffix"]) ?? "";
    for (const item of this.rules.buildOf(value, doc, namespace)) {
      const child: Placement = { ...item, namePrefix: prefix + item.namePrefix, nameSuffix: item.nameSuffix + suffix, patches, depth: depth + 1, appliedBy };
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
      this.queue.push({ doc: generated, value: placed, namePrefix: "", nameSuffix: "", patches: [], depth: depth + 1 });
    });
  }
}

function withApplier(object: ManifestObject, appliedBy: string | undefined): ManifestObject {
  if (appliedBy !== undefined) object.appliedBy = appliedBy;
  return object;
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
  const applier = new ClusterApplier(WHOLE_PATH_CLUSTER, rules, defaultNamespace);
  const placements: Placement[] = [];
  for (const { doc } of fluxDocuments) {
    const items = kustomizePlacements.get(doc) ?? [{ doc, value: doc.value, namePrefix: "", nameSuffix: "" }];
    for (const item of items) placements.push({ ...item, patches: [], depth: 0 });
  }
  applier.apply(placements);
  return applier.result();
}
