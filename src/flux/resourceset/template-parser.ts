// The parse tree of a Go text/template and the parser that builds it, following Go's grammar: actions are
// pipelines of commands separated by "|", a command is operands separated by spaces, an operand is a term
// with an optional chain of fields; control structures if / else if / else, range (with "$i, $v :=" and
// else), with / else with, break and continue, and comments. Functions and variables are checked at parse
// time as Go does ("function "x" not defined", "undefined variable").

import { lex, type Delimiters, type Token } from "./template-lexer.js";
import { TemplateError, UnsupportedTemplateError } from "./template-error.js";

export type Operand =
  | { kind: "field"; pos: number; idents: string[] }
  | { kind: "variable"; pos: number; name: string; idents: string[] }
  | { kind: "identifier"; pos: number; name: string }
  | { kind: "chain"; pos: number; node: Operand; idents: string[] }
  | { kind: "dot"; pos: number }
  | { kind: "nil"; pos: number }
  | { kind: "bool"; pos: number; value: boolean }
  | { kind: "number"; pos: number; text: string; value: number; float: boolean }
  | { kind: "string"; pos: number; value: string }
  | { kind: "pipe"; pos: number; pipe: Pipeline };

export interface Command {
  pos: number;
  args: Operand[];
}

export interface Pipeline {
  pos: number;
  isAssign: boolean;
  decl: string[];
  cmds: Command[];
}

export type TemplateNode =
  | { kind: "text"; text: string }
  | { kind: "action"; pos: number; pipe: Pipeline }
  | { kind: "if" | "with"; pos: number; pipe: Pipeline; list: TemplateNode[]; elseList?: TemplateNode[] }
  | { kind: "range"; pos: number; pipe: Pipeline; list: TemplateNode[]; elseList?: TemplateNode[] }
  | { kind: "break" | "continue"; pos: number };

interface ParseOptions {
  delims: Delimiters;
  /** Function names the template may call. */
  isFunction: (name: string) => boolean;
  /** Function names that exist for the Flux Operator but that this implementation does not evaluate. */
  isUnsupportedFunction: (name: string) => boolean;
}

const MAX_DEPTH = 1000;

export function parseTemplate(name: string, input: string, options: ParseOptions): TemplateNode[] {
  return new Parser(name, input, lex(name, input, options.delims), options).parseRoot();
}

class Parser {
  private index = 0;
  private vars: string[] = ["$"];
  private rangeDepth = 0;
  private depth = 0;

  constructor(
    private readonly name: string,
    private readonly input: string,
    private readonly tokens: Token[],
    private readonly options: ParseOptions,
  ) {}

  private fail(pos: number, message: string): never {
    throw TemplateError.at(this.name, this.input, pos, message);
  }

  private peek(): Token {
    return this.tokens[this.index] ?? { type: "eof", value: "", pos: this.input.length };
  }

  private next(): Token {
    const token = this.peek();
    if (this.index < this.tokens.length) this.index++;
    return token;
  }

  private peekNonSpace(): Token {
    while (this.peek().type === "space") this.index++;
    return this.peek();
  }

  private nextNonSpace(): Token {
    this.peekNonSpace();
    return this.next();
  }

  private expect(type: Token["type"], context: string): Token {
    const token = this.nextNonSpace();
    if (token.type !== type) this.unexpected(token, context);
    return token;
  }

  private unexpected(token: Token, context: string): never {
    if (token.type === "eof") this.fail(token.pos, `unexpected EOF in ${context}`);
    const shown = token.type === "rightDelim" ? token.value : JSON.stringify(token.value);
    this.fail(token.pos, `unexpected ${shown} in ${context}`);
  }

  parseRoot(): TemplateNode[] {
    const { list, end } = this.itemList();
    if (end !== "eof") this.fail(end.pos, `unexpected {{${end.word}}}`);
    return list;
  }

  /** Items up to {{end}}, {{else}} or EOF; returns which one stopped the list. */
  private itemList(): { list: TemplateNode[]; end: "eof" | { word: "end" | "else"; pos: number } } {
    const list: TemplateNode[] = [];
    for (;;) {
      const token = this.next();
      if (token.type === "eof") return { list, end: "eof" };
      if (token.type === "text") {
        list.push({ kind: "text", text: token.value });
        continue;
      }
      if (token.type === "comment") continue;
      if (token.type !== "leftDelim") this.unexpected(token, "input");
      const first = this.peekNonSpace();
      if (first.type === "keyword") {
        this.next();
        switch (first.value) {
          case "end":
            this.expect("rightDelim", "end");
            return { list, end: { word: "end", pos: first.pos } };
          case "else":
            return { list, end: { word: "else", pos: first.pos } };
          case "if":
          case "with":
          case "range":
            list.push(this.control(first.value, first.pos));
            continue;
          case "break":
          case "continue":
            if (this.rangeDepth === 0) this.fail(first.pos, `{{${first.value}}} outside {{range}}`);
            this.expect("rightDelim", first.value);
            list.push({ kind: first.value, pos: first.pos });
            continue;
          default:
            throw UnsupportedTemplateError.at(this.name, this.input, first.pos, `the {{${first.value}}} action is not supported offline`);
        }
      }
      const pipe = this.pipeline("command", "rightDelim");
      list.push({ kind: "action", pos: first.pos, pipe });
    }
  }

