/**
 * Loads one of the build's CommonJS bundles with V8's code cache. A bundle is written by the build
 * (scripts/cached-bundle.mjs) as one function expression, `(function (module, require, __filename,
 * __aegisImport) {…})`, next to its cache, which the build made after running the bundle's typical work once, so
 * it holds the functions that work compiles. Used for the processes and threads that start often
 * and live briefly: `aegis hook claude` and the sandbox worker.
 *
 * The cache changes only how fast the code starts, never what runs: V8 takes it only for the same
 * V8 version and flags and otherwise compiles the source, and the cache file starts with the
 * SHA-256 of the source it was made from, so one left over from another build (V8 itself checks
 * only the source length) is not used. No cache, an unreadable one, or a rejected one: the source
 * is compiled as usual. Nothing here writes a cache at run time.
 */
import { createRequire } from "node:module";

// Through require(), not `import`: an ES import of a builtin builds its ES facade, reading every
// export, and for node:crypto that loads WebCrypto, which neither bundle uses.
const requireBuiltin = createRequire(import.meta.url);
const { createHash } = requireBuiltin("node:crypto") as typeof import("node:crypto");
const { readFileSync } = requireBuiltin("node:fs") as typeof import("node:fs");
const { Script } = requireBuiltin("node:vm") as typeof import("node:vm");

const HASH_BYTES = 32;

export interface LoadedBundle<T> {
  exports: T;
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

/**
 * Evaluates the bundle at `file` with the cache when valid. `require` is what the bundle's own
 * require() calls reach (default: one resolving from the bundle's directory); the build passes
 * its own to run a worker bundle outside a worker. `importModule` is the bundle's `__aegisImport`:
 * `import()` does not work in code evaluated by vm.Script, so a bundle that imports a module
 * named at run time is given the caller's.
 */
export function loadCachedBundle<T>(
  file: string,
  cacheFile: string,
  require: NodeJS.Require = createRequire(file),
  importModule: (specifier: string) => Promise<unknown> = () =>
    Promise.reject(new Error(`${file} was loaded without a module loader`)),
): LoadedBundle<T> {
  const source = readFileSync(file, "utf8");
  const cachedData = cachedDataFor(cacheFile, source);
  const script = new Script(source, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  const module = { exports: {} as T };
  const run = script.runInThisContext() as (
    m: typeof module,
    req: NodeJS.Require,
    filename: string,
    importModule: (specifier: string) => Promise<unknown>,
  ) => void;
  run(module, require, file, importModule);
  return {
    exports: module.exports,
    script,
    cacheUsed: cachedData !== undefined && !script.cachedDataRejected,
  };
}
