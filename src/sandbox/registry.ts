// The REST semantics of the sandbox, per verb, as kube-apiserver's generic registry implements them:
// create (generateName, uid, creationTimestamp, generation), update with optimistic concurrency,
// patches, the /status subresource, deletion with finalizers, dry-run, namespace lifecycle, and
// validating admission on every write. Wire concerns (URLs, bodies, headers) live in http-server.ts.
import type { AdmissionAttributes, AdmissionUser, ServiceResolver } from "./admission.js";
import { admit } from "./admission.js";
import { decodeProblems, defaultOnCreate, defaultOnUpdate, finalizeObject, kindProblems } from "./kind-rules.js";
import type { ListOptions } from "./list-options.js";
import type { ManagedFieldsEntry } from "./managed-fields.js";
import { entriesOf, recordUpdate } from "./managed-fields.js";
import { encodeContinue } from "./list-options.js";
import type { FieldProblem } from "./object-meta.js";
import { finalizersOf, generateName, meta, metadataProblems, nameOf, newUid, timestamp } from "./object-meta.js";
import { crdSchema } from "./crd-schemas.js";
import { isRecord } from "./json.js";
import type { JsonObject } from "./json.js";
import type { ResourceDef } from "./resource-def.js";
import { pruneAndDefault, validateAgainstSchema } from "./schema-validation.js";
import { RESOURCES, apiVersionOf, equivalentResources, presentAs, selectorView, toStorageForm } from "./resources.js";
import type { StatusDetails, StatusError } from "./status.js";
import { alreadyExists, badRequest, conflict, failure, forbidden, invalid, notFound } from "./status.js";
import { storageKey } from "./store.js";
import type { ObjectStore } from "./store.js";

/** Who asks for what: the resource and version from the URL, the object's coordinates, the caller. */
export interface RequestScope {
  def: ResourceDef;
  version: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  user: AdmissionUser;
  dryRun: boolean;
  /** Manager name for managedFields (fieldManager, else derived from the User-Agent). */
  fieldManager?: string;
  /** How unknown fields are handled (the fieldValidation parameter); kube-apiserver's default is Warn. */
  fieldValidation?: "Strict" | "Warn" | "Ignore";
}

export interface WriteResult {
  code: number;
  body: JsonObject;
  warnings: string[];
}

export interface DeleteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: string;
  orphanDependents?: boolean;
  gracePeriodSeconds?: number;
}

/**
 * A function computing the new object (client's version) from the current one (client's version).
 * `managedFields`, when given (server-side apply), replaces the ownership bookkeeping of an Update.
 */
interface UpdateResult {
  object: JsonObject;
  options?: unknown;
  managedFields?: ManagedFieldsEntry[];
}
type UpdateFn = (current: JsonObject | undefined) => UpdateResult | Promise<UpdateResult>;

const WEBHOOKS = "validatingwebhookconfigurations.admissionregistration.k8s.io";
/** Namespaces Kubernetes refuses to delete (NamespaceLifecycle's immortal namespaces). */
const IMMORTAL_NAMESPACES = new Set(["default", "kube-system", "kube-public"]);
const MAX_UPDATE_RETRIES = 5;

function without(o: JsonObject, ...keys: string[]): JsonObject {
  const copy = { ...o };
  for (const k of keys) delete copy[k];
  return copy;
}

