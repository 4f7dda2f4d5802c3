// Self-managed mode (the default; docs/behaviour.md, Certificates): a CA and serving certificate generated here and
// kept in one Secret in the release namespace that every replica shares.
//
// Each pass (at start, then every resync interval) reads the Secret and asks planRenewal what to do:
// - absent: generate and CREATE; on 409 AlreadyExists another replica won the race, so re-read and use its
//   certificate (every replica ends up serving the same one);
// - due for renewal (serving certificate or CA within its renewal window, wrong names, unusable): generate and
//   UPDATE with the resourceVersion read; on 409 Conflict another replica renewed first, so re-read;
// - otherwise use what is there. A replica that did not renew picks the new certificate up on its next pass,
//   which is early enough because renewal starts with a third of the validity left.
// The CA survives serving-certificate renewals; when it nears expiry a new CA joins the bundle beside the old
// one before anything it signs is served (see renewal-plan.ts). The caBundle of our
// ValidatingWebhookConfiguration follows the Secret's ca.crt (webhook-ca-bundle.ts).
import type { KubeSource } from "../kube/connect.js";
import { describeError } from "../runtime/api-error.js";
import { inspectCertificateSet, issueCertificateSet, signerCertificate, type CertificateSet } from "./certificate-set.js";
import { defaultRenewalPolicy, isNoop, planRenewal, type RenewalPlan, type RenewalPolicy, type StoredSummary } from "./renewal-plan.js";
import { oneLine, parseTlsMaterial, sameTlsMaterial, type TlsMaterial } from "./tls-material.js";
import { SECRET_KEYS, TlsSecretStore, type StoredSecret } from "./tls-secret.js";
import { stderrLogger, TlsListeners, type TlsChangeListener, type TlsSource } from "./tls-source.js";
import { CaBundleInjector } from "./webhook-ca-bundle.js";
import type { Logger } from "../runtime/logger.js";

export interface SelfManagedTlsSourceOptions {
  kubeConfig: KubeSource;
  /** The release namespace: where the Secret lives and the Service runs. */
  namespace: string;
  secretName: string;
  /** The webhook's Service; the certificate names `<svc>`, `<svc>.<ns>`, `<svc>.<ns>.svc`, `<svc>.<ns>.svc.cluster.local`. */
  serviceName: string;
  /** Our ValidatingWebhookConfiguration, whose caBundle is kept current; omitted: no injection. */
  webhookConfigurationName?: string;
  /** More DNS names for the certificate (localhost is always included, for local use). */
  extraDnsNames?: string[];
  /** IP addresses for the certificate (default 127.0.0.1). */
  ipAddresses?: string[];
  /** Validity and renewal windows; see defaultRenewalPolicy. */
  policy?: Partial<Omit<RenewalPolicy, "dnsNames" | "ipAddresses">>;
  /** How often to re-read the Secret and check for renewal (default 60 s). */
  resyncIntervalMs?: number;
  /** How soon to retry after a failed pass (default 5 s). */
  retryIntervalMs?: number;
  now?: () => Date;
  logger?: Logger;
}

/** What one pass did, as a value (also logged). */
interface SyncOutcome {
  plan: RenewalPlan;
  /** "created"/"updated": this replica wrote the Secret; "none": it used what was there. */
  wrote: "created" | "updated" | "none";
  /** Writes lost to another replica (then re-read) during this pass. */
  lostRaces: number;
  /** Serial of the certificate served after the pass. */
  serialNumber: string;
}

/** The DNS names a webhook Service is reached by, plus localhost. */
export function serviceDnsNames(serviceName: string, namespace: string): string[] {
  const svc = `${serviceName}.${namespace}.svc`;
  return [serviceName, `${serviceName}.${namespace}`, svc, `${svc}.cluster.local`, "localhost"];
}

const MAX_ATTEMPTS = 5;

type Force = { serving?: boolean; ca?: boolean };

/** The latest Date: "not trusted yet". */
const NEVER = new Date(8.64e15);

