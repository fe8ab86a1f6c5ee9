/**
 * The check-then-use race in the fs builtins: a program the run started (jailed or not)
 * swaps a parent directory for a symlink after the gate decided on the canonical path.
 * The swap is made deterministic here by doing it inside the confirmation prompt, which the
 * gate awaits after the decision record and before the effect. Real files and symlinks.
 */
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { AegisError } from "../../src/errors.js";
import type { HostValue } from "../../src/host/builtin-types.js";
import { FS_BUILTINS } from "../../src/host/builtins/fs.js";
import { makeRun, type PolicyDir, policyFromToml } from "./net/run-context.js";

const POLICY = `
requires_approval = ["fs.read", "fs.write", "fs.list", "fs.exists", "fs.delete"]
[filesystem]
read_allow   = ["work/**"]
write_allow  = ["work/**"]
delete_allow = ["work/tmp/**"]
`;

describe("fs builtins against a parent directory swapped for a symlink after the check", () => {
  let pd: PolicyDir;
  let outside: string;
  let tmp: string;

  beforeEach(async () => {
    pd = await policyFromToml(POLICY);
    outside = join(pd.dir, "precious");
    mkdirSync(outside);
    writeFileSync(join(outside, "victim"), "keep me");
    writeFileSync(join(outside, "secret-name"), "s3cr3t");
    tmp = join(pd.dir, "work", "tmp");
    mkdirSync(tmp, { recursive: true });
    writeFileSync(join(tmp, "victim"), "decoy");
  });
  afterEach(() => pd.cleanup());

  /** Runs `name` with the swap done while the gate waits for the confirmation. */
  async function withSwap(name: string, args: HostValue[]): Promise<unknown> {
    const run = makeRun(pd.policy);
    run.ctx.confirm = async () => {
      renameSync(tmp, `${tmp}.real`);
      symlinkSync(outside, tmp);
      return true;
    };
    return FS_BUILTINS[name]!(args, run.ctx).then(
      (v) => v,
      (e: unknown) => e,
    );
  }

  const refused = (e: unknown) => {
    assert.ok(e instanceof AegisError, String(e));
    assert.equal(e.kind, "policy_violation");
    assert.match(e.message, /changed after the check/);
  };

  it("fs.delete never removes a file outside delete_allow (or the audit log) through the swapped parent", async () => {
    refused(await withSwap("fs.delete", ["work/tmp/victim"]));
    assert.equal(readFileSync(join(outside, "victim"), "utf8"), "keep me");
    assert.equal(readFileSync(join(`${tmp}.real`, "victim"), "utf8"), "decoy");
  });

  it("fs.write never creates a file outside write_allow through the swapped parent", async () => {
    refused(await withSwap("fs.write", ["work/tmp/created.txt", "x"]));
    assert.equal(existsSync(join(outside, "created.txt")), false);
    assert.deepEqual(readdirSync(outside).sort(), ["secret-name", "victim"]);
  });

  it("fs.write never creates a missing parent directory outside write_allow through the swapped parent", async () => {
    refused(await withSwap("fs.write", ["work/tmp/new/dir/created.txt", "x"]));
    assert.deepEqual(readdirSync(outside).sort(), ["secret-name", "victim"]);
  });

  it("fs.list never lists the names of a directory outside read_allow through the swapped path", async () => {
    refused(await withSwap("fs.list", ["work/tmp"]));
  });

  it("fs.read and fs.exists never reach a file outside read_allow through the swapped parent", async () => {
    refused(await withSwap("fs.read", ["work/tmp/victim"]));
    renameSync(tmp, join(pd.dir, "work", "gone"));
    renameSync(`${tmp}.real`, tmp);
    refused(await withSwap("fs.exists", ["work/tmp/secret-name"]));
  });

  it("still works when nothing is swapped (the pinned parent is the checked one)", async () => {
    const run = makeRun(pd.policy);
    assert.equal(await FS_BUILTINS["fs.write"]!(["work/tmp/new/a.txt", "hello"], run.ctx), 5);
    assert.equal(await FS_BUILTINS["fs.read"]!(["work/tmp/new/a.txt"], run.ctx), "hello");
    assert.equal(await FS_BUILTINS["fs.exists"]!(["work/tmp/new/a.txt"], run.ctx), true);
    assert.equal(await FS_BUILTINS["fs.exists"]!(["work/tmp/new/b.txt"], run.ctx), false);
    // Below a regular file: simply not there (not "changed after the check").
    assert.equal(await FS_BUILTINS["fs.exists"]!(["work/tmp/new/a.txt/x"], run.ctx), false);
    const names = ((await FS_BUILTINS["fs.list"]!(["work/tmp"], run.ctx)) as { name: string }[]).map(
      (e) => e.name,
    );
    assert.deepEqual(names, ["new", "victim"]);
    assert.equal(await FS_BUILTINS["fs.delete"]!(["work/tmp/victim"], run.ctx), true);
    assert.equal(existsSync(join(tmp, "victim")), false);
    // An error names the real path, not the descriptor path it went through.
    const gone = await FS_BUILTINS["fs.delete"]!(["work/tmp/victim"], run.ctx).catch((e: Error) => e);
    assert.ok(gone instanceof Error);
    assert.match(gone.message, /work\/tmp\/victim/);
    assert.doesNotMatch(gone.message, /\/proc\/self\/fd/);
  });
});
