/**
 * The jail with real bubblewrap. Each attack is first shown to work unjailed (the control),
 * so a jail test cannot pass because the attack was broken to begin with.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { AegisError } from "../../src/errors.js";
import { type HostValue, isSealedRef } from "../../src/host/builtin-types.js";
import { createSubprocessBuiltins } from "../../src/host/builtins/subprocess.js";
import { loadPolicy } from "../../src/host/load-policy.js";
import { buildBwrapArgs } from "../../src/jail/bwrap-args.js";
import { blankFile, hostFsView } from "../../src/jail/fs-view.js";
import { diagnoseBwrapFailure, installFix, probeBwrap } from "../../src/jail/probe.js";
import { runProcess } from "../../src/jail/spawn.js";
import type { ResolvedPolicy } from "../../src/policy/types.js";
import { type Loopback, startHttp } from "../host/net/loopback.js";
import { makeRun, type PolicyDir, policyFromToml } from "../host/net/run-context.js";
import { dead, gone, pidsRunning } from "./processes.js";

const probe = await probeBwrap();
const skip = probe.ok
  ? false
  : `bubblewrap cannot run here: ${probe.ok ? "" : `${probe.reason}; ${probe.fix}`}`;
const exec = createSubprocessBuiltins()["subprocess.exec"]!;
type Result = { code: number | null; stdout: string; stderr: string };

// Child programs read their targets from stdin so that argv holds no path: the argv path
// gate cannot see them, only the jail can stop them.
const READ_FILE = `process.stdin.on("data",d=>{try{process.stdout.write(require("fs").readFileSync(String(d).trim(),"utf8"))}catch(e){console.error(e.code);process.exit(2)}})`;
const LIST_DIR = `process.stdin.on("data",d=>{try{console.log(require("fs").readdirSync(String(d).trim()).join())}catch(e){console.error(e.code);process.exit(2)}})`;
const WRITE_FILES = `process.stdin.on("data",d=>{let bad=0;for(const p of JSON.parse(d)){try{require("fs").writeFileSync(p,"jailed bytes")}catch(e){console.error(e.code);bad++}}process.exit(bad?3:0)})`;
const CONNECT = `process.stdin.on("data",d=>{const s=require("net").connect(Number(d),"127.0.0.1");s.on("connect",()=>{console.log("connected");process.exit(0)});s.on("error",e=>{console.error(e.code);process.exit(4)})})`;
const CONNECT_UNIX = `process.stdin.on("data",d=>{const s=require("net").connect(String(d).trim());s.on("data",b=>{console.log(String(b));process.exit(0)});s.on("error",e=>{console.error(e.code);process.exit(4)})})`;
const RENAME = `process.stdin.on("data",d=>{console.log(JSON.parse(d).map(([a,b])=>{try{require("fs").renameSync(a,b);return"ok"}catch(e){return e.code}}).join())})`;
const SETSID_SLEEP = `require("child_process").spawn("setsid",["sleep","4322"],{stdio:"ignore",detached:true}).unref();setTimeout(()=>{},300)`;
const FORK_SLEEP = `require("child_process").spawn("sleep",["4321"],{stdio:"ignore"});setInterval(()=>{},1000)`;

async function waitFor<T>(probe: () => T[], withinMs = 3_000): Promise<T[]> {
  const end = Date.now() + withinMs;
  for (;;) {
    const found = probe();
    if (found.length > 0 || Date.now() > end) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
}

function withSandbox(policy: ResolvedPolicy, sandbox: "none" | "bwrap"): ResolvedPolicy {
  return { ...policy, subprocess: { ...policy.subprocess, sandbox } };
}

async function run(
  policy: ResolvedPolicy,
  argv: string[],
  options: Record<string, HostValue> = {},
  env: Record<string, string> = {},
) {
  return (await exec([argv, options], makeRun(policy, env).ctx)) as Result;
}

describe("bubblewrap jail", { skip }, () => {
  let pd: PolicyDir;
  let jailed: ResolvedPolicy;
  let open: ResolvedPolicy;
  let server: Loopback;

  before(async () => {
    pd = await policyFromToml(`
[filesystem]
read_allow  = ["**"]
write_allow = ["out/**"]
deny        = ["secret.txt", "private/**", ".aegis/**"]

[environment]
allow_vars = ["LANG"]

[subprocess]
allow_commands = ["node", "env"]
sandbox        = "bwrap"

[runtime]
max_seconds = 20
`);
    jailed = pd.policy;
    open = withSandbox(jailed, "none");
    writeFileSync(join(pd.dir, "secret.txt"), "TOP-SECRET");
    mkdirSync(join(pd.dir, "private"));
    writeFileSync(join(pd.dir, "private", "notes.txt"), "PRIVATE-NOTES");
    mkdirSync(join(pd.dir, "out"));
    server = await startHttp("127.0.0.1");
  });
  after(async () => {
    await server.close();
    pd.cleanup();
  });

  it("stops a jailed child reading a denied file its argv does not name", async () => {
    const secret = join(pd.dir, "secret.txt");
    const control = await run(open, ["node", "-e", READ_FILE], { stdin: secret });
    assert.equal(control.stdout, "TOP-SECRET", "control: unjailed, the read works");
    const r = await run(jailed, ["node", "-e", READ_FILE], { stdin: secret });
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim(), "EACCES");
    assert.equal(r.stdout, "");
  });

  it("makes a jailed cat of a denied file fail (the jail alone, without the argv gate)", async () => {
    const secret = join(pd.dir, "secret.txt");
    const plan = await buildBwrapArgs({
      policy: jailed,
      command: ["/usr/bin/cat", secret],
      cwd: pd.dir,
      env: {},
      fs: hostFsView,
      blankFile: await blankFile(),
    });
    const r = await runProcess({
      file: "/usr/bin/cat",
      args: [secret],
      cwd: pd.dir,
      env: {},
      timeoutMs: 10_000,
      maxOutputBytes: 1 << 16,
      display: "cat",
      jail: { bwrapPath: probe.ok ? probe.bwrapPath : "bwrap", options: plan.options },
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Permission denied/);
    assert.equal(r.stdout, "");
  });

  it("stops a jailed child listing or reading a denied directory", async () => {
    const dir = join(pd.dir, "private");
    assert.match((await run(open, ["node", "-e", LIST_DIR], { stdin: dir })).stdout, /notes\.txt/);
    const list = await run(jailed, ["node", "-e", LIST_DIR], { stdin: dir });
    assert.equal(list.code, 2);
    assert.equal(list.stderr.trim(), "EACCES");
    const read = await run(jailed, ["node", "-e", READ_FILE], { stdin: join(dir, "notes.txt") });
    assert.equal(read.code, 2);
    assert.ok(!read.stdout.includes("PRIVATE"));
  });

  it("lets a jailed child write inside write_allow and nowhere else", async () => {
    const inside = join(pd.dir, "out", "ok.txt");
    const outside = join(pd.dir, "evil.txt");
    const elsewhere = `/var/tmp/aegis-escape-${process.pid}.txt`;
    const targets = JSON.stringify([inside, outside, elsewhere]);
    const control = await run(open, ["node", "-e", WRITE_FILES], { stdin: targets });
    assert.equal(control.code, 0, "control: unjailed, every write works");
    for (const p of [inside, outside, elsewhere]) rmSync(p);

    const r = await run(jailed, ["node", "-e", WRITE_FILES], { stdin: targets });
    assert.equal(r.code, 3);
    assert.deepEqual(r.stderr.trim().split("\n"), ["EROFS", "EROFS"]);
    assert.equal(readFileSync(inside, "utf8"), "jailed bytes");
    assert.equal(existsSync(outside), false);
    assert.equal(existsSync(elsewhere), false);
  });

  it("gives a jailed child no network: it cannot reach a loopback server on the host", async () => {
    const control = await run(open, ["node", "-e", CONNECT], { stdin: String(server.port) });
    assert.equal(control.stdout.trim(), "connected", "control: unjailed, the connection works");
    const before = server.connections;
    const r = await run(jailed, ["node", "-e", CONNECT], { stdin: String(server.port) });
    assert.equal(r.code, 4);
    assert.match(r.stderr.trim(), /^(ECONNREFUSED|ENETUNREACH|EADDRNOTAVAIL)$/);
    assert.equal(server.connections, before);
  });

  it("stops a jailed child reaching a host service through its Unix socket (docker.sock, the user's D-Bus, an ssh-agent)", async () => {
    // A socket file inside the project: visible (read-only) in the jail, like /run/docker.sock.
    const path = join(pd.dir, "service.sock");
    const service = createServer((c) => c.end("HOST-SERVICE-ANSWERED")).listen(path);
    await new Promise((r) => service.once("listening", r));
    try {
      const control = await run(open, ["node", "-e", CONNECT_UNIX], { stdin: path });
      assert.equal(control.stdout.trim(), "HOST-SERVICE-ANSWERED");
      const r = await run(jailed, ["node", "-e", CONNECT_UNIX], { stdin: path });
      assert.equal(r.code, 4);
      assert.equal(r.stderr.trim(), "EACCES");
      assert.equal(r.stdout, "");
    } finally {
      await new Promise((r) => service.close(r));
    }
  });

  it("passes a jailed child exactly its environment", async () => {
    const r = await run(
      jailed,
      ["env"],
      {},
      { LANG: "C.UTF-8", SECRET_TOKEN: "tok-123", LD_PRELOAD: "/x.so" },
    );
    const names = r.stdout
      .trim()
      .split("\n")
      .map((l) => l.slice(0, l.indexOf("=")))
      .sort();
    // PWD is set by bwrap's --chdir.
    assert.deepEqual(names, ["LANG", "PATH", "PWD"]);
  });

  it("kills everything the jailed child started when the deadline passes", async () => {
    const pending = exec([["node", "-e", FORK_SLEEP], { timeout_seconds: 1.5 }], makeRun(jailed).ctx);
    const started = await waitFor(() => pidsRunning(["sleep", "4321"]));
    assert.ok(started.length > 0, "the grandchild started");
    const e = await pending.then(
      () => assert.fail("expected a timeout"),
      (x: unknown) => x as AegisError,
    );
    assert.equal(e.kind, "runtime_limit");
    assert.ok(started.every(dead), `still running: ${started.join(", ")}`);
    for (const pid of started) assert.ok(await gone(pid));
  });

  it("kills a grandchild that left the process group (setsid) when the jailed child exits", async () => {
    // Unjailed, setsid escapes the group kill; the jail's PID namespace does not let it.
    const pending = exec([["node", "-e", SETSID_SLEEP]], makeRun(jailed).ctx);
    const started = await waitFor(() => pidsRunning(["sleep", "4322"]));
    const r = (await pending) as Result;
    assert.equal(r.code, 0);
    assert.ok(started.length > 0, "the grandchild started");
    for (const pid of started) assert.ok(await gone(pid), `setsid grandchild ${pid} survived`);
  });

  it("creates a missing write_allow directory for a jailed build (out/ before the first build), nothing wider", async () => {
    // legit-tests-09: the build's out/ did not exist, so it was not bound and the write failed.
    const build = await policyFromToml(`
[filesystem]
read_allow  = ["**"]
write_allow = ["build-out/**", "gen/deep/**"]
deny        = [".aegis/**"]
[subprocess]
allow_commands = ["node"]
sandbox        = "bwrap"
`);
    try {
      const targets = [
        join(build.dir, "build-out", "build.txt"),
        join(build.dir, "gen", "deep", "x.txt"),
        join(build.dir, "gen", "wider.txt"),
        join(build.dir, "evil.txt"),
      ];
      assert.equal(existsSync(join(build.dir, "build-out")), false);
      const r = await run(build.policy, ["node", "-e", WRITE_FILES], { stdin: JSON.stringify(targets) });
      assert.deepEqual(r.stderr.trim().split("\n"), ["EROFS", "EROFS"]);
      assert.equal(readFileSync(targets[0]!, "utf8"), "jailed bytes");
      assert.equal(readFileSync(targets[1]!, "utf8"), "jailed bytes");
      assert.equal(existsSync(targets[2]!), false, "the created parent gen/ stays read-only");
      assert.equal(existsSync(targets[3]!), false);
    } finally {
      build.cleanup();
    }
  });

  it("keeps the policy file read-only and the audit log hidden even when their directory is writable", async () => {
    // write_allow "*.md" binds the whole root read-write (the static prefix of **/*.md).
    const wide = await policyFromToml(`
[filesystem]
read_allow  = ["*.md"]
write_allow = ["*.md"]
[subprocess]
allow_commands = ["node"]
sandbox        = "bwrap"
`);
    try {
      mkdirSync(join(wide.dir, ".aegis"));
      writeFileSync(join(wide.dir, ".aegis", "audit.jsonl"), "{}\n");
      const policyFile = join(wide.dir, "aegis.toml");
      const before = readFileSync(policyFile, "utf8");
      const targets = [join(wide.dir, "notes.md"), policyFile, join(wide.dir, ".aegis", "audit.jsonl")];
      const w = await run(wide.policy, ["node", "-e", WRITE_FILES], { stdin: JSON.stringify(targets) });
      assert.equal(w.code, 3);
      assert.deepEqual(w.stderr.trim().split("\n"), ["EROFS", "EACCES"]);
      assert.equal(
        readFileSync(join(wide.dir, "notes.md"), "utf8"),
        "jailed bytes",
        "the writable directory works",
      );
      assert.equal(readFileSync(policyFile, "utf8"), before);
      assert.equal(readFileSync(join(wide.dir, ".aegis", "audit.jsonl"), "utf8"), "{}\n");
      const r = await run(wide.policy, ["node", "-e", READ_FILE], {
        stdin: join(wide.dir, ".aegis", "audit.jsonl"),
      });
      assert.equal(r.code, 2);
    } finally {
      wide.cleanup();
    }
  });
});

