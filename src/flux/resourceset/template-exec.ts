// Executes a parsed Go text/template with Go's semantics: fields and chained fields on maps, the missingkey
// option ("default" prints "<no value>", "error" fails as the Flux Operator configures it), variables with
// block scope and "=" assignment, if/with/range with Go truthiness, range over lists, maps (sorted keys) and
// integers, break/continue, lazy and/or, pipelines passing the previous result as the last argument.
// Work is bounded: output size and evaluation steps have limits, so a template can neither hang nor exhaust
// memory.

import { TemplateError, UnsupportedTemplateError, position } from "./template-error.js";
import { parseTemplate, type Command, type Operand, type Pipeline, type TemplateNode } from "./template-parser.js";
import type { Delimiters } from "./template-lexer.js";
import { compareGoStrings, formatGoValue, goTypeName, GoFloat, isGoMap, truth, type GoValue } from "./go-values.js";

/** A template function: receives evaluated arguments, returns a value or throws a FunctionError. */
export type TemplateFunction = (args: GoValue[]) => GoValue;

/** An error a function reports; Go prints it as "error calling NAME: message". */
export class FunctionError extends Error {}
/** A wrong argument (type or count); Go prints it without the "error calling" prefix. */
export class ArgumentError extends Error {}
/** A function that exists for the Flux Operator but is not evaluated here. */
class UnsupportedFunctionError extends Error {}

interface TemplateOptions {
  delims?: Delimiters;
  functions: ReadonlyMap<string, TemplateFunction>;
  /** Names that Go would know but this implementation does not evaluate (the output becomes unknown). */
  unsupported?: ReadonlySet<string>;
  missingKey?: "default" | "error";
  maxOutputBytes?: number;
  maxSteps?: number;
}

const MISSING = Symbol("missing");
type Final = GoValue | typeof MISSING;

class BreakSignal {}
class ContinueSignal {}

class ExecError extends Error {
  constructor(
    readonly pos: number,
    message: string,
    readonly unsupported = false,
  ) {
    super(message);
  }
}

export class GoTemplate {
  private readonly nodes: TemplateNode[];

  constructor(
    readonly name: string,
    private readonly source: string,
    private readonly options: TemplateOptions,
  ) {
    const functions = options.functions;
    this.nodes = parseTemplate(name, source, {
      delims: options.delims ?? { left: "{{", right: "}}" },
      isFunction: (fn) => functions.has(fn) || fn === "and" || fn === "or",
      isUnsupportedFunction: (fn) => options.unsupported?.has(fn) ?? false,
    });
  }

  /** Renders with `data` as dot; `bound` functions (e.g. `inputs`) take precedence over the template's. */
  execute(data: GoValue, bound?: ReadonlyMap<string, TemplateFunction>): string {
    const run = new Execution(this.options, bound);
    try {
      run.vars.push({ name: "$", value: data });
      run.walk(this.nodes, data);
    } catch (error) {
      if (error instanceof ExecError) {
        const context = error.message.startsWith("at <") ? ` ${error.message}` : `: ${error.message}`;
        const message = `template: ${this.name}:${position(this.source, error.pos)}: executing "${this.name}"${context}`;
        throw error.unsupported ? new UnsupportedTemplateError(message) : new TemplateError(message);
      }
      throw error;
    }
    return run.out.join("");
  }
}

class Execution {
  readonly out: string[] = [];
  readonly vars: Array<{ name: string; value: GoValue }> = [];
  private outBytes = 0;
  private steps = 0;
  private readonly maxOutput: number;
  private readonly maxSteps: number;

  constructor(
    private readonly options: TemplateOptions,
    private readonly bound: ReadonlyMap<string, TemplateFunction> | undefined,
  ) {
    this.maxOutput = options.maxOutputBytes ?? 16 * 1024 * 1024;
    this.maxSteps = options.maxSteps ?? 5_000_000;
  }

  private emit(pos: number, text: string): void {
    this.outBytes += text.length;
    if (this.outBytes > this.maxOutput) throw new ExecError(pos, `output exceeds ${this.maxOutput} bytes`);
    this.out.push(text);
  }

  private step(pos: number): void {
    if (++this.steps > this.maxSteps) throw new ExecError(pos, `evaluation exceeds ${this.maxSteps} steps`);
  }

  walk(nodes: TemplateNode[], dot: GoValue): void {
    for (const node of nodes) {
      switch (node.kind) {
        case "text":
          this.emit(0, node.text);
          break;
        case "action": {
          this.step(node.pos);
          const value = this.evalPipeline(dot, node.pipe);
          if (node.pipe.decl.length === 0) this.emit(node.pos, printValue(value));
          break;
        }
        case "if":
        case "with": {
          this.step(node.pos);
          const mark = this.vars.length;
          const value = this.evalPipeline(dot, node.pipe);
          if (truth(value)) this.walk(node.list, node.kind === "with" ? value : dot);
          else if (node.elseList) this.walk(node.elseList, dot);
          this.vars.length = mark;
          break;
        }
        case "range":
          this.walkRange(node, dot);
          break;
        case "break":
          throw new BreakSignal();
        case "continue":
          throw new ContinueSignal();
      }
    }
  }

