// Errors from @kubernetes/client-node (an ApiException with the HTTP code and a Status body, or a
// network error): the status code to branch on and one line for people (docs/architecture.md, "Runtime").

/** The HTTP status code of a client-node error, when the API server answered. */
export function statusCodeOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { code?: unknown; statusCode?: unknown };
  if (typeof e.statusCode === "number") return e.statusCode;
  return typeof e.code === "number" ? e.code : undefined;
}

/** One line: "HTTP 409: <the Status message>" when the API server sent one, else the error's first line. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const status = statusMessage((error as { body?: unknown }).body);
  if (status !== undefined) return `HTTP ${String(statusCodeOf(error) ?? (error as { code?: unknown }).code)}: ${status}`;
  return error.message.split("\n", 1)[0] ?? error.name;
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
    if (typeof message === "string") return message.split("\n", 1)[0] ?? message;
  }
  return undefined;
}
