// Every user-visible sentence about a dependency graph, one builder per problem or gate state. The
// admission webhook, the controller's Events and `releasegate check` all call these, so the same
// problem reads the same everywhere (docs/behaviour.md, Code conventions). Shape: what is wrong first,
// then, after a colon, what to do.

import { GRAPH_KINDS, isValidNamespaceName, isValidObjectName, kindOfNode, objectKeyOf } from "./refs.js";
import { boundedPath, pathWords, shownNodes } from "./gate-path.js";
import type { BoundedPath } from "./gate-path.js";
import { cyclePathOf, isCyclePath, MAX_CYCLE_SHOWN } from "./cycle-path.js";
import type { CyclePath } from "./cycle-path.js";
import type { GateState, NodeKey, ObjectKey } from "./types.js";

const ARROW = " → ";

/** A denial names at most this many problems, then "and N more". */
const MAX_PROBLEMS_SHOWN = 10;

/**
 * "dependency cycle default/backend → default/redis → default/backend" (the closed path of nodes as
 * given; each named with its kind when the cycle crosses kinds or runs through a ResourceSet:
 * "ResourceSet apps/platform → HelmRelease apps/redis → ResourceSet apps/platform"). A cycle of more than 12 objects shows its first
 * and last six: "a → b → … 88 more … → y → a". Given as a CyclePath (cycle-path.ts), only the members
 * shown are read: a 10,000-object cycle costs the same words as a 13-object one.
 */
export function cycleMessage(cycle: readonly NodeKey[] | CyclePath, ambiguous?: (node: NodeKey) => boolean): string {
  const path = isCyclePath(cycle) ? cycle : cyclePathOf(cycle);
  const half = MAX_CYCLE_SHOWN / 2;
  // A ResourceSet's entries may name any kind, so a cycle through one names every member's kind; so
  // does a cycle across kinds, and one through a name that another kind's object also has (a
  // Kustomization and a HelmRelease both called system/cache): `ns/name` alone would not say which.
  const withKinds = path.crossesKinds || (ambiguous !== undefined && path.some(ambiguous));
  const words = path.shown.map((node) => (withKinds ? withKind(node) : objectKeyOf(node)));
  if (path.objects <= MAX_CYCLE_SHOWN) return `dependency cycle ${words.join(ARROW)}`;
  return `dependency cycle ${[...words.slice(0, half), `… ${path.objects - MAX_CYCLE_SHOWN} more …`, ...words.slice(half)].join(ARROW)}`;
}

/** The problems of one denial, one a line: at most 10, then "and N more". */
export function denialMessage(problems: readonly string[]): string {
  if (problems.length <= MAX_PROBLEMS_SHOWN) return problems.join("\n");
  const rest = problems.length - MAX_PROBLEMS_SHOWN;
  return [...problems.slice(0, MAX_PROBLEMS_SHOWN), `and ${rest} more ${rest === 1 ? "problem" : "problems"}`].join("\n");
}

/**
 * A dependsOn that closes a cycle; `ambiguous` as for cycleMessage. `places`: where the members are
 * defined ("file:line"), named when the cycle spans more than one file, so every file to edit is named.
 */
export function cycleProblemMessage(cycle: readonly NodeKey[] | CyclePath, ambiguous?: (node: NodeKey) => boolean, places: readonly string[] = []): string {
  const unique = [...new Set(places)];
  const files = new Set(unique.map((place) => place.replace(/:\d+$/, "")));
  const across = files.size > 1 ? ` (defined at ${unique.join(", ")})` : "";
  return `${cycleMessage(cycle, ambiguous)}${across}: remove one of these dependsOn entries`;
}


/**
 * "Does another kind's object share this node's `ns/name`?", over the nodes `has` knows: what makes
 * a bare `ns/name` in a message ambiguous.
 */
export function sharedNameIn(has: (node: NodeKey) => boolean): (node: NodeKey) => boolean {
  return (node) => {
    const kind = kindOfNode(node);
    const object = objectKeyOf(node);
    return GRAPH_KINDS.some((other) => other !== kind && has(`${other}/${object}`));
  };
}

