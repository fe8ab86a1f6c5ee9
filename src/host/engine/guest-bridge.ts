/**
 * The host's hold on one guest context: evaluates the prelude (or restores a prepared
 * image of it, see prelude-image.ts), claims its internal functions, and wraps every call
 * into them. Each method owns the handles it makes and frees them before returning; what
 * it returns, the caller owns.
 */
import { randomFillSync } from "node:crypto";
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from "quickjs-emscripten-core";
import { CLAIM_KEY, PRELUDE_FILENAME, PRELUDE_SOURCE } from "../guest/prelude.js";
import type { ErrorDescription } from "./outcome.js";
import { parseDescription } from "./outcome.js";
import type { PreludeMemory } from "./prelude-image.js";

/** Host functions the prelude closes over (never placed on the guest's global object). */
export interface HostFunctions {
  /** A builtin call: the builtin's index in `hostNames` and the encoded arguments. */
  call(index: QuickJSHandle, payload: QuickJSHandle): QuickJSHandle | { error: QuickJSHandle } | undefined;
  print(level: QuickJSHandle, text: QuickJSHandle): QuickJSHandle | { error: QuickJSHandle } | undefined;
  compose(payload: QuickJSHandle): QuickJSHandle | { error: QuickJSHandle } | undefined;
}

/** The prelude's JSON config: marshalling bounds and the builtin names to expose. */
export interface PreludeConfig {
  maxDepth: number;
  maxNodes: number;
  maxArgChars: number;
  maxPrintChars: number;
  /** The builtins' table names; `hostCall` receives an index into this list. */
  hostNames: string[];
  /** `[guest name, index into hostNames]`. */
  builtins: [string, number][];
  claimKey: string;
}

/** How `settle` delivers a builtin's outcome (the prelude's `settle` reads the same numbers). */
export const SETTLE = { value: 0, json: 1, taggedJson: 2, aegisError: 3, typeError: 4 } as const;

/** A value `#call` turns into a guest value itself (it frees what it makes). */
type Argument = QuickJSHandle | string | number | boolean | null | undefined;

const INTERNALS = [
  "settle",
  "encodeResult",
  "describeError",
  "makeAegisError",
  "makeTypeError",
  "makeSealed",
] as const;
type InternalName = (typeof INTERNALS)[number];

/** Seeds from the CSPRNG, drawn from a pool: one `randomFillSync` per 256 runs rather than per run. */
const seedPool = new Int32Array(1024);
let seedsUsed = seedPool.length;

function randomSeeds(): number[] {
  if (seedsUsed + 4 > seedPool.length) {
    randomFillSync(seedPool);
    seedsUsed = 0;
  }
  const seeds = Array.from(seedPool.subarray(seedsUsed, seedsUsed + 4));
  seedsUsed += 4;
  return seeds;
}

/** A call into the guest either returns a handle (ours to free) or the error it threw. */
export type GuestCall = { value: QuickJSHandle } | { error: QuickJSHandle };

/** The QuickJS context's address in the guest's memory (library internals). */
export function contextPointer(vm: QuickJSContext): number {
  return (vm as unknown as { ctx: { value: number } }).ctx.value;
}

/** The QuickJS runtime's address in the guest's memory (library internals). */
export function runtimePointer(runtime: QuickJSRuntime): number {
  return (runtime as unknown as { rt: { value: number } }).rt.value;
}

export class GuestBridge {
  readonly vm: QuickJSContext;
  readonly #internals = new Map<InternalName, QuickJSHandle>();

  constructor(vm: QuickJSContext) {
    this.vm = vm;
  }

  /**
   * Evaluates the prelude (unless the context came from a prepared image that already holds
   * it), then claims its internals. Throws (a host-side fault) if the prelude itself fails.
   */
  install(host: HostFunctions, configText: string, memory: PreludeMemory): void {
    const vm = this.vm;
    // Registered first and in this order in every run, so each gets the same host id as in
    // the captured image, whose prelude closes over functions carrying those ids.
    const functions = [
      vm.newFunction("hostCall", (index, payload) => host.call(index, payload)),
      vm.newFunction("hostPrint", (level, text) => host.print(level, text)),
      vm.newFunction("hostCompose", (payload) => host.compose(payload)),
    ];
    // Restored, these handles are not freed: freeing a function releases its host id,
    // which the image's own copies of these functions still use.
    if (!memory.restored()) {
      const handles = [...functions, vm.newString(configText)];
      try {
        const prelude = vm.unwrapResult(
          vm.evalCode(PRELUDE_SOURCE, PRELUDE_FILENAME, { type: "global", strict: true }),
        );
        const result = vm.callFunction(prelude, vm.undefined, ...handles);
        prelude.dispose();
        vm.unwrapResult(result).dispose();
      } finally {
        for (const handle of handles) handle.dispose();
      }
      memory.afterPrelude(contextPointer(vm));
    }
    this.#claim();
  }

