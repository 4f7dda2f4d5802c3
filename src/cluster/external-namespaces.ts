// One kind outside Flux that releasegate may not list cluster-wide, watched namespace by namespace
// (docs/behaviour.md, "Kinds outside Flux"): where RBAC is namespaced — a Role and RoleBinding in each
// namespace instead of a ClusterRole, as the chart renders for externalKinds.secretNamespaces — the
// cluster-wide list answers 403 while the list in a namespace the Role covers succeeds. So exactly the
// namespaces that dependsOn entries name are each listed and watched by an ObjectCache of their own:
// at most `maxNamespaces` of them at once (a namespace beyond that is not watched, and its dependents'
// gates say so), each stopped `lingerMs` after no entry names it any more. A namespace still forbidden is
// probed again every `retryMs` while named, and its dependents' gates name the missing permission, the
// namespace and the chart value meanwhile.

import type { ExternalObject, ExternalState } from "../graph/external-objects.js";
import { externalNamespaceLimitMessage, externalNotSyncedMessage, externalWatchFailedMessage } from "../graph/messages.js";
import { nodeKey, objectKey } from "../graph/refs.js";
import type { NodeKey } from "../graph/types.js";
import { describeError } from "../runtime/api-error.js";
import type { Logger } from "../runtime/logger.js";
import type { KubeSource } from "../kube/connect.js";
import type { CacheCodec } from "./object-cache.js";
import { ObjectCache } from "./object-cache.js";
import type { ResourceType } from "./resources.js";

/** Whether releasegate may list `type` in `namespace` (undefined: it may), or why it cannot watch it there. */
export type ProbeNamespace = (type: ResourceType, namespace: string) => Promise<{ why: string } | undefined>;

interface NamespaceWatchOptions {
  kind: string;
  type: ResourceType;
  /** The codec as the kind's readyExprs need it now (read again on restart()). */
  codec: () => CacheCodec<ExternalObject>;
  probe: ProbeNamespace;
  maxNamespaces: number;
  lingerMs: number;
  retryMs: number;
  /** One node's object changed (after its namespace's first list). */
  onChange: (node: NodeKey) => void;
  /** What can be said of some namespace changed (listed, forbidden, beyond the limit, stopped): judge the kind again. */
  onNamespacesChanged: () => void;
  logger: Logger;
  pageSize?: number;
  backoff?: { initialMs?: number; maxMs?: number };
}

type NamespaceSlot =
  /** `why`: a retry's previous failure, said until the probe answers (the gate does not flap to "cannot judge yet"). */
  | { phase: "probing"; generation: number; why?: string }
  | { phase: "failed"; why: string; retry: NodeJS.Timeout }
  | { phase: "watching"; cache: ObjectCache<ExternalObject, string>; unsubscribe: () => void };

/** A slot of a watch set that has neither a retry timer nor a watch yet. */
type StartingSlot = { phase: "probing" | "resolving" };

/** Ends one slot of a watch set (this file's per-namespace slots, external-watches.ts's per-kind ones): its retry timer or its watch. */
export function stopSlot(slot: StartingSlot | { phase: "failed"; retry: NodeJS.Timeout } | { phase: "watching"; cache: { stop(): Promise<void> }; unsubscribe: () => void }): Promise<void> {
  if (slot.phase === "failed") clearTimeout(slot.retry);
  if (slot.phase !== "watching") return Promise.resolve();
  slot.unsubscribe();
  return slot.cache.stop();
}

export class NamespaceWatches {
  private readonly slots = new Map<string, NamespaceSlot>();
  private readonly lingering = new Map<string, NodeJS.Timeout>();
  /** The namespaces entries name now ("" excluded: a namespaced object without one never exists). */
  private named: readonly string[] = [];
  private namedSet: ReadonlySet<string> = new Set();
  private probes = 0;
  private stopped = false;

  constructor(
    private readonly kc: KubeSource,
    private readonly options: NamespaceWatchOptions,
  ) {}

  /** The namespaces watched now (for tests and logs). */
  watchedNamespaces(): string[] {
    return [...this.slots].filter(([, slot]) => slot.phase === "watching").map(([namespace]) => namespace);
  }

  stateOf(namespace: string, name: string): ExternalState {
    // The Flux Operator looks a namespaced kind up in the entry's namespace verbatim: none never resolves.
    if (namespace === "") return { known: true, object: undefined };
    const slot = this.slots.get(namespace);
    if (slot === undefined) {
      const beyond = this.slots.size >= this.options.maxNamespaces && this.namedSet.has(namespace);
      return { known: false, why: beyond ? externalNamespaceLimitMessage(this.options.kind, this.options.type.resource, namespace, this.options.maxNamespaces) : externalNotSyncedMessage(this.options.kind) };
    }
    if (slot.phase === "failed") return { known: false, why: slot.why };
    if (slot.phase === "probing" && slot.why !== undefined) return { known: false, why: slot.why };
    if (slot.phase === "probing" || !slot.cache.isSynced()) return { known: false, why: externalNotSyncedMessage(this.options.kind) };
    return { known: true, object: slot.cache.get(objectKey(namespace, name)) };
  }

