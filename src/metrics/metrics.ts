// Every Prometheus metric releasegate exports, defined once (docs/behaviour.md, Metrics). The webhook, the
// controller and the health checks set these objects; nothing else creates a metric. Names and label
// sets are part of the interface: the chart's dashboard and alert rules query them.
//
// Each call builds its own Registry so tests (and the sandbox, which may run several servers in one
// process) never collide on prom-client's global registry. Durations are histograms in seconds.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { AdmissionTally } from "./admission-tally.js";
import { ComputedGauge } from "./computed-gauge.js";
import type { AdmissionDurationLabels } from "./admission-tally.js";

const METRIC_PREFIX = "releasegate_";

/** Gate states counted by `releasegate_releases{state}`: "open" or a blocked reason. */
export type ReleaseStateLabel = "open" | "Cycle" | "Missing" | "Failed" | "NotReady" | "Suspended";

export interface ReleasegateMetrics {
  readonly registry: Registry;

  // Blocked releases (controller).
  /** 1 per blocked object; the series disappears when the gate opens. */
  readonly releaseBlocked: Gauge<"kind" | "namespace" | "name" | "reason" | "root_cause">;
  /** Objects by gate state: "open" or each blocked reason. */
  readonly releases: Gauge<"kind" | "state">;
  /** Seconds the object has been blocked (present only while it is): computed at each scrape from the
   *  sources the controller adds (computed-gauge.ts), so it costs nothing between scrapes. */
  readonly releaseBlockedSeconds: ComputedGauge<"kind" | "namespace" | "name">;
  /** Cycles in the live graph. */
  readonly dependencyCycles: Gauge<"kind">;

  // Gating (controller).
  readonly reconcileRequestsTotal: Counter<"kind" | "result">;
  /** From "dependency Ready seen" to "reconcile requested". */
  readonly gateOpenLatencySeconds: Histogram<string>;

  // Admission (webhook).
  /** reason is bounded: a problem type, or ok / unchanged / deleting / delete / subresource / exempt / … / error. */
  readonly admissionRequestsTotal: Counter<"kind" | "operation" | "decision" | "reason">;
  /** Server-side time to answer one AdmissionReview, arrival to response; `source` is memory or reads (admission-tally.ts). */
  readonly admissionDurationSeconds: Histogram<AdmissionDurationLabels>;
  /** How the webhook counts its answers into the two metrics above (admission-tally.ts). */
  readonly admissionTally: AdmissionTally;

  // Health.
  /** 1 when the kind's cache has finished its initial list, else 0. */
  readonly cacheSynced: Gauge<"kind">;
  readonly watchRestartsTotal: Counter<"kind">;
  /** Seconds since the kind's watch (or a liveness probe of its API) last heard from the API server. */
  readonly cacheStalenessSeconds: Gauge<"kind">;
  /** Events never written: replaced by a newer one for the same object, or over the queue's bound. */
  readonly eventsDroppedTotal: Counter<string>;
  /** 1 on the replica holding the leader Lease, else 0. */
  readonly leader: Gauge<string>;
  /** Unix time at which the serving certificate expires; set on every load and renewal (src/certs/expiry-metric.ts). */
  readonly certificateExpiryTimestampSeconds: Gauge<string>;

  // The Kubernetes API client (src/kube): what client-go's rest_client_* metrics tell.
  /** Answers from the API server by verb (GET, LIST, WATCH, POST, PUT, PATCH, DELETE) and HTTP code ("error": none came). */
  readonly kubeApiRequestsTotal: Counter<"verb" | "code">;
  /** Requests sent again: reason throttled (429), server_error (5xx), connection (reset, refused), unauthorized (401). */
  readonly kubeApiRetriesTotal: Counter<"verb" | "reason">;
  /** Seconds requests waited: source client (the --kube-api-qps token bucket) or server (Retry-After). */
  readonly kubeApiThrottledSecondsTotal: Counter<"source">;
}

interface MetricsOptions {
  /** Registry to register on; a fresh one by default. */
  registry?: Registry;
  /** prom-client's default process metrics (CPU, memory, event loop lag, …); on by default. */
  defaultMetrics?: boolean;
}

// Admission answers take tens of microseconds to a few milliseconds; the apiserver's own default
// webhook timeout is 10 s, so the top buckets show a webhook heading for a timeout. 0.002 is the
// server-side p99 target (docs/behaviour.md, Performance targets): with a bucket bound there, "p99
// under 2 ms" is read off the histogram, not interpolated inside a wider bucket.
const ADMISSION_BUCKETS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5, 10];
// Gate opening should be well under a second; Flux alone takes up to --requeue-dependency (30 s) a hop.
const GATE_OPEN_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];

