// The layering of src/ is a lint rule (eslint.config.js, docs/architecture.md "Layers"), and the
// package ships no test helpers: both checked through the real tools.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./helpers/cli.js";

const eslint = new ESLint({ cwd: repoRoot });

async function layeringErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(repoRoot, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === "layering/allowed-imports").map((m) => m.message);
}

describe("layering", () => {
  it("fails the lint on an import the layers forbid", async () => {
    expect(await layeringErrors("src/graph/example.ts", 'import type { ObjectCache } from "../cluster/object-cache.js";\nexport type X = ObjectCache;\n')).toEqual([
      'src/graph may not import src/cluster (../cluster/object-cache.js): see docs/architecture.md, "Layers"',
    ]);
    expect(await layeringErrors("src/flux/example.ts", 'export { decide } from "../admission/decide.js";\n')).toHaveLength(1);
    expect(await layeringErrors("src/admission/example.ts", 'export { startSandbox } from "../sandbox/index.js";\n')).toHaveLength(1);
    expect(await layeringErrors("src/cli/serve-example.ts", 'export const load = () => import("../sandbox/index.js");\n')).toHaveLength(1);
    // The simulated Flux is an oracle: judging readiness with the product's own rule is forbidden.
    expect(await layeringErrors("src/sandbox/example.ts", 'export { healthOf } from "../graph/readiness.js";\n')).toHaveLength(1);
  }, 60_000);

  it("lets each layer import the ones below it", async () => {
    expect(await layeringErrors("src/flux/example.ts", 'export type { FluxObject } from "../graph/types.js";\n')).toEqual([]);
    expect(await layeringErrors("src/controller/example.ts", 'export { KindStore } from "../cluster/kind-store.js";\n')).toEqual([]);
    expect(await layeringErrors("src/cli/sandbox.ts", 'export { startSandbox } from "../sandbox/index.js";\n')).toEqual([]);
    // Tests may reach across layers to set things up.
    expect(await layeringErrors("src/graph/example.test.ts", 'export { KindStore } from "../cluster/kind-store.js";\n')).toEqual([]);
  }, 60_000);
});

describe("the npm package", () => {
  it("ships the program and no test helpers", async () => {
    if (!existsSync(join(repoRoot, "dist/src/cli/main.js"))) throw new Error("dist/ is not built: run `npm run build` first (npm test does)");
    const { stdout } = await promisify(execFile)("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: repoRoot, timeout: 60_000 });
    const files = (JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toContain("dist/src/cli/main.js");
    expect(files).toContain("dist/src/flux/decode.js");
    const helpers = files.filter((f) => /test-support|test-helpers|review-builder|\.test\.|arbitraries|(^|\/)test\//.test(f));
    expect(helpers).toEqual([]);
  }, 90_000);
});
