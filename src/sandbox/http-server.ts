// The HTTP face of the sandbox: authenticates the bearer token, routes discovery, OpenAPI and resource
// requests, decodes bodies by Content-Type, maps verbs to the registry, and writes JSON (or a Table for
// kubectl get) with Warning headers. Errors are metav1.Status objects with the matching HTTP code.
import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseYaml } from "yaml";
import type { AdmissionUser } from "./admission.js";
import { warningHeaderValues } from "./admission-chain.js";
import { apiGroup, coreVersions, groupList, resourceList, versionInfo } from "./discovery.js";
import { parseListOptions } from "./list-options.js";
import { openApiV3 } from "./openapi.js";
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from "./patch.js";
import { decodeProtobufObject, readsProtobuf } from "./protobuf.js";
import type { DeleteOptions, Registry, RequestScope, WriteResult } from "./registry.js";
import { parseRequestPath } from "./request-info.js";
import type { ResourceRequest } from "./request-info.js";
import { findResource } from "./resources.js";
import { certificateUser, impersonatedUser, impersonationOf } from "./impersonation.js";
import type { RequestFaults } from "./request-faults.js";
import type { JsonObject } from "./json.js";
import type { ResourceDef } from "./resource-def.js";
import { serverSideApply } from "./server-side-apply.js";
import { StatusError, badRequest, failure, internalError, toWire, unauthorized, unsupportedMediaType } from "./status.js";
import type { Status } from "./status.js";
import type { ObjectStore } from "./store.js";
import { tableFor, wantsTable } from "./table.js";
import type { ActiveWatch, WatchStreamOptions } from "./watch-stream.js";
import { serveWatch } from "./watch-stream.js";

/** Largest request body kube-apiserver accepts (3 MiB). */
const MAX_BODY_BYTES = 3 * 1024 * 1024;

interface HttpHandlerOptions {
  store: ObjectStore;
  registry: Registry;
  serverAddress: () => string;
  latencyMs: () => number;
  bookmarkIntervalMs: number;
  watches: Set<ActiveWatch>;
  /** Injected 429s, 5xx and resets (request-faults.ts). */
  faults?: RequestFaults;
  /** Records who sent each request (kube-apiserver's audit log, its user fields only). */
  audit?: (entry: AuditEntry) => void;
}

/** One request as an audit event records it: the authenticated user, the impersonated one, what and how. */
export interface AuditEntry {
  user: string;
  impersonatedUser?: string;
  impersonatedGroups?: string[];
  verb: string;
  path: string;
  userAgent: string;
}

/** The caller named by the bearer token: the token is the user name (see sandbox.ts). */
export function userFromToken(token: string): AdmissionUser {
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(token);
  if (sa) {
    return { username: token, groups: ["system:serviceaccounts", `system:serviceaccounts:${sa[1]}`, "system:authenticated"] };
  }
  if (token === "sandbox-admin") return { username: token, groups: ["system:masters", "system:authenticated"] };
  return { username: token, groups: ["system:authenticated"] };
}


function sendJson(res: ServerResponse, code: number, body: unknown, warnings: string[] = []): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | string[] | number> = { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) };
  const warningValues = warningHeaderValues(warnings);
  if (warningValues.length > 0) headers.Warning = warningValues;
  res.writeHead(code, headers);
  res.end(text);
}

function sendStatus(res: ServerResponse, status: Status, warnings: string[] = []): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status.code, toWire(status), warnings);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw failure(413, "RequestEntityTooLarge", "the request is too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function mediaType(req: IncomingMessage): string {
  return (req.headers["content-type"] ?? "application/json").split(";")[0]?.trim().toLowerCase() ?? "application/json";
}

const PROTOBUF = "application/vnd.kubernetes.protobuf";

/** Body media types accepted for create and update of `def`. */
function bodyTypes(def: ResourceDef): string[] {
  return readsProtobuf(def.kind) && !def.group ? ["application/json", "application/yaml", PROTOBUF] : ["application/json", "application/yaml"];
}

