/** The sandbox worker's files in dist/, written by scripts/worker-bundle.mjs. */
/** The worker's entry: loads the bundle with its code cache. */
export const WORKER_BOOT = "sandbox-worker-boot.cjs";
export const WORKER_BUNDLE = "sandbox-worker.cjs";
export const WORKER_CACHE = "sandbox-worker.cache";
/** undici, required by the worker on its first HTTP request. */
export const WORKER_UNDICI = "sandbox-worker-undici.cjs";
