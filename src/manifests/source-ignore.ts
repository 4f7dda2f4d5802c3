// What a Flux source leaves out of its artifact: source-controller drops the paths matched by the
// source's `spec.ignore` and by `.sourceignore` files, with the matcher of go-git v5's gitignore package
// (fluxcd/pkg sourceignore and artifact/storage; docs/behaviour.md, What check sees). Its rules differ
// from git's own:
// - every file is matched on its own, by its whole path; an ignored folder is still walked, so a later
//   `!pattern` brings files below it back (`/*` then `!/k8s/prod` keeps k8s/prod/**);
// - the last pattern that matches decides (patterns of .sourceignore files, the repo's first, then
//   those of sub-folders, then spec.ignore);
// - a pattern holding a `/` is matched from the start of the path (relative to the folder of its
//   .sourceignore) and matches a leading part of it: `/kubernetes` matches kubernetes/a/b.yaml;
// - a pattern without `/` matches any one part of the path: `drafts` leaves out everything under any
//   folder named drafts;
// - `**` as a whole part matches any number of folders; a trailing `/` matches folders only.
// Before them come source-controller's own patterns for version control files (.git/ and friends). (A
// source without any ignore rule also drops images, archives and CI files by default: none of them is
// a manifest a build could hold, so a source without rules is read whole here.)

import { relative, sep } from "node:path";

interface Pattern {
  /** Path parts of the folder the pattern is relative to (its .sourceignore's folder), from the root. */
  domain: string[];
  parts: string[];
  include: boolean;
  dirOnly: boolean;
  /** Holds a `/`: matched part by part from the start; else against every part. */
  anchored: boolean;
}

const VCS = [".git/", ".gitignore", ".gitmodules", ".gitattributes"];
const globCache = new Map<string, RegExp>();

/** Go's filepath.Match for one path part: `*`, `?`, `[...]` (with `^`/`!` negation) and `\` escapes. */
function partMatches(glob: string, name: string): boolean {
  let regex = globCache.get(glob);
  if (regex === undefined) {
    let source = "";
    for (let i = 0; i < glob.length; i++) {
      const char = glob[i]!;
      if (char === "*") source += "[^/]*";
      else if (char === "?") source += "[^/]";
      else if (char === "[") {
        const end = glob.indexOf("]", i + 2);
        if (end === -1) {
          source += "(?!)";
          break;
        }
        const body = glob.slice(i + 1, end).replace(/^[!^]/, "^").replace(/\\(?!.)/g, "\\\\");
        source += `[${body}]`;
        i = end;
      } else if (char === "\\" && i + 1 < glob.length) {
        source += glob[++i]!.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
      } else source += char.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    }
    regex = new RegExp(`^${source}$`);
    globCache.set(glob, regex);
  }
  return regex.test(name);
}

function parse(line: string, domain: string[]): Pattern {
  let text = line;
  const include = text.startsWith("!");
  if (include) text = text.slice(1);
  if (!text.endsWith("\\ ")) text = text.replace(/ +$/, "");
  const dirOnly = text.endsWith("/");
  if (dirOnly) text = text.slice(0, -1);
  return { domain, parts: text.split("/"), include, dirOnly, anchored: text.includes("/") };
}

/** A pattern without `/`: any part of the path may match (the last one only if it is of the right type). */
function nameMatch(pattern: Pattern, path: readonly string[], isDirectory: boolean): boolean {
  for (let i = 0; i < path.length; i++) {
    if (!partMatches(pattern.parts[0]!, path[i]!)) continue;
    if (pattern.dirOnly && !isDirectory && i === path.length - 1) return false;
    return true;
  }
  return false;
}

/** A pattern with `/`: its parts in order from the start of the path; what is left of the path after them is below a match. */
function globMatch(pattern: Pattern, path: readonly string[], isDirectory: boolean): boolean {
  let rest = 0;
  let matched = false;
  let traverse = false;
  for (let i = 0; i < pattern.parts.length; i++) {
    const part = pattern.parts[i]!;
    if (part === "") {
      traverse = false;
      continue;
    }
    if (part === "**") {
      if (i === pattern.parts.length - 1) break;
      traverse = true;
      continue;
    }
    if (part.includes("**") || rest >= path.length) return false;
    if (traverse) {
      traverse = false;
      while (rest < path.length) {
        const name = path[rest++]!;
        if (partMatches(part, name)) {
          matched = true;
          break;
        }
        if (rest === path.length) matched = false;
      }
    } else {
      if (!partMatches(part, path[rest]!)) return false;
      matched = true;
      rest++;
    }
  }
  return matched && !(pattern.dirOnly && !isDirectory && rest === path.length);
}

function matches(pattern: Pattern, path: readonly string[], isDirectory: boolean): boolean {
  if (path.length <= pattern.domain.length) return false;
  for (let i = 0; i < pattern.domain.length; i++) if (path[i] !== pattern.domain[i]) return false;
  const below = pattern.domain.length === 0 ? path : path.slice(pattern.domain.length);
  return pattern.anchored ? globMatch(pattern, below, isDirectory) : nameMatch(pattern, below, isDirectory);
}

export class SourceIgnore {
  private readonly patterns: Pattern[] = [];

  constructor(private readonly root: string) {}

  /** Adds gitignore-style `text` relative to the folder `base` (below the root). */
  add(base: string, text: string): this {
    const inRoot = relative(this.root, base);
    const domain = inRoot === "" ? [] : inRoot.split(sep);
    for (const line of text.split("\n")) {
      const clean = line.endsWith("\r") ? line.slice(0, -1) : line;
      if (clean.startsWith("#") || clean.trim() === "") continue;
      this.patterns.push(parse(clean, domain));
    }
    return this;
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** The source-controller matcher: its own patterns first, then these. */
  finish(): this {
    this.patterns.unshift(...VCS.map((line) => parse(line, [])));
    return this;
  }

  /** Whether the file at `path` (absolute, below the root) is left out of the artifact: the last matching pattern decides. */
  ignores(path: string): boolean {
    const parts = relative(this.root, path).split(sep);
    for (let i = this.patterns.length - 1; i >= 0; i--) {
      const pattern = this.patterns[i]!;
      if (matches(pattern, parts, false)) return !pattern.include;
    }
    return false;
  }
}
