// Builds `aegis hook claude` as its own bundle, dist/aegis-hook.cjs, and its V8 code cache,
// dist/aegis-hook.cache (read by src/cli/hook-bundle-loader.ts). A hook is a process per tool
// call: most of its start-up went to parsing our code and compiling the functions one decision
// runs. The cache is made here by loading the bundle exactly as the CLI does and deciding a few
// typical tool calls in a temporary project, so it holds those functions compiled.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { importTs, ROOT } from "./import-ts.mjs";

/** Writes the bundle as one CommonJS function expression: `(function (module, require, __filename) {…})`. */
export async function buildHookBundle(common, outdir) {
  const out = await build({
    ...common,
    entryPoints: [join(ROOT, "src", "cli", "hook-entry.ts")],
    format: "cjs",
    splitting: false,
    banner: { js: 'const __aegisImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
    define: { ...common.define, "import.meta.url": "__aegisImportMetaUrl" },
    outdir: undefined,
    outfile: join(outdir, "aegis-hook.cjs"),
    sourcemap: "external",
    write: false,
  });
  const loader = await importTs("src/cli/hook-bundle-loader.ts");
  const file = join(outdir, loader.HOOK_BUNDLE);
  for (const f of out.outputFiles) {
    if (f.path.endsWith(".map")) {
      const map = JSON.parse(f.text);
      map.mappings = `;${map.mappings}`; // the wrapper's first line
      writeFileSync(`${file}.map`, JSON.stringify(map));
    } else {
      const code = `(function (module, require, __filename) {\n${f.text}\n})\n//# sourceMappingURL=${loader.HOOK_BUNDLE}.map\n`;
      writeFileSync(file, code);
    }
  }
  await writeCodeCache(loader, file, join(outdir, loader.HOOK_CACHE));
}

async function writeCodeCache(loader, file, cacheFile) {
  const { exports, script } = loader.loadHookBundle(file, join(tmpdir(), "aegis-no-such-cache"));
  const dir = mkdtempSync(join(tmpdir(), "aegis-hook-warmup-"));
  try {
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "src", "a.py"), "x = 1\n");
    writeFileSync(
      join(dir, "aegis.toml"),
      'inherits = "secure-defaults"\nrequires_approval = ["!subprocess.exec"]\n[filesystem]\nread_allow = ["src/**"]\nwrite_allow = ["src/**"]\n[subprocess]\nallow_commands = ["ls"]\n',
    );
    const quiet = { stdout: () => {}, stderr: () => {} };
    const calls = [
      ["Read", { file_path: join(dir, "src", "a.py") }],
      ["Read", { file_path: join(dir, ".env") }],
      ["Write", { file_path: join(dir, "src", "b.py"), content: "y\n" }],
      ["Grep", { pattern: "x", path: join(dir, "src") }],
      ["Bash", { command: "ls -la src" }],
    ];
    for (const [tool, input] of calls) {
      const payload = JSON.stringify({ session_id: "build", cwd: dir, tool_name: tool, tool_input: input });
      await exports.hookCommand(["claude", "--policy", join(dir, "aegis.toml")], quiet, payload);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const data = script.createCachedData();
  writeFileSync(cacheFile, Buffer.concat([loader.sourceHash(readFileSync(file, "utf8")), data]));
}
