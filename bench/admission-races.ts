// Races on the cycle guarantee (docs/behaviour.md, "No window"), through the sandbox's API server calling
// the webhook over HTTPS as kube-apiserver does: two objects made to depend on each other at the same
// instant, by raw merge PATCHes (client-node) and by two `kubectl patch` processes, with one webhook
// replica and with two behind a round-robin Service; and opposite edges added while one replica's
// connection to the API server is stalled. A trial counts a cycle when both objects end up stored
// depending on each other. test/admission-races.test.ts runs a few trials of each; this script runs the
// full counts (`node dist/bench/admission-races.js`, TRIALS=50 STALL_MS=25000 by default).
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { AdmissionGraphs } from "../src/admission/admission-graphs.js";
import { createAdmissionListener } from "../src/admission/app.js";
import { tlsKeyPeerAuthenticator } from "../src/admission/peer-auth.js";
import { PendingBatch } from "../src/admission/pending-batch.js";
import { PendingPeers } from "../src/admission/pending-peers.js";
import type { PeerUrl } from "../src/admission/peer-source.js";
import { DEFAULT_ADMISSION_POLICY } from "../src/admission/policy.js";
import { startAdmissionServer } from "../src/admission/server.js";
import type { AdmissionServer } from "../src/admission/server.js";
import { UnconfirmedEdges } from "../src/admission/unconfirmed-edges.js";
import { generateCertificateAuthority, generateServingCertificate } from "../src/certs/generate.js";
import { parseTlsMaterial } from "../src/certs/tls-material.js";
import type { TlsMaterial } from "../src/certs/tls-material.js";
import type { TlsSource } from "../src/certs/tls-source.js";
import { KindStore } from "../src/cluster/kind-store.js";
import { apiMissingReader } from "../src/cluster/missing-read.js";
import { apiCurrentReader } from "../src/cluster/current-read.js";
import { ObjectCache } from "../src/cluster/object-cache.js";
import { startSandbox } from "../src/sandbox/index.js";
import type { Sandbox } from "../src/sandbox/index.js";
import { startPausableProxy } from "../test/helpers/pausable-proxy.js";
import type { PausableProxy } from "../test/helpers/pausable-proxy.js";

const SERVICE = { namespace: "releasegate", name: "releasegate" };
const HR = { group: "helm.toolkit.fluxcd.io", version: "v2", plural: "helmreleases" } as const;

interface Replica {
  url: PeerUrl;
  server: AdmissionServer;
  caches: ObjectCache[];
  graphs: AdmissionGraphs;
  peers: PendingPeers;
  unconfirmed: UnconfirmedEdges;
}

/** One replica as serve wires it: caches, unconfirmed edges, the edge-adding path's read, peers. */
async function startReplica(kc: KubeConfig, material: TlsMaterial, peerUrls: () => PeerUrl[]): Promise<Replica> {
  const caches = [new ObjectCache(kc, { kind: "HelmRelease" }), new ObjectCache(kc, { kind: "Kustomization" })];
  const graphs = new AdmissionGraphs(caches.map((cache) => new KindStore(cache)));
  for (const cache of caches) cache.start();
  await Promise.all(caches.map((c) => c.synced));
  const pending = new PendingBatch();
  const auth = tlsKeyPeerAuthenticator(() => material);
  const peers = new PendingPeers({ batch: pending, source: { peers: peerUrls }, auth, tls: () => material });
  const unconfirmed = new UnconfirmedEdges();
  const app = createAdmissionListener({
    graphs,
    pending,
    peers,
    peerAuth: auth,
    policy: DEFAULT_ADMISSION_POLICY,
    unconfirmed,
    edgePeers: peers,
    confirmMissing: apiMissingReader(kc, {}),
    confirmCurrent: apiCurrentReader(kc, {}),
  });
  const tls: TlsSource = { current: () => material, notAfter: material.notAfter, onChange: () => () => undefined, start: async () => undefined, stop: async () => undefined };
  const server = await startAdmissionServer(app, tls, { port: 0, host: "127.0.0.1" });
  return { url: `https://127.0.0.1:${server.port}`, server, caches, graphs, peers, unconfirmed };
}

