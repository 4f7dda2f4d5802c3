// The one logger interface every layer takes: the smallest a pino logger satisfies, so no layer but
// the cli sets logging up (docs/architecture.md, "Runtime"). Every call is one JSON object a line,
// with the object's `namespace/name` and the request `uid` as fields; never secrets or whole objects.

export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** A logger that drops everything: the default when the caller passes none. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
