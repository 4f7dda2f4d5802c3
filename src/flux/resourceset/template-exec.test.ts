// Go text/template semantics, case by case, as Go's documentation and implementation define them: trim
// markers, range order over maps, missing keys in both modes, truthiness, variables and their scope, fmt's
// printf, the comparison built-ins, and the slim-sprig functions ResourceSets use.

import { describe, expect, it } from "vitest";
import { GoTemplate } from "./template-exec.js";
import { TemplateError, UnsupportedTemplateError } from "./template-error.js";
import { RESOURCESET_FUNCTIONS, UNSUPPORTED_FUNCTIONS } from "./template-functions.js";
import { toGoValue } from "./go-values.js";

function render(source: string, data: unknown = null, options: { missingKey?: "default" | "error"; angle?: boolean } = {}): string {
  const template = new GoTemplate("t", source, {
    delims: options.angle ? { left: "<<", right: ">>" } : { left: "{{", right: "}}" },
    functions: RESOURCESET_FUNCTIONS,
    unsupported: UNSUPPORTED_FUNCTIONS,
    missingKey: options.missingKey ?? "default",
  });
  return template.execute(toGoValue(data));
}

function failure(source: string, data: unknown = null, options: { missingKey?: "default" | "error" } = {}): string {
  try {
    render(source, data, options);
  } catch (error) {
    expect(error).toBeInstanceOf(TemplateError);
    const message = (error as Error).message;
    expect(message).not.toContain("\n");
    return message;
  }
  throw new Error(`expected ${JSON.stringify(source)} to fail`);
}

describe("delimiters and whitespace trimming", () => {
  it("trims all whitespace on the marked side, as in Go's documentation example", () => {
    expect(render("{{23 -}} < {{- 45}}")).toBe("23<45");
  });
  it("works with << >> delimiters, across newlines", () => {
    expect(render("a \n\t <<- \"x\" ->> \n b", null, { angle: true })).toBe("axb");
    expect(render("<<- range $x := .l >>\n- << $x >><<- end >>", { l: [1, 2] }, { angle: true })).toBe("\n- 1\n- 2");
  });
  it("needs a space after the dash: <<-3>> is the number -3", () => {
    expect(render("x <<-3>>", null, { angle: true })).toBe("x -3");
  });
  it("leaves {{ }} as text when the delimiters are << >>", () => {
    expect(render("{{ .x }} << 1 >>", null, { angle: true })).toBe("{{ .x }} 1");
  });
  it("drops comments, trimming around them", () => {
    expect(render("a{{/* c */}}b")).toBe("ab");
    expect(render("a {{- /* c */ -}} b")).toBe("ab");
  });
});

describe("fields, variables and missing keys", () => {
  const data = { a: { b: "deep" }, n: null, list: [{ name: "first" }] };
  it("reads fields and chained fields", () => {
    expect(render("{{.a.b}} {{$.a.b}} {{$x := .a}}{{$x.b}}", data)).toBe("deep deep deep");
  });
  it("prints <no value> for a missing key and for nil by default", () => {
    expect(render("{{.missing}}|{{.n}}", data)).toBe("<no value>|<no value>");
  });
  it("fails on a missing key with missingkey=error, naming the key and position", () => {
    expect(failure("line1\n  {{ .a.missing }}", data, { missingKey: "error" })).toMatch(
      /^template: t:2:5: executing "t" at <\.a\.missing>: map has no entry for key "missing"$/,
    );
  });
  it("fails on a field of nil even in the default mode", () => {
    expect(failure("{{.missing.b}}", data)).toContain("nil pointer evaluating interface {}.b");
  });
  it("fails on a field of a non-map", () => {
    expect(failure("{{.a.b.c}}", data)).toContain("can't evaluate field c in type string");
  });
  it("scopes := to the enclosing block and lets = assign outward", () => {
    expect(render("{{$x := 1}}{{if true}}{{$x = 2}}{{$y := 3}}{{end}}{{$x}}")).toBe("2");
    expect(failure("{{if true}}{{$y := 3}}{{end}}{{$y}}")).toContain('undefined variable "$y"');
  });
  it("chains fields on a parenthesized pipeline", () => {
    expect(render("{{(index .list 0).name}}", data)).toBe("first");
  });
});

