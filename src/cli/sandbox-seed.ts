// The sandbox's seed: every object document under a path, as raw objects (the sandbox stores them
// whole, values and all; the manifest reader's FluxObjects keep only what the graph reads). Files are
// found like `check` finds them (*.yaml, *.yml, *.json, recursively, hidden folders skipped) and parsed
// by the same YAML reader, so a malformed file gets the same `file:line:` error.
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { parseManifestText } from "../manifests/manifest-document.js";
import { isManifestFileName } from "../manifests/manifest-files.js";
import { ManifestError } from "../manifests/manifest-error.js";

async function manifestFiles(path: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new ManifestError(path, undefined, "no such file or directory; give a file or folder of manifests to --seed");
  }
  if (info.isFile()) return [path];
  const files: string[] = [];
  const entries = await readdir(path, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const full = join(path, entry.name);
    if (entry.isDirectory()) files.push(...(await manifestFiles(full)));
    else if (entry.isFile() && isManifestFileName(entry.name)) files.push(full);
  }
  return files;
}

/** Every object document under `path` (a file or a folder), in file order. */
export async function readSeedObjects(path: string): Promise<Record<string, unknown>[]> {
  const objects: Record<string, unknown>[] = [];
  for (const file of await manifestFiles(path)) {
    const text = await readFile(file, "utf8");
    const shown = relative(process.cwd(), file) || file;
    for (const doc of parseManifestText(text, shown, file)) objects.push(doc.value);
  }
  return objects;
}
