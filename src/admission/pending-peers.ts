// Sharing the pending batch between webhook replicas (docs/behaviour.md, The pending batch): a dry-run and the
// apply that follows it may reach different replicas, and Flux applies right after its dry-runs.
//
// - Each dry-run recorded here is announced to every peer (`POST /pending`), after the response is sent:
//   never on the request's path.
// - On the deny path only — a dependency missing from the cache and from the local batch — the replica
//   asks its peers (`GET /pending?kind=…&key=…`) before denying, which also covers an announcement still
//   in flight. Allow paths never touch the network.
// - Edges: before answering a review that adds a dependsOn edge, the replica announces the object's new
//   edges to every peer (`POST /edges`); a peer refuses them (409, with the cycle) when they close a cycle
//   with what it holds, else keeps them as unconfirmed (edge-guard.ts). `DELETE /edges?id=…` takes them
//   back when the review was denied after all. A peer that does not answer in time fails the review closed.
// Both go over the webhook's own HTTPS port, authenticated with peer-auth.ts; the peer's server
// certificate is verified against the webhook's CA (pod IPs are not in its SANs, so the chain is what
// identifies a replica, not the host name).
import https from "node:https";
import express from "express";
import type { Request, Response, Router } from "express";
import type { TlsMaterial } from "../certs/tls-material.js";
import type { DependencyEntry, FluxKind, FluxObject, ObjectKey } from "../graph/types.js";
import type { GraphView } from "../graph/dependency-graph.js";
import type { NodeKey } from "../graph/types.js";
import { acceptPeerEdges } from "./edge-guard.js";
import type { EdgePeers, ProposalOutcome } from "./edge-guard.js";
import { PEER_AUTH_HEADER } from "./peer-auth.js";
import type { PeerAuthenticator } from "./peer-auth.js";
import type { PendingBatch, PendingObject } from "./pending-batch.js";
import type { PeerSource, PeerUrl } from "./peer-source.js";
import type { UnconfirmedEdge, UnconfirmedEdges } from "./unconfirmed-edges.js";
import { decodeFluxObject } from "../flux/decode.js";
import { GUARDED_KINDS } from "../flux/kinds.js";
import { isRecord } from "../runtime/json.js";
import { silentLogger } from "../runtime/logger.js";
import type { Logger } from "../runtime/logger.js";

const PENDING_PATH = "/pending";
const EDGES_PATH = "/edges";
const WIRE_API_VERSION = "releasegate.io/v1";

/** One pending object on the wire; TTLs are relative so replicas' clocks need not agree. */
interface PendingWireItem {
  object: { kind: FluxKind; namespace: string; name: string; dependsOn: DependencyEntry[] };
  ttlSeconds: number;
  /** The dry-run's `userInfo.username`: the peer's copy counts for the same user only. */
  username?: string;
}

function toWire(entry: PendingObject, now: number): PendingWireItem {
  return {
    object: { kind: entry.kind, namespace: entry.namespace, name: entry.name, dependsOn: entry.dependsOn },
    ttlSeconds: Math.max(0, (entry.expiresAt - now) / 1000),
    ...(entry.username !== undefined ? { username: entry.username } : {}),
  };
}

const KINDS: readonly FluxKind[] = GUARDED_KINDS;

/** Parses one wire item strictly (peers are authenticated, but a version skew must not crash). */
function parseWireItem(value: unknown): { object: FluxObject; ttlMs: number; username?: string } | undefined {
  if (!isRecord(value) || !isRecord(value.object)) return undefined;
  const { kind, namespace, name, dependsOn } = value.object;
  const ttl = value.ttlSeconds;
  if (typeof kind !== "string" || !(KINDS as readonly string[]).includes(kind)) return undefined;
  if (typeof namespace !== "string" || namespace === "" || typeof name !== "string" || name === "") return undefined;
  if (typeof ttl !== "number" || !Number.isFinite(ttl) || ttl < 0) return undefined;
  if (!Array.isArray(dependsOn)) return undefined;
  // The one decoder reads the entries, as for every other Flux object; any mistake rejects the item.
  let valid = true;
  const decoded = decodeFluxObject(kind as FluxKind, { metadata: { namespace, name }, spec: { dependsOn } }, { onError: () => (valid = false) });
  if (!valid) return undefined;
  const username = typeof value.username === "string" ? value.username : undefined;
  return { object: { kind: decoded.kind, namespace, name, dependsOn: decoded.dependsOn }, ttlMs: ttl * 1000, ...(username !== undefined ? { username } : {}) };
}

