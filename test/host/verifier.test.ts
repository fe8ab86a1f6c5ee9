import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MAX_ISSUES, type VerifierIssue, verifyScript } from "../../src/host/verifier.js";
import type { Capability, Decision, ResolvedPolicy } from "../../src/policy/types.js";

/** The verifier reads only `capabilities`, `root` and `home` (decide is faked). */
function policyWith(capabilities: Capability[]): ResolvedPolicy {
  return { root: "/w/proj", home: "/home/u", capabilities } as unknown as ResolvedPolicy;
}

const allow = (): Decision => ({ decision: "allow", reason: "ok", rule: "test", sealed: false });
const READ_AND_GET = policyWith(["fs.read", "net.http_get"]);

function verify(source: string, policy = READ_AND_GET): VerifierIssue[] {
  return verifyScript(source, policy, { decideLiteral: allow });
}

function assertAccepted(source: string, policy = READ_AND_GET): void {
  assert.deepEqual(verify(source, policy), [], source);
}

function assertOneIssue(source: string, pattern: RegExp, policy = READ_AND_GET): VerifierIssue {
  const issues = verify(source, policy);
  assert.equal(issues.length, 1, `${source}\n${JSON.stringify(issues, null, 2)}`);
  assert.match(issues[0]!.message, pattern);
  return issues[0]!;
}

describe("verifier: parsing", () => {
  test("a syntax error is reported with acorn's position as 1-based line and column", () => {
    const issue = assertOneIssue("const a = 1;\nlet x = ;", /^syntax error: Unexpected token$/);
    assert.deepEqual([issue.line, issue.column], [2, 9]);
  });

  test("top-level await and export default are accepted", () => {
    assertAccepted(
      'const src = await fs.read("src/app.py");\nexport default { lines: src.split("\\n").length };',
    );
  });

  test("plain JavaScript without builtins is accepted", () => {
    assertAccepted(
      "const xs = [1, 2, 3].map((x) => x * 2);\nclass A { #p = 1; get p() { return this.#p; } }\nexport default xs;",
    );
  });

  test("a module-level return is a syntax error", () => {
    assertOneIssue("return 1;", /^syntax error: 'return' outside of function/);
  });
});

