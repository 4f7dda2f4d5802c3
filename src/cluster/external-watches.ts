// Watches on kinds outside Flux that ResourceSets depend on (docs/behaviour.md, "Kinds outside Flux"): the
// ExternalObjects view the gate rules read for a ConfigMap, a CustomResourceDefinition, a Deployment or a
// custom resource, core group and cluster-scoped kinds included. On by default (`serve --external-kinds`,
// chart value externalKinds.enabled); the chart grants get/list/watch on the kinds it lists.
//
// A kind is watched only while some dependsOn entry names it: the graph says which kinds are named
// (GateTracker.externalKinds); a kind named for the first time is resolved (its plural and scope from
// the API server's discovery, then one list of one object to learn whether releasegate may read it)
// and then listed and watched by an ObjectCache that keeps only what readiness reads
// (external-codec.ts), and the fields the ResourceSets' readyExprs read of the kind (`keepOfKind`; when that
// grows the kind is listed again). A kind no longer named is stopped after `lingerMs`. At most `maxKinds`
// kinds are watched at once; a kind beyond that is not watched, and its dependents' gates say so. A kind
// that cannot be resolved (not served, or releasegate may not read it: the gate names the permission and
// the chart value) is tried again every `retryMs` while named, and the gates say why meanwhile.
//
// Where RBAC is namespaced (a namespaced kind whose cluster-wide list answers 403, read through Roles in
// some namespaces: the chart's externalKinds.secretNamespaces), the kind is watched instead in exactly the
// namespaces its entries name, one list and watch each, at most `maxNamespaces` of them
// (external-namespaces.ts); a namespace still forbidden names the permission, the namespace and the value.

import type { ExternalObject, ExternalObjects, ExternalState } from "../graph/external-objects.js";
import {
  externalForbiddenMessage,
  externalLimitMessage,
  externalNamespaceForbiddenMessage,
  externalNotSyncedMessage,
  externalNotWatchedMessage,
  externalUnservedMessage,
  externalWatchFailedMessage,
} from "../graph/messages.js";
import { splitNodeKey, nodeKey } from "../graph/refs.js";
import type { NodeKey } from "../graph/types.js";
import type { Keep } from "../graph/field-paths.js";
import { describeError, statusCodeOf } from "../runtime/api-error.js";
import { isRecord } from "../runtime/json.js";
import { silentLogger } from "../runtime/logger.js";
import type { Logger } from "../runtime/logger.js";
import { apiGet } from "./api-get.js";
import { externalCodec } from "./external-codec.js";
import { KindDiscovery } from "./kind-discovery.js";
import { NamespaceWatches, stopSlot } from "./external-namespaces.js";
import type { ProbeNamespace } from "./external-namespaces.js";
import type { KubeSource } from "../kube/connect.js";
import { objectKey } from "../graph/refs.js";
import { ObjectCache } from "./object-cache.js";
import { resourcePath } from "./resources.js";
import type { ResourceType } from "./resources.js";

/** Kinds watched at once by default (docs/behaviour.md, "Kinds outside Flux"). */
const DEFAULT_MAX_EXTERNAL_KINDS = 8;
/** Namespaces of one kind watched at once by default, where the kind may not be read cluster-wide. */
const DEFAULT_MAX_EXTERNAL_NAMESPACES = 10;

/** Who hears that what the view says changed: the one graph (cluster/flux-graph.ts). */
interface ExternalChangeSink {
  externalChanged(node: NodeKey): void;
  externalKindChanged(kind: string): void;
}

/**
 * Resolves a kind at an apiVersion to its resource, or says why it cannot be watched. `perNamespace`: a
 * namespaced kind releasegate may not list cluster-wide (403), to be read in the named namespaces instead.
 */
type ResolveKind = (kind: string, apiVersion: string) => Promise<{ type: ResourceType; perNamespace?: boolean } | { why: string }>;

