// Files mode (`--tls-cert-file`, `--tls-key-file`, optional CA file): load a certificate and key from disk,
// check them, and reload when they change.
//
// This is also the whole of cert-manager mode: cert-manager writes the Certificate's Secret (tls.crt, tls.key,
// ca.crt), the kubelet mounts it, and cert-manager's cainjector patches the webhook's caBundle from the
// `cert-manager.io/inject-ca-from` annotation, so releasegate only has to read the mounted files.
//
// Why a directory watch *and* a poll: the kubelet updates a Secret volume atomically by writing a new
// timestamped directory and renaming a `..data` symlink over the old one (tls.crt is itself a symlink to
// `..data/tls.crt`). A watch on the file would follow the old inode and miss the swap; a watch on the directory
// sees the rename, and the periodic stat (which follows symlinks) catches what watches miss on filesystems
// where inotify is unreliable.
import { watch, type FSWatcher } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { oneLine, parseTlsMaterial, sameTlsMaterial, TlsMaterialError, type TlsMaterial } from "./tls-material.js";
import { stderrLogger, TlsListeners, type TlsChangeListener, type TlsSource } from "./tls-source.js";
import type { Logger } from "../runtime/logger.js";

interface FileTlsSourceOptions {
  certFile: string;
  keyFile: string;
  /** CA bundle clients trust (cert-manager's ca.crt); optional. */
  caFile?: string;
  /** How often to stat the files when no watch event came (default 10 s). */
  pollIntervalMs?: number;
  /** Watch the directories (default true); false leaves only the periodic check, for filesystems without inotify. */
  watch?: boolean;
  /** Quiet time after a watch event before reloading, so a cert+key pair written together loads once (default 100 ms). */
  debounceMs?: number;
  now?: () => Date;
  logger?: Logger;
}

/** What one reload did: a decision value, also logged. */
type FileReloadResult =
  | { status: "unchanged" }
  | { status: "reloaded"; material: TlsMaterial }
  | { status: "rejected"; error: string };

export class FileTlsSource implements TlsSource {
  private material: TlsMaterial | undefined;
  private readonly listeners: TlsListeners;
  private readonly logger: Logger;
  private readonly now: () => Date;
  private watchers: FSWatcher[] = [];
  private pollTimer: NodeJS.Timeout | undefined;
  private debounceTimer: NodeJS.Timeout | undefined;
  private statSignature = "";
  private lastRejected: { content: string; error: string } | undefined;
  private reloading: Promise<FileReloadResult> | undefined;
  private reloadAgain = false;
  private stopped = true;

  constructor(private readonly options: FileTlsSourceOptions) {
    this.logger = options.logger ?? stderrLogger;
    this.now = options.now ?? (() => new Date());
    this.listeners = new TlsListeners(this.logger);
  }

  current(): TlsMaterial | undefined {
    return this.material;
  }

  get notAfter(): Date | undefined {
    return this.material?.notAfter;
  }

  /** The last reload error while an older certificate is still served; undefined when the files are good. */
  get lastError(): string | undefined {
    return this.lastRejected?.error;
  }

  onChange(listener: TlsChangeListener): () => void {
    return this.listeners.add(listener);
  }

  async start(): Promise<void> {
    const files = await this.readFiles();
    this.material = parseTlsMaterial(files, this.origin(), this.now());
    this.statSignature = await this.statFiles();
    this.stopped = false;
    this.logger.info(this.describe(this.material), "TLS certificate loaded from files");
    this.listeners.emit(this.material);
    const dirs = this.options.watch === false ? [] : new Set(this.paths().map((file) => path.dirname(file)));
    for (const dir of dirs) {
      try {
        const watcher = watch(dir, { persistent: false }, () => this.scheduleReload());
        watcher.on("error", (error) => this.logger.warn({ dir, err: oneLine(error) }, "TLS directory watch failed; relying on the periodic check"));
        this.watchers.push(watcher);
      } catch (error) {
        this.logger.warn({ dir, err: oneLine(error) }, "TLS directory watch unavailable; relying on the periodic check");
      }
    }
    this.pollTimer = setInterval(() => void this.poll(), this.options.pollIntervalMs ?? 10_000);
    this.pollTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
    clearInterval(this.pollTimer);
    clearTimeout(this.debounceTimer);
    await this.reloading;
  }

