/**
 * The built-in presets are parsed at build time and inlined into dist/ (scripts/preset-layers.mjs,
 * src/host/built-in-presets.ts). policies/presets/*.toml stay the source of truth: what the build
 * inlines must equal what parsing each file gives at run time, and the built CLI must resolve a
 * policy inheriting a preset exactly as the source (which reads the TOML) does.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { PRESET_DIR, presetLayersJson } from "../../scripts/preset-layers.mjs";
import { parseLayer } from "../../src/policy/parse.js";
import { REPO_ROOT, runCli, tempProject } from "../helpers/cli.js";

const DIST_CLI = join(REPO_ROOT, "dist", "aegis.js");

describe("built-in presets parsed at build time", () => {
  it("inline exactly the layer that parsing each preset file gives", async () => {
    const inlined = JSON.parse(await presetLayersJson()) as Record<string, unknown>;
    const files = readdirSync(PRESET_DIR).filter((f) => f.endsWith(".toml"));
    assert.deepEqual(Object.keys(inlined).sort(), files.map((f) => f.slice(0, -".toml".length)).sort());
    for (const file of files) {
      const name = file.slice(0, -".toml".length);
      const { layer, issues } = parseLayer(readFileSync(join(PRESET_DIR, file), "utf8"), name);
      assert.deepEqual(issues, []);
      assert.deepStrictEqual(inlined[name], layer, `preset ${name}`);
    }
  });

  it("resolve in the built CLI as in the source, which reads the TOML", async (t) => {
    assert.ok(existsSync(DIST_CLI), "dist/ is missing: run `npm run build` first");
    const p = tempProject(t, "aegis-presets-");
    const policy = join(p.root, "aegis.toml");
    writeFileSync(
      policy,
      'inherits = "secure-defaults"\nrequires_approval = ["!fs.delete"]\n[filesystem]\nread_allow = ["src/**"]\ndeny = ["!.env"]\n',
    );
    const args = ["policy", "show", policy, "--json"];
    const fromSource = await runCli(args, { cwd: p.root, home: p.home });
    const built = spawnSync(process.execPath, [DIST_CLI, ...args], {
      cwd: p.root,
      env: { ...process.env, HOME: p.home },
      encoding: "utf8",
    });
    assert.equal(fromSource.code, 0, fromSource.stderr);
    assert.equal(built.status, 0, built.stderr);
    assert.equal(built.stdout, fromSource.stdout);
    assert.match(built.stdout, /"~\/\.ssh\/\*\*"/);
  });
});
