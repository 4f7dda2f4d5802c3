// The webhook's HTTPS face under hostile or broken clients (docs/behaviour.md, Bounded work), through real TLS sockets:
// TLS 1.2 offers forward-secret suites only; request bodies share one budget (429 beyond it); a request
// that declares more body than it sends is answered 408 within the request timeout; with a client CA,
// /validate needs a client certificate while the probes do not.
import https from "node:https";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdmissionGraphs } from "../src/admission/admission-graphs.js";
import { createAdmissionListener } from "../src/admission/app.js";
import { BodyBudget } from "../src/admission/body-budget.js";
import { PendingBatch } from "../src/admission/pending-batch.js";
import { DEFAULT_ADMISSION_POLICY } from "../src/admission/policy.js";
import { admissionReview } from "../src/admission/review-builder.test-support.js";
import { startAdmissionServer } from "../src/admission/server.js";
import type { AdmissionServer } from "../src/admission/server.js";
import { fixedTlsSource, testTlsMaterial } from "../src/admission/tls.test-support.js";
import { generateCertificateAuthority, generateServingCertificate } from "../src/certs/generate.js";
import type { TlsMaterial } from "../src/certs/tls-material.js";
import type { FluxKind, FluxObject } from "../src/graph/types.js";
import { createMetrics } from "../src/metrics/metrics.js";
import { KindStore } from "../src/cluster/kind-store.js";
import { eventually } from "./helpers/eventually.js";

const silent = { debug() {}, info() {}, warn() {}, error() {} };

function syncedCache(kind: FluxKind) {
  return { kind, isSynced: () => true, list: (): FluxObject[] => [], subscribe: () => () => undefined };
}

function listener(options: { budget?: BodyBudget; requireClientCertificate?: boolean; metrics?: ReturnType<typeof createMetrics>; bodyTimeoutMs?: number } = {}) {
  return createAdmissionListener({
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.bodyTimeoutMs !== undefined ? { bodyTimeoutMs: options.bodyTimeoutMs } : {}),
    graphs: new AdmissionGraphs([new KindStore(syncedCache("HelmRelease")), new KindStore(syncedCache("Kustomization"))]),
    pending: new PendingBatch(),
    policy: DEFAULT_ADMISSION_POLICY,
    cacheLagMs: 0,
    logger: silent,
    ...(options.budget ? { bodyBudget: options.budget } : {}),
    ...(options.requireClientCertificate ? { requireClientCertificate: true } : {}),
  });
}

function post(port: number, body: string, extra: https.RequestOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: "127.0.0.1", port, path: "/validate", method: "POST", rejectUnauthorized: false, agent: false, headers: { "content-type": "application/json" }, ...extra },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const review = JSON.stringify(admissionReview({ operation: "CREATE", object: { kind: "HelmRelease", name: "redis", namespace: "default" } }));

describe("TLS of the webhook port", () => {
  let server: AdmissionServer;
  beforeAll(async () => {
    server = await startAdmissionServer(listener(), fixedTlsSource(testTlsMaterial()), { port: 0, host: "127.0.0.1", logger: silent });
  });
  afterAll(() => server.close());

  const handshake = (options: tls.ConnectionOptions): Promise<{ ok: true; cipher: string; version: string } | { ok: false; error: string }> =>
    new Promise((resolve) => {
      const socket = tls.connect({ host: "127.0.0.1", port: server.port, rejectUnauthorized: false, ...options }, () => {
        const cipher = socket.getCipher().name;
        const version = socket.getProtocol() ?? "";
        socket.end();
        resolve({ ok: true, cipher, version });
      });
      socket.on("error", (error) => resolve({ ok: false, error: error.message }));
    });

  it("refuses a TLS 1.2 client that offers only AES128-SHA (no forward secrecy), or only AES256-SHA256", async () => {
    expect(await handshake({ maxVersion: "TLSv1.2", ciphers: "AES128-SHA" })).toMatchObject({ ok: false });
    expect(await handshake({ maxVersion: "TLSv1.2", ciphers: "AES256-SHA256" })).toMatchObject({ ok: false });
  });

  it("accepts TLS 1.2 with an ECDHE suite, and TLS 1.3 untouched", async () => {
    expect(await handshake({ maxVersion: "TLSv1.2", ciphers: "AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256" })).toEqual({ ok: true, cipher: "ECDHE-RSA-AES128-GCM-SHA256", version: "TLSv1.2" });
    expect(await handshake({ minVersion: "TLSv1.3" })).toMatchObject({ ok: true, version: "TLSv1.3" });
  });
});

