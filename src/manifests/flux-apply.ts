// Places every Flux object of a repo folder the way Flux would apply it (DESIGN.md, `releasegate check`):
//
// - A Flux Kustomization builds its `spec.path` like kustomize (see kustomize-build.ts); what it builds
//   lands in its `spec.targetNamespace`, else the kustomize `namespace:`, else the object's own
//   `metadata.namespace`, named with its `spec.namePrefix`/`nameSuffix` around kustomize's; then its
//   `spec.postBuild` variables are substituted (see substitution.ts).
//   The Flux Kustomizations it builds are applied in turn, so namespaces and variables flow down the tree.
// - Objects no Flux Kustomization reaches take the outermost kustomize `namespace:` of a kustomization
//   that includes them, else their own, else the default namespace.
// - The repo's root Kustomizations (flux-system, cluster-apps) are often created at bootstrap and
//   absent from the repo, so the Flux Kustomizations no other one builds are the roots. A bootstrap
//   flux-system Kustomization that is in the repo builds its own folder; it is a root too, being
//   built only by itself.
//
// An object reached by several builds yields one object per distinct namespace/name; files that a
// kustomization names only as patches are not objects.

import type { FluxKind } from "../graph/types.js";
import { fluxKindOf, metadataString, requireName, toManifestObject } from "./flux-object.js";
import { resolveFluxPath } from "./flux-path.js";
import { KustomizeBuilder } from "./kustomize-build.js";
import type { BuildItem, KustomizeConfig } from "./kustomize-build.js";
import { isPlainObject } from "./manifest-document.js";
import type { ManifestDocument } from "./manifest-document.js";
import type { ManifestFiles } from "./manifest-files.js";
import { KUSTOMIZATION_FILE_NAMES } from "./manifest-files.js";
import type { ManifestObject } from "./manifest-object.js";
import { substituteString, substituteValue } from "./substitution.js";
import type { Variables } from "./substitution.js";
import { basename, dirname } from "node:path";

/** A document as one Flux Kustomization (or none) applies it. */
interface Placement extends BuildItem {
  targetNamespace?: string;
  /** The applying Kustomization's postBuild variables; undefined when it has no postBuild (no substitution). */
  variables?: Variables;
  depth: number;
}

/** Flux documents marked with this annotation are not substituted (kustomize-controller docs, postBuild). */
const SUBSTITUTE_ANNOTATION = "kustomize.toolkit.fluxcd.io/substitute";
/** Nesting depth of Flux Kustomizations beyond which a build is taken to be a loop. */
const MAX_DEPTH = 64;

function docId(doc: ManifestDocument): string {
  return `${doc.path}#${doc.index}`;
}

