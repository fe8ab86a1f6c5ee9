/**
 * Builtins return promises; a model that forgets `await` gets `[object Promise]`, an
 * always-true condition, or `undefined` fields, and burns a run finding out. This rule
 * flags only uses that are wrong for every promise (reading a property other than
 * then/catch/finally, arithmetic or string coercion, a condition, iteration,
 * destructuring, JSON.parse and friends). Anything that might await the promise
 * later (passing it on, returning it, storing it) is left alone: a false finding
 * would reject a correct script, a missed one only costs a runtime error.
 */
import type * as ac from "acorn";
import { type AstNode, positionOf, staticMemberName } from "./ast.js";
import type { VerifyContext } from "./context.js";
import type { BuiltinInfo } from "./names.js";

type Use = "consumed" | "handled" | "neutral" | "stored";

const PROMISE_METHODS = new Set(["then", "catch", "finally"]);

/** Globals that use their argument's value synchronously: a promise there is always a mistake. */
const SYNC_CONSUMERS = new Set([
  "JSON.parse",
  "JSON.stringify",
  "String",
  "Number",
  "Boolean",
  "BigInt",
  "parseInt",
  "parseFloat",
  "encodeURIComponent",
  "encodeURI",
  "Object.keys",
  "Object.values",
  "Object.entries",
  "Array.from",
  "Array.isArray",
  "console.log",
  "console.info",
  "console.warn",
  "console.error",
]);

function consumerName(ctx: VerifyContext, callee: AstNode): string | undefined {
  if (callee.type === "Identifier") return ctx.analysis.isGlobalRef(callee) ? callee.name : undefined;
  if (callee.type === "MemberExpression" && callee.object.type === "Identifier") {
    const member = staticMemberName(callee);
    if (member === undefined || !ctx.analysis.isGlobalRef(callee.object)) return undefined;
    return `${callee.object.name}.${member}`;
  }
  return undefined;
}

/** How the value of `node` (a builtin call or a variable holding its promise) is used. */
function useOf(ctx: VerifyContext, node: AstNode): Use {
  let child = node;
  let parent = ctx.analysis.parentOf(child);
  while (parent?.type === "ChainExpression" || parent?.type === "ParenthesizedExpression") {
    child = parent;
    parent = ctx.analysis.parentOf(child);
  }
  if (!parent) return "handled";
  switch (parent.type) {
    case "AwaitExpression":
      return "handled";
    case "MemberExpression": {
      if (parent.object !== child) return "handled";
      const name = staticMemberName(parent);
      return name === undefined || PROMISE_METHODS.has(name) ? "handled" : "consumed";
    }
    case "CallExpression":
    case "NewExpression": {
      if (parent.callee === child) return "consumed";
      if (parent.type === "CallExpression" && ctx.builtinOfCall(parent)) return "consumed";
      const name = consumerName(ctx, parent.callee);
      return name !== undefined && SYNC_CONSUMERS.has(name) ? "consumed" : "handled";
    }
    case "BinaryExpression":
      return parent.operator === "instanceof" || parent.operator === "in" ? "handled" : "consumed";
    case "LogicalExpression":
      // The left side is tested for truthiness (a promise always passes); the right flows on.
      return parent.left === child ? "consumed" : "handled";
    case "ConditionalExpression":
    case "IfStatement":
    case "WhileStatement":
    case "DoWhileStatement":
      return parent.test === child ? "consumed" : "handled";
    case "ForStatement":
      return parent.test === child ? "consumed" : "neutral";
    case "SwitchStatement":
      return parent.discriminant === child ? "consumed" : "handled";
    case "ForOfStatement":
    case "ForInStatement":
      return parent.right === child ? "consumed" : "handled";
    case "UnaryExpression":
      return parent.operator === "typeof" || parent.operator === "void" || parent.operator === "delete"
        ? "neutral"
        : "consumed";
    case "TemplateLiteral":
    case "SpreadElement":
      return "consumed";
    case "ExpressionStatement":
      return "neutral";
    case "SequenceExpression":
      return parent.expressions[parent.expressions.length - 1] === child ? "handled" : "neutral";
    case "VariableDeclarator":
      if (parent.init !== child) return "handled";
      return parent.id.type === "Identifier" ? "stored" : "consumed";
    case "AssignmentExpression":
      if (parent.right !== child) return "handled";
      if (parent.operator !== "=") return "consumed";
      return parent.left.type === "ObjectPattern" || parent.left.type === "ArrayPattern"
        ? "consumed"
        : "handled";
    default:
      return "handled";
  }
}

/** `const x = fs.read(a)`: flagged only when every use of x is a consuming or neutral one. */
function checkStored(ctx: VerifyContext, call: ac.CallExpression, info: BuiltinInfo): void {
  const declarator = ctx.analysis.parentOf(call);
  if (declarator?.type !== "VariableDeclarator" || declarator.id.type !== "Identifier") return;
  const binding = ctx.analysis.bindingOfDeclaration(declarator.id);
  if (!binding || binding.reassigned) return;
  let firstConsumed: AstNode | undefined;
  for (const ref of binding.references) {
    const use = useOf(ctx, ref);
    if (use === "handled" || use === "stored") return;
    if (use === "consumed" && !firstConsumed) firstConsumed = ref;
  }
  if (!firstConsumed) return;
  const at = positionOf(firstConsumed);
  ctx.report(
    call,
    `${binding.name} holds the promise returned by ${info.name}(...), not its result, and is used at ${at.line}:${at.column} without await`,
    `add await: ${binding.kind} ${binding.name} = await ${info.name}(...)`,
  );
}

export function checkMissingAwait(ctx: VerifyContext): void {
  for (const node of ctx.analysis.nodes) {
    if (node.type !== "CallExpression") continue;
    const info = ctx.builtinOfCall(node);
    if (!info) continue;
    const use = useOf(ctx, node);
    if (use === "consumed") {
      ctx.report(
        node,
        `${info.name}(...) returns a promise, and its value is used here without await`,
        `add await: (await ${info.name}(...))`,
      );
    } else if (use === "stored") {
      checkStored(ctx, node, info);
    }
  }
}
