// The deletion neighbourhood against brute force: every indexed name of the group within the asked
// number of edits (by the plain edit distance) is among what `near` gives, whatever the names share.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DeletionIndex, MAX_DELETIONS, type IndexedName } from "./deletion-index.js";
import { editDistance } from "./suggest.js";

describe("DeletionIndex", () => {
  it("finds every name of the group within the asked edits, as weighing every name does", () => {
    // Few letters, so names one and two edits apart (and sharing many variants) abound.
    const name = fc.string({ unit: fc.constantFrom("a", "b", "c", "-"), minLength: 0, maxLength: 10 });
    const group = fc.constantFrom(7, -1_000_003, 0x7fffffff);
    fc.assert(
      fc.property(fc.array(fc.tuple(group, name), { maxLength: 80 }), fc.array(fc.tuple(group, name, fc.integer({ min: 0, max: MAX_DELETIONS })), { minLength: 1, maxLength: 10 }), (entries, lookups) => {
        const names: IndexedName[] = entries.map(([g, n], i) => ({ id: i * 3 + 1, group: g, name: n }));
        const index = new DeletionIndex(names);
        for (const [g, n, edits] of lookups) {
          const found = new Set(index.near(g, n, edits));
          const expected = names.filter((entry) => entry.group === g && editDistance(entry.name, n) <= edits).map((entry) => entry.id);
          for (const id of expected) expect(found.has(id), `${n} within ${edits}: id ${id}`).toBe(true);
          // Each id once.
          expect(found.size).toBe(index.near(g, n, edits).length);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("finds names that share most of their variants with many others (one namespace of numbered names)", () => {
    // As `check`'s benchmark: 5,000 names release-0 … release-4999, so a variant such as "release-1" is
    // shared by hundreds of names; each lookup still gets exactly the names brute force finds within two.
    const names: IndexedName[] = Array.from({ length: 5000 }, (_, i) => ({ id: i, group: 42, name: `release-${i}` }));
    const index = new DeletionIndex(names);
    for (const missing of ["release-1234x", "release-99", "relase-4999", "release-"]) {
      const found = new Set(index.near(42, missing, 2));
      const expected = names.filter((entry) => editDistance(entry.name, missing) <= 2);
      expect(expected.length).toBeGreaterThan(0);
      for (const entry of expected) expect(found.has(entry.id), `${missing}: ${entry.name}`).toBe(true);
      expect(index.near(43, missing, 2).filter((id) => editDistance(names[id]!.name, missing) <= 2)).toEqual([]);
    }
  });
});