interface PendingRoutesOptions {
  batch: PendingBatch;
  auth: PeerAuthenticator;
  /** Serves the peers' edge announcements (POST/DELETE /edges) against this replica's cache. */
  edges?: { unconfirmed: UnconfirmedEdges; cache: () => GraphView };
  now?: () => number;
  logger?: Logger;
}

/** The server side: `POST /pending` (a peer's dry-run) and `GET /pending` (a peer about to deny). */
export function pendingRoutes(options: PendingRoutesOptions): Router {
  const { batch, auth } = options;
  const now = options.now ?? Date.now;
  const log = options.logger ?? silentLogger;
  const router = express.Router();
  const raw = express.raw({ type: () => true, limit: "256kb" });

  const authenticated = (req: Request, res: Response, body: Buffer): boolean => {
    if (auth.verify(req.get(PEER_AUTH_HEADER), req.method, req.originalUrl, body)) return true;
    log.warn({ path: req.path, remote: req.socket.remoteAddress }, "rejected an unauthenticated peer request");
    res.status(401).type("text/plain").send("peer requests must be signed with the webhook's TLS key\n");
    return false;
  };

  /** A peer's signed body of wire kind `kind`, parsed; undefined when the answer (401, 400) is sent already. */
  const signedItem = <T>(req: Request, res: Response, kind: string, parse: (value: Record<string, unknown>) => T | undefined): T | undefined => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!authenticated(req, res, body)) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      res.status(400).type("text/plain").send("body is not JSON\n");
      return undefined;
    }
    const item = isRecord(parsed) && parsed.kind === kind ? parse(parsed) : undefined;
    if (item === undefined) res.status(400).type("text/plain").send(`body is not ${kind === "PendingObject" ? "a PendingObject" : kind}\n`);
    return item;
  };

  router.post(PENDING_PATH, raw, (req, res) => {
    const item = signedItem(req, res, "PendingObject", parseWireItem);
    if (item === undefined) return;
    batch.record(item.object, { origin: "peer", ttlMs: item.ttlMs, username: item.username });
    log.debug({ object: `${item.object.namespace}/${item.object.name}`, kind: item.object.kind }, "pending object learned from a peer");
    res.status(204).end();
  });

  router.get(PENDING_PATH, (req, res) => {
    if (!authenticated(req, res, Buffer.alloc(0))) return;
    const kind = req.query.kind;
    const keys = ([] as unknown[]).concat(req.query.key ?? []);
    if (typeof kind !== "string" || !(KINDS as readonly string[]).includes(kind) || keys.some((k) => typeof k !== "string")) {
      res.status(400).type("text/plain").send(`query must be ?kind=${KINDS.join("|")}&key=ns/name[&key=…]\n`);
      return;
    }
    const t = now();
    const items = (keys as string[])
      .slice(0, 50)
      .map((key) => batch.get(kind as FluxKind, key, t))
      .filter((entry): entry is PendingObject => entry !== undefined)
      .map((entry) => toWire(entry, t));
    res.json({ apiVersion: WIRE_API_VERSION, kind: "PendingObjectList", items });
  });

  const edges = options.edges;
  if (edges !== undefined) {
    router.post(EDGES_PATH, raw, (req, res) => {
      const item = signedItem(req, res, "UnconfirmedEdges", parseEdgesItem);
      if (item === undefined) return;
      const answer = acceptPeerEdges(edges.cache(), edges.unconfirmed, item.object, item.added, item.id, item.ttlMs);
      if (answer.type === "accepted") {
        res.status(204).end();
      } else if (answer.type === "conflict") {
        log.debug({ object: `${item.object.namespace}/${item.object.name}`, kind: item.object.kind }, "refused a peer's edges: they close a cycle with edges held here");
        res.status(409).json({ apiVersion: WIRE_API_VERSION, kind: "EdgeConflict", cycle: answer.cycle });
      } else {
        res.status(503).type("text/plain").send("too many unconfirmed edges held here\n");
      }
    });
    router.delete(EDGES_PATH, (req, res) => {
      if (!authenticated(req, res, Buffer.alloc(0))) return;
      const id = req.query.id;
      if (typeof id !== "string" || id === "") {
        res.status(400).type("text/plain").send("query must be ?id=…\n");
        return;
      }
      edges.unconfirmed.remove(id);
      res.status(204).end();
    });
  }
  return router;
}

