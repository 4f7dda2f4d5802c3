// A kustomize build reduced to what decides where a Flux object lands and what it depends on: which
// files a kustomization includes (`resources`, `components`, folders by their own kustomization), the
// `namespace:`, `namePrefix:` and `nameSuffix:` transformers (the outermost kustomization applies last,
// so its namespace wins), `patches` and `replacements`, and which files are only patches. Only the
// documents `check` parses are kept (Flux objects, and the ConfigMaps and Secrets replacements and
// substitutions read); files the source leaves out (spec.ignore, .sourceignore) are in no build.
//
// Remote resources (URLs, git refs) are skipped, and so are entries naming a file that is not there:
// `check` often sees only part of a repo (a Secret or values file left out), and kustomize's error
// for it would say nothing about dependencies.

import { readFileSync } from "node:fs";
import { dirname, extname, join, resolve } from "node:path";
import { isPlainObject } from "./manifest-document.js";
import type { ManifestDocument } from "./manifest-document.js";
import { KUSTOMIZATION_FILE_NAMES } from "./manifest-files.js";
import type { ManifestFiles } from "./manifest-files.js";
import { applyPatches, patchesOf } from "./patches.js";
import type { Patch } from "./patches.js";
import { applyReplacements, replacementsOf } from "./replacements.js";
import type { SourceIgnore } from "./source-ignore.js";

/** A kustomize `kustomization.yaml` (kind Kustomization or Component), reduced to the fields read here. */
export interface KustomizeConfig {
  path: string;
  folder: string;
  namespace?: string;
  namePrefix: string;
  nameSuffix: string;
  /** `resources` and the deprecated `bases`, as written. */
  resources: string[];
  components: string[];
  /** Absolute paths of the files named by `patches`, `patchesStrategicMerge` and `patchesJson6902`. */
  patchFiles: string[];
  patches: Patch[];
  replacements: Record<string, unknown>[];
}

/** One document included by a build, with the transformers of the kustomizations around it. */
export interface BuildItem {
  doc: ManifestDocument;
  /** The document after the build's patches and replacements (`doc.value` when none applied). */
  value: Record<string, unknown>;
  /** Set by the outermost kustomization with a `namespace:`. */
  namespace?: string;
  namePrefix: string;
  nameSuffix: string;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

/** Reads a kustomization file's first document; undefined when it is something else (e.g. a Flux object). */
function kustomizeConfigOf(doc: ManifestDocument): KustomizeConfig | undefined {
  const { apiVersion, kind } = doc.value;
  if (apiVersion !== undefined && !(typeof apiVersion === "string" && apiVersion.startsWith("kustomize.config.k8s.io/"))) {
    return undefined;
  }
  if (kind !== undefined && kind !== "Kustomization" && kind !== "Component") return undefined;
  const folder = dirname(doc.path);
  const text = (key: string) => (typeof doc.value[key] === "string" ? (doc.value[key] as string) : undefined);
  const patchFiles: string[] = [];
  for (const key of ["patches", "patchesJson6902", "patchesStrategicMerge"]) {
    const entries = doc.value[key];
    if (!Array.isArray(entries)) continue;
    for (const entry of entries as unknown[]) {
      const file = isPlainObject(entry) ? entry["path"] : entry;
      // patchesStrategicMerge entries may also be inline YAML; only single-line ones can be paths.
      if (typeof file === "string" && !file.includes("\n")) patchFiles.push(resolve(folder, file));
    }
  }
  const readFile = (file: string) => {
    try {
      return readFileSync(resolve(folder, file), "utf8");
    } catch {
      return undefined;
    }
  };
  const patches = [
    ...patchesOf(doc.value["patchesStrategicMerge"], readFile),
    ...patchesOf(doc.value["patches"], readFile),
    ...patchesOf(doc.value["patchesJson6902"], readFile),
  ];
  const config: KustomizeConfig = {
    path: doc.path,
    folder,
    namePrefix: text("namePrefix") ?? "",
    nameSuffix: text("nameSuffix") ?? "",
    resources: [...strings(doc.value["resources"]), ...strings(doc.value["bases"])],
    components: strings(doc.value["components"]),
    patchFiles,
    patches,
    replacements: replacementsOf(doc.value["replacements"], readFile),
  };
  const namespace = text("namespace");
  if (namespace) config.namespace = namespace;
  return config;
}

function isNamespaceObject(value: Record<string, unknown>): boolean {
  return value["kind"] === "Namespace" && value["apiVersion"] === "v1";
}

function renamed(value: Record<string, unknown>, name: string): Record<string, unknown> {
  const metadata = isPlainObject(value["metadata"]) ? value["metadata"] : {};
  return { ...value, metadata: { ...metadata, name } };
}

function isRemote(entry: string): boolean {
  return (
    /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) ||
    entry.startsWith("git@") ||
    entry.includes("?ref=") ||
    /^(github\.com|gitlab\.com|bitbucket\.org)\//.test(entry)
  );
}

export class KustomizeBuilder {
  private readonly configs = new Map<string, KustomizeConfig | undefined>();
  private readonly builds = new Map<string, BuildItem[]>();
  private readonly inProgress = new Set<string>();

  /** `ignore` holds what the source leaves out of its artifact (below `root`). */
  constructor(
    private readonly files: ManifestFiles,
    private readonly ignore?: SourceIgnore,
  ) {}

  private ignored(path: string): boolean {
    return this.ignore !== undefined && this.ignore.ignores(path);
  }

