// The Flux sources' artifact revisions, for kustomize-controller's revision rule (docs/architecture.md,
// "Readiness"): one list+watch cache per source kind the API server serves, keeping nothing of a source
// but its identity and `status.artifact.revision`, each change handed to the Kustomization store.

import { kubeClientOf } from "../kube/connect.js";
import type { KubeSource } from "../kube/connect.js";
import { decodeSourceRevision, SOURCE_KINDS } from "../flux/sources.js";
import type { SourceKindInfo } from "../flux/sources.js";
import type { Logger } from "../runtime/logger.js";
import type { KindStore } from "./kind-store.js";
import { ObjectCache } from "./object-cache.js";
import type { CacheCodec } from "./object-cache.js";
import { readApiGroups } from "./resources.js";

/** What the cache keeps of one source. */
interface SourceEntry {
  namespace: string;
  name: string;
  revision?: string;
}

export function sourceCodec(source: SourceKindInfo, version: string): CacheCodec<SourceEntry> {
  return {
    type: { group: source.group, version, resource: source.resource, kind: source.kind, namespaced: true },
    decode(raw) {
      const decoded = decodeSourceRevision(source.kind, raw);
      if (decoded === undefined) return undefined;
      const entry: SourceEntry = { namespace: decoded.ref.namespace, name: decoded.ref.name };
      if (decoded.revision !== undefined) entry.revision = decoded.revision;
      return entry;
    },
    same: (a, b) => a.revision === b.revision,
  };
}

/** The source kinds the server serves, each with the version to watch (the first of ours it serves). */
export async function discoverServedSources(kc: KubeSource): Promise<{ source: SourceKindInfo; version: string }[]> {
  const groups = await readApiGroups(kc);
  const served: { source: SourceKindInfo; version: string }[] = [];
  const client = kubeClientOf(kc);
  const resources = new Map<string, Set<string>>();
  for (const source of SOURCE_KINDS) {
    const group = groups.find((g) => g.name === source.group);
    const versions = (group?.versions ?? []).map((v) => v.version);
    const version = source.versions.find((v) => versions.includes(v));
    if (version === undefined) continue;
    // A group version may serve some source kinds and not others (ExternalArtifact is newer than the
    // rest): ask which resources it holds, once per group version.
    const gv = `${source.group}/${version}`;
    let names = resources.get(gv);
    if (names === undefined) {
      // The APIResourceList of the group version.
      const list = await client.get<{ resources?: Array<{ name?: unknown }> }>(`/apis/${source.group}/${version}`, { timeoutMs: 10_000 }).catch(() => undefined);
      names = new Set((Array.isArray(list?.resources) ? list.resources : []).map((r) => (typeof r?.name === "string" ? r.name : "")));
      resources.set(gv, names);
    }
    if (names.has(source.resource)) served.push({ source, version });
  }
  return served;
}

/**
 * Watches the sources and tells `store` (the Kustomizations') each revision. A source kind the server
 * serves but that discovery listed and RBAC forbids is retried by its cache with a warning, as any list.
 */
export class SourceRevisionFeed {
  private readonly caches: ObjectCache<SourceEntry, string>[] = [];
  private readonly unsubscribes: (() => void)[] = [];

  constructor(kc: KubeSource, sources: readonly { source: SourceKindInfo; version: string }[], store: KindStore, options: { logger?: Logger; pageSize?: number } = {}) {
    for (const { source, version } of sources) {
      const cache = new ObjectCache<SourceEntry, string>(kc, {
        kind: source.kind,
        codec: sourceCodec(source, version),
        ...(options.logger ? { logger: options.logger } : {}),
        ...(options.pageSize ? { pageSize: options.pageSize } : {}),
      });
      this.unsubscribes.push(
        cache.subscribe((change) => {
          const entry = change.type === "upsert" ? change.object : change.previous;
          store.setSourceRevision({ kind: source.kind, namespace: entry.namespace, name: entry.name }, change.type === "upsert" ? entry.revision : undefined);
        }),
      );
      this.caches.push(cache);
    }
  }

  start(): void {
    for (const cache of this.caches) cache.start();
  }

  async stop(): Promise<void> {
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
    await Promise.allSettled(this.caches.map((cache) => cache.stop()));
  }
}
