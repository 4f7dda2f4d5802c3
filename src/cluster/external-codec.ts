// What an external watch keeps of an object of a kind outside Flux (docs/behaviour.md, "Kinds outside
// Flux"): identity, generation, deletion, and only the `spec`/`status` fields kstatus reads
// (src/graph/kstatus.ts) — conditions reduced to type, status, reason and message. A Deployment's pod
// template, a custom resource's whole spec: none of it is kept, so watching a kind with many objects
// costs a few hundred bytes an object, and a change to anything else announces nothing. Besides, the
// fields the ResourceSets' readyExprs read of the kind (`keep`, field-paths.ts: `data.gate` of a
// ConfigMap), without the kubectl last-applied annotation, which the Flux Operator hides from them.

import type { ExternalObject, JsonMap, JsonValue } from "../graph/external-objects.js";
import { LAST_APPLIED_CONFIGURATION } from "../flux/annotations.js";
import { projectFields } from "../graph/field-paths.js";
import type { Keep } from "../graph/field-paths.js";
import { isRecord } from "../runtime/json.js";
import type { CacheCodec } from "./object-cache.js";
import { apiVersionOf } from "./resources.js";
import type { ResourceType } from "./resources.js";

/** The `spec` fields kept: replica counts and the rollout settings kstatus reads. */
const SPEC_FIELDS = ["replicas", "progressDeadlineSeconds"] as const;
/** The `status` fields kept, besides `conditions`. */
const STATUS_FIELDS = [
  "observedGeneration",
  "replicas",
  "readyReplicas",
  "availableReplicas",
  "updatedReplicas",
  "currentReplicas",
  "fullyLabeledReplicas",
  "currentRevision",
  "updateRevision",
  "desiredNumberScheduled",
  "currentNumberScheduled",
  "updatedNumberScheduled",
  "numberAvailable",
  "numberReady",
  "phase",
] as const;
// observedGeneration: the Flux Operator's check of a ResourceSetInputProvider reads it (ready-expr.ts).
const CONDITION_FIELDS = ["type", "status", "reason", "message", "observedGeneration"] as const;

export function externalCodec(type: ResourceType, keep?: Keep): CacheCodec<ExternalObject> {
  const apiVersion = apiVersionOf(type);
  return {
    type,
    decode: (raw) => decodeExternal(type.kind, apiVersion, raw, keep),
    same: (a, b) => JSON.stringify(a) === JSON.stringify(b),
  };
}

/** The kept fields of one object as the API server sent it; undefined without a name. */
export function decodeExternal(kind: string, apiVersion: string, raw: unknown, keep?: Keep): ExternalObject | undefined {
  if (!isRecord(raw) || !isRecord(raw["metadata"])) return undefined;
  const metadata = raw["metadata"];
  const name = metadata["name"];
  if (typeof name !== "string" || name === "") return undefined;
  const namespace = typeof metadata["namespace"] === "string" ? metadata["namespace"] : "";
  const object: ExternalObject = { apiVersion, kind, namespace, name };
  if (typeof metadata["generation"] === "number") object.generation = metadata["generation"];
  if (typeof metadata["deletionTimestamp"] === "string" && metadata["deletionTimestamp"] !== "") object.deleting = true;
  let spec = pick(raw["spec"], SPEC_FIELDS);
  const strategy = isRecord(raw["spec"]) ? raw["spec"]["updateStrategy"] : undefined;
  if (isRecord(strategy)) {
    const kept: JsonMap = {};
    if (typeof strategy["type"] === "string") kept["type"] = strategy["type"];
    const rolling = pick(strategy["rollingUpdate"], ["partition"]);
    if (rolling !== undefined) kept["rollingUpdate"] = rolling;
    spec = { ...spec, updateStrategy: kept };
  }
  if (spec !== undefined) object.spec = spec;
  const status = pick(raw["status"], STATUS_FIELDS);
  const conditions = isRecord(raw["status"]) ? raw["status"]["conditions"] : undefined;
  if (Array.isArray(conditions)) {
    const kept = conditions.map((c) => pick(c, CONDITION_FIELDS)).filter((c): c is JsonMap => c !== undefined);
    object.status = { ...(status ?? {}), conditions: kept };
  } else if (status !== undefined) {
    object.status = status;
  }
  const fields = keep === undefined ? undefined : projectFields(raw, keep);
  if (fields !== undefined) {
    const annotations = isRecord(fields["metadata"]) ? fields["metadata"]["annotations"] : undefined;
    if (isRecord(annotations)) delete annotations[LAST_APPLIED_CONFIGURATION];
    object.fields = fields;
  }
  return object;
}

/** The scalar fields `keys` of a JSON object (others, and non-scalars, dropped); undefined when none. */
function pick(value: unknown, keys: readonly string[]): JsonMap | undefined {
  if (!isRecord(value)) return undefined;
  let out: JsonMap | undefined;
  for (const key of keys) {
    const field: unknown = value[key];
    if (typeof field === "string" || typeof field === "number" || typeof field === "boolean") (out ??= {})[key] = field satisfies JsonValue;
  }
  return out;
}
