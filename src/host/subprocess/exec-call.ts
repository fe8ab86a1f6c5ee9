/**
 * One gated `subprocess.exec`:
 *
 *   sealed-flow rule → canonical cwd and argv paths → decision (command rules, deny_args,
 *   argv path gate, cwd readable) → environment rules → gate → resolve the executable in
 *   the policy's PATH → build the child environment → run (jailed when the policy says
 *   so; never unjailed instead) → seal a local-only command's output.
 *
 * Sealed argv elements are named by their stand-in (`[sealed LABEL]`) in every message: a
 * path derived from one (`${key}/..` canonicalised, a candidate cut at `+/`) is a piece of
 * the secret that the redactor, which knows whole values, does not recognise.
 */
import { AegisError } from "../../errors.js";
import {
  buildBwrapArgs,
  type FsView,
  isWithin,
  JailSetupError,
  staticPrefix,
} from "../../jail/bwrap-args.js";
import type { ProbeResult } from "../../jail/probe.js";
import { runProcess } from "../../jail/spawn.js";
import { basename } from "../../policy/commands.js";
import {
  decide,
  inGitDir,
  localOnlyCommand,
  type SealedArgv,
  sealedCandidates,
} from "../../policy/decide.js";
import type { Operation, PathRule } from "../../policy/types.js";
import { argvPathArgs } from "../argv-paths.js";
import { type HostValue, isSealedRef, type RunContext } from "../builtin-types.js";
import { gate } from "../gate.js";
import {
  indirectReadProblem,
  invalidateLocalOnlyIndex,
  localOnlyIndexFor,
  localOnlyTurn,
} from "../local-only-index.js";
import { refuse } from "../net/refuse.js";
import { canonicalPath } from "../paths.js";
import { buildChildEnv, childPath, scriptEnvProblem } from "./child-env.js";
import type { ExecArgs, MaybeSealed } from "./exec-args.js";
import { resolveExecutable } from "./resolve-command.js";

type ExecOp = Extract<Operation, { kind: "subprocess.exec" }>;

export interface ExecDeps {
  probe: () => Promise<ProbeResult>;
  fs: FsView;
  blankFile: () => Promise<string>;
}

const CAP = "subprocess.exec";

export async function execCall(ctx: RunContext, args: ExecArgs, deps: ExecDeps): Promise<HostValue> {
  if (ctx.policy.filesystem.localOnlyRead.length === 0) return execOne(ctx, args, deps);
  // With local-only files, commands take turns with each other and with writes to local-only
  // paths (local-only-index.ts), and a local-only command may have made new ones.
  return localOnlyTurn(ctx, async () => {
    try {
      return await execOne(ctx, args, deps);
    } finally {
      if (localOnlyCommand(ctx.policy, plainArgv0(ctx, args.argv[0]))) invalidateLocalOnlyIndex(ctx);
    }
  });
}

function plainArgv0(ctx: RunContext, v: MaybeSealed | undefined): string {
  if (v === undefined) return "";
  return typeof v === "string" ? v : ctx.sealed.reveal(v);
}

