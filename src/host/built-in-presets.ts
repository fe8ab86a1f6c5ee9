/**
 * The built-in presets as parsed at build time (scripts/preset-layers.mjs inlines them into
 * the bundle), so a cold start neither reads nor parses their TOML. policies/presets/*.toml stay
 * the source of truth; running from source (tsx), nothing is inlined and they are read as before.
 */
import type { PolicyLayer } from "../policy/parse.js";

/** JSON text: preset name → layer. Replaced by esbuild's `define`; absent when running from source. */
declare const __AEGIS_PRESET_LAYERS__: string | undefined;

/** The layer of preset `name` parsed at build time; undefined when none is inlined. */
export function builtInPresetLayer(name: string): PolicyLayer | undefined {
  if (typeof __AEGIS_PRESET_LAYERS__ !== "string") return undefined;
  // Parsed afresh on every call, so a caller that mutates what it resolved cannot change the
  // next load (and JSON.parse of a few KB is cheaper than a structured clone).
  const layers = JSON.parse(__AEGIS_PRESET_LAYERS__) as Record<string, PolicyLayer>;
  return Object.hasOwn(layers, name) ? layers[name] : undefined;
}
