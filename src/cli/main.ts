#!/usr/bin/env node
// The `releasegate` binary: dispatches to a subcommand and turns errors into exit codes.
// Anything the user can fix (bad flags, unreadable or malformed input) is one line on stderr and exit 2;
// no stack traces for those.
import { readFileSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ManifestError } from "../manifests/index.js";
import { UsageError } from "./args.js";
import { runCheck } from "./check.js";
import { runGraph } from "./graph-command.js";
import { processIo, type CommandIo } from "./io.js";

type Command = (argv: string[], io: CommandIo) => Promise<number>;

const commands: Record<string, { summary: string; run: Command }> = {
  check: { summary: "check dependsOn in manifests (files, folders or stdin) for cycles and missing dependencies", run: runCheck },
  graph: { summary: "print the dependency graph as DOT, Mermaid, JSON or an HTML page", run: runGraph },
  why: {
    summary: "show the chain from an object to the root cause of its blocked gate (cluster or files)",
    run: async (argv, io) => (await import("./why.js")).runWhy(argv, io),
  },
  // Loaded on use: `check` in a CI job should not pay for the Kubernetes client and the servers.
  serve: {
    summary: "run the admission webhook, gate controller and metrics against a cluster",
    run: async (argv, io) => (await import("./serve.js")).runServe(argv, io),
  },
  certs: {
    summary: "write a development CA and serving certificate for running the webhook locally",
    run: async (argv, io) => (await import("./certs-command.js")).runCerts(argv, io),
  },
  sandbox: {
    summary: "run an in-memory cluster with releasegate and a simulated Flux, to try it locally",
    run: async (argv, io) => (await import("./sandbox.js")).runSandbox(argv, io),
  },
};

function version(): string {
  const packageJson = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
  return packageJson.version;
}

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(([name, { summary }]) => `  ${name.padEnd(width)}  ${summary}`);
  return `Usage: releasegate COMMAND [options]

releasegate guards the dependsOn graph of Flux HelmReleases and Kustomizations.

Commands:
${lines.join("\n")}

Run 'releasegate COMMAND --help' for a command's options. 'releasegate --version' prints the version.`;
}

/** Whether an error is the user's to fix (one line, exit 2) rather than a bug. */
function isUserError(error: unknown): error is Error {
  return error instanceof UsageError || error instanceof ManifestError;
}

export async function main(argv: string[], io: CommandIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    io.stdout(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v") {
    io.stdout(`releasegate ${version()}\n`);
    return 0;
  }
  const command = commands[name];
  if (command === undefined) {
    io.stderr(`releasegate: unknown command "${name}"; run 'releasegate --help' for the list\n`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (isUserError(error)) {
      // One line, the command named once; a usage mistake points at --help.
      const hint = error instanceof UsageError ? "; see --help" : "";
      io.stderr(`releasegate ${name}: ${error.message.split("\n")[0]}${hint}\n`);
      return 2;
    }
    throw error;
  }
}

// Run when executed as the binary (directly or through npm's bin symlink), not when imported by tests.
function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

/**
 * `releasegate check … | head`: once the reader has gone, writing to stdout fails with EPIPE. The
 * output is no longer wanted, so the process ends quietly with the status a tool killed by SIGPIPE
 * reports (128 + 13), as `yes | head` does, never with a stack trace. (Node ignores SIGPIPE itself.)
 */
const CLOSED_PIPE_EXIT = 141;

function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(CLOSED_PIPE_EXIT);
    throw error;
  });
}

if (invokedDirectly()) {
  endQuietlyOnClosedPipe(process.stdout);
  endQuietlyOnClosedPipe(process.stderr);
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 70;
    },
  );
}