function decodeDocument(raw: Buffer, type: string, kind = ""): unknown {
  if (type === PROTOBUF) return decodeProtobufObject(raw, kind);
  const text = raw.toString("utf8");
  if (text.trim() === "") return undefined;
  try {
    if (type === "application/yaml" || type === "application/apply-patch+yaml") return parseYaml(text);
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`the body of the request could not be decoded: ${(err as Error).message.split("\n")[0]}`);
  }
}

function dryRunOf(q: URLSearchParams, bodyDryRun?: unknown): boolean {
  const values = [...q.getAll("dryRun"), ...(Array.isArray(bodyDryRun) ? bodyDryRun.map(String) : [])];
  for (const v of values) {
    if (v !== "All") throw failure(400, "BadRequest", `dryRun: Unsupported value: ${JSON.stringify(v)}: supported values: "All"`);
  }
  return values.length > 0;
}

/** The default field manager: the User-Agent up to its first `/` (kube-apiserver's prefixFromUserAgent). */
function managerFrom(req: IncomingMessage, q: URLSearchParams): string {
  const explicit = q.get("fieldManager");
  if (explicit) return explicit;
  const agent = req.headers["user-agent"] ?? "unknown";
  return agent.split("/")[0]?.slice(0, 128) || "unknown";
}

