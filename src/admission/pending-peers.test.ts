import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TlsMaterial } from "../certs/tls-material.js";
import type { FluxObject } from "../graph/types.js";
import { tlsKeyPeerAuthenticator } from "./peer-auth.js";
import { PendingBatch } from "./pending-batch.js";
import { PendingPeers, pendingRoutes } from "./pending-peers.js";
import { StaticPeerSource } from "./peer-source.js";
import { startAdmissionServer } from "./server.js";
import type { AdmissionServer } from "./server.js";
import { fixedTlsSource, testTlsMaterial } from "./tls.test-support.js";
import { silentLogger } from "../runtime/logger.js";

const redis: FluxObject = { kind: "HelmRelease", namespace: "default", name: "redis", dependsOn: [{ name: "cache", namespace: "infra" }] };

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe("pending batch shared between replicas over HTTPS", () => {
  let material: TlsMaterial;
  let other: TlsMaterial;
  let peerBatch: PendingBatch;
  let server: AdmissionServer;
  let url: string;

  beforeAll(async () => {
    material = testTlsMaterial();
    other = testTlsMaterial("stranger");
    peerBatch = new PendingBatch();
    const app = express();
    app.use(pendingRoutes({ batch: peerBatch, auth: tlsKeyPeerAuthenticator(() => material) }));
    server = await startAdmissionServer(app, fixedTlsSource(material), { port: 0, host: "127.0.0.1" });
    url = `https://127.0.0.1:${server.port}`;
  });
  afterAll(async () => server.close());

  const client = (batch: PendingBatch, tls: TlsMaterial): PendingPeers =>
    new PendingPeers({ batch, source: new StaticPeerSource([url]), auth: tlsKeyPeerAuthenticator(() => tls), tls: () => tls });

  it("announces each local dry-run to the peers, which then hold it as pending", async () => {
    const batch = new PendingBatch();
    const peers = client(batch, material);
    peers.start();
    batch.record(redis);
    await until(() => peerBatch.get("HelmRelease", "default/redis") !== undefined);
    const learned = peerBatch.get("HelmRelease", "default/redis");
    expect(learned).toMatchObject({ origin: "peer", dependsOn: [{ name: "cache", namespace: "infra" }], dependencyKeys: ["HelmRelease/infra/cache"] });
    peers.stop();
  });

  it("asks the peers before denying and records what they know", async () => {
    peerBatch.record({ kind: "HelmRelease", namespace: "team", name: "db", dependsOn: [] });
    const batch = new PendingBatch();
    const peers = client(batch, material);
    const learned = await peers.ask("HelmRelease", ["team/db", "team/absent"]);
    expect(learned.map((e) => e.key)).toEqual(["team/db"]);
    expect(batch.get("HelmRelease", "team/db")?.origin).toBe("peer");
    expect(await peers.ask("Kustomization", ["team/db"])).toEqual([]);
    peers.stop();
  });

  it("refuses announcements signed with another key", async () => {
    const batch = new PendingBatch();
    const warnings: string[] = [];
    // Trusts the server's CA but signs with a key the server does not hold.
    const intruder = new PendingPeers({
      batch,
      source: new StaticPeerSource([url]),
      auth: tlsKeyPeerAuthenticator(() => other),
      tls: () => material,
      logger: { ...silentLogger, warn: (_fields, message) => warnings.push(message) },
    });
    intruder.announce({ ...batch.record({ kind: "HelmRelease", namespace: "evil", name: "x", dependsOn: [] }) });
    expect(await intruder.ask("HelmRelease", ["team/db"])).toEqual([]);
    await until(() => warnings.includes("peer refused a pending object"));
    expect(warnings).toContain("peer refused a pending object");
    expect(peerBatch.get("HelmRelease", "evil/x")).toBeUndefined();
    intruder.stop();
  });

  it("treats a peer whose certificate is not from the webhook's CA as knowing nothing", async () => {
    const peers = client(new PendingBatch(), other);
    expect(await peers.ask("HelmRelease", ["team/db"])).toEqual([]);
    peers.stop();
  });

  it("answers nothing and never throws when no peer is reachable", async () => {
    const peers = new PendingPeers({
      batch: new PendingBatch(),
      source: new StaticPeerSource(["https://127.0.0.1:1"]),
      auth: tlsKeyPeerAuthenticator(() => material),
      tls: () => material,
    });
    expect(await peers.ask("HelmRelease", ["a/b"])).toEqual([]);
    peers.stop();
  });
});