interface ExternalWatchOptions {
  /** Watch kinds outside Flux at all (off: every such dependency is "cannot judge"). */
  enabled: boolean;
  maxKinds?: number;
  /** At most this many namespaces of one kind watched one by one (a kind not readable cluster-wide; default 10). */
  maxNamespaces?: number;
  /** How long a watch outlives the last entry naming its kind (default 60 s). */
  lingerMs?: number;
  /** How soon a kind that could not be resolved is tried again (default 30 s). */
  retryMs?: number;
  /** Resolution and its probe read; the API server's discovery by default. */
  resolve?: ResolveKind;
  /** The probe read of one namespace, for a kind read namespace by namespace; a list of one object by default. */
  probeNamespace?: ProbeNamespace;
  /** What the readyExprs naming a kind read of its objects (the graph's FieldDemand). */
  keepOfKind?: (kind: string) => Keep | undefined;
  pageSize?: number;
  backoff?: { initialMs?: number; maxMs?: number };
  logger?: Logger;
}

type Slot =
  /** `why`: a retry's previous failure, said until the resolution answers (the gate does not flap to "cannot judge yet"). */
  | { phase: "resolving"; apiVersion: string; why?: string }
  | { phase: "failed"; apiVersion: string; why: string; retry: NodeJS.Timeout }
  | { phase: "watching"; apiVersion: string; cache: ObjectCache<ExternalObject, string>; unsubscribe: () => void }
  | { phase: "namespaced"; apiVersion: string; watches: NamespaceWatches };

export class ExternalWatches implements ExternalObjects {
  private readonly slots = new Map<string, Slot>();
  private readonly lingering = new Map<string, NodeJS.Timeout>();
  /** Kinds named whose dependents have been told what the view says of them. */
  private readonly announced = new Set<string>();
  private demand: ReadonlyMap<string, ReadonlyMap<string, number>> = new Map();
  /** The namespaces the entries naming each kind name (GateTracker.externalNamespaces). */
  private namespaceDemand: ReadonlyMap<string, ReadonlyMap<string, number>> = new Map();
  private sink: ExternalChangeSink | undefined;
  private readonly maxKinds: number;
  private readonly maxNamespaces: number;
  private readonly lingerMs: number;
  private readonly retryMs: number;
  private readonly resolve: ResolveKind;
  private readonly probeNamespace: ProbeNamespace;
  private readonly log: Logger;
  private stopped = false;

  constructor(
    private readonly kc: KubeSource,
    private readonly options: ExternalWatchOptions,
  ) {
    this.maxKinds = Math.max(0, options.maxKinds ?? DEFAULT_MAX_EXTERNAL_KINDS);
    this.maxNamespaces = Math.max(0, options.maxNamespaces ?? DEFAULT_MAX_EXTERNAL_NAMESPACES);
    this.lingerMs = options.lingerMs ?? 60_000;
    this.retryMs = options.retryMs ?? 30_000;
    const reader = discoveryReader(kc);
    this.resolve = options.resolve ?? reader.resolve;
    this.probeNamespace = options.probeNamespace ?? reader.probeNamespace;
    this.log = options.logger ?? silentLogger;
  }

  /** The graph to tell of changes; set once, before the first demand. */
  connect(sink: ExternalChangeSink): void {
    this.sink = sink;
  }

  /** The kinds watched now, cluster-wide or namespace by namespace (for tests and logs). */
  watchedKinds(): string[] {
    return [...this.slots].filter(([, slot]) => slot.phase === "watching" || slot.phase === "namespaced").map(([kind]) => kind);
  }

  /** The namespaces a kind not readable cluster-wide is watched in now; undefined when it is not read so. */
  watchedNamespaces(kind: string): string[] | undefined {
    const slot = this.slots.get(kind);
    return slot?.phase === "namespaced" ? slot.watches.watchedNamespaces() : undefined;
  }

