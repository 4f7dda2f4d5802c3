// The sandbox entry point: an in-memory Kubernetes API over HTTPS with its own CA, for tests and for
// `releasegate sandbox`. Wires the store, registry, namespace controller and HTTP handler together and
// offers fault injection (dropped watches, expired history, latency, restarts).
import { writeFile } from "node:fs/promises";
import { createServer } from "node:https";
import type { Server } from "node:https";
import type { Socket } from "node:net";
import type { KubeConfig } from "@kubernetes/client-node";
import type { ServiceResolver } from "./admission.js";
import { createHandler } from "./http-server.js";
import type { AuditEntry } from "./http-server.js";
import { withRbacAuthorization } from "./rbac-authorizer.js";
import type { AuthorizationMode } from "./rbac-authorizer.js";
import { kubeConfigFor, kubeconfigYaml } from "./kubeconfig.js";
import { NamespaceLifecycle } from "./namespace-lifecycle.js";
import { Registry } from "./registry.js";
import { crdSchema, useCrds, useCrossKindDependsOn } from "./crd-schemas.js";
import { RESOURCES, findResourceByKind } from "./resources.js";
import { isRecord } from "./json.js";
import type { JsonObject } from "./json.js";
import { readState, writeState, writeStateSync } from "./state-file.js";
import type { SandboxState } from "./state-file.js";
import { StatusError } from "./status.js";
import { generateSandboxCa, generateSandboxClient, generateSandboxServing } from "./tls-identity.js";
import type { PemPair } from "./tls-identity.js";
import { ObjectStore } from "./store.js";
import { RequestFaults } from "./request-faults.js";
import type { FaultRule } from "./request-faults.js";
import type { ActiveWatch } from "./watch-stream.js";

export interface SandboxOptions {
  /** Port to listen on; 0 or unset picks a free one. */
  port?: number;
  /** Address to listen on; 127.0.0.1 by default. */
  host?: string;
  /** Objects to store at start (and after a restart that loses state), bypassing admission; status is kept. */
  seed?: unknown[];
  /** Where a webhook's clientConfig.service is reachable (an https:// base URL), for the admission chain. */
  serviceResolver?: ServiceResolver;
  /** Changes kept for watches and consistent lists; older resourceVersions get 410 Expired. Default 10000. */
  historyLimit?: number;
  /** Interval of BOOKMARK events on watches that allow them. Default 60s (kube-apiserver sends about one a minute). */
  bookmarkIntervalMs?: number;
  /** Bearer token of the kubeconfig this sandbox writes; the token is the user name. Default "sandbox-admin". */
  token?: string;
  /**
   * "AlwaysAllow" (default): every authenticated request is allowed. "RBAC": requests are authorized like
   * kube-apiserver's RBAC authorizer against the stored Roles, ClusterRoles and bindings; the admin token
   * is system:masters, and the token `system:serviceaccount:<ns>:<name>` is that ServiceAccount (while it
   * exists). See rbac-authorizer.ts.
   */
  authorization?: AuthorizationMode;
  /**
   * Keeps objects and TLS material in this file, so a sandbox started again with the same file (and port)
   * is the same API server restarted, even in a new process. Loaded at start (instead of the seed when it
   * exists), saved shortly after every change and on close.
   */
  stateFile?: string;
  /**
   * CustomResourceDefinition documents whose schemas replace the sandbox's own structural ones for the
   * resources it serves (`releasegate sandbox --crds PATH`). Process-wide while this sandbox runs.
   */
  crds?: readonly unknown[];
  /**
   * Serve HelmRelease and Kustomization schemas with the Flux RFC's cross-kind dependsOn fields (`apiVersion`,
   * `kind`, `ready` on entries; fluxcd/flux2 PR 5988), as a Flux release shipping the RFC would; the simulated
   * controllers then run the RFC's check. Process-wide while this sandbox runs.
   */
  fluxCrdCrossKind?: boolean;
}

export interface SandboxFaults {
  /** Ends every open watch ("end": the stream closes cleanly, as on an apiserver shutdown; "reset": the connection breaks). */
  dropWatches(mode?: "end" | "reset"): void;
  /** Forgets change history: the next watch or consistent list from an older resourceVersion gets 410 Expired. */
  expireHistory(): void;
  /** Delays every response by `ms` milliseconds (0 turns it off). */
  setLatency(ms: number): void;
  /** Answers a share of requests (or all, for a window) with 429 + Retry-After, a 5xx, or a reset (request-faults.ts). */
  failRequests(rule: FaultRule): void;
  /** Ends every failRequests rule. */
  clearRequestFaults(): void;
  /** Requests answered with an injected fault so far. */
  readonly injectedFaults: number;
}

