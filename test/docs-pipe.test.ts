// The pipe in CONTRIBUTING.md and docs/architecture.md names its steps as `file:function` (or
// `file:Class.method`): this checks, with the TypeScript compiler's parser, that every file and
// function named there exists, and every `Class.method` named without its file is a member of some class
// of src/, so the documents cannot silently drift from the code.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./helpers/cli.js";

const DOCS = ["CONTRIBUTING.md", "docs/architecture.md"];

/** Every backticked `src/…ts` path in `text`, with the `:Name` or `:Class.member` after it if any. */
function codeReferences(text: string): { file: string; name?: string }[] {
  const refs: { file: string; name?: string }[] = [];
  for (const match of text.matchAll(/`((?:src|test|bench)\/[\w./-]+\.ts)(?::([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)?))?`/g)) {
    refs.push(match[2] === undefined ? { file: match[1]! } : { file: match[1]!, name: match[2] });
  }
  return refs;
}

/** The names a file declares at its top level, and `Class.member` for each member of its classes. */
function declaredNames(file: string): Set<string> {
  const source = ts.createSourceFile(file, readFileSync(join(repoRoot, file), "utf8"), ts.ScriptTarget.Latest, true);
  const names = new Set<string>();
  for (const statement of source.statements) {
    if ((ts.isFunctionDeclaration(statement) || ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) && statement.name) {
      names.add(statement.name.text);
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) if (ts.isIdentifier(declaration.name)) names.add(declaration.name.text);
    } else if (ts.isClassDeclaration(statement) && statement.name) {
      const className = statement.name.text;
      names.add(className);
      for (const member of statement.members) {
        if (member.name !== undefined && (ts.isIdentifier(member.name) || ts.isPrivateIdentifier(member.name))) names.add(`${className}.${member.name.text}`);
      }
    }
  }
  return names;
}

/** `Class.member` for every class declared under src/ (tests apart), for the steps named without their file. */
let knownMembers: Set<string> | undefined;
function classMembers(): Set<string> {
  if (knownMembers !== undefined) return knownMembers;
  const members = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(repoRoot, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (path.endsWith(".ts") && !path.endsWith(".test.ts")) for (const name of declaredNames(path)) if (name.includes(".")) members.add(name);
    }
  };
  walk("src");
  knownMembers = members;
  return members;
}

/** Backticked `Class.member` mentions without a file (`ObjectCache.relist`). */
function memberReferences(text: string): string[] {
  return [...text.matchAll(/(?<![\w/.:])`([A-Z][A-Za-z0-9]*\.[a-z][A-Za-z0-9]*)`/g)].map((match) => match[1]!);
}

/** What is wrong with one reference, or undefined when its file and name exist. */
function problemOf(ref: { file: string; name?: string }): string | undefined {
  if (!existsSync(join(repoRoot, ref.file))) return `${ref.file} does not exist`;
  if (ref.name !== undefined && !declaredNames(ref.file).has(ref.name)) return `${ref.file} declares no ${ref.name}`;
  return undefined;
}

describe("the pipe as documented", () => {
  for (const doc of DOCS) {
    it(`${doc} names only files and functions that exist`, () => {
      const text = readFileSync(join(repoRoot, doc), "utf8");
      const pipe = text.slice(text.indexOf("## The pipe"));
      const steps = codeReferences(pipe.slice(0, pipe.indexOf("\n## ", 1) === -1 ? undefined : pipe.indexOf("\n## ", 1))).filter((ref) => ref.name !== undefined);
      // Both paths are drawn as steps: the watch event to the reconcile request, the review to its answer.
      expect(steps.map((ref) => `${ref.file}:${ref.name}`)).toEqual(
        expect.arrayContaining([
          "src/cluster/object-cache.ts:ObjectCache.watchOnce",
          "src/cluster/reconcile-request.ts:requestReconcile",
          "src/admission/review-handler.ts:reviewAdmission",
          "src/admission/render.ts:renderAdmissionResponse",
        ]),
      );
      const problems = codeReferences(text).map(problemOf).filter((problem) => problem !== undefined);
      expect(problems).toEqual([]);
      const members = classMembers();
      expect(memberReferences(text).filter((member) => !members.has(member))).toEqual([]);
    });
  }

  it("notices a step that no longer exists", () => {
    expect(problemOf({ file: "src/cluster/object-cache.ts", name: "ObjectCache.watchOnce" })).toBeUndefined();
    expect(problemOf({ file: "src/cluster/object-cache.ts", name: "ObjectCache.watchTwice" })).toBe("src/cluster/object-cache.ts declares no ObjectCache.watchTwice");
    expect(problemOf({ file: "src/cluster/no-such-file.ts", name: "start" })).toBe("src/cluster/no-such-file.ts does not exist");
    expect(codeReferences("see `src/a/b.ts:C.d` and `src/e.ts`")).toEqual([{ file: "src/a/b.ts", name: "C.d" }, { file: "src/e.ts" }]);
    expect(memberReferences("`ObjectCache.relist` then `src/x.ts:Y.z` and `KubeClient.find`")).toEqual(["ObjectCache.relist", "KubeClient.find"]);
    expect(classMembers().has("ObjectCache.relist")).toBe(true);
    expect(classMembers().has("ObjectCache.relistTwice")).toBe(false);
  });
});
