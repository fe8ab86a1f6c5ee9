import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AegisError } from "../../../src/errors.js";
import { type HostValue, isSealedRef } from "../../../src/host/builtin-types.js";
import { SUBPROCESS_BUILTINS } from "../../../src/host/builtins/subprocess.js";
import { dead, gone } from "../../jail/processes.js";
import { makeRun, type PolicyDir, policyFromToml } from "../net/run-context.js";

const exec = SUBPROCESS_BUILTINS["subprocess.exec"]!;
type Result = { code: number | null; signal?: string; stdout: HostValue; stderr: HostValue };

async function rejection(p: Promise<unknown>): Promise<AegisError> {
  const e = await p.then(
    () => assert.fail("expected a rejection"),
    (x: unknown) => x,
  );
  assert.ok(e instanceof AegisError, String(e));
  return e;
}

/** Parses `env` output into a record. */
function envOf(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split("\n")
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

const HOST_ENV = {
  PATH: ".:/usr/bin:/bin",
  LANG: "C.UTF-8",
  USER_NAME: "alice",
  LD_PRELOAD: "/tmp/evil.so",
  NODE_OPTIONS: "--require /tmp/evil.js",
  GIT_CONFIG_COUNT: "1",
  GIT_CONFIG_KEY_0: "core.pager",
  GIT_CONFIG_VALUE_0: "touch /tmp/pwned",
  BASH_ENV: "/tmp/evil.sh",
  PAGER: "evil",
  AEGIS_AUDIT_KEY: "aegis-internal",
  OPENAI_API_KEY: "sk-local-only-123456",
  AWS_SECRET_ACCESS_KEY: "aws-denied-987654",
  SOME_TOKEN: "unlisted-555",
};

describe("subprocess.exec", () => {
  let pd: PolicyDir;
  before(async () => {
    pd = await policyFromToml(`
[filesystem]
read_allow  = ["**"]
write_allow = ["out/**"]
deny        = ["private/**", ".aegis/**"]

[environment]
allow_vars      = ["*"]
local_only_vars = ["OPENAI_API_KEY"]
deny_vars       = ["AWS_SECRET_ACCESS_KEY"]

[subprocess]
allow_commands      = ["git", "env", "sh", "cat", "yes", "false", "touch"]
local_only_commands = ["printenv"]

[runtime]
max_seconds      = 20
max_output_bytes = 65536
`);
    mkdirSync(join(pd.dir, "out"));
    mkdirSync(join(pd.dir, "private"));
    writeFileSync(join(pd.dir, "private", "key.txt"), "PRIVATE");
    // A planted binary named like an allowed command, in the working directory.
    writeFileSync(join(pd.dir, "git"), `#!/bin/sh\ntouch ${join(pd.dir, "PLANTED-RAN")}\necho planted\n`);
    chmodSync(join(pd.dir, "git"), 0o755);
  });
  after(() => pd.cleanup());

  const run = () => makeRun(pd.policy, HOST_ENV);

  it("never runs a planted ./git in the working directory in place of git, even with . in PATH", async () => {
    const r = run();
    const out = (await exec([["git", "--version"]], r.ctx)) as Result;
    assert.equal(out.code, 0);
    assert.match(String(out.stdout), /^git version /);
    assert.equal(existsSync(join(pd.dir, "PLANTED-RAN")), false);
    assert.equal(r.audit[0]?.detail?.executable, "/usr/bin/git");
    // Naming it by path is a different command, which the policy does not list.
    const e = await rejection(exec([["./git", "--version"]], r.ctx));
    assert.equal(e.kind, "policy_violation");
    assert.equal(existsSync(join(pd.dir, "PLANTED-RAN")), false);
  });

  it("path-gates a bare-word argument named like an Object.prototype key (constructor, toString, __proto__): a planted symlink to a denied file", async () => {
    const dir = join(pd.dir, "planted-names");
    mkdirSync(dir);
    for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      symlinkSync(join(pd.dir, "private", "key.txt"), join(dir, name));
      const r = run();
      const e = await rejection(exec([["cat", name], { cwd: dir }], r.ctx));
      assert.equal(e.kind, "policy_violation");
      assert.match(e.message, new RegExp(`argument "${name}" resolves to .*private/key\\.txt`));
      assert.equal(r.audit.at(-1)?.status, "denied");
    }
  });

  it('strips injection variables and aegis\'s own from the inherited environment, even under allow_vars = ["*"]', async () => {
    const out = (await exec([["env"]], run().ctx)) as Result;
    const env = envOf(String(out.stdout));
    for (const name of [
      "LD_PRELOAD",
      "NODE_OPTIONS",
      "GIT_CONFIG_COUNT",
      "GIT_CONFIG_KEY_0",
      "BASH_ENV",
      "PAGER",
      "AEGIS_AUDIT_KEY",
    ]) {
      assert.equal(env[name], undefined, `${name} reached the child`);
    }
    assert.equal(env.LANG, "C.UTF-8");
    assert.equal(env.USER_NAME, "alice");
  });

  it("does not pass secrets from the inherited environment (local-only, denied) to a normal command", async () => {
    const out = (await exec([["env"]], run().ctx)) as Result;
    const text = String(out.stdout);
    assert.ok(!text.includes("sk-local-only-123456"));
    assert.ok(!text.includes("aws-denied-987654"));
  });

  it("gives the child an absolute-only PATH", async () => {
    const out = (await exec([["env"]], run().ctx)) as Result;
    assert.equal(envOf(String(out.stdout)).PATH, "/usr/bin:/bin");
  });

  it("refuses injection variables set by the script unless allow_vars names them exactly", async () => {
    const r = run();
    for (const [name, value] of [
      ["LD_PRELOAD", "/tmp/evil.so"],
      ["GIT_SSH_COMMAND", "touch /tmp/pwned"],
      ["NODE_OPTIONS", "--require /tmp/x"],
      ["PYTHONSTARTUP", "/tmp/x.py"],
      ["HOME", "/tmp/fake-home"],
    ]) {
      const e = await rejection(exec([["env"], { env: { [name!]: value! } }], r.ctx));
      assert.equal(e.kind, "policy_violation", name);
      assert.match(e.message, new RegExp(`naming exactly "${name}"`));
    }
    assert.equal(r.audit.at(-1)?.status, "denied");
  });

  it("lets the script set an injection variable the policy names exactly", async () => {
    const exact = await policyFromToml(`
[environment]
allow_vars = ["GIT_PAGER"]
[subprocess]
allow_commands = ["env"]
`);
    try {
      const out = (await exec(
        [["env"], { env: { GIT_PAGER: "cat" } }],
        makeRun(exact.policy, {}).ctx,
      )) as Result;
      assert.equal(envOf(String(out.stdout)).GIT_PAGER, "cat");
    } finally {
      exact.cleanup();
    }
  });

  it("refuses a script-chosen PATH", async () => {
    const e = await rejection(exec([["env"], { env: { PATH: "/tmp/evil:/usr/bin" } }], run().ctx));
    assert.equal(e.kind, "policy_violation");
    assert.match(e.message, /PATH cannot be set by a script/);
  });

  it("refuses a sealed value in argv of a normal command before anything starts", async () => {
    const r = run();
    const key = r.secret("OPENAI_API_KEY", "sk-local-only-123456");
    const marker = join(pd.dir, "out", "sealed-marker");
    const e = await rejection(exec([["touch", marker, key]], r.ctx));
    assert.equal(e.kind, "policy_violation");
    assert.match(e.message, /sealed value cannot flow to touch/);
    assert.equal(existsSync(marker), false);
    assert.ok(!`${e.message}${r.visible()}`.includes("sk-local-only-123456"));
    assert.equal(r.ctx.calls.at(-1)?.target, `touch ${marker} [sealed OPENAI_API_KEY]`);
  });

  it("refuses a sealed value in env or stdin of a normal command", async () => {
    const r = run();
    const key = r.secret("OPENAI_API_KEY", "sk-local-only-123456");
    assert.equal((await rejection(exec([["env"], { env: { LANG: key } }], r.ctx))).kind, "policy_violation");
    assert.equal((await rejection(exec([["cat"], { stdin: key }], r.ctx))).kind, "policy_violation");
  });

  it("gives a local-only command the local-only variables and returns its output sealed", async () => {
    const r = run();
    const out = (await exec([["printenv", "OPENAI_API_KEY"]], r.ctx)) as Result;
    assert.equal(out.code, 0);
    assert.ok(isSealedRef(out.stdout));
    assert.equal(r.ctx.sealed.reveal(out.stdout), "sk-local-only-123456\n");
    assert.equal(r.ctx.redactor.redact("leak sk-local-only-123456"), "leak [REDACTED]");
    assert.equal(r.ctx.localOnlyRead, true);
    assert.ok(!r.visible().includes("sk-local-only-123456"));
  });

  it("returns a non-zero exit as a result, not an exception", async () => {
    const out = (await exec([["false"]], run().ctx)) as Result;
    assert.deepEqual(out, { code: 1, stdout: "", stderr: "" });
    const sig = (await exec([["sh", "-c", "kill -KILL $$"]], run().ctx)) as Result;
    assert.equal(sig.code, null);
    assert.equal(sig.signal, "SIGKILL");
  });

  it("kills the process group on timeout: the background grandchild does not survive", async () => {
    const r = run();
    const pidFile = join(pd.dir, "out", "gc.pid");
    const e = await rejection(
      exec([["sh", "-c", `sleep 100 & echo $! > ${pidFile}; wait`], { timeout_seconds: 0.5 }], r.ctx),
    );
    assert.equal(e.kind, "runtime_limit");
    const pid = Number(readFileSync(pidFile, "utf8"));
    assert.ok(dead(pid), "grandchild still running");
    assert.ok(await gone(pid));
    assert.equal(r.audit.at(-1)?.status, "errored");
  });

  it("caps output at runtime.max_output_bytes and kills the producer", async () => {
    const e = await rejection(exec([["yes"]], run().ctx));
    assert.equal(e.kind, "runtime_limit");
    assert.match(e.message, /max_output_bytes/);
  });

  it("denies an argv path outside the policy and a cwd it cannot read (argv path gate)", async () => {
    const r = run();
    assert.equal((await rejection(exec([["cat", "private/key.txt"]], r.ctx))).kind, "policy_violation");
    assert.equal((await rejection(exec([["cat", "x"], { cwd: "private" }], r.ctx))).kind, "policy_violation");
    assert.ok(r.audit.every((a) => a.status === "denied"));
  });

  it("rejects a command line given as one string (no shell) with a hint", async () => {
    const e = await rejection(exec(["git status"], run().ctx));
    assert.equal(e.kind, "script_error");
    assert.match(e.message, /\["git","status"\]/);
  });

  it("refuses a normal command after a local-only read when no_output_after_local_only_read is set", async () => {
    const strict = await policyFromToml(`
[filesystem]
read_allow = ["*"]
deny       = [".aegis/**"]
[subprocess]
allow_commands = ["touch"]
[runtime]
no_output_after_local_only_read = true
`);
    try {
      const r = makeRun(strict.policy, {});
      r.ctx.localOnlyRead = true;
      const marker = join(strict.dir, "after-secret");
      const e = await rejection(exec([["touch", marker]], r.ctx));
      assert.equal(e.kind, "policy_violation");
      assert.match(e.message, /no_output_after_local_only_read/);
      assert.equal(existsSync(marker), false);
    } finally {
      strict.cleanup();
    }
  });

  it("does not start after the run has ended", async () => {
    const r = run();
    r.controller.abort();
    const marker = join(pd.dir, "out", "after-end");
    const e = await rejection(exec([["touch", marker]], r.ctx));
    assert.equal(e.kind, "runtime_limit");
    assert.equal(existsSync(marker), false);
  });
});