describe("bubblewrap jail: a local-only command", { skip }, () => {
  it("cannot write what it is given to a file a script reads in the clear; it writes only where every file is local-only", async () => {
    const pd = await policyFromToml(`
[filesystem]
read_allow      = ["out/**"]
write_allow     = ["out/**", "vault/**"]
local_only_read = ["vault/**"]
[subprocess]
local_only_commands = ["node"]
sandbox             = "bwrap"
`);
    try {
      mkdirSync(join(pd.dir, "out"));
      mkdirSync(join(pd.dir, "vault"));
      const leak = join(pd.dir, "out", "leak.cfg");
      const kept = join(pd.dir, "vault", "kept.txt");
      // Control: unjailed, the local-only command writes where fs.read returns plain text.
      const control = await run(withSandbox(pd.policy, "none"), ["node", "-e", WRITE_FILES], {
        stdin: JSON.stringify([leak]),
      });
      assert.equal(control.code, 0);
      assert.equal(readFileSync(leak, "utf8"), "jailed bytes");
      rmSync(leak);

      const r = await run(pd.policy, ["node", "-e", WRITE_FILES], { stdin: JSON.stringify([leak, kept]) });
      assert.equal(r.code, 3);
      assert.ok(isSealedRef(r.stderr as unknown as HostValue), "a local-only command's output is sealed");
      assert.equal(existsSync(leak), false);
      assert.equal(readFileSync(kept, "utf8"), "jailed bytes");
    } finally {
      pd.cleanup();
    }
  });
});