  /** Takes the internals the prelude left on the global object (and seeds Math.random). */
  #claim(): void {
    const vm = this.vm;
    const claim = vm.getProp(vm.global, CLAIM_KEY);
    const args = randomSeeds().map((seed) => vm.newNumber(seed));
    try {
      const internals = vm.unwrapResult(vm.callFunction(claim, vm.undefined, ...args));
      try {
        for (const name of INTERNALS) {
          const fn = vm.getProp(internals, name);
          if (vm.typeof(fn) !== "function") {
            fn.dispose();
            throw new Error(`prelude function ${name} is missing`);
          }
          this.#internals.set(name, fn);
        }
      } finally {
        internals.dispose();
      }
    } finally {
      claim.dispose();
      for (const handle of args) handle.dispose();
    }
  }

  #call(name: InternalName, ...args: Argument[]): GuestCall {
    const vm = this.vm;
    const owned: QuickJSHandle[] = [];
    const handles = args.map((arg) => {
      if (arg === undefined) return vm.undefined;
      if (arg === null) return vm.null;
      if (typeof arg === "boolean") return arg ? vm.true : vm.false;
      if (typeof arg === "object") return arg;
      const made = typeof arg === "string" ? vm.newString(arg) : vm.newNumber(arg);
      owned.push(made);
      return made;
    });
    try {
      const fn = this.#internals.get(name);
      if (!fn) throw new Error(`prelude function ${name} is missing`);
      const result = vm.callFunction(fn, vm.undefined, ...handles);
      return result.error ? { error: result.error } : { value: result.value };
    } finally {
      for (const handle of owned) handle.dispose();
    }
  }

  /**
   * Settles builtin call `id` in the guest: with `value` itself (SETTLE.value), with the
   * guest value of JSON text (SETTLE.json, or SETTLE.taggedJson when it holds sealed values),
   * or rejects with an AegisError of `kind` or a TypeError, `value` being the message.
   * The guest may run script code while resolving (a `then` getter): an error it throws is returned.
   */
  settle(id: number, how: number, value: Argument, kind?: string): QuickJSHandle | undefined {
    const result = this.#call("settle", id, how, value, kind);
    if ("error" in result) return result.error;
    result.value.dispose();
    return undefined;
  }

  /** The export's JSON text ("" for undefined), or the TypeError naming what is not plain data. */
  encodeResult(value: QuickJSHandle, charLimit: number): { text: string } | { error: QuickJSHandle } {
    const result = this.#call("encodeResult", value, charLimit);
    if ("error" in result) return result;
    const text = this.vm.getString(result.value);
    result.value.dispose();
    return { text };
  }

  /** What an uncaught value was, read without running any script code. */
  describe(error: QuickJSHandle): ErrorDescription {
    const fallback = {
      kind: "",
      name: "",
      message: "the script failed with a value that could not be described",
      stack: "",
    };
    try {
      const result = this.#call("describeError", error);
      if ("error" in result) {
        result.error.dispose();
        return fallback;
      }
      const text = this.vm.getString(result.value);
      result.value.dispose();
      return parseDescription(text);
    } catch {
      return fallback;
    }
  }

  /** A guest AegisError the host vouches for (its kind decides the run's kind if uncaught). */
  aegisError(kind: string, message: string): QuickJSHandle {
    const result = this.#call("makeAegisError", kind, message);
    return "error" in result ? result.error : result.value;
  }

  typeError(message: string): QuickJSHandle {
    const result = this.#call("makeTypeError", message);
    return "error" in result ? result.error : result.value;
  }

  sealed(id: number, label: string): GuestCall {
    return this.#call("makeSealed", id, label);
  }

  dispose(): void {
    for (const handle of this.#internals.values()) handle.dispose();
    this.#internals.clear();
  }
}
