// Prepared prelude images (engine/prelude-image.ts): runs restored from an image behave
// like runs that evaluated the prelude, and nothing of one run reaches another.
import assert from "node:assert/strict";
import { beforeEach, describe, test } from "node:test";
import {
  forgetPreludeImages,
  NO_IMAGE,
  preludeImageCounts,
  preludeMemory,
} from "../../../src/host/engine/prelude-image.js";
import { runScriptReport } from "../../../src/host/engine/run-script.js";
import type { WasmMemory } from "../../../src/host/engine/wasm.js";
import { testServices } from "./helpers.js";

const run = async (script: string, services = testServices()) => {
  const report = await runScriptReport({ script }, services);
  assert.ok(report.disposedCleanly, `not disposed cleanly: ${script}`);
  return report.result;
};

/** First run evaluates the prelude, the second captures the image, the rest restore it. */
async function warmImage(): Promise<void> {
  for (let i = 0; i < 2; i++) assert.equal((await run("export default 1")).value, 1);
  assert.equal(preludeImageCounts().captured, 1);
}

describe("prelude images", () => {
  beforeEach(() => forgetPreludeImages());

  test("a restored run has the same globals, builtins and results as a fresh one", async () => {
    const script = `
      const names = Object.getOwnPropertyNames(globalThis).sort();
      const read = await fs.read("a.txt");
      let typeError = "";
      try { await fs.read(() => 1); } catch (e) { typeError = e.name; }
      let aegis = "";
      try { await subprocess.exec(["rm"]); } catch (e) { aegis = e.kind; }
      export default { names, read, typeError, aegis, json: (await net.httpGet("https://x.test/")).json() };`;
    const fresh = await run(script);
    assert.equal(fresh.ok, true, JSON.stringify(fresh.error));
    assert.equal((await run("export default 1")).value, 1);
    assert.deepEqual(preludeImageCounts(), { captured: 1, restored: 0 });
    const restored = await run(script);
    assert.deepEqual(preludeImageCounts(), { captured: 1, restored: 1 });
    assert.deepEqual(restored.value, fresh.value);
    assert.equal((restored.value as { typeError: string }).typeError, "TypeError");
    assert.equal((restored.value as { aegis: string }).aegis, "policy_violation");
  });

  test("pollution in the capturing run does not reach later runs (the image is taken before any script)", async () => {
    assert.equal((await run("export default 1")).value, 1);
    // This run captures the image: its script runs only after the capture.
    const polluter = await run(`
      globalThis.leftover = "from the capturing run";
      Object.prototype.polluted = true;
      Array.prototype.includes = () => true;
      JSON.stringify = () => "hijacked";
      Math.random = () => 4;
      export default "polluted";`);
    assert.equal(polluter.value, "polluted");
    assert.deepEqual(preludeImageCounts(), { captured: 1, restored: 0 });
    const after = await run(`export default {
      leftover: typeof globalThis.leftover,
      polluted: ({}).polluted === undefined,
      includes: [1].includes(2),
      json: JSON.stringify({ a: 1 }),
      random: Math.random() < 1,
    };`);
    assert.equal(preludeImageCounts().restored, 1);
    assert.deepEqual(after.value, {
      leftover: "undefined",
      polluted: true,
      includes: false,
      json: '{"a":1}',
      random: true,
    });
  });

  test("Math.random is seeded per run, not replayed from the image", async () => {
    await warmImage();
    const draws = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const r = await run("export default [Math.random(), Math.random(), Math.random()].join(',')");
      draws.add(r.value as string);
    }
    assert.equal(draws.size, 4, "every run draws its own sequence");
    assert.equal(preludeImageCounts().restored, 4);
    const r = await run(`
      const xs = Array.from({ length: 2000 }, () => Math.random());
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      export default { inRange: xs.every((x) => x >= 0 && x < 1), mean, native: typeof Math.random.prototype };`);
    const v = r.value as { inRange: boolean; mean: number; native: string };
    assert.ok(v.inRange);
    assert.ok(Math.abs(v.mean - 0.5) < 0.05, `mean ${v.mean}`);
    assert.equal(v.native, "undefined");
  });

  test("the host's claim on the prelude is gone before the script runs", async () => {
    for (let i = 0; i < 3; i++) {
      const r = await run(`export default {
        keys: Object.getOwnPropertyNames(globalThis).filter((k) => k.includes("aegis")),
        value: globalThis["aegis:claim"],
      };`);
      assert.deepEqual(r.value, { keys: [] });
    }
  });

  test("a restored run still gets its own capped memory", async () => {
    const services = () => testServices({ runtime: { maxMemoryMb: 32 } });
    for (let i = 0; i < 3; i++) {
      const r = await runScriptReport(
        { script: "const a = []; for (;;) a.push('x'.repeat(1 << 20) + a.length);" },
        services(),
      );
      assert.equal(r.result.kind, "runtime_limit");
      assert.match(r.result.error?.message ?? "", /out of memory.*max_memory_mb = 32/);
    }
    assert.equal(preludeImageCounts().restored, 1);
    assert.equal((await run("export default 'after'", services())).value, "after");
  });

  test("a script that grows memory after an await is disposed cleanly", async () => {
    await warmImage();
    const r = await run(`
      await fs.read("a.txt");
      const parts = [];
      for (let i = 0; i < 128; i++) parts.push("x".repeat(65536) + i);
      await fs.read("b.txt");
      export default parts.length;`);
    assert.equal(r.value, 128);
  });
});

