// End to end through the sandbox API server: the real kubectl and the real client-node write objects;
// the sandbox calls the registered ValidatingWebhookConfiguration over HTTPS (caBundle verified) exactly
// as kube-apiserver would; two webhook replicas answer in turn (a round-robin service resolver), each fed
// by its own ObjectCaches, each with its own pending batch, sharing it over HTTPS as in production.
//
// The seed's scenarios (examples/): the backend ↔ redis cycle denied with its path, the chain allowed,
// a missing dependency denied, a three-node and a cross-namespace cycle, the `namespace/name` hint;
// objects already on a cycle (made while the webhook was off) still take finalizer, label, suspend and
// status writes; namespace deletion completes under delete protection; and the GitOps batch as Flux's
// ssa.ApplyAll plays it.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { AdmissionGraphs } from "../src/admission/admission-graphs.js";
import { createAdmissionListener } from "../src/admission/app.js";
import { tlsKeyPeerAuthenticator } from "../src/admission/peer-auth.js";
import { PendingBatch } from "../src/admission/pending-batch.js";
import { PendingPeers } from "../src/admission/pending-peers.js";
import type { PeerUrl } from "../src/admission/peer-source.js";
import { DEFAULT_ADMISSION_POLICY } from "../src/admission/policy.js";
import { fluxManifest } from "../src/admission/review-builder.test-support.js";
import type { ManifestSpec } from "../src/admission/review-builder.test-support.js";
import { startAdmissionServer } from "../src/admission/server.js";
import type { AdmissionServer } from "../src/admission/server.js";
import { fixedTlsSource, testTlsMaterial } from "../src/admission/tls.test-support.js";
import type { TlsMaterial } from "../src/certs/tls-material.js";
import { KindStore } from "../src/cluster/kind-store.js";
import { ObjectCache } from "../src/cluster/object-cache.js";
import { startSandbox } from "../src/sandbox/index.js";
import type { Sandbox } from "../src/sandbox/index.js";
import { repoRoot } from "./helpers/cli.js";
import { bundledKubectl, systemKubectl } from "./helpers/tools.js";

const WEBHOOK_NAME = "dependencies.releasegate.io";
const SERVICE = { namespace: "releasegate", name: "releasegate" };

interface Replica {
  url: PeerUrl;
  server: AdmissionServer;
  caches: ObjectCache[];
  graphs: AdmissionGraphs;
  pending: PendingBatch;
  peers: PendingPeers;
  /** Reviews this replica answered. */
  readonly answered: number;
}

/** One webhook replica as `serve` would wire it: caches → graphs, pending batch + peers, HTTPS app. */
async function startReplica(kc: KubeConfig, material: TlsMaterial, peerUrls: () => PeerUrl[]): Promise<Replica> {
  const caches = [new ObjectCache(kc, { kind: "HelmRelease" }), new ObjectCache(kc, { kind: "Kustomization" })];
  const graphs = new AdmissionGraphs(caches.map((cache) => new KindStore(cache)));
  for (const cache of caches) cache.start();
  await Promise.all(caches.map((c) => c.synced));
  const pending = new PendingBatch();
  const auth = tlsKeyPeerAuthenticator(() => material);
  const peers = new PendingPeers({ batch: pending, source: { peers: peerUrls }, auth, tls: () => material });
  peers.start();
  const app = createAdmissionListener({ graphs, pending, peers, peerAuth: auth, policy: { ...DEFAULT_ADMISSION_POLICY, deleteProtection: "deny" } });
  let answered = 0;
  const server = await startAdmissionServer(
    (req, res) => {
      if (req.url?.startsWith("/validate")) answered++;
      app(req, res);
    },
    fixedTlsSource(material),
    { port: 0, host: "127.0.0.1" },
  );
  return {
    url: `https://127.0.0.1:${server.port}`,
    server,
    caches,
    graphs,
    pending,
    peers,
    get answered() {
      return answered;
    },
  };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let sandbox: Sandbox;
let replicas: Replica[];
let kubectl: string;
let kubeconfig: string;
let workdir: string;

function run(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(kubectl, ["--kubeconfig", kubeconfig, ...args], { cwd: repoRoot, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(stdin ?? "");
  });
}

function yamlOf(...specs: ManifestSpec[]): string {
  return specs.map((s) => YAML.stringify(fluxManifest(s))).join("---\n");
}

async function apply(...specs: ManifestSpec[]): Promise<Run> {
  return run(["apply", "-f", "-"], yamlOf(...specs));
}

async function namespace(name: string): Promise<void> {
  // `kubectl apply`, not `kubectl create namespace`: the latter sends protobuf, which the sandbox does not read.
  const r = await run(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name } }));
  expect(r.stderr).toBe("");
}

