// The API server answered with an error status: the code to branch on and the Status it sent, in the
// shape src/runtime/api-error.ts reads (`statusCode`, `body`), so callers handle it as any API error.
import { isRecord } from "../runtime/json.js";

export class KubeApiError extends Error {
  override name = "KubeApiError";

  constructor(
    readonly statusCode: number,
    /** The Status object when the body was one, else the body's text (cut to 1 KiB). */
    readonly body: unknown,
    what: string,
  ) {
    super(`${what}: HTTP ${statusCode}${statusMessage(body) !== undefined ? `: ${statusMessage(body)}` : ""}`);
  }

  /** The Status reason (NotFound, Conflict, AlreadyExists, Expired …), when the server gave one. */
  get reason(): string | undefined {
    return isRecord(this.body) && typeof this.body["reason"] === "string" ? this.body["reason"] : undefined;
  }
}

function statusMessage(body: unknown): string | undefined {
  if (isRecord(body) && typeof body["message"] === "string") return body["message"].split("\n", 1)[0];
  if (typeof body === "string" && body !== "") return body.slice(0, 200).split("\n", 1)[0];
  return undefined;
}
