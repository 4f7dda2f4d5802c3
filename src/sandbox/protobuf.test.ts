import { describe, expect, it } from "vitest";
import { decodeProtobufObject } from "./protobuf.js";

// Minimal protobuf writer for the test: length-delimited fields and varints, as gogo-protobuf emits them.
function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 127) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}
const bytesField = (field: number, data: Buffer | string): Buffer => {
  const b = Buffer.isBuffer(data) ? data : Buffer.from(data, "utf8");
  return Buffer.from([...varint((field << 3) | 2), ...varint(b.length), ...b]);
};
const varintField = (field: number, n: number): Buffer => Buffer.from([...varint(field << 3), ...varint(n)]);
const entry = (field: number, k: string, v: string | Buffer): Buffer => bytesField(field, Buffer.concat([bytesField(1, k), bytesField(2, v)]));

function envelope(kind: string, raw: Buffer): Buffer {
  const typeMeta = Buffer.concat([bytesField(1, "v1"), bytesField(2, kind)]);
  return Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), bytesField(1, typeMeta), bytesField(2, raw)]);
}

describe("Kubernetes protobuf request bodies", () => {
  it("decodes a Secret as kubectl create secret sends it (bytes data as base64, zero values dropped)", () => {
    const metadata = Buffer.concat([bytesField(1, "creds"), bytesField(2, ""), entry(11, "app", "web")]);
    const raw = Buffer.concat([bytesField(1, metadata), entry(2, "password", Buffer.from("hunter2")), bytesField(3, "Opaque"), varintField(5, 0)]);
    expect(decodeProtobufObject(envelope("Secret", raw), "Secret")).toEqual({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "creds", labels: { app: "web" } },
      data: { password: Buffer.from("hunter2").toString("base64") },
      type: "Opaque",
    });
  });

  it("decodes a Service with ports and an int-or-string targetPort", () => {
    const port = Buffer.concat([bytesField(1, "http"), bytesField(2, "TCP"), varintField(3, 80), bytesField(4, Buffer.concat([varintField(1, 0), varintField(2, 8080)]))]);
    const spec = Buffer.concat([bytesField(1, port), entry(2, "app", "web"), bytesField(4, "ClusterIP")]);
    const raw = Buffer.concat([bytesField(1, bytesField(1, "web")), bytesField(2, spec)]);
    expect(decodeProtobufObject(envelope("Service", raw), "Service").spec).toEqual({ ports: [{ name: "http", protocol: "TCP", port: 80, targetPort: 8080 }], selector: { app: "web" }, type: "ClusterIP" });
  });

  it("answers a body without the magic number, or of a kind it cannot read, with a 400 saying what to do", () => {
    expect(() => decodeProtobufObject(Buffer.from("{}"), "Secret")).toThrow(/magic number/);
    expect(() => decodeProtobufObject(envelope("Pod", Buffer.alloc(0)), "Pod")).toThrow(/send Pod as application\/json/);
  });
});
