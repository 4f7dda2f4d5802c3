// Reading errors from @kubernetes/client-node (an ApiException carrying the HTTP code and a Status body, or a
// network error) into what the certificate code branches on and one line for people.

/** The HTTP status of a client-node error, when the API server answered. */
export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

/** One line: the Status message when the API server sent one, else the error's first line. */
export function describeApiError(error: unknown): string {
  const status = httpStatusOf(error);
  const body = typeof error === "object" && error !== null ? (error as { body?: unknown }).body : undefined;
  let message: string | undefined;
  try {
    const parsed: unknown = typeof body === "string" ? JSON.parse(body) : body;
    const m = typeof parsed === "object" && parsed !== null ? (parsed as { message?: unknown }).message : undefined;
    if (typeof m === "string") message = m;
  } catch {
    // not JSON: fall through to the error's own message
  }
  message ??= error instanceof Error ? error.message : String(error);
  const line = message.split("\n", 1)[0] ?? message;
  return status === undefined ? line : `HTTP ${status}: ${line}`;
}
