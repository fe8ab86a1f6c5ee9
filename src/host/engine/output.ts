/**
 * The run's captured console output, bounded by `runtime.max_output_bytes`.
 *
 * Raw text is kept up to the cap plus a slack, redacted as a whole at the end, and only
 * then truncated: a secret that straddles the cut is whole when the redactor sees it.
 */
import { OUTPUT_SLACK_BYTES } from "./limits.js";

export class OutputBuffer {
  readonly #cap: number;
  readonly #chunks: string[] = [];
  #stored = 0;
  #total = 0;

  constructor(capBytes: number) {
    this.#cap = capBytes;
  }

  /** Appends one console line; returns false once the output exceeds the cap. */
  appendLine(text: string): boolean {
    const line = `${text}\n`;
    const bytes = Buffer.byteLength(line);
    this.#total += bytes;
    if (this.#stored < this.#cap + OUTPUT_SLACK_BYTES) {
      this.#chunks.push(line);
      this.#stored += bytes;
    }
    return this.#total <= this.#cap;
  }

  get overflowed(): boolean {
    return this.#total > this.#cap;
  }

  /** Bytes of output produced so far (including what was dropped). */
  get totalBytes(): number {
    return this.#total;
  }

  /** The redacted output, truncated to the cap with a marker when it overflowed. */
  render(redact: (text: string) => string): string {
    const text = redact(this.#chunks.join(""));
    if (!this.overflowed && Buffer.byteLength(text) <= this.#cap) return text;
    return `${truncateUtf8(text, this.#cap)}\n[aegis: output truncated at runtime.max_output_bytes = ${this.#cap}]\n`;
  }
}

export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Step back to a character boundary (continuation bytes are 10xxxxxx).
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString("utf8");
}
