/**
 * Loads the hook's own bundle (dist/aegis-hook.cjs) with V8's code cache (dist/aegis-hook.cache),
 * both written by the build (scripts/hook-bundle.mjs). A cold `aegis hook claude` otherwise spends
 * much of its time parsing the bundle and compiling, function by function, the code one decision
 * runs; the cache holds that code already compiled, as it was after a decision at build time.
 *
 * The cache changes only how fast the code starts, never what runs: V8 takes it only for the same
 * V8 version and flags and otherwise compiles the source, and the cache file starts with the
 * SHA-256 of the source it was made from, so one left over from another build (V8 itself checks
 * only the source length) is not used. No cache, an unreadable one, or a rejected one: the source
 * is compiled as usual. Nothing here writes a cache at run time.
 */
import { createRequire } from "node:module";
import type { CliIo } from "./io.js";

// Through require(), not `import`: an ES import of a builtin builds its ES facade, reading every
// export, and for node:crypto that loads WebCrypto, which the hook never uses.
const requireBuiltin = createRequire(import.meta.url);
const { createHash } = requireBuiltin("node:crypto") as typeof import("node:crypto");
const { readFileSync } = requireBuiltin("node:fs") as typeof import("node:fs");
const { Script } = requireBuiltin("node:vm") as typeof import("node:vm");

export const HOOK_BUNDLE = "aegis-hook.cjs";
export const HOOK_CACHE = "aegis-hook.cache";
const HASH_BYTES = 32;

export interface HookExports {
  hookCommand: (args: string[], io: CliIo, stdinText?: string) => Promise<number>;
  directIo: CliIo;
}

export interface LoadedHookBundle {
  exports: HookExports;
  script: import("node:vm").Script;
  /** True when a cache was offered and used. */
  cacheUsed: boolean;
}

export function sourceHash(source: string): Buffer {
  return createHash("sha256").update(source).digest();
}

function cachedDataFor(cacheFile: string, source: string): Buffer | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  if (bytes.length <= HASH_BYTES || !bytes.subarray(0, HASH_BYTES).equals(sourceHash(source)))
    return undefined;
  return bytes.subarray(HASH_BYTES);
}

/** Evaluates the bundle at `file` (a CommonJS function expression), with the cache when valid. */
export function loadHookBundle(file: string, cacheFile: string): LoadedHookBundle {
  const source = readFileSync(file, "utf8");
  const cachedData = cachedDataFor(cacheFile, source);
  const script = new Script(source, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const module = { exports: {} as HookExports };
  const run = script.runInThisContext() as (m: typeof module, req: NodeJS.Require, filename: string) => void;
  run(module, createRequire(file), file);
  return {
    exports: module.exports,
    script,
    cacheUsed: cachedData !== undefined && !script.cachedDataRejected,
  };
}
