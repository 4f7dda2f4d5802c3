// `releasegate why KIND/NAMESPACE/NAME` (or `KIND/NAME -n NS`): the chain from one object to its root
// cause, each step with its state and the words of the Events (docs: README, releasegate why). From the
// live cluster of the kubeconfig (listed once, through the same caches and decoder as serve; the
// namespace defaults to the kubeconfig context's, as kubectl's does), or from files with --from PATH
// (or PATH... after the object), read cluster by cluster as `check` reads them: files carry no status,
// so there only the structure can block (a cycle, a missing dependency) and otherwise the chain of
// dependencies is shown.
// Exit 0: the gate is open (from files: nothing in the structure blocks it); 1: it is blocked; 2: bad
// usage, unreadable input, or no such object.
import { ALL_FLUX_KINDS, FLUX_KIND_INFO } from "../flux/kinds.js";
import { DEFAULT_FLUX_FEATURE_GATES, parseFluxFeatureGates, setFluxFeatureGates } from "../graph/feature-gates.js";
import type { Keep } from "../graph/field-paths.js";
import type { ExternalObjects } from "../graph/external-objects.js";
import type { FluxKind, FluxObject } from "../graph/types.js";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { readRepository } from "../manifests/index.js";
import { snapshotOfObjects } from "../ui/graph-nodes.js";
import { nodeId } from "../ui/graph-snapshot.js";
import type { Connected } from "../kube/connect.js";
import type { KubeClient } from "../kube/kube-client.js";
import { dependencyTree, renderChain, whyChain } from "../ui/why-chain.js";
import { parseCommandLine, UsageError } from "./args.js";
import type { CommandIo } from "./io.js";
import { clusterView } from "./repository-view.js";

export const whyUsage = `Usage: releasegate why [options] KIND/NAMESPACE/NAME [PATH...]
       releasegate why [options] KIND/NAME [-n NAMESPACE] [PATH...]

Shows why an object's gate is blocked: the chain from it to its root cause, one line per object with
its state and message. KIND is HelmRelease (hr), Kustomization (ks) or ResourceSet (rset), in any
case.

Reads the live cluster of the kubeconfig (with the objects of other kinds ResourceSets depend on, as
far as the kubeconfig may read them), or the manifests under PATH (files, folders or -) when
given, cluster by cluster as 'releasegate check' reads them. Files carry no status: from them, only a
cycle or a missing dependency blocks an object, and otherwise its chain of dependencies is shown.

Options:
  -n, --namespace NAME        the object's namespace with KIND/NAME (default: the kubeconfig context's,
                              else "default"; from files: --default-namespace)
  --cluster NAME              from files: only this cluster (its entry folder, or the folder's last name)
  --from PATH                 read manifests from PATH instead of the cluster (repeatable)
  --kubeconfig FILE           kubeconfig to use (default: $KUBECONFIG, ~/.kube/config)
  --default-namespace NAME    namespace of manifests that name none (default "default")
  --timeout DUR               longest wait for the cluster's lists, in seconds (default 20)
  --flux-feature-gates A=true Flux's --feature-gates as set on helm-controller and kustomize-controller
  -h, --help                  show this help

Exit status: 0 the gate is open (from files: nothing in the structure blocks it), 1 it is blocked,
2 bad usage, unreadable input or no such object.`;

/** The short names kubectl knows the Flux kinds by. */
const SHORT_NAMES: Readonly<Record<FluxKind, string>> = { HelmRelease: "hr", Kustomization: "ks", ResourceSet: "rset" };

/** A kind by its name, plural or short name, in any case: every kind of the one table (flux/kinds.ts). */
const KIND_NAMES: ReadonlyMap<string, FluxKind> = new Map(
  ALL_FLUX_KINDS.flatMap((kind) => [kind.toLowerCase(), FLUX_KIND_INFO[kind].resource, SHORT_NAMES[kind]].map((name): [string, FluxKind] => [name, kind])),
);

/**
 * KIND/NAMESPACE/NAME, or KIND/NAME with the namespace given apart (`-n`, else the default); a
 * namespace both ways must agree, as kubectl's does.
 */
