import { describe, expect, it } from "vitest";
import { LineSplitter, LineTooLongError } from "./json-lines.js";

describe("LineSplitter", () => {
  it("gives whole lines however the chunks fall, skipping empty ones", () => {
    const text = '{"a":1}\n\n{"b":2}\r\n{"c":3}\n';
    for (let cut = 1; cut < text.length; cut++) {
      const lines: string[] = [];
      const splitter = new LineSplitter(100, (line) => lines.push(line.toString().replace(/\r$/, "")));
      splitter.push(Buffer.from(text.slice(0, cut)));
      splitter.push(Buffer.from(text.slice(cut)));
      expect(lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
      expect(splitter.buffered).toBe(0);
    }
  });

  it("refuses a line over its bound, whether it arrives whole or in pieces", () => {
    const whole = new LineSplitter(8, () => undefined);
    expect(() => whole.push(Buffer.from("0123456789\n"))).toThrow(LineTooLongError);
    const pieces = new LineSplitter(8, () => undefined);
    pieces.push(Buffer.from("01234"));
    expect(() => pieces.push(Buffer.from("56789"))).toThrow(/longer than 8 bytes/);
    expect(pieces.buffered).toBe(0);
  });
});
