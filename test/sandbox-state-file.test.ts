// A sandbox stopped and started again with the same state file is the same API server restarted: same
// port, same CA (old kubeconfigs keep working), same objects; clients holding an old resourceVersion are
// told to relist (410), as after a real API server restart whose watch cache starts afresh.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CustomObjectsApi, Watch } from "@kubernetes/client-node";
import { afterAll, describe, expect, it } from "vitest";
import { startSandbox } from "../src/sandbox/index.js";

const HR = { group: "helm.toolkit.fluxcd.io", version: "v2", plural: "helmreleases" };
const dir = mkdtempSync(join(tmpdir(), "sandbox-state-"));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("sandbox state file", () => {
  it("brings back objects, TLS identity and port; old resourceVersions get 410", async () => {
    const stateFile = join(dir, "state.json");
    const first = await startSandbox({ stateFile });
    const kc = first.kubeConfig();
    const api = kc.makeApiClient(CustomObjectsApi);
    await api.createNamespacedCustomObject({
      ...HR,
      namespace: "default",
      body: { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", metadata: { name: "kept" }, spec: { interval: "1m", chartRef: { kind: "OCIRepository", name: "x" } } },
    });
    const list = (await api.listClusterCustomObject(HR)) as { metadata: { resourceVersion: string } };
    await first.close();

    const port = Number(new URL(first.url).port);
    const second = await startSandbox({ stateFile, port });
    try {
      expect(second.url).toBe(first.url);
      expect(second.caPem).toBe(first.caPem);
      // The first sandbox's kubeconfig still works against the second.
      const again = (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ ...HR, namespace: "default", name: "kept" })) as { metadata: { name: string } };
      expect(again.metadata.name).toBe("kept");
      const events: Array<{ type: string; code?: number }> = [];
      await new Promise<void>((resolve) => {
        void new Watch(kc).watch("/apis/helm.toolkit.fluxcd.io/v2/helmreleases", { resourceVersion: list.metadata.resourceVersion }, (type, obj: { code?: number }) => events.push({ type, code: obj.code }), () => resolve());
      });
      expect(events).toEqual([{ type: "ERROR", code: 410 }]);
    } finally {
      await second.close();
    }
  });

  it("refuses a state file that is not one, with a message saying what to do", async () => {
    const stateFile = join(dir, "bad.json");
    writeFileSync(stateFile, "{not json");
    await expect(startSandbox({ stateFile })).rejects.toThrow(`sandbox state file ${stateFile} is not JSON; delete it to start with a fresh sandbox`);
  });
});
