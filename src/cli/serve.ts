// `releasegate serve`: the admission webhook (HTTPS), the gate controller and the metrics endpoint
// (plain HTTP, its own port) in one process, sharing one cache per Flux kind (docs/behaviour.md, Interfaces).
//
// startServe builds the objects (buildWatchPipe, buildController, buildTls, buildWebhook) and lists the
// parts that run, each a component of src/cli/serve-components.ts (docs/architecture.md, "Serve as
// components"): API client → caches (the webhook answers 503 and /readyz is false until they synced) →
// TLS → controller → webhook → metrics → graph page → leader election. Shutdown on SIGTERM/SIGINT, as
// Kubernetes expects of a pod being replaced: /readyz turns false, the webhook stops accepting connections
// and drains the reviews in flight (bounded by --shutdown-timeout), then the parts stop newest first: the
// Lease is released (the controller's writes stop before it is written) so a standby takes over at its
// next retry instead of after a whole lease duration.
import { readFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { connectKube, kubeClientOf } from "../kube/connect.js";
import type { KubeSource } from "../kube/connect.js";
import type { KubeClient } from "../kube/kube-client.js";
import { AdmissionGraphs } from "../admission/admission-graphs.js";
import { createAdmissionListener } from "../admission/app.js";
import { tlsKeyPeerAuthenticator } from "../admission/peer-auth.js";
import { EndpointSlicePeerSource } from "../admission/peer-source.js";
import type { PeerSource } from "../admission/peer-source.js";
import { PendingBatch } from "../admission/pending-batch.js";
import { PendingPeers } from "../admission/pending-peers.js";
import { UnconfirmedEdges } from "../admission/unconfirmed-edges.js";
import { startAdmissionServer } from "../admission/server.js";
import { exportCertificateExpiry } from "../certs/expiry-metric.js";
import { FileTlsSource } from "../certs/file-tls-source.js";
import { CaBundleInjector } from "../certs/webhook-ca-bundle.js";
import { SelfManagedTlsSource } from "../certs/self-managed-tls-source.js";
import type { TlsSource } from "../certs/tls-source.js";
import { BodyBudget } from "../admission/body-budget.js";
import { CacheStaleness, listOneProbe } from "../cluster/cache-staleness.js";
import { apiCurrentReader } from "../cluster/current-read.js";
import { EventRecorder } from "../cluster/events.js";
import { apiMissingReader } from "../cluster/missing-read.js";
import { TokenBucket } from "../controller/token-bucket.js";
import { LeaseElection } from "../cluster/lease-election.js";
import { describeError } from "../runtime/api-error.js";
import { onTermination } from "../runtime/termination.js";
import { ExternalWatches } from "../cluster/external-watches.js";
import { FluxGraph } from "../cluster/flux-graph.js";
import { KindStore } from "../cluster/kind-store.js";
import { fluxCodec, ObjectCache } from "../cluster/object-cache.js";
import type { CacheCodec } from "../cluster/object-cache.js";
import { setFluxFeatureGates } from "../graph/feature-gates.js";
import { FieldDemand } from "../graph/field-demand.js";
import type { Keep } from "../graph/field-paths.js";
import { kindOfNode, nodeKey, nodeOf } from "../graph/refs.js";
import type { FluxKind, FluxObject } from "../graph/types.js";
import { discoverServedSources, SourceRevisionFeed } from "../cluster/source-revisions.js";
import { discoverCrossKindDependsOn } from "../cluster/cross-kind-discovery.js";
import { CrossKindRefresh } from "../cluster/cross-kind-refresh.js";
import { setCrossKindDependsOn } from "../flux/cross-kind.js";
import { ClusterReconcileRequester } from "../cluster/reconcile-request.js";
import { discoverServedVersions, FLUX_KINDS } from "../cluster/resources.js";
import type { ServedFluxResource } from "../cluster/resources.js";
import { GateController } from "../controller/gate-controller.js";
import { isGuardedKind } from "../flux/kinds.js";
import type { GuardedKind } from "../flux/kinds.js";
import { kubeApiObserver } from "../metrics/kube-api-observer.js";
import { createMetrics } from "../metrics/metrics.js";
import type { ReleasegateMetrics } from "../metrics/metrics.js";
import { startMetricsServer } from "../metrics/metrics-server.js";
import { storeFeed } from "../ui/store-feed.js";
import { startUiServer } from "../ui/ui-server.js";
import type { UiServer } from "../ui/ui-server.js";
import { startComponents, whenCondition } from "../runtime/components.js";
import type { Component, StopMode } from "../runtime/components.js";
import { DrainableRequests } from "./drainable.js";
import {
  apiClientComponent,
  cacheComponent,
  controllerComponent,
  graphPageComponent,
  leaderElectorComponent,
  metricsServerComponent,
  tlsComponent,
  webhookServerComponent,
} from "./serve-components.js";
import type { WebhookServerComponent } from "./serve-components.js";
import type { CommandIo } from "./io.js";
import { createLogger } from "./logger.js";
import type { Logger } from "./logger.js";
import { parseServeCommandLine, serveUsage } from "./serve-options.js";
import type { ServeOptions } from "./serve-options.js";

/** What a caller embedding serve (the sandbox, tests) may supply instead of the defaults. */
export interface ServeOverrides {
  /** The cluster to talk to (otherwise from --kubeconfig / in-cluster / default): a KubeClient, or a
   *  client-node KubeConfig the caller already holds (the sandbox). */
  kubeConfig?: KubeSource;
  logger?: Logger;
  /** Where the other webhook replicas are (otherwise the Service's EndpointSlices). */
  peers?: PeerSource;
  /** Extra DNS names and IPs for a self-managed certificate. */
  certificateNames?: { dnsNames?: string[]; ipAddresses?: string[] };
  /** Cache list/watch tuning (tests). */
  cacheBackoff?: { initialMs?: number; maxMs?: number };
  /** How long a watch of a kind outside Flux outlives its last dependent (tests). */
  externalLingerMs?: number;
  /** How soon a kind outside Flux that could not be watched is tried again (default 30 s; tests). */
  externalRetryMs?: number;
  /** How often the Flux CRDs are read again for the RFC's cross-kind dependsOn fields (default 60 s; tests). */
  crossKindRefreshMs?: number;
}

export interface RunningServe {
  readonly webhookPort: number;
  readonly metricsPort: number;
  /** The graph page, when --ui-port is not 0. */
  readonly ui: UiServer | undefined;
  readonly identity: string;
  readonly controller: GateController;
  readonly metrics: ReleasegateMetrics;
  readonly tls: TlsSource;
  /** Caches synced, TLS loaded, not shutting down: what /readyz says. */
  isReady(): boolean;
  /** Resolves once isReady() (rejects if shut down first). */
  readonly ready: Promise<void>;
  isLeader(): boolean;
  /** Graceful stop: readiness off, drain reviews, stop writes, release the Lease, close everything. */
  shutdown(): Promise<void>;
  /** Stops like a crash would (tests of failover): nothing is handed over, the Lease just expires. */
  abort(): Promise<void>;
}

const DISCOVERY_ATTEMPTS = 8;
/** Items per list page. Flux objects carry their Helm values (often tens of KiB): smaller pages than
 *  client-go's 500 keep the transient memory of a (re-)list low; the cache keeps none of it. */
const LIST_PAGE_SIZE = 100;

/** The API client: src/kube's one kubeconfig loader and client (docs/architecture.md, "The Kubernetes transport"). */
async function loadKubeClient(options: ServeOptions, log: Logger): Promise<KubeClient> {
  const connected = await connectKube(
    { ...(options.kubeconfig !== undefined ? { kubeconfig: options.kubeconfig } : {}), inCluster: options.inCluster },
    { qps: options.kubeApiQps, burst: options.kubeApiBurst },
  );
  if (connected.client.proxy !== undefined) log.info({ proxy: connected.client.proxy.host }, "API server reached through a proxy");
  return connected.client;
}

/** Discovery, retried for a while: an API server that is still starting is not a reason to crash. */
async function discover(kc: KubeClient, log: Logger): Promise<Record<GuardedKind, ServedFluxResource>> {
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await discoverServedVersions(kc);
    } catch (error) {
      if (attempt >= DISCOVERY_ATTEMPTS) {
        throw new Error(`cannot reach the Kubernetes API at ${kc.server}: ${describeError(error)}; check the kubeconfig or in-cluster access`, {
          cause: error,
        });
      }
      log.warn({ error: describeError(error), retryInMs: delay }, "API discovery failed; retrying");
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 5000);
    }
  }
}

