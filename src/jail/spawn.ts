/**
 * The one module that starts processes. A child runs detached in its own process group
 * (never through a shell), with a deadline and per-stream output caps; on timeout, cap,
 * or abort, the whole group is SIGKILLed. When the child exits, whatever it left in its
 * group is killed too, so nothing it started outlives the call.
 *
 * Jailed, the child is `bwrap` with the jail options passed on a pipe (`--args 3`), so
 * environment values given to the jail never appear on a command line (`/proc/PID/cmdline`
 * is readable by every local user), and the seccomp filter (seccomp.ts) on `--seccomp 5`.
 * bwrap reports the jail's PID 1 on `--info-fd 4`: the jail runs in a session of its own,
 * so the call also waits for that PID 1 (and with it the whole jail) to be gone before it
 * returns (reap.ts).
 */

import { type ChildProcess, spawn } from "node:child_process";
import { AegisError } from "../errors.js";
import { trackChildProcess } from "./child-tracker.js";
import { endJail, groupGone, jailInitFromInfo, type ProcessId } from "./reap.js";
import { unixSocketFilter } from "./seccomp.js";

export interface ProcessRequest {
  /** Absolute path of the executable (resolved by the caller; never looked up here). */
  file: string;
  args: readonly string[];
  /** argv[0] as the child sees it (unjailed only). */
  argv0?: string;
  cwd: string;
  env: Readonly<Record<string, string>>;
  stdin?: string;
  timeoutMs: number;
  /** Per stream (stdout, stderr). */
  maxOutputBytes: number;
  signal?: AbortSignal;
  /** Shown in error messages. */
  display: string;
  /** Run inside bubblewrap with these options (see bwrap-args.ts). */
  jail?: { bwrapPath: string; options: readonly string[] };
}

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** After the child exits, how long its pipes may stay open (held by an escaped grandchild). */
const DRAIN_GRACE_MS = 200;
/** Bounds on waiting for killed processes to be gone (a process stuck in the kernel). */
const INFO_WAIT_MS = 1_000;
const REAP_WAIT_MS = 5_000;

function start(req: ProcessRequest): ChildProcess {
  if (req.jail) {
    const filter = unixSocketFilter();
    if (!filter) {
      throw new Error(
        `the jail's seccomp filter has no program for the ${process.arch} architecture (x64 and arm64 only)`,
      );
    }
    const child = spawn(
      req.jail.bwrapPath,
      ["--args", "3", "--info-fd", "4", "--seccomp", "5", "--", req.file, ...req.args],
      { cwd: req.cwd, env: {}, detached: true, stdio: ["pipe", "pipe", "pipe", "pipe", "pipe", "pipe"] },
    );
    const send = (fd: number, bytes: Buffer): void => {
      const pipe = child.stdio[fd] as NodeJS.WritableStream | null;
      pipe?.on("error", () => undefined);
      pipe?.end(bytes);
    };
    send(3, Buffer.from(req.jail.options.map((o) => `${o}\0`).join(""), "utf8"));
    send(5, filter);
    return child;
  }
  return spawn(req.file, [...req.args], {
    cwd: req.cwd,
    env: { ...req.env },
    argv0: req.argv0 ?? req.file,
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
  });
}

/** The jail's PID 1, once bwrap has written it on fd 4 (undefined if it never does). */
function jailInit(child: ChildProcess): Promise<ProcessId | undefined> {
  const info = child.stdio[4] as NodeJS.ReadableStream | null | undefined;
  if (!info) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    info.on("data", (c: Buffer) => chunks.push(c));
    info.on("error", () => resolve(undefined));
    info.on("end", () => resolve(jailInitFromInfo(Buffer.concat(chunks).toString("utf8"), child.pid)));
  });
}

function within<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(fallback), ms);
    void p.then((v) => {
      clearTimeout(t);
      resolve(v);
    });
  });
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // ESRCH: the group is already gone.
  }
}

export function runProcess(req: ProcessRequest): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    if (req.signal?.aborted) {
      reject(new AegisError("runtime_limit", `${req.display}: not started, the run has ended`));
      return;
    }
    let child: ChildProcess;
    try {
      child = start(req);
    } catch (e) {
      reject(
        new AegisError("io_error", `${req.display}: could not start (${(e as Error).message})`, { cause: e }),
      );
      return;
    }
    // The sandbox's main thread learns the group, so it can kill it if it must terminate
    // a stuck worker (this thread would then never run `finish`).
    const untrack = trackChildProcess(child.pid);
    const init = req.jail ? jailInit(child) : Promise.resolve(undefined);
    let failure: AegisError | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;
    const out = { stdout: [] as Buffer[], stderr: [] as Buffer[], stdoutBytes: 0, stderrBytes: 0 };

    const fail = (err: AegisError): void => {
      failure ??= err;
      killGroup(child);
    };
    const timer = setTimeout(() => {
      fail(
        new AegisError(
          "runtime_limit",
          `${req.display}: did not finish within ${req.timeoutMs / 1000} s; its process group was killed`,
        ),
      );
    }, req.timeoutMs);
    const onAbort = () =>
      fail(new AegisError("runtime_limit", `${req.display}: killed because the run ended`));
    req.signal?.addEventListener("abort", onAbort, { once: true });
    let drainTimer: NodeJS.Timeout | undefined;

    const finish = async (): Promise<void> => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(drainTimer);
      req.signal?.removeEventListener("abort", onAbort);
      killGroup(child);
      // Return only once what the child started is dead: the jail (its own session, killed
      // with bwrap but asynchronously) and whatever the group kill just signalled.
      const jail = await within(init, INFO_WAIT_MS, undefined);
      if (jail) await endJail(jail, REAP_WAIT_MS);
      if (child.pid !== undefined) await groupGone(child.pid, REAP_WAIT_MS);
      untrack();
      if (failure) {
        reject(failure);
        return;
      }
      resolve({
        code: exit?.code ?? null,
        signal: exit?.signal ?? null,
        stdout: Buffer.concat(out.stdout).toString("utf8"),
        stderr: Buffer.concat(out.stderr).toString("utf8"),
      });
    };

    for (const name of ["stdout", "stderr"] as const) {
      const stream = child[name];
      stream?.on("data", (chunk: Buffer) => {
        const key = name === "stdout" ? "stdoutBytes" : "stderrBytes";
        out[key] += chunk.length;
        if (out[key] > req.maxOutputBytes) {
          fail(
            new AegisError(
              "runtime_limit",
              `${req.display}: ${name} passed ${req.maxOutputBytes} bytes (runtime.max_output_bytes); the process group was killed. ` +
                "Ask for less output (a narrower path, a count, a limit flag)",
            ),
          );
          return;
        }
        if (!failure) out[name].push(chunk);
      });
      stream?.on("error", () => undefined);
    }
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(req.stdin ?? "");

    child.on("error", (e: NodeJS.ErrnoException) => {
      // Spawn failures (ENOENT, EACCES) come here without an exit.
      if (child.pid === undefined) {
        failure ??= new AegisError("io_error", `${req.display}: could not start (${e.code ?? e.message})`, {
          cause: e,
        });
        void finish();
      }
    });
    child.on("exit", (code, signal) => {
      exit = { code, signal };
      // Whatever the child left running in its group dies with it.
      killGroup(child);
      // A process that left the group (setsid) could hold the pipes open forever.
      drainTimer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        void finish();
      }, DRAIN_GRACE_MS);
    });
    child.on("close", () => void finish());
  });
}