describe("request bodies and timeouts", () => {
  let server: AdmissionServer;
  const budget = new BodyBudget(12 * 1024 * 1024);
  beforeAll(async () => {
    server = await startAdmissionServer(listener({ budget }), fixedTlsSource(testTlsMaterial()), { port: 0, host: "127.0.0.1", logger: silent, requestTimeoutMs: 1500 });
  });
  afterAll(() => server.close());

  /** Sends the headers of a 5 MiB review and one byte of it; the rest when `finish` is called. */
  function heldReview(): { response: Promise<number>; finish: () => void } {
    const size = 5 * 1024 * 1024;
    let req!: ReturnType<typeof https.request>;
    const response = new Promise<number>((resolve, reject) => {
      req = https.request(
        { host: "127.0.0.1", port: server.port, path: "/validate", method: "POST", rejectUnauthorized: false, agent: false, headers: { "content-type": "application/json", "content-length": size } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", (error) => (error.message.includes("EPIPE") || error.message.includes("ECONNRESET") ? undefined : reject(error)));
      req.write(" ");
    });
    return { response, finish: () => req.end(Buffer.alloc(size - 1, " ")) };
  }

  it("answers 429 to bodies beyond the budget and takes reviews again once it has room", async () => {
    const first = [heldReview(), heldReview()];
    // Both held reviews have declared their 5 MiB, and the budget holds them.
    await eventually(() => budget.inUse === 10 * 1024 * 1024, { what: "both held reviews reserved in the budget" });
    const beyond = [heldReview(), heldReview(), heldReview()];
    expect(await Promise.all(beyond.map((r) => r.response))).toEqual([429, 429, 429]);
    for (const r of first) r.finish();
    // Whitespace is not JSON: a 400, after the whole 5 MiB was received within the budget.
    expect(await Promise.all(first.map((r) => r.response))).toEqual([400, 400]);
    expect(budget.inUse).toBe(0);
    expect((await post(server.port, review)).status).toBe(200);
  });

  it("answers a request whose Content-Length exceeds its body within the request timeout", async () => {
    const started = Date.now();
    const status = await new Promise<number>((resolve, reject) => {
      const req = https.request(
        { host: "127.0.0.1", port: server.port, path: "/validate", method: "POST", rejectUnauthorized: false, agent: false, headers: { "content-length": 1000 } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.write("{}");
    });
    expect(status).toBe(408);
    // 1.5 s timeout, checked every second: well within kube-apiserver's 10 s (it used to take 57 s).
    expect(Date.now() - started).toBeLessThan(8000);
    await eventually(() => budget.inUse === 0, { timeoutMs: 5000, what: "the timed-out body's reservation released" });
  });
});

describe("bodies bounded by structure", () => {
  let server: AdmissionServer;
  const budget = new BodyBudget(64 * 1024 * 1024);
  const metrics = createMetrics({ defaultMetrics: false });
  beforeAll(async () => {
    server = await startAdmissionServer(listener({ budget, metrics, bodyTimeoutMs: 500 }), fixedTlsSource(testTlsMaterial()), { port: 0, host: "127.0.0.1", logger: silent, requestTimeoutMs: 5000 });
  });
  afterAll(() => server.close());

  const sample = async (reason: string): Promise<string | undefined> =>
    (await metrics.registry.metrics()).split("\n").find((line) => line.startsWith("releasegate_admission_requests_total{") && line.includes(`reason="${reason}"`));

  it("refuses a body nested deeper than 1,000 levels with one line, before parsing it", async () => {
    const half = 3 * 1000 * 1000;
    const answer = await post(server.port, "[".repeat(half) + "]".repeat(half));
    expect(answer.status).toBe(400);
    expect(answer.body).toBe("request body refused: it nests deeper than 1000 levels; a Kubernetes object is far smaller\n");
    expect(await sample("too-complex")).toMatch(/ 1$/);
  });

  it("refuses a flat body of more than 150,000 arrays", async () => {
    const answer = await post(server.port, `[${"[],".repeat(2_000_000)}[]]`);
    expect(answer.status).toBe(400);
    expect(answer.body).toContain("more than 150000 objects and arrays");
  });

  it("takes an AdmissionReview with a large, realistic values tree", async () => {
    const values: Record<string, unknown> = {};
    for (let i = 0; i < 20_000; i++) values[`key${i}`] = { enabled: true, replicas: i, image: { repository: "ghcr.io/example/app", tag: `v${i}` } };
    const body = admissionReview({ operation: "CREATE", object: { kind: "HelmRelease", name: "big", namespace: "default" } }) as { request: { object: { spec: Record<string, unknown> } } };
    body.request.object.spec.values = values;
    const answer = await post(server.port, JSON.stringify(body));
    expect(answer.status).toBe(200);
    expect(budget.inUse).toBe(0);
  });

  it("answers a body that stops short of its Content-Length with a 408 that says so, and counts it", async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = https.request(
        { host: "127.0.0.1", port: server.port, path: "/validate", method: "POST", rejectUnauthorized: false, agent: false, headers: { "content-length": 1000 } },
        (res) => {
          let text = "";
          res.on("data", (c: Buffer) => (text += c.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on("error", reject);
      req.write("{}");
    });
    expect(answer).toEqual({ status: 408, body: "request body incomplete: 2 bytes of the 1000 its Content-Length declared arrived within 0.5 s; send the whole body\n" });
    expect(await sample("incomplete-body")).toMatch(/ 1$/);
    for (let i = 0; i < 100 && budget.inUse > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(budget.inUse).toBe(0);
  });
});

describe("--client-ca-file", () => {
  let server: AdmissionServer;
  let clientCert: { certPem: string; keyPem: string };
  let otherCert: { certPem: string; keyPem: string };
  beforeAll(async () => {
    const material: TlsMaterial = testTlsMaterial();
    const apiserverCa = generateCertificateAuthority("apiserver-client-ca");
    clientCert = generateServingCertificate(apiserverCa, { commonName: "kube-apiserver", dnsNames: [], ipAddresses: [] });
    const strangerCa = generateCertificateAuthority("stranger");
    otherCert = generateServingCertificate(strangerCa, { commonName: "stranger", dnsNames: [], ipAddresses: [] });
    server = await startAdmissionServer(listener({ requireClientCertificate: true }), fixedTlsSource(material), {
      port: 0,
      host: "127.0.0.1",
      logger: silent,
      clientCa: apiserverCa.certPem,
    });
  });
  afterAll(() => server.close());

  it("answers /validate only for a client certificate the CA signed", async () => {
    const none = await post(server.port, review);
    expect(none.status).toBe(401);
    expect(none.body).toContain("client certificate");
    expect((await post(server.port, review, { cert: otherCert.certPem, key: otherCert.keyPem })).status).toBe(401);
    const signed = await post(server.port, review, { cert: clientCert.certPem, key: clientCert.keyPem });
    expect(signed.status).toBe(200);
    expect(JSON.parse(signed.body).response.allowed).toBe(true);
  });

  it("still answers the probes without a certificate (kubelet presents none)", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      https.get({ host: "127.0.0.1", port: server.port, path: "/healthz", rejectUnauthorized: false, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on("error", reject);
    });
    expect(status).toBe(200);
  });
});
