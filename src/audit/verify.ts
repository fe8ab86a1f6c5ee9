/**
 * Checks the chain of an audit log (audit.md): every line is a record, seq runs 1, 2, 3… and
 * each prev is the SHA-256 of the previous line's bytes. One streaming pass, linear time,
 * memory bounded by one read chunk and one line.
 *
 * Nothing chains to the last line, so an edit of it is invisible to the chain: the report gives
 * the last line's hash, and a hash noted earlier (`lastHash`) can be checked against the log.
 *
 * A line that is not a record is reported as torn (a writer killed mid-write, or a corrupted
 * line). It does not take a seq; the line after it must chain to its bytes, which is what the
 * writer's new segment does, so the report can say whether the chain after it holds.
 */
import { AegisError } from "../errors.js";
import { forEachLine, type Line } from "./lines.js";
import { MAX_RECORD_BYTES, parseRecordBytes, sha256Hex, ZERO_HASH } from "./record.js";

export interface VerifyOptions {
  /** From an external record of the log length: a log ending below this seq was truncated. */
  minSeq?: number;
  /**
   * A `lastHash` noted earlier (lowercase hex). Nothing chains to the last line of a log, so an
   * edit of it is invisible to the chain alone; the log must still hold a line with this hash.
   */
  lastHash?: string;
}

export interface VerifyProblem {
  /** 1-based line number. */
  line: number;
  reason: string;
}

export interface VerifyReport {
  ok: boolean;
  /** Lines that are records. */
  records: number;
  /** Seq of the last record, 0 when there is none. */
  lastSeq: number;
  lines: number;
  /**
   * SHA-256 of the last line (64 zeros for an empty log): the `prev` the next record will carry.
   * Noted somewhere the agent cannot write, it is the anchor `lastHash` checks later.
   */
  lastHash: string;
  /** The first bad line and why. */
  error?: VerifyProblem;
  /**
   * Set when torn lines were found (each is a failure): where, and whether the chain after the
   * first one holds.
   */
  torn?: { lines: number[]; chainAfterIntact: boolean; afterError?: VerifyProblem };
}

/** Rejects with `io_error` when the file cannot be read; a damaged log is a report, not an error. */
export async function verifyAuditLog(path: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const check = new ChainCheck(options.lastHash?.toLowerCase());
  try {
    await forEachLine(path, MAX_RECORD_BYTES, (line) => check.line(line));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const msg = e instanceof Error ? e.message : String(e);
    throw new AegisError("io_error", `cannot read audit log ${path}: ${code ? `${code}: ` : ""}${msg}`, {
      cause: e,
    });
  }
  return check.finish(options);
}

class ChainCheck {
  lineNo = 0;
  records = 0;
  lastSeq = 0;
  prevHash: string | undefined;
  /** A record whose prev did not match; blamed once the next line shows which side changed. */
  pending: { line: number; hash: string } | undefined;
  error: VerifyProblem | undefined;
  tornLines: number[] = [];
  afterTorn: VerifyProblem | undefined;
  /** Lines whose SHA-256 is this are looked for (the `lastHash` option). */
  anchor: string | undefined;
  anchorFound = false;

  constructor(anchor: string | undefined) {
    this.anchor = anchor;
    // The head of an empty log continues into any log.
    this.anchorFound = anchor === ZERO_HASH;
  }

  line(line: Line): void {
    const n = ++this.lineNo;
    const hash = line.digest ?? sha256Hex(line.bytes!);
    if (hash === this.anchor) this.anchorFound = true;
    const parsed = parseRecordBytes(line.bytes);
    this.resolvePending("record" in parsed ? parsed.record.prev : undefined);

    if ("reason" in parsed) {
      this.tornLines.push(n);
      const why = line.terminated
        ? `line ${n} is torn or corrupt: ${parsed.reason}`
        : `line ${n} is torn: the log ends in the middle of a record (a writer was killed mid-write; ${parsed.reason})`;
      this.report({ line: n, reason: why }, true);
    } else {
      const rec = parsed.record;
      const expected = this.lastSeq + 1;
      if (rec.seq !== expected) {
        const why =
          rec.seq > expected
            ? `seq ${rec.seq} where ${expected} was expected: ${rec.seq - expected} record(s) are missing before this line (removed, or lines reordered)`
            : `seq ${rec.seq} where ${expected} was expected: a record was inserted, duplicated or moved here`;
        this.report({ line: n, reason: why }, false);
      } else if (rec.prev !== (this.prevHash ?? ZERO_HASH)) {
        if (this.prevHash === undefined) {
          this.report(
            { line: n, reason: "the first line's prev is not 64 zeros: the head of the log was removed" },
            false,
          );
        } else {
          this.pending = { line: n, hash };
        }
      }
      this.records++;
      this.lastSeq = rec.seq;
    }
    this.prevHash = hash;
  }

  finish({ minSeq }: VerifyOptions): VerifyReport {
    this.resolvePending(undefined);
    if (minSeq !== undefined && this.lastSeq < minSeq) {
      this.report(
        {
          line: this.lineNo + 1,
          reason: `the log ends at seq ${this.lastSeq} but reached at least seq ${minSeq} (external record): its tail was truncated`,
        },
        false,
      );
    }
    if (this.anchor !== undefined && !this.anchorFound) {
      const noted = `no line has the SHA-256 ${this.anchor} noted earlier (--last-hash)`;
      this.report(
        this.lineNo === 0
          ? { line: 1, reason: `${noted}: the log is empty, its lines were removed` }
          : {
              line: this.lineNo,
              reason: `${noted}: the line that was last when it was noted was changed or removed; if nothing was appended since, line ${this.lineNo} was edited`,
            },
        false,
      );
    }
    const report: VerifyReport = {
      ok: this.error === undefined,
      records: this.records,
      lastSeq: this.lastSeq,
      lines: this.lineNo,
      lastHash: this.prevHash ?? ZERO_HASH,
    };
    if (this.error) report.error = this.error;
    if (this.tornLines.length > 0) {
      report.torn = { lines: this.tornLines, chainAfterIntact: this.afterTorn === undefined };
      if (this.afterTorn) report.torn.afterError = this.afterTorn;
    }
    return report;
  }

  /**
   * Line k's prev did not match line k-1. If line k+1 chains to line k, line k is intact and
   * line k-1 is the one that changed; otherwise line k is blamed.
   */
  resolvePending(nextPrev: string | undefined): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    if (nextPrev === p.hash) {
      this.report(
        {
          line: p.line - 1,
          reason: `line ${p.line - 1} was changed: its SHA-256 is not the prev of line ${p.line}, which itself chains intact to line ${p.line + 1}`,
        },
        false,
      );
    } else {
      this.report(
        {
          line: p.line,
          reason: `prev is not the SHA-256 of line ${p.line - 1}: line ${p.line - 1} or this line was changed, or a line was inserted or removed here`,
        },
        false,
      );
    }
  }

  report(problem: VerifyProblem, torn: boolean): void {
    if (this.error === undefined) this.error = problem;
    if (
      !torn &&
      this.afterTorn === undefined &&
      this.tornLines.length > 0 &&
      problem.line >= this.tornLines[0]!
    ) {
      this.afterTorn = problem;
    }
  }
}
