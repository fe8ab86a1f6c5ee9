/**
 * The audit record: its byte layout (fixed key order, so the same record always hashes the
 * same), the chain hash, and the check that a line is a well-formed record.
 */
import { isUtf8 } from "node:buffer";
import { hash } from "node:crypto";
import type { AuditEntry, Redactor } from "../host/builtin-types.js";

export const RECORD_VERSION = 1;

/** `prev` of the first record. */
export const ZERO_HASH = "0".repeat(64);

/**
 * The writer refuses a record longer than this; the verifier treats a longer line as not a
 * record (it still hashes it, in bounded memory).
 */
export const MAX_RECORD_BYTES = 1024 * 1024;

export interface AuditRecord {
  v: 1;
  seq: number;
  ts: string;
  run: string;
  source: string;
  cap: string;
  target: string;
  decision: string;
  rule: string;
  status: string;
  detail: Record<string, unknown>;
  prev: string;
}

/** SHA-256 (hex) of bytes, or of a string's UTF-8 bytes. One-shot: a quarter of the cost of a Hash object. */
export function sha256Hex(bytes: string | Uint8Array): string {
  return hash("sha256", bytes, "hex");
}

/**
 * The middle of a record line, from `"run"` to `"detail"`, with every string (object keys
 * included) passed through `redact`. Built before the lock is taken so the locked section
 * only adds seq, ts and prev. Throws on a value JSON cannot carry faithfully (BigInt, a cycle).
 */
export function serializeBody(entry: AuditEntry, redact: (s: string) => string): string {
  const field = (name: keyof AuditEntry): string => {
    const value = entry[name];
    if (typeof value !== "string") {
      throw new TypeError(`audit entry field "${name}" must be a string, got ${typeof value}`);
    }
    return JSON.stringify(redact(value));
  };
  const detail = entry.detail ?? {};
  if (typeof detail !== "object" || detail === null || Array.isArray(detail)) {
    throw new TypeError("audit entry detail must be a plain object");
  }
  const detailJson = JSON.stringify(detail, redactingReplacer(redact));
  if (detailJson === undefined || !detailJson.startsWith("{")) {
    throw new TypeError("audit entry detail must serialize to a JSON object");
  }
  return (
    `"run":${field("run")},"source":${field("source")},"cap":${field("cap")},"target":${field("target")},` +
    `"decision":${field("decision")},"rule":${field("rule")},"status":${field("status")},"detail":${detailJson}`
  );
}

/** A JSON.stringify replacer that redacts every string value and every object key. */
function redactingReplacer(redact: (s: string) => string): (key: string, value: unknown) => unknown {
  return (_key, value) => {
    if (typeof value === "string") return redact(value);
    if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
    const keys = Object.keys(value);
    const redactedKeys = keys.map(redact);
    if (redactedKeys.every((k, i) => k === keys[i])) return value;
    // A key can carry a secret too (a header name, a map built from script input).
    const out: Record<string, unknown> = {};
    keys.forEach((k, i) => {
      out[redactedKeys[i]!] = (value as Record<string, unknown>)[k];
    });
    return out;
  };
}

export function recordLine(seq: number, ts: string, body: string, prev: string): string {
  return `{"v":${RECORD_VERSION},"seq":${seq},"ts":${JSON.stringify(ts)},${body},"prev":"${prev}"}`;
}

/** Applies every redactor in order; an empty list is the identity. */
export function composeRedactors(redactors: readonly (Redactor | undefined)[]): (s: string) => string {
  const active = redactors.filter((r): r is Redactor => r !== undefined);
  if (active.length === 0) return (s) => s;
  return (s) => active.reduce((text, r) => r.redact(text), s);
}

const STRING_FIELDS = ["ts", "run", "source", "cap", "target", "decision", "rule", "status"] as const;
const HASH_RE = /^[0-9a-f]{64}$/;

/** Parses one line (without its newline). Returns the record, or why it is not one. */
export function parseRecord(text: string): { record: AuditRecord } | { reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { reason: "it is not complete JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { reason: "it is not a JSON object" };
  }
  const r = value as Record<string, unknown>;
  if (r.v !== RECORD_VERSION) return { reason: `its "v" is not ${RECORD_VERSION}` };
  if (typeof r.seq !== "number" || !Number.isSafeInteger(r.seq) || r.seq < 1) {
    return { reason: `its "seq" is not a positive integer` };
  }
  for (const name of STRING_FIELDS) {
    if (typeof r[name] !== "string") return { reason: `its "${name}" is not a string` };
  }
  if (typeof r.detail !== "object" || r.detail === null || Array.isArray(r.detail)) {
    return { reason: `its "detail" is not an object` };
  }
  if (typeof r.prev !== "string" || !HASH_RE.test(r.prev)) {
    return { reason: `its "prev" is not a SHA-256 hex digest` };
  }
  return { record: r as unknown as AuditRecord };
}

/** `parseRecord` for a line's bytes; `undefined` stands for a line too long to hold. */
export function parseRecordBytes(bytes: Buffer | undefined): { record: AuditRecord } | { reason: string } {
  if (bytes === undefined) return { reason: `it is longer than ${MAX_RECORD_BYTES} bytes` };
  if (!isUtf8(bytes)) return { reason: "it is not valid UTF-8" };
  return parseRecord(bytes.toString("utf8"));
}
