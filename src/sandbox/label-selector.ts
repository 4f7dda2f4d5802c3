// Label selectors as the Kubernetes API server evaluates them: the structured metav1.LabelSelector
// (webhook namespaceSelector/objectSelector) and the `?labelSelector=` string syntax of list/watch.
// Semantics follow k8s.io/apimachinery/pkg/labels (selector.go) and metav1.LabelSelectorAsSelector:
// requirements are ANDed; `NotIn`/`!=` also match when the key is absent; an empty selector matches
// everything.

/** Operators of metav1.LabelSelectorRequirement, plus Gt/Lt which only the string syntax can express. */
type LabelSelectorOperator = "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt";

interface LabelSelectorRequirement {
  key: string;
  operator: LabelSelectorOperator;
  values?: string[];
}

/** metav1.LabelSelector. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** A selector that is not valid; the message says which requirement and why, in the API server's words. */
export class LabelSelectorError extends Error {
  override name = "LabelSelectorError";
}

// Label values: at most 63 characters, alphanumeric at both ends, `-_.` inside (may be empty).
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function keyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `key ${JSON.stringify(key)}: prefix part must be a lowercase DNS subdomain`;
  }
  if (name.length === 0 || name.length > 63 || !NAME_PART.test(name)) {
    return `key ${JSON.stringify(key)}: name part must be 1-63 characters, alphanumeric at both ends, with '-', '_' or '.' inside`;
  }
  return undefined;
}

function valueProblem(value: string): string | undefined {
  if (value.length > 63 || !LABEL_VALUE.test(value)) {
    return `value ${JSON.stringify(value)}: must be at most 63 characters, alphanumeric at both ends, with '-', '_' or '.' inside`;
  }
  return undefined;
}

/** Checks one requirement the way labels.NewRequirement does; throws LabelSelectorError. */
function validateRequirement(req: LabelSelectorRequirement): void {
  const values = req.values ?? [];
  const problem = keyProblem(req.key);
  if (problem) throw new LabelSelectorError(`invalid label selector: ${problem}`);
  switch (req.operator) {
    case "In":
    case "NotIn":
      if (values.length === 0) {
        throw new LabelSelectorError(`invalid label selector: key ${JSON.stringify(req.key)}: for 'in', 'notin' operators, values set can't be empty`);
      }
      break;
    case "Exists":
    case "DoesNotExist":
      if (values.length !== 0) {
        throw new LabelSelectorError(`invalid label selector: key ${JSON.stringify(req.key)}: values set must be empty for exists and does not exist`);
      }
      break;
    case "Gt":
    case "Lt":
      if (values.length !== 1 || !/^-?\d+$/.test(values[0] ?? "")) {
        throw new LabelSelectorError(`invalid label selector: key ${JSON.stringify(req.key)}: for 'Gt', 'Lt' operators, exactly one integer value is required`);
      }
      return;
    default:
      throw new LabelSelectorError(`invalid label selector: ${JSON.stringify(String(req.operator))} is not a valid label selector operator`);
  }
  for (const v of values) {
    const vp = valueProblem(v);
    if (vp) throw new LabelSelectorError(`invalid label selector: key ${JSON.stringify(req.key)}: ${vp}`);
  }
}

function requirementMatches(req: LabelSelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const value = has ? labels[req.key] : undefined;
  const values = req.values ?? [];
  switch (req.operator) {
    case "In":
      return value !== undefined && values.includes(value);
    case "NotIn":
      return value === undefined || !values.includes(value);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
    case "Gt":
    case "Lt": {
      if (value === undefined || !/^-?\d+$/.test(value)) return false;
      const n = Number(value);
      const bound = Number(values[0]);
      return req.operator === "Gt" ? n > bound : n < bound;
    }
  }
}

/**
 * Whether `labels` satisfy `selector`. An absent or empty selector matches everything (the defaulted
 * webhook selectors are `{}`; a list without `labelSelector` lists everything). Throws LabelSelectorError
 * for an invalid selector (bad key, bad value, unknown operator, wrong number of values).
 */
export function matchesLabelSelector(
  selector: LabelSelector | null | undefined,
  labels: Record<string, string> | null | undefined,
): boolean {
  if (!selector) return true;
  const actual = labels ?? {};
  const requirements: LabelSelectorRequirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    requirements.push({ key, operator: "In", values: [value] });
  }
  requirements.push(...(selector.matchExpressions ?? []));
  for (const req of requirements) validateRequirement(req);
  return requirements.every((req) => requirementMatches(req, actual));
}

// --- the string syntax: `a=b,c!=d,e in (f,g),h notin (i),j,!k,l>5` (labels.Parse) ---

