// `releasegate sandbox --crds PATH`: the real Flux and Flux Operator CRDs (read in place from
// ../shared/fixtures) replace the sandbox's own structural schemas, and a client notices: fields the real
// CRD does not declare are refused under kubectl's Strict field validation, while the built-in schemas keep
// them; CRDs of kinds the sandbox does not serve are reported, not used.
import { existsSync } from "node:fs";
import { CustomObjectsApi } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCrdDocuments } from "../src/sandbox/crd-files.js";
import { startSandbox } from "../src/sandbox/sandbox.js";
import type { Sandbox } from "../src/sandbox/sandbox.js";

const FLUX = "../shared/fixtures/flux";
const OPERATOR = "../shared/fixtures/flux-operator/crds";
const haveShared = existsSync(FLUX) && existsSync(OPERATOR);
if (!haveShared) {
  if (process.env.CI === "true") throw new Error(`${FLUX} or ${OPERATOR} is missing: CI needs ../shared/fixtures`);
  console.log(`skipping the --crds tests: ${FLUX} or ${OPERATOR} not found (../shared/fixtures is absent)`);
}

const RSET = { group: "fluxcd.controlplane.io", version: "v1", plural: "resourcesets" };

function resourceSet(name: string, dependency: Record<string, unknown>) {
  return { apiVersion: "fluxcd.controlplane.io/v1", kind: "ResourceSet", metadata: { name, namespace: "default" }, spec: { dependsOn: [dependency], resources: [] } };
}

async function create(sandbox: Sandbox, body: object): Promise<{ code: number; message: string } | "created"> {
  try {
    await sandbox.kubeConfig().makeApiClient(CustomObjectsApi).createNamespacedCustomObject({ ...RSET, namespace: "default", body, fieldValidation: "Strict" });
    return "created";
  } catch (err) {
    const e = err as { code?: number; body?: string };
    return { code: e.code ?? 0, message: (JSON.parse(e.body ?? "{}") as { message?: string }).message ?? "" };
  }
}

describe.skipIf(!haveShared)("sandbox --crds with the real Flux and Flux Operator CRDs", () => {
  let real: Sandbox;
  let builtIn: Sandbox;

  beforeAll(async () => {
    // The Flux fixtures folder also holds example HelmReleases: they are skipped as not being CRDs.
    const docs = [...(await readCrdDocuments(FLUX)), ...(await readCrdDocuments(OPERATOR))];
    real = await startSandbox({ crds: docs });
  });
  afterAll(async () => {
    await real?.close();
    await builtIn?.close();
  });

  it("reports the CRDs it does not use", () => {
    expect(real.seedWarnings).toContain("crds: fluxinstances.fluxcd.controlplane.io is not served by the sandbox; its CRD is not used");
    expect(real.seedWarnings.some((w) => w.startsWith("crds: skipped a document: not a CustomResourceDefinition"))).toBe(true);
  });

  it("validates with the real ResourceSet CRD: a field it does not declare is refused under Strict", async () => {
    const refused = await create(real, resourceSet("strict", { apiVersion: "v1", kind: "ConfigMap", name: "x", bogus: true }));
    expect(refused).toMatchObject({ code: 400 });
    expect(refused !== "created" && refused.message).toContain('unknown field "spec.dependsOn[0].bogus"');
    expect(await create(real, resourceSet("fine", { apiVersion: "v1", kind: "ConfigMap", name: "x", ready: true }))).toBe("created");
  });

  it("keeps unmodelled fields with the built-in schemas, once the real CRDs are unloaded", async () => {
    await real.close();
    builtIn = await startSandbox();
    expect(await create(builtIn, resourceSet("kept", { apiVersion: "v1", kind: "ConfigMap", name: "x", bogus: true }))).toBe("created");
    const missing = await create(builtIn, resourceSet("no-api-version", { kind: "ConfigMap", name: "x" }));
    expect(missing).toMatchObject({ code: 422 });
    expect(missing !== "created" && missing.message).toContain("spec.dependsOn[0].apiVersion: Required value");
  });
});
