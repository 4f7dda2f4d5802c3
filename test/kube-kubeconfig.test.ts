// The kubeconfig fields of docs/architecture.md's table, each read by src/kube and by the real kubectl
// from the same file, against the sandbox with RBAC: who the API server sees is the probe (a list of
// kube-system's Secrets is refused with a message naming the user), so "the same user" is checked, not
// assumed. Rotation (client certificate files, exec credentials) runs on an injected clock.
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { dump as toYaml, load as parseYaml } from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accessAuthenticator, connectKube, KubeClient, loadClusterAccess } from "../src/kube/index.js";
import { startSandbox } from "../src/sandbox/sandbox.js";
import type { Sandbox } from "../src/sandbox/sandbox.js";
import { bundledKubectl, runTool } from "./helpers/tools.js";

interface KubeconfigDoc {
  clusters: Array<{ name: string; cluster: Record<string, unknown> }>;
  users: Array<{ name: string; user: Record<string, unknown> }>;
  contexts: Array<{ name: string; context: Record<string, unknown> }>;
  "current-context": string;
}

let sandbox: Sandbox;
let dir: string;
let base: KubeconfigDoc;
let kubectl: string;
let fileCount = 0;

beforeAll(async () => {
  sandbox = await startSandbox({
    authorization: "RBAC",
    seed: [
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "present", namespace: "default" } },
      { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "read-configmaps" }, rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["list"] }] },
      { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: "readers" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "read-configmaps" }, subjects: [{ kind: "Group", name: "readers" }] },
      { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "impersonate-users-groups" }, rules: [{ apiGroups: [""], resources: ["users", "groups"], verbs: ["impersonate"] }] },
      { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: "limited-impersonator" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "impersonate-users-groups" }, subjects: [{ kind: "User", name: "limited" }] },
    ],
  });
  dir = await mkdtemp(join(tmpdir(), "releasegate-kubeconfig-"));
  const file = join(dir, "base.kubeconfig");
  await sandbox.writeKubeconfig(file);
  base = parseYaml(await readFile(file, "utf8")) as KubeconfigDoc;
  kubectl = bundledKubectl();
});

afterAll(async () => {
  await sandbox?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Writes a variant of the sandbox's kubeconfig: its user replaced, its cluster changed. */
async function variant(user: Record<string, unknown>, cluster: Record<string, unknown> = {}): Promise<string> {
  const doc = structuredClone(base);
  doc.users[0]!.user = user;
  doc.clusters[0]!.cluster = { ...doc.clusters[0]!.cluster, ...cluster };
  const file = join(dir, `variant-${++fileCount}.kubeconfig`);
  await writeFile(file, toYaml(doc));
  return file;
}

const PROBE = "/api/v1/namespaces/kube-system/secrets";

/** Who the API server takes `client` for: the user its refusal names ("(allowed)" for an admin). */
async function whoAmI(client: KubeClient): Promise<string> {
  try {
    await client.get(PROBE);
    return "(allowed)";
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return /User "([^"]+)"/.exec(message)?.[1] ?? `error: ${message}`;
  }
}

/** The same question asked by kubectl with the same kubeconfig. */
async function kubectlWhoAmI(args: string[], env: Record<string, string> = {}): Promise<string> {
  const result = await runTool(kubectl, [...args, "get", "secrets", "-n", "kube-system", "-o", "name"], { env: { HOME: dir, ...env } });
  if (result.code === 0) return "(allowed)";
  return /User "([^"]+)"/.exec(result.stderr)?.[1] ?? `error: ${result.stderr.trim()}`;
}

async function ours(file: string): Promise<string> {
  const { client } = await connectKube({ kubeconfig: file });
  try {
    return await whoAmI(client);
  } finally {
    client.close();
  }
}

