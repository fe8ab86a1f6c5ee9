// A finished run's wasm memory is reused by a later run (wasm.ts), and the next run's
// instance is made ahead (run-script.ts): nothing of one run may survive into what a later
// run starts with, a memory that grew or whose run was stopped is never reused, and an
// ended run's instance can no longer touch a memory that has been handed on.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { engineSettled, runScriptReport } from "../../../src/host/engine/run-script.js";
import {
  newGuestInstance,
  pooledMemories,
  quickjsWasmModule,
  retirementCounts,
} from "../../../src/host/engine/wasm.js";
import { SECRET, testServices } from "./helpers.js";

const PAGE = 64 * 1024;

function allZero(buffer: ArrayBuffer): boolean {
  const words = new BigUint64Array(buffer);
  for (let i = 0; i < words.length; i++) if (words[i] !== 0n) return false;
  return true;
}

function contains(buffer: ArrayBuffer, text: string): boolean {
  return Buffer.from(buffer).includes(Buffer.from(text, "latin1"));
}

/** Every memory a later run could start with: the pool and the prepared spare's. */
async function laterMemories(): Promise<ArrayBuffer[]> {
  const spare = await engineSettled();
  return [...pooledMemories(), ...(spare ? [spare] : [])];
}

describe("wasm memory reuse", () => {
  test("a secret value and a marker a run held in memory are in no memory a later run starts with", async () => {
    const marker = "MARKER-left-by-run-one-7f3a";
    const pooledBefore = retirementCounts().pooled;
    const first = await runScriptReport(
      {
        script: `
          // A value the host handed in (fs.read echoes its path) and one made in the guest.
          const fromHost = await fs.read("${SECRET}");
          globalThis.keep = ["${marker}".repeat(50), fromHost, "x".repeat(100000)];
          export default fromHost.length;
        `,
      },
      testServices(),
    );
    assert.equal(first.result.kind, "success", JSON.stringify(first.result.error));
    const later = await laterMemories();
    assert.equal(retirementCounts().pooled, pooledBefore + 1, "the clean run's memory was reused");
    assert.ok(later.length >= 1);
    for (const buffer of later) {
      assert.equal(contains(buffer, marker), false);
      assert.equal(contains(buffer, SECRET), false);
    }
    for (const buffer of pooledMemories()) assert.ok(allZero(buffer), "a pooled memory is zeroed whole");
    // The next run starts exactly as on a new memory.
    const second = await runScriptReport(
      { script: `export default [typeof globalThis.keep, Object.keys(globalThis).includes("keep")];` },
      testServices(),
    );
    assert.deepEqual(second.result.value, ["undefined", false]);
  });

  test("back-to-back runs, each started before the last one's retirement ran, reuse memories and drop none", async () => {
    await engineSettled();
    const before = retirementCounts();
    // Each run is asked for as soon as the last one's result is out, before its housekeeping
    // (retire, make the next spare) had its turn: a new memory per such run would overfill the
    // pool, and each memory dropped is one more for a full GC.
    for (let i = 0; i < 12; i++) {
      const r = await runScriptReport({ script: `export default ${i};` }, testServices());
      assert.equal(r.result.value, i);
    }
    await engineSettled();
    const after = retirementCounts();
    assert.equal(after.dropped, before.dropped, "a clean run's memory was dropped");
    assert.equal(after.pooled, before.pooled + 12);
    for (const buffer of pooledMemories()) assert.ok(allZero(buffer), "a pooled memory is zeroed whole");
  });

  test("a run that grew its memory does not hand it on", async () => {
    await engineSettled();
    const before = retirementCounts();
    const grew = await runScriptReport(
      { script: `const big = "y".repeat(24 * 1024 * 1024); export default big.length;` },
      testServices(),
    );
    assert.equal(grew.result.kind, "success", JSON.stringify(grew.result.error));
    const later = await laterMemories();
    assert.deepEqual(retirementCounts(), { pooled: before.pooled, dropped: before.dropped + 1 });
    const firstSize = (await quickjsWasmModule()).initialPages * PAGE;
    for (const buffer of later) assert.equal(buffer.byteLength, firstSize);
  });

  test("a run stopped at its deadline (a possibly inconsistent heap) does not hand its memory on", async () => {
    await engineSettled();
    const before = retirementCounts();
    const stopped = await runScriptReport(
      { script: `globalThis.s = "${SECRET}".repeat(3); while (true) {}`, timeoutSeconds: 0.2 },
      testServices(),
    );
    assert.equal(stopped.result.kind, "runtime_limit");
    assert.equal(stopped.disposedCleanly, false);
    const later = await laterMemories();
    assert.deepEqual(retirementCounts(), { pooled: before.pooled, dropped: before.dropped + 1 });
    for (const buffer of later) assert.equal(contains(buffer, SECRET), false);
  });

  test("a retired instance's handles cannot write into the memory it handed on", async () => {
    await engineSettled();
    // Empty the pool (its memories are taken, then dropped) so this one is pooled.
    while (pooledMemories().length > 0) (await newGuestInstance(64)).retire(false);
    const instance = await newGuestInstance(64);
    const vm = instance.quickjs.newContext();
    const held = vm.newString("held-before-retire");
    instance.retire(true);
    const pooled = pooledMemories();
    assert.equal(pooled.length, 1);
    const mine = pooled.find((b) => b === instance.memory.buffer);
    assert.ok(mine, "this instance's memory is the one pooled");
    // Late use of every kind of handle: evaluation, new values, reads, frees.
    try {
      vm.evalCode(`globalThis.late = "written-after-retire".repeat(100)`);
    } catch {}
    try {
      vm.newString("written-after-retire").dispose();
    } catch {}
    try {
      vm.getString(held);
      held.dispose();
      vm.dispose();
    } catch {}
    assert.ok(allZero(mine), "nothing reached the pooled memory after retirement");
    assert.throws(() => instance.memory.grow(1), /ended/);
    // Retiring twice changes nothing.
    instance.retire(true);
    assert.equal(pooledMemories().length, 1);
    // The next instance takes that memory, and only the module's own data is in it.
    const next = await newGuestInstance(64);
    assert.equal(next.memory.buffer, mine);
    assert.equal(pooledMemories().length, 0);
    assert.equal(contains(mine, "written-after-retire"), false);
    assert.equal(contains(mine, "held-before-retire"), false);
    next.retire(false);
  });

  test("asking V8 for a full collection leaves its flags as they were (the code cache tag is unchanged)", () => {
    // A flag changed since start changes V8's cached-data tag, and Node's own modules' code cache
    // no longer matches: each later worker would start 30–70 ms slower. In a process of its own,
    // where no flag has been touched yet.
    const wasm = pathToFileURL(join(import.meta.dirname, "../../../src/host/engine/wasm.ts")).href;
    const code = `
      import { cachedDataVersionTag } from "node:v8";
      import { gcFunction } from ${JSON.stringify(wasm)};
      const before = cachedDataVersionTag();
      const gc = gcFunction();
      gc();
      console.log(JSON.stringify({ gc: typeof gc, sameTag: cachedDataVersionTag() === before }));`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { gc: "function", sameTag: true });
  });
});
