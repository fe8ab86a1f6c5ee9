/**
 * src/cached-bundle.ts: a bundle's code cache may change only how fast it starts. A cache made
 * for other source of the same length (which V8's own check, the length, would take) must not be
 * used, so the code that runs is always the code on disk.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadCachedBundle, sourceHash } from "../src/cached-bundle.js";

type Answer = { answer: () => string };
const bundle = (word: string) => `(function (module) {\nmodule.exports.answer = () => "${word}";\n})\n`;

describe("a cached bundle", () => {
  it("a cache left over from other source of the same length is not used: the code on disk runs", (t) => {
    const dir = mkdtempSync(join(tmpdir(), "aegis-cached-bundle-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "b.cjs");
    const cache = join(dir, "b.cache");
    writeFileSync(file, bundle("AAAA"));
    const first = loadCachedBundle<Answer>(file, join(dir, "none"));
    assert.equal(first.exports.answer(), "AAAA");
    // The first source's cache, as its build wrote it; then the source changes, length kept.
    // (V8 alone takes such a cache and runs the old code: without the hash this returns "AAAA".)
    writeFileSync(cache, Buffer.concat([sourceHash(bundle("AAAA")), first.script.createCachedData()]));
    writeFileSync(file, bundle("BBBB"));
    const second = loadCachedBundle<Answer>(file, cache);
    assert.equal(second.cacheUsed, false);
    assert.equal(second.exports.answer(), "BBBB");
    // A cache filed under the right hash is used.
    writeFileSync(cache, Buffer.concat([sourceHash(bundle("BBBB")), second.script.createCachedData()]));
    const third = loadCachedBundle<Answer>(file, cache);
    assert.equal(third.cacheUsed, true);
    assert.equal(third.exports.answer(), "BBBB");
  });

  it("a bundle that imports a module named at run time gets the caller's import, or a clear refusal", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "aegis-cached-bundle-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "b.cjs");
    writeFileSync(
      file,
      "(function (module, require, __filename, __aegisImport) {\nmodule.exports.load = (s) => __aegisImport(s);\n})\n",
    );
    type Loader = { load: (s: string) => Promise<{ platform: () => string }> };
    const withImport = loadCachedBundle<Loader>(file, join(dir, "none"), undefined, (s) => import(s));
    assert.equal(typeof (await withImport.exports.load("node:os")).platform(), "string");
    const without = loadCachedBundle<Loader>(file, join(dir, "none"));
    await assert.rejects(without.exports.load("node:os"), /loaded without a module loader/);
  });
});
