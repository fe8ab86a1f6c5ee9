/**
 * A builtin called with a literal target that the policy denies outright is rejected
 * before the run, so the model learns without spending a run on it. The runtime gate
 * stays the boundary: paths here are resolved lexically only (no symlinks, no file
 * system), and an exception from decide is not a finding.
 */
import { isAbsolute, resolve } from "node:path";
import type * as ac from "acorn";
import type { Decision, Operation } from "../../policy/types.js";
import { type AstNode, describeLiteral, literalString, staticPropertyKey } from "./ast.js";
import type { VerifyContext } from "./context.js";
import { type BuiltinInfo, isGranted } from "./names.js";

export type DecideFn = (op: Operation) => Decision;

/** `~`, `~/x`, relative and `..` resolved against the policy's home and root; `~user` is not guessed. */
export function resolveLexically(path: string, root: string, home: string): string | undefined {
  if (path === "~") return resolve(home);
  if (path.startsWith("~/")) return resolve(home, path.slice(2));
  if (path.startsWith("~")) return undefined;
  return isAbsolute(path) ? resolve(path) : resolve(root, path);
}

function stringArray(node: AstNode | undefined): string[] | undefined {
  if (node?.type !== "ArrayExpression") return undefined;
  const out: string[] = [];
  for (const el of node.elements) {
    const s = el ? literalString(el) : undefined;
    if (s === undefined) return undefined;
    out.push(s);
  }
  return out.length > 0 ? out : undefined;
}

/**
 * The working directory an exec call sets: null when it sets none, a path when it is a
 * literal, undefined when it cannot be known (then the call is not checked at all).
 */
function execCwd(ctx: VerifyContext, options: AstNode | undefined): string | null | undefined {
  if (!options) return null;
  if (options.type !== "ObjectExpression") return undefined;
  let cwd: string | null = null;
  for (const prop of options.properties) {
    if (prop.type === "SpreadElement") return undefined;
    const key = staticPropertyKey(prop);
    if (key === undefined) return undefined;
    if (key !== "cwd") continue;
    const value = literalString(prop.value);
    const resolved =
      value === undefined ? undefined : resolveLexically(value, ctx.policy.root, ctx.policy.home);
    if (resolved === undefined) return undefined;
    cwd = resolved;
  }
  return cwd;
}

interface LiteralCall {
  op: Operation;
  shown: string;
  at: AstNode;
}

function operationOf(
  ctx: VerifyContext,
  info: BuiltinInfo,
  args: ac.CallExpression["arguments"],
): LiteralCall | undefined {
  const first = args[0];
  if (!first || first.type === "SpreadElement") return undefined;
  const target = info.target;
  if (target.kind === "argv") {
    const argv = stringArray(first);
    const second = args[1];
    if (!argv || second?.type === "SpreadElement") return undefined;
    const cwd = execCwd(ctx, second);
    if (cwd === undefined) return undefined;
    return {
      op: { kind: "subprocess.exec", argv, ...(cwd === null ? {} : { cwd }) },
      shown: describeLiteral(argv),
      at: first,
    };
  }
  const text = literalString(first);
  if (text === undefined) return undefined;
  const shown = describeLiteral(text);
  switch (target.kind) {
    case "path": {
      const path = resolveLexically(text, ctx.policy.root, ctx.policy.home);
      return path === undefined ? undefined : { op: { kind: target.action, path }, shown, at: first };
    }
    case "url":
      return { op: { kind: "net.http", method: target.method, url: text }, shown, at: first };
    case "var":
      return { op: { kind: "env.read", name: text }, shown, at: first };
  }
}

export function checkLiteralTargets(ctx: VerifyContext, decideFn: DecideFn): void {
  for (const node of ctx.analysis.nodes) {
    if (node.type !== "CallExpression") continue;
    const info = ctx.builtinOfCall(node);
    // An ungranted capability is already reported by the reference rules.
    if (!info || !isGranted(ctx.policy, info.capability)) continue;
    const call = operationOf(ctx, info, node.arguments);
    if (!call) continue;
    let decision: Decision;
    try {
      decision = decideFn(call.op);
    } catch {
      continue;
    }
    if (decision.decision !== "deny") continue;
    ctx.report(
      call.at,
      `${info.name}(${call.shown}) is denied by the policy: ${decision.reason} (rule: ${decision.rule})`,
      "the gate refuses this call at run time; use a target the policy allows",
    );
  }
}
