/**
 * How a run's ending becomes the `RunResult` fields: which kind an uncaught value maps
 * to, where in the script it happened, and redaction of the result value.
 */
import type { ErrorKind } from "../../errors.js";
import type { RunKind } from "../builtin-types.js";

/** A condition the host decided ends the run (deadline, memory, output, refused output). */
export interface Fatal {
  kind: RunKind;
  message: string;
}

/** What the prelude's `describeError` reports about an uncaught value. */
export interface ErrorDescription {
  /** Set only for AegisErrors the host itself raised (a script cannot mint one). */
  kind: string;
  name: string;
  message: string;
  stack: string;
}

export interface RunError {
  kind: RunKind;
  message: string;
  line?: number;
  column?: number;
}

const HOST_KINDS: Readonly<Record<ErrorKind, RunKind>> = {
  script_error: "script_error",
  policy_violation: "policy_violation",
  verifier_rejection: "verifier_rejection",
  confirm_denied: "confirm_denied",
  runtime_limit: "runtime_limit",
  io_error: "io_error",
  config_error: "io_error",
};

export function parseDescription(text: string): ErrorDescription {
  const parsed = JSON.parse(text) as [string, string, string, string];
  return { kind: parsed[0], name: parsed[1], message: parsed[2], stack: parsed[3] };
}

/** The guest's own limit errors (QuickJS raises them as InternalError) are runtime limits. */
export function classify(d: ErrorDescription): RunKind {
  if (d.kind !== "") return HOST_KINDS[d.kind as ErrorKind] ?? "io_error";
  if (d.name === "InternalError" && /^(out of memory|interrupted)$/.test(d.message)) return "runtime_limit";
  // QuickJS reports exhausted stack as InternalError, or SyntaxError from inside JSON.parse.
  if (d.message === "stack overflow") return "runtime_limit";
  if (d.name === "RangeError" && d.message.includes("call stack")) return "runtime_limit";
  return "script_error";
}

export function messageOf(d: ErrorDescription): string {
  if (d.kind !== "" || d.name === "") return d.message;
  return d.message === "" ? d.name : `${d.name}: ${d.message}`;
}

/** Line and column of the first stack frame in the script itself. */
export function locate(stack: string, filename: string): { line?: number; column?: number } {
  for (const frame of stack.split("\n")) {
    const at = frame.lastIndexOf(`${filename}:`);
    if (at < 0) continue;
    const match = /^:(\d+)(?::(\d+))?/.exec(frame.slice(at + filename.length));
    if (!match) continue;
    const line = Number(match[1]);
    return match[2] === undefined ? { line } : { line, column: Number(match[2]) };
  }
  return {};
}

export function describeToError(d: ErrorDescription, filename: string): RunError {
  return { kind: classify(d), message: messageOf(d), ...locate(d.stack, filename) };
}

function redactStrings(value: unknown, redact: (s: string) => string): unknown {
  if (typeof value === "string") return redact(value);
  if (Array.isArray(value)) return value.map((x) => redactStrings(x, redact));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      Object.defineProperty(out, redact(key), {
        value: redactStrings(item, redact),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

/**
 * The result value with every local-only value removed. The serialised form is redacted
 * too, so a secret split across two strings or keys is still caught; if that changes the
 * text in a way the per-string pass did not, the redacted text is returned as a string.
 */
export function redactValue(value: unknown, redact: (s: string) => string): unknown {
  if (value === undefined) return undefined;
  const perString = redactStrings(value, redact);
  const before = JSON.stringify(perString);
  const after = redact(before);
  if (after === before) return perString;
  try {
    return JSON.parse(after) as unknown;
  } catch {
    return after;
  }
}
