/**
 * Rules about what a script names: module loading, host internals, and builtins whose
 * capability the policy never grants. These are cheap, exact checks on free names.
 */
import type * as ac from "acorn";
import { type AstNode, staticMemberName, staticPropertyKey } from "./ast.js";
import type { VerifyContext } from "./context.js";
import {
  builtinFor,
  GRANTED_BY,
  internalHint,
  isGranted,
  isNamespace,
  type Namespace,
  namespaceGrantedBy,
  namespaceGrantsAnything,
} from "./names.js";

const MODULES_HINT = "scripts cannot load modules; use the builtins fs, net, env and subprocess";

/** import / import() / export-from: each would load code from outside the script. */
export function checkModuleLoading(ctx: VerifyContext): void {
  for (const node of ctx.analysis.nodes) {
    if (node.type === "ImportDeclaration") {
      ctx.report(
        node,
        `import of ${JSON.stringify(node.source.value)} is not available in aegis scripts`,
        MODULES_HINT,
      );
    } else if (node.type === "ImportExpression") {
      ctx.report(node, "import() is not available in aegis scripts", MODULES_HINT);
    } else if (
      node.type === "ExportAllDeclaration" ||
      (node.type === "ExportNamedDeclaration" && node.source)
    ) {
      ctx.report(node, "export ... from loads a module, which aegis scripts cannot do", MODULES_HINT);
    }
  }
}

/** Host internals and builtin namespaces, wherever a script names them as free globals. */
export function checkReferences(ctx: VerifyContext): void {
  for (const node of ctx.analysis.nodes) {
    const ns = ctx.namespaceOf(node);
    if (ns) {
      checkNamespaceUse(ctx, node, ns);
      continue;
    }
    if (node.type === "Identifier" && ctx.analysis.isGlobalRef(node)) {
      reportInternal(ctx, node, node.name);
      if (node.name === "globalThis") checkGlobalThisDestructuring(ctx, node);
    } else if (node.type === "MemberExpression" && ctx.isGlobalThis(node.object)) {
      const name = staticMemberName(node);
      if (name !== undefined) reportInternal(ctx, node, name);
    }
  }
}

function isTypeofOperand(ctx: VerifyContext, node: AstNode): boolean {
  const parent = ctx.analysis.parentOf(node);
  return parent?.type === "UnaryExpression" && parent.operator === "typeof";
}

function reportInternal(ctx: VerifyContext, node: AstNode, name: string): void {
  const hint = internalHint(name);
  // `typeof process === "undefined"` is a probe, not a use.
  if (hint === undefined || isTypeofOperand(ctx, node)) return;
  ctx.report(node, `${name} does not exist in aegis scripts (host internal)`, hint);
}

/** The object pattern that destructures `node`, as in `const { exec } = node`. */
function destructuringPattern(ctx: VerifyContext, node: AstNode): ac.ObjectPattern | undefined {
  const parent = ctx.analysis.parentOf(node);
  if (!parent) return undefined;
  let target: AstNode | undefined;
  if (parent.type === "VariableDeclarator" && parent.init === node) target = parent.id;
  else if (
    (parent.type === "AssignmentExpression" || parent.type === "AssignmentPattern") &&
    parent.right === node
  ) {
    target = parent.left;
  }
  return target?.type === "ObjectPattern" ? target : undefined;
}

function checkNamespaceUse(ctx: VerifyContext, node: AstNode, ns: Namespace): void {
  const parent = ctx.analysis.parentOf(node);
  if (parent?.type === "MemberExpression" && parent.object === node) {
    checkMember(ctx, parent, ns, staticMemberName(parent));
    return;
  }
  const pattern = destructuringPattern(ctx, node);
  if (pattern) {
    checkDestructuring(ctx, pattern, ns);
    return;
  }
  if (isTypeofOperand(ctx, node)) return;
  reportEmptyNamespace(ctx, node, ns, `${ns} is used as a value`);
}

function checkMember(ctx: VerifyContext, at: AstNode, ns: Namespace, member: string | undefined): void {
  if (member === undefined) {
    reportEmptyNamespace(ctx, at, ns, `dynamic access to ${ns}[...]`);
    return;
  }
  const info = builtinFor(ns, member);
  if (!info || isGranted(ctx.policy, info.capability)) return;
  const grantedBy = GRANTED_BY[info.capability];
  ctx.report(
    at,
    `${info.name} is not granted by this policy (no entries in ${grantedBy})`,
    `only the operator can grant ${info.capability}, by adding entries to ${grantedBy}; write the script without it`,
  );
}

function checkDestructuring(ctx: VerifyContext, pattern: ac.ObjectPattern, ns: Namespace): void {
  for (const prop of pattern.properties) {
    if (prop.type === "RestElement") reportEmptyNamespace(ctx, prop, ns, `...rest of ${ns}`);
    else checkMember(ctx, prop, ns, staticPropertyKey(prop));
  }
}

/** A namespace used in a way the verifier cannot follow is rejected only when it grants nothing at all. */
function reportEmptyNamespace(ctx: VerifyContext, at: AstNode, ns: Namespace, what: string): void {
  if (namespaceGrantsAnything(ctx.policy, ns)) return;
  ctx.report(
    at,
    `${what}: this policy grants no ${ns} capability`,
    `${ns} capabilities come from ${namespaceGrantedBy(ns)}, which only the operator can change`,
  );
}

/** `const { process } = globalThis`, `const { subprocess: { exec } } = globalThis`. */
function checkGlobalThisDestructuring(ctx: VerifyContext, node: ac.Identifier): void {
  const pattern = destructuringPattern(ctx, node);
  if (!pattern) return;
  for (const prop of pattern.properties) {
    if (prop.type === "RestElement") continue;
    const key = staticPropertyKey(prop);
    if (key === undefined) continue;
    reportInternal(ctx, prop, key);
    if (!isNamespace(key)) continue;
    if (prop.value.type === "ObjectPattern") checkDestructuring(ctx, prop.value, key);
    else reportEmptyNamespace(ctx, prop, key, `${key} is taken from globalThis`);
  }
}
