// The words a node carries on the page, so colour is never the only sign of its state.

import type { PageNode } from "./graph-model.js";

/** "blocked: Failed", "missing", "no status" (read from files), or the object's own health when its gate is open. */
export function stateWord(node: PageNode): string {
  if (node.state === "blocked") return `blocked: ${node.reason ?? ""}`;
  if (node.state === "missing") return "missing";
  if (node.state === "unknown") return "no status";
  return node.health ?? "open";
}

/** The second line of a node: its kind and namespace (two objects of one name and two kinds differ here). */
export function kindLine(node: PageNode): string {
  return `${node.kind} · ${node.namespace}`;
}

/** The third line of a node: its state, and what it holds back when it is a root cause. */
export function subtitle(node: PageNode, blocks = 0): string {
  const held = blocks > 0 ? ` · blocks ${blocks}` : "";
  const twice = node.duplicate === true ? " · defined twice" : "";
  return `${stateWord(node)}${held}${twice}`;
}

/** "blocks 1 release", "blocks 3 releases". */
export function blocksWords(count: number): string {
  return `blocks ${count} ${count === 1 ? "release" : "releases"}`;
}

/**
 * What holds a blocked node back, from its summary alone (the live page has no message until the node is
 * selected): "blocked by default/redis: install retries exhausted", the start of the Event's words.
 */
function blockedBy(node: PageNode): string | undefined {
  if (node.state !== "blocked" || node.rootCause === undefined) return undefined;
  // A cycle's root-cause message names the cycle itself.
  if (node.reason === "Cycle") return `blocked by ${node.rootCauseMessage ?? node.rootCause}`;
  const [kind, ...rest] = node.rootCause.split("/");
  const rootCause = kind === node.kind ? rest.join("/") : `${kind ?? ""} ${rest.join("/")}`;
  return `blocked by ${rootCause}${node.rootCauseMessage === undefined ? "" : `: ${node.rootCauseMessage}`}`;
}

/** What a screen reader says for a node: its gate's message when the page has it, else what blocks it. */
export function accessibleName(node: PageNode, isRootCause: boolean, blocks = 0): string {
  const parts = [`${node.kind} ${node.namespace}/${node.name}`, stateWord(node)];
  if (isRootCause) parts.push(blocks > 0 ? `root cause, ${blocksWords(blocks)}` : "root cause");
  const words = node.message ?? blockedBy(node);
  if (words !== undefined) parts.push(words);
  return parts.join(", ");
}

/** The CSS classes of a node: its state, reason or health, and marks. */
export function nodeClasses(node: PageNode, isRootCause: boolean): string {
  const classes = ["node", `state-${node.state}`];
  if (node.state === "blocked") classes.push(`reason-${node.reason ?? ""}`);
  else if (node.health !== undefined) classes.push(`health-${node.health}`);
  if (node.cycle === true) classes.push("cycle");
  if (node.ghost === true) classes.push("ghost");
  if (node.duplicate === true) classes.push("duplicate");
  if (isRootCause) classes.push("root-cause");
  return classes.join(" ");
}

/** Names at most this many objects in one announcement of gate changes. */
const ANNOUNCED = 3;

/**
 * What the page's live region says after an update: the objects whose state word changed, in the
 * order they came, "HelmRelease default/backend: now open"; beyond three, how many more.
 */
export function changeAnnouncement(changes: readonly { before: PageNode | undefined; after: PageNode }[]): string {
  const moved = changes.filter(({ before, after }) => after.ghost !== true && (before === undefined || stateWord(before) !== stateWord(after)));
  if (moved.length === 0) return "";
  const named = moved.slice(0, ANNOUNCED).map(({ after }) => `${after.kind} ${after.namespace}/${after.name}: now ${stateWord(after)}`);
  const more = moved.length > ANNOUNCED ? `; and ${moved.length - ANNOUNCED} more` : "";
  return `${named.join("; ")}${more}`;
}
