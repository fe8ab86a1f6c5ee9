// Loads one of our TypeScript modules at build time: bundled by esbuild, written to a
// temporary file (not a data: URL: a module may call createRequire(import.meta.url)), and
// imported from there.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

export const ROOT = resolve(import.meta.dirname, "..");

/** `entry` is relative to the repository root. */
export async function importTs(entry) {
  const out = await build({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    write: false,
    logLevel: "warning",
  });
  const dir = mkdtempSync(join(tmpdir(), "aegis-build-"));
  try {
    const file = join(dir, "module.mjs");
    writeFileSync(file, out.outputFiles[0].text);
    return await import(pathToFileURL(file).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
