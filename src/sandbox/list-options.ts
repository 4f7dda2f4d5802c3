// Query parameters of list and watch (metav1.ListOptions) parsed once, with 400s for bad values, and
// the continue token format. Semantics: https://kubernetes.io/docs/reference/using-api/api-concepts/
// ("Retrieving large results sets in chunks", "Resource versions", "Semantics for get and list").
import { fieldMatcher, parseFieldSelector } from "./field-selector.js";
import { LabelSelectorError, matchesLabelSelector, parseLabelSelectorString } from "./label-selector.js";
import type { LabelSelector } from "./label-selector.js";
import { labelsOf } from "./object-meta.js";
import type { JsonObject } from "./json.js";
import type { ResourceDef } from "./resource-def.js";
import { badRequest, failure } from "./status.js";

export interface ListOptions {
  labelSelector?: LabelSelector;
  fieldSelector: string;
  matches: (obj: JsonObject) => boolean;
  limit?: number;
  continueToken?: ContinueToken;
  resourceVersion?: string;
  resourceVersionMatch?: "Exact" | "NotOlderThan";
  watch: boolean;
  allowWatchBookmarks: boolean;
  sendInitialEvents?: boolean;
  timeoutSeconds?: number;
}

interface ContinueToken {
  rv: number;
  /** Resume strictly after this storage key. */
  start: string;
}

/** The continue token, shaped like the API server's: base64 of {"v":"meta.k8s.io/v1","rv":N,"start":"key\u0000"}. */
export function encodeContinue(rv: number, lastKey: string): string {
  return Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", rv, start: lastKey + String.fromCharCode(0) })).toString("base64url");
}

function decodeContinue(token: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { v?: string; rv?: number; start?: string };
    if (parsed.v !== "meta.k8s.io/v1" || typeof parsed.rv !== "number" || typeof parsed.start !== "string") throw new Error("bad shape");
    return { rv: parsed.rv, start: parsed.start.endsWith(String.fromCharCode(0)) ? parsed.start.slice(0, -1) : parsed.start };
  } catch {
    throw failure(400, "BadRequest", `continue key is not valid: illegal base64 data or unexpected content in the continue parameter`);
  }
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const raw = q.get(name);
  if (raw === null || raw === "") return undefined;
  if (!/^-?\d+$/.test(raw)) throw badRequest(`invalid value for ${name}: ${JSON.stringify(raw)} is not an integer`);
  return Number(raw);
}

function boolParam(q: URLSearchParams, name: string): boolean | undefined {
  const raw = q.get(name);
  if (raw === null) return undefined;
  if (raw === "" || raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw badRequest(`invalid value for ${name}: ${JSON.stringify(raw)} is not a boolean`);
}

/** Parses list/watch query parameters for `def`. Throws 400 on bad selectors or values. */
export function parseListOptions(q: URLSearchParams, def: ResourceDef, watchPath = false): ListOptions {
  let labelSelector: LabelSelector | undefined;
  const labelRaw = q.get("labelSelector") ?? "";
  try {
    labelSelector = labelRaw ? parseLabelSelectorString(labelRaw) : undefined;
  } catch (err) {
    if (err instanceof LabelSelectorError) throw badRequest(`unable to parse requirement: ${err.message.replace(/^unable to parse requirement: /, "")}`);
    throw err;
  }
  const fieldSelector = q.get("fieldSelector") ?? "";
  const fieldMatches = fieldMatcher(parseFieldSelector(fieldSelector), def.selectableFields ?? {});
  const matches = (obj: JsonObject): boolean => fieldMatches(obj) && matchesLabelSelector(labelSelector, labelsOf(obj));

  const limit = intParam(q, "limit");
  const cont = q.get("continue") || undefined;
  const resourceVersion = q.get("resourceVersion") || undefined;
  const rvMatch = q.get("resourceVersionMatch") || undefined;
  if (rvMatch !== undefined && rvMatch !== "Exact" && rvMatch !== "NotOlderThan") {
    throw failure(422, "Invalid", `resourceVersionMatch: Unsupported value: ${JSON.stringify(rvMatch)}: supported values: "Exact", "NotOlderThan"`);
  }
  const watch = watchPath || (boolParam(q, "watch") ?? false);
  if (rvMatch && !resourceVersion && !watch) {
    throw failure(422, "Invalid", `resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided`);
  }
  if (rvMatch === "Exact" && resourceVersion === "0") {
    throw failure(422, "Invalid", `resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"`);
  }
  if (cont && resourceVersion && resourceVersion !== "0") {
    throw failure(422, "Invalid", `resourceVersion: Forbidden: specifying resource version is not allowed when using continue`);
  }
  if (resourceVersion !== undefined && !/^\d+$/.test(resourceVersion)) {
    throw badRequest(`invalid resource version: ${JSON.stringify(resourceVersion)}`);
  }
  const sendInitialEvents = boolParam(q, "sendInitialEvents");
  const allowWatchBookmarks = boolParam(q, "allowWatchBookmarks") ?? false;
  if (watch && rvMatch && sendInitialEvents === undefined) {
    throw failure(422, "Invalid", "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided");
  }
  if (sendInitialEvents !== undefined) {
    if (!watch) throw failure(422, "Invalid", "sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list");
    if (rvMatch !== "NotOlderThan") {
      throw failure(422, "Invalid", "resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan");
    }
    if (!allowWatchBookmarks) throw failure(422, "Invalid", "allowWatchBookmarks: Required value: sendInitialEvents requires allowWatchBookmarks=true");
  }
  const options: ListOptions = { fieldSelector, matches, watch, allowWatchBookmarks };
  if (labelSelector) options.labelSelector = labelSelector;
  if (limit !== undefined && limit > 0) options.limit = limit;
  if (cont) options.continueToken = decodeContinue(cont);
  if (resourceVersion !== undefined) options.resourceVersion = resourceVersion;
  if (rvMatch) options.resourceVersionMatch = rvMatch as "Exact" | "NotOlderThan";
  if (sendInitialEvents !== undefined) options.sendInitialEvents = sendInitialEvents;
  const timeout = intParam(q, "timeoutSeconds");
  if (timeout !== undefined && timeout > 0) options.timeoutSeconds = timeout;
  return options;
}
