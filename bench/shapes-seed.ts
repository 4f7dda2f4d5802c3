// The graph shapes of bench/shapes.ts (docs/behaviour.md, Performance targets), as Kubernetes objects for
// the sandbox and as one multi-document file for `check`: HelmReleases in `default`, 2 KiB of values each.
// - chain: bulk-I depends on bulk-(I-1); nothing Ready (no status), so all but bulk-0 are blocked.
// - fanin: every object depends on one `base` that failed (install retries exhausted).
// - fanout: hubs each depending on 1,000 leaves that are not Ready.
// - lattice: levels of 10, each object depending on every object of the level before; level 0 not Ready.
// - cycle: half the objects on one cycle (5,000 at 10,000 objects; none Ready, as Flux leaves them), the
//   rest each depending on a member.
// - burst: every object depends on a Ready `base`, which the benchmark fails, then makes Ready again.

export const SHAPES = ["chain", "fanin", "fanout", "lattice", "cycle", "burst"] as const;
export type ShapeName = (typeof SHAPES)[number];

const VALUES = { blob: "x".repeat(2048) };
const READY = [{ type: "Ready", status: "True", reason: "InstallSucceeded", message: "Helm install succeeded", lastTransitionTime: "2024-01-01T00:00:00Z" }];
const FAILED = [
  { type: "Ready", status: "False", reason: "RetriesExceeded", message: "install retries exhausted", lastTransitionTime: "2024-01-01T00:01:00Z" },
  { type: "Stalled", status: "True", reason: "RetriesExceeded", message: "install retries exhausted", lastTransitionTime: "2024-01-01T00:01:00Z" },
];
/** Waiting on its dependencies, as Flux marks it: a gate opening then asks for a reconcile. */
const WAITING = [{ type: "Ready", status: "False", reason: "DependencyNotReady", message: "dependency 'default/base' is not ready", lastTransitionTime: "2024-01-01T00:01:00Z" }];

export interface ShapeRelease {
  name: string;
  dependsOn: string[];
  status?: "ready" | "failed" | "waiting";
}

export function release(spec: ShapeRelease): Record<string, unknown> {
  const conditions = spec.status === "ready" ? READY : spec.status === "failed" ? FAILED : spec.status === "waiting" ? WAITING : undefined;
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name: spec.name, namespace: "default", generation: 1 },
    spec: {
      interval: "10m",
      chart: { spec: { chart: "app", sourceRef: { kind: "HelmRepository", name: "charts", namespace: "flux-system" } } },
      ...(spec.dependsOn.length > 0 ? { dependsOn: spec.dependsOn.map((name) => ({ name })) } : {}),
      values: VALUES,
    },
    ...(conditions === undefined ? {} : { status: { observedGeneration: 1, conditions } }),
  };
}

export interface Shape {
  releases: ShapeRelease[];
  /** How many gates are blocked once all are computed. */
  blocked: number;
  /** burst: the object the benchmark fails and then makes Ready. */
  burstRoot?: string;
  /** An edge whose review the admission part times: [object, new dependency]; `closes` when it closes a cycle. */
  edge: { object: string; dependency: string; closes: boolean };
}

export function shape(name: ShapeName, size: number): Shape {
  const releases: ShapeRelease[] = [];
  switch (name) {
    case "chain": {
      for (let i = 0; i < size; i++) releases.push({ name: `bulk-${i}`, dependsOn: i === 0 ? [] : [`bulk-${i - 1}`] });
      // Closing the chain into a cycle of every object.
      return { releases, blocked: size - 1, edge: { object: "bulk-0", dependency: `bulk-${size - 1}`, closes: true } };
    }
    case "fanin":
    case "burst": {
      releases.push({ name: "base", dependsOn: [], status: name === "fanin" ? "failed" : "ready" });
      for (let i = 1; i < size; i++) releases.push({ name: `app-${i}`, dependsOn: ["base"], status: name === "burst" ? "waiting" : undefined });
      const edge = { object: "app-1", dependency: "app-2", closes: false };
      return name === "fanin" ? { releases, blocked: size - 1, edge } : { releases, blocked: 0, burstRoot: "base", edge };
    }
    case "fanout": {
      const hubs = Math.max(1, Math.round(size / 1001));
      const leaves = size - hubs;
      for (let i = 0; i < leaves; i++) releases.push({ name: `leaf-${i}`, dependsOn: [] });
      for (let h = 0; h < hubs; h++) {
        const dependsOn: string[] = [];
        for (let i = 0; i < Math.min(1000, leaves); i++) dependsOn.push(`leaf-${(h * 1000 + i) % leaves}`);
        releases.push({ name: `hub-${h}`, dependsOn });
      }
      return { releases, blocked: hubs, edge: { object: "leaf-0", dependency: "hub-0", closes: true } };
    }
    case "lattice": {
      const width = 10;
      const levels = Math.ceil(size / width);
      for (let level = 0; level < levels; level++) {
        for (let i = 0; i < width && level * width + i < size; i++) {
          const dependsOn = level === 0 ? [] : Array.from({ length: width }, (_, j) => `l${level - 1}-${j}`);
          releases.push({ name: `l${level}-${i}`, dependsOn });
        }
      }
      return { releases, blocked: size - width, edge: { object: "l0-0", dependency: `l${levels - 1}-0`, closes: true } };
    }
    case "cycle": {
      const members = Math.floor(size / 2);
      for (let i = 0; i < members; i++) releases.push({ name: `cyc-${i}`, dependsOn: [`cyc-${(i + 1) % members}`] });
      for (let i = members; i < size; i++) releases.push({ name: `dep-${i}`, dependsOn: [`cyc-${i % members}`], status: "ready" });
      // cyc-0 → dep-(members+1) → cyc-1 → … → cyc-0: a cycle through every member.
      return { releases, blocked: size, edge: { object: "cyc-0", dependency: `dep-${members + 1}`, closes: true } };
    }
  }
}

export function shapeObjects(name: ShapeName, size: number): { objects: Record<string, unknown>[]; blocked: number; burstRoot?: string } {
  const s = shape(name, size);
  return { objects: s.releases.map(release), blocked: s.blocked, ...(s.burstRoot === undefined ? {} : { burstRoot: s.burstRoot }) };
}
