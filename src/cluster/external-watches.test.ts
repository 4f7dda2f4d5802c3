import { describe, expect, it } from "vitest";
import { KubeConfig } from "@kubernetes/client-node";
import { ExternalWatches } from "./external-watches.js";

describe("ExternalWatches, a kind it could not watch", () => {
  it("keeps saying why while it tries again, instead of flapping to 'cannot judge yet' on every retry", async () => {
    let calls = 0;
    const forbidden = "cannot judge: releasegate may not list widgets.example.io (RBAC get, list and watch on widgets.example.io are missing): set the chart value externalKinds.rules (add widgets.example.io)";
    const kc = new KubeConfig();
    kc.loadFromOptions({ clusters: [{ name: "c", server: "https://127.0.0.1:1" }], users: [{ name: "u" }], contexts: [{ name: "x", cluster: "c", user: "u" }], currentContext: "x" });
    const watches = new ExternalWatches(kc, {
      enabled: true,
      retryMs: 5,
      // The first resolution fails; the retry's never answers.
      resolve: () => (++calls === 1 ? Promise.resolve({ why: forbidden }) : new Promise(() => undefined)),
    });
    watches.setDemand(new Map([["Widget", new Map([["example.io/v1", 1]])]]));
    const node = "Widget/default/w";
    expect(watches.stateOf(node)).toEqual({ known: false, why: "cannot judge yet: the watch on Widget objects has not listed them yet" });
    while (calls < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(watches.stateOf(node)).toEqual({ known: false, why: forbidden });
    await watches.stop();
  });
});