  /** The namespaces the entries naming the kind name now: start what is new (within the limit), let go of what is not. */
  setNamespaces(namespaces: ReadonlyMap<string, number> | undefined): void {
    if (this.stopped) return;
    const before = this.namedSet;
    this.named = [...(namespaces?.keys() ?? [])].filter((namespace) => namespace !== "");
    this.namedSet = new Set(this.named);
    for (const namespace of this.slots.keys()) {
      if (this.namedSet.has(namespace)) this.keep(namespace);
      else if (!this.lingering.has(namespace)) this.lingering.set(namespace, unref(setTimeout(() => this.release(namespace), this.options.lingerMs)));
    }
    this.fill();
    // A namespace named a moment ago was judged "not listed yet"; one left beyond the limit must say so instead.
    if (this.named.some((namespace) => !before.has(namespace) && !this.slots.has(namespace))) this.options.onNamespacesChanged();
  }

  /** The readyExprs read more of the kind than the watches keep: list and watch every namespace again. */
  restart(): void {
    if (this.stopped) return;
    for (const [namespace, slot] of this.slots) {
      if (slot.phase !== "watching") continue;
      slot.unsubscribe();
      void slot.cache.stop();
      this.watch(namespace);
    }
    this.options.onNamespacesChanged();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.lingering.values()) clearTimeout(timer);
    this.lingering.clear();
    const stops = [...this.slots.values()].map(stopSlot);
    this.slots.clear();
    await Promise.allSettled(stops);
  }

  /** Named namespaces without a slot get one while slots are free, in the order the entries name them. */
  private fill(): void {
    for (const namespace of this.named) {
      if (this.slots.size >= this.options.maxNamespaces) break;
      if (!this.slots.has(namespace)) this.begin(namespace);
    }
  }

  private keep(namespace: string): void {
    const timer = this.lingering.get(namespace);
    if (timer !== undefined) clearTimeout(timer);
    this.lingering.delete(namespace);
  }

  private begin(namespace: string, previousWhy?: string): void {
    const generation = ++this.probes;
    this.slots.set(namespace, { phase: "probing", generation, ...(previousWhy !== undefined ? { why: previousWhy } : {}) });
    const { probe, type, kind } = this.options;
    void probe(type, namespace).then(
      (why) => this.probed(namespace, generation, why),
      (error: unknown) => this.probed(namespace, generation, { why: externalWatchFailedMessage(kind, describeError(error)) }),
    );
  }

  private probed(namespace: string, generation: number, failure: { why: string } | undefined): void {
    const slot = this.slots.get(namespace);
    if (this.stopped || slot?.phase !== "probing" || slot.generation !== generation) return;
    if (failure !== undefined) {
      this.options.logger.warn({ kind: this.options.kind, namespace, why: failure.why }, "cannot watch a kind ResourceSets depend on in this namespace; retrying");
      const retry = unref(setTimeout(() => this.retry(namespace), this.options.retryMs));
      this.slots.set(namespace, { phase: "failed", why: failure.why, retry });
      this.options.onNamespacesChanged();
      return;
    }
    this.watch(namespace);
  }

  private watch(namespace: string): void {
    const { kind, onChange, onNamespacesChanged } = this.options;
    const cache = new ObjectCache<ExternalObject, string>(this.kc, {
      kind,
      namespace,
      codec: this.options.codec(),
      logger: this.options.logger,
      ...(this.options.pageSize !== undefined ? { pageSize: this.options.pageSize } : {}),
      ...(this.options.backoff !== undefined ? { backoff: this.options.backoff } : {}),
    });
    const unsubscribe = cache.subscribe((change) => {
      // Before the first list completes the namespace is announced at once, below.
      if (!cache.isSynced()) return;
      const object = change.type === "upsert" ? change.object : change.previous;
      onChange(nodeKey(kind, object.namespace, object.name));
    });
    this.slots.set(namespace, { phase: "watching", cache, unsubscribe });
    this.options.logger.info({ kind, namespace, resource: this.options.type.resource }, "watching a kind ResourceSets depend on in one namespace (no cluster-wide read)");
    cache.synced.then(
      () => {
        const slot = this.slots.get(namespace);
        if (slot?.phase === "watching" && slot.cache === cache) onNamespacesChanged();
      },
      () => undefined,
    );
    cache.start();
  }

  private retry(namespace: string): void {
    const slot = this.slots.get(namespace);
    if (slot?.phase !== "failed" || this.stopped) return;
    this.slots.delete(namespace);
    if (this.namedSet.has(namespace)) {
      this.begin(namespace, slot.why);
      return;
    }
    this.fill();
    this.options.onNamespacesChanged();
  }

  /** No entry names the namespace any more: stop its watch and give its slot to a namespace waiting beyond the limit. */
  private release(namespace: string): void {
    this.lingering.delete(namespace);
    const slot = this.slots.get(namespace);
    if (slot === undefined || this.namedSet.has(namespace)) return;
    this.slots.delete(namespace);
    if (slot.phase === "failed") clearTimeout(slot.retry);
    if (slot.phase === "watching") {
      slot.unsubscribe();
      void slot.cache.stop();
      this.options.logger.info({ kind: this.options.kind, namespace }, "stopped watching a kind in a namespace no ResourceSet names any more");
    }
    this.fill();
    this.options.onNamespacesChanged();
  }
}

function unref(timer: NodeJS.Timeout): NodeJS.Timeout {
  timer.unref();
  return timer;
}
