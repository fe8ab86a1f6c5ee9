/**
 * Reads where the chain ends: the seq of the last good record, the hash of the last line, and
 * whether that line is torn (a writer killed mid-write). Reads backwards from the end with
 * positioned reads, so the cost does not grow with the log (except on the rare torn-line path,
 * which counts lines once to name the torn one).
 */
import { createHash } from "node:crypto";
import { readSync } from "node:fs";
import { MAX_RECORD_BYTES, parseRecordBytes, sha256Hex, ZERO_HASH } from "./record.js";

const BACK_CHUNK = 8 * 1024;
const SCAN_CHUNK = 1024 * 1024;

export interface TailState {
  /** Seq of the last line that is a record; 0 when there is none. */
  lastSeq: number;
  /** SHA-256 of the last line's bytes (64 zeros for an empty file). */
  lastHash: string;
  /** The file does not end with a newline (the last line must be terminated first). */
  needsNewline: boolean;
  /** Set when the last line is not a record: its 1-based line number and length. */
  torn?: { line: number; bytes: number };
}

export function readTail(fd: number, size: number): TailState {
  if (size === 0) return { lastSeq: 0, lastHash: ZERO_HASH, needsNewline: false };
  const endsWithNewline = readRange(fd, size - 1, size)[0] === 0x0a;
  const end = endsWithNewline ? size - 1 : size;
  const start = findLineStart(fd, end);
  const lastLine = end - start > MAX_RECORD_BYTES ? undefined : readRange(fd, start, end);
  const lastHash = lastLine ? sha256Hex(lastLine) : hashRange(fd, start, end);
  const parsed = parseRecordBytes(lastLine);
  if ("record" in parsed) return { lastSeq: parsed.record.seq, lastHash, needsNewline: !endsWithNewline };

  let lastSeq = 0;
  for (let lineEnd = start - 1; lineEnd >= 0; ) {
    const lineStart = findLineStart(fd, lineEnd);
    const seq = recordSeqAt(fd, lineStart, lineEnd);
    if (seq !== undefined) {
      lastSeq = seq;
      break;
    }
    lineEnd = lineStart - 1;
  }
  return {
    lastSeq,
    lastHash,
    needsNewline: !endsWithNewline,
    torn: { line: countNewlines(fd, start) + 1, bytes: end - start },
  };
}

function recordSeqAt(fd: number, start: number, end: number): number | undefined {
  const parsed = parseRecordBytes(end - start > MAX_RECORD_BYTES ? undefined : readRange(fd, start, end));
  return "record" in parsed ? parsed.record.seq : undefined;
}

/** Offset just after the newline that precedes `end`, or 0. */
function findLineStart(fd: number, end: number): number {
  let pos = end;
  while (pos > 0) {
    const from = Math.max(0, pos - BACK_CHUNK);
    const idx = readRange(fd, from, pos).lastIndexOf(0x0a);
    if (idx >= 0) return from + idx + 1;
    pos = from;
  }
  return 0;
}

function readRange(fd: number, start: number, end: number): Buffer {
  const buf = Buffer.allocUnsafe(end - start);
  let off = 0;
  while (off < buf.length) {
    const n = readSync(fd, buf, off, buf.length - off, start + off);
    if (n === 0) throw new Error(`audit log shrank while reading it (at byte ${start + off})`);
    off += n;
  }
  return buf;
}

function hashRange(fd: number, start: number, end: number): string {
  if (end - start <= SCAN_CHUNK) return sha256Hex(readRange(fd, start, end));
  const h = createHash("sha256");
  for (let pos = start; pos < end; pos += SCAN_CHUNK)
    h.update(readRange(fd, pos, Math.min(end, pos + SCAN_CHUNK)));
  return h.digest("hex");
}

function countNewlines(fd: number, end: number): number {
  let count = 0;
  for (let pos = 0; pos < end; pos += SCAN_CHUNK) {
    const buf = readRange(fd, pos, Math.min(end, pos + SCAN_CHUNK));
    for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, i + 1)) count++;
  }
  return count;
}
