/**
 * `aegis policy validate | show | explain`, run as the real CLI in a child process
 * (`node --import tsx src/cli/main.ts policy …`), asserting exit codes and output.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { probeBwrap } from "../../src/jail/probe.js";
import { ERROR_DIR, ERROR_FIXTURES, VALID_DIR } from "../policy/error-fixtures.js";
import { makeTree, removeTempDirs, type Tree, tempDir, writeFile } from "../policy/helpers.js";

after(removeTempDirs);

const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const TSX = import.meta.resolve("tsx");
const PRESET = "secure-defaults";

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Preloaded to make bubblewrap fail the way it does without user namespaces. */
const BWRAP_BROKEN = pathToFileURL(
  fileURLToPath(new URL("./fixtures/bwrap-broken.mjs", import.meta.url)),
).href;

function aegis(
  args: string[],
  opts: { cwd?: string; home?: string; timeoutMs?: number; nodeFlags?: string[] } = {},
): Promise<Result> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...(opts.nodeFlags ?? []), "--import", TSX, MAIN, ...args],
      {
        cwd: opts.cwd ?? process.cwd(),
        env: { ...process.env, HOME: opts.home ?? process.env.HOME ?? "/root", NO_COLOR: "1" },
        timeout: opts.timeoutMs ?? 20_000,
        killSignal: "SIGKILL",
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: unknown; signal?: NodeJS.Signals }) | null;
        resolve({
          code: e ? (typeof e.code === "number" ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stdout,
          stderr,
          ms: Date.now() - t0,
        });
      },
    );
  });
}

function assertExit(r: Result, code: number): void {
  assert.equal(r.signal, null, `killed after ${r.ms} ms (hang?)\nstderr: ${r.stderr.slice(0, 2000)}`);
  assert.equal(
    r.code,
    code,
    `exit ${r.code}\nstdout: ${r.stdout.slice(0, 2000)}\nstderr: ${r.stderr.slice(0, 2000)}`,
  );
}

