/**
 * Reads the records of a log in file order, streaming, for listings (`aegis audit show`).
 * Lines that are not records are handed to `onBad`; judging the chain is verify's job.
 * `onRecord` returning `false` stops the reading (the listing's reader has gone).
 */
import { AegisError } from "../errors.js";
import { forEachLine } from "./lines.js";
import { type AuditRecord, MAX_RECORD_BYTES, parseRecordBytes } from "./record.js";

/** Thrown through forEachLine to end it early; never escapes forEachRecord. */
const STOP = Symbol("stop reading");

export async function forEachRecord(
  path: string,
  onRecord: (record: AuditRecord, line: number) => boolean | undefined,
  onBad: (line: number, reason: string) => void,
): Promise<void> {
  let n = 0;
  try {
    await forEachLine(path, MAX_RECORD_BYTES, (line) => {
      n++;
      const parsed = parseRecordBytes(line.bytes);
      if (!("record" in parsed)) onBad(n, parsed.reason);
      else if (onRecord(parsed.record, n) === false) throw STOP;
    });
  } catch (e) {
    if (e === STOP) return;
    const code = (e as NodeJS.ErrnoException).code;
    const msg = e instanceof Error ? e.message : String(e);
    throw new AegisError("io_error", `cannot read audit log ${path}: ${code ? `${code}: ` : ""}${msg}`, {
      cause: e,
    });
  }
}
