/**
 * One QuickJS WebAssembly instance per run, each with its own linear memory.
 *
 * `setMemoryLimit` does not bound strings or ArrayBuffers, so the hard cap is the
 * `WebAssembly.Memory` maximum: the module is compiled once per process and
 * instantiated per run against a memory of its own (starting small, see wasm-binary.ts).
 * When the guest needs more than the cap, growing fails, QuickJS throws `InternalError:
 * out of memory`, and the run's memory watch reports it so the run ends with
 * `runtime_limit` even if the script catches it.
 *
 * A run's memory is either new or a finished run's memory that has been zeroed whole: a
 * new `WebAssembly.Memory` per run made V8 collect garbage every few runs (each counts as
 * 6 MiB of external memory) and fault in every page again, about half of a warm run. A
 * memory is reused only when its run did not fault and it never grew (so it is exactly
 * the size and maximum of a new one), only after that run's instance is retired (every
 * library entry point into it disabled), and zeroing happens before it is pooled.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
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
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Instance: new (module: WasmModule, imports: unknown) => WasmInstance;
  Memory: { new (descriptor: { initial: number; maximum: number }): WasmMemory; prototype: WasmMemory };
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

interface CompiledQuickJs {
  module: WasmModule;
  /** The memory size each run starts at (see wasm-binary.ts). */
  initialPages: number;
}

let compiling: Promise<CompiledQuickJs> | undefined;

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

/**
 * Compiles the module and loads the variant's JavaScript, so a first run does not wait for
 * either. The compilation runs on V8's background threads: a worker starts it first and loads
 * its policy meanwhile.
 */
export async function loadQuickJs(): Promise<void> {
  await quickjsWasmModule();
  await variantParts();
}

/** The QuickJS module, compiled once per process on first use; a failed compile is tried again. */
export function quickjsWasmModule(): Promise<CompiledQuickJs> {
  if (!compiling) {
    const require = createRequire(import.meta.url);
    const file = require.resolve("@jitl/quickjs-wasmfile-release-sync/wasm");
    const { bytes, pages } = lowerMemoryMinimum(readFileSync(file));
    compiling = WebAssemblyApi.compile(bytes).then((module) => ({ module, initialPages: pages }));
    compiling.catch(() => {
      compiling = undefined;
    });
  }
  return compiling;
}

export interface GuestInstance {
  quickjs: QuickJSWASMModule;
  memory: WasmMemory;
  /** True when the most recent attempt to grow memory failed: the guest hit its cap. */
  outOfMemory(): boolean;
  /** Text the wasm module tried to print (abort messages); never shown to the guest. */
  diagnostics: string[];
  /**
   * Ends the instance: every library function that reaches its memory is disabled, so a
   * late callback can no longer read or write it. With `reuseMemory`, a memory that never
   * grew is zeroed and pooled for a later run. Idempotent.
   */
  retire(reuseMemory: boolean): void;
}

/** Zeroed memories of finished runs, by size and maximum (pages); a few at most. */
const memoryPool = new Map<string, WasmMemory[]>();
const POOL_PER_SIZE = 2;
const memoryGrow = WebAssemblyApi.Memory.prototype.grow;

function takeMemory(initial: number, maximum: number): WasmMemory {
  const pooled = memoryPool.get(`${initial}/${maximum}`)?.pop();
  return pooled ?? new WebAssemblyApi.Memory({ initial, maximum });
}

/** How retired instances' memories went: zeroed into the pool, or left to the collector. */
const retirements = { pooled: 0, dropped: 0 };

function poolMemory(memory: WasmMemory, initial: number, maximum: number): boolean {
  // A memory that grew is larger than a new one would be: it is left to the collector.
  if (memory.buffer.byteLength !== initial * WASM_PAGE) return false;
  const key = `${initial}/${maximum}`;
  const list = memoryPool.get(key) ?? [];
  if (list.length >= POOL_PER_SIZE) return false;
  zeroWhole(memory.buffer);
  list.push(memory);
  memoryPool.set(key, list);
  return true;
}

/** Compared against, never written: all zero. */
const ZERO_CHUNK = Buffer.alloc(WASM_PAGE);

/**
 * Leaves every byte of `buffer` zero. A run writes a small part of its memory (most of the
 * 5 MiB C stack is never reached), and comparing a chunk with zeros only reads it, where
 * filling it reads and writes it back: each 64 KiB chunk is compared and filled only if it
 * is not zero already.
 */
