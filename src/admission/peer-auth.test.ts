import { describe, expect, it } from "vitest";
import type { TlsMaterial } from "../certs/tls-material.js";
import { tlsKeyPeerAuthenticator } from "./peer-auth.js";

const material = (keyPem: string): TlsMaterial => ({
  certPem: "cert",
  keyPem,
  notBefore: new Date(0),
  notAfter: new Date(8e15),
  serialNumber: "01",
});

describe("tlsKeyPeerAuthenticator", () => {
  it("accepts a request signed by a replica holding the same TLS key", () => {
    const a = tlsKeyPeerAuthenticator(() => material("key-1"));
    const b = tlsKeyPeerAuthenticator(() => material("key-1"));
    const header = a.sign("POST", "/pending", '{"x":1}');
    expect(b.verify(header, "POST", "/pending", Buffer.from('{"x":1}'))).toBe(true);
  });

  it("rejects other keys, altered bodies, paths or methods, and missing headers", () => {
    const a = tlsKeyPeerAuthenticator(() => material("key-1"));
    const stranger = tlsKeyPeerAuthenticator(() => material("key-2"));
    const header = a.sign("GET", "/pending?kind=HelmRelease&key=default%2Fredis", "");
    expect(stranger.verify(header, "GET", "/pending?kind=HelmRelease&key=default%2Fredis", "")).toBe(false);
    expect(a.verify(header, "GET", "/pending?kind=HelmRelease&key=default%2Fother", "")).toBe(false);
    expect(a.verify(header, "POST", "/pending?kind=HelmRelease&key=default%2Fredis", "")).toBe(false);
    expect(a.verify(undefined, "GET", "/pending", "")).toBe(false);
    expect(a.verify("t=1,sig=short", "GET", "/pending", "")).toBe(false);
  });

  it("rejects a replayed signature once it is more than a minute old", () => {
    let now = 1_000_000;
    const a = tlsKeyPeerAuthenticator(() => material("k"), () => now);
    const header = a.sign("POST", "/pending", "b");
    now += 61_000;
    expect(a.verify(header, "POST", "/pending", "b")).toBe(false);
  });

  it("still accepts the previous key right after a renewal", () => {
    let key = "old";
    const receiver = tlsKeyPeerAuthenticator(() => material(key));
    const oldSender = tlsKeyPeerAuthenticator(() => material("old"));
    receiver.sign("GET", "/", ""); // loads "old"
    key = "new";
    expect(receiver.verify(oldSender.sign("GET", "/pending", ""), "GET", "/pending", "")).toBe(true);
  });

  it("cannot sign before a certificate is loaded", () => {
    expect(tlsKeyPeerAuthenticator(() => undefined).sign("GET", "/pending", "")).toBeUndefined();
  });
});
