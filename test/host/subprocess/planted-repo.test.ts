/**
 * A script that may write files and run git must not be able to make git run its code:
 * a planted bare repository (config with a `!` alias or core.fsmonitor) is not picked up,
 * and no other command may write git's control files. Real git, real files.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AegisError } from "../../../src/errors.js";
import type { HostValue } from "../../../src/host/builtin-types.js";
import { SUBPROCESS_BUILTINS } from "../../../src/host/builtins/subprocess.js";
import { makeRun, type PolicyDir, policyFromToml } from "../net/run-context.js";

const exec = SUBPROCESS_BUILTINS["subprocess.exec"]!;

describe("planted git repositories", () => {
  let pd: PolicyDir;
  before(async () => {
    pd = await policyFromToml(`
[filesystem]
read_allow = ["**"]
write_allow = ["out/**"]
deny = [".aegis/**"]

[environment]
allow_vars = ["PATH", "HOME", "LANG"]

[subprocess]
allow_commands = ["git", "cp"]
`);
    const d = pd.dir;
    execFileSync("git", ["init", "-q"], { cwd: d });
    // What a script could write with fs.write under write_allow = ["out/**"]: a bare repository.
    const bare = join(d, "out", "evil");
    mkdirSync(join(bare, "objects"), { recursive: true });
    mkdirSync(join(bare, "refs", "heads"), { recursive: true });
    writeFileSync(join(bare, "HEAD"), "ref: refs/heads/main\n");
    writeFileSync(
      join(bare, "config"),
      `[core]\n\tbare = true\n\tfsmonitor = "touch ${join(d, "pwned-fsmonitor")}"\n[alias]\n\tevil = "!touch ${join(d, "pwned-alias")}"\n`,
    );
    writeFileSync(join(d, "out", "config"), `[alias]\n\tevil = "!touch ${join(d, "pwned-cp")}"\n`);
  });
  after(() => pd.cleanup());

  it("a `!` alias in a planted bare repository does not run (safe.bareRepository=explicit)", async () => {
    const run = makeRun(pd.policy, { PATH: "/usr/bin:/bin" });
    const r = (await exec([["git", "evil"], { cwd: "out/evil" }], run.ctx)) as {
      code: HostValue;
      stderr: string;
    };
    assert.notEqual(r.code, 0);
    assert.equal(existsSync(join(pd.dir, "pwned-alias")), false, "the alias ran");
  });

  it("core.fsmonitor of a planted bare repository does not run", async () => {
    const run = makeRun(pd.policy, { PATH: "/usr/bin:/bin" });
    await exec([["git", "status"], { cwd: "out/evil" }], run.ctx);
    assert.equal(existsSync(join(pd.dir, "pwned-fsmonitor")), false, "the fsmonitor ran");
  });

  it("cp onto .git/config is refused: only git works on a repository's control files", async () => {
    const run = makeRun(pd.policy, { PATH: "/usr/bin:/bin" });
    const e = await exec([["cp", "out/config", ".git/config"]], run.ctx).then(
      () => assert.fail("expected a refusal"),
      (x: unknown) => x,
    );
    assert.ok(e instanceof AegisError && e.kind === "policy_violation", String(e));
    assert.match(e.message, /inside a \.git directory/);
    const r = (await exec([["git", "evil"]], run.ctx)) as { code: HostValue };
    assert.notEqual(r.code, 0);
    assert.equal(existsSync(join(pd.dir, "pwned-cp")), false);
  });

  it("git in the project's own repository still works", async () => {
    const run = makeRun(pd.policy, { PATH: "/usr/bin:/bin" });
    const r = (await exec([["git", "status", "--short"]], run.ctx)) as { code: HostValue };
    assert.equal(r.code, 0);
  });
});