/** A node with its kind, always: "HelmRelease apps/redis" (a cluster-scoped object without a namespace shows "CustomResourceDefinition x"). */
function withKind(node: NodeKey): string {
  return `${kindOfNode(node)} ${objectKeyOf(node)}`;
}

/**
 * A ResourceSet that waits for its own output (graph/own-output.ts): `path` runs from the ResourceSet
 * through its dependsOn to an object it generates itself.
 */
export function ownOutputMessage(path: readonly NodeKey[]): string {
  const resourceSet = withKind(path[0]!);
  const generated = withKind(path[path.length - 1]!);
  if (path.length <= 2) {
    return `${resourceSet} depends on ${generated}, which it generates itself, so it would wait for its own output for ever: remove that dependsOn entry, or generate ${generated} elsewhere`;
  }
  const shown = path.length - 1 > MAX_CYCLE_SHOWN ? [...path.slice(0, MAX_CYCLE_SHOWN / 2), ...path.slice(path.length - MAX_CYCLE_SHOWN / 2)] : path;
  const hops = shown.map(withKind);
  if (shown.length < path.length) hops.splice(MAX_CYCLE_SHOWN / 2, 0, `… ${path.length - shown.length} more …`);
  return `${resourceSet} waits for its own output: ${hops.join(ARROW)}, which it generates itself: remove one of these dependsOn entries`;
}

/** A ResourceSet entry whose apiVersion is not `group/version` or `version`. */
export function invalidApiVersionMessage(index: number, apiVersion: string): string {
  if (apiVersion === "") return `dependsOn[${index}].apiVersion is empty: set it to the dependency's apiVersion (e.g. helm.toolkit.fluxcd.io/v2, apps/v1)`;
  return `dependsOn[${index}].apiVersion ${JSON.stringify(apiVersion)} is not an API version: write group/version (apps/v1) or, for the core group, the version alone (v1)`;
}

/** A ResourceSet entry whose kind cannot name a Kubernetes kind. */
export function invalidKindMessage(index: number, kind: string): string {
  if (kind === "") return `dependsOn[${index}].kind is empty: set it to the dependency's kind (e.g. HelmRelease, Deployment)`;
  return `dependsOn[${index}].kind ${JSON.stringify(kind)} is not a kind: a kind is a name such as HelmRelease or Deployment, as in the object's own "kind:"`;
}

/**
 * A ResourceSet entry naming a kind at an apiVersion that does not serve it. `versions` are those that
 * do, when known (a Flux kind's versions).
 */
export function unservedKindMessage(index: number, apiVersion: string, kind: string, versions: readonly string[] = []): string {
  const hint = versions.length > 0 ? `use ${joinAlternatives(versions)}` : "fix the apiVersion or kind, or install the CRD that serves it first";
  return `dependsOn[${index}] names ${kind} at ${apiVersion}, which the cluster does not serve, so the Flux Operator would wait for it for ever: ${hint}`;
}

/** A ResourceSet entry naming a namespaced kind without a namespace: it can never be found. */
export function namespaceNeededMessage(index: number, kind: string, namespace: string, who = "the Flux Operator"): string {
  return `dependsOn[${index}]: ${kind} dependencies need a namespace: ${who} looks it up verbatim (add namespace: ${namespace})`;
}

/** Who looks a dependsOn entry up, in a message: the controller of the dependent's kind. */
export function controllerOf(dependentKind: string): string {
  return dependentKind === "HelmRelease" ? "helm-controller" : dependentKind === "Kustomization" ? "kustomize-controller" : "the Flux Operator";
}

/** A HelmRelease's or Kustomization's entry naming another kind without apiVersion (the Flux RFC requires it). */
export function apiVersionNeededMessage(index: number, kind: string): string {
  return `dependsOn[${index}]: a ${kind} dependency needs an apiVersion (an entry of another kind than its object's has no default): add apiVersion`;
}

