import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump } from "js-yaml";
import { describe, expect, it } from "vitest";
import { KubeconfigError, kubeconfigAccess, loadClusterAccess } from "./kubeconfig.js";
import type { PemSource } from "./kubeconfig.js";

const text = (source: PemSource | undefined): string | undefined => (source === undefined ? undefined : "data" in source ? source.data.toString() : `file:${source.file}`);

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
    const access = kubeconfigAccess([file("token", config({ token: "abc" }))]);
    expect(access).toMatchObject({ server: "https://api.example:6443", credentials: { type: "token", token: "abc" }, namespace: "apps", insecure: false });
  });

  it("reads certificates and keys from data or from files relative to the kubeconfig", () => {
    writeFileSync(join(dir, "client.crt"), "CERT");
    writeFileSync(join(dir, "client.key"), "KEY");
    writeFileSync(join(dir, "ca.crt"), "CA");
    const fromFiles = kubeconfigAccess([file("files", config({ "client-certificate": "client.crt", "client-key": "client.key" }, { server: "https://x", "certificate-authority": "ca.crt" }))]);
    // Files stay files, so the authenticator reads them again as they rotate.
    expect([text(fromFiles.clientCert), text(fromFiles.clientKey), text(fromFiles.ca)]).toEqual([`file:${join(dir, "client.crt")}`, `file:${join(dir, "client.key")}`, `file:${join(dir, "ca.crt")}`]);
    const b64 = (s: string): string => Buffer.from(s).toString("base64");
    const fromData = kubeconfigAccess([file("data", config({ "client-certificate-data": b64("C2"), "client-key-data": b64("K2") }, { server: "https://x", "certificate-authority-data": b64("CA2"), "insecure-skip-tls-verify": true }))]);
    expect([text(fromData.clientCert), text(fromData.clientKey), text(fromData.ca), fromData.insecure]).toEqual(["C2", "K2", "CA2", true]);
  });

  it("keeps a token file as a file (read per request), winning over a token beside it, and a username/password as basic", () => {
    expect(kubeconfigAccess([file("tf-and-token", config({ tokenFile: "tok", token: "t" }))]).credentials).toEqual({ type: "token-file", file: join(dir, "tok"), token: "t" });
    expect(kubeconfigAccess([file("tf", config({ tokenFile: "tok" }))]).credentials).toEqual({ type: "token-file", file: join(dir, "tok") });
    expect(kubeconfigAccess([file("basic", config({ username: "me", password: "pw" }))]).credentials).toEqual({ type: "basic", username: "me", password: "pw" });
  });

  it("reads exec plugins, oidc, proxy-url and impersonation, and refuses what kubectl refuses", () => {
    const exec = kubeconfigAccess([file("exec", config({ exec: { apiVersion: "client.authentication.k8s.io/v1", command: "./bin/plugin", args: ["a"], interactiveMode: "Never", provideClusterInfo: true } }, { server: "https://x", "tls-server-name": "api", extensions: [{ name: "client.authentication.k8s.io/exec", extension: { region: "eu" } }] }))]);
    expect(exec.credentials).toMatchObject({ type: "exec", exec: { command: join(dir, "bin/plugin"), args: ["a"], interactiveMode: "Never", provideClusterInfo: true }, cluster: { server: "https://x", "tls-server-name": "api", config: { region: "eu" } } });
    // A bare command is looked up on PATH, as clientcmd leaves it.
    expect(kubeconfigAccess([file("exec-path", config({ exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws" } }))]).credentials).toMatchObject({ exec: { command: "aws", interactiveMode: "IfAvailable" } });
    expect(() => kubeconfigAccess([file("exec-v1", config({ exec: { apiVersion: "client.authentication.k8s.io/v1", command: "aws" } }))])).toThrow(/interactiveMode must be set/);
    expect(() => kubeconfigAccess([file("exec-alpha", config({ exec: { apiVersion: "client.authentication.k8s.io/v1alpha1", command: "aws" } }))])).toThrow(/not supported/);
    expect(kubeconfigAccess([file("oidc", config({ "auth-provider": { name: "oidc", config: { "id-token": "t", "idp-issuer-url": "https://idp" } } }))]).credentials).toMatchObject({ type: "oidc", config: { "id-token": "t" } });
    expect(() => kubeconfigAccess([file("gcp", config({ "auth-provider": { name: "gcp" } }))])).toThrow(/auth-provider "gcp" is not supported/);
    expect(kubeconfigAccess([file("proxy", config({ token: "t" }, { server: "https://x", "proxy-url": "http://proxy:3128" }))]).proxyUrl).toBe("http://proxy:3128");
    expect(() => kubeconfigAccess([file("proxy-ftp", config({ token: "t" }, { server: "https://x", "proxy-url": "ftp://proxy" }))])).toThrow(/scheme "ftp" is not supported/);
    expect(kubeconfigAccess([file("as", config({ token: "t", as: "jane", "as-uid": "42", "as-groups": ["dev", "ops"], "as-user-extra": { scopes: ["a", "b"] } }))]).impersonate).toEqual({ user: "jane", uid: "42", groups: ["dev", "ops"], extra: { scopes: ["a", "b"] } });
    expect(() => kubeconfigAccess([file("as-groups", config({ token: "t", "as-groups": ["dev"] }))])).toThrow(/need "as"/);
  });

  it("merges several files as kubectl does: the first to define a name or the current context wins", () => {
    const first = file("m1", { users: [{ name: "u", user: { token: "first" } }], "current-context": "ctx" });
    const second = file("m2", config({ token: "second" }, { server: "https://x" }, { "current-context": "other" }));
    expect(kubeconfigAccess([first, second]).credentials).toEqual({ type: "token", token: "first" });
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
    expect(loadClusterAccess({ kubeconfig: kc, env: { KUBECONFIG: "/nope" } }).origin).toBe(kc);
    expect(loadClusterAccess({ env: { KUBECONFIG: `/nope:${kc}` } }).origin).toBe(kc);
    expect(() => loadClusterAccess({ env: { KUBECONFIG: "/nope" } })).toThrow(/none of it exists/);
    expect(() => loadClusterAccess({ env: {}, home: join(dir, "empty-home"), serviceAccountDir: join(dir, "no-sa") })).toThrow(/no kubeconfig/);
    expect(() => loadClusterAccess({ inCluster: true, env: {} })).toThrow(/KUBERNETES_SERVICE_HOST/);
  });
});
