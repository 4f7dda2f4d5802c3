import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { accessAuthenticator, TOKEN_FILE_REFRESH_MS } from "./authenticator.js";
import type { ClusterAccess } from "./kubeconfig.js";

const base: ClusterAccess = { server: "https://api.example", insecure: false, credentials: { type: "none" }, origin: "test" };

describe("accessAuthenticator", () => {
  it("sends a bearer token, basic credentials, or nothing", async () => {
    expect(await accessAuthenticator({ ...base, credentials: { type: "token", token: "t" } }).headers()).toEqual({ authorization: "Bearer t" });
    expect(await accessAuthenticator({ ...base, credentials: { type: "basic", username: "u", password: "p" } }).headers()).toEqual({ authorization: `Basic ${Buffer.from("u:p").toString("base64")}` });
    expect(await accessAuthenticator(base).headers()).toEqual({});
  });

  it("reads a token file again after a minute or after invalidate(), and keeps the last token while the file is briefly gone", async () => {
    const dir = mkdtempSync(join(tmpdir(), "releasegate-token-"));
    const file = join(dir, "token");
    writeFileSync(file, "one\n");
    let now = 0;
    const auth = accessAuthenticator({ ...base, credentials: { type: "token-file", file } }, () => now);
    expect(await auth.headers()).toEqual({ authorization: "Bearer one" });
    writeFileSync(file, "two\n");
    expect(await auth.headers()).toEqual({ authorization: "Bearer one" });
    now += TOKEN_FILE_REFRESH_MS;
    expect(await auth.headers()).toEqual({ authorization: "Bearer two" });
    writeFileSync(file, "three\n");
    auth.invalidate();
    expect(await auth.headers()).toEqual({ authorization: "Bearer three" });
    rmSync(file);
    now += TOKEN_FILE_REFRESH_MS;
    expect(await auth.headers()).toEqual({ authorization: "Bearer three" });
    rmSync(dir, { recursive: true, force: true });
  });

  it("sends the kubeconfig's token beside a token file until the file has been read once", async () => {
    expect(await accessAuthenticator({ ...base, credentials: { type: "token-file", file: "/nonexistent/token", token: "t" } }).headers()).toEqual({ authorization: "Bearer t" });
  });

  it("fails with the file's name when a token file was never readable", async () => {
    await expect(accessAuthenticator({ ...base, credentials: { type: "token-file", file: "/nonexistent/token" } }).headers()).rejects.toThrow(/\/nonexistent\/token/);
  });

  it("sends the impersonation headers client-go sends: one Impersonate-Group per group, extra keys percent-encoded", async () => {
    const headers = await accessAuthenticator({
      ...base,
      credentials: { type: "token", token: "t" },
      impersonate: { user: "jane", uid: "42", groups: ["dev", "ops"], extra: { "example.com/scope": ["a", "b"], "with space": ["c"] } },
    }).headers();
    expect(headers).toEqual({
      authorization: "Bearer t",
      "impersonate-user": "jane",
      "impersonate-uid": "42",
      "impersonate-group": ["dev", "ops"],
      "impersonate-extra-example.com%2Fscope": ["a", "b"],
      "impersonate-extra-with%20space": ["c"],
    });
  });
});
