// Files mode: the certificate is read from --tls-cert-file/--tls-key-file, reloaded when the files change
// (plain replacement and the kubelet's `..data` symlink swap), a bad replacement keeps the old certificate,
// and an unusable file at start is a one-line error naming it.
import { X509Certificate } from "node:crypto";
import { mkdtemp, rename, rm, symlink, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import https from "node:https";
import type { TLSSocket } from "node:tls";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileTlsSource } from "../src/certs/file-tls-source.js";
import { createReloadingHttpsServer } from "../src/certs/https-server.js";
import { generateCertificateAuthority, generateServingCertificate, type KeyPair } from "../src/certs/generate.js";
import type { TlsMaterial } from "../src/certs/tls-material.js";
import type { TlsSource } from "../src/certs/tls-source.js";
import { capturingLogger, getOnce, startRequestLoop } from "./certs-request-loop.js";

const ca = generateCertificateAuthority("releasegate-files-test-ca");
const names = { commonName: "releasegate", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] };
// Certificates differ by serial; one key serves them all (RSA key generation is the slow part), and a second
// key makes a mismatch.
const sharedKeyPem = generateServingCertificate(ca, names).keyPem;
const otherKeyPem = generateServingCertificate(ca, names).keyPem;
const serving = (options: { notBefore?: Date; validDays?: number } = {}): KeyPair =>
  generateServingCertificate(ca, { ...names, keyPem: sharedKeyPem, ...options });
const serialOf = (pair: KeyPair): string => new X509Certificate(pair.certPem).serialNumber;

function nextChange(source: TlsSource): Promise<TlsMaterial> {
  return new Promise((resolve) => {
    const off = source.onChange((material) => {
      off();
      resolve(material);
    });
  });
}

let dir: string;
let sources: FileTlsSource[] = [];
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "releasegate-certs-"));
});
afterEach(async () => {
  await Promise.all(sources.map((s) => s.stop()));
  sources = [];
  await rm(dir, { recursive: true, force: true });
});

function newSource(options: Partial<ConstructorParameters<typeof FileTlsSource>[0]> = {}) {
  const logger = capturingLogger();
  const source = new FileTlsSource({
    certFile: path.join(dir, "tls.crt"),
    keyFile: path.join(dir, "tls.key"),
    pollIntervalMs: 60_000,
    debounceMs: 20,
    logger,
    ...options,
  });
  sources.push(source);
  return { source, logger };
}

/** Writes a pair by writing temporary files and renaming them over the old ones (how most tools replace). */
async function replacePair(pair: KeyPair, into = dir): Promise<void> {
  await writeFile(path.join(into, ".tls.key.tmp"), pair.keyPem);
  await writeFile(path.join(into, ".tls.crt.tmp"), pair.certPem);
  await rename(path.join(into, ".tls.key.tmp"), path.join(into, "tls.key"));
  await rename(path.join(into, ".tls.crt.tmp"), path.join(into, "tls.crt"));
}

/**
 * The kubelet's AtomicWriter layout for a Secret volume: files live in a timestamped directory, `..data`
 * points at it, and each key is a symlink through `..data`. An update writes a new directory and renames a
 * fresh `..data_tmp` symlink over `..data`.
 */
async function kubeletWrite(pair: KeyPair, generation: number, first: boolean): Promise<void> {
  const versionDir = `..2025_01_01_00_00_0${generation}.${generation}`;
  await mkdir(path.join(dir, versionDir));
  await writeFile(path.join(dir, versionDir, "tls.crt"), pair.certPem);
  await writeFile(path.join(dir, versionDir, "tls.key"), pair.keyPem);
  await symlink(versionDir, path.join(dir, "..data_tmp"));
  await rename(path.join(dir, "..data_tmp"), path.join(dir, "..data"));
  if (first) {
    await symlink("..data/tls.crt", path.join(dir, "tls.crt"));
    await symlink("..data/tls.key", path.join(dir, "tls.key"));
  }
}

