// Errors of the template engine, one line each, naming the template and the line:column as Go does
// ("template: NAME:LINE:COL: message"). `UnsupportedTemplateError` marks a template that is valid for the
// Flux Operator but uses a function or action this implementation does not evaluate: its output is unknown.

export class TemplateError extends Error {
  override name = "TemplateError";

  static at(template: string, input: string, offset: number, message: string): TemplateError {
    return new TemplateError(`template: ${template}:${position(input, offset)}: ${message}`);
  }
}

export class UnsupportedTemplateError extends TemplateError {
  override name = "UnsupportedTemplateError";

  static override at(template: string, input: string, offset: number, message: string): UnsupportedTemplateError {
    return new UnsupportedTemplateError(`template: ${template}:${position(input, offset)}: ${message}`);
  }
}

/** "LINE:COL" of an offset as Go prints it: the line counted from 1, the column in bytes from 0. */
export function position(input: string, offset: number): string {
  const before = input.slice(0, offset);
  const line = before.split("\n").length;
  const col = Buffer.byteLength(before.slice(before.lastIndexOf("\n") + 1), "utf8");
  return `${line}:${col}`;
}
