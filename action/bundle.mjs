// Bundles the GitHub Action (src/cli/github-action.ts and everything it imports) into action/index.js,
// one ES module the runner runs with its own Node, as GitHub's TypeScript action template does with its
// dist/index.js. Run `npm run build:action` and commit action/index.js after changing what `check` runs.
//
// `node action/bundle.mjs [OUTFILE]` (default action/index.js).
import { build } from "esbuild";
import { readFile } from "node:fs/promises";
import process from "node:process";
import { fileURLToPath, URL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const outfile = process.argv[2] ?? fileURLToPath(new URL("./index.js", import.meta.url));

await build({
  absWorkingDir: root,
  stdin: {
    contents: 'import { runAction } from "./src/cli/github-action.ts";\nprocess.exitCode = await runAction();\n',
    resolveDir: root,
    sourcefile: "action-entry.ts",
    loader: "ts",
  },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  outfile,
  legalComments: "eof",
  logLevel: "warning",
  // CommonJS dependencies call require() for Node's modules; an ES module bundle has none of its own.
  banner: { js: 'import { createRequire as __releasegateRequire } from "node:module";\nconst require = __releasegateRequire(import.meta.url);' },
  plugins: [
    {
      // src/runtime/yaml-library.ts loads `yaml` lazily through createRequire, which a bundler cannot
      // follow; the bundle has no node_modules to find it in, so it gets the library bundled instead.
      name: "bundled-yaml-library",
      setup(context) {
        context.onLoad({ filter: /src[\\/]runtime[\\/]yaml-library\.ts$/ }, async (args) => {
          const source = await readFile(args.path, "utf8");
          const lazy = /export function yamlLibrary\(\)[^{]*\{[^}]*\}/;
          if (!lazy.test(source)) throw new Error(`${args.path}: yamlLibrary() not found; update action/bundle.mjs`);
          const contents = source
            .replace('import type * as Yaml from "yaml";', 'import * as BundledYaml from "yaml";\nimport type * as Yaml from "yaml";')
            .replace(lazy, "export function yamlLibrary(): typeof Yaml {\n  return BundledYaml;\n}");
          return { loader: "ts", contents };
        });
      },
    },
  ],
});
