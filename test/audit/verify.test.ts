import assert from "node:assert/strict";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { verifyAuditLog } from "../../src/audit/verify.js";
import { AuditLog } from "../../src/audit/writer.js";
import { isAegisError } from "../../src/errors.js";
import { entry, lastLineHash, readLines, tempDir } from "./helpers.js";

async function writeLog(path: string, n: number): Promise<string[]> {
  const log = AuditLog.open(path);
  for (let i = 1; i <= n; i++) {
    await log.append(entry({ target: `/work/p/file-${i}`, decision: i % 3 === 0 ? "deny" : "allow" }));
  }
  await log.close();
  return readLines(path);
}

function rewrite(path: string, lines: string[]): void {
  writeFileSync(path, `${lines.join("\n")}\n`);
}

test("an intact log verifies", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  await writeLog(path, 10);
  const lastHash = lastLineHash(path);
  assert.deepEqual(await verifyAuditLog(path), { ok: true, records: 10, lastSeq: 10, lines: 10, lastHash });
  assert.deepEqual(await verifyAuditLog(path, { minSeq: 10 }), {
    ok: true,
    records: 10,
    lastSeq: 10,
    lines: 10,
    lastHash,
  });
});

test("an empty log verifies with 0 records (and fails a --min-seq above 0)", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  writeFileSync(path, "");
  assert.deepEqual(await verifyAuditLog(path), {
    ok: true,
    records: 0,
    lastSeq: 0,
    lines: 0,
    lastHash: "0".repeat(64),
  });
  const report = await verifyAuditLog(path, { minSeq: 1 });
  assert.equal(report.ok, false);
  assert.match(report.error!.reason, /truncated/);
});

test("tampering: an edited record (deny rewritten to allow) is named by its line", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const lines = await writeLog(path, 10);
  lines[5] = lines[5]!.replace('"decision":"deny"', '"decision":"allow"');
  assert.ok(lines[5]!.includes('"decision":"allow"'));
  rewrite(path, lines);
  const report = await verifyAuditLog(path);
  assert.equal(report.ok, false);
  assert.equal(report.error!.line, 6);
  assert.match(report.error!.reason, /line 6 was changed/);
  assert.equal(report.records, 10);
});

test("tampering: an edited prev field is named by its line", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const lines = await writeLog(path, 6);
  lines[3] = lines[3]!.replace(/"prev":"[0-9a-f]{64}"/, `"prev":"${"a".repeat(64)}"`);
  rewrite(path, lines);
  const report = await verifyAuditLog(path);
  assert.equal(report.error!.line, 4);
  assert.match(report.error!.reason, /prev is not the SHA-256 of line 3/);
});

test("tampering: an edit of the record before the last is reported at the last line, naming both", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const lines = await writeLog(path, 5);
  lines[3] = lines[3]!.replace("file-4", "file-X");
  rewrite(path, lines);
  const report = await verifyAuditLog(path);
  // Line 5 is the last: nothing after it can show whether line 4 or line 5's prev changed.
  assert.equal(report.ok, false);
  assert.equal(report.error!.line, 5);
  assert.match(report.error!.reason, /line 4 or this line was changed/);
});

test("tampering: a removed record is detected by the seq gap", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const lines = await writeLog(path, 10);
  lines.splice(4, 1);
  rewrite(path, lines);
  const report = await verifyAuditLog(path);
  assert.equal(report.ok, false);
  assert.deepEqual(report.error, {
    line: 5,
    reason:
      "seq 6 where 5 was expected: 1 record(s) are missing before this line (removed, or lines reordered)",
  });
});

test("tampering: removing the first record is detected (the head no longer starts from zeros)", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const lines = await writeLog(path, 4);
  rewrite(path, lines.slice(1));
  const report = await verifyAuditLog(path);
  assert.equal(report.error!.line, 1);
  assert.match(report.error!.reason, /seq 2 where 1 was expected/);
});

