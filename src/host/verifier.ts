/**
 * The pre-execution verifier (script-api.md "The verifier"): parses a script without
 * running it and reports, with line:column, what would certainly fail or be refused.
 * It is fast feedback for the model, not the boundary: the gate checks every call
 * again at run time, so anything the verifier cannot see through is left to the gate.
 *
 * Positions: `line` is 1-based and `column` is 1-based, counted in UTF-16 code units
 * (acorn's 0-based column + 1), for syntax errors and findings alike.
 */
import { type Options, type Program, parse } from "acorn";
import { decide } from "../policy/decide.js";
import type { Decision, Operation, ResolvedPolicy } from "../policy/types.js";
import { checkMissingAwait } from "./verifier/await-rule.js";
import { type VerifierIssue, VerifyContext } from "./verifier/context.js";
import { checkLiteralTargets } from "./verifier/literal-rule.js";
import { checkModuleLoading, checkReferences } from "./verifier/reference-rules.js";
import { analyseScopes } from "./verifier/scope.js";

export type { VerifierIssue } from "./verifier/context.js";

export interface VerifyOptions {
  /** Decides a literal target; defaults to the policy engine's `decide`. */
  decideLiteral?: (op: Operation) => Decision;
}

/** Findings past this many are summarised in one last issue, so a huge script gives a readable answer. */
export const MAX_ISSUES = 50;

const PARSE_OPTIONS: Options = {
  ecmaVersion: "latest",
  sourceType: "module",
  locations: true,
  allowAwaitOutsideFunction: true,
};

function tooDeep(): VerifierIssue {
  return {
    message: "the script is nested too deeply to verify",
    line: 1,
    column: 1,
    hint: "flatten the deepest nesting (arrays, objects, calls or blocks)",
  };
}

function syntaxIssue(e: unknown): VerifierIssue {
  if (e instanceof RangeError) return tooDeep();
  const err = e as { message?: unknown; loc?: { line?: unknown; column?: unknown } };
  const raw = typeof err.message === "string" ? err.message : String(e);
  const line = typeof err.loc?.line === "number" ? err.loc.line : 1;
  const column = typeof err.loc?.column === "number" ? err.loc.column + 1 : 1;
  // acorn appends " (line:col)" with a 0-based column; the issue carries its own position.
  const message = raw.replace(/ \(\d+:\d+\)$/, "");
  return { message: `syntax error: ${message}`, line, column };
}

function finish(issues: VerifierIssue[]): VerifierIssue[] {
  const seen = new Set<string>();
  const unique = issues.filter((i) => {
    const key = `${i.line}:${i.column}:${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  unique.sort((a, b) => a.line - b.line || a.column - b.column);
  if (unique.length <= MAX_ISSUES) return unique;
  const rest = unique.length - (MAX_ISSUES - 1);
  const next = unique[MAX_ISSUES - 1]!;
  return [
    ...unique.slice(0, MAX_ISSUES - 1),
    { message: `${rest} more issues not shown`, line: next.line, column: next.column },
  ];
}

/** Returns the script's issues; an empty list means the verifier accepts it. Never throws. */
export function verifyScript(
  source: string,
  policy: ResolvedPolicy,
  options: VerifyOptions = {},
): VerifierIssue[] {
  let program: Program;
  try {
    program = parse(source, PARSE_OPTIONS);
  } catch (e) {
    return [syntaxIssue(e)];
  }
  try {
    const ctx = new VerifyContext(analyseScopes(program), policy);
    checkModuleLoading(ctx);
    checkReferences(ctx);
    checkLiteralTargets(ctx, options.decideLiteral ?? ((op) => decide(policy, op)));
    checkMissingAwait(ctx);
    return finish(ctx.issues);
  } catch (e) {
    if (e instanceof RangeError) return [tooDeep()];
    // A verifier bug rejects the script rather than waving it through (fail closed).
    const why = e instanceof Error ? e.message : String(e);
    return [{ message: `internal verifier error: ${why}`, line: 1, column: 1 }];
  }
}
