// NO_PROXY and the proxy choice, with the cases of Go's golang.org/x/net/http/httpproxy tests (the
// rules kubectl follows) taken as facts: TestUseProxy's table and a few of proxyForURLTests.
import { describe, expect, it } from "vitest";
import { proxyFor, useProxy } from "./proxy.js";

const GO_NO_PROXY = "foobar.com, .barbaz.net, *.wildcard.io, 192.168.1.1, 192.168.1.2:81, 192.168.1.3:80, 10.0.0.0/30, 2001:db8::52:0:1, [2001:db8::52:0:2]:443, [2001:db8::52:0:3]:80, 2002:db8:a::45/64";

const GO_USE_PROXY: Array<[string, boolean]> = [
  ["localhost", false],
  ["127.0.0.1", false],
  ["127.0.0.2", false],
  ["::1", false],
  ["::2", true],
  ["192.168.1.1", false],
  ["192.168.1.2", true],
  ["192.168.1.3", false],
  ["192.168.1.4", true],
  ["10.0.0.2", false],
  ["2001:db8::52:0:1", false],
  ["2001:db8::52:0:2", true],
  ["2001:db8::52:0:3", false],
  ["2002:db8:a::123", false],
  ["fe80::424b:c8be:1643:a1b6", true],
  ["barbaz.net", true],
  ["www.barbaz.net", false],
  ["foobar.com", false],
  ["www.foobar.com", false],
  ["foofoobar.com", true],
  ["baz.com", true],
  ["localhost.net", true],
  ["local.localhost", true],
  ["barbarbaz.net", true],
  ["wildcard.io", true],
  ["nested.wildcard.io", false],
  ["awildcard.io", true],
];

describe("useProxy (Go's TestUseProxy, port 80)", () => {
  it.each(GO_USE_PROXY)("%s → %s", (host, expected) => {
    expect(useProxy(host, "80", GO_NO_PROXY)).toBe(expected);
  });

  it("an entry without a dot matches the name and its subdomains; with one, only subdomains; '*' everything", () => {
    expect(useProxy("example.com", "443", "example.com")).toBe(false);
    expect(useProxy("example.com", "443", ".example.com")).toBe(true);
    expect(useProxy("example.com", "443", "ample.com")).toBe(true);
    expect(useProxy("foo.example.com", "443", "example.com")).toBe(false);
    expect(useProxy("anything.example", "443", "*")).toBe(false);
    // TestInvalidNoProxy: a broken entry is ignored, not fatal.
    expect(useProxy("example.com", "80", ":1")).toBe(true);
  });
});

describe("proxyFor", () => {
  const server = new URL("https://api.example:6443");
  it("takes proxy-url over the environment, for every address (client-go's rest.Config.Proxy)", () => {
    expect(proxyFor(new URL("https://127.0.0.1:6443"), "http://proxy:3128", { HTTPS_PROXY: "http://other" })?.href).toBe("http://proxy:3128/");
  });
  it("takes HTTPS_PROXY (or https_proxy) for an https server, HTTP_PROXY for an http one, a bare host:port as http", () => {
    expect(proxyFor(server, undefined, { HTTPS_PROXY: "secure.proxy:8443" })?.href).toBe("http://secure.proxy:8443/");
    expect(proxyFor(server, undefined, { https_proxy: "https://secure.proxy.tld" })?.href).toBe("https://secure.proxy.tld/");
    expect(proxyFor(server, undefined, { HTTP_PROXY: "http://plain" })).toBeUndefined();
    expect(proxyFor(new URL("http://api.example"), undefined, { HTTP_PROXY: "http://plain" })?.href).toBe("http://plain/");
  });
  it("leaves out NO_PROXY hosts and loopback", () => {
    expect(proxyFor(server, undefined, { HTTPS_PROXY: "http://p", NO_PROXY: "api.example" })).toBeUndefined();
    expect(proxyFor(server, undefined, { HTTPS_PROXY: "http://p", no_proxy: ".example" })).toBeUndefined();
    expect(proxyFor(server, undefined, { HTTPS_PROXY: "http://p", NO_PROXY: "api.example:443" })?.href).toBe("http://p/");
    expect(proxyFor(new URL("https://[::1]:6443"), undefined, { HTTPS_PROXY: "http://p" })).toBeUndefined();
  });
});
