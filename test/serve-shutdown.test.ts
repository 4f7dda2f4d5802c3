// Graceful shutdown of serve (in process, against the sandbox): a review still arriving when the
// shutdown starts is answered in full before the webhook closes, the Lease is released, and nothing
// is written after the lease is given up.
import https from "node:https";
import { CoordinationV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admissionReview } from "../src/admission/review-builder.js";
import { StaticPeerSource } from "../src/admission/peer-source.js";
import { SANDBOX_NAMESPACE } from "../src/cli/sandbox.js";
import { startServe } from "../src/cli/serve.js";
import type { RunningServe } from "../src/cli/serve.js";
import { resolveServeOptions } from "../src/cli/serve-options.js";
import { startSandbox } from "../src/sandbox/sandbox.js";
import type { Sandbox } from "../src/sandbox/sandbox.js";
import { eventually } from "./helpers/eventually.js";
import { helmRelease } from "./helpers/flux-client.js";
import { quietLogger } from "./helpers/quiet-logger.js";

describe("serve shutdown", () => {
  let sandbox: Sandbox;
  let serve: RunningServe;

  beforeAll(async () => {
    sandbox = await startSandbox({ seed: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: SANDBOX_NAMESPACE } }, helmRelease("redis")] });
    serve = await startServe(
      { ...resolveServeOptions({}, {}), webhookPort: 0, metricsPort: 0, bindAddress: "127.0.0.1", namespace: SANDBOX_NAMESPACE, identity: "drain-test" },
      { kubeConfig: sandbox.kubeConfig(), logger: quietLogger(), peers: new StaticPeerSource([]) },
    );
    await serve.ready;
    await eventually(() => serve.isLeader(), { what: "leading" });
  });
  afterAll(async () => {
    await serve?.shutdown();
    await sandbox?.close();
  });

  it("answers a review in flight, then releases the lease", async () => {
    const body = JSON.stringify(admissionReview({ operation: "CREATE", object: { name: "backend", dependsOn: [{ name: "redis" }] } }));
    const half = Math.floor(body.length / 2);
    let answered: (value: { status: number; body: string }) => void;
    const response = new Promise<{ status: number; body: string }>((resolve) => (answered = resolve));
    const req = https.request(
      {
        host: "127.0.0.1",
        port: serve.webhookPort,
        path: "/validate",
        method: "POST",
        rejectUnauthorized: false,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => answered({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.write(body.slice(0, half));
    // The request is in flight (headers and half the body received) when the shutdown begins.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stopped = serve.shutdown();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(serve.isReady()).toBe(false);
    req.end(body.slice(half));

    const res = await response;
    expect(res.status).toBe(200);
    const review = JSON.parse(res.body) as { response: { allowed: boolean } };
    expect(review.response.allowed).toBe(true);
    await stopped;
    expect(serve.isLeader()).toBe(false);
    const lease = await sandbox.kubeConfig().makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: SANDBOX_NAMESPACE, name: "releasegate-leader" });
    expect(lease.spec?.holderIdentity ?? "").toBe("");
  });
});