export function createHandler(options: HttpHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { registry, store } = options;

  async function handle(req: IncomingMessage, res: ServerResponse, warnings: string[]): Promise<void> {
    const latency = options.latencyMs();
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    const url = new URL(req.url ?? "/", "https://sandbox");
    const path = url.pathname.replace(/\/+$/, "") || "/";

    if (path === "/healthz" || path === "/livez" || path === "/readyz") {
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end("ok");
      return;
    }
    const auth = req.headers.authorization ?? "";
    const token = /^Bearer\s+(.+)$/i.exec(auth)?.[1]?.trim();
    const requester = token ? userFromToken(token) : certificateUser(req);
    if (!requester) {
      sendStatus(res, unauthorized().status);
      return;
    }
    if (options.faults?.intercept(req, res, requester.username) === true) return;
    // With RBAC, rbac-authorizer.ts has checked that the requester may impersonate (impersonation.ts).
    const impersonation = impersonationOf(req);
    const user = impersonation !== undefined ? impersonatedUser(impersonation) : requester;
    options.audit?.({
      user: requester.username,
      ...(impersonation !== undefined ? { impersonatedUser: user.username, impersonatedGroups: user.groups } : {}),
      verb: req.method ?? "GET",
      path,
      userAgent: req.headers["user-agent"] ?? "",
    });

    if (path === "/version") return sendJson(res, 200, versionInfo());
    if (path === "/openapi/v3") return sendJson(res, 200, openApiV3().index);
    if (path.startsWith("/openapi/v3/")) {
      const doc = openApiV3().documents.get(path.slice("/openapi/v3/".length));
      if (!doc) return sendStatus(res, failure(404, "NotFound", "the server could not find the requested resource").status);
      res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "public, immutable", ETag: `"${doc.hash}"` });
      res.end(doc.body);
      return;
    }

    const target = parseRequestPath(path);
    switch (target.type) {
      case "core":
        if (!target.version) return sendJson(res, 200, coreVersions(options.serverAddress()));
        return sendDiscovery(res, resourceList("", target.version));
      case "group":
        if (!target.group) return sendJson(res, 200, groupList());
        if (!target.version) return sendDiscovery(res, apiGroup(target.group));
        return sendDiscovery(res, resourceList(target.group, target.version));
      case "other":
        res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
        res.end("404 page not found\n");
        return;
      case "resource":
        return handleResource(req, res, url.searchParams, target.request, user, warnings);
    }
  }

  function sendDiscovery(res: ServerResponse, doc: JsonObject | undefined): void {
    if (!doc) return sendStatus(res, failure(404, "NotFound", "the server could not find the requested resource").status);
    sendJson(res, 200, doc);
  }

  async function handleResource(req: IncomingMessage, res: ServerResponse, q: URLSearchParams, request: ResourceRequest, user: AdmissionUser, warnings: string[]): Promise<void> {
    const def = findResource(request.group, request.version, request.resource);
    const subresourceServed = request.subresource === undefined || (request.subresource === "status" && def?.statusSubresource) || (request.subresource === "finalize" && def?.storage === "namespaces" && req.method === "PUT");
    if (!def || !subresourceServed) {
      throw failure(404, "NotFound", "the server could not find the requested resource");
    }
    if (request.namespace !== undefined && !def.namespaced) throw failure(404, "NotFound", "the server could not find the requested resource");
    const deprecation = def.deprecated?.[request.version];
    if (deprecation) warnings.push(deprecation);
    const scope: RequestScope = { def, version: request.version, user, dryRun: false };
    if (request.namespace !== undefined) scope.namespace = request.namespace;
    if (request.name !== undefined) scope.name = request.name;
    if (request.subresource !== undefined) scope.subresource = request.subresource;
    const method = req.method ?? "GET";

    const respond = (result: WriteResult): void => {
      warnings.push(...result.warnings);
      sendJson(res, result.code, result.body, warnings);
    };

    if (method === "GET") {
      if (request.name === undefined || request.watchPath) {
        const listOptions = parseListOptions(q, def, request.watchPath);
        if (request.name !== undefined) {
          // /watch/.../<name> watches one object: the same as fieldSelector metadata.name=<name>.
          const byName = listOptions.matches;
          listOptions.matches = (o) => byName(o) && (o.metadata as JsonObject | undefined)?.name === request.name;
        }
        if (listOptions.watch) {
          const headers: Record<string, string | string[]> = {};
          if (warnings.length > 0) headers.Warning = warningHeaderValues(warnings);
          let handle: ActiveWatch | undefined = undefined;
          const watchTarget: { def: ResourceDef; version: string; namespace?: string } = { def, version: request.version };
          if (request.namespace !== undefined) watchTarget.namespace = request.namespace;
          const streamOptions: WatchStreamOptions = { bookmarkIntervalMs: options.bookmarkIntervalMs, defaultTimeoutMs: 1800_000 * (1 + Math.random()) };
          if (wantsTable(req)) streamOptions.transform = (object) => tableFor(def, { items: [object], metadata: {}, apiVersion: object.apiVersion }, q);
          handle = serveWatch(store, watchTarget, listOptions, res, streamOptions, headers, () => {
            if (handle) options.watches.delete(handle);
          });
          options.watches.add(handle);
          return;
        }
        const list = registry.list(scope, listOptions);
        return sendJson(res, 200, wantsTable(req) ? tableFor(def, list, q) : list, warnings);
      }
      const object = registry.get(scope);
      return sendJson(res, 200, wantsTable(req) ? tableFor(def, { items: [object], metadata: {} }, q) : object, warnings);
    }

    const raw = await readBody(req);
    const type = mediaType(req);
    const manager = managerFrom(req, q);
    scope.fieldManager = manager;
    const validation = q.get("fieldValidation");
    if (validation) {
      if (validation !== "Strict" && validation !== "Warn" && validation !== "Ignore") {
        throw badRequest(`fieldValidation: Unsupported value: ${JSON.stringify(validation)}: supported values: "Ignore", "Strict", "Warn"`);
      }
      scope.fieldValidation = validation;
    }

    if (method === "POST") {
      if (request.name !== undefined) throw failure(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
      if (!bodyTypes(def).includes(type)) throw unsupportedMediaType(type, bodyTypes(def));
      scope.dryRun = dryRunOf(q);
      const body = decodeDocument(raw, type, def.kind);
      return respond(await registry.create(scope, body, { kind: "CreateOptions", apiVersion: "meta.k8s.io/v1", ...writeOptions(q, scope.dryRun, manager) }));
    }
    if (method === "PUT") {
      if (!bodyTypes(def).includes(type)) throw unsupportedMediaType(type, bodyTypes(def));
      scope.dryRun = dryRunOf(q);
      const body = decodeDocument(raw, type, def.kind);
      return respond(await registry.update(scope, body, { kind: "UpdateOptions", apiVersion: "meta.k8s.io/v1", ...writeOptions(q, scope.dryRun, manager) }));
    }
    if (method === "PATCH") {
      if (request.name === undefined) throw failure(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
      scope.dryRun = dryRunOf(q);
      return respond(await patch(scope, q, type, raw, manager));
    }
    if (method === "DELETE") {
      const body = decodeDocument(raw, type === PROTOBUF ? PROTOBUF : "application/json", "DeleteOptions");
      const deleteOptions = (body && typeof body === "object" ? body : {}) as DeleteOptions & JsonObject;
      if (q.get("propagationPolicy")) deleteOptions.propagationPolicy = q.get("propagationPolicy") as string;
      if (q.get("gracePeriodSeconds")) deleteOptions.gracePeriodSeconds = Number(q.get("gracePeriodSeconds"));
      if (q.get("orphanDependents")) deleteOptions.orphanDependents = q.get("orphanDependents") === "true";
      scope.dryRun = dryRunOf(q, deleteOptions.dryRun);
      if (request.name === undefined) {
        return respond(await registry.deleteCollection(scope, deleteOptions, parseListOptions(q, def)));
      }
      return respond(await registry.delete(scope, deleteOptions));
    }
    throw failure(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
  }

  async function patch(scope: RequestScope, q: URLSearchParams, type: string, raw: Buffer, manager: string): Promise<WriteResult> {
    const { def } = scope;
    const accepted = ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"];
    if (!def.custom) accepted.push("application/strategic-merge-patch+json");
    if (!accepted.includes(type)) throw unsupportedMediaType(type, accepted);
    const patchBody = decodeDocument(raw, type);
    const options = { kind: "PatchOptions", apiVersion: "meta.k8s.io/v1", ...writeOptions(q, scope.dryRun, manager) };
    const updateOptions = { kind: "UpdateOptions", apiVersion: "meta.k8s.io/v1", ...writeOptions(q, scope.dryRun, manager) };
    if (type === "application/apply-patch+yaml") {
      if (!q.get("fieldManager")) {
        throw failure(422, "Invalid", `PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch`);
      }
      const force = q.get("force") === "true";
      return serverSideApply(registry, scope, patchBody, { manager, force, options });
    }
    if (q.get("force")) throw failure(422, "Invalid", `PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch`);
    return registry.guaranteedUpdate(scope, (current) => {
      if (!current) throw failure(404, "NotFound", "not found");
      let patched: unknown;
      if (type === "application/json-patch+json") patched = applyJsonPatch(current, patchBody);
      else if (type === "application/merge-patch+json") patched = applyMergePatch(current, patchBody);
      else patched = applyStrategicMergePatch(current, patchBody);
      if (!patched || typeof patched !== "object" || Array.isArray(patched)) throw badRequest("the patch did not produce an object");
      const object = patched as JsonObject;
      // apiVersion/kind are fixed by the URL; a patch cannot change them.
      if (object.apiVersion !== current.apiVersion || object.kind !== current.kind) {
        throw badRequest(`the API version or kind of the patched object does not match the request`);
      }
      return { object, options: updateOptions };
    });
  }

  return (req, res) => {
    // Warnings gathered while handling (deprecated versions, webhooks) go out with errors too.
    const warnings: string[] = [];
    handle(req, res, warnings).catch((err: unknown) => {
      if (err instanceof StatusError) sendStatus(res, err.status, [...warnings, ...err.warnings]);
      else sendStatus(res, internalError(err instanceof Error ? err.message : String(err)).status, warnings);
    });
  };
}

function writeOptions(q: URLSearchParams, dryRun: boolean, manager: string): JsonObject {
  const o: JsonObject = { fieldManager: manager };
  if (dryRun) o.dryRun = ["All"];
  const validation = q.get("fieldValidation");
  if (validation) o.fieldValidation = validation;
  return o;
}
