// Builds `aegis hook claude` as its own bundle, dist/aegis-hook.cjs, and its V8 code cache,
// dist/aegis-hook.cache (read by src/cli/hook-bundle-loader.ts). A hook is a process per tool
// call: most of its start-up went to parsing our code and compiling the functions one decision
// runs. The cache is made here by loading the bundle exactly as the CLI does and deciding a few
// typical tool calls in a temporary project, so it holds those functions compiled.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeCodeCache, writeWrappedBundle } from "./cached-bundle.mjs";
import { importTs, ROOT } from "./import-ts.mjs";

/** Writes dist/aegis-hook.cjs and its cache. */
export async function buildHookBundle(common, outdir) {
  const loader = await importTs("src/cli/hook-bundle-loader.ts");
  const file = join(outdir, loader.HOOK_BUNDLE);
  await writeWrappedBundle(common, join(ROOT, "src", "cli", "hook-entry.ts"), file);
  await warmAndCache(loader, file, join(outdir, loader.HOOK_CACHE));
}

async function warmAndCache(loader, file, cacheFile) {
  const loaded = loader.loadHookBundle(file, join(tmpdir(), "aegis-no-such-cache"));
  const { exports } = loaded;
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
  writeCodeCache(loader, loaded, file, cacheFile);
}