describe("FileTlsSource", () => {
  it("loads the pair and reloads when the files are replaced", async () => {
    const first = serving();
    await replacePair(first);
    const { source } = newSource();
    await source.start();
    expect(source.current()?.serialNumber).toBe(serialOf(first));
    expect(source.notAfter?.getTime()).toBeGreaterThan(Date.now());

    const second = serving();
    const changed = nextChange(source);
    await replacePair(second);
    expect((await changed).serialNumber).toBe(serialOf(second));
    expect(source.current()?.certPem).toBe(second.certPem);
  });

  it("follows the kubelet's ..data symlink swap, by watch and by the periodic check alone", async () => {
    const pairs = [serving(), serving(), serving()];
    await kubeletWrite(pairs[0]!, 0, true);
    const watched = newSource().source;
    const polled = newSource({ watch: false, pollIntervalMs: 25 }).source;
    await watched.start();
    await polled.start();
    expect(watched.current()?.serialNumber).toBe(serialOf(pairs[0]!));

    for (const [generation, pair] of pairs.entries()) {
      if (generation === 0) continue;
      const changes = [nextChange(watched), nextChange(polled)];
      await kubeletWrite(pair, generation, false);
      const [byWatch, byPoll] = await Promise.all(changes);
      expect(byWatch?.serialNumber).toBe(serialOf(pair));
      expect(byPoll?.serialNumber).toBe(serialOf(pair));
    }
  });

  it("keeps serving the old certificate when a replacement is bad, and takes the next good one", async () => {
    const good = serving();
    await replacePair(good);
    const { source, logger } = newSource({ watch: false });
    await source.start();

    // The key of another certificate: mismatch, named by file.
    await writeFile(path.join(dir, "tls.key"), otherKeyPem);
    const mismatch = await source.reload();
    expect(mismatch).toEqual({ status: "rejected", error: expect.stringMatching(/tls\.key does not match certificate .*tls\.crt/) });
    expect(source.current()?.certPem).toBe(good.certPem);
    expect(source.lastError).toMatch(/does not match/);

    // Not a certificate at all.
    await writeFile(path.join(dir, "tls.crt"), "garbage");
    expect(await source.reload()).toEqual({ status: "rejected", error: expect.stringMatching(/tls\.crt holds no readable PEM certificate/) });
    // The same bad files again are not logged twice.
    await source.reload();
    const rejections = logger.lines.filter((l) => l.level === "error");
    expect(rejections).toHaveLength(2);

    // Deleted files (mid-update) are also only an error, not a crash.
    await rm(path.join(dir, "tls.crt"));
    expect(await source.reload()).toEqual({ status: "rejected", error: expect.stringMatching(/cannot be read \(ENOENT\)/) });
    expect(source.current()?.certPem).toBe(good.certPem);

    const fixed = serving();
    await replacePair(fixed);
    expect(await source.reload()).toMatchObject({ status: "reloaded" });
    expect(source.current()?.serialNumber).toBe(serialOf(fixed));
    expect(source.lastError).toBeUndefined();
  });

  it("refuses to start on an expired certificate with one line naming the file", async () => {
    await replacePair(serving({ notBefore: new Date("2020-01-01T00:00:00Z"), validDays: 30 }));
    const { source } = newSource();
    const error = await source.start().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(new RegExp(`^TLS certificate ${path.join(dir, "tls.crt")} expired at 2020-01-31T00:00:00.000Z .*replace it`));
    expect(error?.message).not.toContain("\n");
  });

  it("refuses to start on a missing file or a key that does not match", async () => {
    const { source } = newSource();
    await expect(source.start()).rejects.toThrow(/^TLS file .*tls\.crt cannot be read \(ENOENT\)/);
    await writeFile(path.join(dir, "tls.crt"), serving().certPem);
    await writeFile(path.join(dir, "tls.key"), otherKeyPem);
    await expect(source.start()).rejects.toThrow(/tls\.key does not match certificate/);
  });

  it("rejects an expiry that arrives later: a still-mounted but now expired file is not reloaded", async () => {
    await replacePair(serving());
    let now = new Date();
    const { source } = newSource({ watch: false, now: () => now });
    await source.start();
    await replacePair(serving({ validDays: 1 }));
    now = new Date(Date.now() + 2 * 24 * 3600 * 1000);
    expect(await source.reload()).toEqual({ status: "rejected", error: expect.stringMatching(/expired at/) });
  });
});

