// What every TypeScript file of the repository exports and imports, read with the TypeScript compiler's
// parser (no type-checking, so it reads the whole tree in about a second). test/exports.test.ts uses it to
// keep one home per exported name and no export that nothing imports (CONTRIBUTING.md, "Conventions").
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

/** Repository-relative path of a file, with forward slashes. */
type RepoPath = string;

interface FileExports {
  /** Names this file declares and exports itself. */
  defined: Set<string>;
  /** `export { a as b } from "x"` and `import { a } …; export { a as b }`: b → where it comes from. */
  named: Map<string, { from: RepoPath; name: string }>;
  /** `export * from "x"`. */
  stars: RepoPath[];
}

export interface ExportMap {
  /** Each file's own exported declarations, for the files under src/. */
  definitions: Map<RepoPath, Set<string>>;
  /** Names each file under src/ re-exports one by one (`export { a } from "x"`). */
  reexports: Map<RepoPath, Set<string>>;
  /** `file#name` of every export some other file imports (directly or through a re-export). */
  used: Set<string>;
  /** Files that re-export only (barrels), and whether any file imports them. */
  barrels: Map<RepoPath, boolean>;
}

const FOLDERS = ["src", "test", "bench"];

function typeScriptFiles(root: string, folder: string): RepoPath[] {
  const files: RepoPath[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts")) files.push(path);
    }
  };
  if (existsSync(join(root, folder))) walk(folder);
  return files;
}

/** The .ts file a relative module specifier names (`./x.js` is `./x.ts`), or undefined outside the repository's sources. */
function resolveSpecifier(root: string, from: RepoPath, specifier: string): RepoPath | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const base = resolve(root, dirname(from), specifier);
  for (const candidate of [base.replace(/\.js$/, ".ts"), base.replace(/\.js$/, ".tsx"), `${base}.ts`, join(base, "index.ts")]) {
    if (existsSync(candidate) && candidate.endsWith(".ts")) return relative(root, candidate).split("\\").join("/");
  }
  return undefined;
}

function hasExportModifier(node: ts.Node): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

function isDefault(node: ts.Node): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
}

