/**
 * One edit to the QuickJS module's bytes before it is compiled: a smaller declared minimum
 * for its imported memory.
 *
 * The build declares 16 MiB, though its static data and 5 MiB C stack end near 5.1 MiB and
 * Emscripten grows the heap on demand. Each run's memory is a new `WebAssembly.Memory`, and
 * V8 counts its whole initial size as external memory: at 16 MiB a run, that alone forced a
 * garbage collection nearly every run. Nothing else changes: the maximum (the policy's
 * memory cap) is set by the host on the memory it passes in, as before.
 *
 * The parser reads only what it needs (section headers, the import, global and data
 * sections) and gives up, leaving the bytes as they are, on anything unexpected.
 */

const WASM_PAGE = 64 * 1024;
/** Room for the heap above the stack before the first grow: the prelude and a small script fit. */
const HEAP_HEADROOM_PAGES = 16;

export interface MemoryMinimum {
  bytes: Uint8Array;
  /** The module's (possibly lowered) minimum: what each run's memory starts at. */
  pages: number;
}

class Reader {
  offset: number;
  constructor(
    readonly bytes: Uint8Array,
    offset: number,
  ) {
    this.offset = offset;
  }

  byte(): number {
    const b = this.bytes[this.offset++];
    if (b === undefined) throw new RangeError("unexpected end of module");
    return b;
  }

  /** An unsigned LEB128 number (at most 32 bits). */
  u32(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    throw new RangeError("malformed LEB128 number");
  }

  /** A signed LEB128 number (i32.const). */
  s32(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.byte();
      result |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80 && shift < 35);
    if (shift < 32 && b & 0x40) result |= -1 << shift;
    return result;
  }

  skip(n: number): void {
    this.offset += n;
  }
}

function leb(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

/** An `i32.const N; end` initialiser's N, or undefined for anything else. */
function constInit(r: Reader): number | undefined {
  const op = r.byte();
  const value = op === 0x41 ? r.s32() : undefined;
  if (value === undefined) {
    while (r.byte() !== 0x0b);
    return undefined;
  }
  return r.byte() === 0x0b ? value : undefined;
}

interface MemoryImport {
  /** Where the limits' minimum starts and ends, in the module's bytes. */
  minStart: number;
  minEnd: number;
  minimum: number;
  /** The import section's size field and body. */
  sectionSizeStart: number;
  sectionStart: number;
  sectionEnd: number;
}

function skipImportDescription(r: Reader, kind: number): void {
  if (kind === 0) r.u32();
  else if (kind === 1) {
    r.byte();
    const flags = r.byte();
    r.u32();
    if (flags & 1) r.u32();
  } else if (kind === 3) r.skip(2);
  else throw new RangeError(`unknown import kind ${kind}`);
}

/** The memory import and the highest address the static data or the stack start at; undefined when unsure. */
function scan(bytes: Uint8Array): { memory: MemoryImport | undefined; highWater: number } | undefined {
  const r = new Reader(bytes, 8);
  let memory: MemoryImport | undefined;
  let highWater = 0;
  while (r.offset < bytes.length) {
    const id = r.byte();
    const sectionSizeStart = r.offset;
    const size = r.u32();
    const start = r.offset;
    const end = start + size;
    if (id === 2) {
      const count = r.u32();
      for (let i = 0; i < count; i++) {
        r.skip(r.u32());
        r.skip(r.u32());
        const kind = r.byte();
        if (kind !== 2) {
          skipImportDescription(r, kind);
          continue;
        }
        const flags = r.byte();
        // Shared or 64-bit memories are not what this build uses: leave the module alone.
        if (flags > 1) return undefined;
        const minStart = r.offset;
        const minimum = r.u32();
        memory = {
          minStart,
          minEnd: r.offset,
          minimum,
          sectionSizeStart,
          sectionStart: start,
          sectionEnd: end,
        };
        if (flags & 1) r.u32();
      }
    } else if (id === 6) {
      // Globals: the stack pointer's initial value is the top of the C stack.
      const count = r.u32();
      for (let i = 0; i < count; i++) {
        r.skip(2);
        const value = constInit(r);
        if (value !== undefined && value > highWater) highWater = value;
      }
    } else if (id === 11) {
      const count = r.u32();
      for (let i = 0; i < count; i++) {
        const flags = r.u32();
        let offset: number | undefined;
        if (flags === 0) offset = constInit(r);
        else if (flags === 2) {
          r.u32();
          offset = constInit(r);
        }
        const length = r.u32();
        if (flags !== 1 && offset === undefined) return undefined;
        if (offset !== undefined && offset + length > highWater) highWater = offset + length;
        r.skip(length);
      }
    }
    r.offset = end;
  }
  return { memory, highWater };
}

/**
 * `bytes` with the imported memory's minimum lowered to what the static data and stack
 * need plus some heap, when that is below the declared minimum; otherwise unchanged.
 */
export function lowerMemoryMinimum(bytes: Uint8Array): MemoryMinimum {
  let found: ReturnType<typeof scan>;
  try {
    found = scan(bytes);
  } catch {
    found = undefined;
  }
  const memory = found?.memory;
  if (!found || !memory) return { bytes, pages: DECLARED_MINIMUM_PAGES };
  const pages = Math.ceil(found.highWater / WASM_PAGE) + HEAP_HEADROOM_PAGES;
  if (found.highWater === 0 || pages >= memory.minimum) return { bytes, pages: memory.minimum };
  const minimum = leb(pages);
  const sectionSize =
    memory.sectionEnd - memory.sectionStart - (memory.minEnd - memory.minStart) + minimum.length;
  const size = leb(sectionSize);
  const out = Buffer.concat([
    bytes.subarray(0, memory.sectionSizeStart),
    Uint8Array.from(size),
    bytes.subarray(memory.sectionStart, memory.minStart),
    Uint8Array.from(minimum),
    bytes.subarray(memory.minEnd),
  ]);
  return { bytes: out, pages };
}

/** What this build declares; assumed only when the module cannot be read. */
const DECLARED_MINIMUM_PAGES = 256;
