// Self-managed certificates against the sandbox API server with the real client-node: replicas racing to
// create the shared Secret, caBundle injection, renewal picked up by the other replica, CA rotation with
// overlap, and certificate rotation under a request loop with zero failed requests. Time is moved with an
// explicit clock offset rather than by sleeping.
import { X509Certificate } from "node:crypto";
import type { AddressInfo } from "node:net";
import { AdmissionregistrationV1Api, CoreV1Api, type KubeConfig, type V1ValidatingWebhook } from "@kubernetes/client-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createReloadingHttpsServer } from "../src/certs/https-server.js";
import { SelfManagedTlsSource, type SelfManagedTlsSourceOptions } from "../src/certs/self-managed-tls-source.js";
import { splitPemCertificates, type TlsMaterial } from "../src/certs/tls-material.js";
import type { TlsSource } from "../src/certs/tls-source.js";
import { CaBundleInjector } from "../src/certs/webhook-ca-bundle.js";
import { startSandbox, type Sandbox } from "../src/sandbox/index.js";
import { capturingLogger, startRequestLoop, waitFor } from "./certs-request-loop.js";

const NS = "releasegate";
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let sandbox: Sandbox;
let kc: KubeConfig;
let core: CoreV1Api;
let admission: AdmissionregistrationV1Api;
/** Where the sandbox's admission chain reaches Service releasegate/releasegate (set by the test that serves it). */
let webhookAddress: string | undefined;

beforeAll(async () => {
  sandbox = await startSandbox({
    seed: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: NS } }],
    serviceResolver: (ref) => (ref.namespace === NS && ref.name === "releasegate" ? webhookAddress : undefined),
  });
  kc = sandbox.kubeConfig();
  core = kc.makeApiClient(CoreV1Api);
  admission = kc.makeApiClient(AdmissionregistrationV1Api);
});
afterAll(async () => {
  await sandbox.close();
});

const sources: SelfManagedTlsSource[] = [];
afterEach(async () => {
  sandbox.faults.setLatency(0);
  await Promise.all(sources.splice(0).map((s) => s.stop()));
});

let secretCounter = 0;
/** A fresh Secret name per test, so tests share the sandbox without sharing state. */
function secretName(): string {
  secretCounter += 1;
  return `releasegate-tls-${secretCounter}`;
}

/** A clock that tests move forward; every replica of a test shares it. */
function testClock(): { now: () => Date; advance: (ms: number) => void } {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms) => (offset += ms) };
}

function replica(secret: string, options: Partial<SelfManagedTlsSourceOptions> = {}) {
  const logger = capturingLogger();
  const source = new SelfManagedTlsSource({
    kubeConfig: kc,
    namespace: NS,
    secretName: secret,
    serviceName: "releasegate",
    resyncIntervalMs: 50,
    retryIntervalMs: 50,
    logger,
    ...options,
  });
  sources.push(source);
  return { source, logger };
}

function nextChange(source: TlsSource): Promise<TlsMaterial> {
  return new Promise((resolve) => {
    const off = source.onChange((material) => {
      off();
      resolve(material);
    });
  });
}

async function readSecret(name: string): Promise<{ type: string | undefined; data: Record<string, string>; resourceVersion: string | undefined }> {
  const secret = await core.readNamespacedSecret({ name, namespace: NS });
  const data = Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
  return { type: secret.type, data, resourceVersion: secret.metadata?.resourceVersion };
}

function webhook(name: string, caBundle?: string): V1ValidatingWebhook {
  return {
    name,
    admissionReviewVersions: ["v1"],
    sideEffects: "None",
    failurePolicy: "Fail",
    timeoutSeconds: 5,
    clientConfig: { service: { namespace: NS, name: "releasegate", path: "/validate", port: 443 }, ...(caBundle ? { caBundle } : {}) },
    // ConfigMaps in the releasegate namespace only: no other test writes there.
    rules: [{ apiGroups: [""], apiVersions: ["v1"], resources: ["configmaps"], operations: ["CREATE"], scope: "Namespaced" }],
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": NS } },
  };
}

