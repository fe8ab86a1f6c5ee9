// The engine's contract (script-api.md): modules with top-level await, the result shape,
// errors and their kinds, console capture, builtin names and aliases, handle hygiene.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AegisError } from "../../src/errors.js";
import type { BuiltinTable } from "../../src/host/builtin-types.js";
import { runScript, runScriptReport } from "../../src/host/engine/run-script.js";
import { CallLog, fakeBuiltins, testServices } from "./engine/helpers.js";

describe("sandbox engine", () => {
  test("export default is the result value; top-level await drives builtins", async () => {
    const log = new CallLog();
    const report = await runScriptReport(
      {
        script: `
        const a = await fs.read("a.txt");
        const [b, c] = await Promise.all([fs.read("b.txt"), fs.read("c.txt")]);
        export default { a, b, c, n: 1.5, t: true, nil: null, skip: undefined, fn() {} };
      `,
        runId: "r-test",
      },
      testServices({ log }),
    );
    const r = report.result;
    assert.equal(r.ok, true);
    assert.equal(r.kind, "success");
    assert.deepEqual(r.value, {
      a: "contents of a.txt",
      b: "contents of b.txt",
      c: "contents of c.txt",
      n: 1.5,
      t: true,
      nil: null,
    });
    assert.equal(r.run_id, "r-test");
    assert.equal(typeof r.duration_ms, "number");
    assert.deepEqual(log.names(), ["fs.read", "fs.read", "fs.read"]);
    assert.ok(report.disposedCleanly, "every handle disposed");
  });

  test("a script without export default succeeds with no value", async () => {
    const r = await runScript({ script: `const x = 1;` }, testServices());
    assert.equal(r.kind, "success");
    assert.equal("value" in r, false);
  });

  test("a thrown Error ends the run as script_error with line and column", async () => {
    const r = await runScript(
      { script: `const a = 1;\nconst b = 2;\nthrow new Error("bad " + (a + b));`, filename: "task.js" },
      testServices(),
    );
    assert.equal(r.ok, false);
    assert.equal(r.kind, "script_error");
    assert.equal(r.error?.message, "Error: bad 3");
    assert.equal(r.error?.line, 3);
    assert.equal(typeof r.error?.column, "number");
  });

  test("a syntax error is a script_error with its line", async () => {
    const r = await runScript({ script: `const a = 1;\nconst = 2;` }, testServices());
    assert.equal(r.kind, "script_error");
    assert.match(r.error?.message ?? "", /^SyntaxError/);
    assert.equal(r.error?.line, 2);
  });

  test("an uncaught denial ends the run with the denial's kind; a caught one does not", async () => {
    const uncaught = await runScript(
      { script: `await subprocess.exec(["rm", "-rf", "/"]);` },
      testServices(),
    );
    assert.equal(uncaught.kind, "policy_violation");
    assert.equal(
      uncaught.error?.message,
      'subprocess.exec denied: ["rm","-rf","/"] is not in subprocess.allow_commands',
    );
    const caught = await runScript(
      {
        script: `let seen; try { await subprocess.exec(["rm"]); } catch (e) { seen = { isAegis: e instanceof AegisError, kind: e.kind, name: e.name }; } export default seen;`,
      },
      testServices(),
    );
    assert.equal(caught.kind, "success");
    assert.deepEqual(caught.value, { isAegis: true, kind: "policy_violation", name: "AegisError" });
  });

  test("a host exception in a builtin becomes io_error", async () => {
    const r = await runScript({ script: `await fs.delete("/tmp/x");` }, testServices());
    assert.equal(r.kind, "io_error");
    assert.equal(r.error?.message, "fs.delete failed: disk on fire");
  });

  test("console output is captured and never written to the host's stdout", async () => {
    const writes: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      writes.push(String(chunk));
      return original(chunk, ...rest);
    }) as typeof process.stdout.write;
    try {
      const r = await runScript(
        {
          script: `console.log("one", 2, [3]); console.info("i"); console.warn("w"); console.error(new TypeError("e"));`,
        },
        testServices(),
      );
      assert.equal(r.output, "one 2 [ 3 ]\ni\nw\nTypeError: e\n");
    } finally {
      process.stdout.write = original;
    }
    assert.ok(!writes.some((w) => w.includes("one 2")), "nothing reached stdout");
  });

  test("snake_case aliases reach the same builtin; responses of net.* have json()", async () => {
    const log = new CallLog();
    const r = await runScript(
      {
        script: `const r = await net.http_get("https://x.test/"); export default { data: r.json(), keys: Object.keys(r) };`,
      },
      testServices({ log }),
    );
    assert.equal(r.kind, "success", JSON.stringify(r.error));
    assert.deepEqual(r.value, { data: { ok: true, n: [1, 2] }, keys: ["status", "headers", "body"] });
    assert.deepEqual(log.names(), ["net.httpGet"]);
  });

  test("only the table's builtins exist", async () => {
    const r = await runScript(
      { script: `export default { fs: Object.keys(fs), net: typeof net, timers: typeof setTimeout };` },
      testServices({ builtins: { "fs.read": async () => "x" } }),
    );
    assert.deepEqual(r.value, { fs: ["read"], net: "undefined", timers: "undefined" });
  });

  test("a result that is not plain data is a script_error naming where", async () => {
    const r = await runScript(
      { script: `export default { when: new Date(0), list: [new Map()] };` },
      testServices(),
    );
    assert.equal(r.kind, "script_error");
    assert.match(
      r.error?.message ?? "",
      /^TypeError: export default\.when is a Date; only plain objects and arrays/,
    );
  });

  test("a result value past runtime.max_output_bytes is a runtime limit", async () => {
    const services = () => testServices({ runtime: { maxOutputBytes: 1000 } });
    const huge = await runScript({ script: `export default "x".repeat(5000);` }, services());
    assert.equal(huge.kind, "runtime_limit");
    assert.match(huge.error?.message ?? "", /export default is too large .*runtime.max_output_bytes = 1000/);
    assert.equal(huge.value, undefined);
    const together = await runScript(
      { script: `console.log("y".repeat(600)); export default "x".repeat(600);` },
      services(),
    );
    assert.equal(together.kind, "runtime_limit");
    assert.match(together.error?.message ?? "", /exceed runtime.max_output_bytes = 1000/);
  });

  test("a script waiting on a promise nothing settles ends as script_error, not a hang", async () => {
    const r = await runScript({ script: `await new Promise(() => {}); export default 1;` }, testServices());
    assert.equal(r.kind, "script_error");
    assert.match(r.error?.message ?? "", /waiting on a promise that nothing will settle/);
  });

  test("a verifier finding ends the run as verifier_rejection before anything runs", async () => {
    const log = new CallLog();
    const r = await runScript(
      { script: `await fs.read(".env");` },
      testServices({
        log,
        verify: () => [
          { message: "fs.read of .env is denied", line: 1, column: 7, hint: "read another file" },
        ],
      }),
    );
    assert.equal(r.kind, "verifier_rejection");
    assert.deepEqual(r.error, {
      message: "1:7: fs.read of .env is denied (read another file)",
      line: 1,
      column: 7,
    });
    assert.deepEqual(log.calls, []);
    const crashed = await runScript(
      { script: `export default 1;` },
      testServices({
        verify: () => {
          throw new Error("parser bug");
        },
      }),
    );
    assert.equal(crashed.kind, "verifier_rejection", "a verifier crash fails closed");
  });

  test("the calls list is what the builtins recorded", async () => {
    const builtins: BuiltinTable = {
      ...fakeBuiltins(new CallLog()),
      "fs.read": async (args, ctx) => {
        ctx.calls.push({ cap: "fs.read", target: String(args[0]), decision: "allow" });
        return "x";
      },
    };
    const r = await runScript(
      { script: `await fs.read("/a"); await fs.read("/b");` },
      testServices({ builtins }),
    );
    assert.deepEqual(r.calls, [
      { cap: "fs.read", target: "/a", decision: "allow" },
      { cap: "fs.read", target: "/b", decision: "allow" },
    ]);
  });

  test("a builtin rejected with config_error surfaces as io_error (runs have no config kind)", async () => {
    const builtins: BuiltinTable = {
      "fs.read": async () => {
        throw new AegisError("config_error", "bad");
      },
    };
    const r = await runScript({ script: `await fs.read("x");` }, testServices({ builtins }));
    assert.equal(r.kind, "io_error");
  });

  test("every run disposes all of its handles", async () => {
    const scripts = [
      `export default 1`,
      `await fs.read("a"); console.log("x");`,
      `const p = fs.list(50); export default 1;`,
      `throw new Error("x")`,
      `await subprocess.exec(["x"])`,
      `const k = await env.read("OPENAI_API_KEY"); export default sealed\`a\${k}\`;`,
      `await new Promise(() => {})`,
    ];
    for (const script of scripts) {
      const report = await runScriptReport({ script }, testServices());
      assert.ok(report.disposedCleanly, script);
    }
  });
  test("text crosses into the guest unchanged: multi-byte, large, and with lone surrogates", async () => {
    const big = "é😀x".repeat(100_000);
    const builtins: BuiltinTable = {
      "t.odd": async () => "a\uD800b\uDC00c😀",
      "t.big": async () => big,
      "t.obj": async () => ({ s: "x\uD800", big }),
    };
    const r = await runScript(
      {
        script: `const odd = await t.odd(); const b = await t.big(); const o = await t.obj();
        export default {
          odd: [...odd].map((c) => c.codePointAt(0)),
          obj: [...o.s].map((c) => c.codePointAt(0)),
          source: [..."q\uD801z"].map((c) => c.codePointAt(0)),
          big: b.length, same: b === o.big, tail: b.slice(-4),
        };`,
      },
      testServices({ builtins }),
    );
    assert.equal(r.kind, "success", JSON.stringify(r.error));
    assert.deepEqual(r.value, {
      odd: [97, 0xd800, 98, 0xdc00, 99, 0x1f600],
      obj: [120, 0xd800],
      source: [113, 0xd801, 122],
      big: big.length,
      same: true,
      tail: "é😀x".slice(-4),
    });
  });
});
