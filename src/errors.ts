/**
 * The one error type of aegis. Callers match on `kind`, never on message text.
 * Exit codes and MCP error kinds are derived from `kind` in exactly one place each.
 */
export type ErrorKind =
  | "script_error"
  | "policy_violation"
  | "verifier_rejection"
  | "confirm_denied"
  | "runtime_limit"
  | "io_error"
  | "config_error";

export const ERROR_KINDS: readonly ErrorKind[] = [
  "script_error",
  "policy_violation",
  "verifier_rejection",
  "confirm_denied",
  "runtime_limit",
  "io_error",
  "config_error",
];

export const EXIT_CODES: Readonly<Record<ErrorKind, number>> = {
  script_error: 1,
  policy_violation: 2,
  verifier_rejection: 3,
  confirm_denied: 4,
  io_error: 5,
  config_error: 5,
  runtime_limit: 6,
};

export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: number;
}

export class AegisError extends Error {
  readonly kind: ErrorKind;
  readonly location: ErrorLocation | undefined;

  constructor(kind: ErrorKind, message: string, options: { cause?: unknown; location?: ErrorLocation } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AegisError";
    this.kind = kind;
    this.location = options.location;
  }
}

export function isAegisError(e: unknown): e is AegisError {
  return e instanceof AegisError;
}

/** "file:line:column: message" when a location is known. */
export function formatLocated(e: AegisError): string {
  const loc = e.location;
  if (!loc?.file) return e.message;
  const pos = loc.line === undefined ? "" : `:${loc.line}${loc.column === undefined ? "" : `:${loc.column}`}`;
  return `${loc.file}${pos}: ${e.message}`;
}