test("tampering: an inserted forged record is detected", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const lines = await writeLog(path, 6);
  // A forged copy of record 3 with an innocent target, placed after it.
  const forged = lines[2]!.replace("file-3", "harmless");
  lines.splice(3, 0, forged);
  rewrite(path, lines);
  const report = await verifyAuditLog(path);
  assert.equal(report.ok, false);
  assert.equal(report.error!.line, 4);
  assert.match(report.error!.reason, /seq 3 where 4 was expected: a record was inserted/);
});

test("tampering: an inserted line that is not a record is detected", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const lines = await writeLog(path, 4);
  lines.splice(2, 0, '{"note":"nothing to see"}');
  rewrite(path, lines);
  const report = await verifyAuditLog(path);
  assert.equal(report.error!.line, 3);
  assert.match(report.error!.reason, /line 3 is torn or corrupt: its "v" is not 1/);
  assert.equal(report.torn!.chainAfterIntact, false);
});

test("tampering: a reordered pair of records is detected", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const lines = await writeLog(path, 8);
  [lines[3], lines[4]] = [lines[4]!, lines[3]!];
  rewrite(path, lines);
  const report = await verifyAuditLog(path);
  assert.equal(report.ok, false);
  assert.equal(report.error!.line, 4);
  assert.match(report.error!.reason, /seq 5 where 4 was expected/);
});

test("tampering: a truncated tail is detected with --min-seq from an external record", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const lines = await writeLog(path, 10);
  rewrite(path, lines.slice(0, 7));
  // Without an external anchor a clean cut is indistinguishable from a shorter log.
  assert.equal((await verifyAuditLog(path)).ok, true);
  const report = await verifyAuditLog(path, { minSeq: 10 });
  assert.equal(report.ok, false);
  assert.equal(report.lastSeq, 7);
  assert.deepEqual(report.error, {
    line: 8,
    reason: "the log ends at seq 7 but reached at least seq 10 (external record): its tail was truncated",
  });
});

test("tampering: line endings rewritten to CRLF are detected (the chain hashes exact bytes)", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const lines = await writeLog(path, 3);
  writeFileSync(path, `${lines.join("\r\n")}\r\n`);
  const report = await verifyAuditLog(path);
  assert.equal(report.ok, false);
  assert.equal(report.error!.line, 2);
});

test("tampering: bytes that are not UTF-8 make a line not a record", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  await writeLog(path, 3);
  const bytes = readFileSync(path);
  const at = bytes.indexOf("file-2");
  bytes[at] = 0xff;
  writeFileSync(path, bytes);
  const report = await verifyAuditLog(path);
  assert.equal(report.error!.line, 2);
  assert.match(report.error!.reason, /not valid UTF-8/);
});

test("a torn final line (writer killed mid-write) is reported with its line number", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const lines = await writeLog(path, 4);
  appendFileSync(path, lines[3]!.slice(0, 40).replace('"seq":4', '"seq":5'));
  const report = await verifyAuditLog(path);
  assert.equal(report.ok, false);
  assert.equal(report.records, 4);
  assert.equal(report.lastSeq, 4);
  assert.equal(report.error!.line, 5);
  assert.match(report.error!.reason, /line 5 is torn: the log ends in the middle of a record/);
  assert.deepEqual(report.torn, { lines: [5], chainAfterIntact: true });
});

test("a line longer than the record limit is reported, in bounded memory", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  await writeLog(path, 2);
  appendFileSync(path, `${"q".repeat(3 * 1024 * 1024)}\n`);
  const report = await verifyAuditLog(path);
  assert.equal(report.error!.line, 3);
  assert.match(report.error!.reason, /longer than/);
});

test("an unreadable log rejects with io_error (not a report)", async (t) => {
  const dir = tempDir(t);
  await assert.rejects(verifyAuditLog(join(dir, "missing.jsonl")), (e: unknown) => {
    assert.ok(isAegisError(e));
    assert.equal(e.kind, "io_error");
    assert.match(e.message, /ENOENT/);
    return true;
  });
  await assert.rejects(verifyAuditLog(dir), (e: unknown) => isAegisError(e) && /EISDIR/.test(e.message));
});
