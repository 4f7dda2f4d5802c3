// Entry point of the manifest reader: PATH arguments (files, folders, `-` for stdin) in, the Flux
// objects Flux would apply out, each with its resolved namespace and where it was read.
//
// A folder is read as a GitOps repo root, cluster by cluster, the way Flux applies it (flux-apply.ts).
// A file or stdin is taken as written (stdin is typically `kustomize build` or `flux build` output,
// already rendered): its own metadata.namespace, else the default namespace.

import { isAbsolute, join, relative, resolve } from "node:path";
import { applyRepository, WHOLE_PATH_CLUSTER } from "./flux-apply.js";
import { decodeManifestObject, documentIndexOf, nameOf, namespaceOf, roleOf } from "./flux-decode.js";
import { forEachManifestDocument } from "./manifest-document.js";
import type { ManifestDocument } from "./manifest-document.js";
import { ManifestError } from "./manifest-error.js";
import { ManifestFiles } from "./manifest-files.js";
import { crossKindKindOfCrd, crossKindKinds, setCrossKindDependsOn } from "../flux/cross-kind.js";
import type { FluxKind } from "../graph/types.js";
import { duplicateObjectMessage } from "./manifest-messages.js";
import type { ClusterManifests, ManifestObject, ManifestProblem, ReadOptions, RepositoryManifests, SourceLocation } from "./manifest-object.js";

