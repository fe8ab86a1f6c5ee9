/**
 * The second line of secret containment (script-api.md "Sealed values"): removes every known
 * local-only value, raw and in the encodings a script or a command could re-emit it in, from
 * text leaving the host (output, results, error messages, audit records).
 *
 * Matching. Each added secret's variants go into an index keyed by a hash of their first (up
 * to) four characters, with a bit filter in front; adding is incremental, so many secrets added
 * one by one cost no rebuilds. A scan costs a few integer operations per text position, whatever
 * the number of secrets (one regex with hundreds of alternatives measured ~220 ns per position,
 * 2 s for 10 MB; this scan ~13 ns). At each position the longest variant wins, and every
 * position is examined, so overlapping secrets are all found; the union of the matches is
 * replaced, each connected span by one marker.
 */
import type { Redactor } from "./builtin-types.js";

export const REDACTED = "[REDACTED]";

/**
 * Secrets shorter than this are redacted raw only. Their encodings (a 2-char hex pair, a
 * 3-char base64 fragment) occur by chance in ordinary text and would redact half the output.
 */
export const MIN_ENCODED_SECRET_LENGTH = 4;

/**
 * Values shorter than this are not redacted at all. A short value (a header such as
 * `close`, a one-byte slice of a secret) would blank ordinary text, and would turn the
 * redactor into an oracle: a script could learn a short piece by watching which guess of
 * its own comes back as the marker. Sealing, not redaction, is what keeps values hidden.
 */
export const MIN_REDACTED_LENGTH = 8;

/** A line of a multi-line secret (a key file, an .env) is redacted on its own from this length. */
const MIN_LINE_LENGTH = 8;

const KEY_LENGTH = 4;
const FILTER_BITS = 1 << 20;
const EMPTY_FILTER = new Uint32Array(0);

/** Expanding encodings (hex, %XX, \uXXXX: 2-6× the size) are made for secrets up to this length. */
const MAX_EXPANDED_SECRET_LENGTH = 256 * 1024;

export class SecretRedactor implements Redactor {
  readonly #secrets = new Set<string>();
  readonly #index = new VariantIndex();

