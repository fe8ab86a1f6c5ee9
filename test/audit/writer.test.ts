import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fs, {
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { join } from "node:path";
import { test } from "node:test";
import { verifyAuditLog } from "../../src/audit/verify.js";
import { AuditLog } from "../../src/audit/writer.js";
import { isAegisError } from "../../src/errors.js";
import { SecretRedactor } from "../../src/host/redact.js";
import { entry, lastLineHash, readLines, tempDir } from "./helpers.js";

const sha256 = (s: string): string => createHash("sha256").update(s).digest("hex");

function assertRejectsIoError(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  return assert.rejects(p, (e: unknown) => {
    assert.ok(isAegisError(e), `expected an AegisError, got ${String(e)}`);
    assert.equal(e.kind, "io_error");
    assert.match(e.message, pattern);
    return true;
  });
}

test("records are chained: seq from 1, prev is the SHA-256 of the previous line's bytes", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const log = AuditLog.open(path);
  await log.append(entry({ target: "/a" }));
  await log.append(entry({ target: "/b", decision: "deny", status: "denied", detail: { reason: "no" } }));
  await log.append(entry({ target: "/c" }));
  await log.close();

  const raw = readFileSync(path, "utf8");
  assert.ok(raw.endsWith("\n"));
  const lines = readLines(path);
  assert.equal(lines.length, 3);
  const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    records.map((r) => r.seq),
    [1, 2, 3],
  );
  assert.equal(records[0]!.prev, "0".repeat(64));
  assert.equal(records[1]!.prev, sha256(lines[0]!));
  assert.equal(records[2]!.prev, sha256(lines[1]!));
  assert.deepEqual(Object.keys(records[1]!), [
    "v",
    "seq",
    "ts",
    "run",
    "source",
    "cap",
    "target",
    "decision",
    "rule",
    "status",
    "detail",
    "prev",
  ]);
  assert.equal(records[1]!.v, 1);
  assert.deepEqual(records[1]!.detail, { reason: "no" });
  assert.ok(!Number.isNaN(Date.parse(records[1]!.ts as string)));
  assert.deepEqual(await verifyAuditLog(path), {
    ok: true,
    records: 3,
    lastSeq: 3,
    lines: 3,
    lastHash: lastLineHash(path),
  });
});

test("the log is created owner-only: directory 0700, file 0600", async (t) => {
  const dir = join(tempDir(t), ".aegis", "nested");
  const path = join(dir, "audit.jsonl");
  const log = AuditLog.open(path);
  await log.append(entry());
  await log.close();
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(path).mode & 0o777, 0o600);
});

test("appending to an existing log continues its chain", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const first = AuditLog.open(path);
  for (let i = 0; i < 5; i++) await first.append(entry({ target: `/first/${i}` }));
  await first.close();

  const second = AuditLog.open(path);
  await second.append(entry({ target: "/second/0" }));
  await second.append(entry({ target: "/second/1" }));
  await second.close();

  const lines = readLines(path);
  const sixth = JSON.parse(lines[5]!) as { seq: number; prev: string; target: string };
  assert.equal(sixth.seq, 6);
  assert.equal(sixth.prev, sha256(lines[4]!));
  assert.equal(sixth.target, "/second/0");
  assert.deepEqual(await verifyAuditLog(path), {
    ok: true,
    records: 7,
    lastSeq: 7,
    lines: 7,
    lastHash: lastLineHash(path),
  });
});

test("two writers in one process interleave on one chain (each sees the other's appends)", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const a = AuditLog.open(path);
  const b = AuditLog.open(path);
  for (let i = 0; i < 20; i++) {
    await a.append(entry({ run: "a", target: `/a/${i}` }));
    await b.append(entry({ run: "b", target: `/b/${i}` }));
  }
  await Promise.all([a.close(), b.close()]);
  const report = await verifyAuditLog(path);
  assert.deepEqual(report, { ok: true, records: 40, lastSeq: 40, lines: 40, lastHash: lastLineHash(path) });
});

