/**
 * One QuickJS WebAssembly instance per run, each with its own linear memory.
 *
 * `setMemoryLimit` does not bound strings or ArrayBuffers, so the hard cap is the
 * `WebAssembly.Memory` maximum: the module is compiled once per process and
 * instantiated per run against a fresh memory (starting small, see wasm-binary.ts). When
 * the guest needs more than the cap, growing fails, QuickJS throws `InternalError: out of
 * memory`, and the run's memory watch reports it so the run ends with `runtime_limit` even
 * if the script catches it.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import releaseSyncImport from "@jitl/quickjs-wasmfile-release-sync";
import { type QuickJSSyncVariant, QuickJSWASMModule } from "quickjs-emscripten-core";
import { lowerMemoryMinimum } from "./wasm-binary.js";

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
/** Below this the guest cannot even start a context with a useful heap. */
export const MIN_MEMORY_MB = 24;

/** The compiled module and the memory size each run starts at (see wasm-binary.ts). */
let compiled: { module: WasmModule; initialPages: number } | undefined;

type ModuleLoader = Awaited<ReturnType<QuickJSSyncVariant["importModuleLoader"]>>;
type EmscriptenModule = ConstructorParameters<Awaited<ReturnType<QuickJSSyncVariant["importFFI"]>>>[0];
type Factory = (options: Record<string, unknown>) => Promise<EmscriptenModule>;
interface VariantParts {
  factory: Factory;
  ffi: Awaited<ReturnType<QuickJSSyncVariant["importFFI"]>>;
}
let parts: Promise<VariantParts> | undefined;

/**
 * The variant's Emscripten factory and FFI class, imported once per process. (What
 * `newQuickJSWASMModuleFromVariant` does per call, minus its three dynamic imports.)
 */
function variantParts(): Promise<VariantParts> {
  parts ??= Promise.all([releaseSync.importModuleLoader(), releaseSync.importFFI()]).then(
    ([loader, ffi]) => ({ factory: unwrapDefault(loader), ffi }),
  );
  return parts;
}

function unwrapDefault(loader: ModuleLoader): Factory {
  let value: unknown = loader;
  while (typeof value !== "function" && typeof value === "object" && value !== null && "default" in value) {
    value = (value as { default: unknown }).default;
  }
  if (typeof value !== "function") throw new Error("the QuickJS variant has no Emscripten module loader");
  return value as Factory;
}

/** Compiles the module and loads the variant's JavaScript, so a first run does not wait for either. */
export async function loadQuickJs(): Promise<void> {
  quickjsWasmModule();
  await variantParts();
}

/** Compiles the QuickJS module on first use (~15 ms); later calls return the same module. */
export function quickjsWasmModule(): { module: WasmModule; initialPages: number } {
  if (!compiled) {
    const require = createRequire(import.meta.url);
    const file = require.resolve("@jitl/quickjs-wasmfile-release-sync/wasm");
    const { bytes, pages } = lowerMemoryMinimum(readFileSync(file));
    compiled = { module: new WebAssemblyApi.Module(bytes), initialPages: pages };
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
  const { module, initialPages } = quickjsWasmModule();
  const maximum = Math.max(
    initialPages,
    Math.floor((Math.max(memoryMb, MIN_MEMORY_MB) * 1024 * 1024) / WASM_PAGE),
  );
  const memory = new WebAssemblyApi.Memory({ initial: initialPages, maximum });
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
  const { factory, ffi: FFI } = await variantParts();
  const emscripten = await factory({
    wasmMemory: memory,
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
  });
  (emscripten as { type?: string }).type = "sync";
  nativeStringEncoding(emscripten);
  const quickjs = new QuickJSWASMModule(emscripten, new FFI(emscripten));
  return { quickjs, memory, outOfMemory: () => growFailed, diagnostics };
}

interface StringHeap {
  HEAPU8: Uint8Array;
  lengthBytesUTF8(text: string): number;
  stringToUTF8(text: string, pointer: number, maxBytes: number): number;
}

const encoder = new TextEncoder();
const isWellFormed = (text: string): boolean => (text as string & { isWellFormed(): boolean }).isWellFormed();

/**
 * Every string the host passes in (script source, builtin results, messages) is encoded by
 * these two; Emscripten's own versions walk the string in JavaScript (~4 µs per KiB). Text
 * with a lone surrogate keeps Emscripten's encoding, so what the guest receives is unchanged.
 */
function nativeStringEncoding(module: EmscriptenModule): void {
  const heap = module as unknown as StringHeap;
  const emscriptenLength = heap.lengthBytesUTF8.bind(heap);
  const emscriptenEncode = heap.stringToUTF8.bind(heap);
  heap.lengthBytesUTF8 = (text) =>
    isWellFormed(text) ? Buffer.byteLength(text, "utf8") : emscriptenLength(text);
  heap.stringToUTF8 = (text, pointer, maxBytes) => {
    if (!isWellFormed(text)) return emscriptenEncode(text, pointer, maxBytes);
    if (maxBytes <= 0) return 0;
    // HEAPU8 is read per call: Emscripten replaces it when the memory grows.
    const bytes = heap.HEAPU8;
    const { written } = encoder.encodeInto(text, bytes.subarray(pointer, pointer + maxBytes - 1));
    bytes[pointer + written] = 0;
    return written;
  };
}

export function memoryBytes(memoryMb: number): number {
  return Math.max(memoryMb, MIN_MEMORY_MB) * 1024 * 1024;
}
