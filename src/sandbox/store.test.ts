import { describe, expect, it } from "vitest";
import type { StatusError } from "./status.js";
import { ObjectStore } from "./store.js";

const obj = (name: string, v = 1) => ({ metadata: { name, namespace: "ns" }, v });

describe("ObjectStore", () => {
  it("stamps one global, increasing resourceVersion and records the deletion's RV on DELETED", () => {
    const store = new ObjectStore();
    const a = store.commit("x", "ns/a", obj("a"));
    const b = store.commit("y", "ns/b", obj("b"));
    const gone = store.commit("x", "ns/a", undefined);
    expect([a?.rv, b?.rv, gone?.rv]).toEqual([1, 2, 3]);
    expect(gone?.type).toBe("DELETED");
    expect((gone?.object.metadata as { resourceVersion: string }).resourceVersion).toBe("3");
    expect(store.changesSince(1).map((c) => c.rv)).toEqual([2, 3]);
  });

  it("rebuilds a list at an older resourceVersion", () => {
    const store = new ObjectStore();
    store.commit("x", "ns/a", obj("a"));
    store.commit("x", "ns/b", obj("b"));
    store.commit("x", "ns/a", obj("a", 2));
    store.commit("x", "ns/b", undefined);
    expect(store.viewAt("x", 2).map((e) => [e.key, e.object.v])).toEqual([["ns/a", 1], ["ns/b", 1]]);
    expect(store.viewAt("x", 3).map((e) => [e.key, e.object.v])).toEqual([["ns/a", 2], ["ns/b", 1]]);
  });

  it("expires resourceVersions older than the retained history with 410", () => {
    const store = new ObjectStore(2);
    for (let i = 0; i < 5; i++) store.commit("x", `ns/${i}`, obj(String(i)));
    expect(store.changesSince(3).map((c) => c.rv)).toEqual([4, 5]);
    let error: StatusError | undefined;
    try {
      store.changesSince(2);
    } catch (err) {
      error = err as StatusError;
    }
    expect(error?.status).toMatchObject({ code: 410, reason: "Expired", message: "too old resource version: 2 (3)" });
  });

  it("after restoring a snapshot, every earlier resourceVersion is too old", () => {
    const store = new ObjectStore();
    store.commit("x", "ns/a", obj("a"));
    const snapshot = store.snapshot();
    store.restore(snapshot);
    expect(() => store.changesSince(snapshot.rv)).toThrow(/too old resource version/);
    expect(store.list("x").map((e) => e.key)).toEqual(["ns/a"]);
  });
});
