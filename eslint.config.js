// Lint configuration: typescript-eslint's recommended rules over src, test and bench, and the layering
// of src/ as a rule that fails the build (docs/architecture.md, "Layers").
import path from "node:path";
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/**
 * Which folders of src/ the production code of each folder may import (its own always). A folder not
 * listed may import anything but the sandbox. `runtime/` is the plumbing below every layer but `graph/`.
 */
const LAYERS = {
  runtime: [],
  graph: [],
  flux: ["graph", "runtime"],
  metrics: ["runtime"],
  // The Kubernetes transport (docs/architecture.md, "The Kubernetes transport").
  kube: ["runtime"],
  certs: ["kube", "runtime"],
  cluster: ["flux", "graph", "kube", "runtime"],
  manifests: ["flux", "graph", "runtime"],
  admission: ["certs", "cluster", "flux", "graph", "kube", "metrics", "runtime"],
  controller: ["cluster", "flux", "graph", "metrics", "runtime"],
  ui: ["cluster", "controller", "flux", "graph", "manifests", "metrics", "runtime"],
  // The simulated Flux is an independent oracle (docs/architecture.md): it imports nothing of the
  // product, so a wrong product rule cannot pass an end-to-end test by agreeing with itself.
  sandbox: [],
};

/** cli/ wires everything; only the sandbox command's own files may import the sandbox. */
const SANDBOX_ENTRY_POINTS = new Set(["cli/sandbox.ts", "cli/sandbox-seed.ts"]);

const SRC = path.join(import.meta.dirname, "src");

/** "graph" for src/graph/x.ts; undefined outside src/. */
function folderOf(file) {
  const rel = path.relative(SRC, file);
  if (rel.startsWith("..") || path.isAbsolute(rel) || !rel.includes(path.sep)) return undefined;
  return rel.split(path.sep)[0];
}

const layering = {
  rules: {
    "allowed-imports": {
      meta: { type: "problem", docs: { description: "src/ folders import only the layers below them" }, schema: [] },
      create(context) {
        const file = context.filename;
        const from = folderOf(file);
        if (from === undefined || /\.test\.ts$|\.test-support\.ts$/.test(file)) return {};
        const relFile = path.relative(SRC, file).split(path.sep).join("/");
        const check = (source) => {
          if (source === null || source === undefined || typeof source.value !== "string" || !source.value.startsWith(".")) return;
          const to = folderOf(path.resolve(path.dirname(file), source.value));
          if (to === undefined || to === from) return;
          const allowed = LAYERS[from];
          const ok = to === "sandbox" ? SANDBOX_ENTRY_POINTS.has(relFile) : allowed === undefined || allowed.includes(to);
          if (!ok) {
            context.report({
              node: source,
              message: `src/${from} may not import src/${to} (${source.value}): see docs/architecture.md, "Layers"`,
            });
          }
        };
        return {
          ImportDeclaration: (node) => check(node.source),
          ExportNamedDeclaration: (node) => check(node.source),
          ExportAllDeclaration: (node) => check(node.source),
          ImportExpression: (node) => check(node.source),
        };
      },
    },
  },
};

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", "charts/**", "action/index.js"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "off",
    },
  },
  {
    files: ["src/**/*.ts"],
    plugins: { layering },
    rules: { "layering/allowed-imports": "error" },
  },
  {
    // The commands are composition, and the webhook, controller, cluster code and reading a repo as Flux
    // applies it are read as steps too: a function that outgrows a screenful is split into named steps
    // (docs/architecture.md, "Serve as components", "Reading a repo as Flux applies it").
    files: ["src/cli/**/*.ts", "src/admission/**/*.ts", "src/controller/**/*.ts", "src/cluster/**/*.ts", "src/manifests/**/*.ts"],
    ignores: ["src/**/*.test.ts"],
    rules: { "max-lines-per-function": ["error", { max: 100 }] },
  },
);
