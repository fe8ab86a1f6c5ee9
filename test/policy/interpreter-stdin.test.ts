/**
 * Interpreters given their program on stdin (evals c05-084..086): `python3` with stdin and
 * no script, `python3 -`, `node` with stdin. deny_args sees only arguments that are there,
 * so decide knows which argument is the program. Real policies, real decisions; the same
 * commands with a script file, a module or a test runner stay allowed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { STDIN_PROGRAM_RULE } from "../../src/policy/program-rules.js";
import type { ResolvedPolicy } from "../../src/policy/types.js";
import { exec, loadFile, makeTree, run, type Tree, writeFile } from "./helpers.js";

const INTERPRETERS = [
  "python3",
  "node",
  "ruby",
  "perl",
  "php",
  "lua",
  "deno",
  "bun",
  "julia",
  "/usr/bin/python3.11",
];
const WITH_PRESET = `
inherits = "secure-defaults"
requires_approval = ["!subprocess.exec"]
[filesystem]
read_allow = ["**"]
[subprocess]
allow_commands = ${JSON.stringify(INTERPRETERS)}
`;
const WITHOUT_PRESET = `
[filesystem]
read_allow = ["**"]
deny = ["**/.aegis/**"]
[subprocess]
allow_commands = ${JSON.stringify(INTERPRETERS)}
`;

/** Program on stdin: every one of these is inline code. */
const STDIN_PROGRAMS: [string, string[]][] = [
  ["python3 with stdin and no script (c05-084)", ["python3"]],
  ["python3 - (c05-085)", ["python3", "-"]],
  ["node with stdin and no script (c05-086)", ["node"]],
  ["node -", ["node", "-"]],
  ["python3 -u (options only, still no script)", ["python3", "-u"]],
  ["python3 -W ignore (an option's value is not a script)", ["python3", "-W", "ignore"]],
  ["python3 -bW ignore (value option in a cluster)", ["python3", "-bW", "ignore"]],
  ["python3 -- (nothing after --)", ["python3", "--"]],
  ["python3 -- - (stdin after --)", ["python3", "--", "-"]],
  ["python3 -i app.py (interactive after the script)", ["python3", "-i", "script.py"]],
  ["python3 -Ei app.py (-i in a cluster)", ["python3", "-Ei", "script.py"]],
  ["python3 -m code (REPL module on stdin)", ["python3", "-m", "code"]],
  ["python3 -m asyncio (REPL module on stdin)", ["python3", "-m", "asyncio"]],
  ["python3 -mpdb app.py (debugger commands on stdin)", ["python3", "-mpdb", "script.py"]],
  ["python3 -m timeit (code given inline)", ["python3", "-m", "timeit", "import os"]],
  ["/usr/bin/python3.11 - (path and version suffix)", ["/usr/bin/python3.11", "-"]],
  ["node -r ./app.js (a preload, then the program from stdin)", ["node", "-r", "./app.js"]],
  ["node --require app.js (separate value)", ["node", "--require", "app.js"]],
  ["node --input-type=module (module code from stdin)", ["node", "--input-type=module"]],
  ["node --title app.js (value option)", ["node", "--title", "app.js"]],
  ["node -i app.js (REPL)", ["node", "-i", "app.js"]],
  ["node inspect app.js (debugger commands on stdin)", ["node", "inspect", "app.js"]],
  ["ruby with stdin", ["ruby"]],
  ["ruby -r json (preload, then stdin)", ["ruby", "-r", "json"]],
  ["perl with stdin", ["perl"]],
  ["perl -MO=Deparse (module option, then stdin)", ["perl", "-MO=Deparse"]],
  ["perl -w -", ["perl", "-w", "-"]],
  ["php with stdin", ["php"]],
  ["php -a (interactive shell)", ["php", "-a"]],
  ["lua -", ["lua", "-"]],
  ["lua -l socket (preload, then stdin)", ["lua", "-l", "socket"]],
  ["deno (its REPL)", ["deno"]],
  ["deno repl", ["deno", "repl"]],
  ["deno run - (stdin module)", ["deno", "run", "-"]],
  ["bun repl", ["bun", "repl"]],
  ["bun run -", ["bun", "run", "-"]],
  ["julia with stdin", ["julia"]],
];

