/**
 * One script run inside one fresh QuickJS instance: set up the guest, evaluate the module,
 * drive the job loop, and take everything down again.
 *
 * All wasm access happens on this object's own turn (setup, `#drive`, `#conclude`, and the
 * host functions the guest calls synchronously). Builtins settle on the host's event loop
 * and only wake the loop (see builtin-calls.ts).
 */
import type {
  JSContextPointer,
  JSPromiseState,
  QuickJSContext,
  QuickJSHandle,
  QuickJSRuntime,
} from "quickjs-emscripten-core";
import type { BuiltinTable, HostValue, RunContext } from "../builtin-types.js";
import { isSealedRef } from "../builtin-types.js";
import { CLAIM_KEY } from "../guest/prelude.js";
import type { RunSealedStore, SealedPart } from "../sealed-store.js";
import { builtinBindings } from "./bindings.js";
import { BuiltinCalls, errorText } from "./builtin-calls.js";
import { decodeGuestArgs, MarshalError } from "./codec.js";
import { GuestBridge, type PreludeConfig, runtimePointer } from "./guest-bridge.js";
import { MAX_ARG_CHARS, MAX_DEPTH, MAX_NODES, OUTPUT_SLACK_BYTES, type RunLimits } from "./limits.js";
import type { ErrorDescription, Fatal } from "./outcome.js";
import { OutputBuffer } from "./output.js";
import { NO_IMAGE, type PreludeMemory, preludeMemory } from "./prelude-image.js";
import { type GuestInstance, memoryBytes } from "./wasm.js";

/** How the module ended, before it becomes a RunResult. */
export type GuestEnding =
  /** The default export, encoded as JSON text ("" when there is none). */
  | { type: "value"; text: string }
  /** The script threw (or its result could not be marshalled): `phase` says which. */
  | { type: "thrown"; description: ErrorDescription; phase: "evaluation" | "result" }
  /** The host stopped the run. */
  | { type: "stopped"; fatal: Fatal };

const IMPORT_REFUSED =
  "import is not available in aegis scripts: there are no modules to load; use the injected globals fs, net, env, subprocess and console";

type HostReturn = QuickJSHandle | { error: QuickJSHandle } | undefined;

export function deadlineFatal(limits: RunLimits): Fatal {
  return {
    kind: "runtime_limit",
    message: `the run exceeded its time limit of ${limits.timeoutMs / 1000} s (runtime.max_seconds)`,
  };
}

export class GuestRun {
  readonly output: OutputBuffer;
  /** Set once the wasm instance misbehaved (trap, host stack overflow): it is dropped, not disposed. */
  faulted = false;
  fatal: Fatal | null = null;

  readonly #instance: GuestInstance;
  readonly #ctx: RunContext;
  readonly #store: RunSealedStore;
  readonly #limits: RunLimits;
  readonly #deadline: number;
  readonly #rt: QuickJSRuntime;
  readonly #bridge: GuestBridge;
  readonly #calls: BuiltinCalls;
  readonly #config: PreparedConfig;
  #preludeMemory: PreludeMemory = NO_IMAGE;
  #finished = false;
  #wake: (() => void) | null = null;
  #main: QuickJSHandle | null = null;
  #mainState: JSPromiseState | null = null;