function createTlsSource(options: ServeOptions, kc: KubeClient, log: Logger, overrides: ServeOverrides): TlsSource {
  const logger = log.child({ component: "tls" });
  if (options.certMode === "self-managed") {
    return new SelfManagedTlsSource({
      kubeConfig: kc,
      namespace: options.namespace,
      secretName: options.secretName,
      serviceName: options.serviceName,
      webhookConfigurationName: options.webhookConfigName,
      ...(overrides.certificateNames?.dnsNames ? { extraDnsNames: overrides.certificateNames.dnsNames } : {}),
      ...(overrides.certificateNames?.ipAddresses ? { ipAddresses: overrides.certificateNames.ipAddresses } : {}),
      logger,
    });
  }
  // files and cert-manager: the same files on disk (cert-manager's cainjector keeps the caBundle).
  return new FileTlsSource({
    certFile: options.tlsCertFile!,
    keyFile: options.tlsKeyFile!,
    ...(options.injectCaFile !== undefined ? { caFile: options.injectCaFile } : {}),
    logger,
  });
}

/** What every part is built from: the options, the cluster, the metrics and the logger. */
interface ServeContext {
  options: ServeOptions;
  overrides: ServeOverrides;
  kc: KubeClient;
  metrics: ReleasegateMetrics;
  log: Logger;
}