/** A HelmRelease's or Kustomization's entry with a readyExpr and `ready: false` (the Flux RFC): never evaluated. */
export function readyExprNotEvaluatedMessage(index: number): string {
  return `dependsOn[${index}].readyExpr is not evaluated with ready: false: remove ready: false or the readyExpr`;
}

/** A ResourceSet entry with a readyExpr but without `ready: true`: the operator never evaluates it. */
export function readyExprIgnoredMessage(index: number): string {
  return `dependsOn[${index}].readyExpr is ignored without ready: true (Flux Operator): add ready: true or remove it`;
}

export function selfDependencyMessage(object: ObjectKey): string {
  return `${object} depends on itself: remove that dependsOn entry`;
}

/** "HelmRelease default/redis does not exist": the bare fact, used as a gate's root cause message. */
export function missingMessage(kind: string, dependency: ObjectKey): string {
  return `${kind} ${dependency} does not exist`;
}

/** A dependsOn entry naming an object that does not exist, with close names when there are any. */
export function missingProblemMessage(kind: string, dependency: ObjectKey, suggestions: readonly ObjectKey[] = []): string {
  const didYouMean = suggestions.length === 0 ? "" : ` (did you mean ${joinAlternatives(suggestions)}?)`;
  return `${missingMessage(kind, dependency)}${didYouMean}: create it first or fix the dependsOn entry`;
}

const VALID_NAME =
  "a valid name has lowercase letters, digits, '-' and '.', starts and ends with a letter or digit, and has at most 253 characters";
const VALID_NAMESPACE =
  "a valid namespace has lowercase letters, digits and '-', starts and ends with a letter or digit, and has at most 63 characters";

/**
 * A dependsOn entry whose name (or namespace) can never match an object. The common mistake of
 * writing `name: monitoring/prometheus` gets the exact fix.
 */
export function invalidNameMessage(index: number, name: string): string {
  if (name === "") return `dependsOn[${index}].name is empty: set it to the name of the object to depend on`;
  const what = `dependsOn[${index}].name ${JSON.stringify(name)} is not a valid object name`;
  const slash = name.indexOf("/");
  if (slash > 0 && slash === name.lastIndexOf("/")) {
    const namespace = name.slice(0, slash);
    const bare = name.slice(slash + 1);
    if (isValidNamespaceName(namespace) && isValidObjectName(bare)) {
      return `${what}: use {name: ${bare}, namespace: ${namespace}}`;
    }
  }
  return `${what}: ${VALID_NAME}`;
}

export function invalidNamespaceMessage(index: number, namespace: string): string {
  return `dependsOn[${index}].namespace ${JSON.stringify(namespace)} is not a valid namespace: ${VALID_NAMESPACE}`;
}

export function duplicateMessage(index: number, firstIndex: number, dependency: ObjectKey): string {
  return `dependsOn[${index}] repeats ${dependency} (already dependsOn[${firstIndex}]): remove the duplicate entry`;
}

export function crossNamespaceMessage(object: ObjectKey, dependency: ObjectKey): string {
  const namespace = object.slice(0, object.indexOf("/"));
  return (
    `dependency ${dependency} is in another namespace and cross-namespace dependencies are disabled ` +
    `(--cross-namespace deny): move it into namespace ${namespace} or remove the dependsOn entry`
  );
}

export function readyExprMessage(index: number, error: string): string {
  return `dependsOn[${index}].readyExpr does not compile: ${error}: fix the CEL expression`;
}

/** A ResourceSet's readyExpr (over the dependency object) could not be evaluated: the operator retries it. */
export function readyExprErrorMessage(error: string): string {
  return `readyExpr cannot be evaluated on it: ${error}`;
}

/** A `ready: true` dependency judged by kstatus (the Flux Operator's check) that is not Current. */
export function kstatusMessage(status: string, detail: string): string {
  return detail.trim() === "" ? `status ${status}` : `status ${status}: ${detail}`;
}

