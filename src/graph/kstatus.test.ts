import { describe, expect, it } from "vitest";
import { computeKStatus } from "./kstatus.js";

describe("kstatus", () => {
  it("reads the generic properties first: deletion, an unobserved generation, Reconciling and Stalled", () => {
    expect(computeKStatus({ kind: "Widget", deleting: true }).status).toBe("Terminating");
    expect(computeKStatus({ kind: "Widget", generation: 2, status: { observedGeneration: 1 } })).toEqual({
      status: "InProgress",
      message: "Widget generation is 2, but latest observed generation is 1",
    });
    expect(computeKStatus({ kind: "Widget", generation: 2, status: {} }).status).toBe("Current");
    expect(computeKStatus({ kind: "Widget", status: { conditions: [{ type: "Reconciling", status: "True", message: "working" }] } })).toEqual({ status: "InProgress", message: "working" });
    expect(computeKStatus({ kind: "Widget", status: { conditions: [{ type: "Stalled", status: "True", message: "gave up" }] } })).toEqual({ status: "Failed", message: "gave up" });
  });

  it("follows a Ready condition when the kind has no rule of its own, and is Current without one", () => {
    expect(computeKStatus({ kind: "Widget", status: { conditions: [{ type: "Ready", status: "True" }] } }).status).toBe("Current");
    expect(computeKStatus({ kind: "Widget", status: { conditions: [{ type: "Ready", status: "Unknown", message: "later" }] } })).toEqual({ status: "InProgress", message: "later" });
    expect(computeKStatus({ kind: "Widget" }).status).toBe("Current");
  });

  it("judges a CRD by Established and NamesAccepted", () => {
    const crd = (conditions: { type: string; status: string; reason?: string; message?: string }[]) =>
      computeKStatus({ apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", status: { conditions } });
    expect(crd([]).status).toBe("InProgress");
    expect(crd([{ type: "Established", status: "True" }]).status).toBe("Current");
    expect(crd([{ type: "NamesAccepted", status: "False", message: "conflict" }])).toEqual({ status: "Failed", message: "conflict" });
  });

  it("judges StatefulSets and DaemonSets by their counts, and ConfigMaps as always ready", () => {
    const sts = (status: Record<string, number | string>) => computeKStatus({ apiVersion: "apps/v1", kind: "StatefulSet", spec: { replicas: 2 }, status });
    expect(sts({ replicas: 2, readyReplicas: 1 }).message).toBe("Ready: 1/2");
    expect(sts({ replicas: 2, readyReplicas: 2, currentReplicas: 2, currentRevision: "a", updateRevision: "a" }).status).toBe("Current");
    const ds = computeKStatus({ apiVersion: "apps/v1", kind: "DaemonSet", generation: 1, status: { observedGeneration: 1, desiredNumberScheduled: 3, currentNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2, numberReady: 3 } });
    expect(ds).toEqual({ status: "InProgress", message: "Available: 2/3" });
    expect(computeKStatus({ apiVersion: "v1", kind: "ConfigMap" }).status).toBe("Current");
  });
});
