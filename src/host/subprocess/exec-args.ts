/**
 * Normalises the guest's `subprocess.exec(argv, options)` arguments. argv only: an array
 * of strings (or sealed values), never a command line, so no shell ever parses it.
 */
import { AegisError } from "../../errors.js";
import { type HostValue, isSealedRef, type SealedRef } from "../builtin-types.js";
import { parseScriptEnv, type ScriptEnv } from "./child-env.js";

export type MaybeSealed = string | SealedRef;

export interface ExecArgs {
  argv: MaybeSealed[];
  cwd: string | undefined;
  env: ScriptEnv;
  stdin: MaybeSealed | undefined;
  timeoutSeconds: number | undefined;
}

const OPTIONS = ["cwd", "env", "stdin", "timeout_seconds"];

function scriptError(message: string): AegisError {
  return new AegisError("script_error", `subprocess.exec: ${message}`);
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return isSealedRef(v) ? "sealed value" : typeof v;
}

export function parseExecArgs(args: HostValue[]): ExecArgs {
  const [argvArg, optsArg] = args;
  if (!Array.isArray(argvArg)) {
    const hint =
      typeof argvArg === "string"
        ? ` (split it yourself: ${JSON.stringify(argvArg.split(/\s+/).filter(Boolean))}; no shell is used)`
        : "";
    throw scriptError(
      `argv must be an array of strings like ["git", "status"], got ${typeName(argvArg)}${hint}`,
    );
  }
  if (argvArg.length === 0) throw scriptError("argv is empty; argv[0] names the program");
  const argv: MaybeSealed[] = argvArg.map((a, i) => {
    if (typeof a === "string" || isSealedRef(a)) return a;
    if (typeof a === "number") return String(a);
    throw scriptError(`argv[${i}] must be a string, got ${typeName(a)}`);
  });
  if (optsArg === undefined || optsArg === null) {
    return { argv, cwd: undefined, env: [], stdin: undefined, timeoutSeconds: undefined };
  }
  if (typeof optsArg !== "object" || Array.isArray(optsArg) || isSealedRef(optsArg)) {
    throw scriptError(
      `options must be an object like { cwd, env, stdin, timeout_seconds }, got ${typeName(optsArg)}`,
    );
  }
  const unknown = Object.keys(optsArg).find((k) => !OPTIONS.includes(k));
  if (unknown !== undefined)
    throw scriptError(`unknown option ${JSON.stringify(unknown)}; expected one of ${OPTIONS.join(", ")}`);
  const { cwd, env, stdin, timeout_seconds: timeout } = optsArg;
  if (cwd !== undefined && cwd !== null && typeof cwd !== "string")
    throw scriptError(`cwd must be a string, got ${typeName(cwd)}`);
  const scriptEnv = parseScriptEnv(env);
  if (typeof scriptEnv === "string") throw scriptError(scriptEnv);
  if (stdin !== undefined && stdin !== null && typeof stdin !== "string" && !isSealedRef(stdin)) {
    throw scriptError(`stdin must be a string, got ${typeName(stdin)}`);
  }
  if (
    timeout !== undefined &&
    timeout !== null &&
    (typeof timeout !== "number" || !(timeout > 0) || !Number.isFinite(timeout))
  ) {
    throw scriptError(`timeout_seconds must be a positive number, got ${JSON.stringify(timeout)}`);
  }
  return {
    argv,
    cwd: typeof cwd === "string" ? cwd : undefined,
    env: scriptEnv,
    stdin: stdin === null ? undefined : (stdin as MaybeSealed | undefined),
    timeoutSeconds: typeof timeout === "number" ? timeout : undefined,
  };
}