describe("verifier: capabilities the policy never grants", () => {
  test("fs.read, fs.list and fs.exists pass when read is granted", () => {
    assertAccepted('await fs.read("a"); await fs.list("src"); await fs.exists("setup.cfg");');
  });

  test("fs.write is rejected at the member expression, naming the policy key", () => {
    const issue = assertOneIssue(
      'const x = 1;\n  await fs.write("out.txt", "x");',
      /^fs\.write is not granted/,
    );
    assert.deepEqual([issue.line, issue.column], [2, 9]);
    assert.match(issue.message, /write_allow/);
    assert.match(issue.hint ?? "", /operator/);
  });

  test("subprocess.exec is rejected when [subprocess] grants nothing", () => {
    assertOneIssue('await subprocess.exec(["ls"]);', /subprocess\.exec is not granted.*allow_commands/);
  });

  test("net.httpPost is rejected while net.httpGet is granted", () => {
    assertAccepted('await net.httpGet("https://api.github.com/");');
    assertOneIssue(
      'await net.httpPost("https://api.github.com/", "{}");',
      /net\.httpPost is not granted.*http_post_allow/,
    );
  });

  test("snake-case aliases map to the same capabilities", () => {
    assertAccepted('await net.http_get("https://api.github.com/");');
    assertOneIssue('await net.http_delete("https://api.github.com/x");', /net\.http_delete is not granted/);
  });

  test("env.read is rejected when [environment] grants nothing", () => {
    assertOneIssue('await env.read("HOME");', /env\.read is not granted.*allow_vars/);
  });

  test("computed access with a string literal or plain template is caught", () => {
    assertOneIssue('await fs["write"]("a", "b");', /fs\.write is not granted/);
    assertOneIssue('await fs[`delete`]("a");', /fs\.delete is not granted/);
  });

  test("destructuring a builtin out of its namespace is caught", () => {
    const issue = assertOneIssue("const { exec } = subprocess;", /subprocess\.exec is not granted/);
    assert.deepEqual([issue.line, issue.column], [1, 9]);
    assertOneIssue("const { exec: run } = subprocess;", /subprocess\.exec is not granted/);
    assertOneIssue("let w; ({ write: w } = fs);", /fs\.write is not granted/);
    assertAccepted("const { read, list } = fs;");
  });

  test("dynamic access is rejected only on a namespace that grants nothing", () => {
    assertOneIssue(
      "const name = 'exec';\nsubprocess[name]([]);",
      /dynamic access to subprocess.*grants no subprocess capability/,
    );
    assertAccepted("const name = 'read';\nawait fs[name]('a');");
  });

  test("a namespace passed around as a value is rejected when it grants nothing", () => {
    assertOneIssue("const s = subprocess;", /subprocess is used as a value/);
    assertOneIssue("const { ...all } = subprocess;", /\.\.\.rest of subprocess/);
    assertAccepted("const f = fs;");
    assertAccepted("export default typeof subprocess;");
  });

  test("globalThis.subprocess and destructuring from globalThis are caught", () => {
    assertOneIssue('await globalThis.subprocess.exec(["id"]);', /subprocess\.exec is not granted/);
    assertOneIssue('await globalThis["subprocess"]["exec"](["id"]);', /subprocess\.exec is not granted/);
    assertOneIssue("const { subprocess: sp } = globalThis;", /subprocess is taken from globalThis/);
    assertOneIssue("const { subprocess: { exec } } = globalThis;", /subprocess\.exec is not granted/);
  });

  test("a script's own variable named like a namespace is not a builtin", () => {
    assertAccepted("const subprocess = { exec: (a) => a };\nsubprocess.exec(['x']);");
    assertAccepted("function run(subprocess) { return subprocess.exec(['x']); }");
    assertAccepted("for (const env of [{ read: () => 1 }]) env.read('x');");
  });
});

describe("verifier: module loading and host internals", () => {
  test("import declarations, import() and export-from are rejected", () => {
    assertOneIssue('import fs2 from "node:fs";', /import of "node:fs" is not available/);
    assertOneIssue('const m = await import("node:child_process");', /import\(\) is not available/);
    assertOneIssue('export * from "./x.js";', /export \.\.\. from loads a module/);
    assertOneIssue('export { a } from "./x.js";', /export \.\.\. from loads a module/);
    assertAccepted("export const a = 1;\nconst b = 2;\nexport { b };\nexport default a;");
  });

  test("require is rejected wherever it is a free name", () => {
    const issue = assertOneIssue('const cp = require("child_process");', /require does not exist/);
    assert.deepEqual([issue.line, issue.column], [1, 12]);
    assert.match(issue.hint ?? "", /cannot load modules/);
  });

  test("process, Deno, Bun, std, os, WebAssembly and __host* are rejected as free globals", () => {
    for (const src of [
      "process.exit(1);",
      "await Deno.readTextFile('/etc/passwd');",
      "Bun.file('x');",
      "std.loadFile('/etc/passwd');",
      "os.exec(['id']);",
      "WebAssembly.compile(new Uint8Array());",
      "__hostCall('fs.read', 'x');",
      "scriptArgs.length;",
    ]) {
      assertOneIssue(src, /does not exist in aegis scripts \(host internal\)/);
    }
  });

  test("globalThis.process in all its spellings is rejected", () => {
    assertOneIssue("globalThis.process.env;", /process does not exist/);
    assertOneIssue('globalThis["process"].env;', /process does not exist/);
    assertOneIssue("const { process: p } = globalThis;", /process does not exist/);
  });

  test("fetch is rejected with a hint towards net.httpGet", () => {
    const issue = assertOneIssue('await fetch("https://example.com");', /fetch does not exist/);
    assert.match(issue.hint ?? "", /net\.httpGet/);
  });

  test("no false positives on local names, properties, keys, labels and typeof probes", () => {
    assertAccepted(
      [
        "const os = 'linux';",
        "const process = (x) => x;",
        "function f(std) { return std + os.length; }",
        "const { Deno } = { Deno: 1 };",
        "const obj = { process: 1, os: 2, require: 3 };",
        "obj.process + obj.os + obj.require;",
        "class K { os = 1; process() { return this.os; } }",
        "WebAssembly: for (;;) { break WebAssembly; }",
        "try { JSON.parse('x'); } catch (Bun) { Bun.message; }",
        "export default [typeof require, typeof __hostX, process(1), f(2), Deno];",
      ].join("\n"),
    );
  });

  test("a name declared anywhere up the scope chain shadows the global; a sibling scope does not", () => {
    assertAccepted("function outer() { var os = 1; return () => { { return os; } }; }");
    assertOneIssue(
      "function a() { const os = 1; return os; }\nfunction b() { return os.cpus(); }",
      /os does not exist/,
    );
    assertAccepted("if (true) { var process = 1; }\nprocess;");
    assertOneIssue("{ let process = 1; }\nprocess.exit();", /process does not exist/);
  });
});

