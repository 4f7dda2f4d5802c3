// The input sets a ResourceSet's templates are rendered with, combined as the Flux Operator does: the inline
// `spec.inputs` first, then the ResourceSetInputProviders that `spec.inputsFrom` names or selects (same
// namespace, sorted by namespace and name), each input carrying a `provider` reference. Strategy Flatten
// concatenates them; Permute takes their Cartesian product, each provider's input under its normalized name
// ("team1-apps" → "team1_apps") and an `id` checksum of the combination. Offline, only Static providers have
// known inputs: their `spec.defaultValues` plus `id`, the Adler-32 checksum of the provider name (what
// `flux-operator build rset --inputs-from-provider` uses).

import { adler32 } from "./adler32.js";
import { isGoMap, toGoValue, type GoMap } from "./go-values.js";

type CombinedInputs = { known: true; inputs: GoMap[] } | { known: false; reason: string };

const MAX_PERMUTATIONS = 10_000;

interface Source {
  name: string;
  inputs: GoMap[];
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** metav1.LabelSelector matching (matchLabels and the In/NotIn/Exists/DoesNotExist expressions). */
export function matchesSelector(selector: Record<string, unknown>, labels: Record<string, unknown>): boolean {
  for (const [key, value] of Object.entries(record(selector.matchLabels))) {
    if (labels[key] !== value) return false;
  }
  const expressions = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  for (const raw of expressions) {
    const expr = record(raw);
    const key = str(expr.key) ?? "";
    const values = Array.isArray(expr.values) ? expr.values.map(String) : [];
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    const value = has ? String(labels[key]) : undefined;
    switch (expr.operator) {
      case "In":
        if (value === undefined || !values.includes(value)) return false;
        break;
      case "NotIn":
        if (value !== undefined && values.includes(value)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        throw new Error(`spec.inputsFrom: unknown selector operator ${JSON.stringify(expr.operator)}`);
    }
  }
  return true;
}

/** The normalized provider name Permute scopes inputs under. */
export function normalizeProviderName(name: string): string {
  return name
    .toLowerCase()
    .replace(/-/g, "_")
    .replace(/[^a-z0-9_]/g, "")
    .split("_")
    .filter((w) => w !== "")
    .join("_");
}

function providerRef(object: Record<string, unknown>, kind: string): GoMap {
  const metadata = record(object.metadata);
  return {
    apiVersion: str(object.apiVersion) ?? "fluxcd.controlplane.io/v1",
    kind,
    name: str(metadata.name) ?? "",
    namespace: str(metadata.namespace) ?? "",
  };
}

export function combineInputs(resourceSet: Record<string, unknown>, providers: Array<Record<string, unknown>> | undefined): CombinedInputs {
  const spec = record(resourceSet.spec);
  const metadata = record(resourceSet.metadata);
  const rsName = str(metadata.name) ?? "";
  const rsNamespace = str(metadata.namespace);
  const rsRef = providerRef(resourceSet, "ResourceSet");

  const inline = Array.isArray(spec.inputs) ? spec.inputs : [];
  const inlineInputs: GoMap[] = inline.map((raw, i) => {
    const value = toGoValue(raw);
    if (!isGoMap(value)) throw new Error(`spec.inputs[${i}] must be a map of values, not ${JSON.stringify(raw)}`);
    return { ...value, provider: { ...rsRef } };
  });

  const refs = Array.isArray(spec.inputsFrom) ? spec.inputsFrom.map(record) : [];
  const selected = new Map<string, Record<string, unknown>>();
  if (refs.length > 0) {
    if (providers === undefined) {
      return { known: false, reason: "its inputs come from spec.inputsFrom (ResourceSetInputProvider), known only in the cluster" };
    }
    const candidates = providers.filter((p) => {
      const ns = str(record(p.metadata).namespace);
      return p.kind === "ResourceSetInputProvider" && (ns === undefined || rsNamespace === undefined || ns === rsNamespace);
    });
    for (const ref of refs) {
      const name = str(ref.name);
      if (name !== undefined && name !== "") {
        const found = candidates.find((p) => record(p.metadata).name === name);
        if (!found) return { known: false, reason: `its input provider ResourceSetInputProvider/${name} is not among the given files` };
        selected.set(name, found);
        continue;
      }
      const selector = record(ref.selector);
      for (const p of candidates) {
        if (matchesSelector(selector, record(record(p.metadata).labels))) selected.set(str(record(p.metadata).name) ?? "", p);
      }
    }
  }

  const sources: Source[] = [{ name: rsName, inputs: inlineInputs }];
  const sortedNames = [...selected.keys()].sort();
  for (const name of sortedNames) {
    const provider = selected.get(name) ?? {};
    const pspec = record(provider.spec);
    const type = str(pspec.type) ?? "";
    if (type !== "Static") {
      return { known: false, reason: `its input provider ResourceSetInputProvider/${name} is of type ${type || "(none)"}, whose inputs are known only in the cluster` };
    }
    const defaults = toGoValue(pspec.defaultValues ?? {});
    const values: GoMap = isGoMap(defaults) ? { ...defaults } : {};
    values.id = String(adler32(name));
    values.provider = providerRef(provider, "ResourceSetInputProvider");
    sources.push({ name, inputs: [values] });
  }

  const strategy = str(record(spec.inputStrategy).name) ?? "Flatten";
  if (strategy === "Flatten") return { known: true, inputs: sources.flatMap((s) => s.inputs) };
  if (strategy !== "Permute") throw new Error(`unknown input strategy: '${strategy}'`);
  return { known: true, inputs: permute(sources, record(spec.inputStrategy).includeEmptyProviders === true) };
}

function permute(sources: Source[], includeEmpty: boolean): GoMap[] {
  const used = sources.filter((s) => includeEmpty || s.inputs.length > 0);
  if (used.length === 0) return [];
  let expected = 1;
  const scoped = used.map((s) => {
    expected *= s.inputs.length;
    if (expected > MAX_PERMUTATIONS) {
      throw new Error(`adding provider '${s.name}' with ${s.inputs.length} inputs would exceed the maximum allowed permutations. max: ${MAX_PERMUTATIONS}, got: ${expected}`);
    }
    const key = normalizeProviderName(s.name);
    if (key === "") throw new Error(`normalized provider name is empty: '${s.name}'`);
    return { key, inputs: s.inputs };
  });
  const out: GoMap[] = [];
  const choose = (depth: number, picked: number[]): void => {
    if (depth === scoped.length) {
      const perm: GoMap = {};
      const id: string[] = [];
      picked.forEach((index, i) => {
        const source = scoped[i];
        if (!source) return;
        perm[source.key] = source.inputs[index] ?? {};
        id.push(`${source.key}=${index}`);
      });
      perm.id = String(adler32(id.join("/")));
      out.push(perm);
      return;
    }
    const source = scoped[depth];
    if (!source) return;
    for (let i = 0; i < source.inputs.length; i++) choose(depth + 1, [...picked, i]);
  };
  choose(0, []);
  return out;
}
