/**
 * The built hook (dist/aegis-hook.cjs) is loaded with a V8 code cache (dist/aegis-hook.cache) by
 * src/cli/hook-bundle-loader.ts. The cache may only change how fast the hook starts: the build's
 * cache must be taken by this Node, a cache made for other source must not be, a corrupt one must
 * be refused by V8, and in every case the hook decides as it should. A built CLI whose hook bundle
 * is missing must deny (exit 2), never exit with a code Claude Code would let through.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { HOOK_BUNDLE, HOOK_CACHE, loadHookBundle, sourceHash } from "../../src/cli/hook-bundle-loader.js";
import { REPO_ROOT, tempProject } from "../helpers/cli.js";

const DIST = join(REPO_ROOT, "dist");
const BUNDLE = join(DIST, HOOK_BUNDLE);
const CACHE = join(DIST, HOOK_CACHE);

function requireBuilt(): void {
  assert.ok(
    existsSync(BUNDLE) && existsSync(CACHE),
    "dist/ is missing the hook bundle: run `npm run build` first",
  );
}

/** A Read of an allowed file and one of a denied .env, decided by the loaded bundle in-process. */
async function decides(hook: ReturnType<typeof loadHookBundle>["exports"], root: string): Promise<void> {
  const out: string[] = [];
  const err: string[] = [];
  const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s) };
  const call = (file: string) =>
    hook.hookCommand(
      ["claude", "--policy", join(root, "aegis.toml")],
      io,
      JSON.stringify({
        session_id: "t",
        cwd: root,
        tool_name: "Read",
        tool_input: { file_path: join(root, file) },
      }),
    );
  assert.equal(await call("src/a.py"), 0, err.join(""));
  assert.match(out.join(""), /"permissionDecision":"allow"/);
  assert.equal(await call(".env"), 2);
  assert.match(err.join(""), /\.env/);
}

function project(t: Parameters<typeof tempProject>[0]): string {
  const p = tempProject(t, "aegis-hook-bundle-");
  mkdirSync(join(p.root, "src"));
  writeFileSync(join(p.root, "src", "a.py"), "x = 1\n");
  writeFileSync(join(p.root, ".env"), "KEY=secret\n");
  writeFileSync(
    join(p.root, "aegis.toml"),
    'inherits = "secure-defaults"\n[filesystem]\nread_allow = ["src/**"]\n',
  );
  return p.root;
}

describe("the built hook's code cache", () => {
  it("is taken by this Node, and the hook decides with it", async (t) => {
    requireBuilt();
    const loaded = loadHookBundle(BUNDLE, CACHE);
    assert.equal(loaded.cacheUsed, true, "the cache the build wrote was not used");
    await decides(loaded.exports, project(t));
  });

  it("is not used for other source (a cache left over from another build)", async (t) => {
    requireBuilt();
    const dir = join(project(t), "..", "dist-copy");
    mkdirSync(dir);
    const source = readFileSync(BUNDLE, "utf8");
    // Same length, different code: V8's own check (the source length) would take the cache.
    const edited = source.replace("Usage: aegis hook claude", "Usage: aegis hook CLAUDE");
    assert.notEqual(edited, source);
    writeFileSync(join(dir, HOOK_BUNDLE), edited);
    cpSync(CACHE, join(dir, HOOK_CACHE));
    const loaded = loadHookBundle(join(dir, HOOK_BUNDLE), join(dir, HOOK_CACHE));
    assert.equal(loaded.cacheUsed, false);
    await decides(loaded.exports, join(dir, "..", "project"));
  });

  it("that is corrupt is refused by V8, and the source is compiled instead", async (t) => {
    requireBuilt();
    const root = project(t);
    const bad = join(root, "..", HOOK_CACHE);
    const garbage = Buffer.alloc(4096, 0xa5);
    writeFileSync(bad, Buffer.concat([sourceHash(readFileSync(BUNDLE, "utf8")), garbage]));
    const loaded = loadHookBundle(BUNDLE, bad);
    assert.equal(loaded.script.cachedDataRejected, true);
    assert.equal(loaded.cacheUsed, false);
    await decides(loaded.exports, root);
  });
});

describe("the built CLI without its hook bundle", () => {
  it("denies (exit 2) with the reason, instead of failing open", (t) => {
    requireBuilt();
    const root = project(t);
    const dist = join(root, "..", "dist");
    cpSync(DIST, dist, { recursive: true });
    writeFileSync(join(root, "..", "package.json"), readFileSync(join(REPO_ROOT, "package.json")));
    rmSync(join(dist, HOOK_BUNDLE));
    const payload = JSON.stringify({
      session_id: "t",
      cwd: root,
      tool_name: "Read",
      tool_input: { file_path: join(root, "src", "a.py") },
    });
    const r = spawnSync(process.execPath, [join(dist, "aegis.js"), "hook", "claude"], {
      cwd: root,
      input: payload,
      encoding: "utf8",
    });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^aegis hook: denied because the hook could not run: .*aegis-hook\.cjs/);
  });
});
