/**
 * The sandbox engine's entry point: run one script in a fresh QuickJS instance and return
 * the one result shape (script-api.md "Output of a run").
 *
 * It runs in whatever thread calls it. In-process it cannot pre-empt a single long native
 * call; `Sandbox` (sandbox.ts) runs it in a worker whose host-side timer can.
 */
import { decideEnv } from "../../policy/decide.js";
import type { ResolvedPolicy } from "../../policy/types.js";
import type {
  AuditSink,
  AuditSource,
  BuiltinTable,
  ConfirmRequest,
  Redactor,
  RunContext,
  RunKind,
  RunResult,
} from "../builtin-types.js";
import { outcomesWritten } from "../gate.js";
import { RunSealedStore } from "../sealed-store.js";
import { deadlineFatal, type GuestEnding, GuestRun } from "./guest-run.js";
import { type RunLimits, runLimits } from "./limits.js";
import { describeToError, type Fatal, type RunError, redactValue } from "./outcome.js";
import { newRunId } from "./run-id.js";
import { type GuestInstance, newGuestInstance } from "./wasm.js";

/** One finding of the pre-execution verifier (host/verifier.ts). */
export interface VerifierFinding {
  message: string;
  line?: number;
  column?: number;
  hint?: string;
}

/** Everything a run uses from outside; tests pass fakes, the worker passes the real ones. */
export interface EngineServices {
  policy: ResolvedPolicy;
  builtins: BuiltinTable;
  audit: AuditSink;
  /** A fresh redactor per run: the sealed store registers every secret it seals with it. */
  redactor: Redactor;
  confirm(request: ConfirmRequest): Promise<boolean>;
  env: Readonly<Record<string, string | undefined>>;
  source: AuditSource;
  /** The verifier; any finding ends the run with `verifier_rejection` before it starts. */
  verify?: (script: string, policy: ResolvedPolicy) => readonly VerifierFinding[];
}

export interface RunRequest {
  script: string;
  /** Shown in stack traces and used to locate errors; default `script.js`. */
  filename?: string;
  /** Shortens (never extends) `runtime.max_seconds` for this run. */
  timeoutSeconds?: number;
  runId?: string;
}

export interface RunReport {
  result: RunResult;
  /** False when the wasm instance was dropped instead of disposed (after a fault). */
  disposedCleanly: boolean;
}

export async function runScript(request: RunRequest, services: EngineServices): Promise<RunResult> {
  return (await runScriptReport(request, services)).result;
}

export async function runScriptReport(request: RunRequest, services: EngineServices): Promise<RunReport> {
  const started = performance.now();
  const runId = request.runId ?? newRunId();
  const filename = request.filename ?? "script.js";
  const limits = runLimits(services.policy, request.timeoutSeconds);
  const controller = new AbortController();
  const store = new RunSealedStore((secret) => services.redactor.add(secret));
  const ctx: RunContext = {
    runId,
    source: services.source,
    policy: services.policy,
    sealed: store,
    redactor: services.redactor,
    audit: services.audit,
    confirm: (req) => (controller.signal.aborted ? Promise.resolve(false) : services.confirm(req)),
    signal: controller.signal,
    calls: [],
    localOnlyRead: false,
    env: services.env,
  };
  // Every local-only variable the process holds is known to the redactor from the start,
  // whether or not the script reads it: a command may print it another way (`ps e`).
  for (const [name, value] of Object.entries(services.env)) {
    if (value && decideEnv(services.policy, name).decision === "local_only") services.redactor.add(value);
  }
  const redact = (text: string): string => {
    try {
      return services.redactor.redact(text);
    } catch {
      return "[REDACTED]";
    }
  };
  const finish = (fields: Omit<RunResult, "calls" | "duration_ms" | "run_id">): RunResult => ({
    ...fields,
    ...(fields.error ? { error: { ...fields.error, message: redact(fields.error.message) } } : {}),
    calls: ctx.calls.slice(),
    duration_ms: Math.round((performance.now() - started) * 10) / 10,
    run_id: runId,
  });

  const rejection = verify(request.script, services);
  if (rejection) {
    return {
      result: finish({ ok: false, kind: "verifier_rejection", output: "", error: rejection }),
      disposedCleanly: true,
    };
  }

  let guest: StartedGuest;
  try {
    guest = await startGuest(ctx, store, services.builtins, limits, started + limits.timeoutMs);
  } catch (e) {
    const message = `the sandbox could not start: ${e instanceof Error ? e.message : String(e)}`;
    return {
      result: finish({ ok: false, kind: "io_error", output: "", error: { message } }),
      disposedCleanly: true,
    };
  }
  const { instance, run } = guest;
  const timer = setTimeout(() => run.stop(deadlineFatal(limits)), limits.timeoutMs + 1);
  let ending: GuestEnding;
  try {
    if ("installError" in guest) throw guest.installError;
    ending = await run.evaluate(request.script, filename);
  } catch (e) {
    // A trap or a host stack overflow inside wasm: the instance cannot be trusted any more.
    run.faulted = true;
    ending = { type: "stopped", fatal: run.fatal ?? faultFatal(e, instance, limits) };
  } finally {
    clearTimeout(timer);
    // Every pending call is aborted: an effect that has not started never starts. (A plain
    // Error as the reason: the default DOMException costs ~25 µs to make.)
    controller.abort(new Error("the run has ended"));
  }
  const disposedCleanly = run.dispose();
  // A memory is reused (zeroed) only after a run that ended without a fault.
  afterRun(instance, disposedCleanly && !run.faulted, limits.memoryMb);
  store.clear();

  const output = run.output.render(redact);
  // The result leaves only once the outcome records of the run's calls are in the log.
  const auditFailure = await outcomesWritten(ctx);
  const error =
    endingError(ending, filename, ctx, limits) ??
    (auditFailure ? { kind: "io_error" as const, message: auditFailure.message } : undefined);
  if (error)
    return {
      result: finish({ ok: false, kind: error.kind, output, error: located(error) }),
      disposedCleanly,
    };
  const text = ending.type === "value" ? ending.text : "";
  const refusal = refuseValue(text, run.output.totalBytes, ctx, limits);
  if (refusal)
    return {
      result: finish({ ok: false, kind: refusal.kind, output, error: { message: refusal.message } }),
      disposedCleanly,
    };
  const value = text === "" ? undefined : redactValue(JSON.parse(text), redact);
  return {
    result: finish({ ok: true, kind: "success", ...(value === undefined ? {} : { value }), output }),
    disposedCleanly,
  };
}

