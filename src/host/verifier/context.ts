/**
 * What every verifier rule shares: the scope analysis, the policy, and the
 * recognisers for "this expression is the builtin namespace `fs`" and "this call is
 * a builtin call", so that each rule agrees on what a builtin is.
 */
import type * as ac from "acorn";
import type { ResolvedPolicy } from "../../policy/types.js";
import { type AstNode, positionOf, staticMemberName } from "./ast.js";
import { type BuiltinInfo, builtinFor, isNamespace, type Namespace } from "./names.js";
import type { ScopeAnalysis } from "./scope.js";

/** One finding. `line` and `column` are both 1-based; columns count UTF-16 code units. */
export interface VerifierIssue {
  message: string;
  line: number;
  column: number;
  hint?: string;
}

export class VerifyContext {
  readonly issues: VerifierIssue[] = [];

  constructor(
    readonly analysis: ScopeAnalysis,
    readonly policy: ResolvedPolicy,
  ) {}

  report(node: AstNode, message: string, hint?: string): void {
    this.issues.push({ message, ...positionOf(node), ...(hint === undefined ? {} : { hint }) });
  }

  /** `globalThis` as a free name (not a script variable of that name). */
  isGlobalThis(node: AstNode): boolean {
    return this.analysis.isGlobalRef(node, "globalThis");
  }

  /**
   * The builtin namespace an expression denotes: a free `fs`/`net`/`env`/`subprocess`,
   * or `globalThis.fs` / `globalThis["fs"]`.
   */
  namespaceOf(node: AstNode): Namespace | undefined {
    if (node.type === "Identifier") {
      return isNamespace(node.name) && this.analysis.isGlobalRef(node) ? node.name : undefined;
    }
    if (node.type === "MemberExpression" && this.isGlobalThis(node.object)) {
      const name = staticMemberName(node);
      return name !== undefined && isNamespace(name) ? name : undefined;
    }
    return undefined;
  }

  /** The builtin a member expression names (`fs.read`, `net["httpGet"]`). */
  builtinOfMember(node: AstNode): BuiltinInfo | undefined {
    if (node.type !== "MemberExpression") return undefined;
    const ns = this.namespaceOf(node.object);
    const name = ns && staticMemberName(node);
    return ns && name !== undefined ? builtinFor(ns, name) : undefined;
  }

  /**
   * The builtin a call invokes: `fs.read(…)`, or a never-reassigned const alias
   * (`const { read } = fs; read(…)`, `const get = net.httpGet; get(…)`).
   */
  builtinOfCall(call: ac.CallExpression): BuiltinInfo | undefined {
    const callee = call.callee;
    const direct = this.builtinOfMember(callee);
    if (direct || callee.type !== "Identifier") return direct;
    const b = this.analysis.resolve(callee);
    if (b?.kind !== "const" || b.reassigned) return undefined;
    if (b.init) return this.builtinOfMember(b.init);
    if (b.destructured) {
      const ns = this.namespaceOf(b.destructured.source);
      return ns ? builtinFor(ns, b.destructured.key) : undefined;
    }
    return undefined;
  }
}