  stateOf(node: NodeKey): ExternalState {
    const { kind, namespace, name } = splitNodeKey(node);
    if (!this.options.enabled) return { known: false, why: externalNotWatchedMessage(kind) };
    const slot = this.slots.get(kind);
    // No slot: beyond the limit, or named a moment ago and about to be resolved (setDemand follows every graph change).
    if (slot === undefined) return { known: false, why: this.slots.size >= this.maxKinds ? externalLimitMessage(kind, this.maxKinds) : externalNotSyncedMessage(kind) };
    if (slot.phase === "resolving") return { known: false, why: slot.why ?? externalNotSyncedMessage(kind) };
    if (slot.phase === "failed") return { known: false, why: slot.why };
    if (slot.phase === "namespaced") return slot.watches.stateOf(namespace, name);
    if (!slot.cache.isSynced()) return { known: false, why: externalNotSyncedMessage(kind) };
    return { known: true, object: slot.cache.get(objectKey(namespace, name)) };
  }

  /**
   * The kinds the graph's entries name now (GateTracker.externalKinds), and the namespaces they name of each
   * (GateTracker.externalNamespaces): start what is new, let go of what is not.
   */
  setDemand(demand: ReadonlyMap<string, ReadonlyMap<string, number>>, namespaces: ReadonlyMap<string, ReadonlyMap<string, number>> = new Map()): void {
    this.demand = new Map([...demand].map(([kind, versions]) => [kind, new Map(versions)]));
    this.namespaceDemand = new Map([...namespaces].map(([kind, names]) => [kind, new Map(names)]));
    if (!this.options.enabled || this.stopped) return;
    for (const [kind, slot] of this.slots) {
      if (demand.has(kind)) this.keep(kind);
      else if (!this.lingering.has(kind)) this.lingering.set(kind, unref(setTimeout(() => this.release(kind), this.lingerMs)));
      if (slot.phase === "namespaced" && demand.has(kind)) slot.watches.setNamespaces(this.namespaceDemand.get(kind));
    }
    // A kind named for the first time: its dependents were judged before it was looked at ("not watched").
    const fresh: string[] = [];
    for (const [kind, versions] of demand) {
      if (this.slots.has(kind) || this.announced.has(kind)) continue;
      fresh.push(kind);
      if (this.slots.size < this.maxKinds) this.begin(kind, preferredVersion(versions));
    }
    for (const kind of this.announced) if (!demand.has(kind)) this.announced.delete(kind);
    for (const kind of fresh) {
      this.announced.add(kind);
      this.sink?.externalKindChanged(kind);
    }
  }

