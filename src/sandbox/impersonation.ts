// Who a sandbox request is from, and whom it acts as: kube-apiserver's authentication (a bearer token,
// or a client certificate the sandbox's CA signed: the subject's CN is the user, its O entries the
// groups) and its impersonation filter (k8s.io/apiserver endpoints/filters/impersonation.go). The
// Impersonate-User, -Uid, -Group and -Extra-<key> headers replace the requester's identity once the
// requester may `impersonate` each of them: users (or serviceaccounts for a ServiceAccount's name) and
// groups in the core group, uids and userextras/<key> in authentication.k8s.io. The impersonated user
// gets system:authenticated (and a ServiceAccount its groups when none are asked for).
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import type { AdmissionUser } from "./admission.js";
import { failure } from "./status.js";

export interface Impersonation {
  user: string;
  uid?: string;
  groups: string[];
  extra: Record<string, string[]>;
}

/** What the requester must be allowed to `impersonate`, as RBAC request attributes. */
interface ImpersonationTarget {
  apiGroup: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

const SERVICE_ACCOUNT = /^system:serviceaccount:([^:]+):([^:]+)$/;

/** The user of a verified client certificate: CN the name, O the groups (kube-apiserver's x509 authenticator). */
export function certificateUser(req: IncomingMessage): AdmissionUser | undefined {
  const socket = req.socket as Partial<TLSSocket>;
  if (socket.authorized !== true || typeof socket.getPeerCertificate !== "function") return undefined;
  const cert = socket.getPeerCertificate();
  const cn = cert?.subject?.CN;
  if (cn === undefined || cn === "") return undefined;
  const o = cert.subject.O as string | string[] | undefined;
  const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
  return { username: Array.isArray(cn) ? String(cn[0]) : cn, groups: [...groups, "system:authenticated"] };
}

/** The Impersonate-* headers, or undefined when there are none; a 400 for groups/uid/extra without a user. */
export function impersonationOf(req: IncomingMessage): Impersonation | undefined {
  // headersDistinct keeps repeated headers apart (Impersonate-Group comes once per group).
  const header = (name: string): string[] => req.headersDistinct[name] ?? [];
  const user = header("impersonate-user")[0];
  const uid = header("impersonate-uid")[0];
  const groups = header("impersonate-group").filter((g) => g !== "");
  const extra: Record<string, string[]> = {};
  for (const name of Object.keys(req.headers)) {
    if (!name.startsWith("impersonate-extra-")) continue;
    let key = name.slice("impersonate-extra-".length);
    try {
      key = decodeURIComponent(key);
    } catch {
      // kube-apiserver keeps an undecodable key as sent
    }
    extra[key] = header(name);
  }
  if (user === undefined || user === "") {
    if (groups.length > 0 || uid !== undefined || Object.keys(extra).length > 0) {
      throw failure(400, "BadRequest", "requested impersonation of groups, uid or extra without impersonating a user");
    }
    return undefined;
  }
  return { user, ...(uid !== undefined && uid !== "" ? { uid } : {}), groups, extra };
}

/** Every object the requester must be allowed to impersonate. */
export function impersonationTargets(imp: Impersonation): ImpersonationTarget[] {
  const sa = SERVICE_ACCOUNT.exec(imp.user);
  const targets: ImpersonationTarget[] = [
    sa ? { apiGroup: "", resource: "serviceaccounts", subresource: "", namespace: sa[1]!, name: sa[2]! } : { apiGroup: "", resource: "users", subresource: "", namespace: "", name: imp.user },
  ];
  for (const group of imp.groups) targets.push({ apiGroup: "", resource: "groups", subresource: "", namespace: "", name: group });
  if (imp.uid !== undefined) targets.push({ apiGroup: "authentication.k8s.io", resource: "uids", subresource: "", namespace: "", name: imp.uid });
  for (const [key, values] of Object.entries(imp.extra)) {
    for (const value of values) targets.push({ apiGroup: "authentication.k8s.io", resource: "userextras", subresource: key, namespace: "", name: value });
  }
  return targets;
}

/** The identity the request then has. */
export function impersonatedUser(imp: Impersonation): AdmissionUser {
  const groups = [...imp.groups];
  const sa = SERVICE_ACCOUNT.exec(imp.user);
  if (sa && imp.groups.length === 0) groups.push("system:serviceaccounts", `system:serviceaccounts:${sa[1]!}`);
  if (imp.user !== "system:anonymous" && !groups.includes("system:authenticated")) groups.push("system:authenticated");
  return { username: imp.user, groups, ...(imp.uid !== undefined ? { uid: imp.uid } : {}) };
}
