/**
 * Real-filesystem canonicalisation (security.md class 3: path tricks). Every request is
 * made absolute, `~` expanded, `..` resolved, then resolved through the deepest existing
 * ancestor with symlinks followed — and the decision is taken on that canonical path.
 */
import assert from "node:assert/strict";
import { closeSync, linkSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AegisError } from "../../src/errors.js";
import { canonicalPath, canonicalPathSync, MAX_PATH_LENGTH } from "../../src/host/paths.js";
import { decide } from "../../src/policy/decide.js";
import type { ResolvedPolicy } from "../../src/policy/types.js";
import { link, loadFile, makeTree, type Tree, writeFile } from "../policy/helpers.js";

function throwsKind(fn: () => unknown, kind: string, pattern?: RegExp): AegisError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof AegisError, `expected an AegisError, got ${String(caught)}`);
  assert.equal(caught.kind, kind, caught.message);
  if (pattern) assert.match(caught.message, pattern);
  return caught;
}

describe("canonicalPathSync on a real tree", () => {
  let t: Tree;
  let policy: ResolvedPolicy;
  let base: { root: string; home: string };
  const canon = (p: string, cwd?: string) => canonicalPathSync(p, cwd ? { ...base, cwd } : base);
  const read = (p: string) => decide(policy, { kind: "fs.read", path: canon(p) });

  before(() => {
    t = makeTree("aegis-paths-");
    base = { root: t.root, home: t.home };
    mkdirSync(join(t.root, "sub/inner"), { recursive: true });
    link(join(t.root, "ln-ssh"), join(t.root, "chain-1"));
    link(join(t.root, "chain-1"), join(t.root, "chain-2"));
    link("../src", join(t.root, "sub/up-src"));
    link(join(t.root, "loop-b"), join(t.root, "loop-a"));
    link(join(t.root, "loop-a"), join(t.root, "loop-b"));
    link(join(t.home, ".ssh/missing-key"), join(t.root, "dangling-into-ssh"));
    link(t.evil, join(t.root, "to-evil"));
    writeFile(
      join(t.root, "aegis.toml"),
      `inherits = "secure-defaults"\n[filesystem]\nread_allow = ["**"]\nwrite_allow = ["out/**"]\n`,
    );
    policy = loadFile(t, join(t.root, "aegis.toml"));
  });
  after(() => t.cleanup());

  it("makes a relative path absolute against the root", () => {
    assert.equal(canon("src/a.ts"), join(t.root, "src/a.ts"));
    assert.equal(canon("./src/./a.ts"), join(t.root, "src/a.ts"));
  });

  it("resolves a relative path against cwd when one is given", () => {
    assert.equal(canon("a.ts", join(t.root, "src")), join(t.root, "src/a.ts"));
    assert.equal(canon("/etc/hostname", join(t.root, "src")), "/etc/hostname");
  });

  it("collapses duplicate slashes and drops a trailing slash", () => {
    assert.equal(canon(`${t.root}//src///deep/`), join(t.root, "src/deep"));
  });

  it("resolves .. and cannot climb above /", () => {
    assert.equal(canon("src/../notes.txt"), join(t.root, "notes.txt"));
    assert.equal(canon("/../../../etc/hostname"), "/etc/hostname");
  });

  it(".. escapes out of the root are visible on the canonical path (and denied)", () => {
    assert.equal(canon("../home/.netrc"), join(t.home, ".netrc"));
    const d = read("src/../../home/.aws/credentials");
    assert.equal(d.decision, "deny");
    assert.equal(d.rule, 'filesystem.deny "~/.aws/**" (secure-defaults)');
  });

  it("expands ~ and ~/… to the home directory", () => {
    assert.equal(canon("~"), t.home);
    assert.equal(canon("~/"), t.home);
    assert.equal(canon("~/.ssh/id_rsa"), join(t.home, ".ssh/id_rsa"));
    assert.equal(canon("~/.ssh/../.netrc"), join(t.home, ".netrc"));
  });

  it("does not expand ~user or a ~ in the middle (those are literal names under the root)", () => {
    assert.equal(canon("~root/.ssh"), join(t.root, "~root/.ssh"));
    assert.equal(canon("src/~/x"), join(t.root, "src/~/x"));
  });

  it("symlink to a denied file: the canonical path is the target, and the decision is deny", () => {
    assert.equal(canon("ln-ssh"), join(t.home, ".ssh/id_rsa"));
    const d = read("ln-ssh");
    assert.equal(d.decision, "deny");
    assert.equal(d.rule, 'filesystem.deny "~/.ssh/**" (secure-defaults)');
  });

  it("a chain of symlinks is followed to the end", () => {
    assert.equal(canon("chain-2"), join(t.home, ".ssh/id_rsa"));
    assert.equal(read("chain-2").decision, "deny");
  });

  it("symlinked parent directory: existing and not-yet-existing children resolve under the target", () => {
    assert.equal(canon("ln-aws/credentials"), join(t.home, ".aws/credentials"));
    assert.equal(canon("ln-aws/not-yet/new.txt"), join(t.home, ".aws/not-yet/new.txt"));
    const d = decide(policy, { kind: "fs.write", path: canon("outlink/authorized_keys") });
    assert.equal(d.decision, "deny");
    assert.equal(d.rule, 'filesystem.deny "~/.ssh/**" (secure-defaults)');
  });

  it("a relative symlink target is resolved from the link's directory", () => {
    assert.equal(canon("sub/up-src/a.ts"), join(t.root, "src/a.ts"));
    assert.equal(canon("rel-src/deep/x/y.ts"), join(t.root, "src/deep/x/y.ts"));
  });

  it("a symlink leaving the root to the look-alike sibling is judged by its target", () => {
    assert.equal(canon("to-evil/src/a.ts"), join(t.evil, "src/a.ts"));
    const d = read("to-evil/src/a.ts");
    assert.equal(d.decision, "deny");
    assert.equal(d.rule, "default deny (filesystem.read_allow)");
  });

  it("dangling symlink as a write target throws policy_violation", () => {
    throwsKind(() => canon("dl"), "policy_violation", /dangling symlink/);
    throwsKind(() => canon("dangling-into-ssh"), "policy_violation", /dangling symlink/);
  });

  it("a path below a dangling symlink throws policy_violation", () => {
    throwsKind(() => canon("dl/a/b.txt"), "policy_violation", /dangling symlink/);
  });

  it("a symlink loop is refused with an AegisError, not a hang or a raw errno", () => {
    const e = throwsKind(() => canon("loop-a/x"), "io_error");
    assert.match(e.message, /ELOOP/);
  });

  it("root prefix: /w/proj and /w/proj-evil are different trees", () => {
    assert.equal(canon(join(t.evil, "src/a.ts")), join(t.evil, "src/a.ts"));
    assert.ok(!canon(join(t.evil, "src/a.ts")).startsWith(`${t.root}/`));
    for (const p of [join(t.evil, "src/a.ts"), "../proj-evil/notes.txt", `${t.root}-evil/src/a.ts`]) {
      const d = read(p);
      assert.equal(d.decision, "deny", p);
      assert.equal(d.rule, "default deny (filesystem.read_allow)");
    }
    assert.equal(read("src/a.ts").decision, "allow");
  });

  it("NUL byte in a path throws policy_violation", () => {
    throwsKind(() => canon("src/a.ts\0.png"), "policy_violation", /NUL/);
    throwsKind(() => canon("\0"), "policy_violation", /NUL/);
  });

  it("empty and non-string paths throw policy_violation", () => {
    throwsKind(() => canon(""), "policy_violation", /empty/);
    throwsKind(() => canonicalPathSync(42, base), "policy_violation", /string/);
    throwsKind(() => canonicalPathSync(undefined, base), "policy_violation", /string/);
  });

  it("a path longer than the limit throws policy_violation before touching the disk", () => {
    throwsKind(() => canon(`src/${"a/".repeat(MAX_PATH_LENGTH)}`), "policy_violation", /longer than/);
    throwsKind(() => canon("x".repeat(MAX_PATH_LENGTH + 1)), "policy_violation", /longer than/);
  });

  it("a long path within the limit of short, missing components resolves lexically", () => {
    const raw = `src/${"d/".repeat(1500)}f`;
    assert.ok(raw.length <= MAX_PATH_LENGTH);
    assert.equal(canon(raw), join(t.root, raw));
  });

  it("a component longer than NAME_MAX fails closed with an AegisError", () => {
    let out: string | undefined;
    try {
      out = canon(`src/${"n".repeat(300)}/x`);
    } catch (e) {
      assert.ok(e instanceof AegisError, String(e));
      return;
    }
    // Treating it as a missing path is also acceptable: it can never exist.
    assert.equal(out, join(t.root, "src", "n".repeat(300), "x"));
  });

  it("/proc/self/root/… resolves to the real path (and is judged there)", () => {
    assert.equal(canon("/proc/self/root/etc/hostname"), "/etc/hostname");
    assert.equal(canon(`/proc/self/root${t.home}/.ssh/id_rsa`), join(t.home, ".ssh/id_rsa"));
    const d = read(`/proc/self/root${t.home}/.ssh/id_rsa`);
    assert.equal(d.decision, "deny");
    assert.equal(d.rule, 'filesystem.deny "~/.ssh/**" (secure-defaults)');
  });

  it("/proc/self/fd/N resolves to the file the descriptor has open", () => {
    const fd = openSync(join(t.home, ".netrc"), "r");
    try {
      assert.equal(canon(`/proc/self/fd/${fd}`), join(t.home, ".netrc"));
      assert.equal(read(`/proc/self/fd/${fd}`).rule, 'filesystem.deny "~/.netrc" (secure-defaults)');
    } finally {
      closeSync(fd);
    }
  });

  it("/proc/self/cwd/… resolves to the process working directory", () => {
    assert.equal(canon("/proc/self/cwd/package.json"), join(process.cwd(), "package.json"));
  });

  it("case variants keep their case on the canonical path, and deny matching ignores case", () => {
    assert.equal(canon("~/.SSH/id_rsa"), join(t.home, ".SSH/id_rsa"));
    const d = read("~/.SSH/id_rsa");
    assert.equal(d.decision, "deny");
    assert.equal(d.rule, 'filesystem.deny "~/.ssh/**" (secure-defaults)');
  });

  it("a path through a regular file keeps the rest lexically", () => {
    assert.equal(canon("notes.txt/x"), join(t.root, "notes.txt/x"));
  });

  it("creating a protected file that does not exist yet is judged on its future path", () => {
    assert.equal(canon("src/new/.env"), join(t.root, "src/new/.env"));
    const d = decide(policy, { kind: "fs.write", path: canon("out/deeper/.env") });
    assert.equal(d.decision, "deny");
    assert.equal(d.rule, 'filesystem.deny ".env" (secure-defaults)');
  });

  it("canonicalPath (async) agrees with canonicalPathSync", async () => {
    for (const p of ["src/a.ts", "ln-ssh", "~/.aws", "../proj-evil", "/proc/self/root/etc"]) {
      assert.equal(await canonicalPath(p, base), canon(p));
    }
    await assert.rejects(
      canonicalPath("dl", base),
      (e: unknown) => e instanceof AegisError && e.kind === "policy_violation",
    );
  });

  // Hard links are not visible to path canonicalisation: a second name for the same
  // inode is a different path. The runtime closes this at open time (it refuses files
  // with more than one link, see host/builtins/fs.ts); this test only pins the fact.
  it("hard link note: a hard link to a denied file canonicalises to its own name", () => {
    const hl = join(t.root, "src/hardlink-to-netrc");
    linkSync(join(t.home, ".netrc"), hl);
    assert.equal(canon("src/hardlink-to-netrc"), hl);
    assert.equal(read("src/hardlink-to-netrc").decision, "allow", "decide cannot see hard links");
  });

  // Kernel path resolution applies `..` after following a symlink; lexical resolution
  // applies it before. `ln-cli` → ~/.aws/cli, so `ln-cli/../config` opens ~/.aws/config.
  // The fs builtins open the canonical (lexical) path, so they are consistent; anything
  // that hands the *raw* string to the kernel (subprocess argv, Claude's native tools
  // via the hook) is not. See the argv cases in test/policy/decide-table.test.ts.
  it("documents: .. after a symlink is resolved lexically (differs from the kernel's view)", () => {
    assert.equal(canon("ln-cli/../config"), join(t.root, "config"));
  });
});
