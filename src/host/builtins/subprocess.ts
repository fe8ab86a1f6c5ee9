/**
 * `subprocess.exec(argv, { cwd, env, stdin, timeout_seconds })` → `{ code, stdout, stderr }`
 * (plus `signal` when a signal ended it). A non-zero exit is a result, not an error.
 */
import { blankFile, hostFsView } from "../../jail/fs-view.js";
import { probeBwrap } from "../../jail/probe.js";
import type { BuiltinTable } from "../builtin-types.js";
import { parseExecArgs } from "../subprocess/exec-args.js";
import { type ExecDeps, execCall } from "../subprocess/exec-call.js";

export function createSubprocessBuiltins(deps: Partial<ExecDeps> = {}): BuiltinTable {
  const full: ExecDeps = {
    probe: deps.probe ?? (() => probeBwrap()),
    fs: deps.fs ?? hostFsView,
    blankFile: deps.blankFile ?? blankFile,
  };
  return Object.freeze({
    "subprocess.exec": async (args, ctx) => execCall(ctx, parseExecArgs(args), full),
  });
}

export const SUBPROCESS_BUILTINS: BuiltinTable = createSubprocessBuiltins();
