// src/kube against the sandbox, through the kubeconfig file the sandbox writes: lists in pages, watches
// with bookmarks and 410, patches of every type, errors as statuses, bounded bodies and lines, a token
// file that rotates, the pod's service account, and an exec-plugin kubeconfig.
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load as parseYaml, dump as toYaml } from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accessAuthenticator, connectKube, KubeApiError, KubeClient, loadClusterAccess } from "../src/kube/index.js";
import type { WatchEvent } from "../src/kube/index.js";
import { startSandbox } from "../src/sandbox/sandbox.js";
import type { Sandbox } from "../src/sandbox/sandbox.js";
import { eventually } from "./helpers/eventually.js";
import { helmRelease } from "./helpers/flux-client.js";

const HR_PATH = "/apis/helm.toolkit.fluxcd.io/v2/helmreleases";
const hrPath = (name?: string): string => `/apis/helm.toolkit.fluxcd.io/v2/namespaces/default/helmreleases${name === undefined ? "" : `/${name}`}`;

let sandbox: Sandbox;
let dir: string;
let kubeconfig: string;
let client: KubeClient;

beforeAll(async () => {
  sandbox = await startSandbox({ bookmarkIntervalMs: 100, seed: Array.from({ length: 25 }, (_, i) => helmRelease(`seed-${i}`)) });
  dir = await mkdtemp(join(tmpdir(), "releasegate-kube-"));
  kubeconfig = join(dir, "kubeconfig");
  await sandbox.writeKubeconfig(kubeconfig);
  client = (await connectKube({ kubeconfig })).client;
});

