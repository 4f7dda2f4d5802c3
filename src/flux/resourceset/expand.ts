// What a Flux Operator ResourceSet generates, computed offline as its builder does: `spec.resources` (each
// entry written as YAML, then templated) and `spec.resourcesTemplate` (one multi-document template), or the
// same per `spec.steps` entry, rendered once per input set (once with none), with `<< >>` delimiters,
// missingkey=error, the slim-sprig functions and `slugify`. Objects are deduplicated by group, kind, namespace
// and name (the `resources` entries win over the template's), those annotated
// `fluxcd.controlplane.io/reconcile: disabled` dropped, an object defined by two steps rejected; then
// `spec.commonMetadata` and the `resourceset.fluxcd.controlplane.io/name` and `/namespace` labels are set.
// When the inputs or a function are unknown offline, the affected templates are reported in `unknown` with
// what of their identity is literal: `check` calls what only they might produce `unverified` (see
// docs/behaviour.md, "What check sees").

import { combineInputs } from "./inputs.js";
import { GoTemplate } from "./template-exec.js";
import { TemplateError, UnsupportedTemplateError } from "./template-error.js";
import { RESOURCESET_FUNCTIONS, UNSUPPORTED_FUNCTIONS } from "./template-functions.js";
import { marshalGoYaml } from "./go-yaml.js";
import { toGoValue, type GoMap } from "./go-values.js";
import { readObject, readObjects, splitDocuments, type RenderedObject } from "./rendered-yaml.js";
import type { TemplateFunction } from "./template-exec.js";

interface ResourceSetExpansion {
  objects: Array<Record<string, unknown>>;
  unknown: Array<{ apiVersion?: string; kind?: string; namespace?: string; reason: string }>;
}

type Unknown = ResourceSetExpansion["unknown"][number];

const DELIMS = { left: "<<", right: ">>" };
const RECONCILE_ANNOTATION = "fluxcd.controlplane.io/reconcile";
const OWNER_LABEL_PREFIX = "resourceset.fluxcd.controlplane.io";

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

interface TemplateSet {
  /** "" for the spec itself, else the step name. */
  step: string;
  where: string;
  resources: unknown[];
  resourcesTemplate: string;
}

class Builder {
  readonly unknown: Unknown[] = [];

  constructor(
    private readonly id: string,
    private readonly inputs: GoMap[],
  ) {}

  private compile(name: string, source: string): GoTemplate {
    return new GoTemplate(name, source, { delims: DELIMS, functions: TEMPLATE_FUNCTIONS, unsupported: UNSUPPORTED_FUNCTIONS, missingKey: "error" });
  }

  /** The builder executes with nil data; `inputs` returns the current input set. */
  private render(template: GoTemplate, input: GoMap): string {
    const inputsFn: TemplateFunction = () => input;
    return template.execute(null, new Map([["inputs", inputsFn]]));
  }

  /** BuildResourceSet: the objects of one set of templates. */
  build(set: TemplateSet): RenderedObject[] {
    const objects: RenderedObject[] = [];
    const keys = new Set<string>();
    const add = (object: RenderedObject, dedup: boolean): void => {
      const key = objectKey(object);
      if (dedup && keys.has(key)) return;
      keys.add(key);
      objects.push(object);
    };
    const inputSets: Array<GoMap | undefined> = this.inputs.length === 0 ? [undefined] : this.inputs;

    set.resources.forEach((entry, i) => {
      const where = `${set.where}resources[${i}]`;
      const source = marshalGoYaml(toGoValue(entry));
      const built = this.guard(where, () => {
        const template = this.compile(where, source);
        return inputSets.map((input, n) => this.fail(where, n, input, () => readObject(this.render(template, input ?? {}))));
      });
      if (built === undefined) {
        this.unknown.push({ ...literalIdentity(record(entry)), reason: `${this.id}: ${where}: ${this.lastUnsupported}` });
        return;
      }
      for (const object of built) {
        if (object === undefined) continue;
        // Without inputs the builder neither excludes nor deduplicates the `resources` entries.
        if (this.inputs.length === 0) {
          add(object, false);
          continue;
        }
        if (annotations(object)[RECONCILE_ANNOTATION] === "disabled") continue;
        add(object, true);
      }
    });

    if (set.resourcesTemplate !== "") {
      const where = `${set.where}resourcesTemplate`;
      const built = this.guard(where, () => {
        const template = this.compile(where, set.resourcesTemplate);
        return inputSets.flatMap((input, n) => this.fail(where, n, input, () => readObjects(this.render(template, input ?? {}))));
      });
      if (built === undefined) {
        for (const identity of templateIdentities(set.resourcesTemplate)) {
          this.unknown.push({ ...identity, reason: `${this.id}: ${where}: ${this.lastUnsupported}` });
        }
      } else {
        for (const object of built) {
          if (annotations(object)[RECONCILE_ANNOTATION] === "disabled") continue;
          add(object, true);
        }
      }
    }
    return objects;
  }