/**
 * The instance the next run starts in, made while the worker is idle after a run, and the
 * previous run's retirement (its memory zeroed and pooled, wasm.ts), done in the same idle
 * moment: both are off the path from a run's request to its result. A spare is a new
 * instance no script has run in, used only by a run with the same memory cap.
 */
let spare: { memoryMb: number; instance: Promise<GuestInstance> } | undefined;
let housekeeping: Promise<void> = Promise.resolve();
/** The last run's housekeeping while it has not run yet. */
let pendingHousekeeping: (() => void) | undefined;

function afterRun(instance: GuestInstance, reuseMemory: boolean, memoryMb: number): void {
  housekeeping = new Promise((resolve) => {
    const work = (): void => {
      clearImmediate(timer);
      pendingHousekeeping = undefined;
      try {
        instance.retire(reuseMemory);
      } catch {
        // Not retired cleanly: the memory is not pooled (it is left to the collector).
      }
      if (spare === undefined) {
        const made = newGuestInstance(memoryMb);
        made.catch(() => undefined);
        spare = { memoryMb, instance: made };
      }
      resolve();
    };
    const timer = setImmediate(work);
    pendingHousekeeping = work;
  });
}

async function takeInstance(memoryMb: number): Promise<GuestInstance> {
  // A run that arrives before the last one's housekeeping ran does that first: its spare then
  // starts in the memory the last run returned, where a new memory would leave one more in the
  // pool than it keeps (dropped, and collected by a full GC every few runs).
  pendingHousekeeping?.();
  const taken = spare;
  spare = undefined;
  if (taken?.memoryMb === memoryMb) {
    try {
      return await taken.instance;
    } catch {
      // Making the spare failed: a new instance is tried, and its failure ends the run.
    }
  } else if (taken) {
    taken.instance.then(
      (unused) => unused.retire(true),
      () => undefined,
    );
  }
  return newGuestInstance(memoryMb);
}

/**
 * Resolves once the last run's retirement and the next spare are done, with the spare's
 * memory (tests check what a later run would start with).
 */
export async function engineSettled(): Promise<ArrayBuffer | undefined> {
  await housekeeping;
  const next = await spare?.instance.catch(() => undefined);
  return next?.memory.buffer;
}

interface StartedGuest {
  instance: GuestInstance;
  run: GuestRun;
  /** Installing the prelude failed (the deadline hit it, or a host fault): the run ends with it. */
  installError?: unknown;
}

/**
 * A fresh instance with the prelude installed. When the instance was restored from a
 * prepared image and setting it up failed for no reason of the run's own (no deadline, no
 * memory cap), the image is dropped and a second fresh instance runs the prelude itself.
 */
async function startGuest(
  ctx: RunContext,
  store: RunSealedStore,
  builtins: BuiltinTable,
  limits: RunLimits,
  deadline: number,
): Promise<StartedGuest> {
  const make = (instance: GuestInstance, useImage: boolean) =>
    new GuestRun(instance, ctx, store, builtins, limits, deadline, useImage);
  const first = setUpGuest(await takeInstance(limits.memoryMb), make, true);
  if (first !== RETRY) return first;
  const second = setUpGuest(await newGuestInstance(limits.memoryMb), make, false);
  if (second === RETRY) throw new Error("a run without an image was retried");
  return second;
}

