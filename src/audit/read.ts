/**
 * Reads the records of a log in file order, streaming, for listings (`aegis audit show`).
 * Lines that are not records are handed to `onBad`; judging the chain is verify's job.
 */
import { AegisError } from "../errors.js";
import { forEachLine } from "./lines.js";
import { type AuditRecord, MAX_RECORD_BYTES, parseRecordBytes } from "./record.js";

export async function forEachRecord(
  path: string,
  onRecord: (record: AuditRecord, line: number) => void,
  onBad: (line: number, reason: string) => void,
): Promise<void> {
  let n = 0;
  try {
    await forEachLine(path, MAX_RECORD_BYTES, (line) => {
      n++;
      const parsed = parseRecordBytes(line.bytes);
      if ("record" in parsed) onRecord(parsed.record, n);
      else onBad(n, parsed.reason);
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const msg = e instanceof Error ? e.message : String(e);
    throw new AegisError("io_error", `cannot read audit log ${path}: ${code ? `${code}: ` : ""}${msg}`, {
      cause: e,
    });
  }
}