const STDIN_FILE = "<stdin>";

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk));
  } catch (cause) {
    throw new ManifestError(STDIN_FILE, undefined, `cannot read standard input: ${(cause as Error).message}`);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * The objects of a file or stdin as written. `read` hands over one document at a time and only the
 * decoded object is kept, so the parsed documents of a large file never pile up.
 */
function asWritten(read: (visit: (doc: ManifestDocument) => void) => void, defaultNamespace: string, name: string = WHOLE_PATH_CLUSTER): ClusterManifests {
  const objects: ManifestObject[] = [];
  const crossKind = new Set<FluxKind>();
  read((doc) => {
    const kind = roleOf(doc.value);
    if (kind === undefined) {
      const rfc = crossKindKindOfCrd(doc.value);
      if (rfc !== undefined) crossKind.add(rfc);
      return;
    }
    const objectName = nameOf(doc, kind, doc.value);
    const namespace = namespaceOf(doc, kind, doc.value) || defaultNamespace;
    objects.push(decodeManifestObject(doc, kind, doc.value, namespace, objectName));
  });
  return { name, objects, problems: [], unknown: [], crossKind };
}

function order(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Order of definition: file, then position in it; the same whatever order the PATHs were given in.
 * (Lines are found only for what is reported, so the document position stands in for them.)
 */
function bySource(a: ManifestObject, b: ManifestObject): number {
  return (
    order(a.source.file, b.source.file) ||
    documentIndexOf(a) - documentIndexOf(b) ||
    order(a.namespace, b.namespace) ||
    order(a.name, b.name)
  );
}

function location(source: SourceLocation): string {
  return `${source.file}:${source.line}`;
}

/**
 * Joins what several PATHs contribute to a cluster of the same name, dropping an object read twice
 * (the same file given twice) and reporting the same kind/namespace/name defined in two places as a
 * `duplicate` problem; the first definition in file order is the one kept.
 */
function mergeCluster(name: string, parts: ClusterManifests[]): ClusterManifests {
  const all = parts.length === 1 ? parts[0]!.objects.slice() : parts.flatMap((part) => part.objects);
  all.sort(bySource);
  const objects: ManifestObject[] = [];
  const problems: ManifestProblem[] = parts.flatMap((part) => part.problems);
  const firstByKey = new Map<string, ManifestObject>();
  const seenPlaces = new Set<string>();
  // The same document can only be read twice when several PATHs overlap.
  const overlapping = parts.length > 1;
  for (const object of all) {
    const key = `${object.kind}\u0000${object.namespace}\u0000${object.name}`;
    if (overlapping) {
      const place = `${object.source.file}\u0000${documentIndexOf(object)}\u0000${key}`;
      if (seenPlaces.has(place)) continue;
      seenPlaces.add(place);
    }
    const first = firstByKey.get(key);
    if (first === undefined) {
      firstByKey.set(key, object);
      objects.push(object);
      continue;
    }
    const id = `${object.namespace}/${object.name}`;
    problems.push({
      type: "duplicate",
      kind: object.kind,
      object: id,
      source: object.source,
      message: duplicateObjectMessage(object.kind, id, location(first.source), location(object.source)),
    });
  }
  const definitions = new Set(parts.flatMap((part) => [...(part.definitions ?? [])]));
  const crossKind = new Set(parts.flatMap((part) => [...(part.crossKind ?? [])]));
  return { name, objects, problems, unknown: parts.flatMap((part) => part.unknown), definitions, fluxInstance: parts.some((part) => part.fluxInstance === true), crossKind };
}

/**
 * Reads every PATH and returns what Flux would apply, per cluster (flux-apply.ts). Clusters of the same
 * name from several PATHs are one cluster; files and stdin join the cluster of everything given
 * ("."). Throws ManifestError for unreadable input.
 */
export async function readRepository(paths: string[], options: ReadOptions): Promise<RepositoryManifests> {
  // Standard input is read once, for both readings below.
  let stdinText: string | undefined;
  const stdin = async (): Promise<string> => (stdinText ??= await readStream(options.stdin ?? process.stdin));
  const first = await readRepositoryOnce(paths, options, stdin);
  // The Flux RFC's cross-kind dependsOn (src/flux/cross-kind.ts): where the files hold a HelmRelease or
  // Kustomization CRD declaring it, the entries are read as a cluster serving that CRD reads them, for every
  // cluster of the repository (one setting a process). Most repositories hold no such CRD: one reading.
  const wanted = new Set<FluxKind>(first.clusters.flatMap((cluster) => [...(cluster.crossKind ?? [])]));
  const before = crossKindKinds();
  if ([...wanted].every((kind) => before.includes(kind))) return first;
  setCrossKindDependsOn([...before, ...wanted]);
  try {
    return await readRepositoryOnce(paths, options, stdin);
  } finally {
    setCrossKindDependsOn(before);
  }
}

async function readRepositoryOnce(paths: string[], options: ReadOptions, stdin: () => Promise<string>): Promise<RepositoryManifests> {
  const cwd = options.cwd ?? process.cwd();
  const parts = new Map<string, ClusterManifests[]>();
  const unreached: string[] = [];
  const add = (cluster: ClusterManifests, prefix: string) => {
    const name = prefix === "" || cluster.name === WHOLE_PATH_CLUSTER ? cluster.name : join(prefix, cluster.name);
    parts.set(name, [...(parts.get(name) ?? []), cluster]);
  };
  for (const given of paths) {
    if (given === "-") {
      const text = await stdin();
      add(asWritten((visit) => forEachManifestDocument(text, STDIN_FILE, "", visit), options.defaultNamespace), "");
      continue;
    }
    const path = resolve(cwd, given);
    const files = new ManifestFiles((p) => (isAbsolute(given) ? p : relative(cwd, p) || "."));
    if (files.isDirectory(path)) {
      const repository = applyRepository(path, files, options.defaultNamespace);
      // Several folders: cluster names are told apart by the folder they come from.
      for (const cluster of repository.clusters) add(cluster, paths.length > 1 ? files.display(path) : "");
      unreached.push(...repository.unreached);
    } else if (files.isFile(path)) {
      add(asWritten((visit) => files.eachDocumentOfNamedFile(path, visit), options.defaultNamespace), "");
    } else {
      throw new ManifestError(given, undefined, "no such file or folder; give a file, a folder, or - for standard input");
    }
  }
  const clusters = [...parts.keys()].sort().map((name) => mergeCluster(name, parts.get(name)!));
  const reachedFiles = new Set(clusters.flatMap((cluster) => cluster.objects.map((object) => object.source.file)));
  return { clusters, unreached: [...new Set(unreached)].filter((file) => !reachedFiles.has(file)).sort() };
}

/**
 * Every HelmRelease and Flux Kustomization Flux would apply from the PATHs, all clusters together
 * (one per cluster and kind/namespace/name).
 */
export async function readManifests(paths: string[], options: ReadOptions): Promise<ManifestObject[]> {
  const { clusters } = await readRepository(paths, options);
  return clusters.flatMap((cluster) => cluster.objects);
}
