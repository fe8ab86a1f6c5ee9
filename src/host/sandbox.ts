/**
 * The main-thread face of the sandbox: runs scripts in a `worker_threads` worker (see
 * sandbox-worker.ts) and keeps the one guarantee the worker cannot give itself — a run
 * stuck inside a single native call (`'ab'.repeat(1e8).indexOf('c')`) is cut off: the
 * worker is terminated, the process groups its builtins started are killed, the run
 * reports `runtime_limit`, and a fresh worker takes its place for the next run.
 *
 * Runs are serialised: one at a time per Sandbox (concurrent `run` calls queue).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { AegisError } from "../errors.js";
import type { AuditSource, ConfirmRequest, RunKind, RunResult } from "./builtin-types.js";
import type { FromWorker, ToWorker, WorkerInit } from "./engine/protocol.js";
import { newRunId } from "./engine/run-id.js";
import { WORKER_BOOT } from "./worker-files.js";

export interface SandboxOptions {
  /** Policy file (relative to `cwd`); null = the built-in secure-defaults. */
  policyFile: string | null;
  cwd: string;
  home?: string;
  /** Audit log path (relative to `cwd`); null = `.aegis/audit.jsonl` under the policy root. */
  auditLog: string | null;
  source: AuditSource;
  /** Asks the operator; runs on the main thread. A rejection counts as "declined". */
  confirm: (request: ConfirmRequest) => Promise<boolean>;
  /** The environment builtins may read; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** A module exporting `BUILTINS` to use instead of the real table (tests, embedders). */
  builtinsModule?: string | URL;
  /**
   * The process runs one script and exits (`aegis run`): QuickJS is compiled with V8's
   * baseline wasm tier only (see sandbox-worker.ts). Process-wide; for short-lived processes.
   */
  oneShot?: boolean;
}

export interface RunOptions {
  filename?: string;
  /** Shortens (never extends) the policy's `runtime.max_seconds` for this run. */
  timeoutSeconds?: number;
  /**
   * Cancels the run (an MCP client's cancellation): a queued run never starts, a running
   * one has its worker terminated like an overdue run, and either ends `runtime_limit`.
   */
  signal?: AbortSignal;
}

/** The worker did not start because the policy file does not load; the message lists its issues. */
export class SandboxPolicyError extends AegisError {
  constructor(message: string) {
    super("config_error", message);
  }
}

/** How long past its deadline a run may take to come back before its worker is terminated. */
export const TERMINATE_GRACE_MS = 1000;
/** Native stack of the worker: deep native recursion must hit QuickJS's limit first. */
export const WORKER_STACK_MB = 64;
const START_TIMEOUT_MS = 60_000;
const CANCELLED =
  "the run was cancelled by its caller; the sandbox was restarted (this run's output and call list are lost; its calls are in the audit log)";
const CLOSE_TIMEOUT_MS = 2_000;

type WorkerOutcome = { type: "result"; result: RunResult } | { type: "gone"; kind: RunKind; message: string };