describe("verifier: positions, ordering and limits", () => {
  test("issues are sorted by position and carry 1-based line and column", () => {
    const issues = verify("\n  process.exit();\nconst cp = require('x');\nawait fs.write('a', 'b');");
    assert.deepEqual(
      issues.map((i) => [i.line, i.column]),
      [
        [2, 3],
        [3, 12],
        [4, 7],
      ],
    );
  });

  test(`more than ${MAX_ISSUES} findings are capped with a summary`, () => {
    const source = Array.from({ length: 120 }, (_, i) => `process.x${i};`).join("\n");
    const issues = verify(source);
    assert.equal(issues.length, MAX_ISSUES);
    assert.match(issues.at(-1)!.message, /^71 more issues not shown$/);
  });

  test("a 1 MB script is verified without crashing, and its last-line issue is found", () => {
    const line = 'const v = (await fs.read("src/file.txt")).length + 1;\n';
    const body = `{\n${line}}\n`.repeat(Math.ceil(1_048_576 / (line.length + 4)));
    assert.ok(body.length >= 1_048_576);
    const started = Date.now();
    assert.deepEqual(verify(body), []);
    const issues = verify(`${body}process.exit();\n`);
    assert.equal(issues.length, 1);
    assert.equal(issues[0]!.line, body.split("\n").length);
    assert.ok(Date.now() - started < 20_000, "verification of 1 MB took too long");
  });

  test("10 000 nested arrays, calls, blocks and functions return an issue instead of overflowing", () => {
    const n = 10_000;
    for (const source of [
      `const x = ${"[".repeat(n)}${"]".repeat(n)};`,
      `const x = ${"f(".repeat(n)}1${")".repeat(n)};`,
      `${"{".repeat(n)}${"}".repeat(n)}`,
      `${"function f() {".repeat(n)}${"}".repeat(n)}`,
      `const x = ${"(".repeat(n)}1${")".repeat(n)};`,
    ]) {
      let issues: VerifierIssue[] = [];
      assert.doesNotThrow(() => {
        issues = verifyScript(source, READ_AND_GET, { decideLiteral: allow });
      });
      assert.ok(Array.isArray(issues));
      for (const issue of issues) assert.equal(typeof issue.message, "string");
    }
  });

  test("moderately deep nesting that parses is walked without a false finding", () => {
    assertAccepted(`const x = ${"[".repeat(500)}${"]".repeat(500)};\nexport default x;`);
  });
});