beforeAll(async () => {
  workdir = await mkdtemp(join(tmpdir(), "releasegate-admission-e2e-"));
  const material = testTlsMaterial("releasegate", [`${SERVICE.name}.${SERVICE.namespace}.svc`]);
  let turn = 0;
  // Objects made while the webhook was off: a cycle, seeded straight into storage.
  const legacy = [
    fluxManifest({ name: "backend", namespace: "legacy", dependsOn: [{ name: "redis" }], finalizers: ["finalizers.fluxcd.io"] }),
    fluxManifest({ name: "redis", namespace: "legacy", dependsOn: [{ name: "backend" }] }),
    fluxManifest({ name: "orphan", namespace: "legacy", dependsOn: [{ name: "ghost" }] }),
  ];
  sandbox = await startSandbox({
    seed: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "legacy" } }, ...legacy],
    // The Service in front of the replicas: each call goes to the next replica in turn.
    serviceResolver: (ref) => (ref.name === SERVICE.name && ref.namespace === SERVICE.namespace ? replicas[turn++ % replicas.length]?.url : undefined),
  });
  kubeconfig = join(workdir, "kubeconfig");
  await sandbox.writeKubeconfig(kubeconfig);
  kubectl = systemKubectl() ?? bundledKubectl();
  const kc = sandbox.kubeConfig();
  replicas = [];
  const others = (self: number) => () => replicas.filter((_, i) => i !== self).map((r) => r.url);
  replicas.push(await startReplica(kc, material, others(0)));
  replicas.push(await startReplica(kc, material, others(1)));

  const vwc = {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name: "releasegate" },
    webhooks: [
      {
        name: WEBHOOK_NAME,
        admissionReviewVersions: ["v1"],
        sideEffects: "None",
        failurePolicy: "Fail",
        matchPolicy: "Equivalent",
        timeoutSeconds: 5,
        clientConfig: { service: { ...SERVICE, path: "/validate", port: 443 }, caBundle: Buffer.from(material.caPem!).toString("base64") },
        rules: [
          { apiGroups: ["helm.toolkit.fluxcd.io"], apiVersions: ["*"], resources: ["helmreleases"], operations: ["CREATE", "UPDATE", "DELETE"], scope: "Namespaced" },
          { apiGroups: ["kustomize.toolkit.fluxcd.io"], apiVersions: ["*"], resources: ["kustomizations"], operations: ["CREATE", "UPDATE", "DELETE"], scope: "Namespaced" },
        ],
      },
    ],
  };
  const registered = await run(["apply", "-f", "-"], JSON.stringify(vwc));
  expect(registered.stderr).toBe("");
}, 60_000);

afterAll(async () => {
  for (const r of replicas ?? []) {
    r.peers.stop();
    r.graphs.stop();
    await Promise.all(r.caches.map((c) => c.stop()));
    await r.server.close();
  }
  await sandbox?.close();
  if (workdir) await rm(workdir, { recursive: true, force: true });
});

