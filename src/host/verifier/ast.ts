/**
 * Small helpers over acorn's ESTree nodes, shared by the verifier's passes.
 * No walker library: the verifier needs scopes, and a generic child iteration is ten lines.
 */
import type * as ac from "acorn";

/** Every node the verifier handles. */
export type AstNode = ac.AnyNode;

/** Keys of a node that never hold child nodes. */
const LEAF_KEYS = new Set(["type", "start", "end", "loc", "range", "regex", "value", "raw", "bigint"]);

function isNode(value: unknown): value is AstNode {
  return (
    typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string"
  );
}

/** Calls `fn` for each direct child node, in source order of the node's keys. */
export function forEachChild(node: AstNode, fn: (child: AstNode) => void): void {
  for (const key of Object.keys(node)) {
    if (LEAF_KEYS.has(key)) continue;
    const value = (node as unknown as Record<string, unknown>)[key];
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) fn(item);
    } else if (isNode(value)) {
      fn(value);
    }
  }
}

/** The string a literal argument spells: a string literal or a template without substitutions. */
export function literalString(node: AstNode | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === "Literal" && typeof node.value === "string") return node.value;
  if (node.type === "TemplateLiteral" && node.expressions.length === 0) {
    return node.quasis[0]?.value.cooked ?? undefined;
  }
  return undefined;
}

/** The property name of `a.b`, `a["b"]` or `` a[`b`] ``; undefined for a dynamic key. */
export function staticMemberName(node: ac.MemberExpression): string | undefined {
  if (!node.computed) return node.property.type === "Identifier" ? node.property.name : undefined;
  return literalString(node.property);
}

/** The key of an object property or pattern property when it is static. */
export function staticPropertyKey(prop: ac.Property | ac.AssignmentProperty): string | undefined {
  if (!prop.computed) {
    if (prop.key.type === "Identifier") return prop.key.name;
    if (prop.key.type === "Literal") return String(prop.key.value);
    return undefined;
  }
  return literalString(prop.key);
}

/** 1-based line, 1-based column (UTF-16 code units), from acorn's 0-based column. */
export interface Position {
  line: number;
  column: number;
}

export function positionOf(node: AstNode): Position {
  const start = node.loc?.start;
  return start ? { line: start.line, column: start.column + 1 } : { line: 1, column: 1 };
}

/** A short rendering of a call's first argument for messages, e.g. `".env"`. */
export function describeLiteral(value: string | string[]): string {
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
