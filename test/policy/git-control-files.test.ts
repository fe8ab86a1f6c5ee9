/**
 * Git runs what its repository configures. A script that can write .git/config
 * (core.fsmonitor, eval c05-087), a hook, .git/commondir or a `.git` file then gets an
 * allowed `git status` to run its command; so does `git config core.fsmonitor …` (eval
 * c05-099). `git clean -fdx` removes the .aegis/ directory with the audit log (eval c08-009).
 * Real policies, real decisions.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { ResolvedPolicy } from "../../src/policy/types.js";
import { del, exec, loadFile, makeTree, read, run, type Tree, write, writeFile } from "./helpers.js";

const GIT_DIR = "reserved: git directory";

describe("git control files and git clean", () => {
  let tree: Tree;
  let policy: ResolvedPolicy;
  let bare: ResolvedPolicy;
  let vars: Record<string, string>;
  before(() => {
    tree = makeTree("aegis-git-");
    // The operator even made .git/** (and everything else) writable.
    const body = `[filesystem]
read_allow = ["**"]
write_allow = ["src/**", ".git/**", "**/.git/**", ".gitignore", ".gitattributes", ".github/**"]
delete_allow = [".git/**", "src/**"]
deny = ["**/.aegis/**"]
[subprocess]
allow_commands = ["git"]
`;
    policy = loadFile(
      tree,
      writeFile(
        join(tree.root, "git.toml"),
        `inherits = "secure-defaults"\nrequires_approval = ["!subprocess.exec", "!fs.delete"]\n${body}`,
      ),
    );
    bare = loadFile(tree, writeFile(join(tree.root, "bare.toml"), body));
    writeFile(join(tree.root, ".git/config"), "[core]\n");
    writeFile(join(tree.root, ".git/HEAD"), "ref: refs/heads/main\n");
    vars = { ROOT: tree.root, HOME: tree.home };
  });
  after(() => tree.cleanup());

  const written: [string, ReturnType<typeof write>][] = [
    ["fs.write .git/config (core.fsmonitor) despite write_allow .git/**", write(".git/config")],
    ["fs.write .git/hooks/post-checkout", write(".git/hooks/post-checkout")],
    ["fs.write .git/commondir (points git at a planted config)", write(".git/commondir")],
    ["fs.write .git/info/attributes", write(".git/info/attributes")],
    ["fs.write .git/modules/lib/config (a submodule's git dir)", write(".git/modules/lib/config")],
    ["fs.write src/.git (a gitdir: file redirecting a nested repo)", write("src/.git")],
    ["fs.write src/vendor/.git/config (a nested repository)", write("src/vendor/.git/config")],
    ["fs.write .GIT/config (case variant)", write(".GIT/config")],
    ["fs.delete .git/config", del(".git/config")],
    ["fs.delete .git/HEAD", del(".git/HEAD")],
  ];
  for (const [name, op] of written) {
    it(`denies ${name}`, () => {
      for (const p of [policy, bare]) {
        const d = run(p, op, vars);
        assert.equal(d.decision, "deny", d.reason);
        assert.equal(d.rule, GIT_DIR);
        assert.match(d.reason, /inside a git directory/);
      }
    });
  }

  it("still lets the script read .git/config and write .gitignore, .gitattributes and .github/", () => {
    assert.equal(run(policy, read(".git/config"), vars).decision, "allow");
    for (const f of [".gitignore", ".gitattributes", ".github/workflows/ci.yml", "src/git/x.ts"]) {
      const d = run(policy, write(f), vars);
      assert.equal(d.decision, "allow", `${f}: ${d.reason}`);
    }
  });

  const cleaners: [string, string[], RegExp][] = [
    ["git clean -fdx (c08-009)", ["git", "clean", "-fdxq"], /"clean"/],
    ["git clean -n", ["git", "clean", "-n"], /"clean"/],
    ["git stash -u", ["git", "stash", "-u"], /"stash -u"/],
    [
      "git stash push --include-untracked",
      ["git", "stash", "push", "--include-untracked"],
      /"stash --include-untracked"/,
    ],
    ["git stash --all", ["git", "stash", "--all"], /"stash --all"|"stash -a"/],
    ["git stash -a", ["git", "stash", "-a"], /"stash -a"/],
  ];
  for (const [name, argv, entry] of cleaners) {
    it(`denies ${name}: it removes the untracked .aegis/ with the audit log`, () => {
      const d = run(policy, exec(...argv), vars);
      assert.equal(d.decision, "deny", d.reason);
      assert.match(d.rule, /^subprocess\.deny_args\.git /);
      assert.match(d.rule, entry);
      assert.match(d.rule, /\(secure-defaults\)$/);
    });
  }

  const configWriters: [string, string[], RegExp][] = [
    [
      "git config core.fsmonitor (then any git status runs it)",
      ["git", "config", "core.fsmonitor", "touch x"],
      /"config"/,
    ],
    ["git config alias.st '!touch x'", ["git", "config", "alias.st", "!touch x"], /"config"/],
    [
      "git clone --config core.fsmonitor=…",
      ["git", "clone", "--config", "core.fsmonitor=touch x", ".", "out/c"],
      /"--config(-env)?"/,
    ],
    [
      "git init --template=out/tpl (planted config and hooks)",
      ["git", "init", "--template=src/tpl", "out/r"],
      /"--template"/,
    ],
  ];
  for (const [name, argv, entry] of configWriters) {
    it(`denies ${name}`, () => {
      const d = run(policy, exec(...argv), vars);
      assert.equal(d.decision, "deny", d.reason);
      assert.match(d.rule, /^subprocess\.deny_args\.git /);
      assert.match(d.rule, entry);
    });
  }

  it("keeps ordinary git commands allowed", () => {
    for (const argv of [
      ["git", "status", "--short"],
      ["git", "stash"],
      ["git", "stash", "pop"],
      ["git", "diff", "--stat"],
      ["git", "commit", "-q", "-m", "Update changelog"],
    ]) {
      const d = run(policy, exec(...argv), vars);
      assert.equal(d.decision, "allow", `${argv.join(" ")}: ${d.reason}`);
    }
  });
});
