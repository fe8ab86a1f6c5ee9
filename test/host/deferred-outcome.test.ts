/**
 * The outcome record of a call is not waited for: it is written with the run's next record
 * (the next call's decision) or at the end of the event loop's turn. What must still hold:
 * every record lands in order on one chain, the run returns only once its outcome records are
 * written, and a record that could not be written stops every later effect of the run.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { verifyAuditLog } from "../../src/audit/verify.js";
import { AuditLog } from "../../src/audit/writer.js";
import { isAegisError } from "../../src/errors.js";
import type { AuditEntry, AuditSink } from "../../src/host/builtin-types.js";
import { FS_BUILTINS } from "../../src/host/builtins/fs.js";
import { runScript } from "../../src/host/engine/run-script.js";
import { outcomesWritten } from "../../src/host/gate.js";
import { readLines } from "../audit/helpers.js";
import { testServices } from "./engine/helpers.js";
import { makeRun, type PolicyDir, policyFromToml } from "./net/run-context.js";

/** Decision records are written; outcome records fail as on a disk that just filled up. */
class OutcomesFail implements AuditSink {
  readonly written: AuditEntry[] = [];
  async append(entry: AuditEntry): Promise<void> {
    this.written.push(entry);
  }
  async appendOutcome(): Promise<void> {
    throw new Error("EFBIG: file too large");
  }
}

describe("deferred outcome records", () => {
  let pd: PolicyDir;
  before(async () => {
    pd = await policyFromToml(`
[filesystem]
read_allow = ["**"]
write_allow = ["out/**"]
deny = [".aegis/**", "aegis.toml"]
`);
    writeFileSync(join(pd.dir, "a.txt"), "alpha");
  });
  after(() => pd.cleanup());

  it("a run's records land in call order on one valid chain, the last outcome before the result", async () => {
    const path = join(pd.dir, ".aegis", "chain.jsonl");
    const log = AuditLog.open(path);
    try {
      const services = testServices({
        policy: pd.policy,
        builtins: FS_BUILTINS,
        audit: log.withRedactor({ add: () => undefined, redact: (s) => s }),
      });
      const r = await runScript(
        {
          script: `for (let i = 0; i < 3; i++) await fs.read("a.txt");\nexport default await fs.exists("a.txt");`,
        },
        services,
      );
      assert.equal(r.ok, true, JSON.stringify(r.error));
      // Read before close(): the run itself waited for its outcome records.
      const records = readLines(path).map((l) => JSON.parse(l) as { cap: string; detail: { phase: string } });
      assert.deepEqual(
        records.map((x) => `${x.cap}:${x.detail.phase}`),
        [
          ...Array.from({ length: 3 }, () => ["fs.read:decision", "fs.read:outcome"]).flat(),
          "fs.exists:decision",
          "fs.exists:outcome",
        ],
      );
    } finally {
      await log.close();
    }
    assert.equal((await verifyAuditLog(path)).ok, true);
  });

  it("an outcome record that cannot be written stops the run's next effect (no bytes written)", async () => {
    const run = makeRun(pd.policy);
    const sink = new OutcomesFail();
    run.ctx.audit = sink;
    await FS_BUILTINS["fs.write"]!(["out/first.txt", "1"], run.ctx);
    assert.equal(readFileSync(join(pd.dir, "out", "first.txt"), "utf8"), "1");
    const second = await FS_BUILTINS["fs.write"]!(["out/second.txt", "2"], run.ctx).then(
      () => assert.fail("the second write should be refused"),
      (e: unknown) => e,
    );
    assert.ok(isAegisError(second), String(second));
    assert.equal(second.kind, "io_error");
    assert.match(second.message, /earlier audit record of this run was not written.*EFBIG/);
    assert.equal(existsSync(join(pd.dir, "out", "second.txt")), false);
    assert.equal(sink.written.length, 1, "no decision record for the refused call either");
    assert.match((await outcomesWritten(run.ctx))?.message ?? "", /EFBIG/);
  });

  it("a run whose outcome record could not be written fails with io_error", async () => {
    const r = await runScript(
      { script: `export default await fs.read("a.txt");` },
      testServices({ policy: pd.policy, builtins: FS_BUILTINS, audit: new OutcomesFail() }),
    );
    assert.equal(r.ok, false);
    assert.equal(r.kind, "io_error");
    assert.match(r.error?.message ?? "", /EFBIG/);
    assert.equal(r.value, undefined, "the value read is not returned");
  });
});