describe("reloading HTTPS server with files", () => {
  it("serves the new certificate on new connections while a keep-alive connection keeps working", async () => {
    const first = serving();
    await replacePair(first);
    const { source } = newSource();
    await source.start();
    const { server, tlsLoaded, close } = createReloadingHttpsServer((_req, res) => res.end("ok"), source, { logger: capturingLogger() });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect(tlsLoaded()).toBe(true);
      expect((await getOnce(port, ca.certPem, agent)).serial).toBe(serialOf(first));

      const second = serving();
      const changed = nextChange(source);
      await replacePair(second);
      await changed;
      const fresh = await getOnce(port, ca.certPem, false);
      expect(fresh.serial).toBe(serialOf(second));
      const kept = await getOnce(port, ca.certPem, agent);
      expect(kept.reused).toBe(true);
      expect(kept.serial).toBe(serialOf(first));
    } finally {
      agent.destroy();
      await close();
    }
  });

  it("listens before the first certificate and reports TLS loaded only once it has one", async () => {
    const pair = serving();
    await replacePair(pair);
    const { source } = newSource();
    const { server, tlsLoaded, close } = createReloadingHttpsServer((_req, res) => res.end("ok"), source, { logger: capturingLogger() });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      expect(tlsLoaded()).toBe(false);
      await expect(getOnce(port, ca.certPem, false)).rejects.toThrow();
      await source.start();
      expect(tlsLoaded()).toBe(true);
      expect((await getOnce(port, ca.certPem, false)).serial).toBe(serialOf(pair));
    } finally {
      await close();
    }
  });

  it("reports TLS not loaded once the served certificate has expired", async () => {
    await replacePair(serving({ validDays: 1 }));
    const { source } = newSource();
    await source.start();
    let now = new Date();
    const { tlsLoaded, close } = createReloadingHttpsServer((_req, res) => res.end("ok"), source, { logger: capturingLogger(), now: () => now });
    expect(tlsLoaded()).toBe(true);
    now = new Date(Date.now() + 2 * 24 * 3600 * 1000);
    expect(tlsLoaded()).toBe(false);
    await close();
  });

  it("speaks TLS 1.2 or newer only", async () => {
    await replacePair(serving());
    const { source } = newSource();
    await source.start();
    const { server, close } = createReloadingHttpsServer((_req, res) => res.end("ok"), source, { logger: capturingLogger() });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const get = (tlsOptions: https.RequestOptions) =>
      new Promise<string>((resolve, reject) => {
        https
          .get({ host: "127.0.0.1", port, ca: ca.certPem, agent: false, ...tlsOptions }, (res) => {
            resolve((res.socket as TLSSocket).getProtocol() ?? "");
            res.resume();
          })
          .on("error", reject);
      });
    try {
      expect(await get({ maxVersion: "TLSv1.2" })).toBe("TLSv1.2");
      await expect(get({ minVersion: "TLSv1", maxVersion: "TLSv1.1", ciphers: "DEFAULT@SECLEVEL=0" })).rejects.toThrow(/protocol version|unsupported protocol/i);
    } finally {
      await close();
    }
  });

  it("keeps every request succeeding while the files are replaced several times", async () => {
    await kubeletWrite(serving(), 0, true);
    const { source } = newSource();
    await source.start();
    const { server, close } = createReloadingHttpsServer(
      (_req, res) => setTimeout(() => res.end("ok"), 2),
      source,
      { logger: capturingLogger() },
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const loop = startRequestLoop(port, () => ca.certPem);
    try {
      for (let generation = 1; generation <= 4; generation++) {
        await loop.waitForRequests(20);
        const changed = nextChange(source);
        await kubeletWrite(serving(), generation, false);
        await changed;
      }
      await loop.waitForRequests(20);
    } finally {
      const report = await loop.stop();
      await close();
      expect(report.failures).toEqual([]);
      expect(report.serials.size).toBeGreaterThanOrEqual(4);
      expect(report.reusedRequests).toBeGreaterThan(0);
    }
  });
});
