// Bundles the two binaries and the sandbox worker into dist/.
// Our own code is bundled (fewer module loads at start); packages stay external
// so the QuickJS wasm file is found next to its package as usual.
import { chmod, rm } from "node:fs/promises";
import { build } from "esbuild";

await rm("dist", { recursive: true, force: true });
const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
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
  },
  banner: { js: "#!/usr/bin/env node" },
});
await chmod("dist/aegis.js", 0o755);
await chmod("dist/aegis-mcp.js", 0o755);
