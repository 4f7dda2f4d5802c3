import { describe, expect, it } from "vitest";
import { DEFAULT_STRUCTURE_LIMITS, parsedCostBytes, scanStructure } from "./body-reader.js";

const scan = (text: string, limits = DEFAULT_STRUCTURE_LIMITS) => {
  const bytes = Buffer.from(text);
  return scanStructure(bytes, bytes.length, limits);
};

describe("scanStructure", () => {
  it("counts depth, containers and values of ordinary JSON", () => {
    expect(scan('{"a":[1,2,{"b":null}],"c":"x"}')).toEqual({ depth: 3, containers: 3, values: 7 });
    expect(scan("42")).toEqual({ depth: 0, containers: 0, values: 1 });
  });

  it("ignores brackets, commas and escaped quotes inside strings", () => {
    expect(scan('{"k":"[[[{,,,\\"]]]"}')).toEqual({ depth: 1, containers: 1, values: 2 });
    // An upper bound: the empty array counts one value it does not hold.
    expect(scan('["\\\\",[]]')).toEqual({ depth: 2, containers: 2, values: 4 });
  });

  it("stops at the first limit it passes and says which", () => {
    const limits = { maxDepth: 3, maxContainers: 5, maxValues: 8 };
    expect(scan("[[[[]]]]", limits).problem).toBe("it nests deeper than 3 levels");
    expect(scan("[[],[],[],[],[]]", { ...limits, maxValues: 20 }).problem).toBe("it holds more than 5 objects and arrays");
    expect(scan("[1,2,3,4,5,6,7,8,9]", limits).problem).toBe("it holds more than 8 values");
    expect(scan("[[[]]]", limits).problem).toBeUndefined();
  });

  it("agrees with JSON.parse on the number of values of random documents", () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const build = (depth: number): unknown => {
      const r = random();
      if (depth > 4 || r < 0.3) return r < 0.1 ? 'a,"[{' : Math.floor(r * 100);
      if (r < 0.65) return Array.from({ length: Math.floor(random() * 4) }, () => build(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, (_, i) => [`k${i},]`, build(depth + 1)]));
    };
    const count = (v: unknown): number => (Array.isArray(v) ? 1 + v.reduce((n: number, x) => n + count(x), 0) : v !== null && typeof v === "object" ? 1 + Object.values(v).reduce((n: number, x) => n + count(x), 0) : 1);
    for (let i = 0; i < 200; i++) {
      const value = build(0);
      const result = scan(JSON.stringify(value));
      // An upper bound: empty containers count one value more than they hold.
      expect(result.values).toBeGreaterThanOrEqual(count(value));
      expect(result.problem).toBeUndefined();
    }
  });
});

describe("parsedCostBytes", () => {
  it("grows with containers and values, not with string bytes", () => {
    expect(parsedCostBytes({ depth: 1, containers: 1, values: 1 })).toBeLessThan(parsedCostBytes({ depth: 1, containers: 1000, values: 1000 }));
  });
});
