import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { recordLine, sha256Hex, ZERO_HASH } from "../../src/audit/record.js";
import { AuditLog } from "../../src/audit/writer.js";
import { auditCommand, parseSince } from "../../src/cli/audit-command.js";
import { entry, lastLineHash, REPO_ROOT, readLines, tempDir } from "./helpers.js";

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

/** The `#SEQ` of each line `show` printed. */
function seqsShown(stdout: string): string[] {
  return stdout
    .trimEnd()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => l.split(" ")[0]!);
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

test("verify: an intact log prints OK and exits 0; its last hash goes to stderr, to be noted", async (t) => {
  const path = await sampleLog(tempDir(t));
  assert.deepEqual(await run(["verify", path]), {
    code: 0,
    stdout: "OK: 3 records, last seq 3\n",
    stderr: `last hash ${lastLineHash(path)} (keep it where the agent cannot write; pass it as --last-hash later)\n`,
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
  assert.deepEqual(JSON.parse(ok.stdout), {
    ok: true,
    records: 3,
    lastSeq: 3,
    lines: 3,
    lastHash: lastLineHash(path),
  });
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
  assert.deepEqual(seqsShown(denied.stdout), ["#2"]);
  const run2 = await run(["show", path, "--run", "r-2"]);
  assert.deepEqual(seqsShown(run2.stdout), ["#3"]);
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

test("verify --last-hash: an edit of the last record, invisible to the chain, is caught by the noted hash", async (t) => {
  const path = await sampleLog(tempDir(t));
  const noted = lastLineHash(path);
  assert.equal((await run(["verify", path, "--last-hash", noted])).code, 0);
  assert.equal((await run(["verify", path, "--last-hash", noted.toUpperCase()])).code, 0);

  // The attack: rewrite the last record (a failed call made to look harmless). Nothing chains to it.
  const lines = readLines(path);
  lines[2] = lines[2]!.replace("https://api.github.com/", "https://docs.github.com/");
  writeFileSync(path, `${lines.join("\n")}\n`);
  const chainOnly = await run(["verify", path]);
  assert.equal(chainOnly.code, 0, "the chain alone cannot see it (the limitation --last-hash closes)");

  const anchored = await run(["verify", path, "--last-hash", noted]);
  assert.equal(anchored.code, 2);
  assert.equal(
    anchored.stdout,
    `BROKEN: ${path}: line 3: no line has the SHA-256 ${noted} noted earlier (--last-hash): the line that was last when it was noted was changed or removed; if nothing was appended since, line 3 was edited\n`,
  );
  const json = JSON.parse((await run(["verify", path, "--last-hash", noted, "--json"])).stdout) as {
    ok: boolean;
    error: { line: number };
    lastHash: string;
  };
  assert.deepEqual([json.ok, json.error.line, json.lastHash], [false, 3, lastLineHash(path)]);
});

test("verify --last-hash: records appended since the hash was noted are fine; a removed tail is not", async (t) => {
  const path = await sampleLog(tempDir(t));
  const noted = lastLineHash(path);
  const log = AuditLog.open(path);
  await log.append(entry({ run: "r-3" }));
  await log.close();
  assert.equal((await run(["verify", path, "--last-hash", noted])).code, 0);

  writeFileSync(path, `${readLines(path).slice(0, 2).join("\n")}\n`);
  const cut = await run(["verify", path, "--last-hash", noted]);
  assert.equal(cut.code, 2);
  assert.match(cut.stdout, /^BROKEN: .*: line 2: no line has the SHA-256 [0-9a-f]{64} noted earlier/);
});

test("verify --last-hash: the hash of an empty log (64 zeros) holds for any log; an empty log fails a real one", async (t) => {
  const dir = tempDir(t);
  const path = await sampleLog(dir);
  assert.equal((await run(["verify", path, "--last-hash", ZERO_HASH])).code, 0);
  const empty = join(dir, "empty.jsonl");
  writeFileSync(empty, "");
  const r = await run(["verify", empty, "--last-hash", lastLineHash(path)]);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /line 1: .*the log is empty/);
});

test("verify --last-hash that is not 64 hex digits is a usage error, exit 5", async (t) => {
  const path = await sampleLog(tempDir(t));
  for (const bad of ["abc", "z".repeat(64), `${"a".repeat(64)}0`]) {
    const r = await run(["verify", path, "--last-hash", bad]);
    assert.equal(r.code, 5);
    assert.match(r.stderr, /--last-hash expects a SHA-256 as 64 hex digits/);
  }
});

test("show --denied lists declined confirmations as well as denials", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  const log = AuditLog.open(path);
  await log.append(entry({ cap: "fs.delete", decision: "confirm", status: "confirmed" }));
  await log.append(
    entry({ cap: "fs.delete", decision: "confirm", status: "declined", detail: { phase: "confirmation" } }),
  );
  await log.append(entry({ decision: "deny", status: "denied", detail: { reason: "denied" } }));
  await log.append(entry({ status: "errored", detail: { phase: "outcome" } }));
  await log.close();
  const r = await run(["show", path, "--denied"]);
  assert.equal(r.code, 0);
  assert.deepEqual(seqsShown(r.stdout), ["#2", "#3"]);
  assert.match(r.stdout, /^#2 .* DECLINED {2}fs\.delete /);
  const json = JSON.parse((await run(["show", path, "--denied", "--json"])).stdout) as {
    records: { status: string }[];
  };
  assert.deepEqual(
    json.records.map((x) => x.status),
    ["declined", "denied"],
  );
});

/** A valid chained log of `n` records, written directly (the writer's locking is not under test). */
function bigLog(path: string, n: number): void {
  let prev = ZERO_HASH;
  const lines: string[] = [];
  for (let i = 1; i <= n; i++) {
    const body = `"run":"r-big","source":"run","cap":"fs.read","target":"/work/p/file-${i}","decision":"allow","rule":"filesystem.read_allow \\"**\\"","status":"allowed","detail":{"phase":"decision"}`;
    const line = recordLine(i, "2026-11-22T10:00:00.000Z", body, prev);
    prev = sha256Hex(line);
    lines.push(line);
  }
  writeFileSync(path, `${lines.join("\n")}\n`);
}

test("show piped into `head`: exits quietly (no EPIPE stack trace) once head has read enough", async (t) => {
  const path = join(tempDir(t), "audit.jsonl");
  // Far more than a pipe buffer (64 KiB), so the writer is still writing when head exits.
  bigLog(path, 20_000);
  const main = join(REPO_ROOT, "src", "cli", "main.ts");
  const script = `${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(main)} audit show ${JSON.stringify(path)} | head -n 2; echo "aegis exit \${PIPESTATUS[0]}" >&2`;
  const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn("bash", ["-c", script], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
  assert.equal(r.code, 0);
  assert.deepEqual(seqsShown(r.stdout), ["#1", "#2"]);
  assert.equal(r.stderr, "aegis exit 0\n", "nothing but the exit status on stderr");
});
