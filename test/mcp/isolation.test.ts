// One server, many runs (mcp.md): a hostile script ends with its own error kind and leaves
// nothing behind. After each attack the same server process answers the next call normally.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  type AegisClient,
  isAlive,
  type McpProject,
  mcpProject,
  runOf,
  startAegis,
  textOf,
} from "../helpers/mcp.js";

const MAX_OUTPUT = 65_536;

const POLICY = `
inherits = "secure-defaults"
[filesystem]
read_allow = ["src/**"]
[runtime]
max_seconds = 10
max_output_bytes = ${MAX_OUTPUT}
`;

describe("isolation between runs", () => {
  let project: McpProject;
  let aegis: AegisClient;
  before(async () => {
    project = mcpProject(POLICY, { "src/a.txt": "real content" });
    aegis = await startAegis(project);
  });
  after(async () => {
    await aegis.close();
    project.remove();
  });

  /** The same server process still answers, with a fresh, working sandbox. */
  async function assertServerHealthy(): Promise<void> {
    assert.ok(isAlive(aegis.pid), "the server process died");
    const r = await aegis.call("aegis_run", {
      script: 'const t = await fs.read("src/a.txt"); export default { n: 40 + 2, t };',
    });
    assert.equal(runOf(r).kind, "success", textOf(r));
    assert.deepEqual(runOf(r).value, { n: 42, t: "real content" });
  }

  test("an infinite loop is stopped at its timeout and the next call works", async () => {
    const r = await aegis.call("aegis_run", { script: "while (1) {}", timeout_seconds: 1 });
    assert.equal(runOf(r).kind, "runtime_limit");
    await assertServerHealthy();
  });

  test("a loop inside one long native call is cut off too", async () => {
    const started = Date.now();
    const r = await aegis.call("aegis_run", {
      script: "export default 'ab'.repeat(1e8).indexOf('c');",
      timeout_seconds: 1,
    });
    assert.equal(runOf(r).kind, "runtime_limit");
    assert.ok(Date.now() - started < 8000);
    await assertServerHealthy();
  });

  test("OOM by one huge string ends runtime_limit and the host is unaffected", async () => {
    const r = await aegis.call("aegis_run", {
      script: "const s = 'x'.repeat(2 ** 28); export default s.length;",
    });
    assert.equal(runOf(r).kind, "runtime_limit");
    assert.match(textOf(r), /memory/);
    await assertServerHealthy();
  });

  test("OOM by an array flood ends runtime_limit and the host is unaffected", async () => {
    const r = await aegis.call("aegis_run", {
      script: "const a = []; for (;;) a.push({ x: [1, 2, 3], y: 'yyyyyyyy' + a.length });",
    });
    assert.equal(runOf(r).kind, "runtime_limit");
    await assertServerHealthy();
  });

  test("OOM by doubling strings and ArrayBuffers ends runtime_limit", async () => {
    const r = await aegis.call("aegis_run", {
      script: "let s = 'x'; const keep = []; for (;;) { s = s + s; keep.push(new ArrayBuffer(1 << 24)); }",
    });
    assert.equal(runOf(r).kind, "runtime_limit");
    await assertServerHealthy();
  });

  test("a stack overflow by recursion ends runtime_limit", async () => {
    const r = await aegis.call("aegis_run", { script: "function f(n) { return f(n + 1) + 1; }\nf(0);" });
    assert.equal(runOf(r).kind, "runtime_limit");
    assert.match(textOf(r), /stack/);
    await assertServerHealthy();
  });

  test("a stack overflow in native recursion (deeply nested JSON.parse) ends runtime_limit", async () => {
    const r = await aegis.call("aegis_run", { script: "JSON.parse('['.repeat(1e6));" });
    assert.equal(runOf(r).kind, "runtime_limit");
    await assertServerHealthy();
  });

  test("an output flood is truncated with a marker at max_output_bytes and ends runtime_limit", async () => {
    const r = await aegis.call("aegis_run", { script: "for (;;) console.log('y'.repeat(1000));" });
    const run = runOf(r);
    assert.equal(run.kind, "runtime_limit");
    assert.match(textOf(r), /max_output_bytes/);
    assert.ok(run.output.length <= MAX_OUTPUT + 200, `output of ${run.output.length} chars`);
    assert.ok(textOf(r).length <= MAX_OUTPUT + 1000, `text of ${textOf(r).length} chars`);
    await assertServerHealthy();
  });

  test("a huge result value is bounded too", async () => {
    const r = await aegis.call("aegis_run", { script: "export default 'z'.repeat(5_000_000);" });
    assert.notEqual(runOf(r).kind, "success");
    assert.ok(textOf(r).length <= MAX_OUTPUT + 1000, `text of ${textOf(r).length} chars`);
    await assertServerHealthy();
  });

  test("10 000 concurrent builtin calls complete without harming the host", async () => {
    const r = await aegis.call("aegis_run", {
      script:
        'const r = await Promise.all(Array.from({ length: 10000 }, () => fs.exists("src/a.txt")));\nexport default r.filter(Boolean).length;',
    });
    const run = runOf(r);
    assert.equal(run.kind, "success", textOf(r));
    assert.equal(run.value, 10000);
    await assertServerHealthy();
  });

  test("globalThis and prototype pollution in one run is not visible in the next", async () => {
    const first = await aegis.call("aegis_run", {
      script: `globalThis.leftover = "from run 1";
Object.prototype.polluted = "yes";
Array.prototype.includes = () => true;
String.prototype.trim = function () { return "hijacked"; };
JSON.stringify = () => "hijacked";
Math.random = () => 4;
try { fs.read = async () => "fake content"; } catch {}
try { globalThis.fs = { read: async () => "fake content" }; } catch {}
try { console.log = () => {}; } catch {}
export default "polluted";`,
    });
    assert.equal(runOf(first).kind, "success", textOf(first));
    const second = await aegis.call("aegis_run", {
      script: `console.log("console works");
export default {
  leftover: typeof globalThis.leftover,
  polluted: ({}).polluted === undefined,
  includes: [1].includes(2),
  trim: " a ".trim(),
  json: JSON.stringify({ a: 1 }),
  random: Math.random() < 1,
  read: await fs.read("src/a.txt"),
};`,
    });
    assert.equal(runOf(second).kind, "success", textOf(second));
    assert.deepEqual(runOf(second).value, {
      leftover: "undefined",
      polluted: true,
      includes: false,
      trim: "a",
      json: '{"a":1}',
      random: true,
      read: "real content",
    });
    assert.equal(runOf(second).output, "console works\n");
  });

  test("a promise left pending at the end of a run does not fire in the next", async () => {
    const first = await aegis.call("aegis_run", {
      script: `globalThis.ticks = 0;
(async () => { for (;;) { await null; globalThis.ticks++; } })();
export default "left a microtask loop";`,
      timeout_seconds: 2,
    });
    assert.ok(["success", "runtime_limit"].includes(runOf(first).kind), textOf(first));
    await assertServerHealthy();
    const second = await aegis.call("aegis_run", { script: "export default typeof globalThis.ticks;" });
    assert.equal(runOf(second).value, "undefined");
  });

  test("a run the client cancels is stopped and does not hold up the next call", async () => {
    const cancel = new AbortController();
    const abandoned = aegis.client.callTool(
      { name: "aegis_run", arguments: { script: "while (1) {}", timeout_seconds: 8 } },
      undefined,
      { signal: cancel.signal },
    );
    setTimeout(() => cancel.abort("the user pressed Esc"), 300);
    await assert.rejects(abandoned);
    const started = Date.now();
    const next = await aegis.call("aegis_run", { script: "export default 'next';" });
    const waited = Date.now() - started;
    assert.equal(runOf(next).value, "next");
    assert.ok(waited < 3000, `the next call waited ${waited} ms for the cancelled run's 8 s timeout`);
  });

  test("after all of the above, the server is the same process and concurrent calls still work", async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => aegis.call("aegis_run", { script: `export default ${i} * 2;` })),
    );
    assert.deepEqual(
      results.map((r) => runOf(r).value),
      Array.from({ length: 20 }, (_, i) => i * 2),
    );
    assert.ok(isAlive(aegis.pid));
  });
});