/** The watch side: one cache per served Flux kind, the stores and graph over them, the staleness check. */
interface WatchPipe {
  caches: ObjectCache[];
  stores: KindStore[];
  graphs: AdmissionGraphs;
  externals: ExternalWatches;
  sourceFeed: SourceRevisionFeed | undefined;
  staleness: CacheStaleness;
  /** Reads the Flux CRDs again for the RFC's cross-kind fields (cross-kind-refresh.ts). */
  crossKindRefresh: CrossKindRefresh;
  /** The version read of each watched kind. */
  versions: Partial<Record<GuardedKind, string>>;
}

/**
 * What readyExprs read of each object, which the caches keep that much of (docs/behaviour.md, "Gate
 * states"): the codec of each kind's cache, and what to do when a readyExpr reads more of some objects
 * than they were decoded with (read their kind again; `externalGrown` for a kind outside Flux).
 */
function fieldDemandOf(
  caches: readonly ObjectCache[],
  externalGrown: (kind: string) => void,
): { fields: FieldDemand; codec(kind: FluxKind, version: string): CacheCodec<FluxObject>; fieldsGrown(nodes: readonly string[]): void } {
  const fields = new FieldDemand();
  const keepFor = (kind: string, namespace: string, name: string): Keep | undefined => fields.decodeKeep(nodeKey(kind, namespace, name));
  const fieldsGrown = (nodes: readonly string[]): void => {
    for (const kind of new Set(nodes.map(kindOfNode))) {
      const cache = caches.find((c) => c.kind === kind);
      if (cache !== undefined) cache.requestRelist();
      else externalGrown(kind);
    }
  };
  // The caches tell the demand what each object's own readyExprs read of others as they decode it, so that
  // a list that decoded a dependency before its dependent is done again before the first sync.
  const codec = (kind: FluxKind, version: string): CacheCodec<FluxObject> => {
    const base = fluxCodec(kind, version, keepFor);
    return {
      ...base,
      decode: (raw) => {
        const object = base.decode(raw);
        if (object !== undefined && object.dependsOn.length > 0) {
          const grown = fields.update(nodeOf(object), object);
          if (grown.length > 0) fieldsGrown(grown);
        }
        return object;
      },
    };
  };
  return { fields, codec, fieldsGrown };
}