export function parseTarget(text: string, namespace?: { given?: string; fallback: () => string }): { kind: FluxKind; namespace: string; name: string } {
  const parts = text.split("/");
  const kind = KIND_NAMES.get((parts[0] ?? "").toLowerCase());
  const bad = () => new UsageError(`"${text}" is not KIND/NAMESPACE/NAME or KIND/NAME (e.g. HelmRelease/default/backend, or HelmRelease/backend -n default)`);
  if (kind === undefined || parts.some((part) => part === "")) throw bad();
  if (parts.length === 3) {
    if (namespace?.given !== undefined && namespace.given !== parts[1]) {
      throw new UsageError(`"${text}" names namespace ${parts[1]!} but --namespace says ${namespace.given}: give one`);
    }
    return { kind, namespace: parts[1]!, name: parts[2]! };
  }
  if (parts.length !== 2 || namespace === undefined) throw bad();
  return { kind, namespace: namespace.given ?? namespace.fallback(), name: parts[1]! };
}

/** Whether any kubeconfig is there to load, as kubectl looks for one. */
function haveKubeconfig(): boolean {
  const fromEnv = process.env.KUBECONFIG;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv.split(delimiter).some((file) => file !== "" && existsSync(file));
  return existsSync(join(homedir(), ".kube", "config")) || process.env.KUBERNETES_SERVICE_HOST !== undefined;
}

/**
 * The cluster's client through the one kubeconfig loader serve uses too (src/kube/kubeconfig.ts): the
 * same user, proxy and credentials, and the context's namespace; one line when there is no kubeconfig.
 */
async function connectCluster(kubeconfig: string | undefined): Promise<Connected> {
  const { connectKube } = await import("../kube/connect.js");
  const { describeError } = await import("../runtime/api-error.js");
  if (kubeconfig === undefined && !haveKubeconfig()) {
    throw new UsageError("no kubeconfig: set KUBECONFIG or pass --kubeconfig FILE to read a cluster, or read manifests with --from PATH");
  }
  try {
    return await connectKube(kubeconfig !== undefined ? { kubeconfig } : {});
  } catch (error) {
    throw new UsageError(`cannot read the kubeconfig: ${describeError(error)}`);
  }
}

/** Every Flux object of the cluster, listed once through serve's caches. */
async function clusterObjects(kc: KubeClient, timeoutMs: number): Promise<{ objects: FluxObject[]; externals: ExternalObjects }> {
  const { fluxCodec, ObjectCache } = await import("../cluster/object-cache.js");
  const { discoverServedVersions, FLUX_KINDS } = await import("../cluster/resources.js");
  const { describeError } = await import("../runtime/api-error.js");
  const where = kc.server;
  let served;
  try {
    served = await discoverServedVersions(kc);
  } catch (error) {
    throw new UsageError(`cannot reach the Kubernetes API at ${where}: ${describeError(error)}; check the kubeconfig, or read files with --from PATH`);
  }
  // Entries naming other kinds are read as serve reads them: where the served CRDs have the Flux RFC's fields.
  const { discoverCrossKindDependsOn } = await import("../cluster/cross-kind-discovery.js");
  const { setCrossKindDependsOn } = await import("../flux/cross-kind.js");
  setCrossKindDependsOn((await discoverCrossKindDependsOn(kc, timeoutMs)).kinds);
  const { FieldDemand } = await import("../graph/field-demand.js");
  const { nodeKey, nodeOf } = await import("../graph/refs.js");
  const deadline = Date.now() + timeoutMs;
  const list = async (keepFor?: (kind: string, namespace: string, name: string) => Keep | undefined): Promise<FluxObject[]> => {
    const caches = FLUX_KINDS.flatMap((kind) => {
      const version = served[kind].version;
      const codec = fluxCodec(kind, version, keepFor);
      return version === undefined ? [] : [new ObjectCache(kc, { kind, version, codec, pageSize: 500, backoff: { initialMs: 200, maxMs: 1000 } })];
    });
    for (const cache of caches) cache.start();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.all(caches.map((c) => c.synced)),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new UsageError(`no complete list of the Flux objects from ${where} within ${timeoutMs / 1000} s`)), Math.max(0, deadline - Date.now()));
        }),
      ]);
      return caches.flatMap((c) => c.list());
    } finally {
      clearTimeout(timer);
      await Promise.all(caches.map((c) => c.stop()));
    }
  };
  try {
    const listed = await list();
    // A readyExpr reads fields of its dependencies that a plain list does not keep: list once more, keeping them.
    const demand = new FieldDemand();
    let more = false;
    for (const object of listed) if (demand.update(nodeOf(object), object).length > 0) more = true;
    const objects = more ? await list((kind, namespace, name) => demand.decodeKeep(nodeKey(kind, namespace, name))) : listed;
    // Objects of other kinds that entries name (a ConfigMap, a Deployment): read once, judged as serve judges them.
    const { readExternalObjects } = await import("../cluster/external-reads.js");
    const externals = await readExternalObjects(kc, objects, (kind) => demand.keepOfKind(kind), Math.max(1000, deadline - Date.now()));
    return { objects, externals };
  } finally {
    kc.close();
  }
}

