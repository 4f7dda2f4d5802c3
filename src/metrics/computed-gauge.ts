// A gauge whose series are computed when it is read (a scrape) from sources that keep the state
// themselves, registered in a prom-client Registry beside the ordinary metrics. For
// release_blocked_seconds: every blocked object's value changes every second, and prom-client's
// Gauge.set() sorts, hashes and allocates afresh for each series each time (about 1.4 KiB: 4 MiB a
// refresh of 3,000 blocked releases), while a series read off the controller's own map costs one small
// object a scrape (docs/architecture.md, "Memory").
import type { Metric, Registry } from "prom-client";

export interface ComputedSeries<L extends string> {
  labels: Record<L, string>;
  value: number;
}

/** Appends the series as they are at this moment to `into` (no iterator objects per series). */
type SeriesSource<L extends string> = (into: ComputedSeries<L>[]) => void;

interface ComputedGaugeOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  registers: Registry[];
}

export class ComputedGauge<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly type = "gauge";
  /** How prom-client's cluster aggregator would combine workers' values. */
  readonly aggregator = "sum";
  private readonly sources = new Set<SeriesSource<L>>();

  constructor(options: ComputedGaugeOptions<L>) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames;
    // The registry asks a metric only for name, help, type and get(): this is one as far as it can tell.
    for (const registry of options.registers) registry.registerMetric(this as unknown as Metric);
  }

  /** Adds a source of series; returns the function that removes it. */
  addSource(source: SeriesSource<L>): () => void {
    this.sources.add(source);
    return () => this.sources.delete(source);
  }

  /** What prom-client's registry reads at each scrape. */
  get(): Promise<{ name: string; help: string; type: "gauge"; aggregator: "sum"; values: ComputedSeries<L>[] }> {
    const values: ComputedSeries<L>[] = [];
    for (const source of this.sources) source(values);
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  /** Registry.resetMetrics(): nothing is stored here to reset. */
  reset(): void {}
}