export interface RaceRig {
  sandbox: Sandbox;
  replicas: Replica[];
  /** The first replica's path to the API server. */
  stall: PausableProxy;
  /** "one": every review goes to the first replica; "two": to each in turn. */
  route(mode: "one" | "two"): void;
  /** More peers the first replica announces its edges to (a peer that never answers, in a test). */
  extraPeers: string[];
  kubeconfig: string;
  close(): Promise<void>;
}

export async function startRaceRig(): Promise<RaceRig> {
  const ca = generateCertificateAuthority("releasegate-races-ca");
  const serving = generateServingCertificate(ca, { commonName: "releasegate", dnsNames: ["localhost", `${SERVICE.name}.${SERVICE.namespace}.svc`], ipAddresses: ["127.0.0.1"] });
  const material = parseTlsMaterial({ certPem: serving.certPem, keyPem: serving.keyPem, caPem: ca.certPem }, { cert: "races", key: "races", ca: "races" }, new Date());
  const replicas: Replica[] = [];
  let mode: "one" | "two" = "one";
  let turn = 0;
  const sandbox = await startSandbox({
    serviceResolver: (ref) => {
      if (ref.name !== SERVICE.name || ref.namespace !== SERVICE.namespace) return undefined;
      return mode === "one" ? replicas[0]?.url : replicas[turn++ % replicas.length]?.url;
    },
  });
  const workdir = await mkdtemp(join(tmpdir(), "releasegate-races-"));
  const kubeconfig = join(workdir, "kubeconfig");
  await sandbox.writeKubeconfig(kubeconfig);
  const stall = await startPausableProxy(Number(new URL(sandbox.url).port));
  const direct = sandbox.kubeConfig();
  const viaStall = new KubeConfig();
  viaStall.loadFromOptions({
    clusters: direct.clusters.map((c) => ({ ...c, server: `https://127.0.0.1:${stall.port}` })),
    users: direct.users,
    contexts: direct.contexts,
    currentContext: direct.currentContext,
  });
  const extraPeers: string[] = [];
  const others = (self: number) => () => [...(mode === "one" ? [] : replicas.filter((_, i) => i !== self).map((r) => r.url)), ...(self === 0 ? extraPeers : [])];
  replicas.push(await startReplica(viaStall, material, others(0)));
  replicas.push(await startReplica(direct, material, others(1)));
  await direct.makeApiClient(CustomObjectsApi).createClusterCustomObject({
    group: "admissionregistration.k8s.io",
    version: "v1",
    plural: "validatingwebhookconfigurations",
    body: {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingWebhookConfiguration",
      metadata: { name: "releasegate" },
      webhooks: [
        {
          name: "dependencies.releasegate.io",
          admissionReviewVersions: ["v1"],
          sideEffects: "None",
          failurePolicy: "Fail",
          timeoutSeconds: 5,
          clientConfig: { service: { ...SERVICE, path: "/validate", port: 443 }, caBundle: Buffer.from(ca.certPem).toString("base64") },
          rules: [{ apiGroups: ["helm.toolkit.fluxcd.io"], apiVersions: ["*"], resources: ["helmreleases"], operations: ["CREATE", "UPDATE", "DELETE"], scope: "Namespaced" }],
        },
      ],
    },
  });
  return {
    sandbox,
    replicas,
    stall,
    kubeconfig,
    extraPeers,
    route: (m) => void (mode = m),
    close: async () => {
      stall.resume();
      for (const r of replicas) {
        r.peers.stop();
        await Promise.all(r.caches.map((c) => c.stop()));
        await r.server.close();
      }
      await stall.close();
      await sandbox.close();
      await rm(workdir, { recursive: true, force: true });
    },
  };
}

