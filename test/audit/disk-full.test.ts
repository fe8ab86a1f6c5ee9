import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { verifyAuditLog } from "../../src/audit/verify.js";
import { FIXTURES, finished, lastLineHash, REPO_ROOT, tempDir } from "./helpers.js";

test("a full disk makes append reject, and the partial write is removed (no torn line left)", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  // RLIMIT_FSIZE makes writes past 64 KiB fail with EFBIG (SIGXFSZ ignored), as ENOSPC would on a
  // full disk, including a short first write. Works as root, where permission tricks do not.
  const script = `trap '' XFSZ; ulimit -f 64; exec "$0" --import tsx "$1" "$2"`;
  const child = spawn(
    "bash",
    ["-c", script, process.execPath, join(FIXTURES, "append-until-full.ts"), path],
    {
      cwd: REPO_ROOT,
    },
  );
  const result = await finished(child);
  assert.equal(result.code, 0, result.stderr);
  const { written, error } = JSON.parse(result.stdout) as {
    written: number;
    error: { kind: string; message: string };
  };
  assert.equal(error.kind, "io_error");
  assert.match(error.message, /audit record not written to .*EFBIG/);
  assert.ok(written > 50, `wrote ${written} records before the limit`);

  const size = readFileSync(path).length;
  assert.ok(size <= 64 * 1024);
  assert.ok(readFileSync(path, "utf8").endsWith("\n"), "the partial record was truncated away");
  assert.deepEqual(await verifyAuditLog(path), {
    ok: true,
    records: written,
    lastSeq: written,
    lines: written,
    lastHash: lastLineHash(path),
  });
});