/** Parses `file:line:column: message` lines of validate's stderr. */
function locatedLines(stderr: string) {
  return stderr
    .split("\n")
    .map((l) => /^(\/\S+?\.toml)(?::(\d+):(\d+))?: (.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({
      file: m[1]!,
      line: m[2] === undefined ? undefined : Number(m[2]),
      column: m[3] === undefined ? undefined : Number(m[3]),
      message: m[4]!,
    }));
}

const CONCURRENT = { concurrency: 6 };

// ------------------------------------------------------------------ validate

describe("aegis policy validate", CONCURRENT, () => {
  for (const f of ERROR_FIXTURES) {
    it(`${f.what}: exit 5 with file:line:column${f.bug ? `` : ""}`, async () => {
      const r = await aegis(["policy", "validate", join(ERROR_DIR, f.file)]);
      assertExit(r, 5);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /^\d+ errors? in policy:\n/);
      const lines = locatedLines(r.stderr);
      const used = new Set<unknown>();
      for (const want of f.issues) {
        const candidates = lines.filter((l) => !used.has(l) && want.message.test(l.message));
        const hit = candidates.find((l) => l.line === want.line && l.column === want.column) ?? candidates[0];
        assert.ok(hit, `no line matching ${want.message} in:\n${r.stderr}`);
        used.add(hit);
        if (want.line === "any") assert.equal(typeof hit.line, "number", `line for ${hit.message}`);
        else assert.equal(hit.line, want.line, hit.message);
        if (want.column === "any") assert.equal(typeof hit.column, "number", `column for ${hit.message}`);
        else assert.equal(hit.column, want.column, hit.message);
      }
    });
  }

  it("the spec example validates: exit 0, OK with the capability count and names", async () => {
    const r = await aegis(["policy", "validate", join(VALID_DIR, "example.toml")]);
    assertExit(r, 0);
    assert.match(r.stdout, /^OK: 12 capabilities \(fs\.read, fs\.write, fs\.delete, .*subprocess\.exec\)\n$/);
  });

  it("a policy granting nothing validates with 0 capabilities", async () => {
    const dir = tempDir("aegis-polcli-");
    const r = await aegis([
      "policy",
      "validate",
      writeFile(join(dir, "p.toml"), `inherits = "secure-defaults"\n`),
    ]);
    assertExit(r, 0);
    assert.equal(r.stdout, "OK: 0 capabilities (none)\n");
  });

  it("a relative FILE is resolved against the working directory", async () => {
    const r = await aegis(["policy", "validate", "example.toml"], { cwd: VALID_DIR });
    assertExit(r, 0);
  });

  it("a 10 MB file: exit 5 quickly with a clear message", async () => {
    const dir = tempDir("aegis-polcli-");
    const big = writeFile(join(dir, "big.toml"), `# ${"x".repeat(10 * 1024 * 1024)}\n`);
    const r = await aegis(["policy", "validate", big]);
    assertExit(r, 5);
    assert.match(
      r.stderr,
      /big\.toml: cannot read policy file: policy file is too large \(\d+ bytes; the limit is 1048576\)/,
    );
  });

  it("a deeply nested TOML file (a = [[[[…×100000): exit 5 quickly with a clear message", async () => {
    const dir = tempDir("aegis-polcli-");
    const deep = writeFile(join(dir, "deep.toml"), `a = ${"[".repeat(100_000)}`);
    const r = await aegis(["policy", "validate", deep]);
    assertExit(r, 5);
    assert.match(r.stderr, /deep\.toml:\d+:\d+: TOML syntax error: .*nested/);
    assert.doesNotMatch(r.stderr, /RangeError|Maximum call stack| {4}at /);
  });

  it("deeply nested inline tables: exit 5 with a clear message", async () => {
    const dir = tempDir("aegis-polcli-");
    const deep = writeFile(join(dir, "deep.toml"), `a = ${"{b = ".repeat(100_000)}1`);
    const r = await aegis(["policy", "validate", deep]);
    assertExit(r, 5);
    assert.match(r.stderr, /nested|too deep/);
  });

  it("a binary file: exit 5 with a TOML error, no crash", async () => {
    const dir = tempDir("aegis-polcli-");
    const bin = writeFile(join(dir, "bin.toml"), "\u0000\u00ff\u0001=\u0002\n[[[\n");
    const r = await aegis(["policy", "validate", bin]);
    assertExit(r, 5);
    assert.match(r.stderr, /bin\.toml:\d+:\d+: TOML syntax error/);
  });

  it("/dev/zero: exit 5, not a regular file (no endless read)", async () => {
    const r = await aegis(["policy", "validate", "/dev/zero"]);
    assertExit(r, 5);
    assert.match(r.stderr, /not a regular file/);
  });

  it("a missing file: exit 5, no such file", async () => {
    const r = await aegis(["policy", "validate", "/nonexistent/aegis.toml"]);
    assertExit(r, 5);
    assert.match(r.stderr, /\/nonexistent\/aegis\.toml: cannot read policy file: no such file/);
  });

  it("a valid ~890 KB policy with 100 000 short entries validates within 20 s", {
    timeout: 30_000,
  }, async () => {
    const dir = tempDir("aegis-polcli-");
    const items = Array.from({ length: 100_000 }, (_, i) => `"V${i}"`).join(",");
    const file = writeFile(join(dir, "many.toml"), `[environment]\ndeny_vars = [${items}]\n`);
    assert.ok(readFileSync(file).length < 1024 * 1024);
    const r = await aegis(["policy", "validate", file], { timeoutMs: 20_000 });
    assertExit(r, 0);
  });

  it("usage errors exit 5: no FILE, two FILEs, unknown flag, unknown subcommand", async () => {
    for (const args of [
      ["policy", "validate"],
      ["policy", "validate", "a.toml", "b.toml"],
      ["policy", "validate", "--frobnicate", join(VALID_DIR, "example.toml")],
      ["policy", "frobnicate", join(VALID_DIR, "example.toml")],
    ]) {
      const r = await aegis(args);
      assertExit(r, 5);
      assert.match(r.stderr, /^aegis: /, args.join(" "));
      assert.match(r.stderr, /Usage:/);
    }
  });

  it("`aegis policy` alone prints help and exits 5; --help exits 0", async () => {
    const bare = await aegis(["policy"]);
    assertExit(bare, 5);
    assert.match(bare.stdout, /aegis policy validate FILE/);
    for (const args of [
      ["policy", "--help"],
      ["policy", "validate", "--help"],
      ["policy", "explain", "-h"],
    ]) {
      const r = await aegis(args);
      assertExit(r, 0);
      assert.match(r.stdout, /aegis policy explain FILE --op JSON/);
    }
  });
});

