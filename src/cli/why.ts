// `releasegate why KIND/NAMESPACE/NAME`: the chain from one object to its root cause, each step with
// its state and the words of the Events (docs: README, releasegate why). From the live cluster of
// the kubeconfig (listed once, through the same caches and decoder as serve), or from files with
// --from PATH (or PATH... after the object), read as `check` reads them.
// Exit 0: the gate is open; 1: it is blocked; 2: bad usage, unreadable input, or no such object.
import { ALL_FLUX_KINDS, FLUX_KIND_INFO } from "../flux/kinds.js";
import { DEFAULT_FLUX_FEATURE_GATES, parseFluxFeatureGates, setFluxFeatureGates } from "../graph/feature-gates.js";
import type { Keep } from "../graph/field-paths.js";
import type { FluxKind, FluxObject } from "../graph/types.js";
import { readManifests } from "../manifests/index.js";
import { snapshotOfObjects } from "../ui/graph-nodes.js";
import { nodeId } from "../ui/graph-snapshot.js";
import type { GraphSnapshot } from "../ui/graph-snapshot.js";
import { renderChain, whyChain } from "../ui/why-chain.js";
import { parseCommandLine, UsageError } from "./args.js";
import type { CommandIo } from "./io.js";

export const whyUsage = `Usage: releasegate why [options] KIND/NAMESPACE/NAME [PATH...]

Shows why an object's gate is blocked: the chain from it to its root cause, one line per object with
its state and message. KIND is HelmRelease (hr), Kustomization (ks) or ResourceSet (rset), in any
case.

Reads the live cluster of the kubeconfig, or the manifests under PATH (files, folders or -) when
given, as 'releasegate check' reads them.

Options:
  --from PATH                 read manifests from PATH instead of the cluster (repeatable)
  --kubeconfig FILE           kubeconfig to use (default: $KUBECONFIG, ~/.kube/config)
  --default-namespace NAME    namespace of manifests that name none (default "default")
  --timeout DUR               longest wait for the cluster's lists, in seconds (default 20)
  --flux-feature-gates A=true Flux's --feature-gates as set on helm-controller and kustomize-controller
  -h, --help                  show this help

Exit status: 0 the gate is open, 1 it is blocked, 2 bad usage, unreadable input or no such object.`;

/** The short names kubectl knows the Flux kinds by. */
const SHORT_NAMES: Readonly<Record<FluxKind, string>> = { HelmRelease: "hr", Kustomization: "ks", ResourceSet: "rset" };

/** A kind by its name, plural or short name, in any case: every kind of the one table (flux/kinds.ts). */
const KIND_NAMES: ReadonlyMap<string, FluxKind> = new Map(
  ALL_FLUX_KINDS.flatMap((kind) => [kind.toLowerCase(), FLUX_KIND_INFO[kind].resource, SHORT_NAMES[kind]].map((name): [string, FluxKind] => [name, kind])),
);

export function parseTarget(text: string): { kind: FluxKind; namespace: string; name: string } {
  const parts = text.split("/");
  const kind = KIND_NAMES.get((parts[0] ?? "").toLowerCase());
  if (parts.length !== 3 || kind === undefined || parts[1] === "" || parts[2] === "") {
    throw new UsageError(`"${text}" is not KIND/NAMESPACE/NAME (e.g. HelmRelease/default/backend)`);
  }
  return { kind, namespace: parts[1]!, name: parts[2]! };
}

/** Every Flux object of the cluster, listed once through serve's caches. */
async function clusterObjects(kubeconfig: string | undefined, timeoutMs: number): Promise<FluxObject[]> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const { ObjectCache } = await import("../cluster/object-cache.js");
  const { discoverServedVersions, FLUX_KINDS } = await import("../cluster/resources.js");
  const { describeError } = await import("../runtime/api-error.js");
  const kc = new KubeConfig();
  try {
    if (kubeconfig !== undefined) kc.loadFromFile(kubeconfig);
    else kc.loadFromDefault();
  } catch (error) {
    throw new UsageError(`cannot read the kubeconfig: ${describeError(error)}`);
  }
  const where = kc.getCurrentCluster()?.server ?? "the cluster";
  let served;
  try {
    served = await discoverServedVersions(kc);
  } catch (error) {
    throw new UsageError(`cannot reach the Kubernetes API at ${where}: ${describeError(error)}; check the kubeconfig, or read files with --from PATH`);
  }
  const { fluxCodec } = await import("../cluster/object-cache.js");
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
  const objects = await list();
  // A readyExpr reads fields of its dependencies that a plain list does not keep: list once more, keeping them.
  const demand = new FieldDemand();
  let more = false;
  for (const object of objects) if (demand.update(nodeOf(object), object).length > 0) more = true;
  return more ? list((kind, namespace, name) => demand.decodeKeep(nodeKey(kind, namespace, name))) : objects;
}

export async function runWhy(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandLine(
    argv,
    {
      from: { type: "string", multiple: true },
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
  const target = parseTarget(targetText);
  const files = [...(values.from ?? []), ...paths];
  const timeoutSeconds = values.timeout === undefined ? 20 : Number(values.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new UsageError(`--timeout "${values.timeout}" is not a positive number of seconds`);

  let snapshot: GraphSnapshot;
  if (files.length > 0) {
    const objects = await readManifests(files, { defaultNamespace: values["default-namespace"] ?? "default", stdin: io.stdin });
    snapshot = snapshotOfObjects(objects, "files");
  } else {
    snapshot = snapshotOfObjects(await clusterObjects(values.kubeconfig, timeoutSeconds * 1000), "cluster");
  }
  const id = nodeId(target.kind, target.namespace, target.name);
  const chain = whyChain(snapshot, id);
  const node = snapshot.nodes.find((n) => n.id === id);
  if (chain === undefined || node === undefined || node.ghost === true) {
    const where = files.length > 0 ? `under ${files.join(", ")}` : "in the cluster";
    io.stderr(`releasegate why: ${target.kind} ${target.namespace}/${target.name} not found ${where}\n`);
    return 2;
  }
  io.stdout(renderChain(chain));
  return node.state === "blocked" ? 1 : 0;
}