  constructor(
    instance: GuestInstance,
    ctx: RunContext,
    store: RunSealedStore,
    builtins: BuiltinTable,
    limits: RunLimits,
    deadline: number,
    /** Whether the prelude may come from a prepared image (prelude-image.ts). */
    useImage = true,
  ) {
    this.#instance = instance;
    this.#ctx = ctx;
    this.#store = store;
    this.#limits = limits;
    this.#deadline = deadline;
    this.output = new OutputBuffer(limits.maxOutputBytes);
    this.#rt = instance.quickjs.newRuntime();
    this.#rt.setMemoryLimit(memoryBytes(limits.memoryMb));
    this.#rt.setMaxStackSize(limits.stackBytes);
    this.#rt.setInterruptHandler(() => this.#shouldInterrupt());
    this.#rt.setModuleLoader(() => ({ error: new Error(IMPORT_REFUSED) }));
    this.#config = preludeConfig(builtins, limits);
    if (useImage) {
      // Everything that shapes the instance before the prelude, and the prelude's input.
      const key = `${memoryBytes(limits.memoryMb)} ${limits.stackBytes} ${this.#config.text}`;
      this.#preludeMemory = preludeMemory(key, instance.memory);
    }
    // Restored from an image, the context already exists in memory: it is only wrapped.
    const restored = this.#preludeMemory.start(runtimePointer(this.#rt));
    let vm: QuickJSContext;
    try {
      vm = this.#rt.newContext(
        restored === undefined ? {} : { contextPointer: restored as JSContextPointer },
      );
    } catch (e) {
      // The context the image holds could not be wrapped: no run uses that image again.
      if (restored !== undefined) this.#preludeMemory.discard();
      throw e;
    }
    mapDetachedContextPointer(this.#rt, vm);
    this.#bridge = new GuestBridge(vm);
    this.#calls = new BuiltinCalls({
      bridge: this.#bridge,
      store,
      ctx,
      builtins,
      names: this.#config.config.hostNames,
      ending: () => this.fatal !== null || this.#finished,
      wake: () => this.#wakeUp(),
    });
  }

  /** Ends the run from outside (the deadline timer); the guest stops at its next interrupt check. */
  stop(fatal: Fatal): void {
    this.#setFatal(fatal);
    this.#wakeUp();
  }

  #setFatal(fatal: Fatal): void {
    if (this.fatal === null) this.fatal = fatal;
  }

  /** A refused memory grow ends the run even when the script caught the InternalError. */
  #noteMemory(): boolean {
    if (!this.#instance.outOfMemory()) return false;
    this.#setFatal({
      kind: "runtime_limit",
      message: `out of memory: the script exceeded runtime.max_memory_mb = ${this.#limits.memoryMb}`,
    });
    return true;
  }

  #shouldInterrupt(): boolean {
    if (this.fatal !== null || this.#noteMemory()) return true;
    if (performance.now() > this.#deadline) {
      this.#setFatal(deadlineFatal(this.#limits));
      return true;
    }
    return false;
  }

  /**
   * A host function must never throw into the library (it would print to the host's stderr
   * and turn host error text into a guest error): a host-side bug ends the run instead.
   */
  #guard(body: () => HostReturn): HostReturn {
    try {
      return body();
    } catch (e) {
      const stackExhausted = e instanceof RangeError && /call stack/i.test(e.message);
      this.#setFatal(
        stackExhausted
          ? { kind: "runtime_limit", message: "the script recursed too deeply (host stack exhausted)" }
          : { kind: "io_error", message: `internal sandbox fault: ${errorText(e)}` },
      );
      return undefined;
    }
  }

  /**
   * Evaluates the prelude (or restores its prepared image) and wires the host functions;
   * throws only on a host-side fault.
   */
  install(): void {
    this.#bridge.install(
      {
        call: (index, payload) => this.#guard(() => this.#calls.call(index, payload)),
        print: (_level, text) => this.#guard(() => this.#print(text)),
        compose: (payload) => this.#guard(() => this.#compose(payload)),
      },
      this.#config.text,
      this.#preludeMemory,
    );
  }

  /** Whether the prelude came from a prepared image rather than running here. */
  get restoredFromImage(): boolean {
    return this.#preludeMemory.restored();
  }

  /** The prepared image this run was restored from proved unusable: no run uses it again. */
  discardImage(): void {
    this.#preludeMemory.discard();
  }

  /** Evaluates the script as a module and drives it until it settles or the run is stopped. */
  async evaluate(script: string, filename: string): Promise<GuestEnding> {
    const evaluated = this.#bridge.vm.evalCode(script, filename, { type: "module" });
    if (evaluated.error) return this.#thrown(evaluated.error, "evaluation");
    this.#main = evaluated.value;
    await this.#drive(evaluated.value);
    return this.#conclude();
  }

  async #drive(main: QuickJSHandle): Promise<void> {
    const calls = this.#calls;
    for (;;) {
      if (this.fatal) return;
      calls.applySettled();
      if (this.fatal) return;
      const jobs = this.#rt.executePendingJobs();
      if (jobs.error) {
        // Only an uncatchable error (interrupt, memory) escapes a promise job.
        this.#setFatal({ kind: "runtime_limit", message: "the script was stopped inside a promise job" });
        jobs.error.dispose();
        return;
      }
      if (this.fatal) return;
      const state = this.#bridge.vm.getPromiseState(main);
      if (state.type !== "pending") {
        this.#mainState = state;
        return;
      }
      // Calls start only here, while the module still runs (see builtin-calls.ts).
      calls.dispatch();
      if (calls.hasSettled || this.#rt.hasPendingJob()) continue;
      if (calls.inFlight === 0 && calls.queued === 0) {
        this.#setFatal({
          kind: "script_error",
          message:
            "the script is waiting on a promise that nothing will settle (no builtin call is pending); " +
            "every awaited promise must come from a builtin or settle on its own",
        });
        return;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  #conclude(): GuestEnding {
    this.#noteMemory();
    // The timer cannot fire while one native call holds the thread; a module that finished
    // after such a call still ran past its deadline.
    if (performance.now() > this.#deadline) this.#setFatal(deadlineFatal(this.#limits));
    const state = this.#mainState;
    if (this.fatal || !state || state.type === "pending") return this.#stopped();
    if (state.type === "rejected") return this.#thrown(state.error, "evaluation");
    const vm = this.#bridge.vm;
    const value = vm.getProp(state.value, "default");
    if (!state.notAPromise) state.value.dispose();
    const encoded = this.#bridge.encodeResult(value, this.#limits.maxOutputBytes + 1);
    value.dispose();
    if ("error" in encoded) return this.#thrown(encoded.error, "result");
    return this.fatal ? this.#stopped() : { type: "value", text: encoded.text };
  }

  #stopped(): GuestEnding {
    return {
      type: "stopped",
      fatal: this.fatal ?? { kind: "runtime_limit", message: "the run was stopped" },
    };
  }

  /** A host-decided ending (deadline, memory, output) wins over whatever the guest threw. */
  #thrown(error: QuickJSHandle, phase: "evaluation" | "result"): GuestEnding {
    this.#noteMemory();
    const description = this.fatal ? null : this.#bridge.describe(error);
    error.dispose();
    return this.fatal || !description ? this.#stopped() : { type: "thrown", description, phase };
  }

  #print(textHandle: QuickJSHandle): undefined {
    if (this.fatal) return undefined;
    if (this.#limits.noOutputAfterLocalOnlyRead && this.#ctx.localOnlyRead) {
      this.#setFatal({
        kind: "policy_violation",
        message:
          "console output refused: runtime.no_output_after_local_only_read is set and this run has read a local-only value",
      });
      return undefined;
    }
    if (!this.output.appendLine(this.#bridge.vm.getString(textHandle))) {
      this.#setFatal({
        kind: "runtime_limit",
        message: `output exceeded runtime.max_output_bytes = ${this.#limits.maxOutputBytes}`,
      });
    }
    return undefined;
  }

  /** `sealed\`…\``: the composition happens here, on real bytes; the guest gets a new Sealed. */
  #compose(payload: QuickJSHandle): HostReturn {
    try {
      const [strings, values] = decodeGuestArgs(this.#bridge.vm.getString(payload), this.#store, "sealed`…`");
      const ref = this.#store.compose(templateParts(strings, values));
      const made = this.#bridge.sealed(ref.sealedId, ref.label);
      return "error" in made ? made : made.value;
    } catch (e) {
      return { error: this.#bridge.typeError(errorText(e)) };
    }
  }

  /**
   * Marks the run finished (late builtin results are ignored from now on) and releases the
   * handles the host holds. Returns false when the instance was dropped instead.
   *
   * The context and runtime themselves are not freed: the instance is retired right after
   * (wasm.ts), and its memory is zeroed or dropped, so walking the guest heap to free it
   * (a third of a trivial run) would change nothing anyone can see.
   */
  dispose(): boolean {
    this.#finished = true;
    this.#wakeUp();
    // After a fault or a limit, the instance is dropped whole: freeing a heap the script
    // shaped to be slow to free (a 100 000-deep chain) would only extend an ended run.
    const drop = this.faulted || this.fatal?.kind === "runtime_limit";
    this.#calls.close(!drop);
    if (drop) return false;
    try {
      const state = this.#mainState;
      if (state?.type === "fulfilled" && !state.notAPromise && state.value.alive) state.value.dispose();
      this.#main?.dispose();
      this.#bridge.dispose();
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * quickjs-emscripten 0.32 reads which context ran the last promise job through a typed
 * array it made before running the jobs. When a job grows the guest's memory, that array's
 * buffer is detached, the read gives `undefined`, and the library would wrap (and leak) a
 * new context for it. A run has exactly one context, so `undefined` is mapped to it.
 */
function mapDetachedContextPointer(runtime: QuickJSRuntime, vm: QuickJSContext): void {
  const contexts = (runtime as unknown as { contextMap?: unknown }).contextMap;
  if (contexts instanceof Map) contexts.set(undefined, vm);
}

interface PreparedConfig {
  config: PreludeConfig;
  /** Its JSON text, as the prelude receives it. */
  text: string;
}

/** Per builtin table, by output cap: the same for every run of a worker, so made once. */
const configs = new WeakMap<BuiltinTable, Map<number, PreparedConfig>>();

function preludeConfig(builtins: BuiltinTable, limits: RunLimits): PreparedConfig {
  const maxPrintChars = limits.maxOutputBytes + OUTPUT_SLACK_BYTES;
  let byCap = configs.get(builtins);
  if (!byCap) {
    byCap = new Map();
    configs.set(builtins, byCap);
  }
  let prepared = byCap.get(maxPrintChars);
  if (!prepared) {
    const bindings = builtinBindings(builtins);
    const hostNames = [...new Set(bindings.map(([, table]) => table))];
    const config: PreludeConfig = {
      maxDepth: MAX_DEPTH,
      maxNodes: MAX_NODES,
      maxArgChars: MAX_ARG_CHARS,
      maxPrintChars,
      hostNames,
      builtins: bindings.map(([guest, table]) => [guest, hostNames.indexOf(table)]),
      claimKey: CLAIM_KEY,
    };
    prepared = { config, text: JSON.stringify(config) };
    if (byCap.size < 8) byCap.set(maxPrintChars, prepared);
  }
  return prepared;
}

function templateParts(strings: HostValue, values: HostValue): SealedPart[] {
  const bad = (): never => {
    throw new MarshalError("sealed`…` accepts literal text, strings, numbers, booleans and sealed values");
  };
  if (!Array.isArray(strings) || !Array.isArray(values)) return bad();
  const parts: SealedPart[] = [];
  strings.forEach((text, i) => {
    if (typeof text !== "string") bad();
    parts.push(text as string);
    if (i >= values.length) return;
    const v = values[i];
    if (isSealedRef(v)) parts.push(v);
    else if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") parts.push(String(v));
    else bad();
  });
  return parts;
}