describe("aegis policy validate: a policy that asks for the jail", CONCURRENT, () => {
  const BWRAP_POLICY = `inherits = "secure-defaults"\n[subprocess]\nallow_commands = ["git"]\nsandbox = "bwrap"\n`;

  it('sandbox = "bwrap" where bubblewrap cannot jail: exit 5 with the reason and the fix, as aegis run would refuse it', async () => {
    const file = writeFile(join(tempDir("aegis-polcli-"), "aegis.toml"), BWRAP_POLICY);
    const r = await aegis(["policy", "validate", file], { nodeFlags: ["--import", BWRAP_BROKEN] });
    assertExit(r, 5);
    assert.equal(r.stdout, "");
    assert.match(
      r.stderr,
      /^1 error in policy:\n.*aegis\.toml: subprocess\.sandbox = "bwrap", but bubblewrap cannot create a sandbox here .*Fix: /,
    );
    // The same policy under the same broken bwrap: `aegis run` refuses it too, with exit 5.
    const run = await aegis(["run", "--policy", file, "-"], { nodeFlags: ["--import", BWRAP_BROKEN] });
    assertExit(run, 5);
    assert.match(run.stderr, /subprocess\.sandbox = "bwrap", but bubblewrap cannot create a sandbox here/);
  });

  it("show and explain never spawn, so they do not probe: the same policy shows and explains", async () => {
    const file = writeFile(join(tempDir("aegis-polcli-"), "aegis.toml"), BWRAP_POLICY);
    const flags = { nodeFlags: ["--import", BWRAP_BROKEN] };
    assertExit(await aegis(["policy", "show", file, "--json"], flags), 0);
    assertExit(
      await aegis(
        ["policy", "explain", file, "--op", '{"kind":"subprocess.exec","argv":["git","status"]}'],
        flags,
      ),
      0,
    );
  });

  it('sandbox = "bwrap" where bubblewrap works validates', async (t) => {
    if (!(await probeBwrap()).ok) {
      t.skip("bubblewrap cannot jail here");
      return;
    }
    const file = writeFile(join(tempDir("aegis-polcli-"), "aegis.toml"), BWRAP_POLICY);
    const r = await aegis(["policy", "validate", file]);
    assertExit(r, 0);
    assert.match(r.stdout, /^OK: \d+ capabilities/);
  });

  it("validate takes no --json, --op or --root: a usage error naming the option, exit 5", async () => {
    for (const flag of [["--json"], ["--op", "{}"], ["--root", "/"]]) {
      const r = await aegis(["policy", "validate", join(VALID_DIR, "example.toml"), ...flag]);
      assertExit(r, 5);
      assert.match(r.stderr, new RegExp(`^aegis: policy validate: Unknown option '${flag[0]}'`));
    }
  });
});

// ------------------------------------------------------------------ show

