import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { DestinationStream } from "pino";
import { createLogger, textLine } from "./logger.js";

function capture(): { stream: DestinationStream; lines: () => string[] } {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream: stream as unknown as DestinationStream, lines: () => text.split("\n").filter((l) => l !== "") };
}

describe("createLogger", () => {
  it("shows the denied object's namespace/name but never a whole object, and secrets never", () => {
    const out = capture();
    const log = createLogger("info", out.stream);
    log.info({ kind: "HelmRelease", object: "default/backend", reason: "missing" }, "denied");
    log.info({ object: { metadata: { name: "x" }, spec: { values: { password: "p" } } } }, "whole object");
    log.info({ token: "s3cret", nested: { authorization: "Bearer x" } }, "secrets");
    const [denied, whole, secrets] = out.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(denied!.object).toBe("default/backend");
    expect(whole!.object).toBe("[redacted]");
    expect(secrets!.token).toBe("[redacted]");
    expect((secrets!.nested as Record<string, unknown>).authorization).toBe("[redacted]");
  });

  it("censors secrets one level down in a child's lines too, and leaves the caller's fields as they were", () => {
    const out = capture();
    const fields = { password: "p", tls: { keyPem: "KEY", serial: "01" }, kind: "HelmRelease" };
    createLogger("info", out.stream).child({ component: "tls" }).warn(fields, "renewal");
    const line = JSON.parse(out.lines()[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ password: "[redacted]", tls: { keyPem: "[redacted]", serial: "01" }, kind: "HelmRelease", component: "tls" });
    expect(out.lines()[0]).not.toMatch(/KEY|"p"/);
    expect(fields).toEqual({ password: "p", tls: { keyPem: "KEY", serial: "01" }, kind: "HelmRelease" });
  });

  it("writes each key once: a line about an object named `name` has one name", () => {
    const out = capture();
    createLogger("info", out.stream).child({ component: "controller" }).info({ kind: "HelmRelease", namespace: "default", name: "backend" }, "gate opened");
    const line = out.lines()[0]!;
    expect(line.match(/"name":/g)).toHaveLength(1);
    expect(JSON.parse(line)).toMatchObject({ name: "backend", component: "controller", level: "info" });
  });

  it("text format: short lines for denials and gate changes", () => {
    const out = capture();
    const log = createLogger("info", out.stream, "text");
    log.info({ kind: "HelmRelease", object: "default/backend", reason: "missing", message: "HelmRelease default/redis does not exist" }, "denied");
    log.info({ kind: "HelmRelease", object: "default/backend", eventReason: "DependencyBlocked", note: "blocked by default/redis: install retries exhausted" }, "gate changed");
    const [denied, gate] = out.lines();
    expect(denied).toMatch(/^\d\d:\d\d:\d\d INFO {2}denied HelmRelease default\/backend \(missing\): HelmRelease default\/redis does not exist$/);
    expect(gate).toMatch(/^\d\d:\d\d:\d\d INFO {2}HelmRelease default\/backend: DependencyBlocked: blocked by default\/redis: install retries exhausted$/);
  });

  it("textLine passes a line that is not JSON through unchanged", () => {
    expect(textLine("plain")).toBe("plain");
  });
});