  add(secret: string): void {
    if (typeof secret !== "string" || secret.length < MIN_REDACTED_LENGTH || this.#secrets.has(secret))
      return;
    this.#secrets.add(secret);
    for (const v of secretVariants(secret)) this.#index.add(v);
  }

  redact(text: string): string {
    if (this.#secrets.size === 0 || text.length === 0) return text;
    return this.#index.replace(text);
  }
}

/** Variants indexed by the hash of their first min(length, KEY_LENGTH) characters. */
class VariantIndex {
  /** Made on the first variant: most runs hold no secret, and it is 128 KiB. */
  #filter = EMPTY_FILTER;
  readonly #all = new Set<string>();
  /** Each bucket longest first. */
  readonly #buckets = new Map<number, string[]>();
  /** Distinct key lengths in use, longest first (just [4] unless a variant is shorter). */
  #keyLengths: number[] = [];

  add(variant: string): void {
    if (this.#all.has(variant)) return;
    this.#all.add(variant);
    const len = Math.min(variant.length, KEY_LENGTH);
    if (!this.#keyLengths.includes(len)) this.#keyLengths = [...this.#keyLengths, len].sort((a, b) => b - a);
    const h = keyHash(variant, 0, len);
    if (this.#filter === EMPTY_FILTER) this.#filter = new Uint32Array(FILTER_BITS >>> 5);
    this.#filter[(h >>> 5) & ((FILTER_BITS >>> 5) - 1)]! |= 1 << (h & 31);
    const bucket = this.#buckets.get(h);
    if (bucket === undefined) {
      this.#buckets.set(h, [variant]);
    } else {
      const at = bucket.findIndex((v) => v.length < variant.length);
      bucket.splice(at < 0 ? bucket.length : at, 0, variant);
    }
  }

  replace(text: string): string {
    if (this.#all.size === 0) return text;
    const n = text.length;
    const filter = this.#filter;
    const mask = (FILTER_BITS >>> 5) - 1;
    let out = "";
    let copied = 0;
    let spanStart = -1;
    let spanEnd = -1;
    const lengths = this.#keyLengths;
    for (let pos = 0; pos < n; pos++) {
      let best = 0;
      for (let k = 0; k < lengths.length; k++) {
        const len = lengths[k]!;
        if (pos + len > n) continue;
        const h = keyHash(text, pos, len);
        if ((filter[(h >>> 5) & mask]! & (1 << (h & 31))) === 0) continue;
        const bucket = this.#buckets.get(h);
        if (bucket !== undefined) best = Math.max(best, longestAt(text, pos, bucket, best));
      }
      if (best === 0) continue;
      if (pos > spanEnd) {
        if (spanEnd >= 0) {
          out += `${text.slice(copied, spanStart)}${REDACTED}`;
          copied = spanEnd;
        }
        spanStart = pos;
        spanEnd = pos + best;
      } else if (pos + best > spanEnd) {
        spanEnd = pos + best;
      }
    }
    if (spanEnd < 0) return text;
    return `${out}${text.slice(copied, spanStart)}${REDACTED}${text.slice(spanEnd)}`;
  }
}

/** Length of the longest of `bucket` (longest first) found at `pos`, if longer than `atLeast`; else 0. */
function longestAt(text: string, pos: number, bucket: readonly string[], atLeast: number): number {
  for (const v of bucket) {
    if (v.length <= atLeast) return 0;
    if (text.startsWith(v, pos)) return v.length;
  }
  return 0;
}

function keyHash(s: string, pos: number, len: number): number {
  let h = len;
  for (let i = 0; i < len; i++) h = Math.imul(h ^ s.charCodeAt(pos + i), 0x9e3779b1);
  return (h ^ (h >>> 15)) >>> 0;
}

/** Every form of `secret` to redact. */
export function secretVariants(secret: string): string[] {
  const forms = new Set<string>([secret]);
  const bases = [secret];
  const trimmed = secret.trim();
  // A value read from a file usually ends in a newline that its echo (or `.trim()`) drops.
  if (trimmed !== secret && trimmed.length >= MIN_REDACTED_LENGTH) bases.push(trimmed);
  if (secret.includes("\n")) {
    for (const line of secret.split(/\r?\n/)) {
      const t = line.trim();
      if (t.length >= MIN_LINE_LENGTH) bases.push(t);
    }
  }
  for (const base of bases) {
    forms.add(base);
    if (base.length < MIN_ENCODED_SECRET_LENGTH) continue;
    for (const v of encodings(base)) if (v.length >= MIN_ENCODED_SECRET_LENGTH) forms.add(v);
  }
  return [...forms];
}

function encodings(s: string): string[] {
  const bytes = Buffer.from(s, "utf8");
  const out = [
    [...s].reverse().join(""),
    encodeURIComponent(s),
    new URLSearchParams({ s }).toString().slice(2),
    JSON.stringify(s).slice(1, -1),
  ];
  for (let offset = 0; offset < 3; offset++) {
    // The fixed middle, and the same run through the end when the secret ends the input
    // (its last character and padding are then fixed too).
    const { middle, toEnd } = base64Forms(bytes, offset);
    const toEndUrl = toBase64Url(toEnd).replace(/=+$/, "");
    out.push(middle, toBase64Url(middle), toEnd, toEndUrl);
  }
  // A large secret (a response body) is rarely re-emitted in these, and they would cost 2-6× its size.
  if (s.length > MAX_EXPANDED_SECRET_LENGTH) return out;
  const hex = bytes.toString("hex");
  const pct = hex.replace(/(..)/g, "%$1");
  const units = Array.from({ length: s.length }, (_, i) => s.charCodeAt(i).toString(16).padStart(4, "0"));
  const uEscaped = units.map((u) => `\\u${u}`).join("");
  const uEscapedUpper = units.map((u) => `\\u${u.toUpperCase()}`).join("");
  out.push(hex, hex.toUpperCase(), pct, pct.toUpperCase(), uEscaped, uEscapedUpper);
  return out;
}

/**
 * The base64 characters fixed by `bytes` alone when they start `offset` bytes into a 3-byte
 * group of a longer input: character i covers bits [6i, 6i+6) of the group-aligned stream and
 * is fixed when those bits all fall inside the secret's bits [8·offset, 8·(offset+n)).
 */
function base64Forms(bytes: Buffer, offset: number): { middle: string; toEnd: string } {
  const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString("base64");
  const first = Math.ceil((8 * offset) / 6);
  const last = Math.floor((8 * (offset + bytes.length)) / 6);
  return { middle: encoded.slice(first, last), toEnd: encoded.slice(first) };
}

function toBase64Url(b64: string): string {
  return b64.replace(/\+/g, "-").replace(/\//g, "_");
}
