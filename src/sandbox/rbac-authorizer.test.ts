import { ApisApi, CoreV1Api, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { AdmissionUser } from "./admission.js";
import { RBAC_STORAGE, RbacAuthorizer, authenticate, forbiddenError, requestAttributes, serviceAccountToken } from "./rbac-authorizer.js";
import type { JsonObject } from "./json.js";
import { startSandbox } from "./sandbox.js";
import { ObjectStore, storageKey } from "./store.js";

const SA = serviceAccountToken("releasegate", "rg");
const saUser: AdmissionUser = { username: SA, groups: ["system:serviceaccounts", "system:serviceaccounts:releasegate", "system:authenticated"] };
const alice: AdmissionUser = { username: "alice", groups: ["devs", "system:authenticated"] };

function put(store: ObjectStore, storage: string, object: JsonObject): void {
  const meta = object.metadata as { name: string; namespace?: string };
  store.commit(storage, storageKey(meta.namespace, meta.name), object);
}

function clusterRole(name: string, rules: JsonObject[]): JsonObject {
  return { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name }, rules };
}

function binding(kind: "ClusterRoleBinding" | "RoleBinding", name: string, roleRef: { kind: string; name: string }, subjects: JsonObject[], namespace?: string): JsonObject {
  return { apiVersion: "rbac.authorization.k8s.io/v1", kind, metadata: { name, ...(namespace ? { namespace } : {}) }, roleRef: { apiGroup: "rbac.authorization.k8s.io", ...roleRef }, subjects };
}

const saSubject = { kind: "ServiceAccount", name: "rg", namespace: "releasegate" };

describe("request attributes (RequestInfoFactory)", () => {
  const attrs = (method: string, url: string) => requestAttributes(method, url, alice);

  it("maps methods and paths to verbs, with list, watch and deletecollection on collections", () => {
    expect(attrs("GET", "/apis/helm.toolkit.fluxcd.io/v2/helmreleases")).toMatchObject({ verb: "list", apiGroup: "helm.toolkit.fluxcd.io", resource: "helmreleases", namespace: "", name: "" });
    expect(attrs("GET", "/apis/helm.toolkit.fluxcd.io/v2/helmreleases?watch=true&resourceVersion=5").verb).toBe("watch");
    expect(attrs("GET", "/apis/helm.toolkit.fluxcd.io/v2/namespaces/default/helmreleases/redis")).toMatchObject({ verb: "get", namespace: "default", name: "redis" });
    expect(attrs("PATCH", "/apis/helm.toolkit.fluxcd.io/v2/namespaces/default/helmreleases/redis/status")).toMatchObject({ verb: "patch", resource: "helmreleases", subresource: "status" });
    expect(attrs("POST", "/api/v1/namespaces/default/secrets")).toMatchObject({ verb: "create", resource: "secrets", name: "" });
    expect(attrs("PUT", "/api/v1/namespaces/default/secrets/tls").verb).toBe("update");
    expect(attrs("DELETE", "/api/v1/namespaces/default/secrets/tls").verb).toBe("delete");
    expect(attrs("DELETE", "/api/v1/namespaces/default/secrets").verb).toBe("deletecollection");
    expect(attrs("GET", "/api/v1/watch/namespaces/default/secrets/tls")).toMatchObject({ verb: "watch", name: "tls", namespace: "default" });
  });

  it("names a list or watch pinned by a metadata.name field selector, but not a create", () => {
    expect(attrs("GET", "/api/v1/namespaces/ns/secrets?fieldSelector=metadata.name%3Dtls&watch=1")).toMatchObject({ verb: "watch", name: "tls" });
    expect(attrs("GET", "/api/v1/namespaces/ns/secrets?fieldSelector=type%3DOpaque,metadata.name%3D%3Dtls")).toMatchObject({ verb: "list", name: "tls" });
    expect(attrs("GET", "/api/v1/namespaces/ns/secrets?fieldSelector=metadata.name!%3Dtls").name).toBe("");
    expect(attrs("POST", "/api/v1/namespaces/ns/secrets?fieldSelector=metadata.name%3Dtls").name).toBe("");
  });

  it("puts a Namespace in its own namespace, and treats discovery as non-resource URLs", () => {
    expect(attrs("GET", "/api/v1/namespaces/team")).toMatchObject({ resource: "namespaces", name: "team", namespace: "team" });
    expect(attrs("GET", "/api/v1/namespaces")).toMatchObject({ verb: "list", resource: "namespaces", namespace: "" });
    for (const path of ["/api", "/api/v1", "/apis", "/apis/helm.toolkit.fluxcd.io", "/apis/helm.toolkit.fluxcd.io/v2", "/version", "/openapi/v3"]) {
      expect(attrs("GET", path)).toMatchObject({ resourceRequest: false, verb: "get", path });
    }
  });
});

