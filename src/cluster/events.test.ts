import { describe, expect, it } from "vitest";
import { microTime, truncateUtf8 } from "./events.js";

describe("truncateUtf8", () => {
  it("leaves short text alone", () => {
    expect(truncateUtf8("blocked by default/redis", 1024)).toBe("blocked by default/redis");
  });

  it("cuts to the byte limit without splitting a character", () => {
    const text = "é".repeat(600); // 1200 bytes
    const cut = truncateUtf8(text, 1024);
    expect(Buffer.byteLength(cut, "utf8")).toBeLessThanOrEqual(1024);
    expect(cut.endsWith("…")).toBe(true);
    expect(cut.slice(0, -1)).toBe("é".repeat(cut.length - 1));
  });
});

describe("microTime", () => {
  it("serialises with microseconds, as metav1.MicroTime requires", () => {
    expect(JSON.stringify({ t: microTime(new Date("2024-05-06T07:08:09.123Z")) })).toBe('{"t":"2024-05-06T07:08:09.123000Z"}');
  });
});