/** Builds the watch side (nothing starts yet: cacheComponent starts it). */
async function buildWatchPipe({ kc, options, overrides, metrics, log }: ServeContext, served: Record<GuardedKind, ServedFluxResource>): Promise<WatchPipe> {
  // Flux's feature gates judge every dependency the same way in the webhook, the gates and `why`.
  setFluxFeatureGates(options.fluxFeatureGates);
  // So do the Flux RFC's cross-kind dependsOn fields, where the served CRDs have them (src/flux/cross-kind.ts).
  const crossKind = await discoverCrossKindDependsOn(kc);
  setCrossKindDependsOn(crossKind.kinds);
  if (crossKind.kinds.length > 0) log.info({ kinds: crossKind.kinds }, "the served schema has cross-kind dependsOn (Flux RFC): entries naming other kinds are read");
  if (crossKind.unread.length > 0) log.warn({ unread: crossKind.unread }, "could not read a Flux CRD; its dependsOn entries are read as same-kind");
  const cacheLog = log.child({ component: "cache" });
  const backoff = overrides.cacheBackoff ? { backoff: overrides.cacheBackoff } : {};
  const caches: ObjectCache[] = [];
  const demand = fieldDemandOf(caches, (kind) => externals.fieldsGrown(kind));
  for (const kind of FLUX_KINDS) {
    const version = served[kind].version;
    if (version === undefined) {
      log.warn({ kind, served: served[kind].served }, `the API server serves no ${kind} version releasegate reads; not watching ${kind}s`);
      continue;
    }
    caches.push(new ObjectCache(kc, { kind, version, codec: demand.codec(kind, version), logger: cacheLog, pageSize: LIST_PAGE_SIZE, ...backoff }));
  }
  // One store per kind, all feeding one graph and gate tracker (nodes Kind/ns/name) once; the
  // controller and the webhook both read it (docs/architecture.md, "The pipe", "Kinds").
  // Kinds outside Flux that ResourceSets depend on: watched only while named, if turned on (external-watches.ts).
  const externals = new ExternalWatches(kc, {
    enabled: options.externalKinds,
    maxKinds: options.maxExternalKinds,
    maxNamespaces: options.maxExternalNamespaces,
    keepOfKind: (kind) => demand.fields.keepOfKind(kind),
    logger: cacheLog,
    pageSize: LIST_PAGE_SIZE,
    ...(overrides.externalLingerMs !== undefined ? { lingerMs: overrides.externalLingerMs } : {}),
    ...(overrides.externalRetryMs !== undefined ? { retryMs: overrides.externalRetryMs } : {}),
    ...backoff,
  });
  const shared = new FluxGraph(externals, demand.fields);
  externals.connect(shared);
  // A readyExpr reads more of some objects than they were decoded with: read their kind again.
  shared.onFieldsGrown(demand.fieldsGrown);
  shared.onExternalDemand((kinds, namespaces) => externals.setDemand(kinds, namespaces));
  const stores = caches.map((cache) => new KindStore(cache, shared));
  // The sources' artifact revisions feed kustomize-controller's revision rule (docs/architecture.md, "Readiness").
  const kustomizations = stores.find((store) => store.kind === "Kustomization");
  const sourceFeed =
    kustomizations === undefined
      ? undefined
      : new SourceRevisionFeed(kc, await discoverServedSources(kc).catch(() => []), kustomizations, { logger: cacheLog, pageSize: LIST_PAGE_SIZE });
  const versions = Object.fromEntries(caches.map((c) => [c.kind, isGuardedKind(c.kind) ? served[c.kind].version : undefined])) as Partial<Record<GuardedKind, string>>;
  const staleness = new CacheStaleness({
    caches,
    maxStalenessMs: options.maxCacheStalenessMs,
    probe: listOneProbe(kc, versions, options.maxCacheStalenessMs),
    report: (kind, seconds) => metrics.cacheStalenessSeconds.set({ kind }, seconds),
    logger: cacheLog,
  });
  // A Flux upgrade or downgrade changes what dependsOn entries mean: follow it without a restart, and
  // decode the changed kinds' objects again (a list ends up as an update of each object whose entries changed).
  const crossKindRefresh = new CrossKindRefresh(kc, {
    ...(overrides.crossKindRefreshMs !== undefined ? { intervalMs: overrides.crossKindRefreshMs } : {}),
    logger: cacheLog,
    onChange: (kinds) => {
      for (const cache of caches) if (kinds.includes(cache.kind)) cache.requestRelist();
    },
  });
  return { caches, stores, graphs: new AdmissionGraphs(stores), externals, sourceFeed, staleness, crossKindRefresh, versions };
}

