// Which Flux kinds' served schema carries the Flux RFC's cross-kind dependsOn fields (src/flux/cross-kind.ts,
// docs/behaviour.md "Gate states"): the CustomResourceDefinitions of HelmRelease and Kustomization, read
// from the API server at start (and again on an interval by `serve`, cross-kind-refresh.ts). A CRD releasegate may not read, or cannot read in time, counts as
// without the fields: entries then keep today's meaning, which is also what an API server pruning the
// unknown fields leaves of them.
import { crossKindKindOfCrd } from "../flux/cross-kind.js";
import { FLUX_KIND_INFO } from "../flux/kinds.js";
import type { FluxKind } from "../graph/types.js";
import { kubeClientOf } from "../kube/connect.js";
import type { KubeSource } from "../kube/connect.js";

const RFC_KINDS: readonly FluxKind[] = ["HelmRelease", "Kustomization"];

/** The kinds whose served CRD declares `apiVersion` and `kind` on `spec.dependsOn` items; `why` says per kind why not, when it cannot tell. */
export async function discoverCrossKindDependsOn(kc: KubeSource, timeoutMs = 10_000): Promise<{ kinds: FluxKind[]; unread: string[]; unreadKinds: FluxKind[] }> {
  const client = kubeClientOf(kc);
  const kinds: FluxKind[] = [];
  const unread: string[] = [];
  const unreadKinds: FluxKind[] = [];
  await Promise.all(
    RFC_KINDS.map(async (kind) => {
      const info = FLUX_KIND_INFO[kind];
      const name = `${info.resource}.${info.group}`;
      try {
        const crd = await client.get<unknown>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`, { timeoutMs });
        if (crossKindKindOfCrd(crd) === kind) kinds.push(kind);
      } catch (error) {
        unreadKinds.push(kind);
        unread.push(`${name}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
      }
    }),
  );
  return { kinds: kinds.sort(), unread, unreadKinds: unreadKinds.sort() };
}