describe("bubblewrap jail: a local-only command and a literal local-only path", { skip }, () => {
  it("cannot write below a literal local-only entry that does not exist yet (it is not made a writable directory)", async () => {
    const pd = await policyFromToml(`
[filesystem]
read_allow      = ["cfg/**"]
write_allow     = ["cfg/**"]
local_only_read = ["cfg/token"]
[subprocess]
local_only_commands = ["node"]
sandbox             = "bwrap"
`);
    try {
      mkdirSync(join(pd.dir, "cfg"));
      const leak = join(pd.dir, "cfg", "token", "leak");
      const r = await run(pd.policy, ["node", "-e", WRITE_FILES], { stdin: JSON.stringify([leak]) });
      assert.equal(r.code, 3);
      assert.equal(existsSync(join(pd.dir, "cfg", "token")), false);
      // An existing literal file is bound writable itself (its content reads back sealed).
      writeFileSync(join(pd.dir, "cfg", "token"), "old");
      const w = await run(pd.policy, ["node", "-e", WRITE_FILES], {
        stdin: JSON.stringify([join(pd.dir, "cfg", "token"), join(pd.dir, "cfg", "other")]),
      });
      assert.equal(w.code, 3);
      assert.equal(readFileSync(join(pd.dir, "cfg", "token"), "utf8"), "jailed bytes");
      assert.equal(existsSync(join(pd.dir, "cfg", "other")), false);
    } finally {
      pd.cleanup();
    }
  });
});