export interface Sandbox {
  /** https://127.0.0.1:PORT */
  readonly url: string;
  /** The CA that signed the serving certificate (PEM). */
  readonly caPem: string;
  /** Seed objects that were skipped, with the reason (unserved kinds such as HelmRepository), and CRDs not used. */
  readonly seedWarnings: readonly string[];
  /** A KubeConfig for client-node: the sandbox cluster with its CA and a bearer-token user. */
  kubeConfig(token?: string): KubeConfig;
  /** Writes the same kubeconfig as YAML, for kubectl --kubeconfig. */
  writeKubeconfig(file: string, token?: string): Promise<void>;
  /** The latest requests (at most 10,000) with who sent them and whom they acted as, oldest first. */
  auditLog(): readonly AuditEntry[];
  /** A client certificate the sandbox accepts as `user` in `groups` (CN and O, signed by its CA). */
  clientCertificate(user: string, groups?: readonly string[]): PemPair;
  readonly faults: SandboxFaults;
  /** Closes every connection and listens again on the same port; state is lost unless keepState. */
  restart(options?: { keepState?: boolean }): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

/** Flattens `kind: List` documents and drops empty YAML documents. */
function flattenSeed(objects: readonly unknown[]): unknown[] {
  return objects.flatMap((o) => (isRecord(o) && typeof o.kind === "string" && o.kind.endsWith("List") && Array.isArray(o.items) ? flattenSeed(o.items) : o === null || o === undefined ? [] : [o]));
}

function seedStore(registry: Registry, seed: readonly unknown[]): string[] {
  const warnings: string[] = [];
  const nsDef = RESOURCES.find((r) => r.storage === "namespaces");
  if (nsDef) for (const name of DEFAULT_NAMESPACES) registry.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name } }, nsDef, "v1");
  // Every custom resource served has its CustomResourceDefinition object, Established, as in a real cluster.
  const crdDef = RESOURCES.find((r) => r.storage === "customresourcedefinitions");
  if (crdDef) for (const def of RESOURCES.filter((r) => r.custom)) registry.seed(crdObject(def), crdDef, "v1");
  const objects = flattenSeed(seed);
  // Namespaces first, so objects land in namespaces with the labels the seed gives them.
  const ordered = [...objects.filter((o) => isRecord(o) && o.kind === "Namespace"), ...objects.filter((o) => !(isRecord(o) && o.kind === "Namespace"))];
  for (const object of ordered) {
    if (!isRecord(object) || typeof object.apiVersion !== "string" || typeof object.kind !== "string") {
      warnings.push("seed: skipped a document without apiVersion and kind");
      continue;
    }
    const name = isRecord(object.metadata) ? String(object.metadata.name ?? "") : "";
    const found = findResourceByKind(object.apiVersion, object.kind);
    if (!found) {
      warnings.push(`seed: skipped ${object.kind} ${name} (${object.apiVersion} is not served by the sandbox)`);
      continue;
    }
    try {
      registry.seed(structuredClone(object), found.def, found.version);
    } catch (err) {
      if (err instanceof StatusError) warnings.push(`seed: skipped ${object.kind} ${name}: ${err.message}`);
      else throw err;
    }
  }
  return warnings;
}