  /** The kustomization of a folder, if it has one. */
  configAt(folder: string): KustomizeConfig | undefined {
    if (!this.configs.has(folder)) {
      let config: KustomizeConfig | undefined;
      const file = KUSTOMIZATION_FILE_NAMES.map((name) => join(folder, name)).find((path) => this.files.isFile(path));
      const first = file === undefined ? undefined : this.files.documents(file)[0];
      if (first) config = kustomizeConfigOf(first);
      this.configs.set(folder, config);
    }
    return this.configs.get(folder);
  }

  /** Folders a kustomization includes through `resources` or `components` (for finding the outermost ones). */
  includedFolders(config: KustomizeConfig): string[] {
    return [...config.resources, ...config.components]
      .filter((entry) => !isRemote(entry))
      .map((entry) => resolve(config.folder, entry))
      .filter((path) => this.files.isDirectory(path));
  }

  /** `kustomize build FOLDER`, as far as Flux objects go. */
  buildFolder(folder: string): BuildItem[] {
    const cached = this.builds.get(folder);
    if (cached) return cached;
    // A kustomization that includes itself is an error for kustomize; here it just adds nothing twice.
    if (this.inProgress.has(folder)) return [];
    this.inProgress.add(folder);
    try {
      const config = this.configAt(folder);
      const items = config ? this.buildConfig(config, []) : this.generatedResources(folder);
      this.builds.set(folder, items);
      return items;
    } finally {
      // A ManifestError (a file kustomize cannot read) fails this build and every build including it.
      this.inProgress.delete(folder);
    }
  }

  /**
   * What a Flux Kustomization builds from its `spec.path` folder: the folder's kustomization with the
   * Flux Kustomization's `spec.components` added (paths relative to the folder), or, without a
   * kustomization, the one kustomize-controller generates.
   */
  buildFluxPath(folder: string, components: readonly string[]): BuildItem[] {
    if (components.length === 0) return this.buildFolder(folder);
    const config = this.configAt(folder);
    if (config) return this.buildConfig(config, components);
    return [...this.generatedResources(folder), ...components.flatMap((entry) => this.buildEntry(folder, entry))];
  }

  private buildConfig(config: KustomizeConfig, extraComponents: readonly string[]): BuildItem[] {
    return this.transform(config, [], extraComponents);
  }

  /**
   * One kustomization (or component) over what is accumulated so far, in kustomize's order: its
   * resources join, then each component in turn transforms everything accumulated (a component's patches
   * reach the including kustomization's resources), then its own transformers run — namespace (which
   * also renames Namespace objects), name prefix/suffix, patches — and its replacements last.
   */
  private transform(config: KustomizeConfig, accumulated: readonly BuildItem[], extraComponents: readonly string[]): BuildItem[] {
    let included = [...accumulated, ...config.resources.flatMap((entry) => this.buildEntry(config.folder, entry))];
    for (const entry of [...config.components, ...extraComponents]) included = this.applyComponent(config.folder, entry, included);
    const items: BuildItem[] = [];
    for (const item of included) {
      const placed: BuildItem = {
        ...item,
        namePrefix: config.namePrefix + item.namePrefix,
        nameSuffix: item.nameSuffix + config.nameSuffix,
      };
      if (config.namespace !== undefined) {
        placed.namespace = config.namespace;
        // kustomize's namespace transformer also names every v1 Namespace object after the namespace,
        // before replacements read them (api/filters/namespace).
        if (isNamespaceObject(placed.value)) placed.value = renamed(placed.value, config.namespace);
      }
      if (config.patches.length > 0) {
        const patched = applyPatches(placed.value, config.patches, placed.namespace);
        if (patched === undefined) continue;
        placed.value = patched;
      }
      items.push(placed);
    }
    if (config.replacements.length > 0) {
      for (const item of items) item.value = structuredClone(item.value);
      applyReplacements(items, config.replacements);
    }
    return items;
  }

  /** A component applied to the resources accumulated so far (kustomize components, kind Component). */
  private applyComponent(base: string, entry: string, accumulated: readonly BuildItem[]): BuildItem[] {
    if (isRemote(entry)) return [...accumulated];
    const folder = resolve(base, entry);
    const component = this.files.isDirectory(folder) ? this.configAt(folder) : undefined;
    if (component === undefined) return [...accumulated, ...this.buildEntry(base, entry)];
    if (this.inProgress.has(folder)) return [...accumulated];
    this.inProgress.add(folder);
    try {
      return this.transform(component, accumulated, []);
    } finally {
      this.inProgress.delete(folder);
    }
  }

  private buildEntry(base: string, entry: string): BuildItem[] {
    if (isRemote(entry)) return [];
    const path = resolve(base, entry);
    if (this.files.isDirectory(path)) return this.buildFolder(path);
    if (this.files.isFile(path)) return this.fileItems(path);
    return [];
  }

  private fileItems(path: string): BuildItem[] {
    if (this.ignored(path)) return [];
    return this.files.documents(path).map((doc) => ({ doc, value: doc.value, namePrefix: "", nameSuffix: "" }));
  }

  /**
   * kustomize-controller's generated kustomization for a folder without one (fluxcd/pkg kustomize
   * generator): every *.yaml/*.yml file below it, except that a sub-folder holding its own
   * kustomization is included as one resource and not descended into.
   */
  private generatedResources(folder: string): BuildItem[] {
    const items: BuildItem[] = [];
    for (const name of this.files.list(folder)) {
      const path = join(folder, name);
      if (this.files.isDirectory(path)) {
        // An ignored folder is still walked: source-controller matches each file on its own.
        if (name.startsWith(".")) continue;
        items.push(...(this.configAt(path) ? this.buildFolder(path) : this.generatedResources(path)));
      } else if ([".yaml", ".yml"].includes(extname(name).toLowerCase()) && this.files.isFile(path)) {
        items.push(...this.fileItems(path));
      }
    }
    return items;
  }
}
