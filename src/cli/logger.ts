// The program's JSON logger (pino): one object a line, ISO time, the level as a word, and a short
// list of field names that are never written even if a caller passes them (STYLE.md: never log
// secrets or whole objects). The cluster, certificate and controller layers take it through their
// small logger interfaces, which a pino Logger satisfies.
import { pino } from "pino";
import type { DestinationStream, Logger } from "pino";
import type { LogLevel } from "./serve-options.js";

export type { Logger } from "pino";

/** Fields redacted wherever they appear at the top level or one level down. */
const SECRET_FIELDS = ["token", "password", "keyPem", "caKeyPem", "authorization", "bearerToken", "object", "oldObject"];

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      name: "releasegate",
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...SECRET_FIELDS, ...SECRET_FIELDS.map((f) => `*.${f}`)], censor: "[redacted]" },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