  /** if / with / range, after the keyword; "else if" and "else with" nest and share the one {{end}}. */
  private control(kind: "if" | "with" | "range", pos: number): TemplateNode {
    if (this.depth + 1 > MAX_DEPTH) this.fail(pos, `max nesting depth ${MAX_DEPTH} exceeded`);
    this.depth++;
    try {
      return this.controlBody(kind, pos);
    } finally {
      this.depth--;
    }
  }

  private controlBody(kind: "if" | "with" | "range", pos: number): TemplateNode {
    const mark = this.vars.length;
    const pipe = this.pipeline(kind, "rightDelim");
    if (kind === "range") this.rangeDepth++;
    const body = this.itemList();
    if (kind === "range") this.rangeDepth--;
    let elseList: TemplateNode[] | undefined;
    if (body.end === "eof") this.fail(this.input.length, `unexpected EOF`);
    if (body.end.word === "else") {
      const after = this.peekNonSpace();
      if (after.type === "keyword" && (after.value === "if" || after.value === "with")) {
        // {{else if ...}} / {{else with ...}} read as {{else}}{{if ...}}: the inner {{end}} closes both.
        this.next();
        elseList = [this.control(after.value, after.pos)];
      } else {
        this.expect("rightDelim", "else");
        const rest = this.itemList();
        if (rest.end === "eof") this.fail(this.input.length, `unexpected EOF`);
        if (rest.end.word !== "end") this.fail(rest.end.pos, `expected end; found {{else}}`);
        elseList = rest.list;
      }
    }
    this.vars.length = mark;
    return { kind, pos, pipe, list: body.list, elseList };
  }

  private pipeline(context: string, end: "rightDelim" | "rightParen"): Pipeline {
    const start = this.peekNonSpace();
    // Bounded nesting, as Go's parser bounds it: deep input is an error, never a stack overflow.
    if (++this.depth > MAX_DEPTH) this.fail(start.pos, `max nesting depth ${MAX_DEPTH} exceeded`);
    try {
      return this.pipelineBody(context, end, start);
    } finally {
      this.depth--;
    }
  }

  private pipelineBody(context: string, end: "rightDelim" | "rightParen", start: Token): Pipeline {
    const pipe: Pipeline = { pos: start.pos, isAssign: false, decl: [], cmds: [] };
    // Declarations: "$x :=", "$x =", and in range "$i, $v :=".
    if (start.type === "variable") {
      const save = this.index;
      this.next();
      const after = this.peekNonSpace();
      if (after.type === "declare" || after.type === "assign") {
        this.next();
        pipe.isAssign = after.type === "assign";
        if (pipe.isAssign && !this.vars.includes(start.value)) this.fail(start.pos, `undefined variable "${start.value}"`);
        pipe.decl.push(start.value);
      } else if (after.type === "comma" && context === "range") {
        this.next();
        const second = this.expect("variable", "range");
        const op = this.nextNonSpace();
        if (op.type !== "declare" && op.type !== "assign") this.unexpected(op, "range");
        pipe.isAssign = op.type === "assign";
        pipe.decl.push(start.value, second.value);
      } else if (after.type === "comma") {
        this.fail(after.pos, `too many declarations in ${context}`);
      } else {
        this.index = save;
      }
    }
    for (;;) {
      const token = this.peekNonSpace();
      if (token.type === end) {
        this.next();
        if (pipe.cmds.length === 0) this.fail(token.pos, `missing value for ${context}`);
        break;
      }
      if (pipe.cmds.length > 0) {
        if (token.type !== "pipe") this.unexpected(token, context);
        this.next();
      }
      pipe.cmds.push(this.command(context));
    }
    // Declared variables become visible after the pipeline.
    for (const v of pipe.decl) if (!pipe.isAssign) this.vars.push(v);
    return pipe;
  }

  private command(context: string): Command {
    const start = this.peekNonSpace();
    const cmd: Command = { pos: start.pos, args: [] };
    for (;;) {
      const token = this.peekNonSpace();
      if (token.type === "pipe" || token.type === "rightDelim" || token.type === "rightParen" || token.type === "eof") break;
      if (cmd.args.length > 0 && this.tokens[this.index - 1]?.type !== "space") this.unexpected(token, "operand");
      cmd.args.push(this.operand(context));
    }
    if (cmd.args.length === 0) this.fail(start.pos, "empty command");
    return cmd;
  }

