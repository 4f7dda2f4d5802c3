// The TlsSource abstraction: where the webhook's serving certificate comes from, and how a renewed one reaches
// the HTTPS server without a restart (docs/behaviour.md, Certificates: "in every mode a renewed certificate is picked
// up without a restart"). Implementations: FileTlsSource (files and cert-manager modes) and
// SelfManagedTlsSource (default mode, a Secret shared by every replica).
import type { TlsMaterial } from "./tls-material.js";
import type { Logger } from "../runtime/logger.js";

export type TlsChangeListener = (material: TlsMaterial) => void;

export interface TlsSource {
  /** The certificate to serve now; undefined until start() has loaded one. */
  current(): TlsMaterial | undefined;
  /** Expiry of the certificate served now (for the expiry metric); undefined before the first load. */
  readonly notAfter: Date | undefined;
  /** Calls `listener` with every certificate loaded, the first included; returns a function that unsubscribes. */
  onChange(listener: TlsChangeListener): () => void;
  /** Loads the first certificate (rejecting with a one-line error when it cannot) and starts watching. */
  start(): Promise<void>;
  /** Stops watching; current() keeps the last certificate. */
  stop(): Promise<void>;
}

/** One JSON object a line on stderr, for callers that pass no logger. */
export const stderrLogger: Logger = {
  debug: () => undefined,
  info: (obj, msg) => console.error(JSON.stringify({ level: "info", msg, ...obj })),
  warn: (obj, msg) => console.error(JSON.stringify({ level: "warn", msg, ...obj })),
  error: (obj, msg) => console.error(JSON.stringify({ level: "error", msg, ...obj })),
};

/** Listener bookkeeping shared by the implementations; a throwing listener never stops the others. */
export class TlsListeners {
  private readonly listeners = new Set<TlsChangeListener>();

  constructor(private readonly logger: Logger) {}

  add(listener: TlsChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(material: TlsMaterial): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(material);
      } catch (error) {
        this.logger.error({ err: error instanceof Error ? error.message : String(error) }, "TLS change listener failed");
      }
    }
  }
}