describe("bubblewrap jail: directories above what it hides or keeps read-only", { skip }, () => {
  it("stops a jailed child renaming the directory above a denied or local-only file to read it under another name", async () => {
    const pd = await policyFromToml(`
[filesystem]
read_allow      = ["work/**"]
write_allow     = ["work/**"]
deny            = ["work/cfg/other.key"]
local_only_read = ["work/cfg/token.txt"]
[subprocess]
allow_commands = ["node"]
sandbox        = "bwrap"
`);
    try {
      const cfg = join(pd.dir, "work", "cfg");
      mkdirSync(cfg, { recursive: true });
      writeFileSync(join(cfg, "other.key"), "DENIED-KEY");
      writeFileSync(join(cfg, "token.txt"), "LOCAL-ONLY-TOKEN");
      const moves = JSON.stringify([
        [cfg, join(pd.dir, "work", "moved")],
        [join(pd.dir, "work"), join(pd.dir, "work2")],
      ]);
      // Control: unjailed, the move works (and is undone), so the jail is what stops it.
      const control = await run(withSandbox(pd.policy, "none"), ["node", "-e", RENAME], {
        stdin: JSON.stringify([[cfg, join(pd.dir, "work", "moved")]]),
      });
      assert.equal(control.stdout.trim(), "ok");
      renameSync(join(pd.dir, "work", "moved"), cfg);

      const r = await run(pd.policy, ["node", "-e", RENAME], { stdin: moves });
      const [inner, outer] = r.stdout.trim().split(",");
      assert.equal(inner, "EBUSY");
      // work/ itself is the writable bind, in the read-only root.
      assert.match(outer!, /^(EBUSY|EROFS)$/);
      assert.equal(readFileSync(join(cfg, "other.key"), "utf8"), "DENIED-KEY");
      assert.equal(readFileSync(join(cfg, "token.txt"), "utf8"), "LOCAL-ONLY-TOKEN");
      assert.equal(existsSync(join(pd.dir, "work", "moved")), false);
      // The files themselves cannot be moved either, and the rest of work/ stays writable.
      const files = await run(pd.policy, ["node", "-e", RENAME], {
        stdin: JSON.stringify([
          [join(cfg, "other.key"), join(pd.dir, "work", "k")],
          [join(cfg, "token.txt"), join(pd.dir, "work", "t")],
        ]),
      });
      // A file that is itself a mount point: EBUSY or, renamed onto another mount, EXDEV.
      for (const code of files.stdout.trim().split(",")) assert.match(code, /^(EBUSY|EXDEV)$/);
      assert.equal(readFileSync(join(cfg, "token.txt"), "utf8"), "LOCAL-ONLY-TOKEN");
      const w = await run(pd.policy, ["node", "-e", WRITE_FILES], {
        stdin: JSON.stringify([join(cfg, "new.txt"), join(pd.dir, "work", "new.txt")]),
      });
      assert.equal(w.code, 0, w.stderr);
    } finally {
      pd.cleanup();
    }
  });

  it("stops a jailed child moving the directory of an inherited policy file or of the audit log aside to plant its own", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aegis-jail-rename-"));
    try {
      mkdirSync(join(dir, "base"));
      mkdirSync(join(dir, "logs"));
      writeFileSync(join(dir, "base", "base.toml"), '[subprocess]\nallow_commands = ["node"]\n');
      writeFileSync(join(dir, "logs", "audit.jsonl"), "{}\n");
      writeFileSync(
        join(dir, "aegis.toml"),
        `inherits = "base/base.toml"\n[filesystem]\nread_allow = ["*.md"]\nwrite_allow = ["*.md"]\n[subprocess]\nsandbox = "bwrap"\n`,
      );
      // write_allow "*.md" binds the whole root read-write (the static prefix of the glob).
      const policy = await loadPolicy(join(dir, "aegis.toml"), {
        cwd: dir,
        home: dir,
        auditLog: join(dir, "logs", "audit.jsonl"),
      });
      const moves = [
        [join(dir, "base"), join(dir, "base-old")],
        [join(dir, "logs"), join(dir, "logs-old")],
        [join(dir, "base", "base.toml"), join(dir, "notes.md")],
      ];
      const r = await run(policy, ["node", "-e", RENAME], { stdin: JSON.stringify(moves) });
      const [base, logs, file] = r.stdout.trim().split(",");
      assert.deepEqual([base, logs], ["EBUSY", "EBUSY"]);
      assert.match(file!, /^(EBUSY|EXDEV)$/);
      assert.equal(
        readFileSync(join(dir, "base", "base.toml"), "utf8"),
        '[subprocess]\nallow_commands = ["node"]\n',
      );
      assert.equal(readFileSync(join(dir, "logs", "audit.jsonl"), "utf8"), "{}\n");
      assert.equal(existsSync(join(dir, "base-old")), false);
      assert.equal(existsSync(join(dir, "logs-old")), false);
      const w = await run(policy, ["node", "-e", WRITE_FILES], {
        stdin: JSON.stringify([join(dir, "notes.md")]),
      });
      assert.equal(w.code, 0, w.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("bwrap probe", () => {
  it("reports a missing bwrap with the install command for this machine", async () => {
    const empty = mkdtempSync(join(tmpdir(), "aegis-nobwrap-"));
    try {
      const r = await probeBwrap({ dirs: [empty] });
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.match(r.reason, /not installed/);
        assert.match(r.fix, /bubblewrap/);
      }
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("names the package manager's install command", () => {
    assert.equal(installFix({ managers: ["apt-get"] }), "install it: apt-get install -y bubblewrap");
    assert.equal(installFix({ managers: ["dnf"] }), "install it: dnf install -y bubblewrap");
    assert.equal(installFix({ managers: ["pacman"] }), "install it: pacman -S --noconfirm bubblewrap");
  });

  it("diagnoses Ubuntu's AppArmor user-namespace restriction with its sysctl", () => {
    const d = diagnoseBwrapFailure("bwrap: setting up uid map: Permission denied\n", {
      apparmorRestrict: "1\n",
    });
    assert.match(d.reason, /AppArmor/);
    assert.match(d.fix, /sysctl kernel\.apparmor_restrict_unprivileged_userns=0/);
    assert.match(d.fix, /AppArmor profile/);
  });

  it("diagnoses disabled unprivileged user namespaces with its sysctl", () => {
    const d = diagnoseBwrapFailure("bwrap: No permissions to creating new namespace", {
      unprivilegedClone: "0",
    });
    assert.match(d.fix, /sysctl kernel\.unprivileged_userns_clone=1/);
    const m = diagnoseBwrapFailure("bwrap: No permissions to creating new namespace", {
      maxUserNamespaces: "0",
    });
    assert.match(m.fix, /sysctl user\.max_user_namespaces=/);
  });

  it("works here (CI installs bubblewrap)", { skip }, () => {
    assert.equal(probe.ok, true);
  });
});
