/**
 * Lexical scope analysis of a parsed module: which identifier refers to which
 * declaration, and which names are free (globals). The verifier needs it so that
 * a local variable called `os` or `fs` is never mistaken for a host global, and so
 * that a promise stored in a variable can be followed to its uses.
 *
 * Approximations, all on the side of "declared" (fewer findings, never more):
 * temporal dead zones are ignored, and a function expression's own name shares
 * the function's scope.
 */
import type * as ac from "acorn";
import { type AstNode, forEachChild } from "./ast.js";

export type BindingKind = "var" | "let" | "const" | "function" | "class" | "param" | "catch" | "import";

export interface Binding {
  name: string;
  kind: BindingKind;
  /** The declared identifier. */
  id: ac.Identifier;
  /** `const x = <init>`: the initialiser when the declared pattern is the plain identifier. */
  init: ac.Expression | null;
  /** `const { key: x } = <source>`: the source and static key when x is a top-level pattern property. */
  destructured: { source: ac.Expression; key: string } | null;
  /** Identifiers that read or write this binding, declaration excluded. */
  references: ac.Identifier[];
  /** Declared more than once, or written after its declaration. */
  reassigned: boolean;
}

export interface ScopeAnalysis {
  /** Every visited node in source pre-order. */
  nodes: AstNode[];
  parentOf(node: AstNode): AstNode | undefined;
  /** The binding an identifier reference resolves to; null for a free (global) name. */
  resolve(id: ac.Identifier): Binding | null | undefined;
  /** True when `id` is a reference to a global the script does not declare. */
  isGlobalRef(id: AstNode, name?: string): id is ac.Identifier;
  bindingOfDeclaration(id: ac.Identifier): Binding | undefined;
}

class Scope {
  readonly names = new Map<string, Binding>();
  constructor(readonly parent: Scope | null) {}

  lookup(name: string): Binding | null {
    for (let s: Scope | null = this; s; s = s.parent) {
      const b = s.names.get(name);
      if (b) return b;
    }
    return null;
  }
}

type PatternMode = "declare" | "assign";

