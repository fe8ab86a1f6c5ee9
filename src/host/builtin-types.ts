/**
 * The contract between the sandbox (QuickJS lifecycle, marshalling, limits) and the
 * builtins (fs, env, net, subprocess). A builtin receives plain host values, never
 * wasm handles, and returns plain host values; the sandbox converts both ways.
 */
import type { ResolvedPolicy } from "../policy/types.js";

/** A local-only value as the host sees it: an opaque reference into the run's SealedStore. */
export interface SealedRef {
  readonly sealedId: number;
  /** The label shown as `[sealed NAME]`. */
  readonly label: string;
}

export type HostValue =
  | null
  | undefined
  | boolean
  | number
  | string
  | SealedRef
  | HostValue[]
  | { [key: string]: HostValue };

export function isSealedRef(v: unknown): v is SealedRef {
  return typeof v === "object" && v !== null && typeof (v as { sealedId?: unknown }).sealedId === "number";
}

/** Host-side storage of sealed bytes; the guest only ever holds ids. */
export interface SealedStore {
  seal(label: string, value: string, options?: { redact?: boolean }): SealedRef;
  /** The real bytes, for the moment an effect happens. Throws for an unknown id. */
  reveal(ref: SealedRef): string;
}

/** Removes every local-only value (and its common encodings) from a string. */
export interface Redactor {
  add(secret: string): void;
  redact(text: string): string;
}

export type AuditSource = "run" | "mcp" | "hook";
export type AuditStatus = "denied" | "allowed" | "errored" | "confirmed" | "declined";

/** One audit record as a caller supplies it; the writer adds v, seq, ts, prev. */
export interface AuditEntry {
  run: string;
  source: AuditSource;
  cap: string;
  target: string;
  decision: string;
  rule: string;
  status: AuditStatus;
  detail?: Record<string, unknown>;
}

/** Appends to the hash-chained log. Rejects when the record could not be written (fail closed). */
export interface AuditSink {
  append(entry: AuditEntry): Promise<void>;
  /**
   * An outcome record (written after its effect, so nothing waits for it to start): queued
   * and written together with the next record this process appends, or at the end of the
   * current turn of the event loop if none comes first. Resolves once written; rejects like
   * `append`. A sink without it gets `append`.
   */
  appendOutcome?(entry: AuditEntry): Promise<void>;
}

export interface ConfirmRequest {
  cap: string;
  /** The full target: canonical path, URL, or the whole argv joined. */
  target: string;
  argv?: string[];
  reason: string;
}

/** One line of the run result's `calls` list. */
export interface CallRecord {
  cap: string;
  target: string;
  decision: string;
}

export interface RunContext {
  runId: string;
  source: AuditSource;
  policy: ResolvedPolicy;
  sealed: SealedStore;
  redactor: Redactor;
  audit: AuditSink;
  /** Asks the operator (TTY, MCP elicitation, --yes, …). Resolves false when declined. */
  confirm(request: ConfirmRequest): Promise<boolean>;
  /** Aborted when the run ends for any reason; an effect must not start after that. */
  signal: AbortSignal;
  /** Appended to by the gate, returned in the run result. */
  calls: CallRecord[];
  /** Set once any local-only value has been read in this run. */
  localOnlyRead: boolean;
  /** Process-level environment the run may read from (a copy, so tests can inject). */
  env: Readonly<Record<string, string | undefined>>;
}

/** A gated builtin. Throws AegisError (policy_violation, io_error, …) on denial or failure. */
export type Builtin = (args: HostValue[], ctx: RunContext) => Promise<HostValue>;

/** Guest-visible name (`fs.read`, `net.httpGet`, …) → implementation. */
export type BuiltinTable = Readonly<Record<string, Builtin>>;

export type RunKind =
  | "success"
  | "script_error"
  | "policy_violation"
  | "verifier_rejection"
  | "confirm_denied"
  | "runtime_limit"
  | "io_error";

/** The one result shape of a run, success or failure (script-api.md "Output of a run"). */
export interface RunResult {
  ok: boolean;
  kind: RunKind;
  value?: unknown;
  output: string;
  error?: { message: string; line?: number; column?: number };
  calls: CallRecord[];
  duration_ms: number;
  run_id: string;
}
