/**
 * Stands in for ./hook-entry.js in dist/aegis.js (scripts/build.mjs swaps it in): the hook comes
 * from its own bundle, loaded with the code cache. Never imported when running from source.
 */
import { fileURLToPath } from "node:url";
import { HOOK_BUNDLE, HOOK_CACHE, loadHookBundle } from "./hook-bundle-loader.js";

const dir = fileURLToPath(new URL(".", import.meta.url));
const { exports } = loadHookBundle(`${dir}${HOOK_BUNDLE}`, `${dir}${HOOK_CACHE}`);

export const { hookCommand, directIo } = exports;