describe("aegis policy show", CONCURRENT, () => {
  const file = join(VALID_DIR, "chain/proj/aegis.toml");
  const base = join(VALID_DIR, "chain/shared/base.toml");

  it("--json: the resolved policy with every entry's origin", async () => {
    const r = await aegis(["policy", "show", file, "--json"]);
    assertExit(r, 0);
    const s = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(s), [
      "file",
      "chain",
      "root",
      "capabilities",
      "requires_approval",
      "filesystem",
      "network",
      "environment",
      "subprocess",
      "runtime",
      "tools",
    ]);
    assert.equal(s.file, file);
    assert.deepEqual(s.chain, [file, base, PRESET]);
    assert.equal(s.root, join(VALID_DIR, "chain/proj"));
    assert.deepEqual(s.capabilities, ["fs.read", "fs.list", "fs.exists", "net.http_get", "subprocess.exec"]);
    assert.deepEqual(Object.keys(s.filesystem), [
      "read_allow",
      "local_only_read",
      "write_allow",
      "delete_allow",
      "deny",
    ]);
    assert.deepEqual(Object.keys(s.network), [
      "http_get_allow",
      "http_post_allow",
      "http_put_allow",
      "http_patch_allow",
      "http_delete_allow",
      "local_only_hosts",
      "deny_hosts",
      "deny_ips",
      "allow_ports",
      "timeout_seconds",
      "max_response_bytes",
    ]);
    assert.deepEqual(Object.keys(s.environment), ["allow_vars", "local_only_vars", "deny_vars"]);
    assert.deepEqual(Object.keys(s.subprocess), [
      "allow_commands",
      "local_only_commands",
      "deny_commands",
      "deny_args",
      "requires_approval_args",
      "sandbox",
    ]);
    // Every listed entry is {value, origin} and its origin is part of the chain.
    const lists: { value: string; origin: string }[][] = [
      s.requires_approval,
      ...Object.values(s.filesystem),
      ...Object.values(s.environment),
      s.network.http_get_allow,
      s.network.deny_hosts,
      s.network.deny_ips,
      s.subprocess.allow_commands,
      s.subprocess.deny_commands,
      ...Object.values(s.subprocess.deny_args),
    ] as { value: string; origin: string }[][];
    for (const list of lists) {
      for (const e of list) {
        assert.deepEqual(Object.keys(e), ["value", "origin"]);
        assert.ok(s.chain.includes(e.origin), `origin ${e.origin} of ${e.value}`);
      }
    }
    assert.deepEqual(s.filesystem.read_allow, [{ value: "src/**", origin: file }]);
    assert.deepEqual(s.requires_approval, [
      { value: "fs.delete", origin: PRESET },
      { value: "net.http_post", origin: base },
    ]);
    assert.ok(
      s.filesystem.deny.some(
        (e: { value: string; origin: string }) => e.value === "~/.ssh/**" && e.origin === PRESET,
      ),
    );
    assert.ok(
      !s.filesystem.deny.some((e: { value: string }) => e.value === "vault/**"),
      "removed by !vault/**",
    );
    assert.deepEqual(
      s.subprocess.deny_args.git.filter((e: { origin: string }) => e.origin !== PRESET),
      [
        { value: "push --force", origin: base },
        { value: "reset --hard", origin: file },
      ],
    );
    assert.ok(
      s.network.deny_ips.some(
        (e: { value: string; origin: string }) => e.value === "127.0.0.0/8" && e.origin === PRESET,
      ),
    );
    assert.equal(s.network.timeout_seconds, 10);
    assert.deepEqual(s.network.allow_ports, [443, 8443]);
    assert.equal(s.subprocess.sandbox, "none");
    assert.equal(s.runtime.max_seconds, 5);
    assert.deepEqual(s.runtime.max_calls_per_capability, { "fs.read": 100, "net.http_get": 3 });
    assert.equal(s.runtime.no_output_after_local_only_read, true);
    assert.equal(s.runtime.max_callstack_size, null);
  });

  it("human output lists the chain and each entry with its origin", async () => {
    const r = await aegis(["policy", "show", file]);
    assertExit(r, 0);
    assert.ok(r.stdout.includes(`inherits: ${file} <- ${base} <- ${PRESET}`), r.stdout.slice(0, 500));
    assert.match(r.stdout, /capabilities: fs\.read, fs\.list, fs\.exists, net\.http_get, subprocess\.exec/);
    assert.ok(r.stdout.includes(`    src/**   (${file})`));
    assert.ok(r.stdout.includes(`    ~/.ssh/**   (${PRESET})`));
    assert.ok(
      r.stdout.includes(`    net.http_post   (${base})`) || r.stdout.includes(`  net.http_post   (${base})`),
    );
  });

  it("a bad policy: exit 5, errors on stderr, nothing on stdout", async () => {
    const r = await aegis(["policy", "show", join(ERROR_DIR, "unknown-section-keys.toml"), "--json"]);
    assertExit(r, 5);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /3 errors in policy/);
  });
});

