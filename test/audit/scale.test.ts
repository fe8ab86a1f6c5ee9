import assert from "node:assert/strict";
import { closeSync, openSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { recordLine, serializeBody, sha256Hex, ZERO_HASH } from "../../src/audit/record.js";
import { verifyAuditLog } from "../../src/audit/verify.js";
import { AuditLog } from "../../src/audit/writer.js";
import { entry, finished, lastLineHash, spawnFixture, tempDir } from "./helpers.js";

/** Writes a valid chain of `n` records straight to disk (faster than the writer, for size). */
function generateLog(path: string, n: number, detailBytes: number): void {
  const fd = openSync(path, "w");
  const body = serializeBody(entry({ detail: { padding: "p".repeat(detailBytes) } }), (s) => s);
  let prev = ZERO_HASH;
  let chunk = "";
  for (let seq = 1; seq <= n; seq++) {
    const line = recordLine(seq, "2026-11-22T10:00:00.000Z", body, prev);
    prev = sha256Hex(line);
    chunk += `${line}\n`;
    if (chunk.length > 4 * 1024 * 1024) {
      writeSync(fd, chunk);
      chunk = "";
    }
  }
  writeSync(fd, chunk);
  closeSync(fd);
}

test("a log of 200k records written by the writer verifies", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const log = AuditLog.open(path);
  for (let i = 0; i < 200; i++) {
    await Promise.all(
      Array.from({ length: 1000 }, (_, k) => log.append(entry({ detail: { i: i * 1000 + k } }))),
    );
  }
  await log.close();
  assert.deepEqual(await verifyAuditLog(path, { minSeq: 200_000 }), {
    ok: true,
    records: 200_000,
    lastSeq: 200_000,
    lines: 200_000,
    lastHash: lastLineHash(path),
  });
});

test("verify streams: a 150 MB log verifies in a process whose heap is capped at 32 MB", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const records = 150_000;
  generateLog(path, records, 800);
  const size = statSync(path).size;
  assert.ok(size > 140 * 1024 * 1024, `log is ${size} bytes`);

  // A verifier that held the file (or its lines) would die of heap exhaustion here.
  const child = spawnFixture("verify-memory.ts", [path, String(records)], ["--max-old-space-size=32"]);
  const result = await finished(child);
  assert.equal(result.code, 0, result.stderr);
  const { report, rssGrowthBytes } = JSON.parse(result.stdout) as {
    report: { ok: boolean; records: number; lastSeq: number; lastHash: string };
    rssGrowthBytes: number;
  };
  assert.deepEqual(report, {
    ok: true,
    records,
    lastSeq: records,
    lines: records,
    lastHash: lastLineHash(path),
  });
  // Peak memory grows by the read buffer and some garbage (measured 4-9 MB), not by the file.
  assert.ok(
    rssGrowthBytes < 32 * 1024 * 1024,
    `peak RSS grew by ${rssGrowthBytes} bytes for a ${size}-byte log`,
  );
});
