// The Flux Operator's own ResourceSet fixtures (../shared/fixtures/flux-operator, read in place): every golden
// output reproduced exactly (as parsed YAML documents, in order), the inputs its builder rejects rejected with
// one line, and inputs from spec.inputsFrom reported as unknown when no provider is given.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { expandResourceSet } from "./index.js";

const ROOT = join("..", "shared", "fixtures", "flux-operator");
const present = existsSync(ROOT);
if (!present && process.env.CI === "true") throw new Error(`${ROOT} is missing: the Flux Operator fixtures are required under CI`);
if (!present) console.log(`skipping the Flux Operator golden tests: ${ROOT} is absent`);

type Obj = Record<string, unknown>;

function docs(path: string): Obj[] {
  return parseAllDocuments(readFileSync(join(ROOT, path), "utf8"))
    .map((d) => d.toJS() as unknown)
    .filter((d): d is Obj => typeof d === "object" && d !== null);
}

function one(path: string): Obj {
  const [first] = docs(path);
  if (!first) throw new Error(`${path} has no document`);
  return first;
}

/** The builder's own goldens come before the owner labels the CLI and the controller add. */
function withOwnerLabels(objects: Obj[], name: string, namespace: string): Obj[] {
  return objects.map((o) => {
    const metadata = { ...(o.metadata as Obj) };
    metadata.labels = {
      ...((metadata.labels as Obj | undefined) ?? {}),
      "resourceset.fluxcd.controlplane.io/name": name,
      "resourceset.fluxcd.controlplane.io/namespace": namespace,
    };
    return { ...o, metadata };
  });
}

