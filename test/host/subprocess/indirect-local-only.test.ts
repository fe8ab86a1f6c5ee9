/**
 * A normal command must not read a local-only file by a name the argv gate does not see
 * as that file: a directory it walks, another hard link, a symlink under a directory,
 * git's `rev:path`. Real files, real commands, real git.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, linkSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { AegisError } from "../../../src/errors.js";
import { type HostValue, isSealedRef } from "../../../src/host/builtin-types.js";
import { FS_BUILTINS } from "../../../src/host/builtins/fs.js";
import { SUBPROCESS_BUILTINS } from "../../../src/host/builtins/subprocess.js";
import { buildLocalOnlyIndex, literalBase } from "../../../src/host/local-only-index.js";
import { SecretRedactor } from "../../../src/host/redact.js";
import { makeRun, type PolicyDir, policyFromToml } from "../net/run-context.js";

const exec = SUBPROCESS_BUILTINS["subprocess.exec"]!;
const SECRET = "vault-secret-Zq8Jd0XkP3mW7tYb";

async function refused(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => assert.fail("expected a refusal"),
    (x: unknown) => x,
  );
  assert.ok(e instanceof AegisError, String(e));
  assert.equal(e.kind, "policy_violation", e.message);
  return e.message;
}

describe("normal commands cannot read local-only files indirectly", () => {
  let pd: PolicyDir;
  before(async () => {
    pd = await policyFromToml(`
[filesystem]
read_allow = ["**"]
local_only_read = ["vault/**"]
deny = [".aegis/**"]
write_allow = ["out/**"]

[environment]
allow_vars = ["PATH", "HOME", "LANG"]

[subprocess]
allow_commands = ["grep", "tar", "cp", "cat", "ls", "git"]
`);
    const d = pd.dir;
    mkdirSync(join(d, "vault"));
    mkdirSync(join(d, "src"));
    mkdirSync(join(d, "links"));
    mkdirSync(join(d, "out"));
    writeFileSync(join(d, "vault", "secret.txt"), `${SECRET}\n`);
    writeFileSync(join(d, "src", "main.txt"), "public text\n");
    linkSync(join(d, "vault", "secret.txt"), join(d, "src", "hard.txt"));
    symlinkSync(join(d, "vault"), join(d, "links", "to-vault"));
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: d, stdio: "pipe" });
    git("init", "-q");
    git("add", "src/main.txt", "vault/secret.txt");
    git("commit", "-q", "-m", "init");
  });
  after(() => pd.cleanup());

  it("grep -r on the root: refused, the root holds vault/secret.txt", async () => {
    const run = makeRun(pd.policy, { PATH: "/usr/bin:/bin" });
    const why = await refused(exec([["grep", "-r", "-h", "-o", ".", "."]], run.ctx));
    assert.match(why, /holds the local-only file .*vault\/secret\.txt/);
    assert.ok(run.audit.some((a) => a.decision === "deny" && a.rule === "filesystem.local_only_read"));
  });

  it("tar of a parent spelled with ..: refused", async () => {
    const run = makeRun(pd.policy, { PATH: "/usr/bin:/bin" });
    await refused(exec([["tar", "-cf", "-", "src/.."]], run.ctx));
  });

  it("cp -r of the local-only directory by a bare name: refused, nothing copied", async () => {
    const run = makeRun(pd.policy, { PATH: "/usr/bin:/bin" });
    await refused(exec([["cp", "-r", "vault", "out/copy"]], run.ctx));
    assert.throws(() => execFileSync("ls", [join(pd.dir, "out", "copy")], { stdio: "pipe" }));
  });

  it("a hard link to the local-only file under a readable name: refused", async () => {
    const run = makeRun(pd.policy, { PATH: "/usr/bin:/bin" });
    const why = await refused(exec([["cat", "src/hard.txt"]], run.ctx));
    assert.match(why, /hard link to a local-only file/);
  });

  it("grep -R through a directory holding a symlink to the vault: refused", async () => {
    const run = makeRun(pd.policy, { PATH: "/usr/bin:/bin" });
    const why = await refused(exec([["grep", "-R", "S", "links"]], run.ctx));
    assert.match(why, /symlink leading to the local-only file/);
  });

  it("git show HEAD:vault/secret.txt (rev:path): refused", async () => {
    const run = makeRun(pd.policy, { PATH: "/usr/bin:/bin" });
    const why = await refused(exec([["git", "show", "HEAD:vault/secret.txt"]], run.ctx));
    assert.match(why, /names the local-only file/);
  });

  it("a working directory inside the vault: refused", async () => {
    const run = makeRun(pd.policy, { PATH: "/usr/bin:/bin" });
    await refused(exec([["grep", "-r", "-h", "S"], { cwd: "vault" }], run.ctx));
  });

  it("git log -p from the root: runs, and the redactor knows the committed secret", async () => {
    const run = makeRun(pd.policy, { PATH: "/usr/bin:/bin" });
    const r = (await exec([["git", "log", "-p"]], run.ctx)) as { code: HostValue; stdout: string };
    assert.equal(r.code, 0);
    assert.ok(r.stdout.includes(SECRET), "git prints the committed file; the output boundary redacts it");
    assert.ok(!run.ctx.redactor.redact(r.stdout).includes(SECRET));
  });

  it("still allows a directory that holds no local-only file, and a plain file", async () => {
    const run = makeRun(pd.policy, { PATH: "/usr/bin:/bin" });
    const r = (await exec([["grep", "-r", "public", "src/main.txt"]], run.ctx)) as { code: HostValue };
    assert.equal(r.code, 0);
    const l = (await exec([["ls", "out"]], run.ctx)) as { code: HostValue };
    assert.equal(l.code, 0);
  });
});

describe("local-only index", () => {
  it("literalBase cuts a glob back to its last literal directory", () => {
    assert.equal(literalBase("/w/p/vault/**"), "/w/p/vault");
    assert.equal(literalBase("/w/p/**/.env"), "/w/p");
    assert.equal(literalBase("/home/u/.config/app/token"), "/home/u/.config/app/token");
    assert.equal(literalBase("/*.key"), "/");
  });

  it("gives the redactor each local-only file's bytes, and lines of them", async () => {
    const pd = await policyFromToml(`
[filesystem]
read_allow = ["**"]
local_only_read = ["vault/**"]
deny = [".aegis/**"]
`);
    try {
      mkdirSync(join(pd.dir, "vault", "deep"), { recursive: true });
      writeFileSync(join(pd.dir, "vault", "deep", "k.env"), `A=1\nTOKEN=${SECRET}\n`);
      const redactor = new SecretRedactor();
      const index = buildLocalOnlyIndex(pd.policy, redactor);
      assert.equal(index.complete, true);
      assert.deepEqual(index.files, [join(pd.dir, "vault", "deep", "k.env")]);
      assert.equal(redactor.redact(`+TOKEN=${SECRET}`).includes(SECRET), false);
    } finally {
      pd.cleanup();
    }
  });
});