/** One edge announcement on the wire (ttlSeconds relative, as for pending objects). */
function edgesToWire(entry: UnconfirmedEdge, added: readonly NodeKey[], now: number): string {
  const { kind, namespace, name, dependsOn } = entry.object;
  return JSON.stringify({ apiVersion: WIRE_API_VERSION, kind: "UnconfirmedEdges", id: entry.id, object: { kind, namespace, name, dependsOn }, added, ttlSeconds: Math.max(0, (entry.expiresAt - now) / 1000) });
}

/** Parses an edge announcement strictly, through the same decoder as a pending object. */
function parseEdgesItem(value: Record<string, unknown>): { id: string; object: FluxObject; added: NodeKey[]; ttlMs: number } | undefined {
  const id = value.id;
  const added = value.added;
  if (typeof id !== "string" || id === "" || id.length > 100) return undefined;
  if (!Array.isArray(added) || added.length > 1000 || added.some((a) => typeof a !== "string")) return undefined;
  const item = parseWireItem(value);
  if (item === undefined) return undefined;
  return { id, object: item.object, added: added as NodeKey[], ttlMs: item.ttlMs };
}

interface PendingPeersOptions {
  batch: PendingBatch;
  source: PeerSource;
  auth: PeerAuthenticator;
  /** The serving certificate now: its CA (or, without one, the certificate itself) verifies peers. */
  tls: () => TlsMaterial | undefined;
  /** Per-peer budget when asking before a denial; well inside the webhook's timeoutSeconds (chart: 5 s). */
  askTimeoutMs?: number;
  announceTimeoutMs?: number;
  /** Per-peer bound on an edge announcement; past it the review fails closed (503). */
  edgeTimeoutMs?: number;
  now?: () => number;
  logger?: Logger;
}

interface PeerResponse {
  status: number;
  body: string;
}