test("concurrent appends in one process are group-committed in the order they were made", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const log = AuditLog.open(path);
  await Promise.all(Array.from({ length: 500 }, (_, i) => log.append(entry({ detail: { i } }))));
  await log.close();
  const records = readLines(path).map((l) => JSON.parse(l) as { seq: number; detail: { i: number } });
  assert.deepEqual(
    records.map((r) => r.detail.i),
    Array.from({ length: 500 }, (_, i) => i),
  );
  assert.deepEqual(
    records.map((r) => r.seq),
    Array.from({ length: 500 }, (_, i) => i + 1),
  );
});

/** Counts how often the lock at `lockPath` is taken while `fn` runs (each take is one `link`). */
async function lockTakes(lockPath: string, fn: () => Promise<void>): Promise<number> {
  const original = fs.linkSync;
  let takes = 0;
  fs.linkSync = (existing, target) => {
    if (target === lockPath) takes++;
    original(existing, target);
  };
  syncBuiltinESMExports();
  try {
    await fn();
  } finally {
    fs.linkSync = original;
    syncBuiltinESMExports();
  }
  return takes;
}

test("an outcome record waits for the next append and goes before it, in the same locked write", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const log = AuditLog.open(path);
  await log.append(entry({ target: "/decision-1" }));
  let outcome: Promise<void> | undefined;
  const takes = await lockTakes(`${path}.lock`, async () => {
    outcome = log.appendOutcome(entry({ target: "/outcome-1", detail: { phase: "outcome" } }));
    // As in a run: the result goes back to the script, which makes its next call some
    // promise jobs later, within the same turn of the event loop.
    for (let i = 0; i < 20; i++) await null;
    assert.equal(readLines(path).length, 1, "the outcome record is not written on its own before then");
    await log.append(entry({ target: "/decision-2" }));
  });
  assert.equal(takes, 1, "one lock and one write for both records");
  assert.deepEqual(
    readLines(path).map((l) => (JSON.parse(l) as { target: string }).target),
    ["/decision-1", "/outcome-1", "/decision-2"],
  );
  await outcome;
  await log.close();
  assert.equal((await verifyAuditLog(path)).ok, true);
});

test("an outcome record with nothing after it is written by the end of the turn; close writes one still waiting", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const log = AuditLog.open(path);
  await log.appendOutcome(entry({ target: "/alone" }));
  assert.equal(readLines(path).length, 1);
  const waiting = log.appendOutcome(entry({ target: "/at-close" }));
  await log.close();
  await waiting;
  assert.deepEqual(
    readLines(path).map((l) => (JSON.parse(l) as { target: string }).target),
    ["/alone", "/at-close"],
  );
});

test("an outcome record that cannot be written rejects, and so does the append that shares its write", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.jsonl");
  const log = AuditLog.open(path);
  await log.append(entry({ target: "/decision-1" }));
  // The log is swapped for a symlink: the writer reopens it, refuses, and writes nothing.
  const elsewhere = join(dir, "elsewhere.jsonl");
  writeFileSync(elsewhere, "");
  unlinkSync(path);
  symlinkSync(elsewhere, path);
  const outcome = log.appendOutcome(entry({ target: "/outcome-1" }));
  const decision = log.append(entry({ target: "/decision-2" }));
  await assertRejectsIoError(outcome, /audit record not written/);
  await assertRejectsIoError(decision, /audit record not written/);
  assert.equal(readFileSync(elsewhere, "utf8"), "");
  await log.close();
});

