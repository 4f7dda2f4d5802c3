// Tokens of a Go text/template, following Go's lexer: configurable delimiters, "- " trim markers on either
// side (trimming all ASCII whitespace of the neighbouring text), /* comments */, and inside an action the
// spaces, fields, variables, literals and punctuation the parser needs. Newlines are allowed inside actions.

import { TemplateError } from "./template-error.js";

type TokenType =
  | "text"
  | "leftDelim"
  | "rightDelim"
  | "space"
  | "field"
  | "variable"
  | "identifier"
  | "keyword"
  | "dot"
  | "string"
  | "rawString"
  | "char"
  | "number"
  | "bool"
  | "nil"
  | "pipe"
  | "declare"
  | "assign"
  | "leftParen"
  | "rightParen"
  | "comma"
  | "comment"
  | "eof";

export interface Token {
  type: TokenType;
  value: string;
  pos: number;
}

const KEYWORDS = new Set(["if", "else", "end", "range", "with", "template", "define", "block", "break", "continue"]);

function isSpace(ch: string | undefined): boolean {
  return ch === " " || ch === "\t" || ch === "\r" || ch === "\n";
}

function isAlnum(ch: string | undefined): boolean {
  return ch !== undefined && /[\p{L}\p{N}_]/u.test(ch);
}

export interface Delimiters {
  left: string;
  right: string;
}

