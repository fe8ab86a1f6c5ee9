import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  appendFileSync,
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { type VerifyReport, verifyAuditLog } from "../../src/audit/verify.js";
import { AuditLog } from "../../src/audit/writer.js";
import { entry, finished, lastLineHash, printed, readLines, spawnFixture, tempDir } from "./helpers.js";

const sha256 = (s: string): string => createHash("sha256").update(s).digest("hex");

async function writeLog(path: string, n: number): Promise<string[]> {
  const log = AuditLog.open(path);
  for (let i = 1; i <= n; i++) await log.append(entry({ target: `/f/${i}` }));
  await log.close();
  return readLines(path);
}

test("a torn final line: the next writer terminates it and starts a new segment after it", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const lines = await writeLog(path, 3);
  const torn = lines[2]!.slice(0, 57).replace('"seq":3', '"seq":4');
  appendFileSync(path, torn);

  const log = AuditLog.open(path);
  await log.append(entry({ target: "/after-crash" }));
  await log.close();

  const after = readLines(path);
  assert.equal(after.length, 6);
  assert.equal(after[3], torn, "the torn bytes stay as they were, terminated by a newline");
  const marker = JSON.parse(after[4]!) as {
    seq: number;
    prev: string;
    cap: string;
    status: string;
    detail: unknown;
  };
  assert.equal(marker.seq, 4, "seq continues from the last good record");
  assert.equal(marker.prev, sha256(torn), "the new segment chains to the torn line's bytes");
  assert.equal(marker.cap, "audit.segment");
  assert.equal(marker.status, "errored");
  assert.deepEqual(marker.detail, {
    segment_after_torn_line: 4,
    torn_bytes: torn.length,
    note: "a writer was killed mid-write; line 4 is torn and a new segment starts after it",
  });
  const next = JSON.parse(after[5]!) as { seq: number; prev: string; target: string };
  assert.equal(next.seq, 5);
  assert.equal(next.prev, sha256(after[4]!));
  assert.equal(next.target, "/after-crash");

  const report = await verifyAuditLog(path);
  assert.equal(report.ok, false, "a torn line means the log is not fully intact");
  assert.equal(report.error!.line, 4);
  assert.match(report.error!.reason, /line 4 is torn or corrupt/);
  assert.deepEqual(report.torn, { lines: [4], chainAfterIntact: true });
  assert.equal(report.records, 5);
  assert.equal(report.lastSeq, 5);
});

test("a torn line at the very start of a new log: the segment starts at seq 1", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  writeFileSync(path, '{"v":1,"seq":1,"ts":"2026-');
  const log = AuditLog.open(path);
  await log.append(entry());
  await log.close();
  const lines = readLines(path);
  const marker = JSON.parse(lines[1]!) as { seq: number; prev: string };
  assert.equal(marker.seq, 1);
  assert.equal(marker.prev, sha256(lines[0]!));
  const report = await verifyAuditLog(path);
  assert.deepEqual(report.torn, { lines: [1], chainAfterIntact: true });
  assert.equal(report.lastSeq, 2);
});

test("a record complete but for its newline is kept: the chain continues without a new segment", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  await writeLog(path, 3);
  const bytes = readFileSync(path);
  writeFileSync(path, bytes.subarray(0, bytes.length - 1));
  const log = AuditLog.open(path);
  await log.append(entry({ target: "/next" }));
  await log.close();
  const lines = readLines(path);
  assert.equal(lines.length, 4);
  assert.equal((JSON.parse(lines[3]!) as { seq: number }).seq, 4);
  assert.deepEqual(await verifyAuditLog(path), {
    ok: true,
    records: 4,
    lastSeq: 4,
    lines: 4,
    lastHash: lastLineHash(path),
  });
});

test("a torn line after which someone forged the chain is reported as broken after it", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const lines = await writeLog(path, 3);
  // Line 2 overwritten with garbage: line 3 no longer chains to it.
  lines[1] = "garbage";
  writeFileSync(path, `${lines.join("\n")}\n`);
  const report = await verifyAuditLog(path);
  assert.equal(report.error!.line, 2);
  assert.equal(report.torn!.chainAfterIntact, false);
  assert.match(report.torn!.afterError!.reason, /seq 3 where 2 was expected/);
});

test("a writer that finds its own cached tail stale re-reads it (a torn line made by another process)", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const log = AuditLog.open(path);
  await log.append(entry({ target: "/1" }));
  appendFileSync(path, '{"v":1,"seq":2,"ts"');
  await log.append(entry({ target: "/2" }));
  await log.close();
  const report = await verifyAuditLog(path);
  assert.deepEqual(report.torn, { lines: [2], chainAfterIntact: true });
  assert.equal(report.lastSeq, 3);
});

/**
 * Starts a real writer appending multi-megabyte batches and SIGKILLs it the moment the file is
 * seen to end mid-line, i.e. while its write is in progress. Returns the report after the kill.
 */
async function killMidWrite(path: string): Promise<VerifyReport> {
  const child = spawnFixture("append-many.ts", [path, "0", "victim", "200000", "30"]);
  const done = finished(child);
  await printed(child, "ready");
  child.stdin!.write("go\n");
  while (!existsSync(path)) await new Promise((r) => setImmediate(r));
  const fd = openSync(path, "r");
  const last = Buffer.alloc(1);
  const deadline = performance.now() + 10_000;
  try {
    while (child.exitCode === null && performance.now() < deadline) {
      const size = fstatSync(fd).size;
      if (size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a) break;
    }
  } finally {
    child.kill("SIGKILL");
    closeSync(fd);
  }
  assert.equal((await done).signal, "SIGKILL");
  return verifyAuditLog(path);
}

test("a real writer killed with SIGKILL mid-write: the next writer starts a new segment after the torn line", async (t) => {
  const dir = tempDir(t);
  let path = "";
  let report: VerifyReport | undefined;
  // The kill lands while the write is in progress; rarely the write still completes first.
  for (let attempt = 0; attempt < 3 && (report === undefined || report.ok); attempt++) {
    path = join(dir, `audit-${attempt}.jsonl`);
    report = await killMidWrite(path);
  }
  assert.ok(report && !report.ok, "a SIGKILL during a multi-megabyte write left a torn line");
  assert.deepEqual(report.torn, { lines: [report.records + 1], chainAfterIntact: true });
  const tornLine = report.records + 1;

  // The victim may have died holding the lock; the survivor takes it over (its pid is dead).
  const log = AuditLog.open(path, { lockTimeoutMs: 5000 });
  await log.append(entry({ run: "survivor", target: "/after-kill" }));
  await log.close();

  const lines = readLines(path);
  assert.equal(lines.length, tornLine + 2);
  const marker = JSON.parse(lines[tornLine]!) as {
    seq: number;
    prev: string;
    detail: Record<string, unknown>;
  };
  assert.equal(marker.seq, report.lastSeq + 1);
  assert.equal(marker.prev, sha256(lines[tornLine - 1]!));
  assert.equal(marker.detail.segment_after_torn_line, tornLine);
  const survivor = JSON.parse(lines[tornLine + 1]!) as { seq: number; run: string };
  assert.deepEqual([survivor.seq, survivor.run], [report.lastSeq + 2, "survivor"]);

  const after = await verifyAuditLog(path);
  assert.equal(after.ok, false);
  assert.equal(after.error!.line, tornLine);
  assert.deepEqual(after.torn, { lines: [tornLine], chainAfterIntact: true });
  assert.equal(after.lastSeq, report.lastSeq + 2);
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.includes(".lock")),
    [],
    "the dead writer's lock was cleaned up",
  );
});
