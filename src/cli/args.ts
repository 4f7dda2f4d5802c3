// Command-line parsing shared by every subcommand: node:util parseArgs, with our own one-line messages
// for the mistakes a person makes (an unknown flag, a flag without its value), and the option table of
// every `--help`. A usage error exits 2 (docs/behaviour.md, Interfaces) with one line on stderr,
// `releasegate COMMAND: message`; `main` adds the command's name, so messages never repeat it.
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A mistake in how the command was called; the CLI prints its message and exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** The first mistake in `argv` against `options`, as one line, or undefined. */
function mistake(argv: string[], options: Options): string | undefined {
  const { tokens } = parseArgs({ args: argv, options, allowPositionals: true, strict: false, tokens: true });
  for (const token of tokens) {
    if (token.kind !== "option") continue;
    const option = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (option === undefined) return `unknown flag ${token.rawName}`;
    if (option.type === "boolean" && token.value !== undefined) return `${token.rawName} takes no value`;
    if (option.type === "string" && token.value === undefined) return `${token.rawName} needs a value`;
    // `--output --json`: the next flag was taken as the value, as parseArgs does; say what went wrong.
    if (option.type === "string" && token.inlineValue === false && token.value?.startsWith("-") === true) {
      return `${token.rawName} needs a value, got the flag ${token.value} (write ${token.rawName}=${token.value} if that is the value)`;
    }
  }
  return undefined;
}

/**
 * Parses `argv` strictly against `options`, positionals allowed. Throws a UsageError with one line of our
 * own for an unknown flag, a missing value or a value given to a switch. (`_command` is ignored: `main`
 * names the command.)
 */
export function parseCommandLine<T extends Options>(argv: string[], options: T, _command?: string) {
  const problem = mistake(argv, options);
  if (problem !== undefined) throw new UsageError(problem);
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    // Not reached for the mistakes above; kept to one line whatever parseArgs says.
    throw new UsageError((error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "bad command line");
  }
}

/** Reads an option that must be one of `allowed`, naming the flag in the error. */
export function oneOf<const A extends readonly string[]>(value: string | undefined, allowed: A, flag: string, fallback: A[number]): A[number] {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value;
  throw new UsageError(`${flag} must be one of ${allowed.join(", ")}, not "${value}"`);
}

/** The option table of a `--help`: every description starts in the same column, two spaces after the longest flag. */
export function optionTable(rows: ReadonlyArray<readonly [flags: string, description: string]>): string {
  const width = Math.max(...rows.map(([flags]) => flags.length)) + 2;
  return rows.map(([flags, description]) => `  ${flags.padEnd(width)}${description}`).join("\n");
}