  private operand(context: string): Operand {
    const term = this.term(context);
    if (this.peek().type !== "field") return term;
    const idents: string[] = [];
    while (this.peek().type === "field") idents.push(this.next().value.slice(1));
    switch (term.kind) {
      case "field":
        return { ...term, idents: [...term.idents, ...idents] };
      case "variable":
        return { ...term, idents: [...term.idents, ...idents] };
      case "bool":
      case "string":
      case "number":
      case "nil":
      case "dot":
        this.fail(term.pos, `unexpected . after term`);
      // falls through: fail never returns
      default:
        return { kind: "chain", pos: term.pos, node: term, idents };
    }
  }

  private term(context: string): Operand {
    const token = this.nextNonSpace();
    switch (token.type) {
      case "identifier":
        if (!this.options.isFunction(token.value)) {
          if (this.options.isUnsupportedFunction(token.value)) {
            throw UnsupportedTemplateError.at(this.name, this.input, token.pos, `function "${token.value}" is not implemented offline`);
          }
          this.fail(token.pos, `function "${token.value}" not defined`);
        }
        return { kind: "identifier", pos: token.pos, name: token.value };
      case "dot":
        return { kind: "dot", pos: token.pos };
      case "nil":
        return { kind: "nil", pos: token.pos };
      case "bool":
        return { kind: "bool", pos: token.pos, value: token.value === "true" };
      case "variable": {
        const [name = "$", ...rest] = token.value.split(".");
        if (!this.vars.includes(name)) this.fail(token.pos, `undefined variable "${name}"`);
        return { kind: "variable", pos: token.pos, name, idents: rest };
      }
      case "field":
        return { kind: "field", pos: token.pos, idents: [token.value.slice(1)] };
      case "number":
        return this.number(token);
      case "char":
        return { kind: "number", pos: token.pos, text: token.value, value: unquoteChar(this, token), float: false };
      case "string":
        return { kind: "string", pos: token.pos, value: unquoteString(this, token) };
      case "rawString":
        return { kind: "string", pos: token.pos, value: token.value.slice(1, -1).replace(/\r/g, "") };
      case "leftParen": {
        const pipe = this.pipeline("parenthesized pipeline", "rightParen");
        return { kind: "pipe", pos: token.pos, pipe };
      }
      default:
        this.unexpected(token, context);
    }
  }

  private number(token: Token): Operand {
    const text = token.value;
    if (text.endsWith("i")) throw UnsupportedTemplateError.at(this.name, this.input, token.pos, "complex numbers are not supported");
    const clean = text.replace(/_/g, "");
    const hex = /^[+-]?0[xX]/.test(clean);
    const float = hex ? /[.pP]/.test(clean) : /[.eE]/.test(clean);
    let value: number;
    if (!float) {
      const negative = clean.startsWith("-");
      const body = clean.replace(/^[+-]/, "");
      const lower = body.toLowerCase();
      value = lower.startsWith("0x")
        ? parseInt(lower.slice(2), 16)
        : lower.startsWith("0o")
          ? parseInt(lower.slice(2), 8)
          : lower.startsWith("0b")
            ? parseInt(lower.slice(2), 2)
            : /^0[0-7]+$/.test(lower)
              ? parseInt(lower, 8)
              : Number(lower);
      if (negative) value = -value;
    } else {
      value = Number(clean);
    }
    if (Number.isNaN(value)) this.fail(token.pos, `illegal number syntax: ${JSON.stringify(text)}`);
    return { kind: "number", pos: token.pos, text, value, float };
  }

  failAt(token: Token, message: string): never {
    this.fail(token.pos, message);
  }
}

const SIMPLE_ESCAPES: Record<string, string> = { a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\", "'": "'", '"': '"' };

function unquoteBody(parser: Parser, token: Token, body: string, quote: string): string {
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] ?? "";
    if (ch !== "\\") {
      out += ch;
      continue;
    }
    const e = body[++i] ?? "";
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined && (e !== "'" || quote === "'") && (e !== '"' || quote === '"')) {
      out += simple;
    } else if (e === "x" || e === "u" || e === "U") {
      const len = e === "x" ? 2 : e === "u" ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) parser.failAt(token, `invalid syntax: ${token.value}`);
      out += e === "x" ? String.fromCharCode(parseInt(hex, 16)) : String.fromCodePoint(parseInt(hex, 16));
      i += len;
    } else if (/[0-7]/.test(e)) {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct)) parser.failAt(token, `invalid syntax: ${token.value}`);
      out += String.fromCharCode(parseInt(oct, 8));
      i += 2;
    } else {
      parser.failAt(token, `invalid syntax: ${token.value}`);
    }
  }
  return out;
}

function unquoteString(parser: Parser, token: Token): string {
  return unquoteBody(parser, token, token.value.slice(1, -1), '"');
}

function unquoteChar(parser: Parser, token: Token): number {
  const text = unquoteBody(parser, token, token.value.slice(1, -1), "'");
  const chars = [...text];
  if (chars.length !== 1) parser.failAt(token, `malformed character constant: ${token.value}`);
  return chars[0]?.codePointAt(0) ?? 0;
}