describe("truthiness and control structures", () => {
  const cases: Array<[unknown, boolean]> = [
    [0, false], [1, true], ["", false], ["0", true], [[], false], [[0], true], [{}, false], [{ a: 1 }, true], [null, false], [false, false],
  ];
  for (const [value, expected] of cases) {
    it(`if ${JSON.stringify(value)} is ${expected}`, () => {
      expect(render("{{if .v}}t{{else}}f{{end}}", { v: value })).toBe(expected ? "t" : "f");
    });
  }
  it("if 0.0 is false", () => expect(render("{{if 0.0}}t{{else}}f{{end}}")).toBe("f"));
  it("else if chains share one end", () => {
    const t = "{{if eq .n 1}}one{{else if eq .n 2}}two{{else}}many{{end}}";
    expect([1, 2, 3].map((n) => render(t, { n }))).toEqual(["one", "two", "many"]);
  });
  it("else if and else with work after range and with too", () => {
    expect(render("{{range .l}}x{{else if .y}}y{{else}}z{{end}}", { l: [], y: true })).toBe("y");
    expect(render("{{with .a}}a{{else with .b}}{{.}}{{end}}", { b: "B" })).toBe("B");
  });
  it("with sets dot and has an else", () => {
    expect(render("{{with .x}}{{.}}{{else}}none{{end}}", { x: "v" })).toBe("v");
    expect(render("{{with .x}}{{.}}{{else}}none{{end}}", {})).toBe("none");
  });
  it("ranges over maps in sorted key order", () => {
    expect(render("{{range $k, $v := .}}{{$k}}={{$v}};{{end}}", { b: 2, c: 3, a: 1, B: 0 })).toBe("B=0;a=1;b=2;c=3;");
  });
  it("ranges over lists with index and value, with else for an empty list", () => {
    expect(render("{{range $i, $v := .l}}{{$i}}:{{$v}} {{end}}", { l: ["a", "b"] })).toBe("0:a 1:b ");
    expect(render("{{range .l}}x{{else}}empty{{end}}", { l: [] })).toBe("empty");
    expect(render("{{range .missing}}x{{else}}empty{{end}}", {})).toBe("empty");
  });
  it("ranges over an integer", () => {
    expect(render("{{range 3}}{{.}}{{end}}")).toBe("012");
  });
  it("supports break and continue", () => {
    const t = "{{range $v := .l}}{{if eq $v 2}}{{continue}}{{end}}{{if eq $v 4}}{{break}}{{end}}{{$v}}{{end}}";
    expect(render(t, { l: [1, 2, 3, 4, 5] })).toBe("13");
  });
  it("refuses to range over a string", () => {
    expect(failure("{{range .s}}{{end}}", { s: "abc" })).toContain("range can't iterate over abc");
  });
});

describe("built-in functions", () => {
  it("and/or return an operand and stop early", () => {
    expect(render('{{and 0 (fail "never")}}')).toBe("0");
    expect(render('{{or "" "b"}}|{{or 0 ""}}|{{and 1 "x"}}')).toBe("b||x");
  });
  it("eq compares basic values, ne/lt/le/gt/ge order them", () => {
    expect(render('{{eq .n 1 2 3}} {{ne "a" "b"}} {{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}', { n: 3 })).toBe("true true true true true false");
    expect(failure('{{eq 1 "1"}}')).toContain("incompatible types for comparison");
    expect(failure("{{lt 1 1.5}}")).toContain("incompatible types for comparison");
  });
  it("len counts bytes of a string, items of lists and maps", () => {
    expect(render('{{len "héllo"}} {{len .l}} {{len .m}}', { l: [1, 2], m: { a: 1 } })).toBe("6 2 1");
  });
  it("index reads lists and maps (missing map keys are nil)", () => {
    expect(render('{{index .l 1}} {{index .m "a"}} {{index .m "zz"}}', { l: ["x", "y"], m: { a: "A" } })).toBe("y A <no value>");
    expect(failure("{{index .l 5}}", { l: [1] })).toContain("index out of range: 5");
  });
  it("print adds spaces between non-string operands only, println always", () => {
    expect(render('{{print 1 2 "a" 3}}|{{println 1 "a"}}')).toBe("1 2a3|1 a\n");
  });
  it("pipes the previous result as the last argument", () => {
    expect(render('{{"abc" | upper | printf "%s!"}}')).toBe("ABC!");
  });
  it("prints literals as Go does", () => {
    expect(render("{{1.0}} {{1e3}} {{1.5}} {{1e6}} {{0x10}} {{'a'}} {{`a\\nb`}}")).toBe("1 1000 1.5 1e+06 16 97 a\\nb");
  });
  it("prints maps and lists with %v", () => {
    expect(render("{{.}}", { b: [1, "x"], a: true })).toBe("map[a:true b:[1 x]]");
  });
});

describe("printf", () => {
  const cases: Array<[string, string]> = [
    ['{{printf "%s-%d-%v-%q" "a" 3 true "x\\"y"}}', 'a-3-true-"x\\"y"'],
    ['{{printf "%05d|%-4s|%x|%X|%o|%b" 42 "ab" 255 255 8 5}}', "00042|ab  |ff|FF|10|101"],
    ['{{printf "%.2f|%e|%g|%v" 3.14159 1234.5 0.000012 2.5}}', "3.14|1.234500e+03|1.2e-05|2.5"],
    ['{{printf "%d" "x"}}', "%!d(string=x)"],
    ['{{printf "%s"}}', "%!s(MISSING)"],
    ['{{printf "%d" 1 2}}', "1%!(EXTRA int=2)"],
    ['{{printf "%v|%s" .missing .l}}', "<nil>|[a b]"],
    ['{{printf "%q" "tab\\there\\n"}}', '"tab\\there\\n"'],
    ['{{printf "100%%"}}', "100%"],
    ['{{printf "%t %8.3f|%+d" true 3.14159 5}}', "true    3.142|+5"],
  ];
  for (const [source, expected] of cases) {
    it(source, () => expect(render(source, { l: ["a", "b"] })).toBe(expected));
  }
});