export function lex(name: string, input: string, delims: Delimiters): Token[] {
  const tokens: Token[] = [];
  const { left, right } = delims;
  let pos = 0;
  const fail = (at: number, message: string): never => {
    throw TemplateError.at(name, input, at, message);
  };
  let trimNextText = false;

  while (pos <= input.length) {
    // Text up to the next left delimiter.
    const next = input.indexOf(left, pos);
    const end = next < 0 ? input.length : next;
    let text = input.slice(pos, end);
    if (trimNextText) text = text.replace(/^[ \t\r\n]+/, "");
    trimNextText = false;
    let afterDelim = end + left.length;
    const trimLeft = next >= 0 && input[afterDelim] === "-" && isSpace(input[afterDelim + 1]);
    if (trimLeft) text = text.replace(/[ \t\r\n]+$/, "");
    if (text.length > 0) tokens.push({ type: "text", value: text, pos });
    if (next < 0) break;
    if (trimLeft) afterDelim += 2;

    // A comment action.
    if (input.startsWith("/*", afterDelim)) {
      const close = input.indexOf("*/", afterDelim + 2);
      if (close < 0) fail(next, "unclosed comment");
      let p = close + 2;
      let trimRight = false;
      if (isSpace(input[p]) && input[p + 1] === "-" && input.startsWith(right, p + 2)) {
        trimRight = true;
        p += 2;
      }
      if (!input.startsWith(right, p)) fail(close, "comment ends before closing delimiter");
      tokens.push({ type: "comment", value: input.slice(afterDelim, close + 2), pos: next });
      pos = p + right.length;
      trimNextText = trimRight;
      continue;
    }

    tokens.push({ type: "leftDelim", value: left, pos: next });
    pos = afterDelim;
    let parenDepth = 0;
    // Inside the action.
    for (;;) {
      if (isSpace(input[pos]) && input[pos + 1] === "-" && input.startsWith(right, pos + 2)) {
        if (parenDepth > 0) fail(pos, "unclosed left paren");
        tokens.push({ type: "rightDelim", value: right, pos: pos + 2 });
        pos += 2 + right.length;
        trimNextText = true;
        break;
      }
      if (input.startsWith(right, pos)) {
        if (parenDepth > 0) fail(pos, "unclosed left paren");
        tokens.push({ type: "rightDelim", value: right, pos });
        pos += right.length;
        break;
      }
      const ch = input[pos];
      const start = pos;
      if (ch === undefined) fail(next, "unclosed action");
      if (isSpace(ch)) {
        while (isSpace(input[pos]) && !(input[pos + 1] === "-" && input.startsWith(right, pos + 2))) pos++;
        if (pos === start) pos++;
        tokens.push({ type: "space", value: input.slice(start, pos), pos: start });
        continue;
      }
      if (ch === "=") {
        tokens.push({ type: "assign", value: "=", pos });
        pos++;
        continue;
      }
      if (ch === ":") {
        if (input[pos + 1] !== "=") fail(pos, "expected :=");
        tokens.push({ type: "declare", value: ":=", pos });
        pos += 2;
        continue;
      }
      if (ch === "|") {
        tokens.push({ type: "pipe", value: "|", pos });
        pos++;
        continue;
      }
      if (ch === "(") {
        parenDepth++;
        tokens.push({ type: "leftParen", value: "(", pos });
        pos++;
        continue;
      }
      if (ch === ")") {
        parenDepth--;
        if (parenDepth < 0) fail(pos, "unexpected right paren");
        tokens.push({ type: "rightParen", value: ")", pos });
        pos++;
        continue;
      }
      if (ch === ",") {
        tokens.push({ type: "comma", value: ",", pos });
        pos++;
        continue;
      }
      if (ch === '"') {
        pos++;
        for (;;) {
          const c = input[pos];
          if (c === undefined || c === "\n") fail(start, "unterminated quoted string");
          if (c === "\\") {
            pos += 2;
            continue;
          }
          pos++;
          if (c === '"') break;
        }
        tokens.push({ type: "string", value: input.slice(start, pos), pos: start });
        continue;
      }
      if (ch === "`") {
        const close = input.indexOf("`", pos + 1);
        if (close < 0) fail(start, "unterminated raw quoted string");
        pos = close + 1;
        tokens.push({ type: "rawString", value: input.slice(start, pos), pos: start });
        continue;
      }
      if (ch === "'") {
        pos++;
        for (;;) {
          const c = input[pos];
          if (c === undefined || c === "\n") fail(start, "unterminated character constant");
          if (c === "\\") {
            pos += 2;
            continue;
          }
          pos++;
          if (c === "'") break;
        }
        tokens.push({ type: "char", value: input.slice(start, pos), pos: start });
        continue;
      }
      if (ch === "$") {
        pos++;
        while (isAlnum(input[pos])) pos++;
        tokens.push({ type: "variable", value: input.slice(start, pos), pos: start });
        continue;
      }
      if (ch === "." && !/[0-9]/.test(input[pos + 1] ?? "")) {
        pos++;
        if (!isAlnum(input[pos])) {
          tokens.push({ type: "dot", value: ".", pos: start });
          continue;
        }
        while (isAlnum(input[pos])) pos++;
        tokens.push({ type: "field", value: input.slice(start, pos), pos: start });
        continue;
      }
      if (ch === "+" || ch === "-" || ch === "." || /[0-9]/.test(ch ?? "")) {
        const match = /^[+-]?(0[xX][0-9a-fA-F_]*(\.[0-9a-fA-F_]*)?([pP][+-]?[0-9_]+)?|0[oO][0-7_]+|0[bB][01_]+|[0-9_]*\.?[0-9_]*([eE][+-]?[0-9_]+)?)i?/.exec(
          input.slice(pos),
        );
        const text = match?.[0] ?? "";
        if (text === "" || text === "+" || text === "-" || isAlnum(input[pos + text.length])) {
          fail(pos, `bad number syntax: ${JSON.stringify(input.slice(pos, pos + text.length + 1))}`);
        }
        pos += text.length;
        tokens.push({ type: "number", value: text, pos: start });
        continue;
      }
      if (isAlnum(ch)) {
        while (isAlnum(input[pos])) pos++;
        const word = input.slice(start, pos);
        const type: TokenType = KEYWORDS.has(word)
          ? "keyword"
          : word === "true" || word === "false"
            ? "bool"
            : word === "nil"
              ? "nil"
              : "identifier";
        tokens.push({ type, value: word, pos: start });
        continue;
      }
      fail(pos, `unrecognized character in action: ${JSON.stringify(ch)}`);
    }
  }
  tokens.push({ type: "eof", value: "", pos: input.length });
  return tokens;
}