export function createMetrics(options: MetricsOptions = {}): ReleasegateMetrics {
  const registry = options.registry ?? new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const admissionTally = new AdmissionTally();
  const flushAdmission = (): void => admissionTally.flush();
  const metrics: ReleasegateMetrics = {
    registry,
    admissionTally,
    releaseBlocked: new Gauge({
      name: `${METRIC_PREFIX}release_blocked`,
      help: "1 for each object whose dependency gate is blocked, with the reason and the root cause (ns/name).",
      labelNames: ["kind", "namespace", "name", "reason", "root_cause"] as const,
      registers,
    }),
    releases: new Gauge({
      name: `${METRIC_PREFIX}releases`,
      help: "Objects by gate state: open, or the blocked reason (Cycle, Missing, Failed, NotReady, Suspended).",
      labelNames: ["kind", "state"] as const,
      registers,
    }),
    releaseBlockedSeconds: new ComputedGauge({
      name: `${METRIC_PREFIX}release_blocked_seconds`,
      help: "Seconds since the object's gate became blocked.",
      labelNames: ["kind", "namespace", "name"] as const,
      registers,
    }),
    dependencyCycles: new Gauge({
      name: `${METRIC_PREFIX}dependency_cycles`,
      help: "Dependency cycles in the live graph.",
      labelNames: ["kind"] as const,
      registers,
    }),
    reconcileRequestsTotal: new Counter({
      name: `${METRIC_PREFIX}reconcile_requests_total`,
      help: "Reconcile requests (reconcile.fluxcd.io/requestedAt patches) by result.",
      labelNames: ["kind", "result"] as const,
      registers,
    }),
    gateOpenLatencySeconds: new Histogram({
      name: `${METRIC_PREFIX}gate_open_latency_seconds`,
      help: "Seconds from seeing the last dependency Ready to requesting the dependent's reconcile.",
      buckets: GATE_OPEN_BUCKETS,
      registers,
    }),
    admissionRequestsTotal: new Counter({
      name: `${METRIC_PREFIX}admission_requests_total`,
      help: "AdmissionReviews answered, by kind, operation, decision (allowed, denied, error) and reason.",
      labelNames: ["kind", "operation", "decision", "reason"] as const,
      registers,
      collect: flushAdmission,
    }),
    admissionDurationSeconds: new Histogram({
      name: `${METRIC_PREFIX}admission_duration_seconds`,
      help: "Server-side seconds to answer one AdmissionReview (parse, decide, render), by source: memory (the cache alone) or reads (after reading the API server or asking peers).",
      labelNames: ["source"] as const,
      buckets: [...ADMISSION_BUCKETS],
      registers,
      collect: flushAdmission,
    }),
    cacheSynced: new Gauge({
      name: `${METRIC_PREFIX}cache_synced`,
      help: "1 when the kind's cache has completed its initial list and is watching, else 0.",
      labelNames: ["kind"] as const,
      registers,
    }),
    watchRestartsTotal: new Counter({
      name: `${METRIC_PREFIX}watch_restarts_total`,
      help: "Watches restarted (closed streams, 410 Gone relists, errors), by kind.",
      labelNames: ["kind"] as const,
      registers,
    }),
    cacheStalenessSeconds: new Gauge({
      name: `${METRIC_PREFIX}cache_staleness_seconds`,
      help: "Seconds since the kind's watch last delivered anything (event or bookmark) or a probe of its API answered; past --max-cache-staleness the webhook answers 503.",
      labelNames: ["kind"] as const,
      registers,
    }),
    eventsDroppedTotal: new Counter({
      name: `${METRIC_PREFIX}events_dropped_total`,
      help: "Kubernetes Events not written: replaced by a newer Event for the same object, or dropped because the bounded Event queue was full.",
      registers,
    }),
    leader: new Gauge({
      name: `${METRIC_PREFIX}leader`,
      help: "1 on the replica that holds the leader Lease, else 0.",
      registers,
    }),
    certificateExpiryTimestampSeconds: new Gauge({
      name: `${METRIC_PREFIX}certificate_expiry_timestamp_seconds`,
      help: "Unix time at which the webhook's serving certificate expires (the one served now).",
      registers,
    }),
    kubeApiRequestsTotal: new Counter({
      name: `${METRIC_PREFIX}kube_api_requests_total`,
      help: "Requests to the Kubernetes API by verb and HTTP status code (code \"error\": no answer: a reset, refused connection or timeout).",
      labelNames: ["verb", "code"] as const,
      registers,
    }),
    kubeApiRetriesTotal: new Counter({
      name: `${METRIC_PREFIX}kube_api_retries_total`,
      help: "Requests to the Kubernetes API sent again, by verb and reason: throttled (429), server_error (5xx), connection (reset or refused), unauthorized (401, credentials read again).",
      labelNames: ["verb", "reason"] as const,
      registers,
    }),
    kubeApiThrottledSecondsTotal: new Counter({
      name: `${METRIC_PREFIX}kube_api_throttled_seconds_total`,
      help: "Seconds requests to the Kubernetes API waited: source client (the --kube-api-qps/--kube-api-burst token bucket) or server (a Retry-After).",
      labelNames: ["source"] as const,
      registers,
    }),
  };
  admissionTally.connect(metrics.admissionRequestsTotal, metrics.admissionDurationSeconds);
  return metrics;
}
