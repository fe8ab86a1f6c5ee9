// Class 2 (security.md): resource exhaustion, run through the real Sandbox (worker thread,
// large native stack, host-side termination). Each test asserts the kind and that a
// normal run afterwards succeeds in the same Sandbox.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunResult } from "../../src/host/builtin-types.js";
import { type FixtureSandbox, fixtureSandbox } from "./engine/sandbox-fixture.js";

let fx: FixtureSandbox;

before(async () => {
  fx = await fixtureSandbox();
});
after(async () => {
  await fx.dispose();
});

// Limits other than the clock get a roomy deadline, so a loaded machine still hits the
// limit under test first.
async function run(script: string, timeoutSeconds = 5): Promise<RunResult> {
  return fx.sandbox.run(script, { timeoutSeconds });
}

async function assertNormalRunWorks(): Promise<void> {
  const r = await run(`export default { ok: await test.echo("still fine") };`);
  assert.equal(r.kind, "success", JSON.stringify(r.error));
  assert.deepEqual(r.value, { ok: "still fine" });
}

async function assertLimited(script: string, pattern: RegExp, timeoutSeconds = 15): Promise<RunResult> {
  const started = performance.now();
  const r = await run(script, timeoutSeconds);
  assert.equal(r.ok, false);
  assert.equal(r.kind, "runtime_limit", JSON.stringify(r.error));
  assert.match(r.error?.message ?? "", pattern);
  // Stopped by the deadline at the latest, never left to hang.
  assert.ok(performance.now() - started < timeoutSeconds * 1000 + 3000);
  await assertNormalRunWorks();
  return r;
}

describe("class 2: resource exhaustion", () => {
  test("while(1){} stops at the deadline", async () => {
    await assertLimited(`while (1) {}`, /time limit of 1 s/, 1);
  });

  test("a catastrophic regex stops at the deadline", async () => {
    await assertLimited(`/(a+)+$/.test("a".repeat(40) + "b");`, /time limit/, 1);
  });

  test("'x'.repeat(2**28) hits the memory cap", async () => {
    await assertLimited(`const s = "x".repeat(2 ** 28); export default s.length;`, /out of memory/);
  });

  test("an ArrayBuffer flood hits the memory cap even when the script catches it", async () => {
    await assertLimited(
      `const keep = []; for (;;) { try { keep.push(new ArrayBuffer(1 << 20)); } catch (e) { keep.length = 0; } }`,
      /out of memory: the script exceeded runtime.max_memory_mb = 64/,
    );
  });

  test("deep recursion is a stack overflow, not a host crash", async () => {
    await assertLimited(`function f(n) { return f(n + 1) + 1; } f(0);`, /stack overflow/);
  });

  test("deep JSON.parse nesting is stopped by QuickJS's stack limit in the worker", async () => {
    await assertLimited(`JSON.parse("[".repeat(1e6));`, /stack overflow/);
  });

  test("JSON.stringify of a deeply nested value is stopped by the stack limit", async () => {
    await assertLimited(
      `let o = []; for (let i = 0; i < 2e4; i++) o = [o]; JSON.stringify(o);`,
      /stack overflow/,
    );
  });

  test("a promise-job flood stops at the deadline", async () => {
    await assertLimited(
      `function f() { Promise.resolve().then(f); } f(); await new Promise(() => {});`,
      /time limit/,
      1,
    );
  });

  test("10 000 concurrent builtin calls complete without crashing or hanging", async () => {
    const r = await run(
      `const calls = []; for (let i = 0; i < 10000; i++) calls.push(test.echo(i));
       const out = await Promise.all(calls);
       export default { n: out.length, sum: out.reduce((a, b) => a + b, 0) };`,
      20,
    );
    assert.equal(r.kind, "success", JSON.stringify(r.error));
    assert.deepEqual(r.value, { n: 10000, sum: (9999 * 10000) / 2 });
    // Past the queue (16 in flight + 10 000 waiting) a call is refused, catchably.
    const refused = await run(
      `const calls = []; for (let i = 0; i < 10100; i++) calls.push(test.noop().then(() => "ok", (e) => e.kind));
       const out = await Promise.all(calls);
       export default out.filter((x) => x === "runtime_limit").length;`,
      20,
    );
    assert.equal(refused.kind, "success", JSON.stringify(refused.error));
    assert.equal(refused.value, 100);
    await assertNormalRunWorks();
  });

  test("an output flood is truncated with a marker and ends the run", async () => {
    const r = await assertLimited(
      `for (;;) console.log("flood flood flood");`,
      /output exceeded runtime.max_output_bytes = 65536/,
    );
    assert.ok(Buffer.byteLength(r.output) <= 65536 + 200, `output is ${Buffer.byteLength(r.output)} bytes`);
    assert.match(r.output, /\[aegis: output truncated at runtime.max_output_bytes = 65536\]\n$/);
    assert.match(r.output, /^flood flood flood\n/);
  });

  test("fire-and-forget builtin calls after the script returns never start their effect", async () => {
    await run(`await test.reset();`);
    const r = await run(
      `fs.write("out/late.txt", "x"); fs.write("out/late2.txt", "y"); export default "returned";`,
    );
    assert.equal(r.kind, "success", JSON.stringify(r.error));
    const later = await run(`await fs.write("out/awaited.txt", "z"); export default await test.started();`);
    assert.equal(later.kind, "success", JSON.stringify(later.error));
    assert.deepEqual(later.value, ["fs.write out/awaited.txt"]);
    await assertNormalRunWorks();
  });
});
