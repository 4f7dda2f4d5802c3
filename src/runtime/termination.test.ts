import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { onTermination } from "./termination.js";

describe("onTermination", () => {
  it("resolves with the first signal, calls onSecondSignal on the next, and stops listening on dispose", async () => {
    const proc = new EventEmitter();
    const seconds: string[] = [];
    const handler = onTermination({ process: proc as unknown as NodeJS.Process, onSecondSignal: (s) => seconds.push(s) });
    proc.emit("SIGTERM");
    await expect(handler.signal).resolves.toBe("SIGTERM");
    proc.emit("SIGINT");
    expect(seconds).toEqual(["SIGINT"]);
    handler.dispose();
    expect(proc.listenerCount("SIGTERM") + proc.listenerCount("SIGINT")).toBe(0);
  });
});
