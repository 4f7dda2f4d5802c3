// The program's logger (pino): one JSON object a line, ISO time, the level as a word; or, when stdout
// is a terminal (or with `--log-format text`), short readable lines for people: time, level, message
// and the few fields that say which object (`kind namespace/name`), e.g.
//   21:40:03 INFO  denied HelmRelease default/backend (missing): dependency 'default/redis' does not exist
// The cluster, certificate and controller layers take it through their small logger interfaces, which
// a pino Logger satisfies.
//
// Never logged: a short list of secret field names, wherever they appear at the top level or one level
// down; and whole Kubernetes objects: `object`/`oldObject` pass only as a string (the `namespace/name` a
// denial names), any other value is written as "[redacted]".
import { Writable } from "node:stream";
import { pino } from "pino";
import type { DestinationStream, Logger } from "pino";
import type { LogFormat, LogLevel } from "./serve-options.js";

export type { Logger } from "pino";

const SECRET_FIELDS: ReadonlySet<string> = new Set(["token", "password", "keyPem", "caKeyPem", "authorization", "bearerToken"]);
const CENSOR = "[redacted]";

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The object's own secret fields censored (the same object when it has none). */
function censored(fields: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(fields)) {
    if (!SECRET_FIELDS.has(key)) continue;
    out ??= { ...fields };
    out[key] = CENSOR;
  }
  return out ?? fields;
}

/**
 * A log call's fields with every secret field censored, at the top level and one level down. A plain
 * loop over the few fields a line has: pino's path-based redaction with wildcards cost more than the
 * rest of the line (a denial is logged on the webhook's answer path).
 */
function withoutSecrets(fields: Record<string, unknown>): Record<string, unknown> {
  let out = censored(fields);
  for (const key of Object.keys(out)) {
    const value = out[key];
    if (!isPlainObject(value)) continue;
    const inner = censored(value);
    if (inner === value) continue;
    if (out === fields) out = { ...fields };
    out[key] = inner;
  }
  return out;
}

/** Only a `namespace/name` string passes; an object (a whole manifest) is never written. */
function onlyReference(value: unknown): unknown {
  return typeof value === "string" ? value : CENSOR;
}

export function createLogger(level: LogLevel, destination?: DestinationStream, format: LogFormat = "json"): Logger {
  const out = destination ?? pino.destination({ dest: 1, sync: false });
  return pino(
    {
      level,
      // No `name` binding: callers log an object's `name`, and one line must not carry two `name` keys.
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: withoutSecrets },
      serializers: { object: onlyReference, oldObject: onlyReference },
    },
    format === "text" ? textDestination(out) : out,
  );
}

/** Fields shown after the message, in this order, when present; the rest are left to the JSON format. */
const SHOWN = ["reason", "error", "component", "requestedAt", "signal", "webhookPort", "metricsPort", "retryInMs", "stalenessSeconds"] as const;

/** One JSON log line as a short line for a terminal. */
export function textLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof entry.time === "string" ? entry.time.slice(11, 19) : "";
  const level = String(entry.level ?? "").toUpperCase().padEnd(5);
  const kind = typeof entry.kind === "string" ? entry.kind : undefined;
  const ref =
    typeof entry.object === "string"
      ? entry.object
      : typeof entry.namespace === "string" && typeof entry.name === "string"
        ? `${entry.namespace}/${entry.name}`
        : undefined;
  const subject = [kind, ref].filter((part) => part !== undefined).join(" ");
  const msg = String(entry.msg ?? "");
  if (msg === "denied") {
    return `${time} ${level} denied ${subject}${entry.reason ? ` (${String(entry.reason)})` : ""}: ${String(entry.message ?? "")}`;
  }
  if (typeof entry.note === "string") {
    return `${time} ${level} ${subject}: ${String(entry.eventReason ?? msg)}: ${entry.note}`;
  }
  const extras = SHOWN.filter((key) => entry[key] !== undefined).map((key) => `${key}=${String(entry[key])}`);
  return `${time} ${level} ${msg}${subject ? ` ${subject}` : ""}${extras.length > 0 ? ` ${extras.join(" ")}` : ""}`;
}

function textDestination(out: DestinationStream): DestinationStream {
  let partial = "";
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      partial += chunk.toString();
      let newline: number;
      while ((newline = partial.indexOf("\n")) >= 0) {
        const line = partial.slice(0, newline);
        partial = partial.slice(newline + 1);
        if (line !== "") out.write(`${textLine(line)}\n`);
      }
      done();
    },
  });
  return stream as unknown as DestinationStream;
}