function helmRelease(name: string): Record<string, unknown> {
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name, namespace: "default" },
    spec: { interval: "10m", chart: { spec: { chart: name, sourceRef: { kind: "HelmRepository", name: "charts" } } } },
  };
}

/** How the two writes of a trial ended: "ok" stored, "denied" by the webhook, "error" (a 503 or other failure). */
export type WriteOutcome = "ok" | "denied" | "error";

export interface TrialTally {
  trials: number;
  cycles: number;
  /** How many writes ended each way. */
  writes: Record<WriteOutcome, number>;
}

function outcomeOf(result: PromiseSettledResult<unknown>): WriteOutcome {
  if (result.status === "fulfilled") return "ok";
  const text = String((result.reason as { body?: unknown; message?: unknown })?.body ?? (result.reason as Error)?.message ?? result.reason);
  if (process.env.RACE_DEBUG) console.log(text.slice(0, 300));
  return /denied the request|dependency cycle/.test(text) ? "denied" : "error";
}

function kubectlPatch(rig: RaceRig, name: string, dependency: string): Promise<void> {
  const kubectl = process.env.KUBECTL ?? "/usr/bin/kubectl";
  const patch = JSON.stringify({ spec: { dependsOn: [{ name: dependency }] } });
  return new Promise((resolve, reject) => {
    execFile(kubectl, ["--kubeconfig", rig.kubeconfig, "patch", "helmrelease", name, "-n", "default", "--type", "merge", "-p", patch], { timeout: 20_000 }, (error, _out, stderr) =>
      error === null ? resolve() : reject(new Error(stderr || error.message)),
    );
  });
}

export function kubectlAvailable(): boolean {
  return existsSync(process.env.KUBECTL ?? "/usr/bin/kubectl");
}

async function dependsOnNames(api: CustomObjectsApi, name: string): Promise<string[]> {
  const object = (await api.getNamespacedCustomObject({ ...HR, namespace: "default", name })) as { spec?: { dependsOn?: Array<{ name: string }> } };
  return (object.spec?.dependsOn ?? []).map((d) => d.name);
}

/**
 * `trials` times: two new objects, then each made to depend on the other at once (by raw PATCHes, or by
 * two kubectl processes for every `kubectlEvery`-th trial). Counts the trials that stored a cycle.
 */
export async function runTrials(rig: RaceRig, options: { mode: "one" | "two"; trials: number; kubectlEvery?: number; prefix: string }): Promise<TrialTally> {
  rig.route(options.mode);
  const api = rig.sandbox.kubeConfig().makeApiClient(CustomObjectsApi);
  const tally: TrialTally = { trials: 0, cycles: 0, writes: { ok: 0, denied: 0, error: 0 } };
  const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
  for (let i = 0; i < options.trials; i++) {
    const a = `${options.prefix}${i}a`;
    const b = `${options.prefix}${i}b`;
    await api.createNamespacedCustomObject({ ...HR, namespace: "default", body: helmRelease(a) });
    await api.createNamespacedCustomObject({ ...HR, namespace: "default", body: helmRelease(b) });
    const viaKubectl = options.kubectlEvery !== undefined && i % options.kubectlEvery === 0 && kubectlAvailable();
    const edge = (from: string, to: string): Promise<unknown> =>
      viaKubectl
        ? kubectlPatch(rig, from, to)
        : api.patchNamespacedCustomObject({ ...HR, namespace: "default", name: from, body: { spec: { dependsOn: [{ name: to }] } } }, merge);
    const results = await Promise.allSettled([edge(a, b), edge(b, a)]);
    for (const r of results) tally.writes[outcomeOf(r)]++;
    const [aDeps, bDeps] = await Promise.all([dependsOnNames(api, a), dependsOnNames(api, b)]);
    if (aDeps.includes(b) && bDeps.includes(a)) tally.cycles++;
    tally.trials++;
  }
  return tally;
}