/** The CustomResourceDefinition object of a served custom resource (names, scope, versions; Established). */
function crdObject(def: (typeof RESOURCES)[number]): JsonObject {
  const condition = (type: string, reason: string): JsonObject => ({ type, status: "True", reason, message: "", lastTransitionTime: "2024-01-01T00:00:00Z" });
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${def.resource}.${def.group}` },
    spec: {
      group: def.group,
      names: { kind: def.kind, plural: def.resource, singular: def.singular, shortNames: [...def.shortNames], categories: [...def.categories] },
      scope: def.namespaced ? "Namespaced" : "Cluster",
      // With each version's schema, as a real API server serves a CRD (what releasegate reads the Flux RFC's fields from).
      versions: def.versions.map((name, i) => {
        const schema = crdSchema(def, name);
        return { name, served: true, storage: i === 0, ...(schema ? { schema: { openAPIV3Schema: structuredClone(schema) } } : {}) };
      }),
    },
    status: {
      acceptedNames: { kind: def.kind, plural: def.resource },
      storedVersions: [def.versions[0]!],
      conditions: [condition("NamesAccepted", "NoConflicts"), condition("Established", "InitialNamesAccepted")],
    },
  };
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? "127.0.0.1";
  const token = options.token ?? "sandbox-admin";
  const saved = options.stateFile ? readState(options.stateFile) : undefined;
  const ca = saved?.ca ?? generateSandboxCa("releasegate-sandbox-ca");
  const serving =
    saved?.serving ??
    generateSandboxServing(ca, "releasegate-sandbox", ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"], [
      ...new Set(["127.0.0.1", host === "0.0.0.0" ? "127.0.0.1" : host]),
    ]);
  const crds = useCrds(options.crds ?? [], (storage) => RESOURCES.some((r) => r.storage === storage));
  const restoreCrossKind = useCrossKindDependsOn(options.fluxCrdCrossKind === true);
  const crdWarnings = [...crds.problems.map((p) => `crds: skipped a document: ${p}`), ...crds.unserved.map((s) => `crds: ${s} is not served by the sandbox; its CRD is not used`)];
  const store = new ObjectStore(options.historyLimit ?? 10_000);
  const registryOptions = options.serviceResolver ? { serviceResolver: options.serviceResolver } : {};
  const registry = new Registry(store, registryOptions);
  let seedWarnings: string[] = [];
  if (saved) store.restore(saved.store);
  else seedWarnings = seedStore(registry, options.seed ?? []);
  seedWarnings = [...crdWarnings, ...seedWarnings];

  const stateFile = options.stateFile;
  const currentState = (): SandboxState => ({ version: 1, ca: { certPem: ca.certPem, keyPem: ca.keyPem }, serving, store: store.snapshot() });
  let saveTimer: NodeJS.Timeout | undefined;
  let saving: Promise<void> = Promise.resolve();
  const stopSaving = stateFile
    ? store.onChange(() => {
        saveTimer ??= setTimeout(() => {
          saveTimer = undefined;
          saving = saving.then(() => writeState(stateFile, currentState())).catch(() => undefined);
        }, 50);
      })
    : () => undefined;
  if (stateFile) writeStateSync(stateFile, currentState());
  const namespaces = new NamespaceLifecycle(store, registry);
  namespaces.start();

  const watches = new Set<ActiveWatch>();
  const requestFaults = new RequestFaults();
  const audit: AuditEntry[] = [];
  let latencyMs = 0;
  let port = options.port ?? 0;
  const sockets = new Set<Socket>();
  const apiHandler = createHandler({
    store,
    registry,
    serverAddress: () => `${host}:${port}`,
    latencyMs: () => latencyMs,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000,
    watches,
    faults: requestFaults,
    audit: (entry) => {
      if (audit.length >= 10_000) audit.splice(0, 1000);
      audit.push(entry);
    },
  });
  const handler = options.authorization === "RBAC" ? withRbacAuthorization(apiHandler, { store, adminToken: token }) : apiHandler;

  let server: Server;
  const listen = async (): Promise<void> => {
    // Client certificates the sandbox's CA signed authenticate as their CN (impersonation.ts); others
    // are let through the handshake and ignored, as kube-apiserver does with --client-ca-file.
    server = createServer({ key: serving.keyPem, cert: serving.certPem, requestCert: true, rejectUnauthorized: false, ca: [ca.certPem] }, handler);
    // Long-lived watches must not be cut by Node's request timeouts; idle keep-alive outlives Go's 90s.
    server.requestTimeout = 0;
    server.keepAliveTimeout = 95_000;
    server.headersTimeout = 96_000;
    // Raw TCP connections, so that a restart also cuts those still in their TLS handshake.
    server.on("connection", (socket: Socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        const address = server.address();
        if (address && typeof address === "object") port = address.port;
        resolve();
      });
    });
  };
  const shutdown = async (): Promise<void> => {
    for (const w of [...watches]) w.end("reset");
    watches.clear();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await closed;
  };
  await listen();

  const urlHost = host === "0.0.0.0" ? "127.0.0.1" : host;
  const url = `https://${urlHost}:${port}`;
  const caPem = ca.certPem;
  return {
    url,
    caPem,
    get seedWarnings() {
      return seedWarnings;
    },
    kubeConfig: (t = token) => kubeConfigFor({ url, caPem, token: t }),
    writeKubeconfig: async (file, t = token) => writeFile(file, kubeconfigYaml({ url, caPem, token: t }), { mode: 0o600 }),
    clientCertificate: (user, groups = []) => generateSandboxClient(ca, user, groups),
    auditLog: () => [...audit],
    faults: {
      dropWatches: (mode = "end") => {
        for (const w of [...watches]) w.end(mode);
        watches.clear();
      },
      expireHistory: () => store.compact(),
      setLatency: (ms) => {
        latencyMs = Math.max(0, ms);
      },
      failRequests: (rule) => requestFaults.add(rule),
      clearRequestFaults: () => requestFaults.clear(),
      get injectedFaults() {
        return requestFaults.injected;
      },
    },
    restart: async (restartOptions = {}) => {
      await shutdown();
      if (!restartOptions.keepState) {
        namespaces.stop();
        store.restore(undefined);
        seedWarnings = seedStore(registry, options.seed ?? []);
        namespaces.start();
      }
      await listen();
    },
    close: async () => {
      namespaces.stop();
      stopSaving();
      if (saveTimer) clearTimeout(saveTimer);
      await saving;
      if (stateFile) writeStateSync(stateFile, currentState());
      await shutdown();
      crds.restore();
      restoreCrossKind();
    },
  };
}