describe("in the bubblewrap jail, local-only files are hidden from normal commands", () => {
  let pd: PolicyDir;
  before(async () => {
    pd = await policyFromToml(`
[filesystem]
read_allow = ["**"]
local_only_read = ["vault/**"]
deny = [".aegis/**"]

[environment]
allow_vars = ["PATH", "HOME", "LANG"]

[subprocess]
allow_commands = ["grep"]
local_only_commands = ["cat"]
sandbox = "bwrap"
`);
    mkdirSync(join(pd.dir, "vault"));
    mkdirSync(join(pd.dir, "src"));
    writeFileSync(join(pd.dir, "vault", "secret.txt"), `${SECRET}\n`);
    writeFileSync(join(pd.dir, "src", "a.txt"), "vault-secret-public-line\n");
  });
  after(() => pd.cleanup());

  it("grep -r from the root (no directory argument) does not see vault/secret.txt", async () => {
    const run = makeRun(pd.policy, { PATH: "/usr/bin:/bin" });
    const r = (await exec([["grep", "-r", "-h", "vault-secret"]], run.ctx)) as {
      code: HostValue;
      stdout: string;
      stderr: string;
    };
    assert.match(r.stdout, /vault-secret-public-line/, "grep still finds the public match");
    assert.match(
      r.stderr,
      /vault: Permission denied/,
      "the vault is an empty, unreadable directory in the jail",
    );
    assert.ok(!r.stdout.includes(SECRET), r.stdout);
  });

  it("a local-only command still reads the file (its output is sealed)", async () => {
    const run = makeRun(pd.policy, { PATH: "/usr/bin:/bin" });
    const r = (await exec([["cat", "vault/secret.txt"]], run.ctx)) as { code: HostValue; stdout: HostValue };
    assert.equal(r.code, 0);
    assert.equal(typeof r.stdout, "object", "sealed");
  });
});

