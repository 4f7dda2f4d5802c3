// The `yaml` library, the one full YAML reader of manifests, loaded the first time it is needed: a
// `check` of plain manifests reads them with the fast reader (src/manifests/plain-yaml.ts) and never
// needs it, and loading it up front cost a CI run a noticeable share of its start-up (docs/behaviour.md,
// Performance targets). Configured to read as go-yaml v3 (kyaml, so Flux) reads: the YAML 1.2 core
// schema, `<<` merge keys, a key twice in one mapping refused.
import { createRequire } from "node:module";
import type * as Yaml from "yaml";

let loaded: typeof Yaml | undefined;

export function yamlLibrary(): typeof Yaml {
  loaded ??= createRequire(import.meta.url)("yaml") as typeof Yaml;
  return loaded;
}

/** The options every full read of a manifest uses. */
export const MANIFEST_YAML_OPTIONS = { schema: "core", merge: true, uniqueKeys: true, logLevel: "silent" } as const;

/** A YAML syntax error: the reason, and the 1-based line within the text read. */
export class YamlSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly line: number | undefined,
  ) {
    super(reason);
    this.name = "YamlSyntaxError";
  }
}

/** One YAML document's value as go-yaml reads it; throws YamlSyntaxError (with its line) on malformed input. */
export function readYamlDocument(text: string): unknown {
  const doc = yamlLibrary().parseDocument(text, MANIFEST_YAML_OPTIONS);
  const error = doc.errors[0];
  if (error !== undefined) {
    const reason = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    throw new YamlSyntaxError(reason, error.linePos?.[0].line);
  }
  return doc.toJS({ maxAliasCount: 100 }) as unknown;
}

/** Every document of a YAML stream, as go-yaml reads them; throws YamlSyntaxError on malformed input. */
export function readYamlStream(text: string): unknown[] {
  const docs = yamlLibrary().parseAllDocuments(text, MANIFEST_YAML_OPTIONS);
  const list = Array.isArray(docs) ? docs : [docs];
  const values: unknown[] = [];
  for (const doc of list) {
    const error = doc.errors[0];
    if (error !== undefined) throw new YamlSyntaxError(error.message.split("\n")[0]!, error.linePos?.[0].line);
    values.push(doc.toJS({ maxAliasCount: 100 }) as unknown);
  }
  return values;
}
