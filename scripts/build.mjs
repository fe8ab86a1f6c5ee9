// Bundles the two binaries and the sandbox worker into dist/.
// Our code and its packages are bundled into a few files, because resolving and loading
// hundreds of package modules dominated start-up time. The QuickJS variant stays external
// so its .wasm file is found next to its package as usual.
import { chmod, rm } from "node:fs/promises";
import { build } from "esbuild";
import { presetLayersJson } from "./preset-layers.mjs";

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

// `aegis hook claude` starts a process per tool call, so it gets one self-contained file: no
// chunk graph to resolve and link, and nothing the hook does not use (see docs/performance.md).
const HOOK_FILE = "aegis-hook.js";
const hookAsSeparateFile = {
  name: "hook-as-separate-file",
  setup(b) {
    b.onResolve({ filter: /\/hook-command\.js$/ }, (args) =>
      args.importer.endsWith("src/cli/main.ts") ? { path: `./${HOOK_FILE}`, external: true } : undefined,
    );
  },
};

await build({
  ...common,
  entryPoints: {
    aegis: "src/cli/main.ts",
    "aegis-mcp": "src/mcp/main.ts",
    "sandbox-worker": "src/host/sandbox-worker.ts",
    index: "src/index.ts",
  },
  splitting: true,
  chunkNames: "chunk-[hash]",
  plugins: [hookAsSeparateFile],
});
await build({
  ...common,
  entryPoints: { [HOOK_FILE.slice(0, -3)]: "src/cli/hook-command.ts" },
  splitting: false,
  metafile: true,
});
await chmod("dist/aegis.js", 0o755);
await chmod("dist/aegis-mcp.js", 0o755);
