import type { V1EndpointSlice } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { peersFromEndpointSlices } from "./peer-source.js";

const slice = (addressType: string, endpoints: V1EndpointSlice["endpoints"], ports = [{ name: "webhook", port: 9443 }]): V1EndpointSlice => ({
  addressType,
  endpoints,
  ports,
});

describe("peersFromEndpointSlices", () => {
  it("lists the serving pods of the webhook port except this one", () => {
    const slices = [
      slice("IPv4", [
        { addresses: ["10.0.0.1"], conditions: { ready: true, serving: true }, targetRef: { kind: "Pod", name: "rg-a" } },
        { addresses: ["10.0.0.2"], conditions: { ready: false, serving: true }, targetRef: { kind: "Pod", name: "rg-b" } },
        { addresses: ["10.0.0.3"], conditions: { ready: false, serving: false }, targetRef: { kind: "Pod", name: "rg-c" } },
        { addresses: ["10.0.0.4"], conditions: { ready: true }, targetRef: { kind: "Pod", name: "rg-d" } },
      ]),
      slice("IPv6", [{ addresses: ["fd00::5"], targetRef: { kind: "Pod", name: "rg-e" } }]),
      slice("FQDN", [{ addresses: ["example.com"] }]),
      slice("IPv4", [{ addresses: ["10.0.0.9"] }], [{ name: "metrics", port: 8080 }]),
    ];
    expect(peersFromEndpointSlices(slices, { selfPodName: "rg-a" })).toEqual([
      "https://10.0.0.2:9443",
      "https://10.0.0.4:9443",
      "https://[fd00::5]:9443",
    ]);
  });
});
