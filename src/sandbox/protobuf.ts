// Request bodies in Kubernetes' protobuf encoding (Content-Type application/vnd.kubernetes.protobuf),
// which kubectl's typed clients send for built-in kinds (`kubectl create namespace|configmap|secret|service`).
// The encoding (https://kubernetes.io/docs/reference/using-api/api-concepts/#protobuf-encoding) is the
// 4-byte magic `k8s\0` and a runtime.Unknown {typeMeta, raw}, where raw is the kind's message from
// k8s.io/api generated.proto. Only the kinds and fields kubectl's generators set are described here;
// unknown fields are skipped. Responses stay JSON, which every such client also accepts.
import type { JsonObject } from "./json.js";
import { badRequest } from "./status.js";

type Scalar = "string" | "bytes" | "bool" | "int" | "time" | "stringMap" | "bytesMap" | "intOrString";
interface Field {
  name: string;
  type: Scalar | Message;
  repeated?: boolean;
}
interface Message {
  fields: Record<number, Field>;
}

const msg = (fields: Record<number, Field>): Message => ({ fields });

const OWNER_REFERENCE = msg({
  1: { name: "kind", type: "string" },
  3: { name: "name", type: "string" },
  4: { name: "uid", type: "string" },
  5: { name: "apiVersion", type: "string" },
  6: { name: "controller", type: "bool" },
  7: { name: "blockOwnerDeletion", type: "bool" },
});

const OBJECT_META = msg({
  1: { name: "name", type: "string" },
  2: { name: "generateName", type: "string" },
  3: { name: "namespace", type: "string" },
  5: { name: "uid", type: "string" },
  6: { name: "resourceVersion", type: "string" },
  7: { name: "generation", type: "int" },
  8: { name: "creationTimestamp", type: "time" },
  11: { name: "labels", type: "stringMap" },
  12: { name: "annotations", type: "stringMap" },
  13: { name: "ownerReferences", type: OWNER_REFERENCE, repeated: true },
  14: { name: "finalizers", type: "string", repeated: true },
});

const SERVICE_PORT = msg({
  1: { name: "name", type: "string" },
  2: { name: "protocol", type: "string" },
  3: { name: "port", type: "int" },
  4: { name: "targetPort", type: "intOrString" },
  5: { name: "nodePort", type: "int" },
  6: { name: "appProtocol", type: "string" },
});

/** Messages by kind (core/v1, and meta/v1 DeleteOptions for DELETE bodies). */
const KINDS: Record<string, Message> = {
  DeleteOptions: msg({
    1: { name: "gracePeriodSeconds", type: "int" },
    2: { name: "preconditions", type: msg({ 1: { name: "uid", type: "string" }, 2: { name: "resourceVersion", type: "string" } }) },
    3: { name: "orphanDependents", type: "bool" },
    4: { name: "propagationPolicy", type: "string" },
    5: { name: "dryRun", type: "string", repeated: true },
  }),
  Namespace: msg({
    1: { name: "metadata", type: OBJECT_META },
    2: { name: "spec", type: msg({ 1: { name: "finalizers", type: "string", repeated: true } }) },
  }),
  ConfigMap: msg({
    1: { name: "metadata", type: OBJECT_META },
    2: { name: "data", type: "stringMap" },
    3: { name: "binaryData", type: "bytesMap" },
    4: { name: "immutable", type: "bool" },
  }),
  Secret: msg({
    1: { name: "metadata", type: OBJECT_META },
    2: { name: "data", type: "bytesMap" },
    3: { name: "type", type: "string" },
    4: { name: "stringData", type: "stringMap" },
    5: { name: "immutable", type: "bool" },
  }),
  Service: msg({
    1: { name: "metadata", type: OBJECT_META },
    2: {
      name: "spec",
      type: msg({
        1: { name: "ports", type: SERVICE_PORT, repeated: true },
        2: { name: "selector", type: "stringMap" },
        3: { name: "clusterIP", type: "string" },
        4: { name: "type", type: "string" },
        5: { name: "externalIPs", type: "string", repeated: true },
        7: { name: "sessionAffinity", type: "string" },
        10: { name: "externalName", type: "string" },
        18: { name: "clusterIPs", type: "string", repeated: true },
      }),
    },
  }),
};

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error("truncated varint");
      const b = this.buf[this.pos++] as number;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  }
  bytes(): Buffer {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) throw new Error("truncated field");
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

