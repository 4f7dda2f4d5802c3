// The one error type of the manifest reader: something a person must fix in a file (unreadable,
// malformed YAML, a Flux object missing a required field). The CLI prints `message` as is and exits 2,
// so the message is a single line that starts with `file:line:`.

export class ManifestError extends Error {
  readonly file: string;
  readonly line?: number;

  constructor(file: string, line: number | undefined, problem: string) {
    const where = line === undefined ? file : `${file}:${line}`;
    // Keep the message to one line whatever the cause said (YAML errors quote the source over several lines).
    super(`${where}: ${problem.replace(/\s*\n\s*/g, " ").trim()}`);
    this.name = "ManifestError";
    this.file = file;
    if (line !== undefined) this.line = line;
  }
}