/**
 * The first replica's path to the API server stalls for `stallMs`; meanwhile (reviews all going to it)
 * `x → y` is added at +1.0 s and `y → x` at +2.5 s, straight through the API server. Whether a cycle got
 * stored, once the path is back, and how each write ended.
 */
export async function runStall(rig: RaceRig, options: { stallMs: number; prefix: string }): Promise<{ cycle: boolean; writes: WriteOutcome[]; afterwards: WriteOutcome }> {
  rig.route("one");
  const api = rig.sandbox.kubeConfig().makeApiClient(CustomObjectsApi);
  const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
  const x = `${options.prefix}x`;
  const y = `${options.prefix}y`;
  await api.createNamespacedCustomObject({ ...HR, namespace: "default", body: helmRelease(x) });
  await api.createNamespacedCustomObject({ ...HR, namespace: "default", body: helmRelease(y) });
  const patch = (from: string, to: string): Promise<WriteOutcome> =>
    Promise.allSettled([api.patchNamespacedCustomObject({ ...HR, namespace: "default", name: from, body: { spec: { dependsOn: [{ name: to }] } } }, merge)]).then(([r]) => outcomeOf(r!));
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  // The replica has seen both objects before its path stalls (as in a cluster where they exist).
  const graph = rig.replicas[0]!.graphs.graph("HelmRelease");
  for (const deadline = Date.now() + 10_000; !(graph.has(`HelmRelease/default/${x}`) && graph.has(`HelmRelease/default/${y}`)); ) {
    if (Date.now() > deadline) throw new Error("the replica never saw the stall trial's objects");
    await sleep(10);
  }
  rig.stall.pause();
  const started = Date.now();
  await sleep(1000);
  const first = patch(x, y);
  await sleep(Math.max(0, started + 2500 - Date.now()));
  const second = patch(y, x);
  const writes = await Promise.all([first, second]);
  await sleep(Math.max(0, started + options.stallMs - Date.now()));
  rig.stall.resume();
  const [xDeps, yDeps] = await Promise.all([dependsOnNames(api, x), dependsOnNames(api, y)]);
  // Once the path is back, an edge is allowed again (the webhook is not stuck failing closed).
  let afterwards: WriteOutcome = "error";
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const z = `${options.prefix}z`;
    afterwards = outcomeOf((await Promise.allSettled([api.createNamespacedCustomObject({ ...HR, namespace: "default", body: { ...helmRelease(z), spec: { ...(helmRelease(z).spec as object), dependsOn: [{ name: x }] } } })]))[0]!);
    if (afterwards === "ok") break;
    await sleep(200);
  }
  return { cycle: xDeps.includes(y) && yDeps.includes(x), writes, afterwards };
}

async function main(): Promise<void> {
  const trials = Number(process.env.TRIALS ?? 50);
  const stallMs = Number(process.env.STALL_MS ?? 25_000);
  const rig = await startRaceRig();
  try {
    for (const mode of ["one", "two"] as const) {
      const started = Date.now();
      const tally = await runTrials(rig, { mode, trials, kubectlEvery: 5, prefix: `r${mode}` });
      console.log(
        `${mode === "one" ? "one replica " : "two replicas"}: ${tally.cycles} cycles in ${tally.trials} trials (every 5th by two kubectl processes); writes stored ${tally.writes.ok}, denied ${tally.writes.denied}, failed closed ${tally.writes.error}; ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    }
    const stall = await runStall(rig, { stallMs, prefix: "stall" });
    console.log(`stall of ${stallMs / 1000} s: cycle stored: ${stall.cycle ? "YES" : "no"}; x → y at +1.0 s: ${stall.writes[0]}, y → x at +2.5 s: ${stall.writes[1]}; an edge after the stall: ${stall.afterwards}`);
  } finally {
    await rig.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
