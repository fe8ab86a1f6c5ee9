/**
 * The sandbox worker's entry in the build (dist/sandbox-worker-boot.cjs): evaluates the worker's
 * bundle with the V8 code cache the build made for it (src/cached-bundle.ts). A worker starts per
 * `aegis run` and after every terminated run, and compiling the worker's code was most of its
 * start-up. Never used when running from source.
 */
import { fileURLToPath } from "node:url";
import { loadCachedBundle } from "../cached-bundle.js";
import { WORKER_BUNDLE, WORKER_CACHE } from "./worker-files.js";

const dir = fileURLToPath(new URL(".", import.meta.url));
loadCachedBundle(
  `${dir}${WORKER_BUNDLE}`,
  `${dir}${WORKER_CACHE}`,
  undefined,
  (specifier) => import(specifier),
);
