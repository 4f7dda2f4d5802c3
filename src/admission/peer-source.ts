// Where the other webhook replicas are, for sharing the pending batch (docs/behaviour.md, The pending batch:
// "found through the Service's EndpointSlice"). A PeerSource answers from memory; the EndpointSlice
// source refreshes in the background, so neither announcing nor asking waits on the API server.
//
// EndpointSlices of a Service carry the label `kubernetes.io/service-name` (discovery.k8s.io/v1), one
// endpoint per pod with its IP, readiness and a targetRef to the pod; this replica finds itself by its
// pod name (the chart passes POD_NAME through the downward API).
import type { V1EndpointSlice } from "@kubernetes/client-node";
import { kubeClientOf } from "../kube/connect.js";
import type { KubeSource } from "../kube/connect.js";
import type { KubeClient } from "../kube/kube-client.js";
import { KUBERNETES_RESOURCES, resourcePath } from "../cluster/resources.js";

/** A peer's base URL, e.g. `https://10.0.0.7:9443`. */
export type PeerUrl = string;

export interface PeerSource {
  /** The other replicas now (never this one). */
  peers(): readonly PeerUrl[];
}

/** A fixed list (tests, or a static deployment). */
export class StaticPeerSource implements PeerSource {
  private readonly urls: readonly PeerUrl[];

  constructor(urls: readonly PeerUrl[]) {
    this.urls = [...urls];
  }

  peers(): readonly PeerUrl[] {
    return this.urls;
  }
}

interface EndpointSlicePeerSourceOptions {
  /** The webhook Service's namespace and name. */
  namespace: string;
  service: string;
  /** The EndpointSlice port name to use (the chart's Service names it "webhook"). */
  portName?: string;
  /** Used when the slice names no such port. */
  port?: number;
  /** This replica's pod name, excluded from the peers. */
  selfPodName?: string;
  /** Refresh period; replicas come and go on the scale of seconds. */
  refreshMs?: number;
  logger?: { warn(obj: object, msg: string): void };
}

/** Base URLs of the serving endpoints of some EndpointSlices, minus this pod. Pure, for tests. */
export function peersFromEndpointSlices(
  slices: readonly V1EndpointSlice[],
  options: Pick<EndpointSlicePeerSourceOptions, "portName" | "port" | "selfPodName">,
): PeerUrl[] {
  const urls = new Set<PeerUrl>();
  const portName = options.portName ?? "webhook";
  for (const slice of slices) {
    if (slice.addressType !== "IPv4" && slice.addressType !== "IPv6") continue;
    const port = slice.ports?.find((p) => p.name === portName)?.port ?? options.port;
    if (port === undefined) continue;
    for (const endpoint of slice.endpoints ?? []) {
      if (options.selfPodName !== undefined && endpoint.targetRef?.name === options.selfPodName) continue;
      // `serving` stays true while a pod terminates gracefully: it still answers and still holds pending
      // objects worth asking about; `ready` is the fallback for older API servers.
      const serving = endpoint.conditions?.serving ?? endpoint.conditions?.ready ?? true;
      if (!serving) continue;
      const address = endpoint.addresses[0];
      if (address === undefined) continue;
      urls.add(slice.addressType === "IPv6" ? `https://[${address}]:${port}` : `https://${address}:${port}`);
    }
  }
  return [...urls].sort();
}

export class EndpointSlicePeerSource implements PeerSource {
  private readonly client: KubeClient;
  private current: PeerUrl[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    kc: KubeSource,
    private readonly options: EndpointSlicePeerSourceOptions,
  ) {
    this.client = kubeClientOf(kc);
  }

  peers(): readonly PeerUrl[] {
    return this.current;
  }

  /** Refreshes now and then every refreshMs until stop(). */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshMs ?? 10_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async refresh(): Promise<void> {
    try {
      const list = await this.client.listPage<V1EndpointSlice>(
        resourcePath(KUBERNETES_RESOURCES.endpointSlice, this.options.namespace),
        { labelSelector: `kubernetes.io/service-name=${this.options.service}` },
        { timeoutMs: 10_000 },
      );
      this.current = peersFromEndpointSlices(list.items, this.options);
    } catch (error) {
      // Keep the last known peers: a stale list costs at most a failed announcement.
      this.options.logger?.warn(
        { namespace: this.options.namespace, service: this.options.service, err: error instanceof Error ? error.message.split("\n")[0] : String(error) },
        "listing the webhook's EndpointSlices failed; keeping the last known peers",
      );
    }
  }
}