  /**
   * Reads the files again. A good new certificate replaces the served one (listeners are told); a bad one is
   * rejected, logged once, and the old certificate stays in service. Never throws.
   */
  reload(): Promise<FileReloadResult> {
    if (this.reloading !== undefined) {
      this.reloadAgain = true;
      return this.reloading;
    }
    const run = async (): Promise<FileReloadResult> => {
      let result: FileReloadResult;
      do {
        this.reloadAgain = false;
        result = await this.reloadOnce();
      } while (this.reloadAgain);
      return result;
    };
    this.reloading = run().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  private async reloadOnce(): Promise<FileReloadResult> {
    let files: { certPem: string; keyPem: string; caPem?: string };
    try {
      this.statSignature = await this.statFiles();
      files = await this.readFiles();
    } catch (error) {
      return this.reject(oneLine(error), `unreadable:${oneLine(error)}`);
    }
    const content = `${files.certPem}\0${files.keyPem}\0${files.caPem ?? ""}`;
    let next: TlsMaterial;
    try {
      next = parseTlsMaterial(files, this.origin(), this.now());
    } catch (error) {
      return this.reject(oneLine(error), content);
    }
    this.lastRejected = undefined;
    if (sameTlsMaterial(this.material, next)) return { status: "unchanged" };
    this.material = next;
    this.logger.info(this.describe(next), "TLS certificate reloaded from files");
    this.listeners.emit(next);
    return { status: "reloaded", material: next };
  }

  private reject(error: string, content: string): FileReloadResult {
    // A rejected pair is logged once, not on every poll; the old certificate keeps serving.
    if (this.lastRejected?.content !== content) {
      this.logger.error({ err: error, serving: this.material?.serialNumber }, "TLS files rejected; still serving the previous certificate");
    }
    this.lastRejected = { content, error };
    return { status: "rejected", error };
  }

  private scheduleReload(): void {
    if (this.stopped) return;
    clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => void this.reload(), this.options.debounceMs ?? 100);
    this.debounceTimer.unref();
  }

  private async poll(): Promise<void> {
    if (this.stopped) return;
    let signature: string;
    try {
      signature = await this.statFiles();
    } catch (error) {
      signature = `error:${oneLine(error)}`;
    }
    if (signature !== this.statSignature) await this.reload();
  }

  private paths(): string[] {
    const { certFile, keyFile, caFile } = this.options;
    return caFile === undefined ? [certFile, keyFile] : [certFile, keyFile, caFile];
  }

  private origin(): { cert: string; key: string; ca?: string } {
    return { cert: this.options.certFile, key: this.options.keyFile, ...(this.options.caFile === undefined ? {} : { ca: this.options.caFile }) };
  }

  /** stat follows symlinks, so a `..data` swap changes the inode seen here even though the path did not change. */
  private async statFiles(): Promise<string> {
    // One file at a time, so the error names the first unreadable file in a stable order (cert, key, CA).
    const parts: string[] = [];
    for (const file of this.paths()) {
      const s = await unreadable(file, () => stat(file));
      parts.push(`${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`);
    }
    return parts.join("|");
  }

  private async readFiles(): Promise<{ certPem: string; keyPem: string; caPem?: string }> {
    const read = (file: string): Promise<string> => unreadable(file, () => readFile(file, "utf8"));
    const { certFile, keyFile, caFile } = this.options;
    const certPem = await read(certFile);
    const keyPem = await read(keyFile);
    const caPem = caFile === undefined ? undefined : await read(caFile);
    return caPem === undefined ? { certPem, keyPem } : { certPem, keyPem, caPem };
  }

  private describe(material: TlsMaterial): object {
    return { certFile: this.options.certFile, serial: material.serialNumber, notAfter: material.notAfter.toISOString() };
  }
}

/** Runs a file operation, turning its failure into a one-line error naming the file. */
async function unreadable<T>(file: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? oneLine(error);
    throw new TlsMaterialError(`TLS file ${file} cannot be read (${code}); check the path and that its Secret is mounted`);
  }
}