export async function runWhy(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandLine(
    argv,
    {
      from: { type: "string", multiple: true },
      namespace: { type: "string", short: "n" },
      cluster: { type: "string" },
      kubeconfig: { type: "string" },
      "default-namespace": { type: "string" },
      timeout: { type: "string" },
      "flux-feature-gates": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    "why",
  );
  try {
    setFluxFeatureGates(values["flux-feature-gates"] === undefined ? DEFAULT_FLUX_FEATURE_GATES : parseFluxFeatureGates(values["flux-feature-gates"]));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) {
    io.stdout(`${whyUsage}\n`);
    return 0;
  }
  const [targetText, ...paths] = positionals;
  if (targetText === undefined) throw new UsageError("no object given: releasegate why KIND/NAMESPACE/NAME [PATH...]");
  const files = [...(values.from ?? []), ...paths];
  const timeoutSeconds = values.timeout === undefined ? 20 : Number(values.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new UsageError(`--timeout "${values.timeout}" is not a positive number of seconds`);
  const defaultNamespace = values["default-namespace"] ?? "default";

  if (files.length > 0) {
    const target = parseTarget(targetText, { ...(values.namespace === undefined ? {} : { given: values.namespace }), fallback: () => defaultNamespace });
    return whyFromFiles(target, files, defaultNamespace, values.cluster, io);
  }
  if (values.cluster !== undefined) throw new UsageError("--cluster chooses a cluster of a repository: give --from PATH");
  // The kubeconfig is read before the target: KIND/NAME takes its context's namespace.
  const connected = await connectCluster(values.kubeconfig);
  const target = parseTarget(targetText, { ...(values.namespace === undefined ? {} : { given: values.namespace }), fallback: () => connected.namespace ?? "default" });
  const read = await clusterObjects(connected.client, timeoutSeconds * 1000);
  const snapshot = snapshotOfObjects(read.objects, "cluster", read.externals);
  const id = nodeId(target.kind, target.namespace, target.name);
  const chain = whyChain(snapshot, id);
  const node = snapshot.nodes.find((n) => n.id === id);
  if (chain === undefined || node === undefined || node.ghost === true) {
    io.stderr(`releasegate why: ${target.kind} ${target.namespace}/${target.name} not found in the cluster\n`);
    return 2;
  }
  io.stdout(renderChain(chain));
  return node.state === "blocked" ? 1 : 0;
}

/**
 * From files: every cluster that defines the object, each as its own graph (the name may mean other
 * objects in another cluster). A structural block shows the chain to its root cause; anything else,
 * the dependencies the object waits for, without a status.
 */
async function whyFromFiles(
  target: { kind: FluxKind; namespace: string; name: string },
  files: string[],
  defaultNamespace: string,
  clusterName: string | undefined,
  io: CommandIo,
): Promise<number> {
  let { clusters } = await readRepository(files, { defaultNamespace, stdin: io.stdin });
  if (clusterName !== undefined) {
    const chosen = clusters.filter((cluster) => cluster.name === clusterName || cluster.name.split("/").pop() === clusterName);
    if (chosen.length === 0) throw new UsageError(`--cluster ${clusterName}: no such cluster; the clusters are ${clusters.map((cluster) => cluster.name).join(", ") || "none"}`);
    clusters = chosen;
  }
  const id = nodeId(target.kind, target.namespace, target.name);
  const found = clusters.flatMap((cluster) => {
    if (!cluster.objects.some((o) => o.kind === target.kind && o.namespace === target.namespace && o.name === target.name)) return [];
    const { snapshot } = clusterView(cluster);
    const node = snapshot.nodes.find((n) => n.id === id);
    return node === undefined ? [] : [{ cluster: cluster.name, snapshot, node }];
  });
  if (found.length === 0) {
    io.stderr(`releasegate why: ${target.kind} ${target.namespace}/${target.name} not found under ${files.join(", ")}\n`);
    return 2;
  }
  let code = 0;
  for (const { cluster, snapshot, node } of found) {
    if (found.length > 1) io.stdout(`cluster ${cluster}:\n`);
    const lines = node.state === "blocked" ? whyChain(snapshot, id) : dependencyTree(snapshot, id);
    io.stdout(renderChain(lines ?? []));
    if (node.state === "blocked") code = 1;
  }
  return code;
}