/** The client side: announce local dry-runs, ask peers before denying a missing dependency, announce edges. */
export class PendingPeers implements EdgePeers {
  private readonly now: () => number;
  private readonly log: Logger;
  private agent: { ca: string; agent: https.Agent } | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly options: PendingPeersOptions) {
    this.now = options.now ?? Date.now;
    this.log = options.logger ?? silentLogger;
  }

  /** Announce every locally recorded dry-run from now on. */
  start(): void {
    this.unsubscribe ??= this.options.batch.onRecord((entry) => {
      // After the current response: recording happens while answering the dry-run.
      setImmediate(() => this.announce(entry));
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.agent?.agent.destroy();
    this.agent = undefined;
  }

  /** Sends one pending object to every peer; failures are logged, never thrown. */
  announce(entry: PendingObject): void {
    const body = JSON.stringify({ apiVersion: WIRE_API_VERSION, kind: "PendingObject", ...toWire(entry, this.now()) });
    for (const peer of this.options.source.peers()) {
      this.request(peer, "POST", PENDING_PATH, body, this.options.announceTimeoutMs ?? 2000).then(
        (res) => {
          if (res.status !== 204) this.log.warn({ peer, status: res.status, object: entry.key }, "peer refused a pending object");
        },
        (error: unknown) => this.log.warn({ peer, object: entry.key, err: errorLine(error) }, "announcing a pending object to a peer failed"),
      );
    }
  }

  /**
   * Asks every peer whether any of `keys` is pending; records what they know (as learned from a peer)
   * and returns it. Peers that fail or time out count as knowing nothing.
   */
  async ask(kind: FluxKind, keys: readonly ObjectKey[]): Promise<PendingObject[]> {
    const peers = this.options.source.peers();
    if (peers.length === 0 || keys.length === 0) return [];
    const query = new URLSearchParams([["kind", kind], ...keys.slice(0, 50).map((k): [string, string] => ["key", k])]);
    const path = `${PENDING_PATH}?${query.toString()}`;
    const answers = await Promise.all(
      peers.map((peer) =>
        this.request(peer, "GET", path, "", this.options.askTimeoutMs ?? 1500).then(
          (res) => (res.status === 200 ? res.body : undefined),
          (error: unknown) => {
            this.log.warn({ peer, err: errorLine(error) }, "asking a peer for pending objects failed");
            return undefined;
          },
        ),
      ),
    );
    const learned: PendingObject[] = [];
    for (const text of answers) {
      if (text === undefined) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        continue;
      }
      if (!isRecord(parsed) || !Array.isArray(parsed.items)) continue;
      for (const raw of parsed.items) {
        const item = parseWireItem(raw);
        if (item === undefined || item.object.kind !== kind) continue;
        learned.push(this.options.batch.record(item.object, { origin: "peer", ttlMs: item.ttlMs, username: item.username }));
      }
    }
    return learned;
  }

  /**
   * Announces edges about to be allowed to every peer, all at once: accepted when every peer kept them,
   * the first conflict a peer reports, or unavailable when one did not answer (or refused) in its bound.
   */
  async propose(entry: UnconfirmedEdge, added: readonly NodeKey[]): Promise<ProposalOutcome> {
    const peers = this.options.source.peers();
    if (peers.length === 0) return ACCEPTED;
    const body = edgesToWire(entry, added, this.now());
    const timeout = this.options.edgeTimeoutMs ?? 1000;
    const answers = await Promise.all(
      peers.map((peer) =>
        this.request(peer, "POST", EDGES_PATH, body, timeout).then(
          (res): ProposalOutcome => {
            if (res.status === 204) return ACCEPTED;
            const cycle = res.status === 409 ? conflictCycle(res.body) : undefined;
            if (cycle !== undefined) return { type: "conflict", cycle, peer };
            return { type: "unavailable", error: `peer ${peer} answered ${res.status}` };
          },
          (error: unknown): ProposalOutcome => ({ type: "unavailable", error: `peer ${peer}: ${errorLine(error)}` }),
        ),
      ),
    );
    const refused = answers.find((a) => a.type === "conflict") ?? answers.find((a) => a.type === "unavailable");
    if (refused?.type === "unavailable") this.log.warn({ object: entry.node, err: refused.error }, "a peer did not take an edge announcement; the review fails closed");
    return refused ?? ACCEPTED;
  }

  /** Takes announced edges back from every peer; failures are logged (the peer's copy expires anyway). */
  retract(id: string): void {
    const path = `${EDGES_PATH}?${new URLSearchParams([["id", id]]).toString()}`;
    for (const peer of this.options.source.peers()) {
      this.request(peer, "DELETE", path, "", this.options.announceTimeoutMs ?? 2000).catch((error: unknown) =>
        this.log.debug({ peer, err: errorLine(error) }, "taking back announced edges from a peer failed; they expire there"),
      );
    }
  }

  private httpsAgent(): https.Agent | undefined {
    const material = this.options.tls();
    if (material === undefined) return undefined;
    const ca = material.caPem ?? material.certPem;
    if (this.agent?.ca !== ca) {
      this.agent?.agent.destroy();
      this.agent = {
        ca,
        agent: new https.Agent({
          keepAlive: true,
          maxSockets: 16,
          ca,
          minVersion: "TLSv1.2",
          // The chain is verified against the webhook's CA; the host name (a pod IP) is not in the SANs.
          checkServerIdentity: () => undefined,
        }),
      };
    }
    return this.agent.agent;
  }

  private request(peer: PeerUrl, method: "GET" | "POST" | "DELETE", path: string, body: string, timeoutMs: number): Promise<PeerResponse> {
    return new Promise((resolve, reject) => {
      const agent = this.httpsAgent();
      const signature = this.options.auth.sign(method, path, body);
      if (agent === undefined || signature === undefined) {
        reject(new Error("no TLS certificate loaded yet"));
        return;
      }
      const url = new URL(path, peer);
      const req = https.request(
        url,
        {
          method,
          agent,
          headers: {
            [PEER_AUTH_HEADER]: signature,
            ...(method === "POST" ? { "content-type": "application/json", "content-length": Buffer.byteLength(body) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > 1024 * 1024) req.destroy(new Error("peer answer larger than 1 MiB"));
            else chunks.push(chunk);
          });
          res.on("end", () => {
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
          });
          res.on("error", fail);
        },
      );
      // A whole-exchange deadline: a peer that accepts the connection and then stalls must not hold the
      // review past the apiserver's timeout.
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        reject(error);
      };
      req.on("error", fail);
      req.end(method === "POST" ? body : undefined);
    });
  }
}

const ACCEPTED: ProposalOutcome = { type: "accepted" };

/** The cycle of a 409 EdgeConflict answer, if it is one. */
function conflictCycle(text: string): NodeKey[] | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (!isRecord(parsed) || !Array.isArray(parsed.cycle) || parsed.cycle.some((n) => typeof n !== "string")) return undefined;
    return parsed.cycle as NodeKey[];
  } catch {
    return undefined;
  }
}

function errorLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n", 1)[0] ?? text;
}