afterAll(async () => {
  client?.close();
  await sandbox?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The sandbox's kubeconfig as a document, to write variants of it. */
async function kubeconfigDoc(): Promise<{ users: Array<{ user: Record<string, unknown> }>; clusters: Array<{ cluster: Record<string, unknown> }> }> {
  return parseYaml(await readFile(kubeconfig, "utf8")) as never;
}

describe("requests", () => {
  it("lists in pages from one snapshot, and the pages add up to the whole list", async () => {
    const first = await client.listPage<{ metadata: { name: string } }>(HR_PATH, { limit: 10 });
    expect(first.items).toHaveLength(10);
    expect(first.continue).toBeDefined();
    expect(first.resourceVersion).toMatch(/^\d+$/);
    const all = await client.listAll<{ metadata: { name: string } }>(HR_PATH, {}, 7);
    expect(all.items.map((o) => o.metadata.name).sort()).toEqual(Array.from({ length: 25 }, (_, i) => `seed-${i}`).sort());
  });

  it("creates, merge-patches, JSON-patches, applies and replaces", async () => {
    const created = await client.create<{ metadata: { resourceVersion: string } }>(hrPath(), helmRelease("made"));
    expect(created.metadata.resourceVersion).toBeDefined();
    await client.patch(hrPath("made"), "merge", { metadata: { annotations: { a: "1" } } });
    await client.patch(hrPath("made"), "json", [{ op: "add", path: "/metadata/labels", value: { b: "2" } }]);
    await client.patch(hrPath("made"), "apply", { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", metadata: { name: "made", namespace: "default", annotations: { c: "3" } } }, { query: { fieldManager: "test", force: true } });
    const read = await client.get<{ metadata: { annotations: Record<string, string>; labels: Record<string, string> } }>(hrPath("made"));
    expect(read.metadata.annotations).toMatchObject({ a: "1", c: "3" });
    expect(read.metadata.labels).toEqual({ b: "2" });
    const replaced = await client.replace<{ metadata: { labels?: Record<string, string> } }>(hrPath("made"), { ...read, metadata: { ...read.metadata, labels: { d: "4" } } });
    expect(replaced.metadata.labels).toEqual({ d: "4" });
  });

  it("turns an error status into a KubeApiError with the code and the server's message", async () => {
    const error = await client.get(hrPath("absent")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).statusCode).toBe(404);
    expect((error as KubeApiError).reason).toBe("NotFound");
    expect((error as Error).message).toContain("absent");
    const conflict = await client.create(hrPath(), helmRelease("seed-1")).catch((e: unknown) => e);
    expect((conflict as KubeApiError).statusCode).toBe(409);
  });

  it("finds an object, answers undefined for one that is absent, and still rejects every other failure", async () => {
    const found = await client.find<{ metadata: { name: string } }>(hrPath("seed-3"));
    expect(found?.metadata.name).toBe("seed-3");
    await expect(client.find(hrPath("absent"))).resolves.toBeUndefined();
    await expect(client.find(hrPath("seed-3"), { maxBytes: 10 })).rejects.toThrow(/byte bound/);
  });

  it("refuses an answer over its byte bound, and times out a slow one", async () => {
    await expect(client.listPage(HR_PATH, {}, { maxBytes: 1000 })).rejects.toThrow(/byte bound/);
    sandbox.faults.setLatency(500);
    try {
      await expect(client.get(hrPath("seed-1"), { timeoutMs: 100 })).rejects.toThrow(/within 100 ms/);
    } finally {
      sandbox.faults.setLatency(0);
    }
  });

  it("keeps to its socket cap however many requests are in flight", async () => {
    const capped = new KubeClient(accessAuthenticator(loadClusterAccess({ kubeconfig })), { maxSockets: 3 });
    await Promise.all(Array.from({ length: 40 }, (_, i) => capped.get(hrPath(`seed-${i % 25}`))));
    expect(capped.openSockets()).toBeLessThanOrEqual(3);
    expect(capped.openSockets()).toBeGreaterThan(0);
    capped.close();
  });
});

describe("watches", () => {
  it("streams events from a resourceVersion, with bookmarks, until aborted", async () => {
    const { resourceVersion } = await client.listPage(HR_PATH, { limit: 1 });
    const events: WatchEvent[] = [];
    const watch = client.watch(HR_PATH, (event) => events.push(event), { query: { resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 30 } });
    await watch.opened;
    await client.create(hrPath(), helmRelease("watched"));
    await client.patch(hrPath("watched"), "merge", { metadata: { labels: { x: "y" } } });
    await client.request(hrPath("watched"), { method: "DELETE" });
    await eventually(() => events.some((e) => e.type === "DELETED") && events.some((e) => e.type === "BOOKMARK"), { what: "DELETED and BOOKMARK" });
    expect(events.filter((e) => e.type !== "BOOKMARK").map((e) => e.type)).toEqual(["ADDED", "MODIFIED", "DELETED"]);
    watch.abort();
    expect(await watch.ended).toEqual({ reason: "closed" });
  });

  it("ends with the server's close at timeoutSeconds, and reports 410 for an expired resourceVersion", async () => {
    const timed = client.watch(HR_PATH, () => undefined, { query: { timeoutSeconds: 1 } });
    expect(await timed.ended).toEqual({ reason: "closed" });
    const { resourceVersion } = await client.listPage(HR_PATH, { limit: 1 });
    await client.create(hrPath(), helmRelease("expiring"));
    sandbox.faults.expireHistory();
    const events: WatchEvent[] = [];
    const expired = client.watch(HR_PATH, (event) => events.push(event), { query: { resourceVersion, timeoutSeconds: 10 } });
    const end = await expired.ended;
    // kube-apiserver answers an expired resourceVersion either as a 410 status or as an ERROR event (a Status of code 410).
    const fromEvent = (events.find((e) => e.type === "ERROR")?.object as { code?: number } | undefined)?.code;
    const status = fromEvent ?? (end.reason === "error" && end.error instanceof KubeApiError ? end.error.statusCode : undefined);
    expect(status).toBe(410);
  });

  it("ends with an error on a line over its bound, and on a connection that breaks", async () => {
    const big = helmRelease("big") as { spec: Record<string, unknown> };
    big.spec["values"] = { blob: "x".repeat(20_000) };
    const { resourceVersion } = await client.listPage(HR_PATH, { limit: 1 });
    await client.create(hrPath(), big);
    const bounded = client.watch(HR_PATH, () => undefined, { query: { resourceVersion, timeoutSeconds: 10 }, maxLineBytes: 10_000 });
    const end = await bounded.ended;
    expect(end.reason).toBe("error");
    expect(end.reason === "error" && end.error.message).toMatch(/longer than 10000 bytes/);

    const broken = client.watch(HR_PATH, () => undefined, { query: { timeoutSeconds: 30 } });
    await broken.opened;
    sandbox.faults.dropWatches("reset");
    expect((await broken.ended).reason).toBe("error");
  });
});

describe("credentials", () => {
  it("reads a token file again once it rotates (after a minute, or at once after a 401)", async () => {
    const rbac = await startSandbox({ authorization: "RBAC" });
    try {
      const file = join(dir, "rbac.kubeconfig");
      await rbac.writeKubeconfig(file);
      const doc = parseYaml(await readFile(file, "utf8")) as { users: Array<{ user: Record<string, unknown> }> };
      const tokenFile = join(dir, "token");
      await writeFile(tokenFile, "someone-without-rights\n");
      doc.users[0]!.user = { tokenFile };
      await writeFile(file, toYaml(doc));
      let now = 0;
      const rotating = new KubeClient(accessAuthenticator(loadClusterAccess({ kubeconfig: file }), () => now));
      const forbidden = await rotating.get("/api/v1/namespaces/default/secrets").catch((e: unknown) => e);
      expect((forbidden as KubeApiError).statusCode).toBe(403);
      await writeFile(tokenFile, "sandbox-admin\n");
      // Within the minute the old token is still used ...
      await expect(rotating.get("/api/v1/namespaces/default/secrets")).rejects.toThrow(/403/);
      now += 61_000;
      // ... after it, the new one.
      await expect(rotating.get("/api/v1/namespaces/default/secrets")).resolves.toBeDefined();
      rotating.close();
    } finally {
      await rbac.close();
    }
  });

  it("uses the pod's service account: KUBERNETES_SERVICE_HOST/PORT, its token and CA", async () => {
    const sa = join(dir, "serviceaccount");
    await mkdir(sa, { recursive: true });
    await writeFile(join(sa, "token"), "sandbox-admin");
    await writeFile(join(sa, "ca.crt"), sandbox.caPem);
    await writeFile(join(sa, "namespace"), "releasegate-system\n");
    const url = new URL(sandbox.url);
    const connected = await connectKube({ env: { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port }, serviceAccountDir: sa });
    expect(connected.namespace).toBe("releasegate-system");
    expect((await connected.client.listPage(HR_PATH, { limit: 1 })).items).toHaveLength(1);
    connected.client.close();
  });

  it("checks the server against the kubeconfig's CA, and skips the check only when told to", async () => {
    const doc = await kubeconfigDoc();
    const cluster = doc.clusters[0]!.cluster;
    delete cluster["certificate-authority-data"];
    const untrusted = join(dir, "untrusted.kubeconfig");
    await writeFile(untrusted, toYaml(doc));
    const strict = (await connectKube({ kubeconfig: untrusted })).client;
    await expect(strict.get(hrPath("seed-1"))).rejects.toThrow(/certificate/);
    strict.close();
    cluster["insecure-skip-tls-verify"] = true;
    const insecure = join(dir, "insecure.kubeconfig");
    await writeFile(insecure, toYaml(doc));
    const lax = (await connectKube({ kubeconfig: insecure })).client;
    await expect(lax.get(hrPath("seed-1"))).resolves.toBeDefined();
    lax.close();
  });

  it("runs an exec plugin for its token, and lists and watches with it", async () => {
    const plugin = join(dir, "credential-plugin.mjs");
    await writeFile(
      plugin,
      `#!${process.execPath}\nprocess.stdout.write(JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: { token: "sandbox-admin", expirationTimestamp: new Date(Date.now() + 3600_000).toISOString() } }));\n`,
    );
    await chmod(plugin, 0o755);
    const doc = await kubeconfigDoc();
    doc.users[0]!.user = { exec: { apiVersion: "client.authentication.k8s.io/v1", command: plugin, interactiveMode: "Never" } };
    const file = join(dir, "exec.kubeconfig");
    await writeFile(file, toYaml(doc));
    const connected = await connectKube({ kubeconfig: file });
    const all = await connected.client.listAll(HR_PATH, {}, 10);
    expect(all.items.length).toBeGreaterThanOrEqual(25);
    const events: WatchEvent[] = [];
    const watch = connected.client.watch(HR_PATH, (e) => events.push(e), { query: { timeoutSeconds: 30 } });
    await eventually(() => events.length >= 25, { what: "the watch's initial ADDED events" });
    watch.abort();
    connected.client.close();
  });
});
