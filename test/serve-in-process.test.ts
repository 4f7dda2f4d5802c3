// serve in process against the sandbox: graceful shutdown (a review still arriving when the shutdown
// starts is answered in full before the webhook closes, and the Lease is released), and files mode
// with --inject-ca-file (the certificate from disk, its CA injected as the webhook's caBundle).
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import https from "node:https";
import { tmpdir } from "node:os";
import type { Server } from "node:net";
import { join } from "node:path";
import { AdmissionregistrationV1Api, CoordinationV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admissionReview } from "../src/admission/review-builder.test-support.js";
import { StaticPeerSource } from "../src/admission/peer-source.js";
import { freePort, sandboxWebhookConfiguration, SANDBOX_NAMESPACE } from "../src/cli/sandbox.js";
import { writeDevelopmentCertificates } from "../src/certs/development-files.js";
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
    // The request is in flight (the webhook has its headers, half the body is sent) when the shutdown
    // begins: Node's http diagnostics channel says when the webhook's server took the request.
    let arrived = false;
    const onRequest = (message: unknown): void => {
      const { request, server } = message as { request: IncomingMessage; server: Server };
      const address = server.address();
      if (request.url?.startsWith("/validate") && typeof address === "object" && address?.port === serve.webhookPort) arrived = true;
    };
    subscribe("http.server.request.start", onRequest);
    req.write(body.slice(0, half));
    try {
      await eventually(() => arrived, { what: "the review reaching the webhook" });
    } finally {
      unsubscribe("http.server.request.start", onRequest);
    }
    const stopped = serve.shutdown();
    await eventually(() => !serve.isReady(), { what: "readiness off once shutting down" });
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

  it("serves the certificate from files and injects their CA as the caBundle (--inject-ca-file)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "releasegate-files-"));
    try {
      await writeDevelopmentCertificates(dir);
      const port = await freePort();
      const admission = sandbox.kubeConfig().makeApiClient(AdmissionregistrationV1Api);
      await admission.createValidatingWebhookConfiguration({ body: sandboxWebhookConfiguration(port) });
      const files = await startServe(
        {
          ...resolveServeOptions(
            { "cert-mode": "files", "tls-cert-file": join(dir, "tls.crt"), "tls-key-file": join(dir, "tls.key"), "inject-ca-file": join(dir, "ca.crt") },
            {},
          ),
          webhookPort: port,
          metricsPort: 0,
          bindAddress: "127.0.0.1",
          namespace: SANDBOX_NAMESPACE,
          identity: "files-test",
          leaseName: "files-test",
        },
        { kubeConfig: sandbox.kubeConfig(), logger: quietLogger(), peers: new StaticPeerSource([]) },
      );
      try {
        await files.ready;
        const ca = await readFile(join(dir, "ca.crt"), "utf8");
        const caBundle = await eventually(async () => (await admission.readValidatingWebhookConfiguration({ name: "releasegate" })).webhooks?.[0]?.clientConfig.caBundle);
        expect(Buffer.from(caBundle, "base64").toString("utf8")).toBe(ca);
        // The sandbox now reaches the webhook over TLS verified with that caBundle: a cycle is denied.
        const api = sandbox.kubeConfig().makeApiClient(CustomObjectsApi);
        await expect(
          api.createNamespacedCustomObject({ group: "helm.toolkit.fluxcd.io", version: "v2", plural: "helmreleases", namespace: "default", body: helmRelease("loop", ["loop"]) }),
        ).rejects.toMatchObject({ code: 403 });
      } finally {
        await files.shutdown();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