const RETRY = Symbol("retry without an image");

/**
 * Makes the run and installs the prelude. A failure the image may have caused drops the
 * instance whole (its state is unknown; a run that could not even be made has already
 * dropped the image it was restored from) and asks for a retry; a run that could not be made
 * without an image drops its instance and throws.
 */
function setUpGuest(
  instance: GuestInstance,
  make: (instance: GuestInstance, useImage: boolean) => GuestRun,
  useImage: boolean,
): StartedGuest | typeof RETRY {
  let run: GuestRun | undefined;
  try {
    run = make(instance, useImage);
    run.install();
    return { instance, run };
  } catch (e) {
    if (run && (!run.restoredFromImage || run.fatal !== null)) return { instance, run, installError: e };
    if (run) {
      run.faulted = true;
      run.dispose();
      run.discardImage();
    }
    instance.retire(false);
    if (!useImage) throw e;
    return RETRY;
  }
}

function verify(script: string, services: EngineServices): RunResult["error"] | undefined {
  if (!services.verify) return undefined;
  let findings: readonly VerifierFinding[];
  try {
    findings = services.verify(script, services.policy);
  } catch (e) {
    // The verifier is not the boundary, but a crash in it must not wave a script through.
    findings = [
      { message: `the verifier failed: ${e instanceof Error ? e.message : String(e)}`, line: 1, column: 1 },
    ];
  }
  const first = findings[0];
  if (!first) return undefined;
  const lines = findings.map((f) => {
    const at = f.line === undefined ? "" : `${f.line}${f.column === undefined ? "" : `:${f.column}`}: `;
    return `${at}${f.message}${f.hint ? ` (${f.hint})` : ""}`;
  });
  return {
    message: lines.join("\n"),
    ...(first.line === undefined ? {} : { line: first.line }),
    ...(first.column === undefined ? {} : { column: first.column }),
  };
}

function endingError(
  ending: GuestEnding,
  filename: string,
  ctx: RunContext,
  limits: RunLimits,
): RunError | undefined {
  if (ending.type === "stopped") return { kind: ending.fatal.kind, message: ending.fatal.message };
  if (ending.type === "value") return undefined;
  if (ending.phase === "result" && ending.description.name === "RangeError") {
    // The default export passed a size bound: like output past its cap, a runtime limit.
    return {
      kind: "runtime_limit",
      message: `${ending.description.message} (runtime.max_output_bytes = ${limits.maxOutputBytes})`,
    };
  }
  const error = describeToError(ending.description, filename);
  // After a local-only read, text the script chose (a thrown message) is output like any other.
  if (limits.noOutputAfterLocalOnlyRead && ctx.localOnlyRead && ending.description.kind === "") {
    return {
      kind: error.kind,
      message:
        "error message withheld: runtime.no_output_after_local_only_read is set and this run has read a local-only value",
    };
  }
  return error;
}

function located(error: RunError): NonNullable<RunResult["error"]> {
  return {
    message: error.message,
    ...(error.line === undefined ? {} : { line: error.line }),
    ...(error.column === undefined ? {} : { column: error.column }),
  };
}

function refuseValue(
  text: string,
  outputBytes: number,
  ctx: RunContext,
  limits: RunLimits,
): Fatal | undefined {
  if (text === "") return undefined;
  if (limits.noOutputAfterLocalOnlyRead && ctx.localOnlyRead) {
    return {
      kind: "policy_violation",
      message:
        "the result value is withheld: runtime.no_output_after_local_only_read is set and this run has read a local-only value",
    };
  }
  const bytes = Buffer.byteLength(text);
  if (outputBytes + bytes > limits.maxOutputBytes) {
    return {
      kind: "runtime_limit",
      message: `the result value (${bytes} bytes) and the output (${outputBytes} bytes) exceed runtime.max_output_bytes = ${limits.maxOutputBytes}`,
    };
  }
  return undefined;
}

function faultFatal(
  e: unknown,
  instance: GuestInstance,
  limits: RunLimits,
): { kind: RunKind; message: string } {
  if (instance.outOfMemory()) {
    return {
      kind: "runtime_limit",
      message: `out of memory: the script exceeded runtime.max_memory_mb = ${limits.memoryMb}`,
    };
  }
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return { kind: "runtime_limit", message: "the script recursed too deeply (host stack exhausted)" };
  }
  return {
    kind: "io_error",
    message: `internal sandbox fault: ${e instanceof Error ? e.message : String(e)}`,
  };
}
