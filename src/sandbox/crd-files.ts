// Reading CustomResourceDefinitions for `releasegate sandbox --crds PATH`: a YAML or JSON file, or a
// folder of them (recursively, hidden entries skipped), every document kept in file-name order. A file
// that does not parse is an error naming it; documents that are not CRDs are reported by crd-schemas.ts.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

const MANIFEST = /\.(ya?ml|json)$/i;

async function files(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new Error(`${path}: no such file or directory; give a CRD file or a folder of them to --crds`);
  if (info.isFile()) return [path];
  const out: string[] = [];
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    const full = join(path, entry.name);
    if (entry.isDirectory()) out.push(...(await files(full)));
    else if (entry.isFile() && MANIFEST.test(entry.name)) out.push(full);
  }
  return out;
}

/** Every document of every manifest file under `path` (a file or a folder). */
export async function readCrdDocuments(path: string): Promise<unknown[]> {
  const docs: unknown[] = [];
  for (const file of await files(path)) {
    const text = await readFile(file, "utf8");
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message.split("\n", 1)[0] ?? "not YAML"}`);
      const value: unknown = doc.toJS();
      if (value !== null && value !== undefined) docs.push(value);
    }
  }
  return docs;
}