type Token =
  | { kind: "id"; text: string }
  | { kind: "op"; text: "!" | "!=" | "=" | "==" | "(" | ")" | "," | ">" | "<" }
  | { kind: "end" };

const SPECIAL = new Set(["!", "=", "(", ")", ",", ">", "<"]);

function tokenize(s: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (SPECIAL.has(c)) {
      const two = s.slice(i, i + 2);
      if (two === "!=" || two === "==") {
        tokens.push({ kind: "op", text: two });
        i += 2;
      } else {
        tokens.push({ kind: "op", text: c as "!" | "=" | "(" | ")" | "," | ">" | "<" });
        i++;
      }
      continue;
    }
    let j = i;
    while (j < s.length && !SPECIAL.has(s[j] as string) && !/\s/.test(s[j] as string)) j++;
    tokens.push({ kind: "id", text: s.slice(i, j) });
    i = j;
  }
  tokens.push({ kind: "end" });
  return tokens;
}

function describe(t: Token): string {
  return t.kind === "end" ? "end of string" : `'${t.text}'`;
}

/**
 * Parses the `labelSelector` query parameter of list/watch into a LabelSelector (all requirements in
 * matchExpressions). `=`/`==` become In, `!=` NotIn, a bare key Exists, `!key` DoesNotExist, `>`/`<` Gt/Lt.
 * Throws LabelSelectorError with an "unable to parse requirement" message (the API server answers 400).
 */
export function parseLabelSelectorString(s: string): LabelSelector {
  const tokens = tokenize(s);
  let pos = 0;
  const peek = (): Token => tokens[pos] as Token;
  const next = (): Token => tokens[pos++] as Token;
  const fail = (msg: string): never => {
    throw new LabelSelectorError(`unable to parse requirement: ${msg}`);
  };
  const expressions: LabelSelectorRequirement[] = [];
  if (peek().kind === "end") return {};

  for (;;) {
    let negated = false;
    let t = next();
    if (t.kind === "op" && t.text === "!") {
      negated = true;
      t = next();
    }
    if (t.kind !== "id") fail(`found ${describe(t)}, expected: !, identifier, or 'end of string'`);
    const key = (t as { text: string }).text;
    let req: LabelSelectorRequirement;
    const op = peek();
    if (negated) {
      req = { key, operator: "DoesNotExist" };
    } else if (op.kind === "end" || (op.kind === "op" && op.text === ",")) {
      req = { key, operator: "Exists" };
    } else if (op.kind === "op" && (op.text === "=" || op.text === "==" || op.text === "!=")) {
      next();
      const v = peek();
      let value = "";
      if (v.kind === "id") {
        value = v.text;
        next();
      } else if (!(v.kind === "end" || (v.kind === "op" && v.text === ","))) {
        fail(`found ${describe(v)}, expected: identifier`);
      }
      req = { key, operator: op.text === "!=" ? "NotIn" : "In", values: [value] };
    } else if (op.kind === "op" && (op.text === ">" || op.text === "<")) {
      next();
      const v = next();
      if (v.kind !== "id") fail(`found ${describe(v)}, expected: integer`);
      req = { key, operator: op.text === ">" ? "Gt" : "Lt", values: [(v as { text: string }).text] };
    } else if (op.kind === "id" && (op.text === "in" || op.text === "notin")) {
      next();
      const open = next();
      if (!(open.kind === "op" && open.text === "(")) fail(`found ${describe(open)}, expected: '('`);
      const values: string[] = [];
      for (;;) {
        const v = peek();
        if (v.kind === "op" && v.text === ")") {
          next();
          break;
        }
        if (v.kind === "id") {
          values.push(v.text);
          next();
          const sep = next();
          if (sep.kind === "op" && sep.text === ")") break;
          if (!(sep.kind === "op" && sep.text === ",")) fail(`found ${describe(sep)}, expected: ',' or ')'`);
          continue;
        }
        if (v.kind === "op" && v.text === ",") {
          // `(a,,b)` holds an empty value, as in labels.Parse.
          values.push("");
          next();
          continue;
        }
        fail(`found ${describe(v)}, expected: ',', ')' or identifier`);
      }
      req = { key, operator: op.text === "in" ? "In" : "NotIn", values };
    } else {
      fail(`found ${describe(op)}, expected: in, notin, =, ==, !=, gt, lt`);
      return {};
    }
    validateRequirement(req);
    expressions.push(req);
    const sep = next();
    if (sep.kind === "end") break;
    if (!(sep.kind === "op" && sep.text === ",")) fail(`found ${describe(sep)}, expected: ',' or 'end of string'`);
  }
  return { matchExpressions: expressions };
}