async function caBundles(configName: string): Promise<(string | undefined)[]> {
  const config = await admission.readValidatingWebhookConfiguration({ name: configName });
  return (config.webhooks ?? []).map((w) => (w.clientConfig.caBundle === undefined ? undefined : Buffer.from(w.clientConfig.caBundle, "base64").toString("utf8")));
}

const issuedBy = (certPem: string, caPem: string): boolean => new X509Certificate(certPem).checkIssued(new X509Certificate(caPem));

describe("self-managed certificates in a shared Secret", () => {
  it("two replicas racing create exactly one Secret and serve the same certificate", async () => {
    const name = secretName();
    const a = replica(name);
    const b = replica(name);
    // Slow answers make both replicas read "absent" before either creates: a real race.
    sandbox.faults.setLatency(30);
    await Promise.all([a.source.start(), b.source.start()]);
    sandbox.faults.setLatency(0);

    const logs = [...a.logger.lines, ...b.logger.lines].map((l) => l.msg);
    expect(logs.filter((m) => m === "certificate Secret created")).toHaveLength(1);
    expect(logs.filter((m) => m.startsWith("another replica wrote the certificate Secret first"))).toHaveLength(1);

    const secret = await readSecret(name);
    expect(secret.type).toBe("kubernetes.io/tls");
    expect(Object.keys(secret.data).sort()).toEqual(["ca.crt", "ca.key", "tls.crt", "tls.key"]);
    expect(a.source.current()?.certPem).toBe(secret.data["tls.crt"]);
    expect(b.source.current()?.certPem).toBe(secret.data["tls.crt"]);
    expect(b.source.current()?.caPem).toBe(secret.data["ca.crt"]);
    expect(a.source.notAfter?.getTime()).toBeGreaterThan(Date.now() + 300 * 24 * HOUR);

    const served = new X509Certificate(secret.data["tls.crt"] ?? "");
    for (const san of ["DNS:releasegate", "DNS:releasegate.releasegate", "DNS:releasegate.releasegate.svc", "DNS:releasegate.releasegate.svc.cluster.local", "DNS:localhost", "IP Address:127.0.0.1"]) {
      expect(served.subjectAltName?.split(", ")).toContain(san);
    }
    expect(issuedBy(secret.data["tls.crt"] ?? "", secret.data["ca.crt"] ?? "")).toBe(true);
  });

  it("renews when due, keeping the CA, and the other replica picks the new certificate up", async () => {
    const name = secretName();
    const clock = testClock();
    const policy = { servingValidityMs: HOUR };
    const a = replica(name, { now: clock.now, policy, resyncIntervalMs: 60 * MINUTE });
    // b's clock lags a's, so only a finds the certificate due; b learns of the renewal by polling.
    const b = replica(name, { policy });
    await a.source.start();
    await b.source.start();
    const before = await readSecret(name);
    expect(isFinite(a.source.notAfter?.getTime() ?? NaN)).toBe(true);

    // Not yet due: nothing is written.
    clock.advance(39 * MINUTE);
    expect(await a.source.sync()).toMatchObject({ wrote: "none", plan: { ca: "keep", serving: "keep" } });

    // Less than a third of the hour left: a renews.
    clock.advance(2 * MINUTE);
    const pickedUp = nextChange(b.source);
    const outcome = await a.source.sync();
    expect(outcome).toMatchObject({ wrote: "updated", plan: { ca: "keep", serving: "issue", reasons: [expect.stringMatching(/within its renewal window/)] } });

    const renewed = await pickedUp;
    const after = await readSecret(name);
    expect(renewed.serialNumber).toBe(outcome.serialNumber);
    expect(renewed.serialNumber).not.toBe(new X509Certificate(before.data["tls.crt"] ?? "").serialNumber.toUpperCase());
    expect(after.data["tls.crt"]).toBe(renewed.certPem);
    expect(after.data["ca.crt"]).toBe(before.data["ca.crt"]);
    expect(after.data["ca.key"]).toBe(before.data["ca.key"]);
    expect(a.source.notAfter?.getTime()).toBeGreaterThan(clock.now().getTime() + 50 * MINUTE);
  });

  it("replicas due at the same moment write one renewal and converge on it", async () => {
    const name = secretName();
    const clock = testClock();
    const policy = { servingValidityMs: HOUR };
    const a = replica(name, { now: clock.now, policy, resyncIntervalMs: 60 * MINUTE });
    const b = replica(name, { now: clock.now, policy, resyncIntervalMs: 60 * MINUTE });
    await a.source.start();
    await b.source.start();
    clock.advance(45 * MINUTE);
    sandbox.faults.setLatency(30);
    const outcomes = await Promise.all([a.source.sync(), b.source.sync()]);
    sandbox.faults.setLatency(0);
    expect(outcomes.map((o) => o.wrote).sort()).toEqual(["none", "updated"]);
    expect(outcomes.map((o) => o.lostRaces).sort()).toEqual([0, 1]);
    expect(a.source.current()?.certPem).toBe(b.source.current()?.certPem);
    expect((await readSecret(name)).data["tls.crt"]).toBe(a.source.current()?.certPem);
  });

  it("replaces a Secret it cannot use, keeping its type, labels and annotations", async () => {
    const name = secretName();
    await core.createNamespacedSecret({
      namespace: NS,
      body: {
        metadata: { name, labels: { team: "platform" }, annotations: { note: "kept" } },
        type: "Opaque",
        data: { "tls.crt": Buffer.from("not a certificate").toString("base64") },
      },
    });
    const { source, logger } = replica(name);
    await source.start();
    const secret = await core.readNamespacedSecret({ name, namespace: NS });
    expect(secret.type).toBe("Opaque");
    expect(secret.metadata?.labels).toMatchObject({ team: "platform", "app.kubernetes.io/managed-by": "releasegate" });
    expect(secret.metadata?.annotations).toEqual({ note: "kept" });
    expect(Buffer.from(secret.data?.["tls.crt"] ?? "", "base64").toString()).toBe(source.current()?.certPem);
    expect(logger.lines.find((l) => l.msg === "certificate Secret renewed")?.obj).toMatchObject({ reasons: ["the Secret has no ca.key"] });
  });

  it("fails to start with one line naming the Secret when the namespace does not exist", async () => {
    const { source } = replica("releasegate-tls", { namespace: "no-such-namespace" });
    const error = await source.start().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/^self-managed TLS: cannot keep Secret no-such-namespace\/releasegate-tls current: HTTP 404: .*; check that the namespace exists/);
    expect(error?.message).not.toContain("\n");
  });
});

