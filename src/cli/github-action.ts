// The GitHub Action's entry point (action.yml at the repository's root). `npm run build:action` bundles
// it with everything it imports into one file, action/index.js, committed as GitHub's TypeScript action
// template commits its dist/index.js: the runner checks the repository out and runs that file with its
// own Node, without installing anything. The runner passes each input as an INPUT_<NAME> variable
// (docs.github.com, "Metadata syntax for GitHub Actions": inputs); they become one `releasegate check`
// command line.
//
// This file must not import ./main.js: main.js runs the command line when it is the process's main
// module, and inside the bundle it would be.
import { ManifestError } from "../manifests/manifest-error.js";
import { UsageError } from "./args.js";
import { runCheck } from "./check.js";
import type { CommandIo } from "./io.js";
import { processIo } from "./io.js";

/** An input as the runner passes it: INPUT_ + the name upper-cased, spaces as underscores. */
function input(env: NodeJS.ProcessEnv, name: string): string {
  return (env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] ?? "").trim();
}

/** Words separated by spaces or new lines (a YAML block of paths, or of flags). */
function words(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== "");
}

/** The `releasegate check` arguments the action's inputs stand for. */
export function actionArguments(env: NodeJS.ProcessEnv): string[] {
  const paths = words(input(env, "paths"));
  const output = input(env, "output") || "github";
  return ["--output", output, ...words(input(env, "args")), ...(paths.length > 0 ? paths : ["."])];
}

/** Runs the check; a mistake in the inputs is one error annotation and exit 2. */
export async function runAction(env: NodeJS.ProcessEnv = process.env, io: CommandIo = processIo): Promise<number> {
  const argv = actionArguments(env);
  io.stderr(`releasegate check ${argv.join(" ")}\n`);
  try {
    return await runCheck(argv, io);
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof ManifestError)) throw error;
    io.stdout(`::error title=releasegate check::${escapeData(error.message.split("\n")[0] ?? "")}\n`);
    return 2;
  }
}

/** A workflow command's message: %, CR and LF escaped. */
function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}