describe("prelude image plan", () => {
  beforeEach(() => forgetPreludeImages());

  // The project's lib settings do not declare the WebAssembly API (see engine/wasm.ts).
  const Memory = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => WasmMemory } })
    .WebAssembly.Memory;
  const memory = () => new Memory({ initial: 2, maximum: 4 });
  const fill = (m: WasmMemory, offset: number, byte: number) => {
    new Uint8Array(m.buffer).fill(byte, offset, offset + 100);
  };

  test("first sighting runs the prelude, the second captures, later ones restore", () => {
    assert.equal(preludeMemory("k", memory()), NO_IMAGE);
    const a = memory();
    fill(a, 0, 1);
    const capture = preludeMemory("k", a);
    assert.equal(capture.start(1000), undefined, "capturing, the run makes its own context");
    fill(a, 70_000, 2);
    fill(a, 0, 0);
    capture.afterPrelude(2000);

    const b = memory();
    fill(b, 0, 9);
    const restore = preludeMemory("k", b);
    assert.equal(restore.start(1000), 2000, "the captured context's pointer");
    assert.equal(restore.restored(), true);
    const bytes = new Uint8Array(b.buffer);
    assert.equal(bytes[0], 0, "a page dirty before the prelude but clean after it is cleared");
    assert.equal(bytes[70_000], 2);
  });

  test("an instance whose allocation history differs is not restored", () => {
    preludeMemory("k", memory());
    const a = memory();
    const capture = preludeMemory("k", a);
    capture.start(1000);
    fill(a, 0, 1);
    capture.afterPrelude(2000);
    const b = memory();
    const other = preludeMemory("k", b);
    assert.equal(other.start(1016), undefined, "a runtime at another address");
    assert.equal(other.restored(), false);
    assert.equal(new Uint8Array(b.buffer)[0], 0, "memory untouched");
    assert.equal(preludeMemory("other key", memory()), NO_IMAGE);
  });

  test("a discarded image is never used again", () => {
    preludeMemory("k", memory());
    const capture = preludeMemory("k", memory());
    capture.start(1);
    capture.afterPrelude(2);
    preludeMemory("k", memory()).discard();
    assert.equal(preludeMemory("k", memory()), NO_IMAGE);
    assert.equal(preludeMemory("k", memory()), NO_IMAGE);
  });

  test("a memory that grew during the prelude is not captured", () => {
    preludeMemory("k", memory());
    const a = memory();
    const capture = preludeMemory("k", a);
    capture.start(1);
    a.grow(1);
    capture.afterPrelude(2);
    assert.equal(preludeMemory("k", memory()), NO_IMAGE);
  });
});
