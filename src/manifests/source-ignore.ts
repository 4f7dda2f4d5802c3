// What a Flux source leaves out of its artifact: source-controller drops the paths matched by the
// source's `spec.ignore` and by `.sourceignore` files (gitignore syntax; a `.sourceignore` applies to
// its own folder and below). A file left out is in no build (docs/behaviour.md, What check sees).

import { dirname, relative, sep } from "node:path";

interface Rule {
  /** Folder the pattern is relative to (absolute). */
  base: string;
  regex: RegExp;
  negated: boolean;
  directoryOnly: boolean;
}

function globToRegex(glob: string, anchored: boolean): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === "*") {
      if (glob[i + 1] === "*") {
        // `**/` any folders, `/**` everything below, `**` alone anything.
        if (glob[i + 2] === "/") {
          source += "(?:.*/)?";
          i += 2;
        } else {
          source += ".*";
          i += 1;
        }
      } else source += "[^/]*";
    } else if (char === "?") source += "[^/]";
    else if (char === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end === -1) source += "\\[";
      else {
        source += `[${glob.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else if (char === "\\" && i + 1 < glob.length) {
      source += glob[i + 1]!.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
      i++;
    } else source += char.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`${anchored ? "^" : "^(?:.*/)?"}${source}$`);
}

export class SourceIgnore {
  private readonly rules: Rule[] = [];

  /** Adds gitignore-style `text` relative to the folder `base`. */
  add(base: string, text: string): this {
    for (const raw of text.split(/\r?\n/)) {
      let line = raw.replace(/(?<!\\)\s+$/, "");
      if (line === "" || line.startsWith("#")) continue;
      const negated = line.startsWith("!");
      if (negated) line = line.slice(1);
      const directoryOnly = line.endsWith("/");
      if (directoryOnly) line = line.slice(0, -1);
      const anchored = line.includes("/");
      if (line.startsWith("/")) line = line.slice(1);
      if (line === "") continue;
      this.rules.push({ base, regex: globToRegex(line, anchored), negated, directoryOnly });
    }
    return this;
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  private matches(path: string, isDirectory: boolean): boolean {
    let ignored = false;
    for (const rule of this.rules) {
      const inBase = relative(rule.base, path);
      if (inBase === "" || inBase.startsWith("..")) continue;
      if (rule.directoryOnly && !isDirectory) continue;
      if (rule.regex.test(inBase.split(sep).join("/"))) ignored = !rule.negated;
    }
    return ignored;
  }

  /** Whether the file at `path` (absolute) is left out, itself or through a folder above it, up to `root`. */
  ignores(path: string, root: string): boolean {
    if (this.rules.length === 0) return false;
    const folders: string[] = [];
    for (let folder = dirname(path); folder.startsWith(root) && folder !== root; folder = dirname(folder)) folders.unshift(folder);
    return folders.some((folder) => this.matches(folder, true)) || this.matches(path, false);
  }
}