  private lastUnsupported = "";

  /** Runs a build; an unsupported function makes it unknown (undefined), any other error is fatal. */
  private guard<T>(where: string, run: () => T): T | undefined {
    try {
      return run();
    } catch (error) {
      if (error instanceof UnsupportedTemplateError) {
        this.lastUnsupported = error.message;
        return undefined;
      }
      if (error instanceof ExpansionError) throw error;
      throw new ExpansionError(`${this.id}: ${where}: ${oneLine(error)}`, { cause: error });
    }
  }

  private fail<T>(where: string, n: number, input: GoMap | undefined, run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (error instanceof UnsupportedTemplateError) throw error;
      const which = input === undefined ? "" : ` (input ${n})`;
      throw new ExpansionError(`${this.id}: ${where}${which}: ${oneLine(error)}`, { cause: error });
    }
  }
}

const TEMPLATE_FUNCTIONS: ReadonlyMap<string, TemplateFunction> = new Map([...RESOURCESET_FUNCTIONS, ["inputs", (): GoMap => ({})]]);

class ExpansionError extends Error {}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? message;
}

function annotations(object: RenderedObject): Record<string, unknown> {
  return record(record(object.metadata).annotations);
}

function objectKey(object: RenderedObject): string {
  const apiVersion = str(object.apiVersion) ?? "";
  const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
  const metadata = record(object.metadata);
  return [group, str(object.kind) ?? "", str(metadata.namespace) ?? "", str(metadata.name) ?? ""].join("/");
}

function describe(object: RenderedObject): string {
  const metadata = record(object.metadata);
  const ns = str(metadata.namespace);
  return [str(object.kind) ?? "", ...(ns ? [ns] : []), str(metadata.name) ?? ""].join("/");
}

function literal(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" && !value.includes(DELIMS.left) ? value : undefined;
}

function literalIdentity(entry: Record<string, unknown>): Omit<Unknown, "reason"> {
  const out: Omit<Unknown, "reason"> = {};
  const apiVersion = literal(entry.apiVersion);
  const kind = literal(entry.kind);
  const namespace = literal(record(entry.metadata).namespace);
  if (apiVersion !== undefined) out.apiVersion = apiVersion;
  if (kind !== undefined) out.kind = kind;
  if (namespace !== undefined) out.namespace = namespace;
  return out;
}