function zeroWhole(buffer: ArrayBuffer): void {
  const bytes = Buffer.from(buffer);
  for (let offset = 0; offset < bytes.length; offset += WASM_PAGE) {
    const end = Math.min(offset + WASM_PAGE, bytes.length);
    if (bytes.compare(ZERO_CHUNK, 0, end - offset, offset, end) !== 0) bytes.fill(0, offset, end);
  }
}

/**
 * Dropped memories are freed only when V8 next collects garbage, and with memories reused
 * nothing else in a worker makes it collect often: runs that grew to their cap (64 MiB and
 * more each) would pile up. Once 32 MiB of dropped memory has accumulated, a full collection
 * is asked for on a later turn of the event loop, when the ended run (which still holds the
 * memory while it is being retired) is gone; retirement itself runs after the result is out.
 */
const COLLECT_AFTER_BYTES = 32 * 1024 * 1024;
let droppedBytes = 0;
let collect: (() => void) | null | undefined;

function noteDropped(bytes: number): void {
  droppedBytes += bytes;
  if (droppedBytes < COLLECT_AFTER_BYTES) return;
  droppedBytes = 0;
  setImmediate(collectGarbage);
}

function collectGarbage(): void {
  if (collect === undefined) collect = gcFunction();
  collect?.();
}

/**
 * V8's `gc`, from a context made while --expose-gc is on. The flag is turned off again right
 * after: a flag that differs from the process's start changes V8's cached-data tag, Node's own
 * modules' code cache then no longer matches, and a worker started later (after a terminated
 * run) would boot 30–70 ms slower (measured).
 */
export function gcFunction(): (() => void) | null {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === "function") return exposed as () => void;
  try {
    setFlagsFromString("--expose-gc");
    try {
      return runInNewContext("gc") as () => void;
    } finally {
      setFlagsFromString("--no-expose-gc");
    }
  } catch {
    return null;
  }
}

/** The pooled memories' buffers (tests check they are zeroed and of their first size). */
export function pooledMemories(): ArrayBuffer[] {
  return [...memoryPool.values()].flatMap((list) => list.map((memory) => memory.buffer));
}

/** How many retired memories were pooled and how many dropped, since the start (tests). */
export function retirementCounts(): { pooled: number; dropped: number } {
  return { ...retirements };
}

export async function newGuestInstance(memoryMb: number): Promise<GuestInstance> {
  const { module, initialPages } = await quickjsWasmModule();
  const maximum = Math.max(
    initialPages,
    Math.floor((Math.max(memoryMb, MIN_MEMORY_MB) * 1024 * 1024) / WASM_PAGE),
  );
  const memory = takeMemory(initialPages, maximum);
  let growFailed = false;
  // Emscripten grows the heap through this object; a refused grow is the memory cap.
  // (An own property per run: a pooled memory's previous run had its own.)
  memory.grow = (delta: number): number => {
    try {
      const previous = memoryGrow.call(memory, delta);
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
  const ffi = new FFI(emscripten);
  const quickjs = new QuickJSWASMModule(emscripten, ffi);
  let retired = false;
  return {
    quickjs,
    memory,
    outOfMemory: () => growFailed,
    diagnostics,
    retire(reuseMemory) {
      if (retired) return;
      retired = true;
      disable(ffi);
      disable(emscripten);
      memory.grow = () => {
        throw new RangeError("this sandbox instance has ended");
      };
      if (reuseMemory && poolMemory(memory, initialPages, maximum)) retirements.pooled++;
      else {
        retirements.dropped++;
        noteDropped(memory.buffer.byteLength);
      }
    },
  };
}

const EMPTY_HEAP = new Uint8Array(0);

/**
 * Replaces every function an object holds (the FFI's wrapped exports, Emscripten's `_*`
 * exports and helpers) with one that does nothing, and its heap views with empty ones:
 * whatever still holds a handle of an ended run reaches no memory through it.
 */
function disable(target: object): void {
  const record = target as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const value = record[key];
    if (typeof value === "function") record[key] = () => 0;
    else if (ArrayBuffer.isView(value) && key.startsWith("HEAP")) record[key] = EMPTY_HEAP;
  }
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
