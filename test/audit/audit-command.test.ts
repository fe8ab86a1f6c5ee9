import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { AuditLog } from "../../src/audit/writer.js";
import { auditCommand, parseSince } from "../../src/cli/audit-command.js";
import { entry, readLines, tempDir } from "./helpers.js";

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await auditCommand(args, {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
  });
  return { code, stdout, stderr };
}

async function sampleLog(dir: string): Promise<string> {
  const path = join(dir, "audit.jsonl");
  const log = AuditLog.open(path);
  await log.append(entry({ run: "r-1", target: "/work/p/a.txt" }));
  await log.append(
    entry({
      run: "r-1",
      cap: "fs.read",
      target: "/work/p/.env",
      decision: "deny",
      rule: 'filesystem.deny "**/.env"',
      status: "denied",
      detail: { reason: "denied by rule" },
    }),
  );
  await log.append(entry({ run: "r-2", cap: "net.http", target: "https://api.github.com/", detail: {} }));
  await log.close();
  return path;
}

test("verify: an intact log prints OK and exits 0", async (t) => {
  const path = await sampleLog(tempDir(t));
  assert.deepEqual(await run(["verify", path]), {
    code: 0,
    stdout: "OK: 3 records, last seq 3\n",
    stderr: "",
  });
});

test("verify: a tampered log prints the first broken line and why, exit 2", async (t) => {
  const path = await sampleLog(tempDir(t));
  const lines = readLines(path);
  lines[0] = lines[0]!.replace("/work/p/a.txt", "/work/p/b.txt");
  writeFileSync(path, `${lines.join("\n")}\n`);
  const r = await run(["verify", path]);
  assert.equal(r.code, 2);
  assert.equal(
    r.stdout,
    `BROKEN: ${path}: line 1: line 1 was changed: its SHA-256 is not the prev of line 2, which itself chains intact to line 3\n`,
  );
  assert.equal(r.stderr, "");
});

test("verify --json prints the report as one JSON document", async (t) => {
  const path = await sampleLog(tempDir(t));
  const ok = await run(["verify", path, "--json"]);
  assert.equal(ok.code, 0);
  assert.deepEqual(JSON.parse(ok.stdout), { ok: true, records: 3, lastSeq: 3, lines: 3 });
  const truncated = await run(["verify", "--min-seq", "5", "--json", path]);
  assert.equal(truncated.code, 2);
  const report = JSON.parse(truncated.stdout) as { ok: boolean; error: { line: number; reason: string } };
  assert.equal(report.ok, false);
  assert.equal(report.error.line, 4);
  assert.match(report.error.reason, /tail was truncated/);
});

test("verify: a torn line is reported with whether the chain after it holds", async (t) => {
  const path = await sampleLog(tempDir(t));
  writeFileSync(path, '{"v":1,"seq":4,"ts":"20', { flag: "a" });
  const log = AuditLog.open(path);
  await log.append(entry());
  await log.close();
  const r = await run(["verify", path]);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /^BROKEN: .*: line 4: line 4 is torn or corrupt: it is not complete JSON\n/);
  assert.match(r.stdout, /after the torn line the chain is intact \(5 records, last seq 5\)\n$/);
});

test("verify: an unreadable file exits 5 with the reason on stderr", async (t) => {
  const dir = tempDir(t);
  const r = await run(["verify", join(dir, "missing.jsonl")]);
  assert.equal(r.code, 5);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^aegis audit verify: cannot read audit log .*missing\.jsonl: ENOENT/);
});

test("usage errors exit 5 with a clear message: unknown flag, bad --min-seq, missing FILE, unknown subcommand", async (t) => {
  const path = await sampleLog(tempDir(t));
  const unknown = await run(["verify", path, "--bogus"]);
  assert.equal(unknown.code, 5);
  assert.match(unknown.stderr, /^aegis audit verify: Unknown option '--bogus'/);
  assert.match(unknown.stderr, /Run 'aegis audit verify --help' for usage/);

  const badSeq = await run(["verify", path, "--min-seq", "ten"]);
  assert.equal(badSeq.code, 5);
  assert.match(badSeq.stderr, /--min-seq expects a non-negative integer, got 'ten'/);

  const noFile = await run(["show"]);
  assert.equal(noFile.code, 5);
  assert.match(noFile.stderr, /expected the audit log FILE/);

  const twoFiles = await run(["verify", path, path]);
  assert.equal(twoFiles.code, 5);

  const badSince = await run(["show", path, "--since", "yesterday"]);
  assert.equal(badSince.code, 5);
  assert.match(badSince.stderr, /--since expects an ISO 8601 time or a duration/);

  const sub = await run(["rotate", path]);
  assert.equal(sub.code, 5);
  assert.match(sub.stderr, /unknown subcommand 'rotate'/);
  assert.equal((await run([])).code, 5);
});