export function analyseScopes(program: ac.Program): ScopeAnalysis {
  const nodes: AstNode[] = [];
  const parents = new Map<AstNode, AstNode>();
  const resolved = new Map<ac.Identifier, Binding | null>();
  const declared = new Map<ac.Identifier, Binding>();

  function declare(
    scope: Scope,
    id: ac.Identifier,
    kind: BindingKind,
    init: ac.Expression | null = null,
  ): Binding {
    const existing = scope.names.get(id.name);
    if (existing) {
      existing.reassigned = true;
      declared.set(id, existing);
      return existing;
    }
    const b: Binding = {
      name: id.name,
      kind,
      id,
      init,
      destructured: null,
      references: [],
      reassigned: false,
    };
    scope.names.set(id.name, b);
    declared.set(id, b);
    return b;
  }

  function declarePattern(
    scope: Scope,
    pattern: ac.Pattern,
    kind: BindingKind,
    decl?: ac.VariableDeclarator,
  ): void {
    switch (pattern.type) {
      case "Identifier":
        declare(scope, pattern, kind, decl?.id === pattern ? (decl.init ?? null) : null);
        return;
      case "ObjectPattern":
        for (const prop of pattern.properties) {
          if (prop.type === "RestElement") {
            declarePattern(scope, prop.argument, kind);
            continue;
          }
          declarePattern(scope, prop.value, kind);
          if (decl?.id === pattern && decl.init && prop.value.type === "Identifier") {
            const key = !prop.computed && prop.key.type === "Identifier" ? prop.key.name : undefined;
            const b = declared.get(prop.value);
            if (key !== undefined && b) b.destructured = { source: decl.init, key };
          }
        }
        return;
      case "ArrayPattern":
        for (const el of pattern.elements) if (el) declarePattern(scope, el, kind);
        return;
      case "RestElement":
        declarePattern(scope, pattern.argument, kind);
        return;
      case "AssignmentPattern":
        declarePattern(scope, pattern.left, kind);
        return;
      default:
        return;
    }
  }

  function declareVariables(scope: Scope, decl: ac.VariableDeclaration): void {
    for (const d of decl.declarations) declarePattern(scope, d.id, declKind(decl), d);
  }

  /** `var` declarations anywhere in a function body, not crossing into nested functions. */
  function hoistVars(scope: Scope, stmt: AstNode | null | undefined): void {
    if (!stmt) return;
    switch (stmt.type) {
      case "VariableDeclaration":
        if (stmt.kind === "var") declareVariables(scope, stmt);
        return;
      case "BlockStatement":
      case "StaticBlock":
        for (const s of stmt.body) hoistVars(scope, s);
        return;
      case "IfStatement":
        hoistVars(scope, stmt.consequent);
        hoistVars(scope, stmt.alternate);
        return;
      case "ForStatement":
        hoistVars(scope, stmt.init);
        hoistVars(scope, stmt.body);
        return;
      case "ForInStatement":
      case "ForOfStatement":
        hoistVars(scope, stmt.left);
        hoistVars(scope, stmt.body);
        return;
      case "WhileStatement":
      case "DoWhileStatement":
      case "LabeledStatement":
        hoistVars(scope, stmt.body);
        return;
      case "TryStatement":
        hoistVars(scope, stmt.block);
        hoistVars(scope, stmt.handler?.body);
        hoistVars(scope, stmt.finalizer);
        return;
      case "SwitchStatement":
        for (const c of stmt.cases) for (const s of c.consequent) hoistVars(scope, s);
        return;
      case "ExportNamedDeclaration":
        hoistVars(scope, stmt.declaration);
        return;
      default:
        return;
    }
  }

  /** let/const/class/function/import declared directly in a statement list. */
  function hoistLexical(scope: Scope, body: readonly AstNode[]): void {
    for (const stmt of body) {
      let s: AstNode | null | undefined = stmt;
      if (s.type === "ExportNamedDeclaration" || s.type === "ExportDefaultDeclaration") s = s.declaration;
      if (!s) continue;
      if (s.type === "VariableDeclaration" && s.kind !== "var") declareVariables(scope, s);
      else if ((s.type === "FunctionDeclaration" || s.type === "ClassDeclaration") && s.id) {
        declare(scope, s.id, s.type === "FunctionDeclaration" ? "function" : "class");
      } else if (s.type === "ImportDeclaration") {
        for (const spec of s.specifiers) declare(scope, spec.local, "import");
      }
    }
  }

  function reference(id: ac.Identifier, scope: Scope, writes: boolean): void {
    const b = scope.lookup(id.name);
    resolved.set(id, b);
    if (b) {
      b.references.push(id);
      if (writes) b.reassigned = true;
    }
  }

  function enter(node: AstNode, parent: AstNode | undefined): void {
    nodes.push(node);
    if (parent) parents.set(node, parent);
  }

  /** Visits a binding or assignment target: identifiers are declarations or writes, defaults are reads. */
  function visitPattern(node: AstNode, parent: AstNode, scope: Scope, mode: PatternMode): void {
    enter(node, parent);
    switch (node.type) {
      case "Identifier":
        if (mode === "assign") reference(node, scope, true);
        return;
      case "ObjectPattern":
        for (const prop of node.properties) {
          if (prop.type === "RestElement") {
            visitPattern(prop, node, scope, mode);
            continue;
          }
          enter(prop, node);
          if (prop.computed) visit(prop.key, prop, scope);
          visitPattern(prop.value, prop, scope, mode);
        }
        return;
      case "ArrayPattern":
        for (const el of node.elements) if (el) visitPattern(el, node, scope, mode);
        return;
      case "RestElement":
        visitPattern(node.argument, node, scope, mode);
        return;
      case "AssignmentPattern":
        visitPattern(node.left, node, scope, mode);
        visit(node.right, node, scope);
        return;
      default:
        // A member expression target (`a.b = …`) reads `a`.
        visitInner(node, scope);
    }
  }

  function visitFunction(node: ac.Function & AstNode, scope: Scope): void {
    const fnScope = new Scope(scope);
    if (node.type === "FunctionExpression" && node.id) declare(fnScope, node.id, "function");
    for (const p of node.params) declarePattern(fnScope, p, "param");
    if (node.body.type === "BlockStatement") {
      for (const s of node.body.body) hoistVars(fnScope, s);
      hoistLexical(fnScope, node.body.body);
    }
    for (const p of node.params) visitPattern(p, node, fnScope, "declare");
    if (node.body.type === "BlockStatement") {
      enter(node.body, node);
      for (const s of node.body.body) visit(s, node.body, fnScope);
    } else {
      visit(node.body, node, fnScope);
    }
  }

  /** A `for (let …)` head gets its own scope; `var` was hoisted to the function. */
  function loopScope(head: AstNode | null | undefined, scope: Scope): Scope {
    if (head?.type !== "VariableDeclaration" || head.kind === "var") return scope;
    const inner = new Scope(scope);
    declareVariables(inner, head);
    return inner;
  }

  function visitBlock(node: AstNode, body: readonly AstNode[], scope: Scope): void {
    const inner = new Scope(scope);
    hoistLexical(inner, body);
    for (const s of body) visit(s, node, inner);
  }

  function visit(node: AstNode, parent: AstNode | undefined, scope: Scope): void {
    enter(node, parent);
    visitInner(node, scope);
  }

  function visitInner(node: AstNode, scope: Scope): void {
    switch (node.type) {
      case "Identifier":
        reference(node, scope, false);
        return;
      case "FunctionDeclaration":
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        visitFunction(node, scope);
        return;
      case "ClassDeclaration":
      case "ClassExpression": {
        if (node.superClass) visit(node.superClass, node, scope);
        const classScope = new Scope(scope);
        if (node.type === "ClassExpression" && node.id) declare(classScope, node.id, "class");
        visit(node.body, node, classScope);
        return;
      }
      case "MethodDefinition":
      case "PropertyDefinition":
        if (node.computed) visit(node.key, node, scope);
        if (node.value) visit(node.value, node, scope);
        return;
      case "StaticBlock": {
        const inner = new Scope(scope);
        for (const s of node.body) hoistVars(inner, s);
        hoistLexical(inner, node.body);
        for (const s of node.body) visit(s, node, inner);
        return;
      }
      case "BlockStatement":
        visitBlock(node, node.body, scope);
        return;
      case "SwitchStatement": {
        visit(node.discriminant, node, scope);
        const inner = new Scope(scope);
        hoistLexical(
          inner,
          node.cases.flatMap((c) => c.consequent),
        );
        for (const c of node.cases) visit(c, node, inner);
        return;
      }
      case "ForStatement": {
        const inner = loopScope(node.init, scope);
        if (node.init) visit(node.init, node, inner);
        if (node.test) visit(node.test, node, inner);
        if (node.update) visit(node.update, node, inner);
        visit(node.body, node, inner);
        return;
      }
      case "ForInStatement":
      case "ForOfStatement": {
        const inner = loopScope(node.left, scope);
        if (node.left.type === "VariableDeclaration") visit(node.left, node, inner);
        else visitPattern(node.left, node, inner, "assign");
        visit(node.right, node, inner);
        visit(node.body, node, inner);
        return;
      }
      case "CatchClause": {
        const inner = new Scope(scope);
        if (node.param) {
          declarePattern(inner, node.param, "catch");
          visitPattern(node.param, node, inner, "declare");
        }
        visit(node.body, node, inner);
        return;
      }
      case "VariableDeclaration":
        for (const d of node.declarations) {
          enter(d, node);
          visitPattern(d.id, d, scope, "declare");
          if (d.init) visit(d.init, d, scope);
        }
        return;
      case "AssignmentExpression":
        visitPattern(node.left, node, scope, "assign");
        visit(node.right, node, scope);
        return;
      case "UpdateExpression":
        if (node.argument.type === "Identifier") {
          enter(node.argument, node);
          reference(node.argument, scope, true);
        } else {
          visit(node.argument, node, scope);
        }
        return;
      case "MemberExpression":
        visit(node.object, node, scope);
        if (node.computed) visit(node.property, node, scope);
        return;
      case "Property":
        if (node.computed) visit(node.key, node, scope);
        visit(node.value, node, scope);
        return;
      case "LabeledStatement":
        visit(node.body, node, scope);
        return;
      case "BreakStatement":
      case "ContinueStatement":
      case "MetaProperty":
      case "ImportDeclaration":
      case "ExportAllDeclaration":
        return;
      case "ExportNamedDeclaration":
        if (node.declaration) visit(node.declaration, node, scope);
        else if (!node.source) for (const s of node.specifiers) visit(s.local, s, scope);
        return;
      default:
        forEachChild(node, (child) => visit(child, node, scope));
    }
  }

  const top = new Scope(null);
  for (const s of program.body) hoistVars(top, s);
  hoistLexical(top, program.body);
  enter(program, undefined);
  for (const s of program.body) visit(s, program, top);

  return {
    nodes,
    parentOf: (node) => parents.get(node),
    resolve: (id) => resolved.get(id),
    isGlobalRef: (id, name): id is ac.Identifier =>
      id.type === "Identifier" && (name === undefined || id.name === name) && resolved.get(id) === null,
    bindingOfDeclaration: (id) => declared.get(id),
  };
}

function declKind(decl: ac.VariableDeclaration): BindingKind {
  return decl.kind === "var" ? "var" : decl.kind === "let" ? "let" : "const";
}
