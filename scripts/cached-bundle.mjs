// Writes one of our CommonJS bundles in the shape src/cached-bundle.ts loads, and its V8 code
// cache. The bundle is one function expression, `(function (module, require, __filename, __aegisImport) {…})`;
// the cache file is the SHA-256 of that source followed by V8's cached data.
import { readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { build } from "esbuild";

/**
 * esbuild options for one CommonJS file from `entry`, no splitting, with `import.meta.url`
 * standing for the file's own URL (our ES modules use it to find files next to them).
 */
export function cjsBuild(common, entry, outfile) {
  return {
    ...common,
    entryPoints: [entry],
    format: "cjs",
    splitting: false,
    banner: { js: 'const __aegisImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
    define: { ...common.define, "import.meta.url": "__aegisImportMetaUrl" },
    outdir: undefined,
    outfile,
  };
}

/** Bundles `entry` to `file` (cjsBuild), wrapped, with an external source map. */
export async function writeWrappedBundle(common, entry, file) {
  const out = await build({ ...cjsBuild(common, entry, file), sourcemap: "external", write: false });
  for (const f of out.outputFiles) {
    if (f.path.endsWith(".map")) {
      const map = JSON.parse(f.text);
      map.mappings = `;${map.mappings}`; // the wrapper's first line
      writeFileSync(`${file}.map`, JSON.stringify(map));
    } else {
      const code = `(function (module, require, __filename, __aegisImport) {\n${f.text}\n})\n//# sourceMappingURL=${basename(file)}.map\n`;
      writeFileSync(file, code);
    }
  }
}

/** Writes the cache of a bundle loaded (and exercised) through `loaded` = loadCachedBundle's result. */
export function writeCodeCache(loader, loaded, file, cacheFile) {
  const data = loaded.script.createCachedData();
  writeFileSync(cacheFile, Buffer.concat([loader.sourceHash(readFileSync(file, "utf8")), data]));
}