/** The cache part over the watch side. */
function watchComponent(pipe: WatchPipe): Component {
  return cacheComponent({
    caches: pipe.caches,
    feeds: [...(pipe.sourceFeed !== undefined ? [pipe.sourceFeed] : []), { start: () => undefined, stop: () => pipe.externals.stop() }, pipe.crossKindRefresh],
    readers: [pipe.graphs, ...pipe.stores],
    staleness: pipe.staleness,
  });
}

/** The controller, the Lease it writes under and the Events it records. */
function buildController({ kc, options, metrics, log }: ServeContext, pipe: WatchPipe): { controller: GateController; election: LeaseElection; recorder: EventRecorder } {
  // Event writes: a bounded queue at a global rate (cluster/events.ts); every drop is counted.
  metrics.eventsDroppedTotal.inc(0);
  const recorder = new EventRecorder(kc, {
    reportingInstance: options.identity,
    logger: log.child({ component: "events" }),
    limiter: new TokenBucket({ perSecond: 10, burst: 25 }),
    onDropped: () => metrics.eventsDroppedTotal.inc(),
  });
  const controller: GateController = new GateController({
    stores: pipe.stores,
    requester: new ClusterReconcileRequester(kc, pipe.versions),
    recordEvent: (spec) => recorder.record(spec),
    isLeader: () => election.isLeader(),
    metrics,
    logger: log.child({ component: "controller" }),
    reconcileRate: options.reconcileRate,
    reconcileBurst: options.reconcileBurst,
    replayWindowMs: options.leaseDurationMs,
  });
  // The controller leads under the Lease: told when leadership starts (after election.start(), in
  // leaderElectorComponent) and ends.
  const election: LeaseElection = new LeaseElection(kc, {
    namespace: options.namespace,
    name: options.leaseName,
    identity: options.identity,
    leaseDurationMs: options.leaseDurationMs,
    renewDeadlineMs: options.leaseRenewDeadlineMs,
    retryPeriodMs: options.leaseRetryPeriodMs,
    leadership: controller,
    logger: log.child({ component: "leader-election" }),
  });
  return { controller, election, recorder };
}

/** The serving certificate, its expiry metric and, with --inject-ca-file, the caBundle injector. */
function buildTls({ kc, options, overrides, metrics, log }: ServeContext): { tls: TlsSource; part: Component } {
  const tls = createTlsSource(options, kc, log, overrides);
  exportCertificateExpiry(tls, metrics.certificateExpiryTimestampSeconds);
  const caInjector =
    options.certMode === "files" && options.injectCaFile !== undefined
      ? new CaBundleInjector({ kubeConfig: kc, webhookConfigurationName: options.webhookConfigName, source: tls, logger: log.child({ component: "tls" }) })
      : undefined;
  return { tls, part: tlsComponent(tls, caInjector) };
}