  /** The readyExprs now read more of `kind` than its watch keeps: list and watch it again. */
  fieldsGrown(kind: string): void {
    const slot = this.slots.get(kind);
    if (this.stopped) return;
    if (slot?.phase === "namespaced") {
      slot.watches.restart();
      return;
    }
    if (slot?.phase !== "watching") return;
    slot.unsubscribe();
    void slot.cache.stop();
    this.slots.delete(kind);
    this.begin(kind, slot.apiVersion);
    this.sink?.externalKindChanged(kind);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.lingering.values()) clearTimeout(timer);
    this.lingering.clear();
    const stops = [...this.slots.values()].map((slot) => (slot.phase === "namespaced" ? slot.watches.stop() : stopSlot(slot)));
    this.slots.clear();
    await Promise.allSettled(stops);
  }

  private keep(kind: string): void {
    const timer = this.lingering.get(kind);
    if (timer !== undefined) clearTimeout(timer);
    this.lingering.delete(kind);
  }

  private begin(kind: string, apiVersion: string, previousWhy?: string): void {
    this.slots.set(kind, { phase: "resolving", apiVersion, ...(previousWhy !== undefined ? { why: previousWhy } : {}) });
    void this.resolve(kind, apiVersion).then(
      (resolved) => this.resolved(kind, apiVersion, resolved),
      (error: unknown) => this.resolved(kind, apiVersion, { why: externalWatchFailedMessage(kind, describeError(error)) }),
    );
  }

  private resolved(kind: string, apiVersion: string, resolved: { type: ResourceType; perNamespace?: boolean } | { why: string }): void {
    const slot = this.slots.get(kind);
    if (this.stopped || slot === undefined || slot.phase !== "resolving" || slot.apiVersion !== apiVersion) return;
    if ("why" in resolved) {
      this.log.warn({ kind, apiVersion, why: resolved.why }, "cannot watch a kind ResourceSets depend on; retrying");
      const retry = unref(setTimeout(() => this.retry(kind), this.retryMs));
      this.slots.set(kind, { phase: "failed", apiVersion, why: resolved.why, retry });
      this.sink?.externalKindChanged(kind);
      return;
    }
    if (resolved.perNamespace === true) {
      this.watchPerNamespace(kind, apiVersion, resolved.type);
      return;
    }
    const cache = new ObjectCache<ExternalObject, string>(this.kc, {
      kind,
      codec: externalCodec(resolved.type, this.options.keepOfKind?.(kind)),
      logger: this.log,
      ...(this.options.pageSize !== undefined ? { pageSize: this.options.pageSize } : {}),
      ...(this.options.backoff !== undefined ? { backoff: this.options.backoff } : {}),
    });
    const unsubscribe = cache.subscribe((change) => {
      // Before the first list completes the whole kind is announced at once, below.
      if (!cache.isSynced()) return;
      const object = change.type === "upsert" ? change.object : change.previous;
      this.sink?.externalChanged(nodeKey(kind, object.namespace, object.name));
    });
    this.slots.set(kind, { phase: "watching", apiVersion, cache, unsubscribe });
    this.log.info({ kind, apiVersion, resource: resolved.type.resource }, "watching a kind ResourceSets depend on");
    cache.synced.then(
      () => {
        if (this.slots.get(kind)?.phase === "watching") this.sink?.externalKindChanged(kind);
      },
      () => undefined,
    );
    cache.start();
  }

  /** The kind may not be listed cluster-wide: watch it in the namespaces its entries name (external-namespaces.ts). */
  private watchPerNamespace(kind: string, apiVersion: string, type: ResourceType): void {
    const watches = new NamespaceWatches(this.kc, {
      kind,
      type,
      codec: () => externalCodec(type, this.options.keepOfKind?.(kind)),
      probe: this.probeNamespace,
      maxNamespaces: this.maxNamespaces,
      lingerMs: this.lingerMs,
      retryMs: this.retryMs,
      onChange: (node) => this.sink?.externalChanged(node),
      onNamespacesChanged: () => {
        if (this.slots.get(kind)?.phase === "namespaced") this.sink?.externalKindChanged(kind);
      },
      logger: this.log,
      ...(this.options.pageSize !== undefined ? { pageSize: this.options.pageSize } : {}),
      ...(this.options.backoff !== undefined ? { backoff: this.options.backoff } : {}),
    });
    this.slots.set(kind, { phase: "namespaced", apiVersion, watches });
    this.log.warn({ kind, apiVersion, resource: type.resource }, "may not list a kind ResourceSets depend on cluster-wide; watching it in the namespaces they name");
    watches.setNamespaces(this.namespaceDemand.get(kind));
    this.sink?.externalKindChanged(kind);
  }

  private retry(kind: string): void {
    const slot = this.slots.get(kind);
    if (slot?.phase !== "failed" || this.stopped) return;
    this.slots.delete(kind);
    const versions = this.demand.get(kind);
    if (versions !== undefined) this.begin(kind, preferredVersion(versions), slot.why);
  }

  /** The kind is no longer named: stop watching it, and give its slot to a kind waiting beyond the limit. */
  private release(kind: string): void {
    this.lingering.delete(kind);
    const slot = this.slots.get(kind);
    if (slot === undefined || this.demand.has(kind)) return;
    this.slots.delete(kind);
    if (slot.phase === "failed") clearTimeout(slot.retry);
    if (slot.phase === "watching") {
      slot.unsubscribe();
      void slot.cache.stop();
      this.log.info({ kind }, "stopped watching a kind no ResourceSet depends on any more");
    }
    if (slot.phase === "namespaced") {
      void slot.watches.stop();
      this.log.info({ kind }, "stopped watching a kind no ResourceSet depends on any more");
    }
    this.sink?.externalKindChanged(kind);
    for (const [waiting, versions] of this.demand) {
      if (this.slots.size >= this.maxKinds) break;
      if (this.slots.has(waiting)) continue;
      this.begin(waiting, preferredVersion(versions));
      this.sink?.externalKindChanged(waiting);
    }
  }
}

