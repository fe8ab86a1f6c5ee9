/**
 * What `aegis hook claude` needs, in one module: the build bundles it on its own
 * (dist/aegis-hook.cjs, loaded with a V8 code cache: see scripts/hook-bundle.mjs), so a hook
 * process loads nothing else of aegis.
 */
export { directIo } from "./direct-io.js";
export { hookCommand } from "./hook-command.js";