export class SelfManagedTlsSource implements TlsSource {
  private material: TlsMaterial | undefined;
  private readonly listeners: TlsListeners;
  private readonly logger: Logger;
  private readonly now: () => Date;
  private readonly store: TlsSecretStore;
  private readonly injector: CaBundleInjector | undefined;
  readonly policy: RenewalPolicy;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SyncOutcome> | undefined;
  private stopped = true;

  constructor(private readonly options: SelfManagedTlsSourceOptions) {
    this.logger = options.logger ?? stderrLogger;
    this.now = options.now ?? (() => new Date());
    this.listeners = new TlsListeners(this.logger);
    this.store = new TlsSecretStore(options.kubeConfig, options.namespace, options.secretName);
    const dnsNames = [...new Set([...serviceDnsNames(options.serviceName, options.namespace), ...(options.extraDnsNames ?? [])])];
    this.policy = defaultRenewalPolicy({ dnsNames, ipAddresses: options.ipAddresses ?? ["127.0.0.1"] }, options.policy);
    this.injector =
      options.webhookConfigurationName === undefined
        ? undefined
        : new CaBundleInjector({
            kubeConfig: options.kubeConfig,
            webhookConfigurationName: options.webhookConfigurationName,
            source: this,
            logger: this.logger,
            now: this.now,
            ...(options.resyncIntervalMs === undefined ? {} : { resyncIntervalMs: options.resyncIntervalMs }),
            ...(options.retryIntervalMs === undefined ? {} : { retryIntervalMs: options.retryIntervalMs }),
          });
  }

  current(): TlsMaterial | undefined {
    return this.material;
  }

  get notAfter(): Date | undefined {
    return this.material?.notAfter;
  }

  /** The last caBundle injection outcome, when a webhook configuration is managed. */
  get caBundleStatus(): CaBundleInjector["last"] {
    return this.injector?.last;
  }

  onChange(listener: TlsChangeListener): () => void {
    return this.listeners.add(listener);
  }

  /**
   * Gets (or creates) the shared certificate and injects the caBundle, then keeps checking. Rejects with one
   * line only when no certificate could be obtained at all; a missing webhook configuration is retried, not fatal.
   */
  async start(): Promise<void> {
    this.stopped = false;
    try {
      await this.sync();
    } catch (error) {
      if (this.material === undefined) {
        this.stopped = true;
        clearTimeout(this.timer);
        throw new Error(oneLine(error), { cause: error });
      }
    }
    await this.injector?.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.allSettled([this.running, this.injector?.stop()]);
  }

  /** One pass now (serialised with a running one). Rejects with one line when the Secret cannot be read or written. */
  sync(): Promise<SyncOutcome> {
    return this.exclusive({});
  }

  /** Issues a new serving certificate now (same CA), e.g. for `releasegate certs rotate` or a compromised key. */
  renewNow(): Promise<SyncOutcome> {
    return this.exclusive({ serving: true });
  }

  /**
   * Starts a CA rotation now: a new CA joins the bundle beside the old one (injected into the caBundle before
   * this resolves); serving certificates switch to it once it has been trusted for the policy's
   * caPropagationMs, on a later pass.
   */
  rotateCaNow(): Promise<SyncOutcome> {
    return this.exclusive({ ca: true });
  }

  private async exclusive(force: Force): Promise<SyncOutcome> {
    while (this.running !== undefined) await this.running.catch(() => undefined);
    this.running = this.syncOnce(force).finally(() => (this.running = undefined));
    return this.running;
  }