/** The apiVersion most entries name (ties: the first in order). */
function preferredVersion(versions: ReadonlyMap<string, number>): string {
  let best = "";
  let count = -1;
  for (const [version, n] of versions) {
    if (n > count) {
      best = version;
      count = n;
    }
  }
  return best;
}

function unref(timer: NodeJS.Timeout): NodeJS.Timeout {
  timer.unref();
  return timer;
}

const RESOLVE_TIMEOUT_MS = 10_000;

/**
 * The API server's discovery for the kind's group version (kind-discovery.ts: its plural and whether it
 * is namespaced), then a list of at most one object: a 403 there means the chart's RBAC for external
 * kinds is missing, and for a namespaced kind that releasegate may then still read in some namespaces
 * (Roles), each probed the same way in its namespace. All through one ApiGet (api-get.ts), bounded at 10 s.
 */
function discoveryReader(kc: KubeSource): { resolve: ResolveKind; probeNamespace: ProbeNamespace } {
  const get = apiGet(kc, RESOLVE_TIMEOUT_MS);
  const discovery = new KindDiscovery(get);
  const resourceOf = (type: ResourceType) => (type.group === "" ? type.resource : `${type.resource}.${type.group}`);
  /** The probe list of one object, cluster-wide or in `namespace`: "forbidden" on 403, else why it failed. */
  const probe = async (type: ResourceType, namespace?: string): Promise<"readable" | "forbidden" | { why: string }> => {
    try {
      const page: unknown = await get(`${resourcePath(type, namespace)}?limit=1`, RESOLVE_TIMEOUT_MS);
      return isRecord(page) ? "readable" : { why: externalWatchFailedMessage(type.kind, "the list answer is not an object") };
    } catch (error) {
      if (statusCodeOf(error) === 403) return "forbidden";
      return { why: externalWatchFailedMessage(type.kind, describeError(error)) };
    }
  };
  const resolve: ResolveKind = async (kind, apiVersion) => {
    const found = await discovery.resolve(apiVersion, kind, RESOLVE_TIMEOUT_MS);
    if (found.type === "unserved") return { why: externalUnservedMessage(kind, apiVersion) };
    const slash = apiVersion.indexOf("/");
    const type: ResourceType = {
      group: slash < 0 ? "" : apiVersion.slice(0, slash),
      version: apiVersion.slice(slash + 1),
      resource: found.resource,
      kind,
      namespaced: found.namespaced,
    };
    const read = await probe(type);
    if (read === "readable") return { type };
    if (read !== "forbidden") return read;
    // Namespaced RBAC (Roles in some namespaces) can still let it read where the entries look.
    return type.namespaced ? { type, perNamespace: true } : { why: externalForbiddenMessage(kind, resourceOf(type)) };
  };
  const probeNamespace: ProbeNamespace = async (type, namespace) => {
    const read = await probe(type, namespace);
    if (read === "readable") return undefined;
    return read === "forbidden" ? { why: externalNamespaceForbiddenMessage(type.kind, resourceOf(type), namespace) } : read;
  };
  return { resolve, probeNamespace };
}