/** The webhook server part: the admission app over the one graph, its peers, and the HTTPS listener. */
function buildWebhook({ kc, options, overrides, metrics, log }: ServeContext, pipe: WatchPipe, tls: TlsSource, clientCa: string | undefined): { webhook: WebhookServerComponent; requests: DrainableRequests } {
  const admissionLog = log.child({ component: "webhook" });
  const pending = new PendingBatch({ ttlMs: options.policy.pendingTtlSeconds * 1000 });
  const peerAuth = tlsKeyPeerAuthenticator(() => tls.current());
  const endpointPeers =
    overrides.peers === undefined
      ? new EndpointSlicePeerSource(kc, { namespace: options.namespace, service: options.serviceName, port: options.webhookPort, selfPodName: options.identity, logger: admissionLog })
      : undefined;
  const peers = new PendingPeers({ batch: pending, source: overrides.peers ?? endpointPeers!, auth: peerAuth, tls: () => tls.current(), logger: admissionLog });
  // The webhook's reads on a lane of their own, outside the token bucket the controller and the Lease use.
  const admissionReads = kc.unthrottledLane();
  const requests = new DrainableRequests(
    createAdmissionListener({
      graphs: pipe.graphs,
      pending,
      policy: options.policy,
      peers,
      peerAuth,
      unconfirmed: new UnconfirmedEdges(),
      edgePeers: peers,
      metrics,
      tlsLoaded: () => webhook.tlsLoaded(),
      logger: admissionLog,
      staleness: pipe.staleness,
      bodyBudget: new BodyBudget(options.bodyBudgetBytes),
      // A short body is answered (408 with a line) before the server's request timeout closes it.
      bodyTimeoutMs: Math.max(1000, options.requestTimeoutMs - 2000),
      requireClientCertificate: options.clientCaFile !== undefined,
      confirmMissing: apiMissingReader(admissionReads, pipe.versions, { logger: admissionLog }),
      confirmCurrent: apiCurrentReader(admissionReads, pipe.versions),
    }),
  );
  const webhook = webhookServerComponent({
    listen: () =>
      startAdmissionServer(requests.listener, tls, {
        port: options.webhookPort,
        ...(options.bindAddress !== undefined ? { host: options.bindAddress } : {}),
        logger: log.child({ component: "tls" }),
        requestTimeoutMs: options.requestTimeoutMs,
        ...(clientCa !== undefined ? { clientCa } : {}),
      }),
    requests,
    peers: [peers, ...(endpointPeers !== undefined ? [endpointPeers] : [])],
    lanes: [admissionReads],
    shutdownTimeoutMs: options.shutdownTimeoutMs,
    log,
  });
  return { webhook, requests };
}