describe("caBundle injection", () => {
  it("sets the caBundle of every webhook in our configuration, restores it when reset, and waits for a late configuration", async () => {
    const configName = "releasegate-cabundle-test";
    await admission.createValidatingWebhookConfiguration({
      body: {
        metadata: { name: configName },
        webhooks: [webhook("one.releasegate.io", Buffer.from("stale").toString("base64")), webhook("two.releasegate.io")],
      },
    });
    const name = secretName();
    const { source, logger } = replica(name, { webhookConfigurationName: configName });
    await source.start();
    const caPem = source.current()?.caPem;
    expect(caPem).toContain("BEGIN CERTIFICATE");
    expect(await caBundles(configName)).toEqual([caPem, caPem]);
    expect(logger.lines.find((l) => l.msg === "caBundle of the webhook configuration updated")?.obj).toEqual({
      webhookConfiguration: configName,
      webhooks: ["one.releasegate.io", "two.releasegate.io"],
    });
    expect(source.caBundleStatus?.status).not.toBe("failed");

    // Someone (a `kubectl apply` of a manifest without caBundle) clears it: the next check restores it.
    await admission.patchValidatingWebhookConfiguration({
      name: configName,
      body: [{ op: "remove", path: "/webhooks/1/clientConfig/caBundle" }],
    });
    await waitFor("caBundle restored", async () => (await caBundles(configName))[1] === caPem);

    // A configuration created after the replica started (e.g. Helm applies it later) is patched on retry.
    const late = replica(secretName(), { webhookConfigurationName: "releasegate-late" });
    await late.source.start();
    expect(late.source.caBundleStatus).toMatchObject({ status: "failed", error: expect.stringMatching(/^cannot set the caBundle of ValidatingWebhookConfiguration releasegate-late: HTTP 404/) });
    await admission.createValidatingWebhookConfiguration({ body: { metadata: { name: "releasegate-late" }, webhooks: [webhook("late.releasegate.io")] } });
    await waitFor("late caBundle", async () => (await caBundles("releasegate-late"))[0] === late.source.current()?.caPem);

    await admission.deleteValidatingWebhookConfiguration({ name: configName });
    await admission.deleteValidatingWebhookConfiguration({ name: "releasegate-late" });
  });

  it("finishes a check even when checks take longer than the interval between them", async () => {
    await admission.createValidatingWebhookConfiguration({ body: { metadata: { name: "releasegate-slow" }, webhooks: [webhook("slow.releasegate.io")] } });
    const { source } = replica(secretName());
    await source.start();
    const injector = new CaBundleInjector({
      kubeConfig: kc,
      webhookConfigurationName: "releasegate-slow",
      source,
      resyncIntervalMs: 5,
      logger: capturingLogger(),
    });
    sandbox.faults.setLatency(40);
    try {
      await injector.start();
      // Calls made while a check runs join it; the caller resumes when it ends.
      await Promise.all([injector.sync(), injector.sync(), injector.sync()]);
      expect(injector.last).toEqual({ status: "unchanged" });
      expect(injector.trustedSince(source.current()?.caPem ?? "")).toBeInstanceOf(Date);
    } finally {
      await injector.stop();
      sandbox.faults.setLatency(0);
      await admission.deleteValidatingWebhookConfiguration({ name: "releasegate-slow" });
    }
  });

  it("rotates the CA with both CAs in the bundle before serving a certificate from the new one", async () => {
    const configName = "releasegate-rotation-test";
    await admission.createValidatingWebhookConfiguration({ body: { metadata: { name: configName }, webhooks: [webhook("rotate.releasegate.io")] } });
    const name = secretName();
    const clock = testClock();
    const policy = { caPropagationMs: 10 * MINUTE };
    const { source } = replica(name, { now: clock.now, policy, webhookConfigurationName: configName, resyncIntervalMs: 60 * MINUTE });
    await source.start();
    const oldCa = source.current()?.caPem ?? "";
    const oldCert = source.current()?.certPem ?? "";

    const rotated = await source.rotateCaNow();
    expect(rotated).toMatchObject({ wrote: "updated", plan: { ca: "rotate", serving: "keep" } });
    const bundle = splitPemCertificates(source.current()?.caPem ?? "");
    expect(bundle).toHaveLength(2);
    expect(bundle[1]).toBe(splitPemCertificates(oldCa)[0]);
    expect(source.current()?.certPem).toBe(oldCert);
    await waitFor("two CAs in the caBundle", async () => splitPemCertificates((await caBundles(configName))[0] ?? "").length === 2);

    // Within the propagation delay the old CA's certificate keeps serving...
    clock.advance(5 * MINUTE);
    expect(await source.sync()).toMatchObject({ wrote: "none" });
    // ...after it, the serving certificate comes from the new CA; the old CA stays in the bundle.
    clock.advance(6 * MINUTE);
    expect(await source.sync()).toMatchObject({ wrote: "updated", plan: { serving: "issue", reasons: ["serving certificate is not yet signed by the current CA"] } });
    expect(issuedBy(source.current()?.certPem ?? "", bundle[0] ?? "")).toBe(true);
    expect(splitPemCertificates(source.current()?.caPem ?? "")).toEqual(bundle);
    await admission.deleteValidatingWebhookConfiguration({ name: configName });
  });
});

