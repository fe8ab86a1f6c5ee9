/**
 * Loads the hook's own bundle (dist/aegis-hook.cjs) with its V8 code cache (dist/aegis-hook.cache),
 * both written by the build (scripts/hook-bundle.mjs; the loading is src/cached-bundle.ts). A cold
 * `aegis hook claude` otherwise spends much of its time parsing the bundle and compiling, function
 * by function, the code one decision runs.
 */
import { type LoadedBundle, loadCachedBundle } from "../cached-bundle.js";
import type { CliIo } from "./io.js";

export { sourceHash } from "../cached-bundle.js";

export const HOOK_BUNDLE = "aegis-hook.cjs";
export const HOOK_CACHE = "aegis-hook.cache";

export interface HookExports {
  hookCommand: (args: string[], io: CliIo, stdinText?: string) => Promise<number>;
  directIo: CliIo;
}

export function loadHookBundle(file: string, cacheFile: string): LoadedBundle<HookExports> {
  return loadCachedBundle<HookExports>(file, cacheFile);
}
