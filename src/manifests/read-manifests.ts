// Entry point of the manifest reader: PATH arguments (files, folders, `-` for stdin) in, the Flux
// objects Flux would apply out, each with its resolved namespace and where it was read.
//
// A folder is read as a GitOps repo root: namespaces are resolved the way Flux applies it (flux-apply.ts).
// A file or stdin is taken as written (stdin is typically `kustomize build` or `flux build` output,
// already rendered): its own metadata.namespace, else the default namespace.

import { isAbsolute, relative, resolve } from "node:path";
import { applyRepository } from "./flux-apply.js";
import { fluxKindOf, metadataString, requireName, toManifestObject } from "./flux-object.js";
import { parseManifestText } from "./manifest-document.js";
import type { ManifestDocument } from "./manifest-document.js";
import { ManifestError } from "./manifest-error.js";
import { ManifestFiles } from "./manifest-files.js";
import type { ManifestObject, ReadOptions } from "./manifest-object.js";

export const STDIN_FILE = "<stdin>";

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk));
  } catch (cause) {
    throw new ManifestError(STDIN_FILE, undefined, `cannot read standard input: ${(cause as Error).message}`);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function asWritten(documents: ManifestDocument[], defaultNamespace: string): ManifestObject[] {
  const objects: ManifestObject[] = [];
  for (const doc of documents) {
    const kind = fluxKindOf(doc.value);
    if (!kind) continue;
    const name = requireName(doc, kind);
    const namespace = metadataString(doc, kind, "namespace") || defaultNamespace;
    objects.push(toManifestObject(doc, kind, doc.value, namespace, name));
  }
  return objects;
}

function bySource(a: ManifestObject, b: ManifestObject): number {
  const order = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return (
    order(a.source.file, b.source.file) ||
    a.source.line - b.source.line ||
    order(a.namespace, b.namespace) ||
    order(a.name, b.name)
  );
}

/**
 * Reads every PATH and returns the HelmReleases and Flux Kustomizations found, one per
 * (kind, namespace, name): the same object defined in several places (once per cluster folder) is
 * kept once, from the first file in path order. Throws ManifestError for unreadable input.
 */
export async function readManifests(paths: string[], options: ReadOptions): Promise<ManifestObject[]> {
  const cwd = options.cwd ?? process.cwd();
  const found: ManifestObject[] = [];
  for (const given of paths) {
    if (given === "-") {
      const text = await readStream(options.stdin ?? process.stdin);
      found.push(...asWritten(parseManifestText(text, STDIN_FILE, ""), options.defaultNamespace));
      continue;
    }
    const path = resolve(cwd, given);
    const files = new ManifestFiles((p) => (isAbsolute(given) ? p : relative(cwd, p) || "."));
    if (files.isDirectory(path)) {
      found.push(...applyRepository(path, files, options.defaultNamespace).sort(bySource));
    } else if (files.isFile(path)) {
      found.push(...asWritten(files.documentsOfNamedFile(path), options.defaultNamespace));
    } else {
      throw new ManifestError(given, undefined, "no such file or folder; give a file, a folder, or - for standard input");
    }
  }
  const seen = new Set<string>();
  return found.filter((object) => {
    const key = `${object.kind}\u0000${object.namespace}\u0000${object.name}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