/** Starts everything, in the order listed; resolves once the webhook and metrics ports listen (readiness comes later). */
export async function startServe(options: ServeOptions, overrides: ServeOverrides = {}): Promise<RunningServe> {
  const log = overrides.logger ?? createLogger(options.logLevel, undefined, options.logFormat);
  const clientCa = readClientCa(options.clientCaFile);
  const kc = overrides.kubeConfig !== undefined ? kubeClientOf(overrides.kubeConfig) : await loadKubeClient(options, log);
  const metrics = createMetrics();
  kc.observe(kubeApiObserver(metrics));
  const context: ServeContext = { options, overrides, kc, metrics, log };
  const pipe = await buildWatchPipe(context, await discover(kc, log));
  const { controller, election, recorder } = buildController(context, pipe);
  const { tls, part: tlsPart } = buildTls(context);
  const { webhook, requests } = buildWebhook(context, pipe, tls, clientCa);
  const bind = options.bindAddress !== undefined ? { host: options.bindAddress } : {};
  const metricsServer = metricsServerComponent(() => startMetricsServer(metrics.registry, { port: options.metricsPort, ...bind }));
  const page = graphPageComponent(options.uiPort, () => startUiServer(storeFeed(pipe.stores), { port: options.uiPort, ...bind }), log);

  // What runs, in start order; shutdown drains the webhook, then stops them newest first.
  const running = await startComponents(
    [
      apiClientComponent(kc, overrides.kubeConfig === undefined),
      watchComponent(pipe),
      tlsPart,
      controllerComponent(controller, recorder),
      webhook,
      metricsServer,
      page,
      leaderElectorComponent(election),
    ],
    log,
  );

  const isReady = (): boolean => !requests.isShuttingDown() && pipe.graphs.allSynced() && pipe.staleness.staleKinds().length === 0 && webhook.tlsLoaded();
  const shutdownStarted = new Set<() => void>();
  const ready = whenCondition(running.ready, isReady, () => (requests.isShuttingDown() ? new Error("shut down before becoming ready") : undefined), [
    (listener) => pipe.staleness.onChange(listener),
    (listener) => tls.onChange(listener),
    (listener) => (shutdownStarted.add(listener), () => shutdownStarted.delete(listener)),
  ]);
  ready.catch(() => undefined);
  void ready.then(releaseListBuffers);
  void ready.then(() => log.info({ webhookPort: webhook.port, metricsPort: metricsServer.port, identity: options.identity }, "ready"));
  log.info(
    { webhookPort: webhook.port, metricsPort: metricsServer.port, uiPort: page.port, namespace: options.namespace, certMode: options.certMode, identity: options.identity },
    "serving",
  );

  let stopping: Promise<void> | undefined;
  const stop = (mode: StopMode): Promise<void> =>
    (stopping ??= (async () => {
      requests.beginShutdown();
      for (const listener of [...shutdownStarted]) listener();
      await running.stop(mode);
      if (mode === "graceful") log.info({}, "stopped");
      log.flush();
    })());
  return {
    webhookPort: webhook.port,
    metricsPort: metricsServer.port,
    ui: page.page,
    identity: options.identity,
    controller,
    metrics,
    tls,
    isReady,
    ready,
    isLeader: () => election.isLeader(),
    shutdown: () => stop("graceful"),
    abort: () => stop("abort"),
  };
}

/** The --client-ca-file bundle, read before anything starts; a bad file is one line saying so. */
function readClientCa(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  let pem: string;
  try {
    pem = readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`--client-ca-file ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) throw new Error(`--client-ca-file ${file}: no PEM certificate in it`);
  return pem;
}

export async function runServe(argv: string[], io: CommandIo): Promise<number> {
  const options = parseServeCommandLine(argv, process.env);
  if (options === "help") {
    io.stdout(`${serveUsage}\n`);
    return 0;
  }
  const log = createLogger(options.logLevel, undefined, options.logFormat);
  let running: RunningServe;
  try {
    running = await startServe(options, { logger: log });
  } catch (error) {
    log.error({ error: error instanceof Error ? error.message : String(error) }, "cannot start");
    log.flush();
    io.stderr(`releasegate serve: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  const termination = onTermination({
    onSecondSignal: (second) => {
      log.warn({ signal: second }, "second signal during shutdown; exiting now");
      log.flush();
      process.exit(130);
    },
  });
  const signal = await termination.signal;
  log.info({ signal }, "received signal");
  await running.shutdown();
  termination.dispose();
  return 0;
}

/**
 * The initial lists stream hundreds of megabytes of JSON (20 KiB of values per release) that the cache
 * drops at once; V8 would return that memory only at its next full collection, which an idle
 * controller may not reach for a long time. One full collection after the first sync gives it back
 * (bench/controller: RSS with 10,000 releases).
 */
function releaseListBuffers(): void {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as (() => void) | undefined;
  gc?.();
}
