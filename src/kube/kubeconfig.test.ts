import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump } from "js-yaml";
import { describe, expect, it } from "vitest";
import { isUnsupported, KubeconfigError, kubeconfigAccess, loadClusterAccess } from "./kubeconfig.js";
import type { ClusterAccess } from "./kubeconfig.js";

const dir = mkdtempSync(join(tmpdir(), "releasegate-kubeconfig-"));

function file(name: string, doc: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof doc === "string" ? doc : dump(doc));
  return path;
}

function config(user: Record<string, unknown>, cluster: Record<string, unknown> = { server: "https://api.example:6443/" }, extra: Record<string, unknown> = {}): unknown {
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "c", cluster }],
    users: [{ name: "u", user }],
    contexts: [{ name: "ctx", context: { cluster: "c", user: "u", namespace: "apps" } }],
    "current-context": "ctx",
    ...extra,
  };
}

describe("kubeconfigAccess", () => {
  it("reads a token user, the context's namespace, and the server without a trailing slash", () => {
    const access = kubeconfigAccess([file("token", config({ token: "abc" }))]) as ClusterAccess;
    expect(access).toMatchObject({ server: "https://api.example:6443", credentials: { type: "token", token: "abc" }, namespace: "apps", insecure: false });
  });

  it("reads certificates and keys from data or from files relative to the kubeconfig", () => {
    writeFileSync(join(dir, "client.crt"), "CERT");
    writeFileSync(join(dir, "client.key"), "KEY");
    writeFileSync(join(dir, "ca.crt"), "CA");
    const fromFiles = kubeconfigAccess([file("files", config({ "client-certificate": "client.crt", "client-key": "client.key" }, { server: "https://x", "certificate-authority": "ca.crt" }))]) as ClusterAccess;
    expect([fromFiles.clientCert?.toString(), fromFiles.clientKey?.toString(), fromFiles.ca?.toString()]).toEqual(["CERT", "KEY", "CA"]);
    const b64 = (s: string): string => Buffer.from(s).toString("base64");
    const fromData = kubeconfigAccess([file("data", config({ "client-certificate-data": b64("C2"), "client-key-data": b64("K2") }, { server: "https://x", "certificate-authority-data": b64("CA2"), "insecure-skip-tls-verify": true }))]) as ClusterAccess;
    expect([fromData.clientCert?.toString(), fromData.clientKey?.toString(), fromData.ca?.toString(), fromData.insecure]).toEqual(["C2", "K2", "CA2", true]);
  });

  it("keeps a token file as a file (read per request), and a username/password as basic", () => {
    expect((kubeconfigAccess([file("tf", config({ tokenFile: "tok" }))]) as ClusterAccess).credentials).toEqual({ type: "token-file", file: join(dir, "tok") });
    expect((kubeconfigAccess([file("basic", config({ username: "me", password: "pw" }))]) as ClusterAccess).credentials).toEqual({ type: "basic", username: "me", password: "pw" });
  });

  it("names what it cannot do itself, for client-node: exec plugins, auth-providers, proxies", () => {
    const exec = kubeconfigAccess([file("exec", config({ exec: { command: "aws" } }))]);
    expect(isUnsupported(exec) && exec.unsupported).toMatch(/exec plugin/);
    const provider = kubeconfigAccess([file("ap", config({ "auth-provider": { name: "oidc" } }))]);
    expect(isUnsupported(provider) && provider.unsupported).toMatch(/auth-provider/);
    const proxy = kubeconfigAccess([file("proxy", config({ token: "t" }, { server: "https://x", "proxy-url": "http://proxy:3128" }))]);
    expect(isUnsupported(proxy) && proxy.files).toEqual([join(dir, "proxy")]);
  });

  it("merges several files as kubectl does: the first to define a name or the current context wins", () => {
    const first = file("m1", { users: [{ name: "u", user: { token: "first" } }], "current-context": "ctx" });
    const second = file("m2", config({ token: "second" }, { server: "https://x" }, { "current-context": "other" }));
    expect((kubeconfigAccess([first, second]) as ClusterAccess).credentials).toEqual({ type: "token", token: "first" });
  });

  it("says in one line what is wrong with a broken kubeconfig", () => {
    expect(() => kubeconfigAccess([file("bad", ": : :\n\t-")])).toThrow(KubeconfigError);
    expect(() => kubeconfigAccess([file("nocontext", { clusters: [] })])).toThrow(/no current-context/);
    expect(() => kubeconfigAccess([file("nocluster", config({ token: "t" }, {}))])).toThrow(/has no server/);
    expect(() => kubeconfigAccess([file("halfcert", config({ "client-certificate-data": "eA==" }))])).toThrow(/without a key/);
    expect(() => kubeconfigAccess([join(dir, "absent")])).toThrow(/cannot read kubeconfig/);
  });
});

describe("loadClusterAccess", () => {
  const kc = file("default", config({ token: "home" }));
  it("follows kubectl's order: --kubeconfig, KUBECONFIG, the pod, ~/.kube/config", () => {
    expect((loadClusterAccess({ kubeconfig: kc, env: { KUBECONFIG: "/nope" } }) as ClusterAccess).origin).toBe(kc);
    expect((loadClusterAccess({ env: { KUBECONFIG: `/nope:${kc}` } }) as ClusterAccess).origin).toBe(kc);
    expect(() => loadClusterAccess({ env: { KUBECONFIG: "/nope" } })).toThrow(/none of it exists/);
    expect(() => loadClusterAccess({ env: {}, home: join(dir, "empty-home"), serviceAccountDir: join(dir, "no-sa") })).toThrow(/no kubeconfig/);
    expect(() => loadClusterAccess({ inCluster: true, env: {} })).toThrow(/KUBERNETES_SERVICE_HOST/);
  });
});