async function execOne(ctx: RunContext, args: ExecArgs, deps: ExecDeps): Promise<HostValue> {
  const policy = ctx.policy;
  const reveal = (v: MaybeSealed) => (typeof v === "string" ? v : ctx.sealed.reveal(v));
  const argv = args.argv.map(reveal);
  const sealedArgv: SealedArgv = args.argv.map((v) => (isSealedRef(v) ? `[sealed ${v.label}]` : undefined));
  const shown = args.argv.map((v, i) => sealedArgv[i] ?? (v as string));
  const target = shown.join(" ");
  const name = `${CAP} ${shown[0]}`;
  const base = { root: policy.root, home: policy.home };
  const carriesSealed =
    args.argv.some(isSealedRef) || args.env.some(([, v]) => isSealedRef(v)) || isSealedRef(args.stdin);

  // First, before any path is canonicalised or any rule quotes an argument: a sealed value
  // bound for a normal command is refused by a message that names only its label.
  if (isSealedRef(args.argv[0]))
    await refuse(
      ctx,
      CAP,
      target,
      "sealed-flow",
      `${name} refused: argv[0] cannot be a sealed value; name the program in the clear`,
    );
  const refuseSealedFlow = () =>
    refuse(
      ctx,
      CAP,
      target,
      "sealed-flow",
      `${name} refused: sealed value cannot flow to ${shown[0]}; only subprocess.local_only_commands may receive sealed values`,
    );
  if (carriesSealed && !localOnlyCommand(policy, argv[0]!)) await refuseSealedFlow();

  let cwd: string;
  let pathArgs: Record<string, string>;
  try {
    cwd = await canonicalPath(args.cwd ?? policy.root, base);
    pathArgs = argv.some((a) => a.includes("\0")) ? {} : argvPathArgs(argv, { ...base, cwd }, sealedArgv);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return refuse(ctx, CAP, target, "invalid-path", `${name} refused: ${why}`);
  }
  const op: ExecOp = { kind: "subprocess.exec", argv, cwd, pathArgs };
  const call = { op, target, argv: shown };
  const byRules = decide(ctx.policy, op, sealedArgv);
  if (byRules.decision === "deny") {
    // The gate would decide again without knowing which elements are sealed, and its
    // reason would quote them; a sealed call's denial is audited here with the safe reason.
    if (sealedArgv.some((s) => s !== undefined))
      return refuse(ctx, CAP, target, byRules.rule, byRules.reason);
    // Audited by the gate with the rule's own reason.
    return (
      await gate(ctx, call, async () => {
        throw new AegisError("policy_violation", byRules.reason);
      })
    ).value;
  }

  const sealedChild = byRules.sealed;
  const sealedPaths = sealedCandidates(argv, sealedArgv);
  if (basename(argv[0]!) !== "git") {
    const gitPath = Object.entries(pathArgs).find(([, canonical]) => inGitDir(canonical));
    if (gitPath) {
      const standIn = sealedPaths.get(gitPath[0]);
      const arg = standIn ?? JSON.stringify(gitPath[0]);
      const where = standIn ? "" : ` (${gitPath[1]})`;
      await refuse(
        ctx,
        CAP,
        target,
        "reserved: git directory",
        `${name} refused: argument ${arg} is inside a .git directory${where}; only git itself may work on a repository's control files`,
      );
    }
  }
  // Normal commands only, and one carrying a sealed value was refused first: the messages
  // this check builds quote plain arguments only.
  if (!sealedChild && policy.filesystem.localOnlyRead.length > 0) {
    const problem = indirectLocalOnlyRead(ctx, argv, cwd, pathArgs);
    if (problem)
      await refuse(
        ctx,
        CAP,
        target,
        "filesystem.local_only_read",
        `${name} refused: ${problem}; only subprocess.local_only_commands may read local-only files`,
      );
  }
  // Decided again on the rules' own answer (a second line behind the check above).
  if (carriesSealed && !sealedChild) await refuseSealedFlow();
  const envProblem = scriptEnvProblem(policy, args.env, sealedChild);
  if (envProblem)
    await refuse(ctx, CAP, target, envProblem.rule, `${name} refused: env ${envProblem.reason}`);
  if (policy.runtime.noOutputAfterLocalOnlyRead && ctx.localOnlyRead && !sealedChild) {
    await refuse(
      ctx,
      CAP,
      target,
      "runtime.no_output_after_local_only_read",
      `${name} refused: a local-only value was read in this run and runtime.no_output_after_local_only_read is set`,
    );
  }

  const path = childPath(policy, ctx.env);
  const executable = resolveExecutable(argv[0]!, path, cwd);
  const jailed = policy.subprocess.sandbox === "bwrap";
  const timeoutSeconds = Math.min(
    args.timeoutSeconds ?? policy.runtime.maxSeconds,
    policy.runtime.maxSeconds,
  );
  const detail = { cwd, executable: executable ?? null, jailed };

  // The gate decides again, on the revealed argv; its wording must not quote sealed elements.
  const shownReason = sealedArgv.some((s) => s !== undefined) ? { shownReason: () => byRules.reason } : {};
  const { value } = await gate(
    ctx,
    { ...call, detail, ...shownReason },
    async (decision) => {
      if (carriesSealed && !decision.sealed) {
        throw new AegisError("policy_violation", `${name} refused: sealed value cannot flow to ${shown[0]}`);
      }
      if (!executable) {
        const where = argv[0]!.includes("/")
          ? `${argv[0]} is not an executable file`
          : `no executable ${argv[0]} in PATH ${path}`;
        throw new AegisError("io_error", `${name}: ${where}`);
      }
      const { env, localOnlyValues } = buildChildEnv(policy, ctx.env, args.env, decision.sealed, (r) =>
        ctx.sealed.reveal(r),
      );
      for (const v of localOnlyValues) ctx.redactor.add(v);
      if (basename(executable) === "git") hardenGit(env);
      const bad = Object.entries(env).find(([, v]) => v.includes("\0"));
      if (bad) throw new AegisError("script_error", `${name}: env ${bad[0]} contains a NUL byte`);
      const jail = jailed
        ? await jailFor(deps, ctx, name, executable, argv, cwd, env, !decision.sealed)
        : undefined;
      const result = await runProcess({
        file: executable,
        args: argv.slice(1),
        argv0: argv[0]!,
        cwd,
        env,
        stdin: args.stdin === undefined ? "" : reveal(args.stdin),
        timeoutMs: timeoutSeconds * 1000,
        maxOutputBytes: policy.runtime.maxOutputBytes,
        signal: ctx.signal,
        display: name,
        ...(jail ? { jail } : {}),
      });
      const out: { [key: string]: HostValue } = { code: result.code };
      if (result.signal !== null) out.signal = result.signal;
      if (decision.sealed) {
        // A local-only command may print what it was given (its env, a sealed argument):
        // its output is sealed and its bytes join the redactor.
        for (const text of [result.stdout, result.stderr]) if (text !== "") ctx.redactor.add(text);
        out.stdout = ctx.sealed.seal(`${shown[0]} stdout`, result.stdout);
        out.stderr = ctx.sealed.seal(`${shown[0]} stderr`, result.stderr);
      } else {
        out.stdout = result.stdout;
        out.stderr = result.stderr;
      }
      return out as HostValue;
    },
    (v) => {
      const r = v as { code?: HostValue; signal?: HostValue };
      return { code: r.code ?? null, ...(r.signal ? { signal: r.signal } : {}) };
    },
  );
  return value;
}

