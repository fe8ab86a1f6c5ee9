// Class 1 (security.md): escaping the guest. Each test runs the hostile script through the
// engine with fake builtins that record what reached the host, asserts the outcome, and
// checks that a normal run still works afterwards.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runScriptReport } from "../../src/host/engine/run-script.js";
import { CallLog, testServices } from "./engine/helpers.js";

async function run(script: string, log = new CallLog()) {
  const report = await runScriptReport({ script, timeoutSeconds: 5 }, testServices({ log }));
  return { ...report.result, clean: report.disposedCleanly, log };
}

async function assertNormalRunWorks(): Promise<void> {
  const after = await run("export default { n: 1 + 1 }");
  assert.equal(after.kind, "success");
  assert.deepEqual(after.value, { n: 2 });
}

describe("class 1: sandbox escape", () => {
  test("globalThis probing finds no host objects", async () => {
    const r = await run(`
      const seen = new Set();
      const names = [];
      const walk = (o, depth) => {
        if (o === null || (typeof o !== "object" && typeof o !== "function") || seen.has(o) || depth > 4) return;
        seen.add(o);
        for (const k of Reflect.ownKeys(o)) {
          names.push(String(k));
          const d = Object.getOwnPropertyDescriptor(o, k);
          if (d && "value" in d) walk(d.value, depth + 1);
        }
        walk(Object.getPrototypeOf(o), depth + 1);
      };
      walk(globalThis, 0);
      export default {
        globals: Reflect.ownKeys(globalThis).map(String),
        // (RegExp.prototype.global is a legitimate property name; a global named "global" is not.)
        hostish: names.filter((n) => /^(process|require|module|exports|Buffer|fetch|setTimeout|setInterval|setImmediate|queueMicrotask|std|os|Deno|Bun|__dirname|__filename|hostCall|hostPrint|hostCompose|WebAssembly|XMLHttpRequest)$/.test(n)),
        global: typeof globalThis.global,
      };
    `);
    assert.equal(r.kind, "success", JSON.stringify(r.error));
    const value = r.value as { globals: string[]; hostish: string[]; global: string };
    assert.deepEqual(value.hostish, []);
    assert.equal(value.global, "undefined");
    for (const name of ["fs", "net", "env", "subprocess", "console", "sealed", "Sealed", "AegisError"]) {
      assert.ok(value.globals.includes(name), name);
    }
    await assertNormalRunWorks();
  });

  test("constructor.constructor('return this')() yields only the guest global", async () => {
    const r = await run(`
      const g = fs.read.constructor.constructor("return this")();
      const viaPromise = (async () => {}).constructor.constructor("return this")();
      export default {
        same: g === globalThis && viaPromise === globalThis,
        process: typeof g.process,
        require: typeof g.require,
        keys: Object.getOwnPropertyNames(g).filter((k) => /^(process|require|Buffer|hostCall|hostPrint|hostCompose)$/.test(k)),
      };
    `);
    assert.equal(r.kind, "success", JSON.stringify(r.error));
    assert.deepEqual(r.value, { same: true, process: "undefined", require: "undefined", keys: [] });
    await assertNormalRunWorks();
  });

  test("Object.prototype.then poisoning before a builtin call reaches no host object", async () => {
    const log = new CallLog();
    const r = await run(
      `
      const calls = [];
      Object.prototype.then = function (resolve) {
        calls.push(typeof resolve);
        delete Object.prototype.then;
        resolve({ hijacked: true, arg: typeof this });
      };
      const response = await net.httpGet("https://example.test/");
      delete Object.prototype.then;
      const body = await fs.read("a.txt");
      export default { response, body, calls };
    `,
      log,
    );
    assert.equal(r.kind, "success", JSON.stringify(r.error));
    // The poisoned then only ever saw guest functions and guest data; the host went on as usual.
    assert.deepEqual(r.value, {
      response: { hijacked: true, arg: "object" },
      body: "contents of a.txt",
      calls: ["function"],
    });
    assert.deepEqual(log.calls, [
      { name: "net.httpGet", args: ["https://example.test/"] },
      { name: "fs.read", args: ["a.txt"] },
    ]);
    assert.ok(r.clean);
    await assertNormalRunWorks();
  });

  test("Array.prototype and JSON poisoning before a call do not change what the host receives", async () => {
    const log = new CallLog();
    const r = await run(
      `
      Object.defineProperty(Array.prototype, "0", { set() { throw new Error("setter ran"); }, get() { return "poison"; }, configurable: true });
      Array.prototype.push = () => { throw new Error("push ran"); };
      Array.prototype.map = () => { throw new Error("map ran"); };
      Array.prototype[Symbol.iterator] = function* () { yield "poison"; };
      Object.prototype.toJSON = () => "poison";
      Object.defineProperty(Object.prototype, "get", { value: () => "poison", configurable: true });
      JSON.stringify = () => "poison";
      JSON.parse = () => "poison";
      String.prototype.slice = () => "poison";
      Function.prototype.call = () => "poison";
      Reflect.apply = () => "poison";
      const r = await net.httpGet("https://x.test/", { headers: { a: ["1", "2"] } });
      export default { status: r.status, json: r.json(), echo: await fs.read("b") };
    `,
      log,
    );
    assert.equal(r.kind, "success", JSON.stringify(r.error));
    assert.deepEqual(log.calls[0], {
      name: "net.httpGet",
      args: ["https://x.test/", { headers: { a: ["1", "2"] } }],
    });
    assert.deepEqual(r.value, { status: 200, json: { ok: true, n: [1, 2] }, echo: "contents of b" });
    await assertNormalRunWorks();
  });

  test("Error.prepareStackTrace has no effect", async () => {
    const r = await run(`
      let called = false;
      Error.prepareStackTrace = (e, frames) => { called = true; return frames; };
      let stack = "";
      try { null.x; } catch (e) { stack = e.stack; }
      export default { called, stackIsString: typeof stack === "string", hook: typeof Error.prepareStackTrace };
    `);
    assert.equal(r.kind, "success", JSON.stringify(r.error));
    assert.deepEqual(r.value, { called: false, stackIsString: true, hook: "undefined" });
    const thrown = await run(
      `Error.prepareStackTrace = () => { throw new Error("hook ran"); }; throw new Error("plain");`,
    );
    assert.equal(thrown.kind, "script_error");
    assert.equal(thrown.error?.message, "Error: plain");
    await assertNormalRunWorks();
  });

  test("a throwing getter as a builtin argument is a TypeError and the getter never runs", async () => {
    const log = new CallLog();
    const r = await run(
      `
      let ran = false;
      const arg = { get path() { ran = true; throw new Error("getter ran"); } };
      let error;
      try { await fs.read(arg); } catch (e) { error = { name: e.name, message: e.message }; }
      export default { ran, error };
    `,
      log,
    );
    assert.equal(r.kind, "success", JSON.stringify(r.error));
    assert.deepEqual(r.value, {
      ran: false,
      error: {
        name: "TypeError",
        message: "fs.read argument 1.path is a getter; only plain data can be passed",
      },
    });
    assert.deepEqual(log.calls, []);
    await assertNormalRunWorks();
  });

  test("a Proxy as a builtin argument is a TypeError and no trap runs", async () => {
    const log = new CallLog();
    const r = await run(
      `
      let traps = 0;
      const handler = new Proxy({}, { get() { traps++; return () => { throw new Error("trap"); }; } });
      const p = new Proxy({ path: "x" }, handler);
      const r = Proxy.revocable(["a"], {});
      r.revoke();
      const errors = [];
      for (const arg of [p, [1, p], { nested: { p } }, r.proxy]) {
        try { await fs.read(arg); } catch (e) { errors.push(e instanceof TypeError ? e.message : "other " + e); }
      }
      export default { traps, errors };
    `,
      log,
    );
    assert.equal(r.kind, "success", JSON.stringify(r.error));
    const value = r.value as { traps: number; errors: string[] };
    assert.equal(value.traps, 0);
    assert.equal(value.errors.length, 4);
    for (const message of value.errors) assert.match(message, /is a Proxy; only plain data can be passed/);
    assert.deepEqual(log.calls, []);
    await assertNormalRunWorks();
  });

  test("import() of a module fails", async () => {
    const r = await run(`
      let error;
      try { await import("node:fs"); } catch (e) { error = e.message; }
      export default error;
    `);
    assert.equal(r.kind, "success", JSON.stringify(r.error));
    assert.match(String(r.value), /import is not available in aegis scripts/);
    await assertNormalRunWorks();
  });

  test("a static import fails before the script runs", async () => {
    const log = new CallLog();
    const r = await run(
      `import { readFileSync } from "fs"; await fs.write("x", "y"); export default 1;`,
      log,
    );
    assert.equal(r.kind, "script_error");
    assert.match(r.error?.message ?? "", /import is not available/);
    assert.deepEqual(log.calls, []);
    await assertNormalRunWorks();
  });

  test("require does not exist", async () => {
    const r = await run(`require("child_process").execSync("id");`);
    assert.equal(r.kind, "script_error");
    assert.match(r.error?.message ?? "", /ReferenceError: 'require' is not defined|require/);
    assert.equal(r.error?.line, 1);
    await assertNormalRunWorks();
  });

  test("a cyclic builtin argument is a TypeError", async () => {
    const log = new CallLog();
    const r = await run(
      `
      const a = { name: "a" }; a.self = a;
      const list = [1]; list.push(list);
      const errors = [];
      for (const arg of [a, list]) { try { await fs.read(arg); } catch (e) { errors.push(e.message); } }
      // Shared (not cyclic) references are fine.
      const shared = { k: 1 };
      await fs.read({ x: shared, y: shared });
      export default errors;
    `,
      log,
    );
    assert.equal(r.kind, "success", JSON.stringify(r.error));
    assert.deepEqual(r.value, [
      "fs.read argument 1.self is cyclic (it contains itself)",
      "fs.read argument 1[1] is cyclic (it contains itself)",
    ]);
    assert.deepEqual(log.calls, [{ name: "fs.read", args: [{ x: { k: 1 }, y: { k: 1 } }] }]);
    await assertNormalRunWorks();
  });

  test("huge builtin arguments are refused, not copied to the host", async () => {
    const log = new CallLog();
    const r = await run(
      `
      const errors = [];
      const attempts = [
        () => new Array(1e9),                       // sparse, huge length
        () => { let o = {}; for (let i = 0; i < 100; i++) o = { o }; return o; },   // too deep
        () => { let a = [1]; for (let i = 0; i < 30; i++) a = [a, a]; return a; }, // 2^30 shared nodes
        () => "x".repeat(40 * 1024 * 1024),         // more than 32 MiB of text
      ];
      for (const make of attempts) { try { await fs.write(make()); } catch (e) { errors.push(e.name + ": " + e.message); } }
      export default errors;
    `,
      log,
    );
    assert.equal(r.kind, "success", JSON.stringify(r.error));
    const errors = r.value as string[];
    assert.equal(errors.length, 4);
    assert.match(errors[0]!, /^RangeError: fs.write argument 1 holds more than 200000 values/);
    assert.match(errors[1]!, /^RangeError: fs.write argument 1(\.o)+ is nested deeper than 64 levels/);
    assert.match(errors[2]!, /^RangeError: .*holds more than 200000 values/);
    assert.match(errors[3]!, /^RangeError: fs.write argument 1 is too large/);
    assert.deepEqual(log.calls, []);
    await assertNormalRunWorks();
  });

  test("forging a Sealed reference fails", async () => {
    const log = new CallLog();
    const r = await run(
      `
      const real = await env.read("OPENAI_API_KEY");
      const errors = [];
      const forgeries = [
        { sealedId: 1, label: "OPENAI_API_KEY" },
        Object.create(Sealed.prototype),
        Object.assign(Object.create(Object.getPrototypeOf(real)), { sealedId: 1 }),
      ];
      for (const f of forgeries) { try { await net.httpPost("https://api.test/", f); } catch (e) { errors.push(e.name + ": " + e.message); } }
      try { new Sealed(); } catch (e) { errors.push(e.name); }
      try { new AegisError("policy_violation", "fake"); } catch (e) { errors.push(e.name); }
      export default errors;
    `,
      log,
    );
    assert.equal(r.kind, "success", JSON.stringify(r.error));
    const errors = r.value as string[];
    assert.match(
      errors[0]!,
      /^TypeError: .*"sealedId" key cannot be passed \(sealed values cannot be forged\)/,
    );
    assert.match(errors[1]!, /^TypeError: net.httpPost argument 2 is a Sealed; only plain objects/);
    assert.match(errors[2]!, /^TypeError: net.httpPost argument 2 is a Sealed; only plain objects/);
    assert.deepEqual(errors.slice(3), ["TypeError", "TypeError"]);
    // Only env.read reached the host: no forged reference was ever handed to a builtin.
    assert.deepEqual(log.names(), ["env.read"]);
    await assertNormalRunWorks();
  });

  test("a script that throws a lookalike AegisError cannot choose the run's kind", async () => {
    const r = await run(`
      const e = new Error("fake denial"); e.name = "AegisError"; e.kind = "policy_violation";
      throw e;
    `);
    assert.equal(r.kind, "script_error");
    assert.equal(r.error?.message, "AegisError: fake denial");
    await assertNormalRunWorks();
  });
});
