// A pino logger that writes nothing, for end-to-end tests whose expected faults would otherwise log.
import { pino } from "pino";
import type { Logger } from "pino";

export function quietLogger(): Logger {
  return pino({ level: process.env.RELEASEGATE_TEST_LOG_LEVEL ?? "silent" });
}
