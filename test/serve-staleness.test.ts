// A stale cache is never a guess (docs/behaviour.md, Admission rules): serve talks to the sandbox through a TCP proxy that
// the test pauses, so serve's watch and every new connection silently hear nothing, while writes go on
// directly against the sandbox. After --max-cache-staleness the webhook answers 503 and /readyz fails
// (instead of admitting p1 → p2 from a cache that has not seen p2 → p1), cache_staleness_seconds shows
// the age, and once the path is back a log line says the cache is healthy and the cycle is denied.
import https from "node:https";
import { Writable } from "node:stream";
import { CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StaticPeerSource } from "../src/admission/peer-source.js";
import { admissionReview } from "../src/admission/review-builder.test-support.js";
import { SANDBOX_NAMESPACE } from "../src/cli/sandbox.js";
import { startServe } from "../src/cli/serve.js";
import type { RunningServe } from "../src/cli/serve.js";
import { resolveServeOptions } from "../src/cli/serve-options.js";
import { startSandbox } from "../src/sandbox/sandbox.js";
import type { Sandbox } from "../src/sandbox/sandbox.js";
import { eventually } from "./helpers/eventually.js";
import { helmRelease } from "./helpers/flux-client.js";
import { findSamples, scrape } from "./helpers/metrics-text.js";
import { startPausableProxy } from "./helpers/pausable-proxy.js";
import type { PausableProxy } from "./helpers/pausable-proxy.js";

function request(port: number, method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: "127.0.0.1", port, path, method, rejectUnauthorized: false, agent: false, headers: { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** p1 gains dependsOn p2: a cycle once p2 depends on p1. */
const p1ToP2 = JSON.stringify(
  admissionReview({ operation: "UPDATE", object: { name: "p1", dependsOn: [{ name: "p2" }] }, oldObject: { name: "p1" } }),
);

describe("serve with a stalled API server", () => {
  let sandbox: Sandbox;
  let proxy: PausableProxy;
  let serve: RunningServe;
  let logText = "";

  beforeAll(async () => {
    sandbox = await startSandbox({ seed: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: SANDBOX_NAMESPACE } }, helmRelease("p1"), helmRelease("p2")] });
    proxy = await startPausableProxy(Number(new URL(sandbox.url).port));
    const direct = sandbox.kubeConfig();
    const viaProxy = new KubeConfig();
    viaProxy.loadFromOptions({
      clusters: direct.clusters.map((c) => ({ ...c, server: `https://127.0.0.1:${proxy.port}` })),
      users: direct.users,
      contexts: direct.contexts,
      currentContext: direct.currentContext,
    });
    const logs = new Writable({
      write(chunk: Buffer, _e, done) {
        logText += chunk.toString();
        done();
      },
    });
    serve = await startServe(
      {
        ...resolveServeOptions({}, {}),
        webhookPort: 0,
        metricsPort: 0,
        bindAddress: "127.0.0.1",
        namespace: SANDBOX_NAMESPACE,
        identity: "stale-test",
        maxCacheStalenessMs: 2000,
      },
      { kubeConfig: viaProxy, logger: pino({ level: "info" }, logs), peers: new StaticPeerSource([]) },
    );
    await serve.ready;
  }, 60_000);

  afterAll(async () => {
    proxy?.resume();
    await serve?.abort();
    await proxy?.close();
    await sandbox?.close();
  });

  it("answers 503 and fails /readyz while cut off, then decides again from fresh data", async () => {
    const before = await request(serve.webhookPort, "POST", "/validate", p1ToP2);
    expect(before.status).toBe(200);
    expect(JSON.parse(before.body).response.allowed).toBe(true);
    expect((await request(serve.webhookPort, "GET", "/readyz")).status).toBe(200);

    proxy.pause();
    // Meanwhile p2 comes to depend on p1, written straight to the API server.
    await sandbox.kubeConfig().makeApiClient(CustomObjectsApi).replaceNamespacedCustomObject({
      group: "helm.toolkit.fluxcd.io",
      version: "v2",
      plural: "helmreleases",
      namespace: "default",
      name: "p2",
      body: { ...helmRelease("p2", ["p1"]), metadata: { name: "p2", namespace: "default", resourceVersion: await resourceVersion(sandbox, "p2") } },
    });

    const refused = await eventually(
      async () => {
        const r = await request(serve.webhookPort, "POST", "/validate", p1ToP2);
        // Before the limit, the edge-adding path's read already fails closed (503, "not allowing a new
        // dependsOn edge …"); past it, the staleness answer comes first.
        if (r.status === 503 && !r.body.includes("heard nothing")) expect(r.body).toContain("not allowing a new dependsOn edge");
        return r.status === 503 && r.body.includes("heard nothing") ? r : undefined;
      },
      { what: "a 503 from the stale webhook", timeoutMs: 20_000, intervalMs: 100 },
    );
    expect(refused.body).toMatch(/HelmRelease cache has heard nothing from the API server for \d+\.\d s \(limit 2 s\)/);
    const readyz = await request(serve.webhookPort, "GET", "/readyz");
    expect(readyz.status).toBe(503);
    expect(readyz.body).toContain("HelmRelease cache has heard nothing");
    await eventually(
      async () => (findSamples(await scrape(serve.metricsPort), "releasegate_cache_staleness_seconds", { kind: "HelmRelease" })[0]?.value ?? 0) > 2,
      { what: "cache_staleness_seconds past the limit" },
    );
    expect(logText).toContain("the HelmRelease cache is stale");

    proxy.resume();
    const denied = await eventually(
      async () => {
        const r = await request(serve.webhookPort, "POST", "/validate", p1ToP2);
        return r.status === 200 ? r : undefined;
      },
      { what: "the webhook deciding again", timeoutMs: 30_000, intervalMs: 100 },
    );
    const response = JSON.parse(denied.body).response as { allowed: boolean; status?: { message?: string } };
    expect(response.allowed).toBe(false);
    expect(response.status?.message).toContain("default/p1 → default/p2 → default/p1");
    await eventually(() => logText.includes("the HelmRelease cache is healthy again"), { what: "the healthy-again log line" });
    await eventually(async () => (await request(serve.webhookPort, "GET", "/readyz")).status === 200, { what: "/readyz 200 again" });
  }, 90_000);
});

async function resourceVersion(sandbox: Sandbox, name: string): Promise<string> {
  const current = (await sandbox.kubeConfig().makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: "helm.toolkit.fluxcd.io",
    version: "v2",
    plural: "helmreleases",
    namespace: "default",
    name,
  })) as { metadata: { resourceVersion: string } };
  return current.metadata.resourceVersion;
}
