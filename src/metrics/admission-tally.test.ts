import { describe, expect, it } from "vitest";
import { MAX_PENDING_DURATIONS } from "./admission-tally.js";
import { createMetrics } from "./metrics.js";

const COUNT = 'releasegate_admission_requests_total{kind="HelmRelease",operation="CREATE",decision="allowed",reason="ok"}';

describe("AdmissionTally", () => {
  it("shows every recorded answer at the next scrape, once", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    for (let i = 0; i < 3; i++) metrics.admissionTally.record("HelmRelease", "CREATE", "allowed", "ok", 0.0003);
    metrics.admissionTally.record("HelmRelease", "UPDATE", "denied", "cycle", 0.003);
    metrics.admissionTally.record("HelmRelease", "CREATE", "denied", "missing", 0.004, "reads");
    const first = await metrics.registry.metrics();
    expect(first).toContain(`${COUNT} 3`);
    expect(first).toContain('releasegate_admission_requests_total{kind="HelmRelease",operation="UPDATE",decision="denied",reason="cycle"} 1');
    expect(first).toContain('releasegate_admission_duration_seconds_bucket{le="0.0005",source="memory"} 3');
    expect(first).toContain('releasegate_admission_duration_seconds_count{source="memory"} 4');
    expect(first).toMatch(/releasegate_admission_duration_seconds_sum\{source="memory"\} 0\.0039\d*/);
    expect(first).toContain('releasegate_admission_duration_seconds_bucket{le="0.0025",source="reads"} 0');
    expect(first).toContain('releasegate_admission_duration_seconds_bucket{le="0.005",source="reads"} 1');
    // A second scrape adds nothing that was not recorded since.
    metrics.admissionTally.record("HelmRelease", "CREATE", "allowed", "ok", 0.0003);
    const second = await metrics.registry.metrics();
    expect(second).toContain(`${COUNT} 4`);
    expect(second).toContain('releasegate_admission_duration_seconds_count{source="memory"} 5');
  });

  it("holds at most its bound of durations between scrapes, and loses none past it", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const n = MAX_PENDING_DURATIONS * 2 + 5;
    for (let i = 0; i < n; i++) metrics.admissionTally.record("HelmRelease", "CREATE", "allowed", "ok", 0.0001);
    const text = await metrics.registry.metrics();
    expect(text).toContain(`releasegate_admission_duration_seconds_count{source="memory"} ${n}`);
    expect(text).toContain(`${COUNT} ${n}`);
  });
});
