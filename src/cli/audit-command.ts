/**
 * `aegis audit verify|show` (cli.md). `args` is the argv after `aegis audit`. Returns the exit
 * code: 0 valid / listed, 2 broken chain, 5 unreadable file or usage error.
 */
import { parseArgs } from "node:util";
import { forEachRecord } from "../audit/read.js";
import type { AuditRecord } from "../audit/record.js";
import { type VerifyOptions, type VerifyReport, verifyAuditLog } from "../audit/verify.js";
import { isAegisError } from "../errors.js";
import type { CliIo } from "./io.js";

export const VERIFY_OPTIONS = {
  "min-seq": { type: "string" },
  "last-hash": { type: "string" },
  json: { type: "boolean" },
} as const;

export const SHOW_OPTIONS = {
  denied: { type: "boolean" },
  run: { type: "string" },
  since: { type: "string" },
  json: { type: "boolean" },
} as const;

/** Statuses `show --denied` lists: refused by the policy, or by the operator at a confirmation. */
const REFUSED = new Set(["denied", "declined"]);

const EXIT_OK = 0;
const EXIT_BROKEN = 2;
const EXIT_USAGE_OR_IO = 5;

const AUDIT_HELP = `Usage: aegis audit <verify|show> FILE [options]

  verify FILE [--min-seq N] [--last-hash HEX] [--json]
                                       check the hash chain of an audit log
  show FILE [--denied] [--run ID] [--since T] [--json]
                                       list its records, newest last

Run 'aegis audit verify --help' or 'aegis audit show --help' for details.
`;

const VERIFY_HELP = `Usage: aegis audit verify FILE [--min-seq N] [--last-hash HEX] [--json]

Checks that every line of FILE is a record, that seq runs 1, 2, 3... without a gap, and that
each record's prev is the SHA-256 of the line before it. Detects edited, removed, inserted and
reordered records and torn lines (a writer killed mid-write). Nothing chains to the last line,
so an edit of it needs an anchor: a valid log's last hash is printed (on stderr; "lastHash"
with --json); keep it where the agent cannot write and pass it as --last-hash later.

  --min-seq N       the log reached at least seq N (from an external record of its length):
                    a log ending earlier had its tail truncated
  --last-hash HEX   a last hash noted earlier: the log must still hold that line unchanged
                    (records appended since are fine); detects an edit of the line that was last
  --json            print the report as one JSON document

Exit: 0 valid, 2 broken (the first bad line and why is printed), 5 unreadable file or bad usage.
`;

const SHOW_HELP = `Usage: aegis audit show FILE [--denied] [--run ID] [--since T] [--json]

Lists the records of FILE, newest last. Lines that are not records are reported on stderr
(run 'aegis audit verify' to check the chain).

  --denied      only refused calls: denied by the policy, or declined at a confirmation
  --run ID      only records of run ID
  --since T     only records at or after T: an ISO 8601 time (2026-11-22T10:00:00Z, 2026-11-22)
                or a duration back from now (90s, 15m, 2h, 7d)
  --json        print {"records":[...],"unparsable_lines":[...]} as one JSON document

Exit: 0 listed, 5 unreadable file or bad usage.
`;

export async function auditCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "verify") return verifyCommand(rest, io);
  if (sub === "show") return showCommand(rest, io);
  if (sub === "--help" || sub === "-h" || sub === "help") {
    io.stdout(AUDIT_HELP);
    return EXIT_OK;
  }
  io.stderr(
    sub === undefined
      ? `aegis audit: expected a subcommand, verify or show\n${AUDIT_HELP}`
      : `aegis audit: unknown subcommand '${sub}' (expected verify or show)\n${AUDIT_HELP}`,
  );
  return EXIT_USAGE_OR_IO;
}

async function verifyCommand(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine("verify", args, VERIFY_OPTIONS, io);
  if (typeof parsed === "number") return parsed;
  if (parsed.help) {
    io.stdout(VERIFY_HELP);
    return EXIT_OK;
  }
  const { file, values } = parsed;
  const options: VerifyOptions = {};
  if (values["min-seq"] !== undefined) {
    const raw = String(values["min-seq"]);
    const minSeq = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(minSeq)) {
      return usage("verify", `--min-seq expects a non-negative integer, got '${raw}'`, io);
    }
    options.minSeq = minSeq;
  }
  if (values["last-hash"] !== undefined) {
    const raw = String(values["last-hash"]);
    if (!/^[0-9a-fA-F]{64}$/.test(raw)) {
      return usage("verify", `--last-hash expects a SHA-256 as 64 hex digits, got '${raw}'`, io);
    }
    options.lastHash = raw.toLowerCase();
  }
  let report: VerifyReport;
  try {
    report = await verifyAuditLog(file, options);
  } catch (e) {
    io.stderr(`aegis audit verify: ${isAegisError(e) ? e.message : String(e)}\n`);
    return EXIT_USAGE_OR_IO;
  }
  if (values.json) {
    io.stdout(`${JSON.stringify(report)}\n`);
  } else if (report.ok) {
    io.stdout(`OK: ${report.records} records, last seq ${report.lastSeq}\n`);
    // On stderr, so the OK line stays the one line programs read on stdout.
    io.stderr(
      `last hash ${report.lastHash} (keep it where the agent cannot write; pass it as --last-hash later)\n`,
    );
  } else {
    io.stdout(describeBroken(file, report));
  }
  return report.ok ? EXIT_OK : EXIT_BROKEN;
}

