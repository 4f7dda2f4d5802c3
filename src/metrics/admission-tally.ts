// Counting answered AdmissionReviews off the answer path (docs/behaviour.md, Metrics): the webhook adds
// one to a plain number per label set and stores the duration in a typed array; prom-client sees them
// when it is scraped (each metric's collect hook flushes the tally first), so a scrape never misses an
// answer and an answer never pays for prom-client's label hashing and per-call objects. The durations
// waiting for a scrape are bounded: a full buffer is flushed on the spot.
//
// The duration histogram has one label, `source`: "memory" for answers decided from the cache alone,
// "reads" for those that waited for the deny path's questions (the API server, the peers). The two
// differ by an API round trip; one histogram of both would put its p99 inside the slower 5%. "path" for
// reviews that add a dependsOn edge, answered after reading the edge's path and telling the peers
// (docs/architecture.md, "Unconfirmed edges").
import type { Counter, Histogram } from "prom-client";

type AdmissionCounterLabels = "kind" | "operation" | "decision" | "reason";
export type AdmissionDurationLabels = "source";
/** What an answer was decided from (the duration histogram's `source` label). */
type AdmissionSource = "memory" | "reads" | "path";
/** The histogram's label set of each source, by the index `fromReads` stores (0 memory, 1 reads, 2 path). */
const SOURCE_LABELS: readonly { source: AdmissionSource }[] = [{ source: "memory" }, { source: "reads" }, { source: "path" }];
const SOURCE_INDEX: Record<AdmissionSource, number> = { memory: 0, reads: 1, path: 2 };

/** Durations held between scrapes; past this many they are handed to the histogram at once. */
export const MAX_PENDING_DURATIONS = 4096;

interface Tally {
  labels: Record<AdmissionCounterLabels, string>;
  pending: number;
}

export class AdmissionTally {
  private readonly tallies = new Map<string, Tally>();
  private readonly durations = new Float64Array(MAX_PENDING_DURATIONS);
  /** The SOURCE_LABELS index of the answer whose duration is at the same index. */
  private readonly fromReads = new Uint8Array(MAX_PENDING_DURATIONS);
  private pendingDurations = 0;
  private counter: Counter<AdmissionCounterLabels> | undefined;
  private histogram: Histogram<AdmissionDurationLabels> | undefined;

  /** The prom-client metrics the tally flushes into (createMetrics connects them). */
  connect(counter: Counter<AdmissionCounterLabels>, histogram: Histogram<AdmissionDurationLabels>): void {
    this.counter = counter;
    this.histogram = histogram;
    // Both series exist from the start, so a dashboard's rate() of either has a zero to start from.
    for (const labels of SOURCE_LABELS) histogram.zero(labels);
  }

  /** One answered review: its labels (bounded values) and how long answering it took. */
  record(kind: string, operation: string, decision: string, reason: string, seconds: number, source: AdmissionSource = "memory"): void {
    const key = `${kind}\u0000${operation}\u0000${decision}\u0000${reason}`;
    let tally = this.tallies.get(key);
    if (tally === undefined) {
      tally = { labels: { kind, operation, decision, reason }, pending: 0 };
      this.tallies.set(key, tally);
    }
    tally.pending++;
    this.fromReads[this.pendingDurations] = SOURCE_INDEX[source];
    this.durations[this.pendingDurations++] = seconds;
    if (this.pendingDurations === MAX_PENDING_DURATIONS) this.flushDurations();
  }

  /** Hands everything recorded since the last flush to prom-client. */
  flush(): void {
    if (this.counter !== undefined) {
      for (const tally of this.tallies.values()) {
        if (tally.pending === 0) continue;
        this.counter.inc(tally.labels, tally.pending);
        tally.pending = 0;
      }
    }
    this.flushDurations();
  }

  private flushDurations(): void {
    const histogram = this.histogram;
    if (histogram !== undefined) for (let i = 0; i < this.pendingDurations; i++) histogram.observe(SOURCE_LABELS[this.fromReads[i]!]!, this.durations[i]!);
    this.pendingDurations = 0;
  }
}
