import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { verifyAuditLog } from "../../src/audit/verify.js";
import { AuditLog } from "../../src/audit/writer.js";
import { isAegisError } from "../../src/errors.js";
import {
  entry,
  finished,
  lastLineHash,
  printed,
  REPO_ROOT,
  readLines,
  spawnFixture,
  tempDir,
} from "./helpers.js";

async function fourWriters(path: string, mode = "plain"): Promise<void> {
  const children = ["w0", "w1", "w2", "w3"].map((run) =>
    spawnFixture("append-many.ts", [path, "200", run, "0", "1", mode]),
  );
  const results = children.map((c) => finished(c));
  await Promise.all(children.map((c) => printed(c, "ready")));
  for (const c of children) c.stdin!.write("go\n");
  for (const r of await Promise.all(results)) {
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /done/);
  }
}

function assertLinearChainOf800(path: string): void {
  const records = readLines(path).map(
    (l) => JSON.parse(l) as { seq: number; run: string; detail: { i: number } },
  );
  assert.deepEqual(
    records.map((r) => r.seq),
    Array.from({ length: 800 }, (_, i) => i + 1),
  );
  for (const run of ["w0", "w1", "w2", "w3"]) {
    const mine = records.filter((r) => r.run === run).map((r) => r.detail.i);
    assert.deepEqual(
      mine,
      Array.from({ length: 200 }, (_, i) => i),
      `records of ${run} complete and in order`,
    );
  }
  // The writers really overlapped (otherwise this test would not exercise the lock).
  const switches = records.filter((r, i) => i > 0 && r.run !== records[i - 1]!.run).length;
  assert.ok(switches > 3, `expected interleaved writers, saw ${switches} switches`);
}

/** `verify` accepts the log, the chain is the one of assertLinearChainOf800, and no lock is left. */
async function assertVerifiedChainOf800(path: string): Promise<void> {
  assert.deepEqual(await verifyAuditLog(path), {
    ok: true,
    records: 800,
    lastSeq: 800,
    lines: 800,
    lastHash: lastLineHash(path),
  });
  assertLinearChainOf800(path);
  assert.deepEqual(readdirSync(join(path, "..")), ["audit.jsonl"]);
}

test("4 processes appending 200 records each at once keep one linear chain of 800", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  await fourWriters(path);
  await assertVerifiedChainOf800(path);
});

test("4 processes appending like the gate (each outcome record deferred to the next append) keep one linear chain of 800", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  await fourWriters(path, "gate");
  await assertVerifiedChainOf800(path);
});

test("a stale lock found by 4 writers at once is broken once: the chain stays linear", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const dead = spawn(process.execPath, ["-e", ""]);
  await finished(dead);
  writeFileSync(`${path}.lock`, `${dead.pid} ${"0123456789abcdef"} ${hostname()}\n`);
  await fourWriters(path);
  await assertVerifiedChainOf800(path);
});

test("a live writer holding the lock too long makes append reject (fail closed), nothing is written", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const holder = spawnFixture("hold-lock.ts", [path, "hold"]);
  const done = finished(holder);
  t.after(() => holder.kill("SIGKILL"));
  await printed(holder, "locked");

  const log = AuditLog.open(path, { lockTimeoutMs: 300 });
  const started = performance.now();
  await assert.rejects(log.append(entry()), (e: unknown) => {
    assert.ok(isAegisError(e));
    assert.equal(e.kind, "io_error");
    assert.match(e.message, new RegExp(`held by pid ${holder.pid} and was not released within 300 ms`));
    return true;
  });
  assert.ok(performance.now() - started >= 290);
  assert.equal(existsSync(path), false, "no record was written");

  holder.kill("SIGKILL");
  await done;
  // Once the holder is dead its lock is stale and taken over.
  await log.append(entry({ target: "/after" }));
  await log.close();
  assert.deepEqual(await verifyAuditLog(path), {
    ok: true,
    records: 1,
    lastSeq: 1,
    lines: 1,
    lastHash: lastLineHash(path),
  });
});

test("a writer killed while holding the lock: its stale lock is taken over at once", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const victim = spawnFixture("hold-lock.ts", [path, "die"]);
  const result = await finished(victim);
  assert.equal(result.signal, "SIGKILL");
  assert.match(result.stdout, /locked/);
  assert.equal(existsSync(`${path}.lock`), true, "the dead writer left its lock behind");

  const log = AuditLog.open(path, { lockTimeoutMs: 1000 });
  await log.append(entry());
  await log.close();
  assert.deepEqual(await verifyAuditLog(path), {
    ok: true,
    records: 1,
    lastSeq: 1,
    lines: 1,
    lastHash: lastLineHash(path),
  });
  assert.deepEqual(
    readdirSync(join(path, "..")),
    ["audit.jsonl"],
    "lock and the dead owner's file are cleaned up",
  );
});

test("a short-lived writer (a hook) that exits without close() leaves no lock files behind", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const writer = join(REPO_ROOT, "src", "audit", "writer.ts");
  const code = `
    import { AuditLog } from ${JSON.stringify(writer)};
    const log = AuditLog.open(${JSON.stringify(path)});
    await log.append({ run: "h", source: "hook", cap: "fs.read", target: "/x", decision: "allow", rule: "", status: "allowed" });
    process.exit(0);`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
    cwd: REPO_ROOT,
  });
  const result = await finished(child);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(readdirSync(join(path, "..")), ["audit.jsonl"]);
  assert.deepEqual(await verifyAuditLog(path), {
    ok: true,
    records: 1,
    lastSeq: 1,
    lines: 1,
    lastHash: lastLineHash(path),
  });
});
