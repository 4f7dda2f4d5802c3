import { Gauge, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { ComputedGauge } from "./computed-gauge.js";

describe("ComputedGauge", () => {
  it("is scraped like a prom-client gauge, its series read from its sources at that moment", async () => {
    const registry = new Registry();
    const clock = { seconds: 5 };
    const computed = new ComputedGauge({ name: "blocked_seconds", help: "Seconds blocked.", labelNames: ["name"] as const, registers: [registry] });
    const removeA = computed.addSource((into) => into.push({ labels: { name: "a" }, value: clock.seconds }));
    computed.addSource((into) => into.push({ labels: { name: "b" }, value: clock.seconds * 2 }));
    // The same series from a prom-client Gauge, in a registry of its own: the text must be the same.
    const reference = new Registry();
    const gauge = new Gauge({ name: "blocked_seconds", help: "Seconds blocked.", labelNames: ["name"] as const, registers: [reference] });
    gauge.set({ name: "a" }, 5);
    gauge.set({ name: "b" }, 10);
    expect(await registry.metrics()).toBe(await reference.metrics());

    clock.seconds = 7;
    expect((await registry.getMetricsAsJSON())[0]?.values).toEqual([
      { labels: { name: "a" }, value: 7 },
      { labels: { name: "b" }, value: 14 },
    ]);
    removeA();
    registry.resetMetrics();
    expect((await registry.getMetricsAsJSON())[0]?.values).toEqual([{ labels: { name: "b" }, value: 14 }]);
  });

  it("takes its name in the registry like any metric: a second one of the same name is refused", () => {
    const registry = new Registry();
    new ComputedGauge({ name: "x", help: "x", labelNames: [], registers: [registry] });
    expect(() => new Gauge({ name: "x", help: "x", registers: [registry] })).toThrow(/already been registered/);
  });
});