function specOf(value: Record<string, unknown>): Record<string, unknown> {
  const spec = value["spec"];
  return isPlainObject(spec) ? spec : {};
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
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

export function applyRepository(root: string, files: ManifestFiles, defaultNamespace: string): ManifestObject[] {
  const tree = files.tree(root);
  const builder = new KustomizeBuilder(files);
  const documents = tree.files.flatMap((file) => files.documents(file));

  const configs: KustomizeConfig[] = [];
  for (const file of tree.files) {
    if (!KUSTOMIZATION_FILE_NAMES.includes(basename(file))) continue;
    const config = builder.configAt(dirname(file));
    if (config && config.path === file) configs.push(config);
  }
  const patchFiles = new Set(configs.flatMap((config) => config.patchFiles));
  const variableSources = new VariableSources();
  const fluxDocuments: { doc: ManifestDocument; kind: FluxKind }[] = [];
  for (const doc of documents) {
    variableSources.add(doc);
    const kind = fluxKindOf(doc.value);
    // A file that a kustomization names as a patch is a fragment merged into another object.
    if (kind && !patchFiles.has(doc.path)) fluxDocuments.push({ doc, kind });
  }

  /** What a Flux Kustomization (its document after substitution) builds. */
  const buildOf = (value: Record<string, unknown>, definedIn: ManifestDocument): BuildItem[] => {
    const spec = specOf(value);
    const path = typeof spec["path"] === "string" ? spec["path"] : "";
    // A path still holding a variable names no folder we can find.
    if (path.includes("${")) return [];
    const sourceRef = spec["sourceRef"];
    const sourceName = isPlainObject(sourceRef) ? nonEmptyString(sourceRef["name"]) : undefined;
    const folder = resolveFluxPath(path, root, tree.folders, { definedIn: definedIn.path, ...(sourceName ? { sourceName } : {}) }, (p) =>
      files.isDirectory(p),
    );
    if (folder === undefined) return [];
    const components = Array.isArray(spec["components"])
      ? spec["components"].filter((entry): entry is string => typeof entry === "string" && !entry.includes("${"))
      : [];
    return builder.buildFluxPath(folder, components);
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
  const builtBy = new Map<ManifestDocument, ManifestDocument[]>();
  const builds = new Map<ManifestDocument, ManifestDocument[]>();
  for (const { doc, kind } of fluxDocuments) {
    if (kind !== "Kustomization") continue;
    const built = [...new Set(buildOf(doc.value, doc).map((item) => item.doc))];
    builds.set(doc, built);
    for (const child of built) builtBy.set(child, [...(builtBy.get(child) ?? []), doc]);
  }
  const descendantsMemo = new Map<ManifestDocument, Set<ManifestDocument>>();
  const descendants = (doc: ManifestDocument): Set<ManifestDocument> => {
    let found = descendantsMemo.get(doc);
    if (!found) {
      found = new Set();
      const stack = [...(builds.get(doc) ?? [])];
      for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
        if (found.has(next)) continue;
        found.add(next);
        stack.push(...(builds.get(next) ?? []));
      }
      descendantsMemo.set(doc, found);
    }
    return found;
  };

  // Where kustomize alone would put each document: the builds of the outermost kustomizations.
  const included = new Set(configs.flatMap((config) => builder.includedFolders(config)));
  const kustomizePlacements = new Map<ManifestDocument, BuildItem[]>();
  for (const config of configs) {
    if (included.has(config.folder)) continue;
    for (const item of builder.buildFolder(config.folder)) {
      kustomizePlacements.set(item.doc, [...(kustomizePlacements.get(item.doc) ?? []), item]);
    }
  }

  const objects: ManifestObject[] = [];
  const placed = new Set<string>();
  const reached = new Set<ManifestDocument>();
  const queue: Placement[] = [];

  const place = ({ doc, kind, namespace: kustomizeNamespace, namePrefix, nameSuffix, targetNamespace, variables, depth }: Placement) => {
    const name = requireName(doc, kind);
    const annotations = isPlainObject(doc.value["metadata"]) ? doc.value["metadata"]["annotations"] : undefined;
    const substitutes = variables !== undefined && !(isPlainObject(annotations) && annotations[SUBSTITUTE_ANNOTATION] === "disabled");
    const substitute = (text: string) => (substitutes ? substituteString(text, variables) : text);
    const finalName = substitute(namePrefix + name + nameSuffix);
    const namespaceText = targetNamespace ?? kustomizeNamespace ?? metadataString(doc, kind, "namespace");
    const namespace = (namespaceText === undefined ? "" : substitute(namespaceText)) || defaultNamespace;

    const key = `${docId(doc)}|${namespace}|${finalName}`;
    if (placed.has(key)) return;
    placed.add(key);
    reached.add(doc);
    const value = substitutes ? (substituteValue(doc.value, variables) as Record<string, unknown>) : doc.value;
    objects.push(toManifestObject(doc, kind, value, namespace, finalName));

    if (kind !== "Kustomization" || depth >= MAX_DEPTH) return;
    const spec = specOf(value);
    const childTarget = nonEmptyString(spec["targetNamespace"]);
    const childVariables = variablesOf(value, namespace);
    // spec.namePrefix/nameSuffix go into the kustomization Flux generates around spec.path: outermost.
    const prefix = nonEmptyString(spec["namePrefix"]) ?? "";
    const suffix = nonEmptyString(spec["nameSuffix"]) ?? "";
    for (const item of buildOf(value, doc)) {
      const child: Placement = { ...item, namePrefix: prefix + item.namePrefix, nameSuffix: item.nameSuffix + suffix, depth: depth + 1 };
      if (childTarget !== undefined) child.targetNamespace = childTarget;
      if (childVariables !== undefined) child.variables = childVariables;
      queue.push(child);
    }
  };

  const placeAsRoot = (doc: ManifestDocument, kind: FluxKind) => {
    const items = kustomizePlacements.get(doc) ?? [{ doc, kind, namePrefix: "", nameSuffix: "" }];
    for (const item of items) queue.push({ ...item, depth: 0 });
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) place(next);
  };

  // A document is placed as a root when no Flux Kustomization still to be placed builds it, except
  // itself or ones it builds (flux-system applying its own folder, or a loop). Everything else is
  // placed by the Kustomizations that build it, with their namespaces and variables.
  const isRoot = (doc: ManifestDocument) =>
    (builtBy.get(doc) ?? []).every((by) => by === doc || reached.has(by) || descendants(doc).has(by));
  for (;;) {
    const left = fluxDocuments.filter(({ doc }) => !reached.has(doc));
    const next = left.find(({ doc }) => isRoot(doc)) ?? left[0];
    if (next === undefined) break;
    placeAsRoot(next.doc, next.kind);
  }
  return objects;
}
