// Command-line parsing shared by every subcommand: node:util parseArgs with our usage errors.
// A usage error exits 2 with one line on stderr (DESIGN.md, Interfaces: exit 2 = bad usage).
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A mistake in how the command was called; the CLI prints its message and exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

export function parseCommandLine<T extends Options>(argv: string[], options: T, command: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new UsageError(`${command}: ${message}; see 'releasegate ${command} --help'`);
  }
}

/** Reads an option that must be one of `allowed`, naming the flag in the error. */
export function oneOf<const A extends readonly string[]>(value: string | undefined, allowed: A, flag: string, fallback: A[number]): A[number] {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value;
  throw new UsageError(`${flag} must be one of ${allowed.join(", ")}, not "${value}"`);
}
