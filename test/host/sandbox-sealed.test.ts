// Sealed values (script-api.md): the guest holds an opaque object; every coercion throws,
// printing shows the label, composition happens host-side, and the bytes never appear in
// the output, the result or an error.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AegisError } from "../../src/errors.js";
import type { BuiltinTable, HostValue, SealedRef } from "../../src/host/builtin-types.js";
import { isSealedRef } from "../../src/host/builtin-types.js";
import { runScript } from "../../src/host/engine/run-script.js";
import { CallLog, fakeBuiltins, SECRET, testServices } from "./engine/helpers.js";

const B64 = Buffer.from(SECRET).toString("base64");

function assertNoSecret(result: unknown): void {
  const text = JSON.stringify(result);
  assert.ok(!text.includes(SECRET), `secret leaked: ${text}`);
  assert.ok(!text.includes(B64), `secret leaked (base64): ${text}`);
}

describe("sealed values", () => {
  test("every coercion of a sealed value throws a TypeError that says what to do instead", async () => {
    const r = await runScript(
      {
        script: `
        const s = await env.read("OPENAI_API_KEY");
        const attempts = {
          String: () => String(s),
          concat: () => s + "",
          template: () => \`\${s}\`,
          JSONstringify: () => JSON.stringify(s),
          JSONnested: () => JSON.stringify({ k: s }),
          length: () => s.length,
          looseEquals: () => s == "sk-test",
          lessThan: () => s < "zzz",
          valueOf: () => s.valueOf(),
          toString: () => s.toString(),
          toPrimitive: () => s[Symbol.toPrimitive]("string"),
          Number: () => Number(s),
          join: () => [s].join(","),
          spread: () => [...s],
          charAt: () => String.prototype.charAt.call(s, 0),
        };
        const out = {};
        for (const [name, attempt] of Object.entries(attempts)) {
          try { out[name] = "no error: " + attempt(); } catch (e) { out[name] = e.name + ": " + e.message; }
        }
        export default out;
      `,
      },
      testServices(),
    );
    assert.equal(r.kind, "success", JSON.stringify(r.error));
    const out = r.value as Record<string, string>;
    for (const [name, message] of Object.entries(out)) {
      assert.match(message, /^TypeError: /, name);
      if (name !== "spread") {
        assert.match(
          message,
          /sealed value OPENAI_API_KEY cannot be read, printed, compared or converted/,
          name,
        );
        assert.match(message, /local_only host/, name);
        assert.match(message, /sealed`Bearer \$\{value\}`/, name);
      }
    }
    assertNoSecret(r);
  });

  test("console.log of a sealed value prints its label", async () => {
    const r = await runScript(
      {
        script: `
        const s = await env.read("OPENAI_API_KEY");
        console.log(s);
        console.log("key:", s, { nested: [s] });
        console.error(sealed\`Bearer \${s}\`);
      `,
      },
      testServices(),
    );
    assert.equal(r.kind, "success", JSON.stringify(r.error));
    assert.equal(
      r.output,
      '[sealed OPENAI_API_KEY]\nkey: [sealed OPENAI_API_KEY] { "nested": [ [sealed OPENAI_API_KEY] ] }\n[sealed OPENAI_API_KEY]\n',
    );
    assertNoSecret(r);
  });

  test("returning or throwing a sealed value shows only its label", async () => {
    const returned = await runScript(
      { script: `const s = await env.read("OPENAI_API_KEY"); export default { s, list: [s] };` },
      testServices(),
    );
    assert.equal(returned.kind, "success");
    assert.deepEqual(returned.value, { s: "[sealed OPENAI_API_KEY]", list: ["[sealed OPENAI_API_KEY]"] });
    const thrown = await runScript({ script: `throw await env.read("OPENAI_API_KEY");` }, testServices());
    assert.equal(thrown.kind, "script_error");
    assert.equal(thrown.error?.message, "[sealed OPENAI_API_KEY]");
    assertNoSecret([returned, thrown]);
  });

  test("a sealed value reaches a builtin as the SealedRef, and sealed`…` composes host-side", async () => {
    const received: { ref: SealedRef; bytes: string }[] = [];
    const builtins: BuiltinTable = {
      ...fakeBuiltins(new CallLog()),
      "net.httpPost": async (args, ctx) => {
        for (const a of args) if (isSealedRef(a)) received.push({ ref: a, bytes: ctx.sealed.reveal(a) });
        return { status: 200, headers: {}, body: "ok" };
      },
    };
    const r = await runScript(
      {
        script: `
        const key = await env.read("OPENAI_API_KEY");
        const header = sealed\`Bearer \${key} #\${42}\`;
        await net.httpPost("https://api.test/", key, header);
        export default { isSealed: header instanceof Sealed, keys: Object.keys(header), frozen: Object.isFrozen(header) };
      `,
      },
      testServices({ builtins }),
    );
    assert.equal(r.kind, "success", JSON.stringify(r.error));
    assert.deepEqual(r.value, { isSealed: true, keys: [], frozen: true });
    assert.deepEqual(
      received.map((x) => [x.ref.label, x.bytes]),
      [
        ["OPENAI_API_KEY", SECRET],
        ["OPENAI_API_KEY", `Bearer ${SECRET} #42`],
      ],
    );
    assertNoSecret(r);
  });

  test("sealed`…` refuses values it cannot compose", async () => {
    const r = await runScript(
      {
        script: `
        const errors = [];
        for (const v of [{}, [1], null, undefined]) { try { sealed\`a\${v}\`; } catch (e) { errors.push(e.name); } }
        export default errors;
      `,
      },
      testServices(),
    );
    assert.equal(r.kind, "success", JSON.stringify(r.error));
    assert.deepEqual(r.value, ["TypeError", "TypeError", "TypeError", "TypeError"]);
  });

  test("sealed objects cannot be altered to reveal or fake anything", async () => {
    const r = await runScript(
      {
        script: `
        const s = await env.read("OPENAI_API_KEY");
        const errors = [];
        for (const attempt of [
          () => { s.label = "x"; },
          () => { Sealed.prototype.toString = () => "mine"; },
          () => { Object.setPrototypeOf(s, Object.prototype); },
          () => { Object.defineProperty(Sealed.prototype, "length", { get: () => 3 }); },
        ]) { try { attempt(); errors.push("no error"); } catch (e) { errors.push(e.name); } }
        export default errors;
      `,
      },
      testServices(),
    );
    assert.equal(r.kind, "success", JSON.stringify(r.error));
    assert.deepEqual(r.value, ["TypeError", "TypeError", "TypeError", "TypeError"]);
  });

  test("a secret that re-enters unsealed is redacted from output, result and error", async () => {
    const builtins: BuiltinTable = {
      ...fakeBuiltins(new CallLog()),
      // A buggy builtin hands the raw bytes back; sealing registered them with the redactor.
      "env.leak": async (_args, ctx) => {
        ctx.sealed.seal("OPENAI_API_KEY", SECRET);
        return `prefix ${SECRET} suffix` as HostValue;
      },
      "env.deny": async () => {
        throw new AegisError("policy_violation", `denied: ${SECRET}`);
      },
    };
    const r = await runScript(
      {
        script: `
        const v = await env.leak();
        console.log(v, v.slice(7, 7 + ${SECRET.length}));
        let denial;
        try { await env.deny(); } catch (e) { denial = e.message; }
        export default { v, denial, [v]: 1 };
      `,
      },
      testServices({ builtins }),
    );
    assert.equal(r.kind, "success", JSON.stringify(r.error));
    assert.match(r.output, /prefix \[REDACTED\] suffix \[REDACTED\]/);
    assertNoSecret(r);
    const failed = await runScript(
      { script: `const v = await env.leak(); throw new Error(v);` },
      testServices({ builtins }),
    );
    assert.equal(failed.kind, "script_error");
    assert.equal(failed.error?.message, "Error: prefix [REDACTED] suffix");
  });

  test("no_output_after_local_only_read refuses console output and the result after a local-only read", async () => {
    const services = () => testServices({ runtime: { noOutputAfterLocalOnlyRead: true } });
    const printed = await runScript(
      {
        script: `console.log("before"); const k = await env.read("OPENAI_API_KEY"); console.log("after"); export default 1;`,
      },
      services(),
    );
    assert.equal(printed.kind, "policy_violation");
    assert.equal(printed.output, "before\n");
    assert.match(printed.error?.message ?? "", /runtime.no_output_after_local_only_read/);
    const returned = await runScript(
      { script: `const k = await env.read("OPENAI_API_KEY"); export default { k: 1 };` },
      services(),
    );
    assert.equal(returned.kind, "policy_violation");
    assert.equal(returned.value, undefined);
    const thrown = await runScript(
      { script: `const k = await env.read("OPENAI_API_KEY"); throw new Error("derived " + 42);` },
      services(),
    );
    assert.equal(thrown.kind, "script_error");
    assert.match(thrown.error?.message ?? "", /error message withheld/);
    const untouched = await runScript({ script: `console.log("fine"); export default 2;` }, services());
    assert.equal(untouched.kind, "success");
    assert.equal(untouched.output, "fine\n");
  });
});
