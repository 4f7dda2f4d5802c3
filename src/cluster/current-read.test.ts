import { describe, expect, it } from "vitest";
import { currentReader, sharedCurrentReader } from "./current-read.js";

describe("currentReader", () => {
  it("lists one item of the kind in the review's namespace, and is ok when the API server answers", async () => {
    const calls: string[] = [];
    const confirm = currentReader(
      {
        listPage: async (path, query) => {
          calls.push(`LIST ${path}?limit=${query.limit}`);
          return { items: [], continue: undefined };
        },
      },
      { Kustomization: "v1" },
    );
    expect(await confirm("HelmRelease", "team-a", 1000)).toEqual({ ok: true });
    expect(await confirm("Kustomization", "flux-system", 1000)).toEqual({ ok: true });
    expect(calls).toEqual([
      "LIST /apis/helm.toolkit.fluxcd.io/v2/namespaces/team-a/helmreleases?limit=1",
      "LIST /apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations?limit=1",
    ]);
  });

  it("is not ok when the API server does not answer in time, or refuses", async () => {
    const silent = currentReader({ listPage: () => new Promise(() => undefined) }, {});
    expect(await silent("HelmRelease", "default", 50)).toEqual({ ok: false, error: "no answer from the API server within 50 ms" });
    const refusing = currentReader({ listPage: async () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6443")) }, {});
    expect(await refusing("HelmRelease", "default", 1000)).toEqual({ ok: false, error: "connect ECONNREFUSED 127.0.0.1:6443" });
  });
});

describe("sharedCurrentReader", () => {
  /** A read that answers when told to, counting the reads sent. */
  function controlledRead() {
    const waiting: Array<(result: { ok: true } | { ok: false; error: string }) => void> = [];
    return {
      sent: () => waiting.length,
      answer: (i: number, result: { ok: true } | { ok: false; error: string }) => waiting[i]!(result),
      read: () => new Promise<{ ok: true } | { ok: false; error: string }>((resolve) => waiting.push(resolve)),
    };
  }

  it("lets the reviews of one window share a read, and sends a new one after it", async () => {
    let clock = 1000;
    const api = controlledRead();
    const confirm = sharedCurrentReader(api.read, 250, () => clock);
    const first = confirm("HelmRelease", "a", 1000);
    clock += 100;
    const second = confirm("HelmRelease", "b", 1000);
    expect(api.sent()).toBe(1);
    api.answer(0, { ok: true });
    expect(await first).toEqual({ ok: true });
    expect(await second).toEqual({ ok: true });
    // Within 250 ms of the read's sending: no read at all.
    clock += 140;
    expect(await confirm("HelmRelease", "c", 1000)).toEqual({ ok: true });
    expect(api.sent()).toBe(1);
    // Past it: a read of its own.
    clock += 20;
    const late = confirm("Kustomization", "d", 1000);
    expect(api.sent()).toBe(2);
    api.answer(1, { ok: true });
    expect(await late).toEqual({ ok: true });
  });

  it("fails every review waiting on a read that fails, and does not wait on a read older than the window", async () => {
    let clock = 0;
    const api = controlledRead();
    const confirm = sharedCurrentReader(api.read, 250, () => clock);
    const first = confirm("HelmRelease", "a", 1000);
    clock += 300;
    // The read in flight was sent too long before this review: it sends its own.
    const second = confirm("HelmRelease", "a", 1000);
    const third = confirm("HelmRelease", "a", 1000);
    expect(api.sent()).toBe(2);
    api.answer(0, { ok: true });
    api.answer(1, { ok: false, error: "no answer from the API server within 1000 ms" });
    expect(await first).toEqual({ ok: true });
    expect(await second).toEqual({ ok: false, error: "no answer from the API server within 1000 ms" });
    expect(await third).toEqual({ ok: false, error: "no answer from the API server within 1000 ms" });
    // The first read, sent 300 ms ago, vouches for nothing now: the next review reads again.
    void confirm("HelmRelease", "a", 1000);
    expect(api.sent()).toBe(3);
  });
});
