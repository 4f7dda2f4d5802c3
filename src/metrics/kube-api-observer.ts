// The Kubernetes API client's reports (src/kube's KubeClientObserver) as the three kube_api_* metrics.
// Structural: metrics does not import the client.
import type { ReleasegateMetrics } from "./metrics.js";

interface KubeApiReports {
  request(verb: string, code: string): void;
  retry(verb: string, reason: string): void;
  throttled(seconds: number, source: "client" | "server"): void;
}

export function kubeApiObserver(metrics: ReleasegateMetrics): KubeApiReports {
  return {
    request: (verb, code) => metrics.kubeApiRequestsTotal.inc({ verb, code }),
    retry: (verb, reason) => metrics.kubeApiRetriesTotal.inc({ verb, reason }),
    throttled: (seconds, source) => metrics.kubeApiThrottledSecondsTotal.inc({ source }, seconds),
  };
}