/** What of each document's identity a multi-document template states literally. */
function templateIdentities(template: string): Array<Omit<Unknown, "reason">> {
  const unquote = (v: string | undefined): string | undefined => literal(v?.trim().replace(/^(["'])(.*)\1$/, "$2"));
  const found: Array<Omit<Unknown, "reason">> = [];
  let docs: string[];
  try {
    docs = splitDocuments(template);
  } catch {
    docs = [template];
  }
  for (const doc of docs) {
    const apiVersion = unquote(/^apiVersion:\s*(.+?)\s*$/m.exec(doc)?.[1]);
    const kind = unquote(/^kind:\s*(.+?)\s*$/m.exec(doc)?.[1]);
    const metadataBlock = /^metadata:\s*\n((?:[ \t]+.*\n?|\s*\n)*)/m.exec(doc)?.[1] ?? "";
    const namespace = unquote(/^[ \t]+namespace:\s*(.+?)\s*$/m.exec(metadataBlock)?.[1]);
    if (!/^(apiVersion|kind):/m.test(doc)) continue;
    const identity: Omit<Unknown, "reason"> = {};
    if (apiVersion !== undefined) identity.apiVersion = apiVersion;
    if (kind !== undefined) identity.kind = kind;
    if (namespace !== undefined) identity.namespace = namespace;
    found.push(identity);
  }
  return found.length > 0 ? found : [{}];
}

function templateSets(spec: Record<string, unknown>, id: string): TemplateSet[] {
  const resources = Array.isArray(spec.resources) ? spec.resources : [];
  const resourcesTemplate = str(spec.resourcesTemplate) ?? "";
  const steps = Array.isArray(spec.steps) ? spec.steps.map(record) : [];
  if (steps.length > 0 && (resources.length > 0 || resourcesTemplate !== "")) {
    throw new Error(`${id}: spec.steps is mutually exclusive with spec.resources and spec.resourcesTemplate`);
  }
  if (steps.length === 0) {
    if (resources.length === 0 && resourcesTemplate === "") {
      throw new Error(`${id}: spec has no resources, resourcesTemplate or steps, so it generates no objects`);
    }
    return [{ step: "", where: "spec.", resources, resourcesTemplate }];
  }
  return steps.map((step, i) => {
    const name = str(step.name) ?? `${i}`;
    const stepResources = Array.isArray(step.resources) ? step.resources : [];
    const stepTemplate = str(step.resourcesTemplate) ?? "";
    if (stepResources.length === 0 && stepTemplate === "") {
      throw new Error(`${id}: step "${name}": at least one of resources or resourcesTemplate must be set`);
    }
    return { step: name, where: `spec.steps[${i}].`, resources: stepResources, resourcesTemplate: stepTemplate };
  });
}

function setMetadata(object: RenderedObject, field: "labels" | "annotations", values: Record<string, unknown>): void {
  if (Object.keys(values).length === 0) return;
  const metadata = record(object.metadata);
  object.metadata = metadata;
  metadata[field] = { ...record(metadata[field]), ...values };
}

export function expandResourceSet(
  resourceSet: Record<string, unknown>,
  options?: { providers?: Array<Record<string, unknown>> },
): ResourceSetExpansion {
  const metadata = record(resourceSet.metadata);
  const name = str(metadata.name);
  const namespace = str(metadata.namespace);
  const id = `ResourceSet ${namespace ? `${namespace}/` : ""}${name ?? "(unnamed)"}`;
  if (resourceSet.kind !== "ResourceSet" || !String(resourceSet.apiVersion ?? "").startsWith("fluxcd.controlplane.io/")) {
    throw new Error(`${id}: not a fluxcd.controlplane.io ResourceSet (apiVersion ${JSON.stringify(resourceSet.apiVersion)}, kind ${JSON.stringify(resourceSet.kind)})`);
  }
  if (name === undefined || name === "") throw new Error(`${id}: metadata.name is missing`);
  const spec = record(resourceSet.spec);
  const sets = templateSets(spec, id);

  let combined;
  try {
    combined = combineInputs(resourceSet, options?.providers);
  } catch (error) {
    throw new Error(`${id}: ${oneLine(error)}`, { cause: error });
  }
  if (!combined.known) {
    const reason = `${id}: ${combined.reason}`;
    const unknown: Unknown[] = [];
    for (const set of sets) {
      for (const entry of set.resources) unknown.push({ ...literalIdentity(record(entry)), reason });
      if (set.resourcesTemplate !== "") for (const identity of templateIdentities(set.resourcesTemplate)) unknown.push({ ...identity, reason });
    }
    return { objects: [], unknown };
  }

  const builder = new Builder(id, combined.inputs);
  const objects: RenderedObject[] = [];
  const stepOf = new Map<string, string>();
  for (const set of sets) {
    let built: RenderedObject[];
    try {
      built = builder.build(set);
    } catch (error) {
      if (error instanceof ExpansionError) throw new Error(error.message, { cause: error });
      if (error instanceof TemplateError) throw new Error(`${id}: ${oneLine(error)}`, { cause: error });
      throw error;
    }
    for (const object of built) {
      const key = objectKey(object);
      const previous = stepOf.get(key);
      if (previous !== undefined && previous !== set.step) {
        throw new Error(`${id}: duplicate resource ${describe(object)} in step "${set.step}", already defined in step "${previous}"`);
      }
      stepOf.set(key, set.step);
      objects.push(object);
    }
  }

  const common = record(spec.commonMetadata);
  const ownerLabels = { [`${OWNER_LABEL_PREFIX}/name`]: name, [`${OWNER_LABEL_PREFIX}/namespace`]: namespace ?? "" };
  for (const object of objects) {
    setMetadata(object, "labels", record(common.labels));
    setMetadata(object, "annotations", record(common.annotations));
    setMetadata(object, "labels", ownerLabels);
  }
  return { objects, unknown: builder.unknown };
}