  private walkRange(node: Extract<TemplateNode, { kind: "range" }>, dot: GoValue): void {
    this.step(node.pos);
    const mark = this.vars.length;
    const pipe = node.pipe;
    const value = this.evalPipeline(dot, { ...pipe, decl: [] });
    const decl = pipe.decl;
    if (!pipe.isAssign) for (const name of decl) this.vars.push({ name, value });
    const iterate = (index: GoValue, elem: GoValue): boolean => {
      this.step(node.pos);
      if (decl.length === 1) this.setVar(decl[0] ?? "$", elem);
      if (decl.length === 2) {
        this.setVar(decl[0] ?? "$", index);
        this.setVar(decl[1] ?? "$", elem);
      }
      const inner = this.vars.length;
      try {
        this.walk(node.list, elem);
      } catch (signal) {
        if (signal instanceof BreakSignal) return false;
        if (!(signal instanceof ContinueSignal)) throw signal;
      } finally {
        this.vars.length = inner;
      }
      return true;
    };
    let ran = false;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        ran = true;
        if (!iterate(i, value[i] ?? null)) break;
      }
    } else if (isGoMap(value)) {
      for (const key of Object.keys(value).sort(compareGoStrings)) {
        ran = true;
        if (!iterate(key, value[key] ?? null)) break;
      }
    } else if (typeof value === "number" && Number.isInteger(value)) {
      if (decl.length > 1) throw new ExecError(node.pos, `can't use ${value} to iterate over more than one variable`);
      for (let i = 0; i < value; i++) {
        ran = true;
        if (!iterate(i, i)) break;
      }
    } else if (value !== null) {
      throw new ExecError(node.pos, `range can't iterate over ${formatGoValue(value)}`);
    }
    if (!ran && node.elseList) this.walk(node.elseList, dot);
    this.vars.length = mark;
  }

  private setVar(name: string, value: GoValue): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i];
      if (v && v.name === name) {
        v.value = value;
        return;
      }
    }
  }

  private lookupVar(pos: number, name: string): GoValue {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i];
      if (v && v.name === name) return v.value;
    }
    throw new ExecError(pos, `undefined variable: ${name}`);
  }

  private evalPipeline(dot: GoValue, pipe: Pipeline): GoValue {
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    const result = value === MISSING ? null : value;
    for (const name of pipe.decl) {
      if (pipe.isAssign) this.setVar(name, result);
      else this.vars.push({ name, value: result });
    }
    return result;
  }

  private evalCommand(dot: GoValue, cmd: Command, final: Final): GoValue {
    const first = cmd.args[0];
    if (!first) throw new ExecError(cmd.pos, "empty command");
    this.step(cmd.pos);
    switch (first.kind) {
      case "field":
        return this.evalFieldChain(first, dot, first.idents, cmd.args, final, "dot");
      case "chain": {
        if (first.node.kind === "nil") throw new ExecError(first.pos, "indirection through explicit nil");
        const receiver = this.evalArg(dot, first.node);
        return this.evalFieldChain(first, receiver, first.idents, cmd.args, final, "interface");
      }
      case "variable": {
        const value = this.lookupVar(first.pos, first.name);
        if (first.idents.length === 0) {
          this.notAFunction(first, cmd.args, final);
          return value;
        }
        return this.evalFieldChain(first, value, first.idents, cmd.args, final, "variable");
      }
      case "identifier":
        return this.evalFunction(dot, first, cmd.args, final);
      case "pipe":
        this.notAFunction(first, cmd.args, final);
        return this.evalPipeline(dot, first.pipe);
      case "nil":
        throw new ExecError(first.pos, "nil is not a command");
      case "dot":
        this.notAFunction(first, cmd.args, final);
        return dot;
      default:
        this.notAFunction(first, cmd.args, final);
        return this.constant(first);
    }
  }

  private constant(node: Operand): GoValue {
    switch (node.kind) {
      case "dot":
        return null;
      case "bool":
        return node.value;
      case "string":
        return node.value;
      case "number":
        return node.float ? new GoFloat(node.value) : node.value;
      default:
        return null;
    }
  }

  private notAFunction(node: Operand, args: Operand[], final: Final): void {
    if (args.length > 1 || final !== MISSING) throw new ExecError(node.pos, `can't give argument to non-function ${nodeString(node)}`);
  }

  private evalArg(dot: GoValue, node: Operand): GoValue {
    this.step(node.pos);
    switch (node.kind) {
      case "dot":
        return dot;
      case "nil":
        return null;
      case "field":
        return this.evalFieldChain(node, dot, node.idents, [node], MISSING, "dot");
      case "variable": {
        const value = this.lookupVar(node.pos, node.name);
        if (node.idents.length === 0) return value;
        return this.evalFieldChain(node, value, node.idents, [node], MISSING, "variable");
      }
      case "pipe":
        return this.evalPipeline(dot, node.pipe);
      case "identifier":
        return this.evalFunction(dot, node, [node], MISSING);
      case "chain": {
        if (node.node.kind === "nil") throw new ExecError(node.pos, "indirection through explicit nil");
        const receiver = this.evalArg(dot, node.node);
        return this.evalFieldChain(node, receiver, node.idents, [node], MISSING, "interface");
      }
      default:
        return this.constant(node);
    }
  }

  private evalFieldChain(
    node: Operand,
    receiver: GoValue,
    idents: string[],
    args: Operand[],
    final: Final,
    origin: "dot" | "variable" | "interface",
  ): GoValue {
    let current = receiver;
    try {
      for (let i = 0; i < idents.length; i++) {
        const last = i === idents.length - 1;
        current = this.evalField(node.pos, idents[i] ?? "", last ? args : [], last ? final : MISSING, current, i === 0 ? origin : "interface");
      }
    } catch (error) {
      if (error instanceof ExecError) throw new ExecError(error.pos, `at <${nodeString(node)}>: ${error.message}`);
      throw error;
    }
    return current;
  }

  private evalField(pos: number, field: string, args: Operand[], final: Final, receiver: GoValue, origin: string): GoValue {
    if (receiver === null) {
      if (origin === "interface") throw new ExecError(pos, `nil pointer evaluating interface {}.${field}`);
      if (this.options.missingKey === "error") throw new ExecError(pos, `nil data; no entry for key "${field}"`);
      return null;
    }
    if (isGoMap(receiver)) {
      if (args.length > 1 || final !== MISSING) throw new ExecError(pos, `${field} is not a method but has arguments`);
      if (Object.prototype.hasOwnProperty.call(receiver, field)) return receiver[field] ?? null;
      if (this.options.missingKey === "error") throw new ExecError(pos, `map has no entry for key "${field}"`);
      return null;
    }
    throw new ExecError(pos, `can't evaluate field ${field} in type ${goTypeName(receiver)}`);
  }

  private evalFunction(dot: GoValue, node: Extract<Operand, { kind: "identifier" }>, args: Operand[], final: Final): GoValue {
    const name = node.name;
    const rest = args.slice(1);
    if (name === "and" || name === "or") {
      if (rest.length === 0 && final === MISSING) throw new ExecError(node.pos, `wrong number of args for ${name}: want at least 1 got 0`);
      let value: GoValue = null;
      for (const arg of rest) {
        value = this.evalArg(dot, arg);
        if (truth(value) === (name === "or")) return value;
      }
      return final !== MISSING ? final : value;
    }
    const fn = this.bound?.get(name) ?? this.options.functions.get(name);
    if (!fn) throw new ExecError(node.pos, `"${name}" is not a defined function`);
    const argv = rest.map((arg) => this.evalArg(dot, arg));
    if (final !== MISSING) argv.push(final);
    try {
      return fn(argv);
    } catch (error) {
      if (error instanceof ExecError || error instanceof BreakSignal || error instanceof ContinueSignal) throw error;
      const at = `at <${[name, ...rest.map(nodeString)].join(" ")}>`;
      if (error instanceof UnsupportedFunctionError) throw new ExecError(node.pos, `${at}: ${error.message}`, true);
      if (error instanceof ArgumentError) throw new ExecError(node.pos, `${at}: ${error.message}`);
      if (error instanceof FunctionError) throw new ExecError(node.pos, `${at}: error calling ${name}: ${error.message}`);
      throw error;
    }
  }
}

function printValue(value: GoValue): string {
  return value === null ? "<no value>" : formatGoValue(value);
}

function nodeString(node: Operand): string {
  switch (node.kind) {
    case "field":
      return node.idents.map((i) => `.${i}`).join("");
    case "variable":
      return [node.name, ...node.idents].join(".");
    case "identifier":
      return node.name;
    case "chain":
      return `${nodeString(node.node)}${node.idents.map((i) => `.${i}`).join("")}`;
    case "dot":
      return ".";
    case "nil":
      return "nil";
    case "bool":
      return String(node.value);
    case "number":
      return node.text;
    case "string":
      return JSON.stringify(node.value);
    case "pipe":
      return "(...)";
  }
}