/** Why releasegate cannot judge a dependency of a kind outside Flux (docs/behaviour.md, "Kinds outside Flux"). */
export function externalNotWatchedMessage(kind: string): string {
  return `cannot judge: releasegate does not watch ${kind} objects (watches of kinds outside Flux are off: --external-kinds, chart value externalKinds.enabled)`;
}

export function externalLimitMessage(kind: string, limit: number): string {
  return `cannot judge: releasegate watches at most ${limit} kinds outside Flux at once and ${kind} is beyond that limit (raise --max-external-kinds, chart value externalKinds.maxKinds)`;
}

export function externalNotSyncedMessage(kind: string): string {
  return `cannot judge yet: the watch on ${kind} objects has not listed them yet`;
}

export function externalUnservedMessage(kind: string, apiVersion: string): string {
  return `cannot judge: the API server does not serve ${kind} in ${apiVersion === "" ? "any API version" : apiVersion}`;
}

/**
 * releasegate may not list the kind (403): the gate stays blocked and says which permission and which chart
 * value grant it (Secrets are a separate value: reading them cluster-wide is the user's decision).
 */
export function externalForbiddenMessage(kind: string, resource: string): string {
  return `cannot judge: releasegate may not list ${resource} (RBAC get, list and watch on ${resource} are missing): set the chart value ${clusterWideValue(kind, resource)}`;
}

/** The chart value that grants reading `resource` cluster-wide (Secrets have their own: the user's decision). */
function clusterWideValue(kind: string, resource: string): string {
  return kind === "Secret" && resource === "secrets" ? "externalKinds.secrets: true" : `externalKinds.rules (add ${resource})`;
}

/**
 * releasegate may not list the kind cluster-wide and, in the namespace a dependency names, no Role lets it
 * either (403 on the namespaced list): the gate names the permission, the namespace and the chart values.
 */
export function externalNamespaceForbiddenMessage(kind: string, resource: string, namespace: string): string {
  const remedy =
    kind === "Secret" && resource === "secrets"
      ? `externalKinds.secretNamespaces (add ${namespace}), or externalKinds.secrets: true`
      : `${clusterWideValue(kind, resource)}, or bind a Role granting them in ${namespace} to releasegate's ServiceAccount`;
  return `cannot judge: releasegate may not list ${resource} in namespace ${namespace} (RBAC get, list and watch on ${resource} in ${namespace} are missing): set the chart value ${remedy}`;
}

/** A kind read namespace by namespace (no cluster-wide read) is named in more namespaces than are watched at once. */
export function externalNamespaceLimitMessage(kind: string, resource: string, namespace: string, limit: number): string {
  return (
    `cannot judge: releasegate may not list ${resource} cluster-wide, so it watches them namespace by namespace, in at most ${limit} namespaces, ` +
    `and ${namespace} is beyond that (raise --max-external-namespaces, chart value externalKinds.maxNamespaces, or grant the read cluster-wide: chart value ${clusterWideValue(kind, resource)})`
  );
}

export function externalWatchFailedMessage(kind: string, error: string): string {
  return `cannot judge: watching ${kind} objects fails: ${error} (releasegate needs get, list and watch on them: chart value externalKinds.enabled grants it)`;
}

/**
 * Whether a root cause message is releasegate's account of what it cannot see (a kind it does not or may
 * not watch, a watch still listing, fields being read again), not the dependency's own status: a change
 * of it is news, not a dependency's progress.
 */
export function isReleasegateBlindMessage(message: string): boolean {
  return message.startsWith("cannot judge") || message === FIELDS_PENDING_MESSAGE;
}

/**
 * Whether a root cause message says only that releasegate's own cache is still listing (a watch's first
 * list, fields being read again): a moment's state, not news about the dependency.
 */
export function isReleasegateCatchingUpMessage(message: string): boolean {
  return message.startsWith("cannot judge yet:") || message === FIELDS_PENDING_MESSAGE;
}

/** A readyExpr reads fields of the dependency that releasegate's cache is reading again (moments). */
export const FIELDS_PENDING_MESSAGE = "releasegate is reading the fields its readyExpr needs";