test("--help for audit, verify and show prints usage and exits 0", async () => {
  for (const args of [["--help"], ["verify", "--help"], ["show", "-h"]]) {
    const r = await run(args);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: aegis audit/);
  }
  assert.match((await run(["verify", "--help"])).stdout, /--min-seq N/);
  assert.match((await run(["show", "--help"])).stdout, /--since T/);
});

test("show lists records newest last; --denied, --run and --since filter", async (t) => {
  const path = await sampleLog(tempDir(t));
  const all = await run(["show", path]);
  assert.equal(all.code, 0);
  const lines = all.stdout.trimEnd().split("\n");
  assert.equal(lines.length, 3);
  assert.match(
    lines[0]!,
    /^#1 \S+ run\/r-1 ALLOWED {3}fs\.read \/work\/p\/a\.txt {2}rule: filesystem\.read "\*\*" {2}\{"phase":"decision"\}$/,
  );
  assert.match(
    lines[1]!,
    /^#2 .* DENIED .* \/work\/p\/\.env {2}rule: filesystem\.deny "\*\*\/\.env" {2}\{"reason":"denied by rule"\}$/,
  );
  assert.match(lines[2]!, /^#3 .*net\.http https:\/\/api\.github\.com\/ {2}rule: /);

  const denied = await run(["show", path, "--denied"]);
  assert.deepEqual(
    denied.stdout
      .trimEnd()
      .split("\n")
      .map((l) => l.split(" ")[0]),
    ["#2"],
  );
  const run2 = await run(["show", path, "--run", "r-2"]);
  assert.deepEqual(
    run2.stdout
      .trimEnd()
      .split("\n")
      .map((l) => l.split(" ")[0]),
    ["#3"],
  );
  assert.equal((await run(["show", path, "--since", "2999-01-01"])).stdout, "");
  assert.equal((await run(["show", path, "--since", "1h"])).stdout.trimEnd().split("\n").length, 3);
});

test("show --json prints one JSON document with the records and any unparsable lines", async (t) => {
  const path = await sampleLog(tempDir(t));
  writeFileSync(path, "torn{", { flag: "a" });
  const r = await run(["show", path, "--json", "--run", "r-1"]);
  assert.equal(r.code, 0);
  const doc = JSON.parse(r.stdout) as {
    records: { seq: number; target: string }[];
    unparsable_lines: unknown[];
  };
  assert.deepEqual(
    doc.records.map((x) => [x.seq, x.target]),
    [
      [1, "/work/p/a.txt"],
      [2, "/work/p/.env"],
    ],
  );
  assert.deepEqual(doc.unparsable_lines, [{ line: 4, reason: "it is not complete JSON" }]);
});

test("show: terminal escape injection through a target is neutralised", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const log = AuditLog.open(path);
  // A script-chosen path that would clear the line and print a fake ALLOWED status, then hide text right-to-left.
  await log.append(
    entry({ target: "/tmp/x\u001b[2K\rALLOWED fs.read /harmless\u202eevil", status: "denied" }),
  );
  await log.close();
  const r = await run(["show", path]);
  assert.equal(r.code, 0);
  assert.ok(!r.stdout.includes("\u001b"));
  assert.ok(!r.stdout.includes("\r"));
  assert.ok(!r.stdout.includes("\u202e"));
  assert.match(r.stdout, /\/tmp\/x\\u001b\[2K\\u000dALLOWED fs\.read \/harmless\\u202eevil/);
});

test("show: an unreadable file exits 5", async (t) => {
  const r = await run(["show", join(tempDir(t), "nope.jsonl")]);
  assert.equal(r.code, 5);
  assert.match(r.stderr, /ENOENT/);
});

test("--since accepts ISO times and durations", () => {
  const now = Date.parse("2026-11-22T10:00:00Z");
  assert.equal(parseSince("15m", now), now - 15 * 60_000);
  assert.equal(parseSince("2d", now), now - 2 * 86_400_000);
  assert.equal(parseSince("2026-11-22T09:00:00Z", now), Date.parse("2026-11-22T09:00:00Z"));
  assert.equal(parseSince("soon", now), undefined);
  assert.equal(parseSince("2026-13-45", now), undefined);
});