describe("RBAC decisions", () => {
  function setup(): { store: ObjectStore; authorizer: RbacAuthorizer } {
    const store = new ObjectStore();
    put(store, RBAC_STORAGE.clusterRoles, clusterRole("rg", [
      { apiGroups: ["helm.toolkit.fluxcd.io"], resources: ["helmreleases"], verbs: ["get", "list", "watch", "patch"] },
      { apiGroups: ["admissionregistration.k8s.io"], resources: ["validatingwebhookconfigurations"], resourceNames: ["rg"], verbs: ["get", "update"] },
    ]));
    put(store, RBAC_STORAGE.clusterRoleBindings, binding("ClusterRoleBinding", "rg", { kind: "ClusterRole", name: "rg" }, [saSubject]));
    put(store, RBAC_STORAGE.roles, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "rg", namespace: "releasegate" },
      rules: [
        { apiGroups: [""], resources: ["secrets"], verbs: ["create"] },
        { apiGroups: [""], resources: ["secrets"], resourceNames: ["rg-tls"], verbs: ["get", "list", "watch", "update"] },
      ],
    });
    // A RoleBinding's ServiceAccount subject without a namespace means the binding's namespace.
    put(store, RBAC_STORAGE.roleBindings, binding("RoleBinding", "rg", { kind: "Role", name: "rg" }, [{ kind: "ServiceAccount", name: "rg" }], "releasegate"));
    return { store, authorizer: new RbacAuthorizer(store) };
  }
  const allowed = (authorizer: RbacAuthorizer, user: AdmissionUser, method: string, url: string): boolean => authorizer.authorize(requestAttributes(method, url, user)).allowed;

  it("grants what the bound rules say, cluster-wide and in the Role's namespace only", () => {
    const { authorizer } = setup();
    expect(allowed(authorizer, saUser, "GET", "/apis/helm.toolkit.fluxcd.io/v2/helmreleases?watch=true")).toBe(true);
    expect(allowed(authorizer, saUser, "PATCH", "/apis/helm.toolkit.fluxcd.io/v2/namespaces/default/helmreleases/redis")).toBe(true);
    expect(allowed(authorizer, saUser, "DELETE", "/apis/helm.toolkit.fluxcd.io/v2/namespaces/default/helmreleases/redis")).toBe(false);
    expect(allowed(authorizer, saUser, "PATCH", "/apis/helm.toolkit.fluxcd.io/v2/namespaces/default/helmreleases/redis/status")).toBe(false);
    expect(allowed(authorizer, saUser, "POST", "/api/v1/namespaces/releasegate/secrets")).toBe(true);
    expect(allowed(authorizer, saUser, "POST", "/api/v1/namespaces/default/secrets")).toBe(false);
    expect(allowed(authorizer, alice, "GET", "/apis/helm.toolkit.fluxcd.io/v2/helmreleases")).toBe(false);
  });

  it("restricts resourceNames rules to requests naming the object (get, update, pinned list/watch), never create", () => {
    const { authorizer } = setup();
    expect(allowed(authorizer, saUser, "GET", "/api/v1/namespaces/releasegate/secrets/rg-tls")).toBe(true);
    expect(allowed(authorizer, saUser, "GET", "/api/v1/namespaces/releasegate/secrets/other")).toBe(false);
    expect(allowed(authorizer, saUser, "GET", "/api/v1/namespaces/releasegate/secrets")).toBe(false);
    expect(allowed(authorizer, saUser, "GET", "/api/v1/namespaces/releasegate/secrets?fieldSelector=metadata.name%3Drg-tls&watch=true")).toBe(true);
    expect(allowed(authorizer, saUser, "PUT", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/rg")).toBe(true);
    expect(allowed(authorizer, saUser, "PUT", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/other")).toBe(false);
    expect(allowed(authorizer, saUser, "GET", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations")).toBe(false);
  });

  it("matches groups, users, wildcards and */subresource rules; ClusterRoles bound in a namespace stay there", () => {
    const { store, authorizer } = setup();
    put(store, RBAC_STORAGE.clusterRoles, clusterRole("status-writer", [{ apiGroups: ["*"], resources: ["*/status"], verbs: ["patch"] }]));
    put(store, RBAC_STORAGE.roleBindings, binding("RoleBinding", "devs", { kind: "ClusterRole", name: "status-writer" }, [{ kind: "Group", name: "devs" }], "team"));
    expect(allowed(authorizer, alice, "PATCH", "/apis/helm.toolkit.fluxcd.io/v2/namespaces/team/helmreleases/a/status")).toBe(true);
    expect(allowed(authorizer, alice, "PATCH", "/apis/helm.toolkit.fluxcd.io/v2/namespaces/other/helmreleases/a/status")).toBe(false);
    expect(allowed(authorizer, alice, "PATCH", "/apis/helm.toolkit.fluxcd.io/v2/namespaces/team/helmreleases/a")).toBe(false);
    put(store, RBAC_STORAGE.clusterRoleBindings, binding("ClusterRoleBinding", "alice-admin", { kind: "ClusterRole", name: "cluster-admin" }, [{ kind: "User", name: "alice" }]));
    expect(allowed(authorizer, alice, "DELETE", "/api/v1/namespaces/anything")).toBe(true);
  });

  it("lets every authenticated user read discovery, and system:masters do anything", () => {
    const { authorizer } = setup();
    for (const path of ["/api", "/apis/helm.toolkit.fluxcd.io/v2", "/openapi/v3/apis/helm.toolkit.fluxcd.io/v2", "/version", "/healthz"]) {
      expect(allowed(authorizer, alice, "GET", path), path).toBe(true);
    }
    expect(allowed(authorizer, alice, "GET", "/metrics")).toBe(false);
    expect(allowed(authorizer, alice, "POST", "/api")).toBe(false);
    expect(allowed(authorizer, { username: "root", groups: ["system:masters"] }, "DELETE", "/api/v1/namespaces/x")).toBe(true);
  });

  it("explains a binding whose role is missing, as kube-apiserver's RBAC authorizer does", () => {
    const { store, authorizer } = setup();
    store.commit(RBAC_STORAGE.clusterRoles, "rg", undefined);
    const decision = authorizer.authorize(requestAttributes("GET", "/apis/helm.toolkit.fluxcd.io/v2/helmreleases", saUser));
    expect(decision).toEqual({ allowed: false, reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "rg" not found' });
  });
});

describe("denials and authentication", () => {
  it("words a denial as kube-apiserver does: cluster scope, namespace, named object, path", () => {
    const list = forbiddenError(requestAttributes("GET", "/apis/helm.toolkit.fluxcd.io/v2/helmreleases", saUser), "");
    expect(list.status).toMatchObject({
      code: 403,
      reason: "Forbidden",
      message: 'helmreleases.helm.toolkit.fluxcd.io is forbidden: User "system:serviceaccount:releasegate:rg" cannot list resource "helmreleases" in API group "helm.toolkit.fluxcd.io" at the cluster scope',
      details: { group: "helm.toolkit.fluxcd.io", kind: "helmreleases" },
    });
    expect(forbiddenError(requestAttributes("GET", "/api/v1/namespaces/releasegate/secrets/x", saUser), "").message).toBe(
      'secrets "x" is forbidden: User "system:serviceaccount:releasegate:rg" cannot get resource "secrets" in API group "" in the namespace "releasegate"',
    );
    expect(forbiddenError(requestAttributes("PATCH", "/apis/helm.toolkit.fluxcd.io/v2/namespaces/d/helmreleases/a/status", saUser), "").message).toContain(
      'cannot patch resource "helmreleases/status" in API group "helm.toolkit.fluxcd.io" in the namespace "d"',
    );
    expect(forbiddenError(requestAttributes("GET", "/metrics", alice), "").message).toBe('forbidden: User "alice" cannot get path "/metrics"');
  });

  it("knows the admin token, and a ServiceAccount token only while its ServiceAccount exists", () => {
    const store = new ObjectStore();
    expect(authenticate("admin", "admin", store)?.groups).toContain("system:masters");
    expect(authenticate(SA, "admin", store)).toBeUndefined();
    put(store, RBAC_STORAGE.serviceAccounts, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "rg", namespace: "releasegate" } });
    expect(authenticate(SA, "admin", store)).toEqual(saUser);
    // Only the configured admin token is privileged.
    expect(authenticate("sandbox-admin", "admin", store)?.groups).not.toContain("system:masters");
  });
});

describe("a sandbox started with authorization: RBAC", () => {
  it("answers each user as its bindings allow, over HTTPS", async () => {
    const sandbox = await startSandbox({ authorization: "RBAC", seed: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "releasegate" } }] });
    try {
      const sa = sandbox.kubeConfig(SA).makeApiClient(CoreV1Api);
      // Unknown ServiceAccount: its token is not accepted at all.
      await expect(sa.listNamespacedSecret({ namespace: "releasegate" })).rejects.toMatchObject({ code: 401 });

      const admin = sandbox.kubeConfig();
      await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccount({ namespace: "releasegate", body: { metadata: { name: "rg" } } });
      const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
      await rbac.createNamespacedRole({ namespace: "releasegate", body: { metadata: { name: "rg" }, rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["list"] }] } });
      await rbac.createNamespacedRoleBinding({
        namespace: "releasegate",
        body: { metadata: { name: "rg" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "rg" }, subjects: [{ kind: "ServiceAccount", name: "rg", namespace: "releasegate" }] },
      });

      expect((await sa.listNamespacedSecret({ namespace: "releasegate" })).items).toEqual([]);
      const denied = await sa.listNamespacedSecret({ namespace: "default" }).then(
        () => undefined,
        (err: { code: number; body: string }) => err,
      );
      expect(denied?.code).toBe(403);
      expect(JSON.parse(denied?.body ?? "{}")).toMatchObject({
        kind: "Status",
        reason: "Forbidden",
        message: 'secrets is forbidden: User "system:serviceaccount:releasegate:rg" cannot list resource "secrets" in API group "" in the namespace "default"',
      });
      // Discovery is open to every authenticated user.
      expect((await sandbox.kubeConfig(SA).makeApiClient(ApisApi).getAPIVersions()).groups.length).toBeGreaterThan(0);
    } finally {
      await sandbox.close();
    }
  });
});