describe("the kubeconfig, read as kubectl reads it", () => {
  it("KUBECONFIG: several files merged, the first to name a user winning; token", async () => {
    const doc = structuredClone(base);
    const clusterFile = join(dir, "merge-a.kubeconfig");
    await writeFile(clusterFile, toYaml({ ...doc, users: [{ name: doc.users[0]!.name, user: { token: "first-file-user" } }] }));
    const userFile = join(dir, "merge-b.kubeconfig");
    await writeFile(userFile, toYaml({ users: [{ name: doc.users[0]!.name, user: { token: "second-file-user" } }], "current-context": "elsewhere" }));
    const env = { KUBECONFIG: [join(dir, "absent"), clusterFile, userFile].join(delimiter) };
    const client = new KubeClient(accessAuthenticator(loadClusterAccess({ env })));
    expect(await whoAmI(client)).toBe("first-file-user");
    client.close();
    expect(await kubectlWhoAmI([], env)).toBe("first-file-user");
  });

  it("client-certificate and client-key files: the CN is the user, and a rotated pair is used without a restart", async () => {
    const alice = sandbox.clientCertificate("alice");
    await writeFile(join(dir, "user.crt"), alice.certPem);
    await writeFile(join(dir, "user.key"), alice.keyPem);
    const file = await variant({ "client-certificate": "user.crt", "client-key": "user.key" });
    let now = Date.now();
    const client = new KubeClient(accessAuthenticator(loadClusterAccess({ kubeconfig: file }), () => now));
    expect(await whoAmI(client)).toBe("alice");
    expect(await kubectlWhoAmI(["--kubeconfig", file])).toBe("alice");
    const bob = sandbox.clientCertificate("bob");
    await writeFile(join(dir, "user.crt"), bob.certPem);
    await writeFile(join(dir, "user.key"), bob.keyPem);
    // Within the minute the old pair is still used (its connections too); after it, new connections with the new pair.
    expect(await whoAmI(client)).toBe("alice");
    now += 61_000;
    expect(await whoAmI(client)).toBe("bob");
    client.close();
    expect(await kubectlWhoAmI(["--kubeconfig", file])).toBe("bob");
  });

  it("client-certificate-data and client-key-data", async () => {
    const carol = sandbox.clientCertificate("carol", ["readers"]);
    const file = await variant({ "client-certificate-data": Buffer.from(carol.certPem).toString("base64"), "client-key-data": Buffer.from(carol.keyPem).toString("base64") });
    expect(await ours(file)).toBe("carol");
    expect(await kubectlWhoAmI(["--kubeconfig", file])).toBe("carol");
  });

  it("exec: the plugin's token, run again at its expirationTimestamp and after a 401", async () => {
    const counter = join(dir, "exec-count");
    await writeFile(counter, "0");
    // The plugin's clock is the test's (a file), so the credential expires on the same injected time.
    const clock = join(dir, "exec-clock");
    let now = Date.now();
    await writeFile(clock, String(now));
    const plugin = join(dir, "counting-plugin.mjs");
    // Run 1 answers a token of a ServiceAccount that does not exist (401); later runs a user named by the run.
    await writeFile(
      plugin,
      `#!${process.execPath}
import { readFileSync, writeFileSync } from "node:fs";
const n = Number(readFileSync(${JSON.stringify(counter)}, "utf8")) + 1;
writeFileSync(${JSON.stringify(counter)}, String(n));
const token = n === 1 ? "system:serviceaccount:default:gone" : "exec-user-" + n;
process.stdout.write(JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: { token, expirationTimestamp: new Date(Number(readFileSync(${JSON.stringify(clock)}, "utf8")) + 60_000).toISOString() } }));
`,
    );
    await chmod(plugin, 0o755);
    const file = await variant({ exec: { apiVersion: "client.authentication.k8s.io/v1", command: plugin, interactiveMode: "Never" } });
    const client = new KubeClient(accessAuthenticator(loadClusterAccess({ kubeconfig: file }), () => now));
    // The 401 of run 1 makes the client run the plugin again at once, within the same request.
    expect(await whoAmI(client)).toBe("exec-user-2");
    expect(await whoAmI(client)).toBe("exec-user-2");
    now += 61_000;
    await writeFile(clock, String(now));
    expect(await whoAmI(client)).toBe("exec-user-3");
    expect(await whoAmI(client)).toBe("exec-user-3");
    client.close();
    await writeFile(clock, String(Date.now()));
    expect(await kubectlWhoAmI(["--kubeconfig", file])).toBe("exec-user-4");
  });

  it("exec: provideClusterInfo hands the cluster (and its exec extension) to the plugin, interactive false without a terminal", async () => {
    const plugin = join(dir, "cluster-info-plugin.mjs");
    await writeFile(
      plugin,
      `#!${process.execPath}
const info = JSON.parse(process.env.KUBERNETES_EXEC_INFO);
const c = info.spec.cluster;
const token = c ? c.config.user + "-" + String(info.spec.interactive) + "-" + (c.server === ${JSON.stringify(sandbox.url)}) + "-" + (c["certificate-authority-data"] !== undefined) + "-" + process.env.FROM_KUBECONFIG : "no-cluster-info";
process.stdout.write(JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1beta1", kind: "ExecCredential", status: { token } }));
`,
    );
    await chmod(plugin, 0o755);
    const file = await variant(
      { exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: plugin, provideClusterInfo: true, env: [{ name: "FROM_KUBECONFIG", value: "env" }] } },
      { extensions: [{ name: "client.authentication.k8s.io/exec", extension: { user: "from-extension" } }] },
    );
    expect(await ours(file)).toBe("from-extension-false-true-true-env");
    expect(await kubectlWhoAmI(["--kubeconfig", file])).toBe("from-extension-false-true-true-env");
  });

  it("exec: interactiveMode Always without a terminal is refused, by both", async () => {
    const file = await variant({ exec: { apiVersion: "client.authentication.k8s.io/v1", command: "/bin/true", interactiveMode: "Always" } });
    expect(await ours(file)).toMatch(/^error: .*not a terminal/);
    expect(await kubectlWhoAmI(["--kubeconfig", file])).toMatch(/^error: .*(terminal|interactive)/);
  });

  it("auth-provider oidc: the id-token, refreshed at the issuer when expired", async () => {
    const jwt = (sub: string, exp: number): string =>
      [Buffer.from('{"alg":"none"}').toString("base64url"), Buffer.from(JSON.stringify({ sub, exp, iss: "x" })).toString("base64url"), "sig"].join(".");
    const fresh = jwt("refreshed", Math.floor(Date.now() / 1000) + 3600);
    const grants: string[] = [];
    const issuer = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        const url = `http://127.0.0.1:${(issuer.address() as AddressInfo).port}`;
        res.setHeader("content-type", "application/json");
        if (req.url === "/.well-known/openid-configuration") {
          res.end(JSON.stringify({ issuer: url, token_endpoint: `${url}/token`, authorization_endpoint: `${url}/auth`, jwks_uri: `${url}/keys`, response_types_supported: ["code"], subject_types_supported: ["public"], id_token_signing_alg_values_supported: ["RS256"] }));
        } else if (req.url === "/token") {
          grants.push(new URLSearchParams(body).get("grant_type") ?? "");
          res.end(JSON.stringify({ access_token: "a", token_type: "Bearer", id_token: fresh, refresh_token: "r2", expires_in: 3600 }));
        } else res.writeHead(404).end("{}");
      });
    });
    await new Promise<void>((resolve) => issuer.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(issuer.address() as AddressInfo).port}`;
      const config = { "client-id": "releasegate", "client-secret": "s", "id-token": jwt("stale", 1000), "refresh-token": "r1", "idp-issuer-url": url };
      const file = await variant({ "auth-provider": { name: "oidc", config } });
      expect(await ours(file)).toBe(fresh);
      expect(grants).toEqual(["refresh_token"]);
      expect(await kubectlWhoAmI(["--kubeconfig", file])).toBe(fresh);
      // A valid id-token is used as it is, with no trip to the issuer.
      const current = await variant({ "auth-provider": { name: "oidc", config: { ...config, "id-token": fresh } } });
      expect(await ours(current)).toBe(fresh);
      expect(grants).toHaveLength(2);
    } finally {
      await new Promise<void>((resolve) => issuer.close(() => resolve()));
    }
  });

  it("tls-server-name: the certificate is checked against that name, not the server's address", async () => {
    const right = await variant({ token: "tls-user" }, { "tls-server-name": "kubernetes" });
    expect(await ours(right)).toBe("tls-user");
    expect(await kubectlWhoAmI(["--kubeconfig", right])).toBe("tls-user");
    const wrong = await variant({ token: "tls-user" }, { "tls-server-name": "wrong.example" });
    expect(await ours(wrong)).toMatch(/^error: .*(wrong\.example|altnames|certificate)/i);
    expect(await kubectlWhoAmI(["--kubeconfig", wrong])).toMatch(/^error: .*(wrong\.example|certificate)/i);
  });

  it("insecure-skip-tls-verify: no CA needed, by both", async () => {
    const file = await variant({ token: "insecure-user" }, { "certificate-authority-data": undefined, "insecure-skip-tls-verify": true });
    expect(await ours(file)).toBe("insecure-user");
    expect(await kubectlWhoAmI(["--kubeconfig", file])).toBe("insecure-user");
  });

  it("as and as-groups: requests act as the impersonated user, in its groups", async () => {
    const file = await variant({ token: "sandbox-admin", as: "jane" });
    expect(await ours(file)).toBe("jane");
    expect(await kubectlWhoAmI(["--kubeconfig", file])).toBe("jane");
    // jane alone may not list ConfigMaps; in the group "readers" she may.
    const plain = (await connectKube({ kubeconfig: file })).client;
    await expect(plain.get("/api/v1/namespaces/default/configmaps")).rejects.toThrow(/User "jane" cannot list/);
    plain.close();
    const grouped = await variant({ token: "sandbox-admin", as: "jane", "as-groups": ["readers"] });
    const reader = (await connectKube({ kubeconfig: grouped })).client;
    await expect(reader.get("/api/v1/namespaces/default/configmaps")).resolves.toBeDefined();
    reader.close();
    const viaKubectl = await runTool(kubectl, ["--kubeconfig", grouped, "get", "configmaps", "-n", "default"], { env: { HOME: dir } });
    expect(viaKubectl.stderr).not.toMatch(/forbidden/i);
  });

  it("as-uid and as-user-extra are sent: a requester allowed to impersonate only users and groups is refused them", async () => {
    const withUid = await variant({ token: "limited", as: "jane", "as-uid": "1234" });
    expect(await ours(withUid)).toBe("limited");
    const uidRefusal = await connectKube({ kubeconfig: withUid }).then(({ client }) => client.get(PROBE).catch((e: Error) => e.message));
    expect(uidRefusal).toMatch(/cannot impersonate resource "uids" in API group "authentication.k8s.io"/);
    const kubectlUid = await runTool(kubectl, ["--kubeconfig", withUid, "get", "secrets", "-n", "kube-system"], { env: { HOME: dir } });
    expect(kubectlUid.stderr).toMatch(/cannot impersonate resource "uids" in API group "authentication.k8s.io"/);
    const withExtra = await variant({ token: "limited", as: "jane", "as-user-extra": { "example.com/scope": ["read"] } });
    const extraRefusal = await connectKube({ kubeconfig: withExtra }).then(({ client }) => client.get(PROBE).catch((e: Error) => e.message));
    expect(extraRefusal).toMatch(/cannot impersonate resource "userextras\/example.com\/scope"/);
    const kubectlExtra = await runTool(kubectl, ["--kubeconfig", withExtra, "get", "secrets", "-n", "kube-system"], { env: { HOME: dir } });
    expect(kubectlExtra.stderr).toMatch(/cannot impersonate resource "userextras\/example.com\/scope"/);
    // Allowed to impersonate users, "limited" acts as jane when only `as` is set.
    expect(await ours(await variant({ token: "limited", as: "jane" }))).toBe("jane");
  });
});