describe("a directory named as an option's value", () => {
  let pd: PolicyDir;
  before(async () => {
    pd = await policyFromToml(`
[filesystem]
read_allow = ["**"]
local_only_read = ["vault/**"]
deny = [".aegis/**"]

[subprocess]
allow_commands = ["tar"]
`);
    mkdirSync(join(pd.dir, "vault"));
    writeFileSync(join(pd.dir, "vault", "secret.txt"), `${SECRET}\n`);
  });
  after(() => pd.cleanup());

  for (const argv of [
    ["tar", "-Cvault", "-cf", "-", "secret.txt"],
    ["tar", "--directory=vault", "-cf", "-", "secret.txt"],
    ["tar", "-cCvault", "-f", "-", "secret.txt"],
    ["tar", "-cJCvault", "-f", "-", "secret.txt"],
  ]) {
    it(`is checked like a bare word: ${argv.join(" ")} (a glued or = value holding a local-only file)`, async () => {
      const run = makeRun(pd.policy);
      const message = await refused(exec([argv], run.ctx));
      assert.match(message, /argument "vault" is local-only/);
      assert.ok(!run.visible().includes(SECRET));
    });
  }
});

describe("a local-only file made during the run", () => {
  const KEY = "sk-live-ABCDEFGH-0123456789-index";
  let pd: PolicyDir;
  beforeEach(async () => {
    pd = await policyFromToml(`
[filesystem]
read_allow      = ["box/**"]
write_allow     = ["box/**"]
local_only_read = ["box/vault/**"]

[environment]
local_only_vars = ["MY_KEY"]

[subprocess]
allow_commands      = ["grep", "sleep"]
local_only_commands = ["sh"]
`);
    mkdirSync(join(pd.dir, "box", "vault"), { recursive: true });
    writeFileSync(join(pd.dir, "box", "readme.txt"), "hello\n");
  });
  afterEach(() => pd.cleanup());
  const fs = FS_BUILTINS;

  it("is not read back by a normal command through its directory after an earlier command built the index (grep -r)", async () => {
    const run = makeRun(pd.policy, { MY_KEY: KEY });
    // The first normal command builds the run's index while box/vault is empty.
    await exec([["grep", "-r", "nothing-here", "box"]], run.ctx);
    await fs["fs.write"]!(["box/vault/k.txt", run.secret("MY_KEY", KEY)], run.ctx);
    const message = await refused(exec([["grep", "-r", "-h", "sk-", "box"]], run.ctx));
    assert.match(message, /holds the local-only file .*box\/vault\/k\.txt/);
    assert.ok(!run.visible().includes(KEY));
  });

  it("cannot be a case variant of the local-only tree (box/VAULT/ for box/vault/**), which no index or jail would know to protect", async () => {
    const run = makeRun(pd.policy, { MY_KEY: KEY });
    const e = await fs["fs.write"]!(["box/VAULT/k.txt", run.secret("MY_KEY", KEY)], run.ctx).catch(
      (x: unknown) => x,
    );
    assert.ok(e instanceof AegisError);
    assert.equal(e.kind, "policy_violation");
    assert.match(e.message, /sealed value cannot flow to .*box\/VAULT\/k\.txt/);
    assert.equal(existsSync(join(pd.dir, "box", "VAULT")), false);
    // Plain text there is fine, and reads back sealed (the protection ignores case).
    await fs["fs.write"]!(["box/VAULT/plain.txt", "public"], run.ctx);
    assert.ok(isSealedRef(await fs["fs.read"]!(["box/VAULT/plain.txt"], run.ctx)));
  });

  it("is not read by a normal command that runs while the write is pending: they take turns", async () => {
    const run = makeRun(pd.policy, { MY_KEY: KEY });
    await exec([["grep", "-r", "nothing-here", "box"]], run.ctx);
    // Started together: the write goes first or waits for the command, never in the middle.
    const write = fs["fs.write"]!(["box/vault/k2.txt", run.secret("MY_KEY", KEY)], run.ctx);
    const grep = exec([["grep", "-r", "-h", "sk-", "box"]], run.ctx).then(
      (v) => ({ ok: true as const, v }),
      (e: unknown) => ({ ok: false as const, e }),
    );
    await write;
    const g = await grep;
    if (g.ok) assert.ok(!String((g.v as Record<string, HostValue>).stdout).includes("sk-live"));
    else assert.equal((g.e as AegisError).kind, "policy_violation");
    await refused(exec([["grep", "-r", "-h", "sk-", "box"]], run.ctx));
  });
});