function describeBroken(file: string, report: VerifyReport): string {
  const err = report.error!;
  let text = `BROKEN: ${file}: line ${err.line}: ${err.reason}\n`;
  if (report.torn) {
    const after = report.torn.afterError;
    text += after
      ? `after the torn line the chain is broken too: line ${after.line}: ${after.reason}\n`
      : `after the torn line the chain is intact (${report.records} records, last seq ${report.lastSeq})\n`;
    if (report.torn.lines.length > 1) text += `torn lines: ${report.torn.lines.join(", ")}\n`;
  }
  return text;
}

async function showCommand(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine("show", args, SHOW_OPTIONS, io);
  if (typeof parsed === "number") return parsed;
  if (parsed.help) {
    io.stdout(SHOW_HELP);
    return EXIT_OK;
  }
  const { file, values } = parsed;
  let sinceMs: number | undefined;
  if (values.since !== undefined) {
    sinceMs = parseSince(String(values.since), Date.now());
    if (sinceMs === undefined) {
      return usage(
        "show",
        `--since expects an ISO 8601 time or a duration like 15m, got '${values.since}'`,
        io,
      );
    }
  }
  const keep = (r: AuditRecord): boolean =>
    (!values.denied || REFUSED.has(r.status)) &&
    (values.run === undefined || r.run === values.run) &&
    (sinceMs === undefined || Date.parse(r.ts) >= sinceMs);

  const bad: { line: number; reason: string }[] = [];
  let shown = 0;
  if (values.json) io.stdout('{"records":[');
  try {
    await forEachRecord(
      file,
      (r) => {
        // The reader went away (`| head`): reading the rest of a long log would be wasted.
        if (io.stdoutClosed?.()) return false;
        if (!keep(r)) return undefined;
        io.stdout(values.json ? `${shown > 0 ? "," : ""}${JSON.stringify(r)}` : `${formatRecord(r)}\n`);
        shown++;
        return undefined;
      },
      (line, reason) => {
        bad.push({ line, reason });
        if (!values.json)
          io.stderr(`line ${line} is not a record (${reason}); run 'aegis audit verify ${file}'\n`);
      },
    );
  } catch (e) {
    if (values.json) io.stdout("]}\n");
    io.stderr(`aegis audit show: ${isAegisError(e) ? e.message : String(e)}\n`);
    return EXIT_USAGE_OR_IO;
  }
  if (values.json) io.stdout(`],"unparsable_lines":${JSON.stringify(bad)}}\n`);
  return EXIT_OK;
}

/** One line per record: seq, time, status, capability, target, then rule and detail. */
export function formatRecord(r: AuditRecord): string {
  const detail = Object.keys(r.detail).length > 0 ? `  ${JSON.stringify(r.detail)}` : "";
  const rule = r.rule === "" ? "" : `  rule: ${r.rule}`;
  return safeForTerminal(
    `#${r.seq} ${r.ts} ${r.source}/${r.run} ${r.status.toUpperCase().padEnd(9)} ${r.cap} ${r.target}${rule}${detail}`,
  );
}

/**
 * Targets and details come from scripts. Printed raw, an escape sequence in a path could
 * rewrite the operator's terminal (hide a line, fake a status); a bidi override could reorder
 * what they read. Such characters are shown as escapes instead.
 */
function safeForTerminal(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** An ISO 8601 time, or a duration back from `now`; undefined when neither. */
export function parseSince(text: string, now: number): number | undefined {
  const rel = /^(\d+)(s|m|h|d)$/.exec(text);
  if (rel) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as "s" | "m" | "h" | "d"];
    return now - Number(rel[1]) * unit;
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}

type OptionSpec = Record<string, { type: "string" | "boolean" }>;

function parseCommandLine(
  sub: string,
  args: string[],
  options: OptionSpec,
  io: CliIo,
):
  | number
  | { help: true }
  | { help: false; file: string; values: Record<string, string | boolean | undefined> } {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    return usage(sub, e instanceof Error ? e.message : String(e), io);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return { help: true };
  if (parsed.positionals.length !== 1) {
    return usage(
      sub,
      parsed.positionals.length === 0
        ? "expected the audit log FILE"
        : `expected one FILE, got ${parsed.positionals.length}: ${parsed.positionals.join(" ")}`,
      io,
    );
  }
  return { help: false, file: parsed.positionals[0]!, values };
}

function usage(sub: string, message: string, io: CliIo): number {
  io.stderr(`aegis audit ${sub}: ${message}\nRun 'aegis audit ${sub} --help' for usage.\n`);
  return EXIT_USAGE_OR_IO;
}
