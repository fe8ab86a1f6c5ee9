/**
 * fs.read / fs.write on a FIFO must not hang the host (a blocking open of a FIFO waits for
 * the other end forever) and must not touch devices: refused before anything is opened.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AegisError } from "../../src/errors.js";
import { FS_BUILTINS } from "../../src/host/builtins/fs.js";
import { makeRun, type PolicyDir, policyFromToml } from "./net/run-context.js";

async function rejection(p: Promise<unknown>): Promise<AegisError> {
  const e = await p.then(
    () => assert.fail("expected a rejection"),
    (x: unknown) => x,
  );
  assert.ok(e instanceof AegisError, String(e));
  return e;
}

describe("FIFOs and other special files", () => {
  let pd: PolicyDir;
  before(async () => {
    pd = await policyFromToml(`
[filesystem]
read_allow = ["**"]
write_allow = ["**"]
deny = [".aegis/**", "aegis.toml"]
`);
    execFileSync("mkfifo", [join(pd.dir, "pipe")]);
  });
  after(() => pd.cleanup());

  it("fs.read of a FIFO with no writer is refused instead of blocking the host", async () => {
    const run = makeRun(pd.policy);
    const e = await rejection(FS_BUILTINS["fs.read"]!(["pipe"], run.ctx));
    assert.equal(e.kind, "io_error");
    assert.match(e.message, /not a regular file/);
  });

  it("fs.write to a FIFO with no reader is refused instead of blocking the host", async () => {
    const run = makeRun(pd.policy);
    const e = await rejection(FS_BUILTINS["fs.write"]!(["pipe", "data"], run.ctx));
    assert.equal(e.kind, "io_error");
    assert.match(e.message, /not a regular file/);
  });
});