/** Legitimate invocations: a program file, a module, a test runner, a version query. */
const PROGRAMS: [string, string[]][] = [
  ["python3 script.py", ["python3", "script.py"]],
  ["python3 script.py - (stdin is data for the script)", ["python3", "script.py", "-"]],
  ["python3 -m pytest", ["python3", "-m", "pytest"]],
  ["python3 -m unittest -q test_calc", ["python3", "-m", "unittest", "-q", "test_calc"]],
  ["python3 -W ignore script.py", ["python3", "-W", "ignore", "script.py"]],
  ["python3 -Wignore -u script.py", ["python3", "-Wignore", "-u", "script.py"]],
  ["python3 -X dev script.py", ["python3", "-X", "dev", "script.py"]],
  ["python3 -- script.py", ["python3", "--", "script.py"]],
  ["python3 --version", ["python3", "--version"]],
  ["python3 -V", ["python3", "-V"]],
  ["node app.js", ["node", "app.js"]],
  ["node app.js - (stdin is data for the program)", ["node", "app.js", "-"]],
  ["node --test", ["node", "--test"]],
  ["node --test test/", ["node", "--test", "src/"]],
  ["node --test-reporter spec --test", ["node", "--test-reporter", "spec", "--test"]],
  ["node -r ./app.js app.js", ["node", "-r", "./app.js", "app.js"]],
  ["node --enable-source-maps app.js", ["node", "--enable-source-maps", "app.js"]],
  ["node --max-old-space-size=512 app.js", ["node", "--max-old-space-size=512", "app.js"]],
  ["node --check app.js", ["node", "--check", "app.js"]],
  ["node --version", ["node", "--version"]],
  ["ruby app.rb", ["ruby", "script.py"]],
  ["ruby -I lib app.rb", ["ruby", "-I", "src", "script.py"]],
  ["perl script.pl", ["perl", "script.py"]],
  ["perl -I lib -w script.pl", ["perl", "-I", "src", "-w", "script.py"]],
  ["perl -Mstrict script.pl", ["perl", "-Mstrict", "script.py"]],
  ["php artisan", ["php", "script.py"]],
  ["php -d memory_limit=1G script.php", ["php", "-d", "memory_limit=1G", "script.py"]],
  ["php --version", ["php", "--version"]],
  ["lua main.lua", ["lua", "script.py"]],
  ["deno run main.ts", ["deno", "run", "app.js"]],
  ["deno test", ["deno", "test"]],
  ["deno --version", ["deno", "--version"]],
  ["bun run build", ["bun", "run", "build"]],
  ["bun test", ["bun", "test"]],
  ["julia script.jl", ["julia", "script.py"]],
];

describe("interpreters reading their program from stdin", () => {
  let tree: Tree;
  let preset: ResolvedPolicy;
  let bare: ResolvedPolicy;
  let vars: Record<string, string>;
  before(() => {
    tree = makeTree("aegis-stdin-");
    preset = loadFile(tree, writeFile(join(tree.root, "preset.toml"), WITH_PRESET));
    bare = loadFile(tree, writeFile(join(tree.root, "bare.toml"), WITHOUT_PRESET));
    vars = { ROOT: tree.root, HOME: tree.home };
  });
  after(() => tree.cleanup());

  for (const [name, argv] of STDIN_PROGRAMS) {
    it(`denies ${name}`, () => {
      const d = run(preset, exec(...argv), vars);
      assert.equal(d.decision, "deny", d.reason);
      assert.equal(d.rule, STDIN_PROGRAM_RULE, d.reason);
      // The reason `aegis policy explain` prints names the command, the rule and the way out.
      assert.ok(d.reason.startsWith(`subprocess.exec ${argv[0]} denied:`), d.reason);
      assert.ok(d.reason.includes(STDIN_PROGRAM_RULE), d.reason);
      assert.match(d.reason, /script file instead/);
    });
  }

  for (const [name, argv] of PROGRAMS) {
    it(`allows ${name}`, () => {
      const d = run(preset, exec(...argv), vars);
      assert.equal(d.decision, "allow", `${d.rule}: ${d.reason}`);
    });
  }

  it("denies a stdin program under a policy that does not inherit secure-defaults", () => {
    for (const argv of [["python3"], ["python3", "-"], ["node"], ["node", "-"]]) {
      const d = run(bare, exec(...argv), vars);
      assert.equal(d.decision, "deny", `${argv.join(" ")}: ${d.reason}`);
      assert.equal(d.rule, STDIN_PROGRAM_RULE);
    }
    assert.equal(run(bare, exec("python3", "script.py"), vars).decision, "allow");
  });

  it("says the reason in words: no program file, or the - argument", () => {
    assert.match(run(preset, exec("python3"), vars).reason, /python3 names no program file/);
    assert.match(
      run(preset, exec("node", "-"), vars).reason,
      /node would read its program from standard input \("-"\)/,
    );
  });

  it("keeps the preset's inline-code rules first: python3 -c is still denied by deny_args", () => {
    const d = run(preset, exec("python3", "-c", "print(1)"), vars);
    assert.equal(d.decision, "deny");
    assert.match(d.rule, /^subprocess\.deny_args\.python "-c"/);
  });
});
