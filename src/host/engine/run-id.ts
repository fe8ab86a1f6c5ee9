/** Run ids as they appear in results and audit records: `r-<time base36>-<8 hex>`. */
import { randomBytes } from "node:crypto";

export function newRunId(): string {
  return `r-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
}