describe("slim-sprig and Flux Operator functions", () => {
  const data = { s: "Hello World", n: "3", e: "", list: ["a", "b"], m: { k: "v", z: 1 }, nested: { a: { b: [1, "y", { c: "" }] } } };
  const cases: Array<[string, string]> = [
    ['{{.e | default "d"}} {{.s | default "d"}} {{.missing | default "d"}}', "d Hello World d"],
    ["{{empty .e}} {{empty .list}} {{empty 0}} {{empty .m}}", "true false true false"],
    ['{{coalesce .e .missing "c"}}', "c"],
    ["{{.s | quote}} {{quote .missing}}|{{.s | squote}}", '"Hello World" |\'Hello World\''],
    ['{{.s | lower}} {{.s | upper}} {{"hello world" | title}}', "hello world HELLO WORLD Hello World"],
    ['{{replace " " "-" .s}} {{trimPrefix "He" .s}} {{trimSuffix "ld" .s}} {{"  x  " | trim}}', "Hello-World llo World Hello Wor x"],
    ['{{hasPrefix "He" .s}} {{hasSuffix "x" .s}} {{contains "lo W" .s}}', "true false true"],
    ['{{(split "." "a.b.c")._1}} {{join "," .list}} {{splitList "." "x.y" | len}}', "b a,b 2"],
    ['{{.n | int}} {{"abc" | int}} {{"7" | atoi}} {{add 1 2 .n}} {{sub 5 2}} {{toString 12}}', "3 0 7 6 3 12"],
    ['{{ternary "yes" "no" true}} {{ternary "yes" "no" false}}', "yes no"],
    ['{{$d := dict "b" 2 "a" 1}}{{get $d "a"}}{{get $d "zz"}} {{hasKey $d "b"}} {{keys $d | join ","}} {{list 1 "x" | len}}', "1 true a,b 2"],
    ['{{"hi" | b64enc}} {{"aGk=" | b64dec}} {{"hi" | sha256sum | trunc 8}}', "aGk= hi 8f434346"],
    ['{{toJson (dict "a" "<x>&" "b" (list 1 2))}}', '{"a":"\\u003cx\\u003e\\u0026","b":[1,2]}'],
    ['{{">=1.0.0-rc.0" | slugify}} {{"Ünïcode & Friends!" | slugify}}', "1-0-0-rc-0 unicode-and-friends"],
    ['{{"x" | indent 2}}|{{"a\\nb" | nindent 4}}', "  x|\n    a\n    b"],
  ];
  for (const [source, expected] of cases) {
    it(source, () => expect(render(source, data)).toBe(expected));
  }
  it("toYaml writes go-yaml's layout: sorted keys, flush sequences, quoted non-strings, literal blocks", () => {
    const out = render("{{toYaml .}}", { b: [1, { x: "y", w: "yes" }], a: "multi\nline", c: "", d: "012", e: "*" });
    expect(out).toBe("a: |-\n  multi\n  line\nb:\n- 1\n- w: \"yes\"\n  x: \"y\"\nc: \"\"\nd: \"012\"\ne: '*'\n");
  });
  it("fail stops the template with its message", () => {
    expect(failure('{{fail "no tenant"}}')).toContain("error calling fail: no tenant");
  });
  it("checks argument types as Go does", () => {
    expect(failure("{{lower 1}}")).toContain("wrong type for value; expected string; got int");
    expect(failure('{{ternary 1 2 "x"}}')).toContain("expected bool");
  });
});

describe("template errors", () => {
  it("names an unknown function at parse time", () => {
    expect(failure("{{ nosuch 1 }}")).toMatch(/^template: t:1:3: function "nosuch" not defined$/);
  });
  it("marks a slim-sprig function that is not implemented as unsupported", () => {
    expect(() => render("{{ seq 1 3 }}")).toThrow(UnsupportedTemplateError);
  });
  it("reports unclosed actions and stray ends in one line", () => {
    expect(failure("a {{ .x ")).toContain("unclosed action");
    expect(failure("{{end}}")).toContain("unexpected {{end}}");
    expect(failure("{{if true}}x")).toContain("unexpected EOF");
  });
  it("bounds nesting", () => {
    expect(failure(`{{${"(".repeat(5000)}1${")".repeat(5000)}}}`)).toContain("max nesting depth 1000 exceeded");
  });
  it("bounds the output", () => {
    const template = new GoTemplate("t", "{{range 100000}}xxxxxxxxxx{{end}}", { functions: RESOURCESET_FUNCTIONS, maxOutputBytes: 1000 });
    expect(() => template.execute(null)).toThrow(/output exceeds 1000 bytes/);
  });
});