describe("rotation under load", () => {
  it("serves every request while the certificate is renewed several times and the CA rotated, with the apiserver's trust from the caBundle", async () => {
    const configName = "releasegate-load-test";
    await admission.createValidatingWebhookConfiguration({ body: { metadata: { name: configName }, webhooks: [webhook("load.releasegate.io")] } });
    const name = secretName();
    // Real time here (the client checks validity against it); a short propagation delay stands for the time
    // kube-apiserver takes to see a new caBundle.
    const policy = { caPropagationMs: 300 };
    // Replica a renews; replica b serves and only learns of renewals by polling the Secret.
    const a = replica(name, { policy, webhookConfigurationName: configName, resyncIntervalMs: 60 * MINUTE });
    const b = replica(name, { policy, webhookConfigurationName: configName, resyncIntervalMs: 25 });
    await a.source.start();
    await b.source.start();
    const webhookServer = createReloadingHttpsServer(
      (req, res) => {
        let body = "";
        req.on("data", (chunk: Buffer) => (body += chunk.toString()));
        req.on("end", () => {
          // Answer AdmissionReviews (from the sandbox) and plain GETs (from the loop) alike, a little slowly so
          // requests are in flight during each switch.
          const uid = body === "" ? undefined : (JSON.parse(body) as { request?: { uid?: string } }).request?.uid;
          setTimeout(() => {
            res.setHeader("content-type", "application/json");
            res.end(JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid, allowed: true } }));
          }, 2);
        });
      },
      b.source,
      { logger: capturingLogger() },
    );
    await new Promise<void>((resolve) => webhookServer.server.listen(0, "127.0.0.1", resolve));
    const { port } = webhookServer.server.address() as AddressInfo;
    webhookAddress = `https://127.0.0.1:${port}`;

    // The client trusts what kube-apiserver would: the caBundle of the webhook configuration, re-read often.
    let trusted = (await caBundles(configName))[0] ?? "";
    let polling = true;
    const poller = (async () => {
      while (polling) {
        trusted = (await caBundles(configName))[0] ?? trusted;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
    const loop = startRequestLoop(port, () => trusted);
    let configMaps = 0;
    const admitThroughSandbox = async (): Promise<void> => {
      configMaps += 1;
      await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: `admitted-${configMaps}` } } });
    };
    const servedByB = (serial: string): boolean => webhookServer.servingSerial() === serial;
    let report;
    try {
      await admitThroughSandbox();
      for (let i = 0; i < 3; i++) {
        await loop.waitForRequests(10);
        const renewed = await a.source.renewNow();
        await waitFor("b to serve the renewal", () => servedByB(renewed.serialNumber));
        await admitThroughSandbox();
      }
      // CA rotation: the new CA reaches the caBundle (and so the client) before anything it signed is served.
      await loop.waitForRequests(10);
      const rotated = await a.source.rotateCaNow();
      await waitFor("the new CA in the trusted bundle", () => splitPemCertificates(trusted).length === 2);
      // Once the propagation delay has passed, one replica re-signs the serving certificate with the new
      // CA: a when its sync gets there first, or b (which resyncs every 25 ms), whose write a then reads.
      // Generous timeout: on a loaded 2-core CI machine each round trip through the sandbox takes a while.
      const resigned = await waitFor(
        "the serving certificate re-signed by the new CA",
        async () => {
          const outcome = await a.source.sync();
          return (outcome.wrote === "updated" || outcome.serialNumber !== rotated.serialNumber) && outcome;
        },
        40_000,
      );
      if (resigned.wrote === "updated") expect(resigned.plan.reasons).toEqual(["serving certificate is not yet signed by the current CA"]);
      await waitFor("b to serve the new CA's certificate", () => servedByB(resigned.serialNumber));
      await loop.waitForRequests(10);
      await admitThroughSandbox();
      expect(webhookServer.servingSerial()).toBe(resigned.serialNumber);
    } finally {
      report = await loop.stop();
      polling = false;
      await poller;
      await webhookServer.close();
      webhookAddress = undefined;
      await admission.deleteValidatingWebhookConfiguration({ name: configName });
    }
    expect(report.failures).toEqual([]);
    // The initial certificate, three renewals and the new CA's certificate were all served.
    expect(report.serials.size).toBe(5);
    expect(report.reusedRequests).toBeGreaterThan(0);
    // Seven RSA keys and a few hundred TLS handshakes: generous room for a loaded machine.
  }, 90_000);
});
