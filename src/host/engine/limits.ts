/**
 * The numbers a run enforces, derived once from the policy's `[runtime]` section
 * (script-api.md "Limits") plus the fixed bridge bounds that no policy can raise.
 */
import type { ResolvedPolicy } from "../../policy/types.js";
import { MIN_MEMORY_MB } from "./wasm.js";

/** At most this many builtin calls run at once per run. */
export const MAX_IN_FLIGHT = 16;
/**
 * Calls made while 16 are in flight wait in a FIFO queue (their arguments stay in guest
 * memory); beyond this many waiting, a call is refused with `runtime_limit`.
 */
export const MAX_QUEUED = 10_000;
/** Marshalling bounds for one builtin call's arguments. */
export const MAX_DEPTH = 64;
export const MAX_NODES = 200_000;
export const MAX_ARG_CHARS = 32 * 1024 * 1024;
/**
 * Output kept beyond the cap before truncation, so a secret straddling the cut is still
 * whole when the redactor sees it.
 */
export const OUTPUT_SLACK_BYTES = 64 * 1024;

/** QuickJS stack bytes per guest frame of a plain function, measured (256 KiB ≈ 1 500 frames). */
const STACK_BYTES_PER_FRAME = 176;
const DEFAULT_STACK_BYTES = 256 * 1024;
const MIN_STACK_BYTES = 64 * 1024;
/** The wasm build has a 5 MiB C stack; QuickJS's own check must trip well before it. */
const MAX_STACK_BYTES = 4 * 1024 * 1024;

export interface RunLimits {
  timeoutMs: number;
  memoryMb: number;
  stackBytes: number;
  maxOutputBytes: number;
  noOutputAfterLocalOnlyRead: boolean;
}

/**
 * `runtime.max_callstack_size` counts guest frames (the Starlark meaning); QuickJS limits
 * stack bytes, so it is converted at the measured cost of a plain function frame.
 */
export function stackBytesFor(maxCallstackSize: number | undefined): number {
  if (maxCallstackSize === undefined) return DEFAULT_STACK_BYTES;
  return Math.min(
    MAX_STACK_BYTES,
    Math.max(MIN_STACK_BYTES, Math.round(maxCallstackSize * STACK_BYTES_PER_FRAME)),
  );
}

/** `timeoutSeconds` can only shorten the policy's `runtime.max_seconds`, never extend it. */
export function runLimits(policy: ResolvedPolicy, timeoutSeconds?: number): RunLimits {
  const runtime = policy.runtime;
  const seconds =
    timeoutSeconds !== undefined && timeoutSeconds > 0
      ? Math.min(timeoutSeconds, runtime.maxSeconds)
      : runtime.maxSeconds;
  return {
    timeoutMs: Math.max(1, Math.round(seconds * 1000)),
    memoryMb: Math.max(MIN_MEMORY_MB, runtime.maxMemoryMb),
    stackBytes: stackBytesFor(runtime.maxCallstackSize),
    maxOutputBytes: Math.max(0, runtime.maxOutputBytes),
    noOutputAfterLocalOnlyRead: runtime.noOutputAfterLocalOnlyRead,
  };
}
