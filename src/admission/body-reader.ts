// Reading one review body (docs/behaviour.md, "Bounded work"), bounded three ways before it is parsed:
// - bytes: the body limit (413), and the body budget shared by every request (429, body-budget.ts);
// - time: a body that stops short of its Content-Length is answered 408 with a line saying how much came,
//   before the server's own request timeout would close it without a word;
// - structure: one pass over the bytes counts nesting depth, containers (objects and arrays) and values
//   before JSON.parse runs. What a parsed body costs follows from these counts, not from its bytes: six
//   megabytes of `[[[[…` or `[{},{},…` parse to a few hundred megabytes, while a real object of that size
//   parses to a few times its size. A body over a limit gets a 400; one within them has its parsed cost
//   (estimated from the counts) reserved in the budget, so the bodies in flight stay within it together.
//
// The limits (structureLimits below): Kubernetes objects are shallow. kube-apiserver refuses JSON nested
// deeper than 10,000 levels (k8s.io/apimachinery util/json maxDepth); real HelmReleases, Kustomizations and
// ResourceSets, managedFields included, nest a few dozen levels. 1,000 levels is far beyond any of them.
// Containers and values: a review carries the object and the stored one, each at most 1.5 MiB in etcd;
// a 1.5 MiB values file of dense small entries has some tens of thousands of maps and lists and a few
// hundred thousand scalars. 150,000 containers and 750,000 values hold two of those with room to spare and
// keep the worst body under the byte limit to a few tens of megabytes parsed.
import type { IncomingMessage } from "node:http";
import type { BodyBudget } from "./body-budget.js";

export interface StructureLimits {
  maxDepth: number;
  maxContainers: number;
  maxValues: number;
}

export const DEFAULT_STRUCTURE_LIMITS: StructureLimits = { maxDepth: 1_000, maxContainers: 150_000, maxValues: 750_000 };

/** What one pass over a JSON text found; `problem` when a limit is passed (the scan stops there). */
interface StructureScan {
  depth: number;
  containers: number;
  values: number;
  problem?: string;
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

/**
 * Counts nesting depth, containers and values of a JSON text without parsing it (strings skipped, escapes
 * honoured). Values are counted as containers plus separators (every `,` starts one more value or member
 * outside a string): an upper bound that needs no grammar. Malformed JSON is left to JSON.parse.
 */
export function scanStructure(bytes: Uint8Array, length: number, limits: StructureLimits): StructureScan {
  let depth = 0;
  let maxDepth = 0;
  let containers = 0;
  let separators = 0;
  let inString = false;
  for (let i = 0; i < length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      containers++;
      if (depth > maxDepth) {
        maxDepth = depth;
        if (depth > limits.maxDepth) return { depth, containers, values: containers + separators, problem: `it nests deeper than ${limits.maxDepth} levels` };
      }
      if (containers > limits.maxContainers) return { depth: maxDepth, containers, values: containers + separators, problem: `it holds more than ${limits.maxContainers} objects and arrays` };
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
    else if (c === COMMA) {
      separators++;
      if (containers + separators > limits.maxValues) return { depth: maxDepth, containers, values: containers + separators, problem: `it holds more than ${limits.maxValues} values` };
    }
  }
  return { depth: maxDepth, containers, values: containers + separators + 1 };
}

/**
 * What parsing a body adds to its bytes (already reserved), from its scan: a heap object per container
 * and a slot per value, at V8's sizes with margin (bench/admission-body.ts measures the shapes). The
 * string JSON.parse reads lives only while it parses, beside the buffer it was decoded from; it is
 * counted by the buffer's reservation.
 */
export function parsedCostBytes(scan: StructureScan): number {
  return 96 * scan.containers + 48 * scan.values;
}

export interface BodyReaderOptions {
  limitBytes: number;
  budget: BodyBudget;
  structure?: StructureLimits;
  /** How long the body may take to arrive once the headers have (408 after it). */
  timeoutMs: number;
}

/** Why a body was not read; `status` and `text` are the answer, `reason` the metric label. */
export interface BodyRefusal {
  status: number;
  text: string;
  reason: "too-large" | "over-budget" | "bad-json" | "too-complex" | "incomplete-body";
  headers?: Record<string, string>;
}

export type BodyOutcome =
  /** Parsed; `release` gives its reservation back (call once the answer is sent). */
  | { ok: true; value: unknown; release: () => void }
  | { ok: false; refusal: BodyRefusal }
  /** The client went away before the body ended: nobody to answer. */
  | { ok: false; refusal: undefined };

function mebibytes(bytes: number): string {
  return `${Number((bytes / (1024 * 1024)).toFixed(2))} MiB`;
}

/**
 * Reads, checks and parses the body of `req`; calls `done` exactly once. Callback-shaped on purpose: the
 * webhook's hot path allocates no promise per review.
 */
export function readJsonBody(req: IncomingMessage, options: BodyReaderOptions, done: (outcome: BodyOutcome) => void): void {
  new BodyRead(req, options, done).start();
}

/** One body being read: what has arrived, what it holds reserved in the budget, and whether `done` was called. */
class BodyRead {
  private readonly req: IncomingMessage;
  private readonly options: BodyReaderOptions;
  private readonly done: (outcome: BodyOutcome) => void;
  private readonly structure: StructureLimits;
  private readonly declared: number | undefined;
  private finished = false;
  private reserved = 0;
  private size = 0;
  private readonly chunks: Buffer[] = [];
  private whole: Buffer | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(req: IncomingMessage, options: BodyReaderOptions, done: (outcome: BodyOutcome) => void) {
    this.req = req;
    this.options = options;
    this.done = done;
    this.structure = options.structure ?? DEFAULT_STRUCTURE_LIMITS;
    const header = req.headers["content-length"];
    this.declared = header === undefined ? undefined : Number(header);
    this.timer = setTimeout(() => this.timedOut(), options.timeoutMs);
  }