/** Why a ready-looking dependency still blocks: its readyExpr evaluated to false (Flux's words). */
export const READY_EXPR_FALSE_MESSAGE = "not ready according to readyExpr";
export const SUSPENDED_MESSAGE = "suspended";
export const NOT_READY_YET_MESSAGE = "not ready yet";

/** A warning for DELETE: "default/backend depends on default/redis". */
export function dependentWarningMessage(dependent: ObjectKey, dependency: ObjectKey): string {
  return `${dependent} depends on ${dependency}`;
}

/**
 * The Event text for a blocked gate of an object of `kind`: "blocked by default/redis: install retries
 * exhausted", "blocked by default/redis via default/api: ..." when the root cause is further than one
 * hop. Objects of another kind than the blocked one are named with their kind ("HelmRelease apps/redis").
 * The hops are `path` (default: what the gate alone knows, its first hop and last ones), shortened in the
 * middle past 12 ("… 2990 more …"), so the text is bounded however deep the graph (gate-path.ts).
 */
export function blockedMessage(state: GateState, kind?: string, path?: BoundedPath): string {
  if (state.state === "open") return gateOpenedMessage();
  const hopsPath = path ?? boundedPath(state);
  const shown = shownNodes(hopsPath);
  const own = kind ?? kindOfNode(state.via);
  const sameKind = shown.every((node) => kindOfNode(node) === own || kindOfNode(node) === "") && (kindOfNode(state.rootCause) === own || kindOfNode(state.rootCause) === "");
  const show = (node: NodeKey): string => (sameKind ? objectKeyOf(node) : `${kindOfNode(node)} ${objectKeyOf(node)}`);
  const rootCause = show(state.rootCause);
  // Every hop but the last, which is the root cause.
  const hops = pathWords(hopsPath, show).slice(0, -1);
  const via = hops.length === 0 ? "" : ` via ${hops.join(ARROW)}`;
  switch (state.reason) {
    case "Cycle": {
      // rootCauseMessage names the cycle. An object on it needs no more; one blocked through it
      // names the dependency it is blocked through.
      const cycleVia = state.onCycle === true ? "" : ` via ${show(state.via)}`;
      return `blocked by ${state.rootCauseMessage}${cycleVia}: remove one of these dependsOn entries`;
    }
    case "Missing":
      return `blocked by ${rootCause}${via}: ${state.rootCauseMessage}: create it or fix the dependsOn entry`;
    case "Suspended":
      return `blocked by ${rootCause}${via}: ${state.rootCauseMessage}: resume it to continue`;
    default:
      return `blocked by ${rootCause}${via}: ${state.rootCauseMessage}`;
  }
}

/**
 * An object's dependencies as the GateOpened note names them: `ns/name` for its own kind, with the kind
 * for any other ("ConfigMap gates/switch", "CustomResourceDefinition x"), as blockedMessage names them.
 */
export function dependencyNames(kind: string, nodes: readonly NodeKey[]): string[] {
  return [...new Set(nodes.map((node) => (kindOfNode(node) === kind || kindOfNode(node) === "" ? objectKeyOf(node) : withKind(node))))];
}

export function gateOpenedMessage(dependencies?: readonly string[]): string {
  if (dependencies === undefined || dependencies.length === 0) return "gate open: every dependency is Ready";
  if (dependencies.length === 1) return `gate open: dependency ${dependencies[0]} is Ready`;
  return `gate open: all ${dependencies.length} dependencies are Ready`;
}

/**
 * The Event of an object a new leader finds open but still waiting on its dependencies: they became
 * Ready while no releasegate was leading (a restart, an upgrade, a failover), so nobody asked yet.
 */
export function gateAlreadyOpenMessage(): string {
  return "dependencies were already Ready when releasegate started: asked Flux to reconcile now, not at its next dependency poll";
}

/** "a", "a or b", "a, b or c". */
function joinAlternatives(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}