/**
 * Configuration given to every git child on top of the repository's own (command-line config
 * outranks every config file): a repository the script planted is not picked up by walking
 * into it (`safe.bareRepository`), and no fsmonitor program runs.
 */
const GIT_HARDENING: readonly [string, string][] = [
  ["safe.bareRepository", "explicit"],
  ["core.fsmonitor", "false"],
];

function hardenGit(env: Record<string, string>): void {
  const given = Number.parseInt(env.GIT_CONFIG_COUNT ?? "0", 10);
  let n = Number.isSafeInteger(given) && given > 0 ? given : 0;
  for (const [key, value] of GIT_HARDENING) {
    env[`GIT_CONFIG_KEY_${n}`] = key;
    env[`GIT_CONFIG_VALUE_${n}`] = value;
    n++;
  }
  env.GIT_CONFIG_COUNT = String(n);
}

/**
 * Why a normal command would read a local-only file indirectly (local-only-index.ts). The
 * root itself is every command's usual working directory: what a command finds by walking it
 * is redacted (the index gave the redactor every local-only file's bytes), and hidden
 * outright only in the jail.
 */
function indirectLocalOnlyRead(
  ctx: RunContext,
  argv: readonly string[],
  cwd: string,
  pathArgs: Record<string, string>,
): string | undefined {
  return indirectReadProblem(ctx.policy, localOnlyIndexFor(ctx), argv, cwd, pathArgs, { cwd: true });
}

/**
 * Where a local-only command may write in its jail: only whole local-only trees (a
 * `local_only_read` entry that is a literal path or `dir/**`) inside a `write_allow` prefix.
 * It is given secrets; anything it wrote elsewhere (`git config --file out/x k "$TOKEN"`) a
 * script could read back in the clear, while what it writes here reads back sealed.
 */
async function localOnlyWritable(policy: RunContext["policy"], fs: FsView): Promise<PathRule[]> {
  const writable = policy.filesystem.writeAllow.map((r) => staticPrefix(r.glob));
  const out: PathRule[] = [];
  for (const r of policy.filesystem.localOnlyRead) {
    const prefix = staticPrefix(r.glob);
    if (!writable.some((w) => isWithin(prefix, w))) continue;
    // A literal entry matches that one path, not what lies below it: only an existing
    // regular file (never a directory, never made one here) is bound writable for it.
    if (r.glob === `${prefix}/**` || (r.glob === prefix && (await fs.kind(prefix)) === "file")) out.push(r);
  }
  return out;
}

async function jailFor(
  deps: ExecDeps,
  ctx: RunContext,
  name: string,
  executable: string,
  argv: string[],
  cwd: string,
  env: Record<string, string>,
  hideLocalOnly: boolean,
): Promise<{ bwrapPath: string; options: string[] }> {
  const probe = await deps.probe();
  if (!probe.ok) {
    // Never run unjailed instead: the policy asked for the jail.
    throw new AegisError(
      "io_error",
      `${name}: subprocess.sandbox = "bwrap" but ${probe.reason}; fix: ${probe.fix}`,
    );
  }
  try {
    // A normal command's output reaches the caller, so in its jail the local-only files
    // are hidden like denied ones: walking the tree (`grep -r`, `git add -A`) finds nothing.
    const fs = ctx.policy.filesystem;
    const policy = hideLocalOnly
      ? { ...ctx.policy, filesystem: { ...fs, deny: [...fs.deny, ...fs.localOnlyRead] } }
      : { ...ctx.policy, filesystem: { ...fs, writeAllow: await localOnlyWritable(ctx.policy, deps.fs) } };
    // A local-only command's jail creates no missing directory: only what is local-only now.
    const { makeDir: _, ...noMakeDir } = deps.fs;
    const plan = await buildBwrapArgs({
      policy,
      command: [executable, ...argv.slice(1)],
      cwd,
      env,
      fs: hideLocalOnly ? deps.fs : noMakeDir,
      blankFile: await deps.blankFile(),
    });
    return { bwrapPath: probe.bwrapPath, options: plan.options };
  } catch (e) {
    if (e instanceof JailSetupError)
      throw new AegisError("io_error", `${name}: cannot set up the jail: ${e.message}`, { cause: e });
    throw e;
  }
}
