/**
 * Prepared guests: the pages of a fresh instance's linear memory as they stand right after
 * the prelude ran (before any script code), kept per worker so that later runs copy them
 * into their own new memory instead of parsing and running the prelude again (2–4 ms).
 *
 * What stays the same per run: every run gets a new wasm instance with its own capped
 * `WebAssembly.Memory`, and nothing a script did ever reaches another run. The image is
 * taken from an instance no script code has run in, between the prelude and the host's
 * claim of its internals; a run uses it only when it was prepared with the same
 * configuration (builtins, limits) and reached the same allocation state up to that point.
 * Per-run state the image would otherwise repeat (Math.random's seed) is set by the claim.
 *
 * How a restore stays exact: a run makes the same calls as the capture did up to its
 * runtime (a new instance, the runtime and its limits); the runtime's pointer must equal
 * the captured one, which shows the allocator is in the same state. Then every page that
 * was non-zero either at that point or after the prelude is overwritten with the image,
 * which leaves the memory byte for byte as it was after the prelude in the captured
 * instance, and the run wraps the captured context's pointer instead of making a context
 * (QuickJS's context set-up is most of what the image saves). The host functions are
 * registered in the same order, so they get the same ids the image's functions hold.
 */
import type { WasmMemory } from "./wasm.js";

const PAGE = 4096;
const MAX_IMAGES = 4;
const ZERO_PAGE = Buffer.alloc(PAGE);

interface Image {
  readonly byteLength: number;
  /** The runtime's pointer: equal only when the allocator was in the same state. */
  readonly runtimePointer: number;
  readonly contextPointer: number;
  /** Runs of consecutive pages, with their bytes. */
  readonly runs: readonly { offset: number; bytes: Uint8Array }[];
}

/** A configuration seen once (its second run captures), or one that cannot use an image. */
const SEEN = "seen";
const OFF = "off";
const images = new Map<string, Image | typeof SEEN | typeof OFF>();
const counts = { captured: 0, restored: 0 };

/** One instance's side of the image: restore it, or capture it around the prelude. */
export interface PreludeMemory {
  /**
   * Called once the runtime and its limits are set, before any context exists. Restoring:
   * copies the image in and returns the captured context's pointer, if the image fits this
   * instance. Capturing: notes which pages are non-zero so far. Otherwise (and whenever the
   * image does not fit) undefined: the run makes its context and runs the prelude.
   */
  start(runtimePointer: number): number | undefined;
  /** Called right after the prelude ran and its handles were freed. */
  afterPrelude(contextPointer: number): void;
  /** Whether `start` copied the image in. */
  restored(): boolean;
  /** The image proved unusable (claiming it failed): it is dropped for good. */
  discard(): void;
}

export const NO_IMAGE: PreludeMemory = {
  start: () => undefined,
  restored: () => false,
  afterPrelude: () => undefined,
  discard: () => undefined,
};

/**
 * The image plan for one instance. The first run of a configuration runs the prelude
 * (a one-shot CLI run pays nothing extra); the second also captures; later ones restore.
 */
export function preludeMemory(key: string, memory: WasmMemory): PreludeMemory {
  const entry = images.get(key);
  if (entry === undefined) {
    remember(key, SEEN);
    return NO_IMAGE;
  }
  if (entry === OFF) return NO_IMAGE;
  if (entry === SEEN) return capturing(key, memory);
  return restoring(key, entry, memory);
}

/** Forgets every image and resets the counts (tests). */
export function forgetPreludeImages(): void {
  images.clear();
  counts.captured = 0;
  counts.restored = 0;
}

/** How many images were captured and how many runs were restored from one, since the start. */
export function preludeImageCounts(): { captured: number; restored: number } {
  return { ...counts };
}

function remember(key: string, image: Image | typeof SEEN | typeof OFF): void {
  images.delete(key);
  images.set(key, image);
  while (images.size > MAX_IMAGES) images.delete(images.keys().next().value as string);
}

function restoring(key: string, image: Image, memory: WasmMemory): PreludeMemory {
  let restored = false;
  return {
    start(runtimePointer) {
      if (memory.buffer.byteLength !== image.byteLength || runtimePointer !== image.runtimePointer) {
        return undefined;
      }
      const heap = new Uint8Array(memory.buffer);
      for (const run of image.runs) heap.set(run.bytes, run.offset);
      restored = true;
      counts.restored++;
      return image.contextPointer;
    },
    restored: () => restored,
    afterPrelude: () => undefined,
    discard: () => remember(key, OFF),
  };
}

function capturing(key: string, memory: WasmMemory): PreludeMemory {
  let before: Uint8Array | undefined;
  let byteLength = -1;
  let runtimePointer = 0;
  return {
    start(runtime) {
      runtimePointer = runtime;
      byteLength = memory.buffer.byteLength;
      before = dirtyPages(new Uint8Array(memory.buffer));
      return undefined;
    },
    restored: () => false,
    afterPrelude(contextPointer) {
      // A memory that grew during the prelude is not captured: runs start at the initial size.
      if (!before || memory.buffer.byteLength !== byteLength) {
        remember(key, OFF);
        return;
      }
      const heap = new Uint8Array(memory.buffer);
      const after = dirtyPages(heap);
      const runs: { offset: number; bytes: Uint8Array }[] = [];
      let page = 0;
      while (page < after.length) {
        if (!after[page] && !before[page]) {
          page++;
          continue;
        }
        const first = page;
        while (page < after.length && (after[page] || before[page])) page++;
        runs.push({ offset: first * PAGE, bytes: heap.slice(first * PAGE, page * PAGE) });
      }
      remember(key, { byteLength, runtimePointer, contextPointer, runs });
      counts.captured++;
    },
    discard: () => undefined,
  };
}

/** One flag per 4 KiB page: does it hold a non-zero byte? */
function dirtyPages(heap: Uint8Array): Uint8Array {
  const bytes = Buffer.from(heap.buffer, heap.byteOffset, heap.byteLength);
  const pages = Math.ceil(bytes.length / PAGE);
  const dirty = new Uint8Array(pages);
  for (let p = 0; p < pages; p++) {
    const start = p * PAGE;
    const end = Math.min(start + PAGE, bytes.length);
    dirty[p] = bytes.compare(ZERO_PAGE, 0, end - start, start, end) === 0 ? 0 : 1;
  }
  return dirty;
}