function workerEntry(): { target: URL | string; evalSource: boolean } {
  // The build: the worker's own bundle, loaded with its code cache (worker-boot.ts).
  const boot = new URL(`./${WORKER_BOOT}`, import.meta.url);
  if (existsSync(fileURLToPath(boot))) return { target: boot, evalSource: false };
  // Bundled as an ES module next to this file (test/host/engine/bench-sandbox.ts).
  const bundled = new URL("./sandbox-worker.js", import.meta.url);
  if (existsSync(fileURLToPath(bundled))) return { target: bundled, evalSource: false };
  // From source (tests under tsx): Node 20 workers ignore `--import` in execArgv, so a tiny
  // bootstrap registers tsx's loader inside the worker and then imports the TypeScript entry.
  const source = new URL("./sandbox-worker.ts", import.meta.url);
  const tsx = import.meta.resolve("tsx/esm/api");
  return {
    target: `import { register } from ${JSON.stringify(tsx)};\nregister();\nawait import(${JSON.stringify(source.href)});\n`,
    evalSource: true,
  };
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** One worker's lifetime: start, runs, confirmations, child processes, end. */
class SandboxWorker {
  readonly ready: Promise<number>;
  readonly #worker: Worker;
  readonly #children = new Set<number>();
  readonly #confirm: SandboxOptions["confirm"];
  #pending: { id: number; resolve: (outcome: WorkerOutcome) => void } | null = null;
  #onClosed: (() => void) | null = null;
  #exitReason: { kind: RunKind; message: string } | null = null;
  #nextId = 1;
  gone = false;

  constructor(init: WorkerInit, confirm: SandboxOptions["confirm"]) {
    this.#confirm = confirm;
    const entry = workerEntry();
    this.#worker = new Worker(entry.target, {
      eval: entry.evalSource,
      workerData: init,
      resourceLimits: { stackSizeMb: WORKER_STACK_MB },
      // Nothing from the worker may reach the host's stdout (the MCP channel): divert it.
      stdout: true,
    });
    this.#worker.stdout.pipe(process.stderr, { end: false });
    let settleReady: { resolve: (maxSeconds: number) => void; reject: (e: Error) => void } | undefined;
    this.ready = new Promise<number>((resolve, reject) => {
      settleReady = { resolve, reject };
    });
    this.ready.catch(() => undefined);
    const startTimer = setTimeout(() => {
      settleReady?.reject(new AegisError("io_error", "the sandbox worker did not start in time"));
      void this.terminate();
    }, START_TIMEOUT_MS);
    this.#worker.on("message", (message: FromWorker) => {
      switch (message.type) {
        case "ready":
          clearTimeout(startTimer);
          settleReady?.resolve(message.maxSeconds);
          return;
        case "init-failed":
          clearTimeout(startTimer);
          settleReady?.reject(
            message.policy
              ? new SandboxPolicyError(message.message)
              : new AegisError("config_error", message.message),
          );
          void this.terminate();
          return;
        case "result":
          if (this.#pending?.id === message.id) {
            const { resolve } = this.#pending;
            this.#pending = null;
            resolve({ type: "result", result: message.result });
          }
          return;
        case "confirm":
          this.#answer(message.id, message.request);
          return;
        case "child":
          if (message.state === "spawned") this.#children.add(message.pid);
          else this.#children.delete(message.pid);
          return;
        case "closed":
          this.#onClosed?.();
          return;
      }
    });
    this.#worker.on("error", (e: Error & { code?: string }) => {
      this.#exitReason =
        e.code === "ERR_WORKER_OUT_OF_MEMORY"
          ? { kind: "runtime_limit", message: "the sandbox worker ran out of host memory; it was restarted" }
          : { kind: "io_error", message: `the sandbox worker failed: ${e.message}` };
    });
    this.#worker.on("exit", () => {
      clearTimeout(startTimer);
      this.gone = true;
      this.#killChildren();
      const reason = this.#exitReason ?? {
        kind: "io_error" as const,
        message: "the sandbox worker exited unexpectedly",
      };
      settleReady?.reject(new AegisError("io_error", reason.message));
      const pending = this.#pending;
      this.#pending = null;
      pending?.resolve({ type: "gone", ...reason });
      this.#onClosed?.();
    });
  }

  run(message: Omit<Extract<ToWorker, { type: "run" }>, "type" | "id">): Promise<WorkerOutcome> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending = { id, resolve };
      this.#post({ type: "run", id, ...message });
    });
  }

  #answer(id: number, request: ConfirmRequest): void {
    let asked: Promise<boolean>;
    try {
      asked = Promise.resolve(this.#confirm(request));
    } catch {
      asked = Promise.resolve(false);
    }
    asked.then(
      (approved) => this.#post({ type: "confirm-reply", id, approved: approved === true }),
      () => this.#post({ type: "confirm-reply", id, approved: false }),
    );
  }

  #post(message: ToWorker): void {
    if (!this.gone) this.#worker.postMessage(message);
  }

  #killChildren(): void {
    for (const pid of this.#children) killGroup(pid);
    this.#children.clear();
  }

  /** Stops the worker now; every process group its builtins reported is killed. */
  async terminate(): Promise<void> {
    this.#killChildren();
    if (!this.gone) await this.#worker.terminate();
    this.gone = true;
    this.#killChildren();
  }

  /** Lets the worker flush the audit log, then stops it. */
  async close(): Promise<void> {
    if (this.gone) return;
    const closed = new Promise<void>((resolve) => {
      this.#onClosed = resolve;
    });
    this.#post({ type: "close" });
    const timer = setTimeout(() => this.#onClosed?.(), CLOSE_TIMEOUT_MS);
    await closed;
    clearTimeout(timer);
    await this.terminate();
  }
}

