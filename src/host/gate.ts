/**
 * The one path every effect takes:
 * count → decide → audit the decision → confirm → (not aborted?) → effect → audit the outcome.
 * Any exception before the effect means the effect does not happen (fail closed).
 *
 * The outcome record is not waited for: it goes to disk with the run's next record (the next
 * call's decision, in the same write) or at the end of the event loop's turn, and the run
 * waits for it before it returns (`outcomesWritten`). If one cannot be written, every later
 * call of the run is refused and the run fails with that error.
 */
import { AegisError, isAegisError } from "../errors.js";
import { capabilityOf, decide } from "../policy/decide.js";
import type { Decision, Operation } from "../policy/types.js";
import type { AuditEntry, RunContext } from "./builtin-types.js";

export interface GateCall {
  /**
   * The operation, or a function that builds it (canonicalising paths, …). If building
   * it throws an AegisError, the call is audited as denied and the error is rethrown.
   */
  op: Operation | (() => Operation);
  /** Capability name, needed when `op` is a function (for audit on failure). */
  cap?: string;
  /**
   * The target as the script spelled it (URL, joined argv, path): shown in the run's
   * `calls` list and in error messages to the script. For an operation with a canonical
   * path the operator (confirmation) and the audit log see that path instead.
   */
  target: string;
  /** Extra audit detail for the decision record (must not hold secrets). */
  detail?: Record<string, unknown>;
  /**
   * The decision's reason as it leaves the host (audit, confirmation prompt, errors), for a
   * call whose operation holds a secret the engine's wording would repeat: a sealed URL's
   * host, which the URL parser lower-cases past the redactor. Defaults to the reason itself.
   */
  shownReason?: (decision: Decision) => string;
  argv?: string[];
}

/** Per-run call counters; `runtime.max_calls_per_capability` and `max_total_calls`. */
const counters = new WeakMap<RunContext, Map<string, number>>();

/** Per-run outcome records not yet known to be written, and the first that failed. */
interface Outcomes {
  pending: Set<Promise<void>>;
  failure: AegisError | undefined;
}
const outcomes = new WeakMap<RunContext, Outcomes>();

function outcomesOf(ctx: RunContext): Outcomes {
  let o = outcomes.get(ctx);
  if (!o) {
    o = { pending: new Set(), failure: undefined };
    outcomes.set(ctx, o);
  }
  return o;
}

function appendOutcome(ctx: RunContext, entry: AuditEntry): void {
  const o = outcomesOf(ctx);
  let written: Promise<void>;
  try {
    written = ctx.audit.appendOutcome ? ctx.audit.appendOutcome(entry) : ctx.audit.append(entry);
  } catch (e) {
    written = Promise.reject(e);
  }
  o.pending.add(written);
  written.then(
    () => o.pending.delete(written),
    (e: unknown) => {
      o.pending.delete(written);
      o.failure ??= isAegisError(e)
        ? e
        : new AegisError("io_error", `audit record not written: ${errorText(e)}`, { cause: e });
    },
  );
}

/**
 * Waits until every outcome record of the run so far is written. Returns the error of the
 * first that could not be, if any.
 */
export async function outcomesWritten(ctx: RunContext): Promise<AegisError | undefined> {
  const o = outcomes.get(ctx);
  if (!o) return undefined;
  await Promise.allSettled([...o.pending]);
  return o.failure;
}

/** A run whose log lost a record makes no further effects. */
function ensureLogIntact(ctx: RunContext, cap: string): void {
  const failure = outcomes.get(ctx)?.failure;
  if (failure) {
    throw new AegisError(
      "io_error",
      `${cap} not started: an earlier audit record of this run was not written (${failure.message})`,
      { cause: failure },
    );
  }
}

function countCall(ctx: RunContext, cap: string): void {
  let m = counters.get(ctx);
  if (!m) {
    m = new Map();
    counters.set(ctx, m);
  }
  const total = (m.get("*") ?? 0) + 1;
  const mine = (m.get(cap) ?? 0) + 1;
  const { maxCallsPerCapability, maxTotalCalls } = ctx.policy.runtime;
  const capLimit = maxCallsPerCapability[cap];
  if (capLimit !== undefined && mine > capLimit) {
    throw new AegisError(
      "runtime_limit",
      `${cap} refused: call ${mine} exceeds runtime.max_calls_per_capability.${cap} = ${capLimit}`,
    );
  }
  if (maxTotalCalls !== undefined && total > maxTotalCalls) {
    throw new AegisError(
      "runtime_limit",
      `${cap} refused: call ${total} exceeds runtime.max_total_calls = ${maxTotalCalls}`,
    );
  }
  m.set("*", total);
  m.set(cap, mine);
}