test("secret exfiltration via audit records: a local-only value in target, rule, detail or a detail key never reaches the file", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const secret = "sk-live-9f8e7d6c5b4a39281706";
  const runSecret = "ghp_RunOnlyToken_0123456789";
  const logRedactor = new SecretRedactor();
  logRedactor.add(secret);
  const runRedactor = new SecretRedactor();
  runRedactor.add(runSecret);
  const log = AuditLog.open(path, { redactor: logRedactor });
  const sink = log.withRedactor(runRedactor);
  await sink.append(
    entry({
      target: `https://api.example.com/?key=${secret}`,
      rule: `net.allow ${runSecret}`,
      detail: {
        phase: "outcome",
        error: `token ${Buffer.from(secret).toString("base64")} rejected`,
        nested: { list: [`hex ${Buffer.from(runSecret).toString("hex")}`, 42, null, true] },
        [secret]: "as a key",
      },
    }),
  );
  await log.append(entry({ target: `/tmp/${secret}` }));
  await log.close();

  const bytes = readFileSync(path, "utf8");
  for (const form of [
    secret,
    runSecret,
    Buffer.from(secret).toString("base64"),
    Buffer.from(runSecret).toString("hex"),
  ]) {
    assert.ok(!bytes.includes(form), `the file must not contain ${form}`);
  }
  const [first, second] = readLines(path).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(first!.target, "https://api.example.com/?key=[REDACTED]");
  assert.equal(first!.rule, "net.allow [REDACTED]");
  assert.deepEqual(first!.detail, {
    phase: "outcome",
    error: "token [REDACTED] rejected",
    nested: { list: ["hex [REDACTED]", 42, null, true] },
    "[REDACTED]": "as a key",
  });
  assert.equal(second!.target, "/tmp/[REDACTED]");
  assert.equal((await verifyAuditLog(path)).ok, true);
});

test("an unwritable log location makes append reject (parent path is a regular file)", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "not-a-dir"), "x");
  const log = AuditLog.open(join(dir, "not-a-dir", "audit.jsonl"));
  await assertRejectsIoError(log.append(entry()), /audit record not written .*(EEXIST|ENOTDIR)/);
  // And again: the failure is not remembered as success, nor swallowed on retry.
  await assertRejectsIoError(log.append(entry()), /EEXIST|ENOTDIR/);
});

test("audit records redirected by a symlink at the log path are refused", async (t) => {
  const dir = tempDir(t);
  const elsewhere = join(dir, "attacker-controlled.jsonl");
  writeFileSync(elsewhere, "");
  symlinkSync(elsewhere, join(dir, "audit.jsonl"));
  const log = AuditLog.open(join(dir, "audit.jsonl"));
  await assertRejectsIoError(log.append(entry()), /symbolic link/);
  assert.equal(readFileSync(elsewhere, "utf8"), "");
});

test("audit records swallowed by a device (/dev/null as the log) are refused", async () => {
  const log = AuditLog.open("/dev/null");
  await assertRejectsIoError(log.append(entry()), /not a regular file/);
  await log.close();
  assert.deepEqual(
    readdirSync("/dev").filter((n) => n.startsWith("null.")),
    [],
  );
});

test("a log deleted under a running writer is recreated, not written to the unlinked file", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const log = AuditLog.open(path);
  await log.append(entry({ target: "/before" }));
  unlinkSync(path);
  await log.append(entry({ target: "/after" }));
  await log.close();
  const lines = readLines(path);
  assert.equal(lines.length, 1);
  const rec = JSON.parse(lines[0]!) as { seq: number; target: string; prev: string };
  assert.equal(rec.target, "/after");
  assert.equal(rec.seq, 1);
  assert.equal(rec.prev, "0".repeat(64));
});

test("a record that JSON cannot carry faithfully is rejected, not dropped or mangled", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const log = AuditLog.open(path);
  await assertRejectsIoError(log.append(entry({ detail: { size: 10n } })), /BigInt/);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  await assertRejectsIoError(log.append(entry({ detail: cyclic })), /circular/i);
  await assertRejectsIoError(
    log.append(entry({ detail: { huge: "z".repeat(2 * 1024 * 1024) } })),
    /larger than/,
  );
  await log.append(entry());
  await log.close();
  assert.equal(readLines(path).length, 1);
});

test("append after close rejects", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const log = AuditLog.open(path);
  await log.append(entry());
  await log.close();
  await assertRejectsIoError(log.append(entry()), /closed/);
  assert.equal(readLines(path).length, 1);
});

test("close leaves no lock or owner files behind", async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "logs"));
  const log = AuditLog.open(join(dir, "logs", "audit.jsonl"));
  await log.append(entry());
  await log.close();
  assert.deepEqual(readdirSync(join(dir, "logs")), ["audit.jsonl"]);
});