// ------------------------------------------------------------------ explain

describe("aegis policy explain", CONCURRENT, () => {
  let t: Tree;
  let file: string;
  before(() => {
    t = makeTree("aegis-cli-explain-");
    file = writeFile(
      join(t.root, "aegis.toml"),
      `inherits = "secure-defaults"
requires_approval = ["!subprocess.exec"]
[filesystem]
read_allow = ["src/**", "*.txt", "config"]
local_only_read = ["config/local/**"]
write_allow = ["out/**"]
delete_allow = ["out/**"]
[network]
http_get_allow = ["api.github.com"]
http_post_allow = ["api.github.com"]
local_only_hosts = ["api.openai.com"]
[environment]
allow_vars = ["PATH"]
local_only_vars = ["MYAPP_TOKEN"]
[subprocess]
allow_commands = ["git", "cat"]
`,
    );
  });
  after(() => t.cleanup());

  const explain = (op: unknown, extra: string[] = []) =>
    aegis(
      [
        "policy",
        "explain",
        file,
        "--op",
        typeof op === "string" ? op : JSON.stringify(op),
        "--json",
        ...extra,
      ],
      {
        cwd: t.root,
        home: t.home,
      },
    );
  /** Rules of the explained policy file; `$FILE` is filled in once the file exists. */
  const own = (key: string, v: string) => `${key} ${JSON.stringify(v)} ($FILE)`;
  const pre = (key: string, v: string) => `${key} ${JSON.stringify(v)} (${PRESET})`;

  async function decision(op: unknown, extra: string[] = []) {
    const r = await explain(op, extra);
    assertExit(r, 0);
    assert.equal(r.stderr, "");
    const d = JSON.parse(r.stdout);
    assert.deepEqual(
      Object.keys(d).sort(),
      ["decision", "reason", "rule"],
      "exactly {decision, reason, rule}",
    );
    assert.equal(typeof d.reason, "string");
    return d as { decision: string; reason: string; rule: string };
  }

  const shapes: [string, unknown, string, string | RegExp][] = [
    [
      "fs.read allowed",
      { kind: "fs.read", path: "src/a.ts" },
      "allow",
      own("filesystem.read_allow", "src/**"),
    ],
    [
      "fs.read of ~/.ssh (HOME of the child)",
      { kind: "fs.read", path: "~/.ssh/id_rsa" },
      "deny",
      pre("filesystem.deny", "~/.ssh/**"),
    ],
    [
      "fs.read through a symlink",
      { kind: "fs.read", path: "ln-aws/credentials" },
      "deny",
      pre("filesystem.deny", "~/.aws/**"),
    ],
    [
      "fs.read local-only",
      { kind: "fs.read", path: "config/local/db.json" },
      "local_only",
      own("filesystem.local_only_read", "config/local/**"),
    ],
    [
      "fs.write allowed",
      { kind: "fs.write", path: "out/x.json" },
      "allow",
      own("filesystem.write_allow", "out/**"),
    ],
    ["fs.write the policy file", { kind: "fs.write", path: "aegis.toml" }, "deny", "reserved: policy file"],
    [
      "fs.write through a dangling symlink",
      { kind: "fs.write", path: "dl" },
      "deny",
      "path canonicalisation",
    ],
    [
      "fs.delete needs confirmation",
      { kind: "fs.delete", path: "out/old.log" },
      "confirm",
      pre("requires_approval", "fs.delete"),
    ],
    ["fs.list", { kind: "fs.list", path: "src" }, "allow", own("filesystem.read_allow", "src/**")],
    [
      "fs.exists",
      { kind: "fs.exists", path: "/etc/hostname" },
      "deny",
      "default deny (filesystem.read_allow)",
    ],
    [
      "fs.read of the audit log",
      { kind: "fs.read", path: ".aegis/audit.jsonl" },
      "deny",
      "reserved: audit log",
    ],
    [
      "net.http GET",
      { kind: "net.http", method: "GET", url: "https://api.github.com/x" },
      "allow",
      own("network.http_get_allow", "api.github.com"),
    ],
    [
      "net.http lower-case method",
      { kind: "net.http", method: "post", url: "https://api.github.com/x" },
      "allow",
      own("network.http_post_allow", "api.github.com"),
    ],
    [
      "net.http with resolved_ips",
      {
        kind: "net.http",
        method: "GET",
        url: "https://api.github.com/",
        resolved_ips: ["140.82.112.6", "127.0.0.1"],
      },
      "deny",
      pre("network.deny_ips", "127.0.0.0/8"),
    ],
    [
      "net.http to 127.1",
      { kind: "net.http", method: "GET", url: "http://127.1/" },
      "deny",
      pre("network.deny_ips", "127.0.0.0/8"),
    ],
    [
      "net.http local-only host",
      { kind: "net.http", method: "DELETE", url: "https://api.openai.com/x" },
      "local_only",
      own("network.local_only_hosts", "api.openai.com"),
    ],
    [
      "net.http userinfo",
      { kind: "net.http", method: "GET", url: "https://api.github.com@evil.com/" },
      "deny",
      "userinfo",
    ],
    ["env.read allowed", { kind: "env.read", name: "PATH" }, "allow", own("environment.allow_vars", "PATH")],
    [
      "env.read preset deny",
      { kind: "env.read", name: "GITHUB_TOKEN" },
      "deny",
      pre("environment.deny_vars", "GITHUB_TOKEN"),
    ],
    ["env.read AEGIS_*", { kind: "env.read", name: "AEGIS_AUDIT_LOG" }, "deny", "reserved: AEGIS_*"],
    [
      "env.read local-only",
      { kind: "env.read", name: "MYAPP_TOKEN" },
      "local_only",
      own("environment.local_only_vars", "MYAPP_TOKEN"),
    ],
    [
      "subprocess.exec allowed",
      { kind: "subprocess.exec", argv: ["git", "status"] },
      "allow",
      own("subprocess.allow_commands", "git"),
    ],
    [
      "subprocess.exec with cwd",
      { kind: "subprocess.exec", argv: ["cat", "a.ts"], cwd: "src" },
      "allow",
      own("subprocess.allow_commands", "cat"),
    ],
    [
      "subprocess.exec cwd-relative path escaping to home",
      { kind: "subprocess.exec", argv: ["cat", "../../home/.netrc"], cwd: "src" },
      "deny",
      pre("filesystem.deny", "~/.netrc"),
    ],
    [
      "subprocess.exec a shell",
      { kind: "subprocess.exec", argv: ["bash", "-c", "id"] },
      "deny",
      pre("subprocess.deny_commands", "bash"),
    ],
    [
      "subprocess.exec git -c",
      { kind: "subprocess.exec", argv: ["git", "-c", "core.pager=id", "log"] },
      "deny",
      pre("subprocess.deny_args.git", "-c"),
    ],
    [
      "subprocess.exec argv naming a symlink to a denied file",
      { kind: "subprocess.exec", argv: ["cat", "ln-ssh"] },
      "deny",
      pre("filesystem.deny", "~/.ssh/**"),
    ],
    [
      "subprocess.exec argv dangling symlink",
      { kind: "subprocess.exec", argv: ["cat", "./dl"] },
      "deny",
      "path canonicalisation",
    ],
    [
      "subprocess.exec local-only file to a normal command",
      { kind: "subprocess.exec", argv: ["cat", "config/local/db.json"] },
      "deny",
      own("filesystem.local_only_read", "config/local/**"),
    ],
  ];
  for (const [name, op, want, rule] of shapes) {
    it(`${name} → ${want} (exit 0)`, async () => {
      const d = await decision(op);
      assert.equal(d.decision, want, d.reason);
      if (typeof rule === "string") assert.equal(d.rule, rule.replace("$FILE", file));
      else assert.match(d.rule, rule);
      assert.ok(d.reason.length > 10);
    });
  }

  it("--root DIR resolves relative op paths against DIR", async () => {
    const d = await decision({ kind: "fs.read", path: "notes.txt" }, ["--root", t.evil]);
    assert.equal(d.decision, "deny");
    assert.equal(d.rule, "default deny (filesystem.read_allow)");
    assert.ok(d.reason.includes(join(t.evil, "notes.txt")));
    const inRoot = await decision({ kind: "fs.read", path: "notes.txt" }, ["--root", t.root]);
    assert.equal(inRoot.decision, "allow");
  });

  it("human output: VERDICT: reason, then the rule", async () => {
    const r = await aegis(
      ["policy", "explain", file, "--op", JSON.stringify({ kind: "env.read", name: "GH_TOKEN" })],
      {
        cwd: t.root,
        home: t.home,
      },
    );
    assertExit(r, 0);
    assert.equal(
      r.stdout,
      `DENY: env.read denied: GH_TOKEN matches ${pre("environment.deny_vars", "GH_TOKEN")}\n  rule: ${pre("environment.deny_vars", "GH_TOKEN")}\n`,
    );
  });

  const badOps: [string, string][] = [
    ["not JSON", "{kind: fs.read}"],
    ["a JSON array", `[{"kind":"fs.read","path":"x"}]`],
    ["JSON null", "null"],
    ["a JSON string", `"fs.read"`],
    ["no kind", `{"path":"src/a.ts"}`],
    ["unknown kind", `{"kind":"fs.chmod","path":"src/a.ts"}`],
    ["fs op without a path", `{"kind":"fs.read"}`],
    ["fs op with a number path", `{"kind":"fs.read","path":1}`],
    ["net op with an unknown method", `{"kind":"net.http","method":"TRACE","url":"https://api.github.com/"}`],
    ["net op without a url", `{"kind":"net.http","method":"GET"}`],
    [
      "net op with resolved_ips as a string",
      `{"kind":"net.http","method":"GET","url":"https://a.com/","resolved_ips":"1.2.3.4"}`,
    ],
    [
      "net op with a number in resolved_ips",
      `{"kind":"net.http","method":"GET","url":"https://a.com/","resolved_ips":[2130706433]}`,
    ],
    ["env op without a name", `{"kind":"env.read"}`],
    ["exec with an empty argv", `{"kind":"subprocess.exec","argv":[]}`],
    ["exec with a number in argv", `{"kind":"subprocess.exec","argv":["git",1]}`],
    ["exec with argv as a string", `{"kind":"subprocess.exec","argv":"git status"}`],
    ["exec with a number cwd", `{"kind":"subprocess.exec","argv":["git"],"cwd":5}`],
  ];
  for (const [name, op] of badOps) {
    it(`bad op (${name}) → exit 5`, async () => {
      const r = await explain(op);
      assertExit(r, 5);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /^aegis: bad --op: /);
    });
  }

  it("explain without --op → exit 5", async () => {
    const r = await aegis(["policy", "explain", file], { cwd: t.root, home: t.home });
    assertExit(r, 5);
    assert.match(r.stderr, /needs --op JSON/);
  });

  it("explain against a bad policy → exit 5 with the policy errors", async () => {
    const r = await aegis([
      "policy",
      "explain",
      join(ERROR_DIR, "bad-cidrs.toml"),
      "--op",
      JSON.stringify({ kind: "env.read", name: "PATH" }),
    ]);
    assertExit(r, 5);
    assert.match(r.stderr, /3 errors in policy/);
  });

  it("explain of a subprocess whose argv escapes through a symlinked dir and ..", async () => {
    const d = await decision({ kind: "subprocess.exec", argv: ["cat", "ln-cli/../config"] });
    assert.equal(d.decision, "deny", d.reason);
    assert.equal(d.rule, pre("filesystem.deny", "~/.aws/**"));
  });
});
