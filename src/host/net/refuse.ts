/**
 * Audited refusals and failures that happen outside `gate()`:
 *
 * - a refusal whose reason involves a sealed value, so the policy engine never sees (and
 *   never echoes) the secret, or a flow rule (sealed value → destination) that refuses a
 *   call the policy's lists would allow;
 * - a failure before the decision can be made (a name that does not resolve).
 *
 * Either way the attempt lands in the audit log like any gated call.
 */
import { AegisError } from "../../errors.js";
import type { AuditStatus, RunContext } from "../builtin-types.js";

async function record(
  ctx: RunContext,
  cap: string,
  target: string,
  decision: string,
  rule: string,
  status: AuditStatus,
  detail: Record<string, unknown>,
): Promise<void> {
  const shown = ctx.redactor.redact(target);
  ctx.calls.push({ cap, target: shown, decision });
  await ctx.audit.append({
    run: ctx.runId,
    source: ctx.source,
    cap,
    target: shown,
    decision,
    rule,
    status,
    detail,
  });
}

export async function refuse(
  ctx: RunContext,
  cap: string,
  target: string,
  rule: string,
  reason: string,
): Promise<never> {
  await record(ctx, cap, target, "deny", rule, "denied", { reason: ctx.redactor.redact(reason) });
  throw new AegisError("policy_violation", reason);
}

export async function failBeforeDecision(
  ctx: RunContext,
  cap: string,
  target: string,
  error: AegisError,
): Promise<never> {
  await record(ctx, cap, target, "none", "none", "errored", {
    phase: "before-decision",
    kind: error.kind,
    error: ctx.redactor.redact(error.message),
  });
  throw error;
}
