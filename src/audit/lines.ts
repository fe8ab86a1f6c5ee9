/**
 * Splits a file into lines as exact bytes (newline = 0x0A only; a `\r` stays part of the line,
 * because the chain hashes the bytes). Streams the file: memory stays within one read chunk
 * plus one line of at most `maxLineBytes`; a longer line is hashed incrementally and handed
 * over without its bytes.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";

export interface Line {
  /** The bytes without the newline; undefined when the line is longer than `maxLineBytes`. */
  bytes: Buffer | undefined;
  length: number;
  /** False for a last line with no newline after it. */
  terminated: boolean;
  /** SHA-256 hex, given only when `bytes` is undefined (the caller hashes `bytes` otherwise). */
  digest: string | undefined;
}

const READ_CHUNK = 1024 * 1024;

export async function forEachLine(
  path: string,
  maxLineBytes: number,
  onLine: (line: Line) => void,
): Promise<void> {
  let parts: Buffer[] = [];
  let carried = 0;
  let overflow: Hash | undefined;

  const carry = (piece: Buffer): void => {
    if (piece.length === 0) return;
    carried += piece.length;
    if (overflow) {
      overflow.update(piece);
      return;
    }
    // Copy: a subarray would pin the whole read chunk.
    parts.push(Buffer.from(piece));
    if (carried > maxLineBytes) {
      overflow = createHash("sha256");
      for (const p of parts) overflow.update(p);
      parts = [];
    }
  };
  const emitCarried = (terminated: boolean): void => {
    if (overflow) {
      onLine({ bytes: undefined, length: carried, terminated, digest: overflow.digest("hex") });
    } else {
      const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts, carried);
      onLine({ bytes, length: carried, terminated, digest: undefined });
    }
    parts = [];
    carried = 0;
    overflow = undefined;
  };

  for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK })) {
    const buf = chunk as Buffer;
    let pos = 0;
    for (let nl = buf.indexOf(0x0a, pos); nl >= 0; nl = buf.indexOf(0x0a, pos)) {
      const piece = buf.subarray(pos, nl);
      if (carried === 0) {
        if (piece.length > maxLineBytes) {
          carry(piece);
          emitCarried(true);
        } else {
          onLine({ bytes: piece, length: piece.length, terminated: true, digest: undefined });
        }
      } else {
        carry(piece);
        emitCarried(true);
      }
      pos = nl + 1;
    }
    carry(buf.subarray(pos));
  }
  if (carried > 0) emitCarried(false);
}
