// One meaning per exported name, and no export that nothing imports (CONTRIBUTING.md, "Conventions"):
// read with the TypeScript parser over src/, test/ and bench/ (test/helpers/export-map.ts).
// src/sandbox keeps its own names on purpose: it is an independent oracle that imports nothing of the
// product (docs/architecture.md, "Layers"), so a name it shares with the product is not a second home.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "./helpers/cli.js";
import { namesWithTwoHomes, readExportMap, unusedExports } from "./helpers/export-map.js";

const map = readExportMap(repoRoot);

describe("exported names", () => {
  it("each has one home in src/ (the sandbox apart)", () => {
    const twice = [...namesWithTwoHomes(map, ["src/sandbox/"])].map(([name, files]) => `${name}: ${files.join(", ")}`);
    expect(twice).toEqual([]);
  });

  it("are each imported somewhere in src/, test/ or bench/", () => {
    expect(unusedExports(map), "exported but imported nowhere: drop the export, and the declaration if nothing uses it").toEqual([]);
  });

  it("index.ts barrels exist only where something imports them", () => {
    expect([...map.barrels].filter(([, imported]) => !imported).map(([file]) => file)).toEqual([]);
  });
});

describe("the export map", () => {
  const dir = mkdtempSync(join(tmpdir(), "releasegate-exports-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };

  it("finds a second home, an unused export and an unimported barrel, and follows re-exports", () => {
    write("src/a/keys.ts", "export function objectKey(): string { return ''; }\nexport const unused = 1;\nexport type Seen = number;\n");
    write("src/b/keys.ts", "export function objectKey(): string { return ''; }\n");
    write("src/b/index.ts", 'export * from "./keys.js";\n');
    write("src/c/index.ts", 'export { objectKey } from "../a/keys.js";\n');
    write("src/sandbox/keys.ts", "export function objectKey(): string { return ''; }\n");
    write("test/uses.test.ts", 'import { objectKey } from "../src/c/index.js";\nimport type { Seen } from "../src/a/keys.js";\nexport const x: Seen = objectKey().length;\n');
    write("bench/dynamic.ts", 'export const load = () => import("../src/sandbox/keys.js");\n');
    const fake = readExportMap(dir);
    expect([...namesWithTwoHomes(fake, ["src/sandbox/"])]).toEqual([["objectKey", ["src/a/keys.ts", "src/b/keys.ts"]]]);
    expect(unusedExports(fake)).toEqual(["src/a/keys.ts#unused", "src/b/keys.ts#objectKey"]);
    expect([...fake.barrels]).toEqual([
      ["src/b/index.ts", false],
      ["src/c/index.ts", true],
    ]);
  });
});