function ensureNotAborted(ctx: RunContext, cap: string): void {
  if (ctx.signal.aborted) {
    throw new AegisError("runtime_limit", `${cap} not started: the run has ended`);
  }
}

/**
 * Runs `effect` if and only if the policy allows `call`. Returns the effect's value and
 * whether the result must be sealed (local-only).
 */
export async function gate<T>(
  ctx: RunContext,
  call: GateCall,
  effect: (decision: Decision, op: Operation) => Promise<T>,
  outcomeDetail?: (value: T) => Record<string, unknown>,
): Promise<{ value: T; decision: Decision }> {
  const cap = typeof call.op === "function" ? (call.cap ?? "unknown") : capabilityOf(call.op);
  ensureNotAborted(ctx, cap);
  ensureLogIntact(ctx, cap);
  countCall(ctx, cap);
  let op: Operation;
  try {
    op = typeof call.op === "function" ? call.op() : call.op;
  } catch (e) {
    const err = isAegisError(e) ? e : new AegisError("policy_violation", `${cap} denied: ${errorText(e)}`);
    const target = ctx.redactor.redact(call.target);
    ctx.calls.push({ cap, target, decision: "deny" });
    await ctx.audit.append({
      run: ctx.runId,
      source: ctx.source,
      cap,
      target,
      decision: "deny",
      rule: "invalid target",
      status: "denied",
      detail: { reason: err.message },
    });
    throw err.kind === "policy_violation" || err.kind === "io_error"
      ? err
      : new AegisError("policy_violation", err.message);
  }
  const decision = decide(ctx.policy, op);
  const reason = call.shownReason ? call.shownReason(decision) : decision.reason;
  ctx.calls.push({ cap, target: ctx.redactor.redact(call.target), decision: decision.decision });
  const resolved = ctx.redactor.redact(resolvedTarget(op, call.target));
  const base = {
    run: ctx.runId,
    source: ctx.source,
    cap,
    target: resolved,
    decision: decision.decision,
    rule: decision.rule,
  };

  if (decision.decision === "deny") {
    await ctx.audit.append({
      ...base,
      status: "denied",
      detail: { reason, ...call.detail },
    });
    throw new AegisError("policy_violation", reason);
  }
  // The decision is on disk before anything happens; if that write fails, append rejects
  // and the effect never starts.
  await ctx.audit.append({
    ...base,
    status: decision.decision === "confirm" ? "confirmed" : "allowed",
    detail: { phase: "decision", ...call.detail },
  });

  if (decision.decision === "confirm") {
    ensureNotAborted(ctx, cap);
    // The operator approves what will really happen: `data/./sub/../x` is shown as the
    // canonical path it resolved to, never as the agent's spelling of it. The prompt leaves
    // the process (client UI, host logs), so it is redacted like everything else.
    const req = {
      cap,
      target: resolved,
      reason: ctx.redactor.redact(reason),
      ...(call.argv ? { argv: call.argv.map((a) => ctx.redactor.redact(a)) } : {}),
    };
    const approved = await ctx.confirm(req).catch(() => false);
    await ctx.audit.append({
      ...base,
      status: approved ? "confirmed" : "declined",
      detail: { phase: "confirmation" },
    });
    if (!approved) {
      throw new AegisError("confirm_denied", `${cap} ${call.target}: confirmation declined (${reason})`);
    }
  }

  ensureNotAborted(ctx, cap);
  let value: T;
  try {
    value = await effect(decision, op);
  } catch (e) {
    const err = isAegisError(e)
      ? e
      : new AegisError("io_error", `${cap} ${call.target} failed: ${errorText(e)}`, { cause: e });
    appendOutcome(ctx, {
      ...base,
      status: "errored",
      detail: { phase: "outcome", kind: err.kind, error: err.message },
    });
    throw err;
  }
  if (decision.sealed) ctx.localOnlyRead = true;
  appendOutcome(ctx, {
    ...base,
    status: "allowed",
    detail: { phase: "outcome", ...(outcomeDetail ? outcomeDetail(value) : {}) },
  });
  return { value, decision };
}

/** The canonical path of a filesystem operation; otherwise the caller's display target. */
function resolvedTarget(op: Operation, shown: string): string {
  return "path" in op ? op.path : shown;
}

/** An error's message with its errno code, which node's own messages already start with. */
export function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return code && !e.message.startsWith(code) ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}
