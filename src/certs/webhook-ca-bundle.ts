// Keeps the caBundle of our ValidatingWebhookConfiguration equal to the CA bundle of a TlsSource, so
// kube-apiserver trusts the certificate the webhook serves. Used by self-managed mode and by files mode with
// `--inject-ca-file` (an existing Secret the user manages); in cert-manager mode cert-manager's cainjector does
// this instead.
//
// The patch is a JSON patch (RFC 6902) that tests each webhook's name before replacing its caBundle, so a
// configuration changed concurrently (e.g. by `helm upgrade`) fails the test instead of being overwritten, and
// is re-read on the next pass. The check repeats periodically: if something resets the caBundle (a `kubectl
// apply` of a manifest without it), it is restored.
import { kubeClientOf, type KubeSource } from "../kube/connect.js";
import type { KubeClient } from "../kube/kube-client.js";
import { describeError } from "../runtime/api-error.js";
import { splitPemCertificates } from "./tls-material.js";
import { stderrLogger, type TlsSource } from "./tls-source.js";
import type { Logger } from "../runtime/logger.js";

type CaBundleResult = { status: "unchanged" } | { status: "patched"; webhooks: string[] };

/** Sets clientConfig.caBundle of every webhook in the named configuration to `caPem` where it differs. */
async function injectCaBundle(client: KubeClient, name: string, caPem: string): Promise<CaBundleResult> {
  const caBundle = Buffer.from(caPem, "utf8").toString("base64");
  const path = `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${encodeURIComponent(name)}`;
  const config = await client.get<{ webhooks?: Array<{ name: string; clientConfig: { caBundle?: string } }> }>(path, { timeoutMs: 10_000 });
  const operations: object[] = [];
  const patched: string[] = [];
  (config.webhooks ?? []).forEach((webhook, index) => {
    if (webhook.clientConfig.caBundle === caBundle) return;
    operations.push(
      { op: "test", path: `/webhooks/${index}/name`, value: webhook.name },
      // "add" on an existing member replaces it (RFC 6902 4.1), so this works whether caBundle is set or not.
      { op: "add", path: `/webhooks/${index}/clientConfig/caBundle`, value: caBundle },
    );
    patched.push(webhook.name);
  });
  if (operations.length === 0) return { status: "unchanged" };
  await client.patch(path, "json", operations, { timeoutMs: 10_000, discardBody: true });
  return { status: "patched", webhooks: patched };
}

interface CaBundleInjectorOptions {
  kubeConfig: KubeSource;
  /** Name of our ValidatingWebhookConfiguration. */
  webhookConfigurationName: string;
  /** The source whose caPem to inject. */
  source: TlsSource;
  /** How often to re-check the configuration (default 60 s). */
  resyncIntervalMs?: number;
  /** How soon to retry after a failure, e.g. the configuration does not exist yet (default 5 s). */
  retryIntervalMs?: number;
  now?: () => Date;
  logger?: Logger;
}

/** Follows a TlsSource and keeps the webhook configuration's caBundle in step with it. */
export class CaBundleInjector {
  private readonly api: KubeClient;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private lastFailure: string | undefined;
  private lastResult: CaBundleResult | { status: "failed"; error: string } | undefined;
  /** The bundle last confirmed in the configuration, and since when it has been there without a break. */
  private confirmed: { caPem: string; since: Date } | undefined;

  constructor(private readonly options: CaBundleInjectorOptions) {
    this.api = kubeClientOf(options.kubeConfig);
    this.logger = options.logger ?? stderrLogger;
  }

  /** The outcome of the last pass. */
  get last(): CaBundleResult | { status: "failed"; error: string } | undefined {
    return this.lastResult;
  }

  /**
   * Since when the configuration's caBundle is known to hold `caCertPem` (seen by this process), or undefined.
   * CA rotation waits on this before serving a certificate from a new CA (renewal-plan.ts).
   */
  trustedSince(caCertPem: string): Date | undefined {
    const wanted = normalizePem(caCertPem);
    if (this.confirmed === undefined || !splitPemCertificates(this.confirmed.caPem).some((pem) => normalizePem(pem) === wanted)) return undefined;
    return this.confirmed.since;
  }

  /** Injects now and whenever the source changes; never throws (failures are logged and retried). */
  start(): Promise<void> {
    this.stopped = false;
    this.unsubscribe = this.options.source.onChange(() => void this.sync());
    return this.sync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass (serialised with any running one); resolves when the caBundle is checked or the attempt failed. */
  sync(): Promise<void> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    const run = async (): Promise<void> => {
      // The periodic check is scheduled once a run ends, never per pass: a timer firing during a slow pass
      // would otherwise chain passes forever and a caller awaiting sync() would never resume.
      clearTimeout(this.timer);
      let delay: number;
      do {
        this.again = false;
        delay = await this.syncOnce();
      } while (this.again && !this.stopped);
      if (this.stopped) return;
      this.timer = setTimeout(() => void this.sync(), delay);
      this.timer.unref();
    };
    this.running = run().finally(() => (this.running = undefined));
    return this.running;
  }

  /** One check; returns how long to wait before the next. */
  private async syncOnce(): Promise<number> {
    const caPem = this.options.source.current()?.caPem;
    const name = this.options.webhookConfigurationName;
    let delay = this.options.resyncIntervalMs ?? 60_000;
    if (caPem === undefined) {
      this.lastResult = { status: "failed", error: "the TLS source has no CA bundle to inject" };
      delay = Math.min(delay, this.options.retryIntervalMs ?? 5_000);
    } else {
      try {
        this.lastResult = await injectCaBundle(this.api, name, caPem);
        // A patch means the bundle was not there (or not whole) until now: trust starts over.
        if (this.lastResult.status === "patched" || this.confirmed?.caPem !== caPem) {
          this.confirmed = { caPem, since: (this.options.now ?? (() => new Date()))() };
        }
        if (this.lastResult.status === "patched") {
          this.logger.info({ webhookConfiguration: name, webhooks: this.lastResult.webhooks }, "caBundle of the webhook configuration updated");
        }
        this.lastFailure = undefined;
      } catch (error) {
        const message = `cannot set the caBundle of ValidatingWebhookConfiguration ${name}: ${describeError(error)}; check that it exists and that releasegate may get and patch it`;
        this.lastResult = { status: "failed", error: message };
        if (message !== this.lastFailure) this.logger.warn({ webhookConfiguration: name }, message);
        this.lastFailure = message;
        delay = Math.min(delay, this.options.retryIntervalMs ?? 5_000);
      }
    }
    return delay;
  }
}

function normalizePem(pem: string): string {
  return pem.replace(/\r\n/g, "\n").trim();
}