describe("the webhook through the sandbox with kubectl", () => {
  it("allows `kubectl apply -f examples/chain/` into an empty namespace (files in dependency order)", async () => {
    const r = await run(["apply", "-f", "examples/chain/"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/helmrelease.helm.toolkit.fluxcd.io\/redis created/);
    expect(r.stdout).toMatch(/helmrelease.helm.toolkit.fluxcd.io\/backend created/);
  });

  it("denies the backend ↔ redis cycle (examples/cycle/redis.yaml), printing the whole path", async () => {
    const r = await run(["apply", "-f", "examples/cycle/redis.yaml"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error from server \(Forbidden\)/);
    expect(r.stderr).toContain(
      `admission webhook "${WEBHOOK_NAME}" denied the request: dependency cycle default/redis → default/backend → default/redis: remove one of these dependsOn entries`,
    );
  });

  it("denies backend alone when redis is absent", async () => {
    await namespace("alone");
    const r = await apply({ name: "backend", namespace: "alone", dependsOn: [{ name: "redis" }] });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "denied the request: HelmRelease alone/redis does not exist (did you mean default/redis or legacy/redis?): create it first or fix the dependsOn entry",
    );
  });

  it("denies a typo'd dependency (examples/missing/backend.yaml) with a did-you-mean", async () => {
    const r = await run(["apply", "-f", "examples/missing/backend.yaml"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("denied the request: HelmRelease default/redsi does not exist (did you mean default/redis?): create it first or fix the dependsOn entry");
  });

  it("denies a three-node cycle", async () => {
    await namespace("three");
    expect((await apply({ name: "a", namespace: "three" })).code).toBe(0);
    expect((await apply({ name: "b", namespace: "three", dependsOn: [{ name: "a" }] })).code).toBe(0);
    expect((await apply({ name: "c", namespace: "three", dependsOn: [{ name: "b" }] })).code).toBe(0);
    const r = await apply({ name: "a", namespace: "three", dependsOn: [{ name: "c" }] });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("dependency cycle three/a → three/c → three/b → three/a");
  });

  it("denies a cross-namespace cycle (examples/cross-namespace plus prometheus → grafana)", async () => {
    const ok = await run(["apply", "-f", "examples/cross-namespace/"]);
    expect(ok.stderr).toBe("");
    const r = await apply({ name: "prometheus", namespace: "monitoring", dependsOn: [{ name: "grafana", namespace: "default" }] });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("dependency cycle monitoring/prometheus → default/grafana → monitoring/prometheus");
  });

  it("hints the fix for `name: monitoring/prometheus`", async () => {
    const r = await apply({ name: "loki", namespace: "default", dependsOn: [{ name: "monitoring/prometheus" }] });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('dependsOn[0].name "monitoring/prometheus" is not a valid object name: use {name: prometheus, namespace: monitoring}');
  });

  it("still allows finalizer, label, suspend and status writes on objects already in a cycle", async () => {
    const patches: string[][] = [
      ["patch", "helmrelease", "redis", "-n", "legacy", "--type", "merge", "-p", '{"metadata":{"finalizers":["finalizers.fluxcd.io"]}}'],
      ["patch", "helmrelease", "redis", "-n", "legacy", "--type", "json", "-p", '[{"op":"remove","path":"/metadata/finalizers"}]'],
      ["label", "helmrelease", "backend", "-n", "legacy", "team=payments"],
      ["patch", "helmrelease", "backend", "-n", "legacy", "--type", "merge", "-p", '{"spec":{"suspend":true}}'],
      ["patch", "helmrelease", "backend", "-n", "legacy", "--subresource", "status", "--type", "merge", "-p", '{"status":{"observedGeneration":1}}'],
    ];
    for (const args of patches) {
      const r = await run(args);
      expect(r.stderr, args.join(" ")).not.toMatch(/denied/);
      expect(r.code, args.join(" ")).toBe(0);
    }
    // Writes that keep dependsOn get a warning naming the old problem. (Checked on a missing dependency:
    // the sandbox writes Warning headers as latin1, so client-go drops the cycle warning's "→" as
    // invalid UTF-8; kube-apiserver sends UTF-8.)
    const labelled = await run(["label", "helmrelease", "orphan", "-n", "legacy", "tier=cache"]);
    expect(labelled.code).toBe(0);
    expect(labelled.stderr).toContain("Warning: HelmRelease legacy/ghost does not exist");
    // A change to dependsOn that adds a new problem is still denied there.
    const worse = await apply({ name: "orphan", namespace: "legacy", dependsOn: [{ name: "orphan" }] });
    expect(worse.stderr).toContain("legacy/orphan depends on itself");
  });

  it("denies deleting a release others need (delete protection deny), warning who is blocked", async () => {
    const r = await run(["delete", "helmrelease", "redis", "-n", "default", "--wait=false"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("default/redis is still needed (default/backend depends on default/redis)");
  });

  it("lets a namespace deletion complete under delete protection, dependents and all", async () => {
    await namespace("doomed");
    await apply({ name: "redis", namespace: "doomed" });
    await apply({ name: "backend", namespace: "doomed", dependsOn: [{ name: "redis" }] });
    const r = await run(["delete", "namespace", "doomed", "--timeout=20s"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const gone = await run(["get", "namespace", "doomed"]);
    expect(gone.stderr).toMatch(/NotFound/);
  });

  it("is answered by both replicas", () => {
    expect(replicas[0]!.answered).toBeGreaterThan(3);
    expect(replicas[1]!.answered).toBeGreaterThan(3);
  });
});

describe("the GitOps batch, as Flux's kustomize-controller applies it (fluxcd/pkg ssa.ApplyAll)", () => {
  const fieldManager = setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply);

  /**
   * Server-side dry-run of every object (dryRun=All), aborting on the first error as ApplyAll does, then
   * a server-side apply of each in sorted order (Flux sorts a batch by kind, then namespace/name).
   */
  async function applyAll(objects: Record<string, unknown>[]): Promise<{ stage: "dry-run" | "apply" | "done"; error?: string }> {
    const api = sandbox.kubeConfig().makeApiClient(CustomObjectsApi);
    const call = (object: Record<string, unknown>, dryRun: boolean) => {
      const meta = object.metadata as { name: string; namespace: string };
      return api.patchNamespacedCustomObject(
        {
          group: "helm.toolkit.fluxcd.io",
          version: "v2",
          plural: "helmreleases",
          namespace: meta.namespace,
          name: meta.name,
          body: object,
          fieldManager: "kustomize-controller",
          force: true,
          ...(dryRun ? { dryRun: "All" } : {}),
        },
        fieldManager,
      );
    };
    const sorted = [...objects].sort((a, b) => {
      const ka = `${(a.metadata as { namespace: string }).namespace}/${(a.metadata as { name: string }).name}`;
      const kb = `${(b.metadata as { namespace: string }).namespace}/${(b.metadata as { name: string }).name}`;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
    for (const object of sorted) {
      try {
        await call(object, true);
      } catch (error) {
        return { stage: "dry-run", error: String((error as { body?: unknown }).body ?? error) };
      }
    }
    for (const object of sorted) {
      try {
        await call(object, false);
      } catch (error) {
        return { stage: "apply", error: String((error as { body?: unknown }).body ?? error) };
      }
    }
    return { stage: "done" };
  }

  it("converges on the first pass for a batch adding backend and redis together, across two replicas", async () => {
    await namespace("gitops");
    const before = replicas.map((r) => r.answered);
    const result = await applyAll([
      fluxManifest({ name: "backend", namespace: "gitops", dependsOn: [{ name: "redis" }] }),
      fluxManifest({ name: "redis", namespace: "gitops" }),
    ]);
    expect(result).toEqual({ stage: "done" });
    const got = await run(["get", "helmreleases", "-n", "gitops", "-o", "name"]);
    expect(got.stdout.trim().split("\n").sort()).toEqual(["helmrelease.helm.toolkit.fluxcd.io/backend", "helmrelease.helm.toolkit.fluxcd.io/redis"]);
    // Four reviews, spread over both replicas: a dry-run and its apply met different replicas.
    expect(replicas.map((r, i) => r.answered - before[i]!)).toEqual([2, 2]);
  });

  it("converges even when no announcement arrives: the replica about to deny asks its peer", async () => {
    await namespace("gitops-ask");
    for (const r of replicas) r.peers.stop();
    try {
      const result = await applyAll([
        fluxManifest({ name: "backend", namespace: "gitops-ask", dependsOn: [{ name: "redis" }] }),
        fluxManifest({ name: "redis", namespace: "gitops-ask" }),
      ]);
      expect(result).toEqual({ stage: "done" });
      // One replica learned redis from the other only by asking.
      expect(replicas.some((r) => r.pending.get("HelmRelease", "gitops-ask/redis")?.origin === "peer")).toBe(true);
    } finally {
      for (const r of replicas) r.peers.start();
    }
  });

  it("denies a batch that adds a cycle at its dry-run, before anything is applied", async () => {
    await namespace("gitops-cycle");
    const result = await applyAll([
      fluxManifest({ name: "backend", namespace: "gitops-cycle", dependsOn: [{ name: "redis" }] }),
      fluxManifest({ name: "redis", namespace: "gitops-cycle", dependsOn: [{ name: "backend" }] }),
    ]);
    expect(result.stage).toBe("dry-run");
    expect(result.error).toContain("dependency cycle gitops-cycle/redis → gitops-cycle/backend → gitops-cycle/redis");
    const got = await run(["get", "helmreleases", "-n", "gitops-cycle", "-o", "name"]);
    expect(got.stdout.trim()).toBe("");
  });
});
