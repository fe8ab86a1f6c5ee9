/** Run ids as they appear in results and audit records: `r-<time base36>-<8 hex>`. */
import { randomFillSync } from "node:crypto";

// Random bytes are drawn 4 KiB at a time (one system call per 1 024 ids, where
// `randomBytes(4)` per id cost ~25 µs of a warm run's main-thread time).
const pool = Buffer.alloc(4096);
let used = pool.length;

export function newRunId(): string {
  if (used + 4 > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const hex = pool.toString("hex", used, used + 4);
  used += 4;
  return `r-${Date.now().toString(36)}-${hex}`;
}