export class Sandbox {
  readonly #options: SandboxOptions;
  /** null after a worker was terminated: the next run starts a fresh one. */
  #worker: SandboxWorker | null;
  #chain: Promise<unknown> = Promise.resolve();
  #closed = false;
  #restarts = 0;

  private constructor(options: SandboxOptions) {
    this.#options = options;
    this.#worker = this.#spawn();
  }

  /** Starts the worker and loads the policy there; rejects with `config_error` for a bad policy. */
  static async create(options: SandboxOptions): Promise<Sandbox> {
    const sandbox = new Sandbox(options);
    const worker = sandbox.#worker!;
    try {
      await worker.ready;
    } catch (e) {
      await worker.terminate();
      throw e;
    }
    return sandbox;
  }

  /** How many times a worker was replaced after being terminated or crashing. */
  get restarts(): number {
    return this.#restarts;
  }

  run(script: string, options: RunOptions = {}): Promise<RunResult> {
    if (this.#closed) return Promise.reject(new Error("this Sandbox is closed"));
    const next = this.#chain.then(() => this.#run(script, options));
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#chain;
    await this.#worker?.close();
  }

  #spawn(): SandboxWorker {
    const o = this.#options;
    const init: WorkerInit = {
      policyFile: o.policyFile,
      cwd: o.cwd,
      ...(o.home === undefined ? {} : { home: o.home }),
      auditLog: o.auditLog,
      source: o.source,
      env: { ...(o.env ?? process.env) },
      ...(o.builtinsModule === undefined ? {} : { builtinsModule: String(o.builtinsModule) }),
      ...(o.oneShot ? { baselineWasmOnly: true } : {}),
    };
    return new SandboxWorker(init, o.confirm);
  }

  /** Terminates a worker; a fresh one is started lazily by the next run (a one-shot CLI needs none). */
  async #retire(worker: SandboxWorker): Promise<void> {
    await worker.terminate();
    if (this.#worker === worker) {
      this.#restarts++;
      this.#worker = null;
    }
  }

  async #run(script: string, options: RunOptions): Promise<RunResult> {
    const started = performance.now();
    const runId = newRunId();
    const failed = (kind: RunKind, message: string): RunResult => ({
      ok: false,
      kind,
      output: "",
      error: { message },
      calls: [],
      duration_ms: Math.round((performance.now() - started) * 10) / 10,
      run_id: runId,
    });
    if (options.signal?.aborted) return failed("runtime_limit", CANCELLED);
    if (this.#worker?.gone) await this.#retire(this.#worker);
    this.#worker ??= this.#spawn();
    const worker = this.#worker;
    let maxSeconds: number;
    try {
      maxSeconds = await worker.ready;
    } catch (e) {
      await this.#retire(worker);
      return failed("io_error", `the sandbox could not start: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (options.signal?.aborted) return failed("runtime_limit", CANCELLED);
    const t = options.timeoutSeconds;
    const seconds = t !== undefined && t > 0 ? Math.min(t, maxSeconds) : maxSeconds;
    let timer: NodeJS.Timeout | undefined;
    const overdue = new Promise<"overdue">((resolve) => {
      timer = setTimeout(() => resolve("overdue"), seconds * 1000 + TERMINATE_GRACE_MS);
    });
    let onAbort: (() => void) | undefined;
    const cancelled = new Promise<"cancelled">((resolve) => {
      onAbort = () => resolve("cancelled");
      options.signal?.addEventListener("abort", onAbort, { once: true });
    });
    const outcome = await Promise.race([
      worker.run({
        runId,
        script,
        ...(options.filename === undefined ? {} : { filename: options.filename }),
        ...(options.timeoutSeconds === undefined ? {} : { timeoutSeconds: options.timeoutSeconds }),
      }),
      overdue,
      cancelled,
    ]);
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener("abort", onAbort);
    if (outcome === "cancelled") {
      // Stopping the worker is the one way to stop a run at once, even inside a native call.
      await this.#retire(worker);
      return failed("runtime_limit", CANCELLED);
    }
    if (outcome === "overdue") {
      // One native call outlived the deadline (the interrupt handler cannot stop it).
      await this.#retire(worker);
      return failed(
        "runtime_limit",
        `the run exceeded its time limit of ${seconds} s (runtime.max_seconds) inside a single native operation; ` +
          "the sandbox was restarted (this run's output and call list are lost; its calls are in the audit log)",
      );
    }
    if (outcome.type === "gone") {
      await this.#retire(worker);
      return failed(outcome.kind, outcome.message);
    }
    return outcome.result;
  }
}