export function readExportMap(root: string): ExportMap {
  const files = FOLDERS.flatMap((folder) => typeScriptFiles(root, folder));
  const exportsOf = new Map<RepoPath, FileExports>();
  /** What each file imports: [target, name] with "*" for a namespace or dynamic import. */
  const uses: Array<{ from: RepoPath; target: RepoPath; name: string }> = [];

  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(join(root, file), "utf8"), ts.ScriptTarget.Latest, true);
    const own: FileExports = { defined: new Set(), named: new Map(), stars: [] };
    const imported = new Map<string, { from: RepoPath; name: string }>();
    const localExports: Array<{ local: string; exported: string }> = [];
    const use = (specifier: string, name: string): RepoPath | undefined => {
      const target = resolveSpecifier(root, file, specifier);
      if (target !== undefined) uses.push({ from: file, target, name });
      return target;
    };

    for (const statement of source.statements) {
      if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
        const specifier = statement.moduleSpecifier.text;
        const clause = statement.importClause;
        if (clause === undefined) continue;
        const target = resolveSpecifier(root, file, specifier);
        if (clause.name) {
          use(specifier, "default");
          if (target) imported.set(clause.name.text, { from: target, name: "default" });
        }
        const bindings = clause.namedBindings;
        if (bindings && ts.isNamespaceImport(bindings)) use(specifier, "*");
        else if (bindings) {
          for (const element of bindings.elements) {
            const name = (element.propertyName ?? element.name).text;
            use(specifier, name);
            if (target) imported.set(element.name.text, { from: target, name });
          }
        }
      } else if (ts.isExportDeclaration(statement)) {
        const specifier = statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier) ? statement.moduleSpecifier.text : undefined;
        const clause = statement.exportClause;
        if (specifier !== undefined) {
          const target = resolveSpecifier(root, file, specifier);
          if (target === undefined) continue;
          if (clause === undefined) own.stars.push(target);
          else if (ts.isNamespaceExport(clause)) own.named.set(clause.name.text, { from: target, name: "*" });
          else for (const element of clause.elements) own.named.set(element.name.text, { from: target, name: (element.propertyName ?? element.name).text });
        } else if (clause && ts.isNamedExports(clause)) {
          for (const element of clause.elements) localExports.push({ local: (element.propertyName ?? element.name).text, exported: element.name.text });
        }
      } else if (ts.isExportAssignment(statement)) {
        own.defined.add("default");
      } else if (hasExportModifier(statement)) {
        if (isDefault(statement)) own.defined.add("default");
        else if (ts.isVariableStatement(statement)) {
          for (const declaration of statement.declarationList.declarations) {
            if (ts.isIdentifier(declaration.name)) own.defined.add(declaration.name.text);
          }
        } else if (
          (ts.isFunctionDeclaration(statement) ||
            ts.isClassDeclaration(statement) ||
            ts.isInterfaceDeclaration(statement) ||
            ts.isTypeAliasDeclaration(statement) ||
            ts.isEnumDeclaration(statement) ||
            ts.isModuleDeclaration(statement)) &&
          statement.name !== undefined &&
          ts.isIdentifier(statement.name)
        ) {
          own.defined.add(statement.name.text);
        }
      }
    }
    for (const { local, exported } of localExports) {
      const origin = imported.get(local);
      if (origin !== undefined) own.named.set(exported, origin);
      else own.defined.add(exported);
    }
    // Dynamic imports and `import("x").T` types anywhere in the file.
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const [argument] = node.arguments;
        if (argument !== undefined && ts.isStringLiteralLike(argument)) use(argument.text, "*");
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
        const qualifier = node.qualifier;
        use(node.argument.literal.text, qualifier === undefined ? "*" : ts.isIdentifier(qualifier) ? qualifier.text : qualifier.getText().split(".")[0]!);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    exportsOf.set(file, own);
  }

  const used = new Set<string>();
  /** Marks `name` of `target` used, following re-exports; "*" marks everything it exports. */
  const mark = (target: RepoPath, name: string, seen = new Set<string>()): boolean => {
    if (seen.has(`${target}#${name}`)) return false;
    seen.add(`${target}#${name}`);
    const own = exportsOf.get(target);
    if (own === undefined) return false;
    if (name === "*") {
      for (const defined of own.defined) used.add(`${target}#${defined}`);
      for (const [exported, origin] of own.named) {
        used.add(`${target}#${exported}`);
        mark(origin.from, origin.name, seen);
      }
      for (const star of own.stars) mark(star, "*", seen);
      return true;
    }
    if (own.defined.has(name)) {
      used.add(`${target}#${name}`);
      return true;
    }
    const origin = own.named.get(name);
    if (origin !== undefined) {
      used.add(`${target}#${name}`);
      return mark(origin.from, origin.name, seen);
    }
    for (const star of own.stars) if (mark(star, name, seen)) return true;
    return false;
  };
  for (const { target, name } of uses) mark(target, name);

  const definitions = new Map<RepoPath, Set<string>>();
  const reexports = new Map<RepoPath, Set<string>>();
  const barrels = new Map<RepoPath, boolean>();
  const importedFiles = new Set(uses.map((u) => u.target));
  for (const [file, own] of exportsOf) {
    if (!file.startsWith("src/")) continue;
    if (own.defined.size > 0) definitions.set(file, own.defined);
    if (own.named.size > 0) reexports.set(file, new Set(own.named.keys()));
    if (own.defined.size === 0 && (own.stars.length > 0 || own.named.size > 0)) barrels.set(file, importedFiles.has(file));
  }
  return { definitions, reexports, used, barrels };
}

/** Exported names declared in more than one file under src/ (outside `excluded` folders): name → files. */
export function namesWithTwoHomes(map: ExportMap, excluded: readonly string[]): Map<string, RepoPath[]> {
  const homes = new Map<string, RepoPath[]>();
  for (const [file, names] of map.definitions) {
    if (excluded.some((folder) => file.startsWith(folder))) continue;
    for (const name of names) {
      if (name === "default") continue;
      homes.set(name, [...(homes.get(name) ?? []), file]);
    }
  }
  return new Map([...homes].filter(([, files]) => files.length > 1));
}

/**
 * `file#name` of every export under src/ that no other file imports: declarations, and names re-exported
 * one by one. A barrel's `export *` is not listed name by name; its names count where they are declared.
 */
export function unusedExports(map: ExportMap): string[] {
  const unused: string[] = [];
  for (const exported of [map.definitions, map.reexports]) {
    for (const [file, names] of exported) for (const name of names) if (!map.used.has(`${file}#${name}`)) unused.push(`${file}#${name}`);
  }
  return unused.sort();
}
