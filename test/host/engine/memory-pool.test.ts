// A finished run's wasm memory is reused by a later run (wasm.ts): nothing of the first
// run may survive into the second, a memory that grew or faulted is never reused, and an
// ended run's instance can no longer touch a memory that has been handed on.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runScriptReport } from "../../../src/host/engine/run-script.js";
import { newGuestInstance, pooledMemories, quickjsWasmModule } from "../../../src/host/engine/wasm.js";
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

describe("wasm memory reuse", () => {
  test("a secret value and a marker a run held in memory are gone from the memory the next run gets", async () => {
    const marker = "MARKER-left-by-run-one-7f3a";
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
    assert.ok(first.disposedCleanly);
    const pooled = pooledMemories();
    assert.ok(pooled.length >= 1, "the clean run's memory is pooled");
    for (const buffer of pooled) {
      assert.ok(allZero(buffer), "a pooled memory is zeroed whole");
      assert.equal(contains(buffer, marker), false);
      assert.equal(contains(buffer, SECRET), false);
    }
    // The next run gets a pooled memory and starts exactly as on a new one.
    const second = await runScriptReport(
      { script: `export default [typeof globalThis.keep, Object.keys(globalThis).includes("keep")];` },
      testServices(),
    );
    assert.deepEqual(second.result.value, ["undefined", false]);
  });

  test("a run that grew its memory does not hand it on", async () => {
    // Start from a pooled memory so the run's own memory is the one that grows.
    await runScriptReport({ script: `export default 1;` }, testServices());
    const before = pooledMemories().length;
    assert.ok(before >= 1);
    const grew = await runScriptReport(
      { script: `const big = "y".repeat(24 * 1024 * 1024); export default big.length;` },
      testServices(),
    );
    assert.equal(grew.result.kind, "success", JSON.stringify(grew.result.error));
    const after = pooledMemories();
    assert.equal(after.length, before - 1, "the grown memory was not returned to the pool");
    const firstSize = quickjsWasmModule().initialPages * PAGE;
    for (const buffer of after) assert.equal(buffer.byteLength, firstSize);
  });

  test("a run stopped at its deadline (a possibly inconsistent heap) does not hand its memory on", async () => {
    await runScriptReport({ script: `export default 1;` }, testServices());
    const before = pooledMemories().length;
    const stopped = await runScriptReport(
      { script: `globalThis.s = "${SECRET}"; while (true) {}`, timeoutSeconds: 0.2 },
      testServices(),
    );
    assert.equal(stopped.result.kind, "runtime_limit");
    assert.equal(stopped.disposedCleanly, false);
    assert.equal(pooledMemories().length, before - 1);
    for (const buffer of pooledMemories()) assert.equal(contains(buffer, SECRET), false);
  });

  test("a retired instance's handles cannot write into the memory it handed on", async () => {
    // Empty the pool (both memories are taken, then dropped) so this one is pooled.
    for (const taken of [await newGuestInstance(64), await newGuestInstance(64)]) taken.retire(false);
    assert.equal(pooledMemories().length, 0);
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
    assert.equal(pooledMemories().length, pooled.length);
  });
});
