/**
 * One QuickJS WebAssembly instance per run, each with its own linear memory.
 *
 * `setMemoryLimit` does not bound strings or ArrayBuffers, so the hard cap is the
 * `WebAssembly.Memory` maximum: the module is compiled once per process and
 * instantiated per run against a fresh memory. When the guest needs more than the cap,
 * growing fails, QuickJS throws `InternalError: out of memory`, and the run's memory
 * watch reports it so the run ends with `runtime_limit` even if the script catches it.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import releaseSyncImport from "@jitl/quickjs-wasmfile-release-sync";
import {
  type EmscriptenModuleLoaderOptions,
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from "quickjs-emscripten-core";

/** The slice of the WebAssembly JS API used here (the project's lib settings do not declare it). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}
type WasmModule = object;
interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: unknown) => WasmInstance;
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

// The package's types describe its CommonJS shape; under ESM the default export is the variant.
const releaseSync: QuickJSSyncVariant =
  "default" in releaseSyncImport
    ? (releaseSyncImport as unknown as { default: QuickJSSyncVariant }).default
    : (releaseSyncImport as QuickJSSyncVariant);

const WASM_PAGE = 64 * 1024;
/** The module declares 256 pages (16 MiB) of initial memory; 5 MiB of it is the C stack. */
const INITIAL_PAGES = 256;
/** Below this the guest cannot even start a context with a useful heap. */
export const MIN_MEMORY_MB = 24;

let compiled: WasmModule | undefined;

/** Compiles the QuickJS module on first use (~15 ms); later calls return the same module. */
export function quickjsWasmModule(): WasmModule {
  if (!compiled) {
    const require = createRequire(import.meta.url);
    const file = require.resolve("@jitl/quickjs-wasmfile-release-sync/wasm");
    compiled = new WebAssemblyApi.Module(readFileSync(file));
  }
  return compiled;
}

export interface GuestInstance {
  quickjs: QuickJSWASMModule;
  memory: WasmMemory;
  /** True when the most recent attempt to grow memory failed: the guest hit its cap. */
  outOfMemory(): boolean;
  /** Text the wasm module tried to print (abort messages); never shown to the guest. */
  diagnostics: string[];
}

export async function newGuestInstance(memoryMb: number): Promise<GuestInstance> {
  const maximum = Math.max(
    INITIAL_PAGES,
    Math.floor((Math.max(memoryMb, MIN_MEMORY_MB) * 1024 * 1024) / WASM_PAGE),
  );
  const memory = new WebAssemblyApi.Memory({ initial: INITIAL_PAGES, maximum });
  let growFailed = false;
  const grow = memory.grow.bind(memory);
  // Emscripten grows the heap through this object; a refused grow is the memory cap.
  memory.grow = (delta: number): number => {
    try {
      const previous = grow(delta);
      growFailed = false;
      return previous;
    } catch (e) {
      growFailed = true;
      throw e;
    }
  };
  const diagnostics: string[] = [];
  const keep = (text: string): void => {
    if (diagnostics.length < 20) diagnostics.push(String(text));
  };
  const module = quickjsWasmModule();
  const emscriptenModule = {
    // Synchronous instantiation of the compiled module: ~1.5 ms, where the asynchronous
    // WebAssembly.instantiate that `newVariant({ wasmModule })` uses takes ~4.5 ms.
    instantiateWasm(imports: unknown, onSuccess: (instance: WasmInstance) => void) {
      const instance = new WebAssemblyApi.Instance(module, imports);
      onSuccess(instance);
      return instance.exports;
    },
    // Anything the C side prints stays here: never on the host's stdout (the MCP channel).
    print: keep,
    printErr: keep,
  };
  const variant = newVariant(releaseSync, {
    wasmMemory: memory,
    emscriptenModule: emscriptenModule as unknown as EmscriptenModuleLoaderOptions,
  });
  const quickjs = await newQuickJSWASMModuleFromVariant(variant);
  return { quickjs, memory, outOfMemory: () => growFailed, diagnostics };
}

export function memoryBytes(memoryMb: number): number {
  return Math.max(memoryMb, MIN_MEMORY_MB) * 1024 * 1024;
}