  private async syncOnce(force: Force): Promise<SyncOutcome> {
    let delay = this.options.resyncIntervalMs ?? 60_000;
    try {
      const before = this.material;
      const outcome = await this.reconcile(force);
      // A new CA bundle goes into the webhook configuration before the pass ends, so a caller (and the
      // next pass's plan) sees it injected. The injector also follows onChange; the passes coalesce.
      if (this.material?.caPem !== before?.caPem) await this.injector?.sync();
      return outcome;
    } catch (error) {
      delay = Math.min(delay, this.options.retryIntervalMs ?? 5_000);
      const message = `self-managed TLS: cannot keep Secret ${this.where()} current: ${describeError(error)}; check that the namespace exists and that releasegate may get, create and update this Secret`;
      this.logger.error({ secret: this.where(), serving: this.material?.serialNumber }, message);
      throw new Error(message, { cause: error });
    } finally {
      if (!this.stopped) {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.sync().catch(() => undefined), delay);
        this.timer.unref();
      }
    }
  }

  private async reconcile(force: Force): Promise<SyncOutcome> {
    let lostRaces = 0;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const stored = await this.store.read();
      const now = this.now();
      const summary = this.withTrust(inspectCertificateSet(stored?.set), stored);
      // A forced renewal applies to the first attempt only: after a lost race, the winner's write is the renewal.
      const plan = planRenewal(summary, this.policy, now, attempt === 0 ? force : {});
      if (isNoop(plan)) {
        this.adopt(complete(stored), now);
        return { plan, wrote: "none", lostRaces, serialNumber: this.material?.serialNumber ?? "" };
      }
      const previous = plan.ca === "new" ? undefined : complete(stored);
      const next = issueCertificateSet(previous, plan, this.policy, now, `${this.options.serviceName}.${this.options.namespace}.svc`);
      let result;
      try {
        result = stored === undefined ? await this.store.create(next) : await this.store.update(next, stored);
      } catch (error) {
        // Cannot write (e.g. RBAC): a still-valid certificate in the Secret is better than none.
        if (summary.kind === "usable" && summary.serving !== undefined) this.tryAdopt(complete(stored), now);
        throw error;
      }
      if (result.status === "lost-race") {
        lostRaces += 1;
        this.logger.info({ secret: this.where() }, "another replica wrote the certificate Secret first; using theirs");
        continue;
      }
      const wrote = stored === undefined ? "created" : "updated";
      this.adopt(next, now);
      this.logger.info(
        { secret: this.where(), ca: plan.ca, serving: plan.serving, reasons: plan.reasons, serial: this.material?.serialNumber, notAfter: this.material?.notAfter.toISOString() },
        wrote === "created" ? "certificate Secret created" : "certificate Secret renewed",
      );
      return { plan, wrote, lostRaces, serialNumber: this.material?.serialNumber ?? "" };
    }
    throw new Error(`Secret ${this.where()} changed under every one of ${MAX_ATTEMPTS} attempts to write it`);
  }

  /**
   * With a webhook configuration to check, a CA counts as trusted only from when this replica saw it in the
   * caBundle (never, until then); without one, from its birth (renewal-plan.ts).
   */
  private withTrust(summary: StoredSummary, stored: StoredSecret | undefined): StoredSummary {
    if (summary.kind !== "usable" || this.injector === undefined) return summary;
    const signerPem = signerCertificate(stored?.set);
    const trustedSince = (signerPem === undefined ? undefined : this.injector.trustedSince(signerPem)) ?? NEVER;
    return { ...summary, signer: { ...summary.signer, trustedSince } };
  }

  private adopt(set: CertificateSet, now: Date): void {
    const origin = { cert: `Secret ${this.where()} ${SECRET_KEYS.cert}`, key: `Secret ${this.where()} ${SECRET_KEYS.key}`, ca: `Secret ${this.where()} ${SECRET_KEYS.caBundle}` };
    const next = parseTlsMaterial({ certPem: set.certPem, keyPem: set.keyPem, caPem: set.caBundlePem }, origin, now);
    if (sameTlsMaterial(this.material, next)) return;
    this.material = next;
    this.logger.info({ secret: this.where(), serial: next.serialNumber, notAfter: next.notAfter.toISOString() }, "serving the certificate from the Secret");
    this.listeners.emit(next);
  }

  private tryAdopt(set: CertificateSet, now: Date): void {
    try {
      this.adopt(set, now);
    } catch {
      // the error that brought us here is the one to report
    }
  }

  private where(): string {
    return `${this.options.namespace}/${this.options.secretName}`;
  }
}

/** A read Secret's set with absent keys as empty strings (the plan has already judged what is missing). */
function complete(stored: StoredSecret | undefined): CertificateSet {
  const set = stored?.set ?? {};
  return { caBundlePem: set.caBundlePem ?? "", caKeyPem: set.caKeyPem ?? "", certPem: set.certPem ?? "", keyPem: set.keyPem ?? "" };
}