/** Every 6-character piece of `secret` found in `text`; any longer fragment contains one. */
function fragmentsOf(secret: string, text: string): string[] {
  const found: string[] = [];
  for (let i = 0; i + 6 <= secret.length; i++) {
    const piece = secret.slice(i, i + 6);
    if (text.includes(piece)) found.push(piece);
  }
  return found;
}

describe("subprocess.exec never shows a piece of a sealed argv element", () => {
  // A base64-style secret: `/` inside, so `${key}/..` canonicalises to a prefix of it.
  const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  let pd: PolicyDir;
  before(async () => {
    pd = await policyFromToml(`
[filesystem]
read_allow = ["src/**"]

[environment]
local_only_vars = ["S3_SECRET"]

[subprocess]
allow_commands      = ["ls"]
local_only_commands = ["cat"]
`);
    mkdirSync(join(pd.dir, "src"));
    writeFileSync(join(pd.dir, "src", "ok.txt"), "public\n");
    symlinkSync(join(pd.dir, "nowhere"), join(pd.dir, "src", "dangleLinkX9"));
  });
  after(() => pd.cleanup());

  /**
   * Runs `argv` (`bytes` stands for one element sealed as S3_SECRET, the way
   * sealed`${key}…` composes it: the redactor knows only `secret`) and returns what the
   * caller sees of the refusal.
   */
  async function refusedWith(argv: string[], secret: string, bytes: string) {
    const r = makeRun(pd.policy, {});
    r.secret("S3_SECRET", secret);
    const ref = r.ctx.sealed.seal("S3_SECRET", bytes);
    const e = await rejection(exec([argv.map((a) => (a === "SEALED" ? ref : a))], r.ctx));
    assert.equal(e.kind, "policy_violation", e.message);
    const seen = `${e.message}\n${r.visible()}`;
    assert.deepEqual(fragmentsOf(secret, seen), [], seen);
    assert.ok(r.audit.length > 0 && r.audit.every((a) => a.status === "denied"));
    return e.message;
  }

  it("a sealed argv element ending in /.. never shows a prefix of the secret in the path-gate denial", async () => {
    for (const suffix of ["/..", "/../.."]) {
      const normal = await refusedWith(["ls", "SEALED"], SECRET, `${SECRET}${suffix}`);
      assert.match(normal, /sealed value cannot flow to ls/);
      const local = await refusedWith(["cat", "SEALED"], SECRET, `${SECRET}${suffix}`);
      assert.match(
        local,
        /argument \[sealed S3_SECRET\] is a path the policy does not allow \(fs\.read denied\)/,
      );
    }
  });

  it("a sealed argv element ending in /.. with a leading slash never shows a prefix of the secret", async () => {
    const normal = await refusedWith(["ls", "SEALED"], SECRET, `/${SECRET}/..`);
    assert.match(normal, /sealed value cannot flow to ls/);
    const local = await refusedWith(["cat", "SEALED"], SECRET, `/${SECRET}/..`);
    assert.match(local, /argument \[sealed S3_SECRET\] is a path the policy does not allow/);
  });

  it("a secret containing // or +/, -/, =/ never shows a fragment through the argv candidate rules", async () => {
    // `//` collapses when canonicalised; after `+`, `-`, `=` a candidate path starts at the
    // `/` (src/… itself is allowed, so the gate reaches the fragment).
    for (const secret of [
      "Qm9Xk2Lp//7Vw3ZrTb",
      "src/Zx8Kp3+/Lm5Nb7Vc",
      "src/Zx8Kp3-/Lm5Nb7Vc",
      "src/Zx8Kp3=/Lm5Nb7Vc",
    ]) {
      const normal = await refusedWith(["ls", "SEALED"], secret, secret);
      assert.match(normal, /sealed value cannot flow to ls/);
      const local = await refusedWith(["cat", "-n", "SEALED"], secret, secret);
      assert.match(local, /argument \[sealed S3_SECRET\] is a path the policy does not allow/);
    }
  });

  it("a sealed path argument to a local-only command is still path-gated (sealed /etc/shadow is denied) and the denial names only its label", async () => {
    const message = await refusedWith(["cat", "SEALED"], "/etc/shadow", "/etc/shadow");
    assert.match(message, /^subprocess\.exec cat denied: argument \[sealed S3_SECRET\] is a path/);
    // An allowed sealed path still runs, its output sealed.
    const r = makeRun(pd.policy, {});
    const out = (await exec([["cat", r.secret("S3_SECRET", "src/ok.txt")]], r.ctx)) as Result;
    assert.equal(out.code, 0);
    assert.ok(isSealedRef(out.stdout));
    assert.equal(r.ctx.sealed.reveal(out.stdout), "public\n");
  });

  it("a sealed argument inside a .git directory is refused by a message naming only its label", async () => {
    const secret = "src/.git/Hk4Tr9QpWm";
    const message = await refusedWith(["cat", "SEALED"], secret, secret);
    assert.match(message, /argument \[sealed S3_SECRET\] is inside a \.git directory/);
  });

  it("a sealed argument through a dangling symlink never shows the prefix that failed to resolve", async () => {
    const secret = "src/dangleLinkX9/Pq7Rs2TuVw";
    const message = await refusedWith(["cat", "SEALED"], secret, secret);
    assert.match(message, /argument \[sealed S3_SECRET\] cannot be resolved as a path/);
  });

  it("a sealed argv[0] is refused before any rule is decided on its bytes", async () => {
    const secret = "/usr/bin/Zx8Kp3QwLm5";
    const message = await refusedWith(["SEALED", "src/ok.txt"], secret, secret);
    assert.match(message, /argv\[0\] cannot be a sealed value/);
  });
});