  /** Gives the reservation back; handed to the caller with a parsed body (an arrow, so it travels unbound). */
  readonly release = (): void => {
    this.options.budget.release(this.reserved);
    this.reserved = 0;
  };

  start(): void {
    const { declared } = this;
    const { limitBytes: limit, budget } = this.options;
    if (declared !== undefined && declared > limit) {
      // Said before reading: the rest of the body is not worth receiving.
      this.refuse(this.tooLarge());
      return;
    }
    // The declared body is reserved up front (and received into one buffer of that size); a chunked body
    // reserves each chunk as it comes.
    if (declared !== undefined && Number.isInteger(declared) && declared > 0) {
      if (!budget.tryReserve(declared)) {
        this.refuse(this.overBudget());
        return;
      }
      this.reserved = declared;
      this.whole = Buffer.allocUnsafe(declared);
    }
    const req = this.req;
    req.on("data", (chunk: Buffer) => this.received(chunk));
    req.on("error", () => this.finish({ ok: false, refusal: undefined }));
    req.once("close", () => {
      // The connection ended before the body did (a client gone): nothing to answer.
      if (!req.complete) this.finish({ ok: false, refusal: undefined });
    });
    req.on("end", () => this.ended());
  }

  private finish(outcome: BodyOutcome): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    this.chunks.length = 0;
    this.whole = undefined;
    if (!outcome.ok) this.release();
    this.done(outcome);
  }

  // The rest of a refused body is not received (nor decrypted): the socket stays paused and closes with
  // the answer (sent with `connection: close`).
  private refuse(refusal: BodyRefusal): void {
    this.req.pause();
    this.finish({ ok: false, refusal: { ...refusal, headers: { connection: "close", ...refusal.headers } } });
  }

  private tooLarge(): BodyRefusal {
    return { status: 413, text: `request body is larger than ${mebibytes(this.options.limitBytes)}`, reason: "too-large" };
  }

  private overBudget(): BodyRefusal {
    return {
      status: 429,
      text: `the webhook is receiving ${mebibytes(this.options.budget.totalBytes)} of review bodies already; retry shortly`,
      reason: "over-budget",
      headers: { "retry-after": "1" },
    };
  }

  private timedOut(): void {
    const { declared } = this;
    const expected = declared !== undefined && Number.isInteger(declared) ? ` of the ${declared} its Content-Length declared` : "";
    this.refuse({ status: 408, text: `request body incomplete: ${this.size} bytes${expected} arrived within ${this.options.timeoutMs / 1000} s; send the whole body`, reason: "incomplete-body" });
  }

  private received(chunk: Buffer): void {
    if (this.finished) return;
    if (this.whole !== undefined) {
      // Node's parser never delivers more than Content-Length.
      chunk.copy(this.whole, this.size);
      this.size += chunk.length;
      return;
    }
    this.size += chunk.length;
    if (this.size > this.options.limitBytes) return this.refuse(this.tooLarge());
    if (!this.options.budget.tryReserve(chunk.length)) return this.refuse(this.overBudget());
    this.reserved += chunk.length;
    this.chunks.push(chunk);
  }

  private ended(): void {
    if (this.finished) return;
    const { chunks } = this;
    const bytes = this.whole ?? (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    const length = Math.min(this.size, bytes.length);
    const scan = scanStructure(bytes, length, this.structure);
    if (scan.problem !== undefined) {
      this.finish({ ok: false, refusal: { status: 400, text: `request body refused: ${scan.problem}; a Kubernetes object is far smaller`, reason: "too-complex" } });
      return;
    }
    // What parsing will add on top of the bytes already reserved.
    const extra = parsedCostBytes(scan);
    if (!this.options.budget.tryReserve(extra)) {
      this.finish({ ok: false, refusal: this.overBudget() });
      return;
    }
    this.reserved += extra;
    let value: unknown;
    try {
      const text = bytes.toString("utf8", 0, length);
      chunks.length = 0;
      this.whole = undefined;
      value = text === "" ? undefined : JSON.parse(text);
    } catch {
      this.finish({ ok: false, refusal: { status: 400, text: "request body is not valid JSON; send an AdmissionReview", reason: "bad-json" } });
      return;
    }
    this.finish({ ok: true, value, release: this.release });
  }
}
