import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type VerifierIssue, verifyScript } from "../../src/host/verifier.js";
import type { Decision, ResolvedPolicy } from "../../src/policy/types.js";

const policy = {
  root: "/w/proj",
  home: "/home/u",
  capabilities: [
    "fs.read",
    "fs.write",
    "fs.list",
    "fs.exists",
    "net.http_get",
    "env.read",
    "subprocess.exec",
  ],
} as unknown as ResolvedPolicy;
const allow = (): Decision => ({ decision: "allow", reason: "ok", rule: "test", sealed: false });

function verify(source: string): VerifierIssue[] {
  return verifyScript(source, policy, { decideLiteral: allow });
}

/** Each source must yield exactly one missing-await finding, with the "add await" hint. */
const flagged: Array<[string, string]> = [
  ["reading a property of the promise", 'const n = fs.read("a").length;'],
  ["calling a string method on the promise", 'const lines = fs.read("a").split("\\n");'],
  ["JSON.parse of the promise", 'const cfg = JSON.parse(fs.read("cfg.json"));'],
  ["string concatenation", 'const s = fs.read("a") + "x";'],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell or script source text, not a template
  ["a template literal", 'const s = `got ${fs.read("a")}`;'],
  ["an if condition", 'if (fs.exists("setup.cfg")) { console.log("yes"); }'],
  ["a negation", 'if (!fs.exists("setup.cfg")) { console.log("no"); }'],
  ["a conditional test", 'const kind = fs.exists("a") ? "file" : "none";'],
  ["the left side of &&", 'const ok = fs.exists("a") && true;'],
  ["a while condition", 'while (fs.exists("lock")) { break; }'],
  ["iterating with for...of", 'for (const e of fs.list("src")) { console.log(e.name); }'],
  ["iterating with for await...of", 'for await (const e of fs.list("src")) { console.log(e); }'],
  ["object destructuring", 'const { status, body } = net.httpGet("https://api.github.com/");'],
  ["array destructuring", 'const [first] = fs.list("src");'],
  ["spreading", 'const all = [...fs.list("src")];'],
  ["console.log of the promise", 'console.log(fs.read("a"));'],
  ["passing the promise to another builtin", 'await fs.write("b.txt", fs.read("a.txt"));'],
  ["compound assignment", 'let s = "";\ns += fs.read("a");'],
  ["a let variable read as a value later", 'let x = fs.read("a");\nconsole.log(x.trim());'],
  ["a comparison", 'const same = fs.read("a") === "x";'],
  ["an optional chain", 'const n = fs.read("a")?.length;'],
  ["a variable read as a value later", 'const x = fs.read("a");\nconst n = x.length;'],
  ["a variable used in a condition", 'const there = fs.exists("a");\nif (there) { console.log(1); }'],
  [
    "a response variable whose json() is called",
    'const r = net.httpGet("https://api.github.com/");\nconst data = r.json();',
  ],
  ["a destructured alias of a builtin", 'const { read } = fs;\nconst n = read("a").length;'],
  ["subprocess output read without await", 'const out = subprocess.exec(["git", "status"]).stdout;'],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell or script source text, not a template
  ["env value in a template", 'const h = env.read("HOME");\nconsole.log(`home=${h}`);'],
];

/** None of these may be flagged: the promise is awaited, or it may be awaited elsewhere. */
const accepted: Array<[string, string]> = [
  ["await", 'const s = await fs.read("a");\nconst n = s.length;'],
  ["await in parentheses", 'const n = (await fs.read("a")).length;'],
  ["Promise.all of calls", 'const [a, b] = await Promise.all([fs.read("a"), fs.read("b")]);'],
  ["then / catch / finally", 'fs.read("a").then((s) => s.length).catch(() => 0).finally(() => {});'],
  [
    "returned from an async function",
    'async function load() { return fs.read("a"); }\nexport default await load();',
  ],
  ["an arrow body", 'const load = () => fs.read("a");\nexport default await load();'],
  ["passed to an unknown function", 'function keep(p) { return p; }\nconst p = await keep(fs.read("a"));'],
  [
    "stored then awaited",
    'const p = fs.read("a");\nconsole.log("working");\nconst s = await p;\nexport default s.length;',
  ],
  [
    "stored, used, and awaited somewhere",
    'const p = fs.read("a");\nconst q = (await p).length;\nexport default q;',
  ],
  ["stored and passed on", 'const p = fs.read("a");\nconst ps = [p];\nexport default await Promise.all(ps);'],
  ["stored and returned", 'function start() { const p = fs.read("a"); return p; }\nawait start();'],
  ["reassigned variable", 'let p = fs.read("a");\np = "x";\nexport default p.length;'],
  ["fire-and-forget statement", 'fs.write("log.txt", "x");'],
  ["void", 'void fs.write("log.txt", "x");'],
  ["the right side of a logical expression", 'const p = true && fs.read("a");\nexport default await p;'],
  [
    "conditional branches",
    'const p = Math.random() > 0.5 ? fs.read("a") : fs.read("b");\nexport default await p;',
  ],
  ["instanceof", 'const isP = fs.read("a") instanceof Promise;\nexport default isP;'],
  [
    "an array or object literal",
    'const jobs = { a: fs.read("a"), b: [fs.read("b")] };\nawait jobs.a;\nawait jobs.b[0];',
  ],
  ["a dynamic property", 'const k = "then";\nfs.read("a")[k]((s) => s);'],
  ["a shadowed JSON", 'const JSON = { parse: (x) => x };\nconst p = JSON.parse(fs.read("a"));\nawait p;'],
  [
    "a script function named like a builtin",
    'const fs = { read: (p) => p };\nconst n = fs.read("a").length;',
  ],
  ["typeof", 'const t = typeof fs.read("a");\nexport default t;'],
  [
    "a variable only awaited in a loop",
    'const ps = fs.list("src");\nfor (const e of await ps) { console.log(e.name); }',
  ],
];

describe("verifier: a builtin's promise used without await is flagged", () => {
  for (const [name, source] of flagged) {
    test(name, () => {
      const issues = verify(source);
      assert.equal(issues.length, 1, `${source}\n${JSON.stringify(issues, null, 2)}`);
      assert.match(issues[0]!.message, /without await/);
      assert.match(issues[0]!.hint ?? "", /^add await/);
    });
  }
});

describe("verifier: promises that are awaited or handed on are not flagged", () => {
  for (const [name, source] of accepted) {
    test(name, () => {
      assert.deepEqual(verify(source), [], source);
    });
  }
});

test("the finding points at the call and names the variable and the line of its use", () => {
  const [issue] = verify('const x = fs.read("a");\n\nconst n = x.length;');
  assert.ok(issue);
  assert.deepEqual([issue.line, issue.column], [1, 11]);
  assert.equal(
    issue.message,
    "x holds the promise returned by fs.read(...), not its result, and is used at 3:11 without await",
  );
  assert.equal(issue.hint, "add await: const x = await fs.read(...)");
});

test("a direct use is reported at the call with a hint to await it", () => {
  const [issue] = verify('const cfg = JSON.parse(fs.read("cfg.json"));');
  assert.ok(issue);
  assert.deepEqual([issue.line, issue.column], [1, 24]);
  assert.equal(issue.message, "fs.read(...) returns a promise, and its value is used here without await");
  assert.equal(issue.hint, "add await: (await fs.read(...))");
});