describe.skipIf(!present)("ResourceSet expansion reproduces the Flux Operator's goldens", () => {
  const builderCases: Array<[string, string, string]> = [
    ["dedup", "app1", "apps"],
    ["exclude", "tenants", "flux-system"],
    ["multi-doc-template", "bundles", "flux-system"],
    ["nestedinputs", "app1", "apps"],
    ["noinputs", "app1", "apps"],
    ["slugify", "app1", "apps"],
    ["steps", "app", "apps"],
    ["steps-noinputs", "app", "apps"],
  ];
  for (const [name, rsName, rsNamespace] of builderCases) {
    it(`builder-resourceset/${name}.yaml`, () => {
      const expansion = expandResourceSet(one(`builder-resourceset/${name}.yaml`));
      expect(expansion.unknown).toEqual([]);
      expect(expansion.objects).toEqual(withOwnerLabels(docs(`builder-resourceset/${name}.golden.yaml`), rsName, rsNamespace));
    });
  }

  const cliCases: Array<[string, string | undefined, string]> = [
    ["rset-standalone.yaml", undefined, "golden.yaml"],
    ["rset-with-rsip.yaml", "rsip.yaml", "golden.yaml"],
    ["rset-with-rsip-labeled.yaml", "rsip-labeled.yaml", "golden-labeled.yaml"],
    ["rset-with-rsip-named.yaml", "rsip-named.yaml", "golden-named.yaml"],
    ["rset-with-rsip-permuted.yaml", "rsip.yaml", "golden-permuted.yaml"],
    ["rset-with-rsip-separator.yaml", "rsip-separator.yaml", "golden-separator.yaml"],
    ["rset-with-steps.yaml", undefined, "golden-steps.yaml"],
  ];
  for (const [rset, providers, golden] of cliCases) {
    it(`build-resourceset/${rset}${providers ? ` with ${providers}` : ""}`, () => {
      const options = providers ? { providers: docs(`build-resourceset/${providers}`) } : undefined;
      const expansion = expandResourceSet(one(`build-resourceset/${rset}`), options);
      expect(expansion.unknown).toEqual([]);
      expect(expansion.objects).toEqual(docs(`build-resourceset/${golden}`));
    });
  }

  it("build-resourceset/rset-with-rsip.yaml with inputs.yaml as its inline inputs", () => {
    const rset = one("build-resourceset/rset-with-rsip.yaml");
    const inputs: unknown = parseAllDocuments(readFileSync(join(ROOT, "build-resourceset/inputs.yaml"), "utf8"))[0]?.toJS();
    const spec: Obj = { ...(rset.spec as Obj), inputs };
    delete spec.inputsFrom;
    const expansion = expandResourceSet({ ...rset, spec });
    expect(expansion.objects).toEqual(docs("build-resourceset/golden.yaml"));
  });

  it("inputsFrom without providers: the generated objects are unknown, with their literal identity", () => {
    const expansion = expandResourceSet(one("build-resourceset/rset-with-rsip.yaml"));
    expect(expansion.objects).toEqual([]);
    expect(expansion.unknown.map(({ reason: _reason, ...identity }) => identity)).toEqual([
      { apiVersion: "source.toolkit.fluxcd.io/v1", kind: "OCIRepository" },
      { apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization" },
    ]);
    for (const u of expansion.unknown) expect(u.reason).toMatch(/^ResourceSet test\/apps: .*inputsFrom/);
  });

  it("inputsFrom naming a provider that is not given: unknown", () => {
    const expansion = expandResourceSet(one("build-resourceset/rset-with-rsip-named.yaml"), { providers: docs("build-resourceset/rsip-named.yaml").slice(0, 1) });
    expect(expansion.objects).toEqual([]);
    expect(expansion.unknown).toHaveLength(2);
    expect(expansion.unknown[0]).toMatchObject({ apiVersion: "source.toolkit.fluxcd.io/v1", kind: "OCIRepository", namespace: "apps" });
    expect(expansion.unknown[0]?.reason).toContain("ResourceSetInputProvider/app1-tenant2");
  });

  const rejected: Array<[string, RegExp]> = [
    ["builder-resourceset/empty.yaml", /^ResourceSet apps\/app1: spec has no resources, resourcesTemplate or steps/],
    ["builder-resourceset/invalid-output.yaml", /^ResourceSet apps\/app1: spec\.resources\[0\] \(input 0\): invalid YAML/],
    ["builder-resourceset/missing-inputs.yaml", /^ResourceSet apps\/app1: spec\.resources\[0\] \(input 1\): template: spec\.resources\[0\]:\d+:\d+: executing .*map has no entry for key "semver"/],
    ["builder-resourceset/steps-duplicate.yaml", /^ResourceSet apps\/app: duplicate resource ConfigMap\/apps\/app-config in step "deploy", already defined in step "pre-deploy"$/],
    ["build-resourceset/rset-steps-and-resources.yaml", /^ResourceSet test\/my-app: spec\.steps is mutually exclusive with spec\.resources and spec\.resourcesTemplate$/],
  ];
  for (const [path, message] of rejected) {
    it(`rejects ${path} with one line`, () => {
      let error: unknown;
      try {
        expandResourceSet(one(path));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(Error);
      const text = (error as Error).message;
      expect(text).not.toContain("\n");
      expect(text).toMatch(message);
    });
  }
});

describe("ResourceSet expansion without the fixtures", () => {
  const base = { apiVersion: "fluxcd.controlplane.io/v1", kind: "ResourceSet", metadata: { name: "apps", namespace: "flux-system" } };

  it("generates one HelmRelease per input, with commonMetadata and the owner labels", () => {
    const expansion = expandResourceSet({
      ...base,
      spec: {
        commonMetadata: { labels: { team: "platform" }, annotations: { note: "x" } },
        inputs: [{ app: "redis" }, { app: "backend", needs: "redis" }],
        resources: [
          {
            apiVersion: "helm.toolkit.fluxcd.io/v2",
            kind: "HelmRelease",
            metadata: { name: "<< inputs.app >>", namespace: "apps" },
            spec: { dependsOn: "<< if hasKey inputs \"needs\" >><< list (dict \"name\" inputs.needs) | toJson >><< else >>[]<< end >>" },
          },
        ],
      },
    });
    expect(expansion.unknown).toEqual([]);
    expect(expansion.objects.map((o) => [(o.metadata as Obj).name, (o.spec as Obj).dependsOn])).toEqual([
      ["redis", []],
      ["backend", [{ name: "redis" }]],
    ]);
    expect((expansion.objects[0]?.metadata as Obj).labels).toEqual({
      team: "platform",
      "resourceset.fluxcd.controlplane.io/name": "apps",
      "resourceset.fluxcd.controlplane.io/namespace": "flux-system",
    });
    expect((expansion.objects[0]?.metadata as Obj).annotations).toEqual({ note: "x" });
  });

  it("reports a template using a function not evaluated offline as unknown, with its literal identity", () => {
    const expansion = expandResourceSet({
      ...base,
      spec: {
        inputs: [{ app: "a" }],
        resources: [
          { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "known", namespace: "apps" } },
          { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "<< seq 1 2 >>", namespace: "apps" } },
        ],
        resourcesTemplate: "apiVersion: v1\nkind: Secret\nmetadata:\n  name: << urlParse \"x\" >>\n  namespace: << inputs.app >>\n",
      },
    });
    expect(expansion.objects.map((o) => (o.metadata as Obj).name)).toEqual(["known"]);
    expect(expansion.unknown.map(({ reason: _r, ...identity }) => identity)).toEqual([
      { apiVersion: "v1", kind: "ConfigMap", namespace: "apps" },
      { apiVersion: "v1", kind: "Secret" },
    ]);
    expect(expansion.unknown[0]?.reason).toMatch(/^ResourceSet flux-system\/apps: spec\.resources\[1\]: .*"seq" is not implemented offline$/);
  });

  it("rejects a template calling a function Go would not know, in one line", () => {
    const rs = { ...base, spec: { resources: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "<< required \"x\" inputs.a >>" } }] } };
    expect(() => expandResourceSet(rs)).toThrow(/^ResourceSet flux-system\/apps: spec\.resources\[0\]: template: spec\.resources\[0\]:\d+:\d+: function "required" not defined$/);
  });

  it("rejects what is not a ResourceSet", () => {
    expect(() => expandResourceSet({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } })).toThrow(/not a fluxcd\.controlplane\.io ResourceSet/);
  });
});
