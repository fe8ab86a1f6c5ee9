/**
 * Output straight to descriptors 1 and 2, without the stream objects behind process.stdout and
 * process.stderr (building them loads Node's stream modules: milliseconds that a command run as a
 * process per tool call, `aegis hook claude`, should not pay). Synchronous, as those streams are
 * for pipes and files on Linux. A reader that has gone (EPIPE) drops the rest of stdout, as
 * tolerateClosedOutput does for the streams.
 */
import { writeSync } from "node:fs";
import type { CliIo } from "./io.js";

let stdoutGone = false;

export const directIo: CliIo = {
  stdout: (s) => {
    if (!stdoutGone && !writeAllSync(1, s)) stdoutGone = true;
  },
  stderr: (s) => {
    writeAllSync(2, s);
  },
  stdoutClosed: () => stdoutGone,
};

/** False when the reader has gone. Waits out a full non-blocking pipe (EAGAIN). */
function writeAllSync(fd: number, s: string): boolean {
  const bytes = Buffer.from(s);
  for (let off = 0; off < bytes.length; ) {
    try {
      off += writeSync(fd, bytes, off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EPIPE") return false;
      if (code !== "EAGAIN") throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
  return true;
}
