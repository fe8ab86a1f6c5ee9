// Parses the built-in presets (policies/presets/*.toml) at build time, so a cold start does
// not read and parse TOML it already knows. The TOML files stay the source of truth: the
// build runs the same parser the runtime uses (src/policy/parse.ts) and fails on any issue.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { importTs, ROOT } from "./import-ts.mjs";

export const PRESET_DIR = join(ROOT, "policies", "presets");

/** Preset name → parsed layer, as the JSON text esbuild's `define` inlines. */
export async function presetLayersJson() {
  const { parseLayer } = await importTs("src/policy/parse.ts");
  const layers = {};
  for (const file of readdirSync(PRESET_DIR).sort()) {
    if (!file.endsWith(".toml")) continue;
    const name = file.slice(0, -".toml".length);
    const { layer, issues } = parseLayer(readFileSync(join(PRESET_DIR, file), "utf8"), name);
    if (issues.length > 0) throw new Error(`preset ${file}: ${issues.map((i) => i.message).join("; ")}`);
    layers[name] = layer;
  }
  const json = JSON.stringify(layers);
  // A value JSON cannot carry (undefined, a BigInt, a Date) would change on the way through.
  if (!isDeepStrictEqual(JSON.parse(json), layers)) throw new Error("a preset layer does not survive JSON");
  return json;
}
