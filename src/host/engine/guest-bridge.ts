/**
 * The host's hold on one guest context: evaluates the prelude, keeps handles to its
 * internal functions, and wraps every call into them. Each method owns the handles it
 * makes and frees them before returning; what it returns, the caller owns.
 */
import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten-core";
import { PRELUDE_FILENAME, PRELUDE_SOURCE } from "../guest/prelude.js";
import type { ErrorDescription } from "./outcome.js";
import { parseDescription } from "./outcome.js";

/** Host functions the prelude closes over (never placed on the guest's global object). */
export interface HostFunctions {
  call(name: QuickJSHandle, payload: QuickJSHandle): QuickJSHandle | { error: QuickJSHandle } | undefined;
  print(level: QuickJSHandle, text: QuickJSHandle): QuickJSHandle | { error: QuickJSHandle } | undefined;
  compose(payload: QuickJSHandle): QuickJSHandle | { error: QuickJSHandle } | undefined;
}

/** The prelude's JSON config: marshalling bounds and the builtin names to expose. */
export interface PreludeConfig {
  maxDepth: number;
  maxNodes: number;
  maxArgChars: number;
  maxPrintChars: number;
  builtins: [string, string][];
}

const INTERNALS = [
  "decodeResult",
  "encodeResult",
  "describeError",
  "makeAegisError",
  "makeTypeError",
  "makeSealed",
] as const;
type InternalName = (typeof INTERNALS)[number];

/** A call into the guest either returns a handle (ours to free) or the error it threw. */
export type GuestCall = { value: QuickJSHandle } | { error: QuickJSHandle };

export class GuestBridge {
  readonly vm: QuickJSContext;
  readonly #internals = new Map<InternalName, QuickJSHandle>();

  constructor(vm: QuickJSContext) {
    this.vm = vm;
  }

  /** Evaluates the prelude; throws (a host-side fault) if the prelude itself fails. */
  install(host: HostFunctions, config: PreludeConfig): void {
    const vm = this.vm;
    const handles = [
      vm.newFunction("hostCall", (name, payload) => host.call(name, payload)),
      vm.newFunction("hostPrint", (level, text) => host.print(level, text)),
      vm.newFunction("hostCompose", (payload) => host.compose(payload)),
      vm.newString(JSON.stringify(config)),
    ];
    try {
      const prelude = vm.unwrapResult(
        vm.evalCode(PRELUDE_SOURCE, PRELUDE_FILENAME, { type: "global", strict: true }),
      );
      handles.push(prelude);
      const internals = vm.unwrapResult(vm.callFunction(prelude, vm.undefined, ...handles.slice(0, 4)));
      handles.push(internals);
      for (const name of INTERNALS) this.#internals.set(name, vm.getProp(internals, name));
    } finally {
      for (const handle of handles) handle.dispose();
    }
  }

  #call(name: InternalName, ...args: (QuickJSHandle | string | number | boolean)[]): GuestCall {
    const vm = this.vm;
    const owned: QuickJSHandle[] = [];
    const handles = args.map((arg) => {
      if (typeof arg === "object") return arg;
      const made =
        typeof arg === "string"
          ? vm.newString(arg)
          : typeof arg === "number"
            ? vm.newNumber(arg)
            : arg
              ? vm.true
              : vm.false;
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

  /** The guest value for a builtin's result text (plain JSON, or tagged when it holds sealed values). */
  decodeResult(callee: string, text: string, tagged: boolean): GuestCall {
    return this.#call("decodeResult", callee, text, tagged);
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
