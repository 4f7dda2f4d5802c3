// A cycle that spans files names where it is defined (docs/behaviour.md, What check sees), bounded like
// the cycle itself: a long cycle across many files names its first places and how many more, and finds
// the line of only those (each line costs a parse of its document).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";

const scratch = mkdtempSync(join(tmpdir(), "releasegate-cycle-places-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function ring(folder: string, size: number): void {
  for (let i = 0; i < size; i++) {
    const release = [
      "apiVersion: helm.toolkit.fluxcd.io/v2",
      "kind: HelmRelease",
      "metadata:",
      `  name: r${i}`,
      "  namespace: ring",
      "spec:",
      "  interval: 5m",
      "  chart:",
      "    spec:",
      "      chart: c",
      "      sourceRef: {kind: HelmRepository, name: repo}",
      "  dependsOn:",
      `    - name: r${(i + 1) % size}`,
      "",
    ].join("\n");
    writeFileSync(join(folder, `r${String(i).padStart(2, "0")}.yaml`), release);
  }
}

describe("check: where a cycle across files is defined", () => {
  it("names every file of a short cycle, and the first twelve places of a long one with how many more", async () => {
    const short = mkdtempSync(join(scratch, "short-"));
    ring(short, 3);
    const few = await runCli(["check", "."], { cwd: short });
    expect(few.code).toBe(1);
    expect(few.stdout).toContain("(defined at r00.yaml:4, r01.yaml:4, r02.yaml:4)");

    const long = mkdtempSync(join(scratch, "long-"));
    ring(long, 40);
    const many = await runCli(["check", "."], { cwd: long });
    expect(many.code).toBe(1);
    const places = /\(defined at ([^)]*)\)/.exec(many.stdout)?.[1]?.split(", ") ?? [];
    expect(places).toHaveLength(13);
    expect(places.slice(0, 12).every((place) => /^r\d\d\.yaml:4$/.test(place))).toBe(true);
    expect(places[12]).toBe("… 28 more");
  });
});
