// The real kubectl (1.35 from the npm layer, and the machine's own when present) against the sandbox:
// discovery, client-side and server-side apply, get (tables and YAML), delete with its wait, and an
// admission webhook denial printed the way kubectl prints one from a real cluster.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:https";
import type { Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { generateCertificateAuthority, generateServingCertificate } from "../src/certs/generate.js";
import type { Sandbox } from "../src/sandbox/index.js";
import { startSandbox } from "../src/sandbox/index.js";
import { kubectlBinaries, runTool } from "./helpers/tools.js";

let sandbox: Sandbox;
let work: string;
let kubeconfig: string;

beforeAll(async () => {
  sandbox = await startSandbox();
  work = mkdtempSync(join(tmpdir(), "sandbox-kubectl-"));
  kubeconfig = join(work, "kubeconfig");
  await sandbox.writeKubeconfig(kubeconfig);
});

afterAll(async () => {
  await sandbox.close();
  rmSync(work, { recursive: true, force: true });
});

function manifests(namespace: string, interval: string): string {
  return `apiVersion: v1
kind: Namespace
metadata:
  name: ${namespace}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: backend
  namespace: ${namespace}
spec:
  interval: ${interval}
  chart:
    spec:
      chart: backend
      sourceRef:
        kind: HelmRepository
        name: bitnami
        namespace: flux-system
  dependsOn:
    - name: redis
`;
}

describe.each(kubectlBinaries())("$label", ({ path }) => {
  const ns = `team-${path.includes("node_modules") ? "npm" : "system"}`;
  // A private HOME per binary: kubectl caches discovery under ~/.kube/cache.
  const kubectl = (args: string[]) => runTool(path, ["--kubeconfig", kubeconfig, ...args], { env: { HOME: join(work, ns) } });

  it("lists the served resources with kubectl api-resources", async () => {
    const result = await kubectl(["api-resources"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^helmreleases\s+hr\s+helm\.toolkit\.fluxcd\.io\/v2\s+true\s+HelmRelease$/m);
    expect(result.stdout).toMatch(/^kustomizations\s+ks\s+kustomize\.toolkit\.fluxcd\.io\/v1\s+true\s+Kustomization$/m);
    expect(result.stdout).toMatch(/^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease$/m);
    expect(result.stdout).toMatch(/^validatingwebhookconfigurations\s+admissionregistration\.k8s\.io\/v1\s+false\s+ValidatingWebhookConfiguration$/m);
  });

  it("applies, gets, re-applies and deletes a Namespace and a HelmRelease", async () => {
    const file = join(work, `${ns}.yaml`);
    writeFileSync(file, manifests(ns, "10m"));
    const created = await kubectl(["apply", "-f", file]);
    expect(created.stderr).toBe("");
    expect(created.stdout).toBe(`namespace/${ns} created\nhelmrelease.helm.toolkit.fluxcd.io/backend created\n`);

    const unchanged = await kubectl(["apply", "-f", file]);
    expect(unchanged.stdout).toBe(`namespace/${ns} unchanged\nhelmrelease.helm.toolkit.fluxcd.io/backend unchanged\n`);
    writeFileSync(file, manifests(ns, "5m"));
    const configured = await kubectl(["apply", "-f", file]);
    expect(configured.stdout).toBe(`namespace/${ns} unchanged\nhelmrelease.helm.toolkit.fluxcd.io/backend configured\n`);

    const table = await kubectl(["get", "helmreleases", "-A"]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^NAMESPACE\s+NAME\s+AGE\s+READY\s+STATUS$/);
    expect(lines.some((l) => new RegExp(`^${ns}\\s+backend\\s+\\d+s`).test(l))).toBe(true);

    const yaml = await kubectl(["get", "hr", "backend", "-n", ns, "-o", "yaml"]);
    const object = parse(yaml.stdout) as { apiVersion: string; metadata: { generation: number; annotations: Record<string, string> }; spec: { interval: string; dependsOn: unknown } };
    expect(object.apiVersion).toBe("helm.toolkit.fluxcd.io/v2");
    expect(object.spec.interval).toBe("5m");
    expect(object.spec.dependsOn).toEqual([{ name: "redis" }]);
    expect(object.metadata.generation).toBe(2);
    expect(object.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]).toContain('"interval":"5m"');

    const missing = await kubectl(["get", "hr", "nope", "-n", ns]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('Error from server (NotFound): helmreleases.helm.toolkit.fluxcd.io "nope" not found');

    const deleted = await kubectl(["delete", "-f", file]);
    expect(deleted.stderr).toBe("");
    expect(deleted.stdout).toBe(`namespace "${ns}" deleted\nhelmrelease.helm.toolkit.fluxcd.io "backend" deleted${deleted.stdout.includes("from") ? ` from ${ns} namespace` : ""}\n`);
    const gone = await kubectl(["get", "ns", ns]);
    expect(gone.stderr.trim()).toBe(`Error from server (NotFound): namespaces "${ns}" not found`);
  });

  it("creates built-in objects with kubectl create (typed clients send protobuf bodies)", async () => {
    const space = `${ns}-create`;
    expect((await kubectl(["create", "namespace", space])).stdout).toBe(`namespace/${space} created\n`);
    expect((await kubectl(["create", "configmap", "settings", "-n", space, "--from-literal=mode=fast"])).stdout).toBe("configmap/settings created\n");
    expect((await kubectl(["create", "secret", "generic", "creds", "-n", space, "--from-literal=password=hunter2"])).stdout).toBe("secret/creds created\n");
    const secret = parse((await kubectl(["get", "secret", "creds", "-n", space, "-o", "yaml"])).stdout) as { type: string; data: Record<string, string> };
    expect(secret.type).toBe("Opaque");
    expect(Buffer.from(secret.data.password ?? "", "base64").toString()).toBe("hunter2");
    const cms = await kubectl(["get", "configmaps", "-n", space]);
    expect(cms.stdout).toMatch(/^settings\s+1\s+\d+s$/m);
  });

  it("applies server-side, with conflicts for fields another manager owns unless forced", async () => {
    const file = join(work, `${ns}-ssa.yaml`);
    writeFileSync(file, manifests(`${ns}-ssa`, "10m"));
    const applied = await kubectl(["apply", "--server-side", "-f", file]);
    expect(applied.stderr).toBe("");
    expect(applied.stdout).toBe(`namespace/${ns}-ssa serverside-applied\nhelmrelease.helm.toolkit.fluxcd.io/backend serverside-applied\n`);
    const other = await kubectl(["apply", "--server-side", "--field-manager", "someone-else", "-f", file]);
    expect(other.code).toBe(0);
    writeFileSync(file, manifests(`${ns}-ssa`, "1m"));
    const conflict = await kubectl(["apply", "--server-side", "--field-manager", "someone-else", "-f", file]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('conflict with "kubectl"');
    expect(conflict.stderr).toContain(".spec.interval");
    const forced = await kubectl(["apply", "--server-side", "--force-conflicts", "--field-manager", "someone-else", "-f", file]);
    expect(forced.code).toBe(0);
    const yaml = await kubectl(["get", "hr", "backend", "-n", `${ns}-ssa`, "-o", "yaml", "--show-managed-fields"]);
    const object = parse(yaml.stdout) as { spec: { interval: string }; metadata: { managedFields: Array<{ manager: string; operation: string }> } };
    expect(object.spec.interval).toBe("1m");
    expect(object.metadata.managedFields.map((m) => `${m.manager}/${m.operation}`).sort()).toEqual(["kubectl/Apply", "someone-else/Apply"]);
  });
});

describe("an admission webhook that denies", () => {
  let webhook: Server;

  beforeAll(async () => {
    const ca = generateCertificateAuthority("deny-webhook-ca");
    const cert = generateServingCertificate(ca, { commonName: "deny-webhook", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
    webhook = createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        const review = JSON.parse(body) as { request: { uid: string; name: string; operation: string } };
        const deny = review.request.operation === "CREATE" && review.request.name === "forbidden";
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(
          JSON.stringify({
            apiVersion: "admission.k8s.io/v1",
            kind: "AdmissionReview",
            response: {
              uid: review.request.uid,
              allowed: !deny,
              warnings: ["dependsOn names default/redis, which is not Ready"],
              // Reason and code as controller-runtime's admission.Denied sets them; kube-apiserver passes both on.
              ...(deny ? { status: { code: 403, reason: "Forbidden", message: "spec.dependsOn: default/forbidden → default/redis → default/forbidden closes a cycle" } } : {}),
            },
          }),
        );
      });
    });
    await new Promise<void>((r) => webhook.listen(0, "127.0.0.1", () => r()));
    const port = (webhook.address() as { port: number }).port;
    const file = join(work, "vwc.yaml");
    writeFileSync(
      file,
      `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: releasegate-test
webhooks:
  - name: deny.releasegate.test
    admissionReviewVersions: ["v1"]
    sideEffects: None
    failurePolicy: Fail
    clientConfig:
      url: https://127.0.0.1:${port}/validate
      caBundle: ${Buffer.from(ca.certPem).toString("base64")}
    rules:
      - apiGroups: ["helm.toolkit.fluxcd.io"]
        apiVersions: ["*"]
        resources: ["helmreleases"]
        operations: ["CREATE", "UPDATE"]
`,
    );
    const [first] = kubectlBinaries();
    const registered = await runTool(first?.path ?? "kubectl", ["--kubeconfig", kubeconfig, "apply", "-f", file], { env: { HOME: join(work, "webhook") } });
    expect(registered.stdout).toBe("validatingwebhookconfiguration.admissionregistration.k8s.io/releasegate-test created\n");
  });

  afterAll(async () => {
    await new Promise<void>((r) => webhook.close(() => r()));
  });

  it.each(kubectlBinaries())("$label prints the denial and the warning", async ({ path }) => {
    const file = join(work, "forbidden.yaml");
    writeFileSync(file, manifests("default", "10m").split("---\n")[1]?.replace("name: backend", "name: forbidden") ?? "");
    const result = await runTool(path, ["--kubeconfig", kubeconfig, "apply", "-f", file], { env: { HOME: join(work, "webhook") } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Warning: dependsOn names default/redis, which is not Ready\n");
    expect(result.stderr).toContain(
      `Error from server (Forbidden): error when creating "${file}": admission webhook "deny.releasegate.test" denied the request: spec.dependsOn: default/forbidden → default/redis → default/forbidden closes a cycle`,
    );
  });
});
