// The `yaml` library, loaded the first time it is needed. It keeps node positions (for file:line in
// reports) and reads rendered templates, but a `check` that reports nothing needs neither; loading it
// up front cost a CI run a noticeable share of its start-up (docs/behaviour.md, Performance targets).
import { createRequire } from "node:module";
import type * as Yaml from "yaml";

let loaded: typeof Yaml | undefined;

export function yamlLibrary(): typeof Yaml {
  loaded ??= createRequire(import.meta.url)("yaml") as typeof Yaml;
  return loaded;
}
