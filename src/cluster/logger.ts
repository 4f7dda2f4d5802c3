// The logging the cluster layer needs, as the smallest interface a pino logger satisfies, so this
// layer stays free of any logging setup (the cli owns it). Every call is one JSON object a line.

export interface ClusterLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** A logger that drops everything: the default when the caller passes none. */
export const silentLogger: ClusterLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** One line describing an error from client-node (ApiException, fetch errors, Status objects). */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const body = (err as { body?: unknown }).body;
    const status = statusMessage(body);
    if (status !== undefined) return `HTTP ${String(code)}: ${status}`;
    return err.message.split("\n", 1)[0] ?? err.name;
  }
  return String(err);
}

/** The HTTP status code of a client-node error, if it carries one. */
export function statusCodeOf(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e.statusCode === "number") return e.statusCode;
  return typeof e.code === "number" ? e.code : undefined;
}

/** The `message` of a Kubernetes Status body (a string or already-parsed JSON), if it is one. */
function statusMessage(body: unknown): string | undefined {
  let parsed: unknown = body;
  if (typeof body === "string") {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body === "" ? undefined : body.slice(0, 300);
    }
  }
  if (typeof parsed === "object" && parsed !== null) {
    const message = (parsed as { message?: unknown }).message;
    if (typeof message === "string") return message;
  }
  return undefined;
}
