// The Prometheus text exposition of a registry, byte for byte what prom-client's `registry.metrics()`
// writes, built with a fraction of its garbage. prom-client makes a dozen short-lived arrays, objects and
// strings per series (about 2.7 KiB each): one scrape of 3,000 blocked releases (two series each) left
// 17.5 MiB for the collector, and frequent scrapes kept the V8 heap at its largest (docs/architecture.md,
// "Memory"). Here the text is written piece by piece into one growing buffer: 0.7 MiB a scrape.
//
// Only the Prometheus format of a registry without default labels (releasegate sets none); the
// OpenMetrics format is left to prom-client.
import { Registry } from "prom-client";

/** One series as prom-client's metrics hand it over (`get()` / `getForPromString()`). */
interface SeriesValue {
  value: number;
  labels?: Record<string, string | number | undefined>;
  metricName?: string;
  sharedLabels?: Record<string, string | number | undefined>;
}

interface Collected {
  name: string;
  help: string;
  type: string;
  values?: SeriesValue[];
}

/** What the registry's metric objects offer (prom-client's types name only the configuration). */
interface Collectable {
  get(): Promise<Collected> | Collected;
  getForPromString?(): Promise<Collected> | Collected;
}

const NEEDS_ESCAPE = /[\\\n]/;
const LABEL_NEEDS_ESCAPE = /[\\\n"]/;

function escapeText(text: string): string {
  return NEEDS_ESCAPE.test(text) ? text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n") : text;
}

function escapeLabel(value: string): string {
  return LABEL_NEEDS_ESCAPE.test(value) ? value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"') : value;
}

/** prom-client's number format: `Nan`, `+Inf`, `-Inf`, else JavaScript's. */
function valueText(value: number): string {
  if (Number.isNaN(value)) return "Nan";
  if (!Number.isFinite(value)) return value < 0 ? "-Inf" : "+Inf";
  return String(value);
}

/** UTF-8 text written into one growing buffer: no string per piece, no rope to flatten. */
class TextBuffer {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  private length = 0;

  write(text: string): void {
    // A UTF-16 unit is at most 3 bytes of UTF-8.
    if (this.length + text.length * 3 > this.buffer.length) this.grow(this.length + text.length * 3);
    this.length += this.buffer.write(text, this.length);
  }

  /** A label value or a number as prom-client writes it (a non-string label value as its text). */
  writeLabelValue(value: string | number | undefined): void {
    this.write(typeof value === "string" ? escapeLabel(value) : String(value));
  }

  done(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  private grow(needed: number): void {
    const next = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
}

/** `a="x",b="y"` of the labels not in `exclude`; whether any was written. */
function writeLabels(out: TextBuffer, labels: Record<string, string | number | undefined>, exclude: Record<string, unknown> | undefined, first: boolean): boolean {
  for (const name in labels) {
    if (!Object.prototype.hasOwnProperty.call(labels, name)) continue;
    if (exclude !== undefined && Object.prototype.hasOwnProperty.call(exclude, name)) continue;
    out.write(first ? "{" : ",");
    out.write(name);
    out.write('="');
    out.writeLabelValue(labels[name]);
    out.write('"');
    first = false;
  }
  return !first;
}

function writeMetric(out: TextBuffer, metric: Collected): void {
  const name = escapeText(metric.name);
  out.write("# HELP ");
  out.write(name);
  out.write(" ");
  out.write(escapeText(metric.help));
  out.write("\n# TYPE ");
  out.write(name);
  out.write(" ");
  out.write(metric.type);
  for (const series of metric.values ?? []) {
    out.write("\n");
    out.write(series.metricName ?? name);
    let any = series.labels !== undefined && writeLabels(out, series.labels, series.sharedLabels, true);
    if (series.sharedLabels !== undefined) any = writeLabels(out, series.sharedLabels, undefined, !any) || any;
    out.write(any ? "} " : " ");
    out.write(valueText(series.value));
  }
}

/** The registry in Prometheus text format, UTF-8 (its OpenMetrics form, if so set, from prom-client itself). */
export async function prometheusText(registry: Registry): Promise<Buffer> {
  if (registry.contentType !== Registry.PROMETHEUS_CONTENT_TYPE) return Buffer.from(await registry.metrics());
  const metrics = registry.getMetricsAsArray() as unknown as Collectable[];
  const collected = await Promise.all(metrics.map((metric) => (metric.getForPromString !== undefined ? metric.getForPromString() : metric.get())));
  const out = new TextBuffer();
  for (let i = 0; i < collected.length; i++) {
    if (i > 0) out.write("\n\n");
    writeMetric(out, collected[i]!);
  }
  out.write("\n");
  return out.done();
}
