// Bundles the two binaries and the sandbox worker into dist/.
// Our code and its packages are bundled into a few files, because resolving and loading
// hundreds of package modules dominated start-up time. The QuickJS variant stays external
// so its .wasm file is found next to its package as usual.
import { chmod, rm } from "node:fs/promises";
import { build } from "esbuild";

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
  splitting: true,
  chunkNames: "chunk-[hash]",
};
await build({
  ...common,
  entryPoints: {
    aegis: "src/cli/main.ts",
    "aegis-mcp": "src/mcp/main.ts",
    "sandbox-worker": "src/host/sandbox-worker.ts",
    index: "src/index.ts",
  },
  // Bundled CommonJS packages call require() for Node builtins; give ESM output one.
  banner: {
    js: '#!/usr/bin/env node\nimport { createRequire as __aegisCreateRequire } from "node:module";\nconst require = __aegisCreateRequire(import.meta.url);',
  },
});
await chmod("dist/aegis.js", 0o755);
await chmod("dist/aegis-mcp.js", 0o755);