/** metadata without what a no-op write would change anyway (resourceVersion, managedFields timestamps). */
function comparableMeta(o: JsonObject): JsonObject {
  const m = without(meta(o), "resourceVersion");
  if (Array.isArray(m.managedFields)) m.managedFields = m.managedFields.map((e) => (isRecord(e) ? without(e, "time") : e));
  return m;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (isRecord(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
  return v;
}

interface RegistryOptions {
  serviceResolver?: ServiceResolver;
}

export class Registry {
  constructor(
    private readonly store: ObjectStore,
    private readonly options: RegistryOptions = {},
  ) {}

  // --- reads ----------------------------------------------------------------------------------------

  get(scope: RequestScope): JsonObject {
    const stored = this.store.get(scope.def.storage, this.keyOf(scope, this.requireName(scope)));
    if (!stored) throw notFound(scope.def, scope.name ?? "");
    return presentAs(scope.def, scope.version, stored);
  }

  /**
   * A list, honouring resourceVersion/resourceVersionMatch, limit and continue. Unset resourceVersion is a
   * consistent read of the latest state; "0" is "any" (we serve the latest); a specific version with
   * NotOlderThan (or no match) needs the store to be at least that new; Exact and continue read the state
   * at that version, which needs it still in history (else 410 Expired).
   */
  list(scope: RequestScope, opts: ListOptions): JsonObject {
    const { def } = scope;
    const current = this.store.currentRv();
    let atRv = current;
    let inconsistent = false;
    if (opts.continueToken) {
      atRv = opts.continueToken.rv;
      if (atRv < 0) {
        inconsistent = true;
        atRv = current;
      } else if (atRv < this.store.oldestAvailableRv()) {
        throw this.continueExpired(scope, opts);
      }
    } else if (opts.resourceVersion && opts.resourceVersion !== "0") {
      const rv = Number(opts.resourceVersion);
      if (rv > current) {
        throw failure(504, "Timeout", `Timeout: Too large resource version: ${rv}, current: ${current}`, {
          causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }],
          retryAfterSeconds: 1,
        });
      }
      if (opts.resourceVersionMatch === "Exact") {
        this.store.assertAvailable(rv);
        atRv = rv;
      }
    }
    const start = opts.continueToken?.start;
    const selected = this.store
      .viewAt(def.storage, atRv, scope.namespace)
      .filter(({ key, object }) => (start === undefined || key > start) && opts.matches(selectorView(def, scope.version, object)));
    let page = selected;
    const listMeta: JsonObject = { resourceVersion: String(atRv) };
    if (opts.limit !== undefined && selected.length > opts.limit) {
      page = selected.slice(0, opts.limit);
      const last = page[page.length - 1];
      listMeta.continue = encodeContinue(inconsistent ? -1 : atRv, last?.key ?? "");
      // The server only knows the remaining count when no selector filters the items.
      if (!opts.labelSelector && !opts.fieldSelector) listMeta.remainingItemCount = selected.length - page.length;
    }
    return {
      kind: `${def.kind}List`,
      apiVersion: apiVersionOf(def.group, scope.version),
      metadata: listMeta,
      items: page.map(({ object }) => this.listItem(def, scope.version, object)),
    };
  }

  /** Items of typed (built-in) lists carry no apiVersion/kind on the wire; custom resource lists do. */
  private listItem(def: ResourceDef, version: string, stored: JsonObject): JsonObject {
    const presented = presentAs(def, version, stored);
    return def.custom ? presented : without(presented, "apiVersion", "kind");
  }

  private continueExpired(scope: RequestScope, opts: ListOptions): StatusError {
    const start = opts.continueToken?.start ?? "";
    const err = failure(
      410,
      "Expired",
      "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
    );
    (err.status.metadata as JsonObject).continue = encodeContinue(-1, start);
    void scope;
    return err;
  }

  // --- create ---------------------------------------------------------------------------------------

  async create(scope: RequestScope, body: unknown, options: unknown, managedFields?: ManagedFieldsEntry[]): Promise<WriteResult> {
    const { def } = scope;
    if (scope.subresource) throw failure(405, "MethodNotAllowed", `the server does not allow this method on the requested resource (post ${def.resource} ${scope.subresource})`);
    const object = this.decodeBody(scope, body);
    const pruneWarnings = this.prune(scope, object);
    if (def.namespaced && !scope.namespace) throw failure(404, "NotFound", "the server could not find the requested resource");
    const m = meta(object);
    if (def.namespaced) this.checkNamespace(scope, object);
    else delete m.namespace;
    if (!m.name && typeof m.generateName === "string" && m.generateName) m.name = generateName(m.generateName);
    const name = nameOf(object);
    const stored = this.prepareCreate(scope, object);
    this.track(scope, undefined, stored, managedFields);
    this.validate(scope, stored, name);
    if (def.namespaced && scope.namespace) this.checkNamespaceLifecycle(scope, name);
    const presented = presentAs(def, scope.version, stored);
    const warnings = [...pruneWarnings, ...(await this.runAdmission(scope, "CREATE", name, presented, undefined, options))];
    const key = storageKey(scope.namespace, name);
    if (this.store.peek(def.storage, key)) throw alreadyExists(def, name);
    if (scope.dryRun) {
      delete meta(presented).resourceVersion;
      return { code: 201, body: presented, warnings };
    }
    const change = this.store.commit(def.storage, key, stored);
    return { code: 201, body: presentAs(def, scope.version, change?.object ?? stored), warnings };
  }

  /** Stores an object as-is (status included), skipping admission: seeding and tests playing controllers. */
  seed(object: JsonObject, def: ResourceDef, version: string): JsonObject {
    const m = meta(object);
    const namespace = def.namespaced ? (typeof m.namespace === "string" && m.namespace ? m.namespace : "default") : undefined;
    if (namespace) {
      m.namespace = namespace;
      if (!this.store.get("namespaces", namespace)) {
        this.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }, RESOURCES.find((r) => r.storage === "namespaces") as ResourceDef, "v1");
      }
    }
    const scope: RequestScope = { def, version, user: { username: "system:sandbox", groups: ["system:masters"] }, dryRun: false, name: nameOf(object) };
    if (namespace) scope.namespace = namespace;
    const status = object.status;
    const stored = this.prepareCreate(scope, structuredClone(object), true);
    if (status !== undefined) stored.status = status;
    this.validate(scope, stored, nameOf(stored));
    const key = storageKey(namespace, nameOf(stored));
    const existing = this.store.peek(def.storage, key);
    if (existing) {
      meta(stored).uid = meta(existing).uid;
      meta(stored).creationTimestamp = meta(existing).creationTimestamp;
    }
    const change = this.store.commit(def.storage, key, stored);
    return presentAs(def, version, change?.object ?? stored);
  }

  private prepareCreate(scope: RequestScope, object: JsonObject, keepStatus = false): JsonObject {
    const { def } = scope;
    const stored = toStorageForm(def, scope.version, object);
    const m = meta(stored);
    m.uid = newUid();
    m.creationTimestamp = timestamp();
    delete m.resourceVersion;
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    delete m.selfLink;
    if (def.namespaced && scope.namespace) m.namespace = scope.namespace;
    if (def.generation) m.generation = 1;
    else delete m.generation;
    // With the status subresource, status cannot be set on create (customResourceStrategy.PrepareForCreate).
    if (def.statusSubresource && def.custom && !keepStatus) delete stored.status;
    defaultOnCreate(def, stored);
    finalizeObject(def, stored);
    return stored;
  }

  // --- update / patch ---------------------------------------------------------------------------------

  /** PUT: replace the object (or its status), with optimistic concurrency on metadata.resourceVersion. */
  async update(scope: RequestScope, body: unknown, options: unknown): Promise<WriteResult> {
    const object = this.decodeBody(scope, body);
    const name = this.requireName(scope);
    const bodyName = nameOf(object);
    if (bodyName && bodyName !== name) throw badRequest(`the name of the object (${bodyName}) does not match the name on the URL (${name})`);
    meta(object).name = name;
    if (scope.def.namespaced) this.checkNamespace(scope, object);
    const rv = meta(object).resourceVersion;
    if ((rv === undefined || rv === "") && scope.def.custom) {
      // Custom resources refuse unconditional updates (AllowUnconditionalUpdate is false for them).
      throw invalid(scope.def, name, [{ field: "metadata.resourceVersion", message: "Invalid value: 0x0: must be specified for an update" }]);
    }
    return this.guaranteedUpdate(scope, () => ({ object, options }), { preconditionRv: typeof rv === "string" && rv ? rv : undefined });
  }

  /**
   * The read-modify-write loop of the registry (Store.Update / GuaranteedUpdate): compute the new object from
   * the current one, validate, admit, and commit only if nothing changed meanwhile. With a resourceVersion
   * precondition a concurrent change is a 409 Conflict; without one the loop retries on the new state.
   */
  async guaranteedUpdate(
    scope: RequestScope,
    compute: UpdateFn,
    opts: { preconditionRv?: string | undefined; allowCreate?: boolean; createOptions?: unknown } = {},
  ): Promise<WriteResult> {
    const { def } = scope;
    const name = this.requireName(scope);
    const key = this.keyOf(scope, name);
    for (let attempt = 0; ; attempt++) {
      const existing = this.store.get(def.storage, key);
      if (!existing) {
        if (!opts.allowCreate) throw notFound(def, name);
        const { object, options, managedFields } = await compute(undefined);
        meta(object).name = name;
        if (def.namespaced && scope.namespace) meta(object).namespace = scope.namespace;
        return this.create(scope, object, options ?? opts.createOptions, managedFields);
      }
      const currentRv = String(meta(existing).resourceVersion ?? "");
      const precondition = opts.preconditionRv;
      if (precondition !== undefined && precondition !== currentRv) throw conflict(def, name);
      const presentedOld = presentAs(def, scope.version, existing);
      const { object: requested, options, managedFields } = await compute(structuredClone(presentedOld));
      const patchRv = meta(requested).resourceVersion;
      if (typeof patchRv === "string" && patchRv && patchRv !== currentRv) throw conflict(def, name);
      const pruneWarnings = this.prune(scope, requested);
      const updated = this.prepareUpdate(scope, requested, existing);
      this.track(scope, existing, updated, managedFields, requested);
      this.validate(scope, updated, name, existing);
      this.checkFinalizersOnDeleting(scope, updated, existing, name);
      const presentedNew = presentAs(def, scope.version, updated);
      const warnings = [...pruneWarnings, ...(await this.runAdmission(scope, "UPDATE", name, presentedNew, presentedOld, options))];
      const now = this.store.peek(def.storage, key);
      if (!now || String(meta(now).resourceVersion) !== currentRv) {
        if (precondition !== undefined || attempt >= MAX_UPDATE_RETRIES) throw conflict(def, name);
        continue;
      }
      const unchanged = sameJson(without(updated, "metadata"), without(existing, "metadata")) && sameJson(comparableMeta(updated), comparableMeta(existing));
      if (scope.dryRun || unchanged) {
        // A no-op update writes nothing and keeps the resourceVersion (etcd3 store's GuaranteedUpdate).
        return { code: 200, body: presentAs(def, scope.version, unchanged ? existing : updated), warnings };
      }
      if (meta(updated).deletionTimestamp && !this.isHeld(def, updated)) {
        // The last finalizer is gone from an object being deleted: it goes away now.
        const change = this.store.commit(def.storage, key, undefined);
        return { code: 200, body: presentAs(def, scope.version, change?.object ?? updated), warnings };
      }
      const change = this.store.commit(def.storage, key, updated);
      return { code: 200, body: presentAs(def, scope.version, change?.object ?? updated), warnings };
    }
  }

  private prepareUpdate(scope: RequestScope, requested: JsonObject, existing: JsonObject): JsonObject {
    const { def } = scope;
    const incoming = toStorageForm(def, scope.version, requested);
    let updated: JsonObject;
    if (scope.subresource === "finalize") {
      // PUT /api/v1/namespaces/<name>/finalize changes spec.finalizers only (what the namespace controller uses).
      updated = structuredClone(existing);
      const finalizers = isRecord(incoming.spec) && Array.isArray(incoming.spec.finalizers) ? incoming.spec.finalizers : [];
      updated.spec = { ...(isRecord(updated.spec) ? updated.spec : {}), finalizers };
      return updated;
    }
    if (scope.subresource === "status") {
      // A status write changes status only (and managedFields); everything else comes from the stored object.
      updated = structuredClone(existing);
      if (incoming.status === undefined) delete updated.status;
      else updated.status = incoming.status;
      return updated;
    }
    updated = incoming;
    const m = meta(updated);
    const old = meta(existing);
    // System fields cannot be changed by a client (ObjectMetaUpdateValidation / rest.BeforeUpdate).
    m.uid = old.uid;
    m.creationTimestamp = old.creationTimestamp;
    m.name = old.name;
    if (def.namespaced) m.namespace = old.namespace;
    else delete m.namespace;
    if (old.deletionTimestamp !== undefined) {
      m.deletionTimestamp = old.deletionTimestamp;
      m.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds;
    } else {
      delete m.deletionTimestamp;
      delete m.deletionGracePeriodSeconds;
    }
    m.resourceVersion = old.resourceVersion;
    if (def.statusSubresource) {
      // With a status subresource, main-resource writes ignore status changes.
      if (existing.status === undefined) delete updated.status;
      else updated.status = existing.status;
    }
    if (def.generation) {
      // Generation counts spec changes: anything outside metadata and status. The old object is compared
      // with its schema defaults applied, as kube-apiserver decodes it from storage (a seeded object stored
      // without them must not look changed on its first write).
      const before = def.custom ? presentAs(def, scope.version, existing) : existing;
      const changed = !sameJson(without(updated, "metadata", "status", "apiVersion", "kind"), without(before, "metadata", "status", "apiVersion", "kind"));
      const oldGeneration = typeof old.generation === "number" ? old.generation : 1;
      m.generation = changed ? oldGeneration + 1 : oldGeneration;
    } else {
      delete m.generation;
    }
    defaultOnUpdate(def, updated, existing);
    finalizeObject(def, updated);
    return updated;
  }

  private checkFinalizersOnDeleting(scope: RequestScope, updated: JsonObject, existing: JsonObject, name: string): void {
    if (!meta(existing).deletionTimestamp) return;
    const before = new Set(finalizersOf(existing));
    const added = finalizersOf(updated).filter((f) => !before.has(f));
    if (added.length > 0) {
      throw invalid(scope.def, name, [
        { field: "metadata.finalizers", message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(", ")}}`, reason: "FieldValueForbidden" },
      ]);
    }
  }

  // --- delete -------------------------------------------------------------------------------------------

  /**
   * DELETE. With finalizers the object is only marked (deletionTimestamp set, generation bumped) and stays
   * until they are removed (https://kubernetes.io/docs/concepts/overview/working-with-objects/finalizers/).
   * Namespaces always carry the `kubernetes` finalizer and go Terminating; namespace-lifecycle.ts empties them.
   */
  async delete(scope: RequestScope, options: DeleteOptions & JsonObject): Promise<WriteResult> {
    const { def } = scope;
    const name = this.requireName(scope);
    const key = this.keyOf(scope, name);
    for (let attempt = 0; ; attempt++) {
      const existing = this.store.get(def.storage, key);
      if (!existing) throw notFound(def, name);
      const m = meta(existing);
      const pre = options.preconditions;
      if (pre?.uid !== undefined && pre.uid !== m.uid) {
        throw conflict(def, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${String(m.uid)}`);
      }
      if (pre?.resourceVersion !== undefined && pre.resourceVersion !== m.resourceVersion) {
        throw conflict(def, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${String(m.resourceVersion)}`);
      }
      if (def.storage === "namespaces" && IMMORTAL_NAMESPACES.has(name)) {
        throw forbidden(def, name, "this namespace may not be deleted");
      }
      const presentedOld = presentAs(def, scope.version, existing);
      const warnings = await this.runAdmission(scope, "DELETE", name, undefined, presentedOld, { kind: "DeleteOptions", apiVersion: "meta.k8s.io/v1", ...options });
      const now = this.store.peek(def.storage, key);
      if (!now || String(meta(now).resourceVersion) !== String(m.resourceVersion)) {
        if (attempt >= MAX_UPDATE_RETRIES) throw conflict(def, name);
        continue;
      }
      const marked = this.markForDeletion(def, existing);
      // kube-apiserver answers 200 unless the object stays and orphanDependents=false was asked for (then 202);
      // the finalizers page describes the marked case as 202, so both are accepted by clients.
      const stays = marked !== undefined;
      const code = stays && options.orphanDependents === false ? 202 : 200;
      if (scope.dryRun) {
        return { code, body: stays ? presentAs(def, scope.version, marked) : this.deletedBody(scope, existing), warnings };
      }
      if (stays) {
        if (meta(existing).deletionTimestamp && sameJson(marked, existing)) return { code, body: presentedOld, warnings };
        const change = this.store.commit(def.storage, key, marked);
        return { code, body: presentAs(def, scope.version, change?.object ?? marked), warnings };
      }
      const change = this.store.commit(def.storage, key, undefined);
      return { code: 200, body: this.deletedBody(scope, change?.object ?? existing), warnings };
    }
  }

  /** Whether finalizers still hold an object (for Namespaces, spec.finalizers too). */
  private isHeld(def: ResourceDef, obj: JsonObject): boolean {
    if (finalizersOf(obj).length > 0) return true;
    return def.storage === "namespaces" && isRecord(obj.spec) && Array.isArray(obj.spec.finalizers) && obj.spec.finalizers.length > 0;
  }

  /** The object marked as being deleted, or undefined when nothing holds it and it can go now. */
  private markForDeletion(def: ResourceDef, existing: JsonObject): JsonObject | undefined {
    const holdsNamespace = def.storage === "namespaces";
    if (!holdsNamespace && finalizersOf(existing).length === 0) return undefined;
    const marked = structuredClone(existing);
    const m = meta(marked);
    if (!m.deletionTimestamp) {
      m.deletionTimestamp = timestamp();
      m.deletionGracePeriodSeconds = 0;
      // markAsDeleting bumps the generation when it first sets deletionTimestamp.
      if (typeof m.generation === "number" && m.generation > 0) m.generation += 1;
    }
    if (holdsNamespace) {
      marked.status = { ...(isRecord(marked.status) ? marked.status : {}), phase: "Terminating" };
      const specFinalizers = isRecord(marked.spec) && Array.isArray(marked.spec.finalizers) ? marked.spec.finalizers : [];
      if (specFinalizers.length === 0 && finalizersOf(marked).length === 0) return undefined;
    }
    return marked;
  }

  /** What DELETE returns for an object that is gone: the object for CRs, Namespaces and Services, else a Status. */
  private deletedBody(scope: RequestScope, object: JsonObject): JsonObject {
    const { def } = scope;
    if (def.custom || def.storage === "namespaces" || def.storage === "services") return presentAs(def, scope.version, object);
    const details: JsonObject = { name: nameOf(object), kind: def.resource, uid: meta(object).uid };
    if (def.group) details.group = def.group;
    return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details };
  }

  /** DELETE on a collection: deletes each selected object as a single delete would; returns the list. */
  async deleteCollection(scope: RequestScope, options: DeleteOptions & JsonObject, listOptions: ListOptions): Promise<WriteResult> {
    const list = this.list(scope, { ...listOptions, limit: undefined, continueToken: undefined });
    const items: JsonObject[] = [];
    const warnings: string[] = [];
    for (const item of list.items as JsonObject[]) {
      const m = meta(item);
      const itemScope: RequestScope = { ...scope, name: String(m.name) };
      if (typeof m.namespace === "string") itemScope.namespace = m.namespace;
      try {
        const result = await this.delete(itemScope, options);
        warnings.push(...result.warnings);
        items.push(result.body.kind === "Status" ? item : result.body);
      } catch (err) {
        if ((err as StatusError).status?.code !== 404) throw err;
      }
    }
    return { code: 200, body: { ...list, items }, warnings };
  }

  // --- shared steps -------------------------------------------------------------------------------------

  /** Checks the body is an object of this resource and version; returns a copy. */
  decodeBody(scope: RequestScope, body: unknown): JsonObject {
    const { def } = scope;
    if (!isRecord(body)) throw badRequest(`the body of the request was in an unknown format - expected a JSON or YAML object`);
    const object = structuredClone(body);
    const expected = apiVersionOf(def.group, scope.version);
    if (object.apiVersion !== undefined && object.apiVersion !== expected) {
      throw badRequest(`the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${expected})`);
    }
    if (object.kind !== undefined && object.kind !== def.kind) {
      throw badRequest(`${String(object.kind)} in version "${scope.version}" cannot be handled as a ${def.kind}: the kind in the data (${String(object.kind)}) does not match the expected kind (${def.kind})`);
    }
    object.apiVersion = expected;
    object.kind = def.kind;
    if (object.metadata !== undefined && !isRecord(object.metadata)) {
      throw badRequest(`${def.kind} in version "${scope.version}" cannot be handled as a ${def.kind}: metadata must be an object`);
    }
    decodeProblems(def, object);
    return object;
  }

  private checkNamespace(scope: RequestScope, object: JsonObject): void {
    const m = meta(object);
    if (m.namespace !== undefined && m.namespace !== "" && m.namespace !== scope.namespace) {
      throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    m.namespace = scope.namespace;
  }

  /** NamespaceLifecycle admission: no objects in a missing or terminating namespace. */
  private checkNamespaceLifecycle(scope: RequestScope, name: string): void {
    const ns = scope.namespace as string;
    const namespace = this.store.get("namespaces", ns);
    if (!namespace) throw notFound({ group: "", resource: "namespaces" }, ns);
    if (meta(namespace).deletionTimestamp) {
      const err = forbidden(scope.def, name, `unable to create new content in namespace ${ns} because it is being terminated`);
      err.status.details = { ...err.status.details, causes: [{ reason: "NamespaceTerminating", message: `namespace ${ns} is being terminated`, field: "metadata.namespace" }] };
      throw err;
    }
  }

  private validate(scope: RequestScope, stored: JsonObject, name: string, old?: JsonObject): void {
    const { def } = scope;
    const problems: FieldProblem[] = [...metadataProblems(stored, def.storage === "namespaces"), ...kindProblems(def, stored, old)];
    const schema = def.custom ? crdSchema(def, scope.version) : undefined;
    if (schema) problems.push(...validateAgainstSchema(presentAs(def, scope.version, stored), schema));
    if (problems.length > 0) throw invalid(def, name, problems);
  }

  /**
   * Prunes fields a custom resource's schema does not declare, applying defaults. Unknown fields fail the
   * request under fieldValidation=Strict (what kubectl sends), become warnings under Warn (the default),
   * and vanish silently under Ignore.
   */
  private prune(scope: RequestScope, object: JsonObject): string[] {
    const { def } = scope;
    const schema = def.custom ? crdSchema(def, scope.version) : undefined;
    if (!schema) return [];
    const { unknownFields } = pruneAndDefault(object, schema);
    if (unknownFields.length === 0) return [];
    const problems = unknownFields.map((f) => `unknown field "${f}"`);
    const mode = scope.fieldValidation ?? "Warn";
    if (mode === "Strict") {
      throw badRequest(`${def.kind} in version "${scope.version}" cannot be handled as a ${def.kind}: strict decoding error: ${problems.join(", ")}`);
    }
    return mode === "Warn" ? problems : [];
  }

  private async runAdmission(
    scope: RequestScope,
    operation: AdmissionAttributes["operation"],
    name: string,
    object: JsonObject | undefined,
    oldObject: JsonObject | undefined,
    options: unknown,
  ): Promise<string[]> {
    const { def } = scope;
    const configs = this.store.list(WEBHOOKS).map(({ object: o }) => o);
    const attrs: AdmissionAttributes = {
      operation,
      resource: { group: def.group, version: scope.version, resource: def.resource },
      kind: { group: def.group, version: scope.version, kind: def.kind },
      name,
      dryRun: scope.dryRun,
      userInfo: scope.user,
      equivalentResources: equivalentResources(def),
    };
    if (scope.subresource) attrs.subResource = scope.subresource;
    if (scope.namespace) {
      attrs.namespace = scope.namespace;
      const ns = this.store.get("namespaces", scope.namespace);
      if (ns) attrs.namespaceLabels = (meta(ns).labels as Record<string, string> | undefined) ?? {};
    } else if (def.storage === "namespaces") {
      // For a Namespace itself, namespaceSelector matches its own labels.
      const labels = (object ? meta(object).labels : oldObject ? meta(oldObject).labels : undefined) as Record<string, string> | undefined;
      if (labels) attrs.namespaceLabels = labels;
    }
    if (object) attrs.object = object;
    if (oldObject) attrs.oldObject = oldObject;
    if (options !== undefined) attrs.options = options;
    const outcome = await admit(configs, attrs, this.options.serviceResolver);
    if (!outcome.allowed) {
      const err = failure(outcome.status.code, outcome.status.reason, outcome.status.message, outcome.status.details as StatusDetails | undefined);
      err.warnings = outcome.warnings;
      throw err;
    }
    return outcome.warnings;
  }

  /**
   * metadata.managedFields after this write: the entries server-side apply computed (`applied`), or the
   * stored ones (or those the client deliberately sent) with the writer's Update recorded.
   */
  private track(scope: RequestScope, existing: JsonObject | undefined, updated: JsonObject, applied?: ManagedFieldsEntry[], requested?: JsonObject): void {
    const { def } = scope;
    const entries =
      applied ??
      recordUpdate(existing, updated, existing ? this.requestedManagedFields(requested ?? updated, existing) : [], {
        manager: scope.fieldManager ?? "unknown",
        apiVersion: apiVersionOf(def.group, scope.version),
        ...(scope.subresource ? { subresource: scope.subresource } : {}),
        hasStatusSubresource: def.statusSubresource,
      });
    if (entries.length > 0) meta(updated).managedFields = entries;
    else delete meta(updated).managedFields;
  }

  /**
   * The managedFields a client sent, when it changed them on purpose (kubectl's client-side to
   * server-side apply migration patches them); otherwise the stored ones.
   */
  private requestedManagedFields(requested: JsonObject, existing: JsonObject): ManagedFieldsEntry[] {
    const sent = meta(requested).managedFields;
    const stored = entriesOf(existing);
    if (!Array.isArray(sent) || sameJson(sent, stored)) return stored;
    return sent.filter((e): e is ManagedFieldsEntry => isRecord(e) && typeof e.manager === "string" && isRecord(e.fieldsV1)) as ManagedFieldsEntry[];
  }

  private requireName(scope: RequestScope): string {
    if (!scope.name) throw failure(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    return scope.name;
  }

  private keyOf(scope: RequestScope, name: string): string {
    return storageKey(scope.def.namespaced ? scope.namespace : undefined, name);
  }
}