function toInt(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

function decodeMapEntry(buf: Buffer, valueIsBytes: boolean): [string, string] {
  const r = new Reader(buf);
  let key = "";
  let value = "";
  while (!r.done()) {
    const tag = toInt(r.varint());
    const [field, wire] = [tag >> 3, tag & 7];
    if (wire !== 2) {
      r.skip(wire);
      continue;
    }
    const data = r.bytes();
    if (field === 1) key = data.toString("utf8");
    else if (field === 2) value = valueIsBytes ? data.toString("base64") : data.toString("utf8");
  }
  return [key, value];
}

function decodeScalar(type: Scalar, wire: number, r: Reader): unknown {
  switch (type) {
    case "bool":
      return r.varint() !== 0n;
    case "int":
      return toInt(r.varint());
    case "string":
      return r.bytes().toString("utf8");
    case "bytes":
      return r.bytes().toString("base64");
    case "time": {
      const t = decodeMessage(r.bytes(), msg({ 1: { name: "seconds", type: "int" }, 2: { name: "nanos", type: "int" } }));
      return new Date(Number(t.seconds ?? 0) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
    }
    case "intOrString": {
      const v = decodeMessage(r.bytes(), msg({ 1: { name: "type", type: "int" }, 2: { name: "intVal", type: "int" }, 3: { name: "strVal", type: "string" } }));
      return v.type === 1 ? (v.strVal ?? "") : (v.intVal ?? 0);
    }
    default:
      void wire;
      return undefined;
  }
}

function decodeMessage(buf: Buffer, spec: Message): JsonObject {
  const r = new Reader(buf);
  const out: JsonObject = {};
  while (!r.done()) {
    const tag = toInt(r.varint());
    const field = spec.fields[tag >> 3];
    const wire = tag & 7;
    if (!field) {
      r.skip(wire);
      continue;
    }
    let value: unknown;
    if (typeof field.type === "object") value = decodeMessage(r.bytes(), field.type);
    else if (field.type === "stringMap" || field.type === "bytesMap") {
      const [k, v] = decodeMapEntry(r.bytes(), field.type === "bytesMap");
      out[field.name] = { ...((out[field.name] as JsonObject | undefined) ?? {}), [k]: v };
      continue;
    } else value = decodeScalar(field.type, wire, r);
    if (field.repeated) out[field.name] = [...((out[field.name] as unknown[] | undefined) ?? []), value];
    else if (value === "" || value === 0 || value === false) delete out[field.name]; // Go writes zero values; JSON's omitempty drops them
    else out[field.name] = value;
  }
  return out;
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Decodes a protobuf request body into the JSON object it stands for; 415 for kinds not described here. */
export function decodeProtobufObject(body: Buffer, expectedKind: string): JsonObject {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw badRequest("protobuf body does not start with the Kubernetes magic number");
  try {
    const unknown = decodeMessage(body.subarray(4), msg({ 1: { name: "typeMeta", type: msg({ 1: { name: "apiVersion", type: "string" }, 2: { name: "kind", type: "string" } }) }, 2: { name: "raw", type: "bytes" } }));
    const typeMeta = (unknown.typeMeta as JsonObject | undefined) ?? {};
    const kind = typeof typeMeta.kind === "string" && typeMeta.kind ? typeMeta.kind : expectedKind;
    const spec = KINDS[kind];
    if (!spec) throw badRequest(`the sandbox reads protobuf bodies only for ${Object.keys(KINDS).join(", ")}; send ${kind} as application/json`);
    const raw = Buffer.from(String(unknown.raw ?? ""), "base64");
    return { apiVersion: typeMeta.apiVersion || "v1", kind, ...decodeMessage(raw, spec) };
  } catch (err) {
    if (err instanceof Error && "status" in err) throw err;
    throw badRequest(`cannot decode the protobuf body: ${(err as Error).message}`);
  }
}

/** Kinds whose protobuf bodies the sandbox reads. */
export function readsProtobuf(kind: string): boolean {
  return kind in KINDS;
}
