// Reading the Prometheus text exposition of `serve`'s /metrics in the benchmarks: single values, and
// histograms as cumulative buckets whose difference between two scrapes covers one measuring window.

export function metricValue(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.split(/\s+/).at(-1));
}

export interface Bucket {
  /** Upper bound in the metric's unit (Infinity for +Inf). */
  le: number;
  /** Cumulative count. */
  count: number;
}

/**
 * The buckets of a histogram, in order: of its series whose labels (besides `le`) are exactly `labels`
 * (`source="memory"`), or of the unlabelled one.
 */
export function histogramBuckets(text: string, name: string, labels = ""): Bucket[] {
  const buckets: Bucket[] = [];
  for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{([^}]*)\\} (\\S+)$`, "gm"))) {
    const parts = m[1]!.split(",");
    const le = parts.find((p) => p.startsWith("le="))?.slice(4, -1);
    const rest = parts.filter((p) => !p.startsWith("le=")).join(",");
    if (le === undefined || rest !== labels) continue;
    buckets.push({ le: le === "+Inf" ? Infinity : Number(le), count: Number(m[2]) });
  }
  return buckets;
}

/** What happened between two scrapes of the same histogram. */
export function bucketDelta(before: readonly Bucket[], after: readonly Bucket[]): Bucket[] {
  return after.map((b, i) => ({ le: b.le, count: b.count - (before[i]?.count ?? 0) }));
}

/**
 * A quantile as Prometheus' histogram_quantile estimates it: linear within the bucket that holds it.
 * `bound` is that bucket's upper bound, the figure the histogram can vouch for.
 */
export function histogramQuantile(buckets: readonly Bucket[], q: number): { estimate: number; bound: number } {
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return { estimate: NaN, bound: NaN };
  const rank = q * total;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return { estimate: lowerLe, bound: Infinity };
      const inBucket = b.count - lowerCount;
      const estimate = inBucket === 0 ? b.le : lowerLe + ((b.le - lowerLe) * (rank - lowerCount)) / inBucket;
      return { estimate, bound: b.le };
    }
    lowerLe = b.le;
    lowerCount = b.count;
  }
  return { estimate: NaN, bound: NaN };
}
