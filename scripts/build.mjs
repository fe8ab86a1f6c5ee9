// Bundles the two binaries, the library and the sandbox worker into dist/.
// Our code and its packages are bundled into a few files, because resolving and loading
// hundreds of package modules dominated start-up time. The QuickJS variant stays external
// so its .wasm file is found next to its package as usual.
import { chmod, rm } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { build } from "esbuild";
import { buildHookBundle } from "./hook-bundle.mjs";
import { presetLayersJson } from "./preset-layers.mjs";
import { buildWorkerBundle } from "./worker-bundle.mjs";

await rm("dist", { recursive: true, force: true });
const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["@jitl/quickjs-wasmfile-release-sync"],
  outdir: "dist",
  sourcemap: "linked",
  logLevel: "warning",
  define: { __AEGIS_PRESET_LAYERS__: JSON.stringify(await presetLayersJson()) },
  // Bundled CommonJS packages call require() for Node builtins; give ESM output one.
  banner: {
    js: '#!/usr/bin/env node\nimport { createRequire as __aegisCreateRequire } from "node:module";\nconst require = __aegisCreateRequire(import.meta.url);',
  },
};

// `aegis hook claude` starts a process per tool call, so it gets its own bundle with a code cache
// (scripts/hook-bundle.mjs); dist/aegis.js loads it through src/cli/hook-from-bundle.ts.
const hookFromBundle = {
  name: "hook-from-bundle",
  setup(b) {
    b.onResolve({ filter: /\/hook-entry\.js$/ }, (args) =>
      args.importer.endsWith("src/cli/main.ts")
        ? { path: resolve(dirname(args.importer), "hook-from-bundle.ts") }
        : undefined,
    );
  },
};

await build({
  ...common,
  entryPoints: {
    aegis: "src/cli/main.ts",
    "aegis-mcp": "src/mcp/main.ts",
    index: "src/index.ts",
  },
  splitting: true,
  chunkNames: "chunk-[hash]",
  plugins: [hookFromBundle],
});
await buildHookBundle(common, resolve("dist"));
// The sandbox worker starts per `aegis run`: its own bundle with a code cache (scripts/worker-bundle.mjs).
await buildWorkerBundle(common, resolve("dist"));
await chmod("dist/aegis.js", 0o755);
await chmod("dist/aegis-mcp.js", 0o755);
