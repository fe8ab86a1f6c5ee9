/**
 * The environment a subprocess gets: nothing by default. Exactly the `allow_vars` names
 * present in the run's environment, plus the script's own entries (which must be allowed
 * names), minus aegis's own variables and the injection list unless named exactly; for a
 * local-only command, also the local-only variables. PATH is always the one the
 * executable was looked up in.
 */
import type { NameRule, ResolvedPolicy } from "../../policy/types.js";
import { type HostValue, isSealedRef, type SealedRef } from "../builtin-types.js";
import { injectionVar } from "./injection-vars.js";

export const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

export type ScriptEnv = [name: string, value: string | SealedRef][];

export interface EnvProblem {
  rule: string;
  reason: string;
}

type Environment = ResolvedPolicy["environment"];

const named = (rules: NameRule[], name: string) => rules.some((r) => r.value === name);
const matches = (rules: NameRule[], name: string) => rules.some((r) => r.test(name));

/** Why `name` may never reach a child, or undefined. `sealedChild`: a local-only command. */
export function envVarProblem(env: Environment, name: string, sealedChild: boolean): EnvProblem | undefined {
  if (/^AEGIS_/i.test(name)) return { rule: "reserved: AEGIS_*", reason: `${name} configures aegis itself` };
  const denied = env.denyVars.find((r) => r.test(name));
  if (denied)
    return {
      rule: `environment.deny_vars "${denied.value}"`,
      reason: `${name} matches environment.deny_vars "${denied.value}"`,
    };
  const listed = matches(env.allowVars, name) || (sealedChild && matches(env.localOnlyVars, name));
  if (!listed) {
    return {
      rule: "default deny (environment.allow_vars)",
      reason: `${name} is not in environment.allow_vars${sealedChild ? " or environment.local_only_vars" : ""}`,
    };
  }
  const injection = injectionVar(name);
  if (injection && !named(env.allowVars, name) && !named(env.localOnlyVars, name)) {
    return {
      rule: `injection variable ${injection.pattern}`,
      reason: `${name} can make the child run other code (${injection.why}); only an environment.allow_vars entry naming exactly "${name}" lets it through`,
    };
  }
  return undefined;
}

/** Absolute entries only: an empty or relative PATH entry would find `./git` in the cwd. */
export function safePath(value: string | undefined): string {
  const dirs = (value ?? "").split(":").filter((d) => d.startsWith("/"));
  return dirs.length > 0 ? dirs.join(":") : DEFAULT_PATH;
}

/** The PATH the executable is looked up in and the child receives. */
export function childPath(
  policy: ResolvedPolicy,
  hostEnv: Readonly<Record<string, string | undefined>>,
): string {
  const env = policy.environment;
  const usable = hostEnv.PATH !== undefined && envVarProblem(env, "PATH", false) === undefined;
  return usable ? safePath(hostEnv.PATH) : DEFAULT_PATH;
}

export function parseScriptEnv(value: HostValue | undefined): ScriptEnv | string {
  if (value === undefined || value === null) return [];
  if (typeof value !== "object" || Array.isArray(value) || isSealedRef(value))
    return "env must be an object of name → string";
  const out: ScriptEnv = [];
  for (const [name, v] of Object.entries(value)) {
    if (name === "" || name.includes("=") || name.includes("\0"))
      return `${JSON.stringify(name)} is not a variable name`;
    if (typeof v === "string" || isSealedRef(v)) out.push([name, v]);
    else if (typeof v === "number" || typeof v === "boolean") out.push([name, String(v)]);
    else return `env.${name} must be a string or a sealed value`;
  }
  return out;
}

/** First problem with the script's own entries (names only; sealed values are checked by the caller). */
export function scriptEnvProblem(
  policy: ResolvedPolicy,
  scriptEnv: ScriptEnv,
  sealedChild: boolean,
): EnvProblem | undefined {
  for (const [name] of scriptEnv) {
    // The executable was looked up in the operator's PATH; a script-chosen PATH would
    // decide what every program the child starts in turn (make → cc) really is.
    if (name.toUpperCase() === "PATH") {
      return {
        rule: "reserved: PATH",
        reason: "PATH cannot be set by a script; the child gets the policy's PATH",
      };
    }
    const p = envVarProblem(policy.environment, name, sealedChild);
    if (p) return p;
  }
  return undefined;
}

export interface ChildEnv {
  env: Record<string, string>;
  /** Values of local-only variables passed in: the caller adds them to the redactor. */
  localOnlyValues: string[];
}

export function buildChildEnv(
  policy: ResolvedPolicy,
  hostEnv: Readonly<Record<string, string | undefined>>,
  scriptEnv: ScriptEnv,
  sealedChild: boolean,
  reveal: (ref: SealedRef) => string,
): ChildEnv {
  const env: Record<string, string> = {};
  const localOnlyValues: string[] = [];
  const environment = policy.environment;
  for (const [name, value] of Object.entries(hostEnv)) {
    if (value === undefined || name === "PATH") continue;
    if (envVarProblem(environment, name, sealedChild)) continue;
    const allowed = matches(environment.allowVars, name);
    // A variable on both lists is local-only: only local-only commands see it.
    if (matches(environment.localOnlyVars, name)) {
      if (!sealedChild) continue;
      localOnlyValues.push(value);
    } else if (!allowed) continue;
    env[name] = value;
  }
  for (const [name, value] of scriptEnv) env[name] = typeof value === "string" ? value : reveal(value);
  env.PATH = childPath(policy, hostEnv);
  return { env, localOnlyValues };
}
