/** Class 1: escaping the guest (security.md). */
import {
  ATTEMPT,
  caseMaker,
  DYN,
  HOME,
  OK,
  OUTSIDE,
  P_FS,
  PROJECT_FILES,
  SECRET_ENV,
  VERIFIER,
} from "./common.js";

const { add, made } = caseMaker("sandbox-escape", "c01");

const HOSTISH =
  /^(process|require|module|exports|Buffer|fetch|setTimeout|setInterval|setImmediate|queueMicrotask|std|os|Deno|Bun|__dirname|__filename|WebAssembly|XMLHttpRequest)$/
    .source;
const BASE = { files: PROJECT_FILES, home: HOME, outside: OUTSIDE, env: SECRET_ENV };
const MARKER = "{{OUTSIDE}}/pwned";

add("globalthis-walk", {
  technique: "walk globalThis and every reachable prototype looking for host objects",
  source: "HackTricks: escaping JavaScript sandboxes (globalThis probing); security.md class 1",
  ...BASE,
  script: `const seen = new Set(); const names = [];
const walk = (o, d) => { if (o === null || (typeof o !== "object" && typeof o !== "function") || seen.has(o) || d > 5) return; seen.add(o);
  for (const k of Reflect.ownKeys(o)) { names.push(String(k)); const p = Object.getOwnPropertyDescriptor(o, k); if (p && "value" in p) walk(p.value, d + 1); }
  walk(Object.getPrototypeOf(o), d + 1); };
walk(globalThis, 0);
export default { hostish: names.filter((n) => /${HOSTISH}/.test(n)), global: typeof globalThis.global };`,
  expect: { ...OK, value: { hostish: [], global: "undefined" } },
});

add("function-constructor-this", {
  technique: "constructor.constructor('return this')() from a builtin and from an async function",
  source: "CVE-2019-10761 / vm2 advisories (Function constructor reaching the host realm)",
  ...BASE,
  script: `const a = fs.read.constructor.constructor("return this")();
const b = (async () => {}).constructor.constructor("return this")();
const c = Object.getPrototypeOf(function* () {}).constructor.constructor("return this")();
export default { same: a === globalThis && b === globalThis && c === globalThis, process: typeof a.process, require: typeof b.require };`,
  expect: { ...OK, value: { same: true, process: "undefined", require: "undefined" } },
});

add("function-constructor-process", {
  technique: "new Function('return process.mainModule.require(\"child_process\")')()",
  source: "HackTricks: Node.js sandbox escape via Function constructor",
  ...BASE,
  script: `let r; try { r = new Function("return process.mainModule.require('child_process').execSync('touch ${MARKER}')")(); } catch (e) { r = e.name; }
export default r;`,
  expect: { ...OK, value: "ReferenceError", absent: [MARKER] },
});

add("eval-host-names", {
  technique: "indirect eval of host names (process, require, Buffer)",
  source: "MDN: indirect eval; security.md class 1",
  ...BASE,
  script: `const g = (0, eval);
export default ["process", "require", "Buffer", "module", "__filename"].map((n) => { try { return typeof g(n); } catch (e) { return e.name; } });`,
  expect: {
    ...OK,
    value: ["ReferenceError", "ReferenceError", "ReferenceError", "ReferenceError", "ReferenceError"],
  },
});

add("dynamic-import", {
  technique: "dynamic import() of node:fs (rejected before the run)",
  source: "security.md class 1 (import()/require)",
  ...BASE,
  script: `const m = await import("node:fs");
m.writeFileSync("${MARKER}", "x");`,
  expect: { ...VERIFIER, absent: [MARKER] },
});

add("dynamic-import-at-run-time", {
  technique: "dynamic import() hidden in a Function body, so only the runtime can stop it",
  source: "security.md class 1 (import()/require)",
  ...BASE,
  script: `const load = new Function("m", "return imp" + "ort(m)");
const out = [];
for (const m of ["node:fs", "node:child_process", "fs", "./src/index.js", "data:text/javascript,export default 1"]) {
  try { await load(m); out.push("imported " + m); } catch (e) { out.push(e.name); }
}
export default out.filter((x) => x.startsWith("imported"));`,
  expect: { ...OK, value: [] },
});

add("static-import", {
  technique: "static import of a Node module before a write",
  source: "security.md class 1 (import()/require)",
  ...BASE,
  script: `import { writeFileSync } from "node:fs";
writeFileSync("${MARKER}", "x");
await fs.write("out/after-import.txt", "x");`,
  expect: { ...VERIFIER, absent: [MARKER, "out/after-import.txt"] },
});

add("require-literal", {
  technique: "require('child_process').execSync",
  source: "security.md class 1 (import()/require)",
  ...BASE,
  script: `require("child_process").execSync("touch ${MARKER}");`,
  expect: { ...VERIFIER, absent: [MARKER] },
});

add("require-computed", {
  technique: "require reached through a computed global name",
  source: "HackTricks: bypassing keyword filters with computed property names",
  ...BASE,
  script: `const name = ["req", "uire"].join("");
let r; try { r = globalThis[name]("child_process"); } catch (e) { r = e.name; }
export default r;`,
  expect: { ...OK, value: "TypeError", absent: [MARKER] },
});

add("object-prototype-then", {
  technique: "Object.prototype.then poisoning before a builtin call, then a denied write",
  source: "CVE-2023-37466 (vm2 escape through a thenable); PortSwigger: prototype pollution",
  ...BASE,
  script: `${DYN}${ATTEMPT}
Object.prototype.then = function (resolve) { delete Object.prototype.then; resolve({ hijacked: true }); };
const first = await attempt(() => fs.write(dyn("{{OUTSIDE}}", "/pwned"), "x"));
delete Object.prototype.then;
export default { first, again: await attempt(() => fs.write(dyn("{{OUTSIDE}}", "/pwned"), "x")) };`,
  expect: { ...OK, absent: [MARKER], value: { again: "policy_violation" } },
});

add("array-prototype-poison", {
  technique: "poisoned Array.prototype (index setter, iterator, map, push) before a call",
  source: "PortSwigger: prototype pollution; security.md class 1",
  ...BASE,
  script: `${DYN}${ATTEMPT}
Object.defineProperty(Array.prototype, "0", { set() { throw new Error("setter"); }, get() { return "${MARKER}"; }, configurable: true });
Array.prototype[Symbol.iterator] = function* () { yield "${MARKER}"; };
Array.prototype.map = () => ["${MARKER}"];
Array.prototype.push = () => 0;
const w = await attempt(() => fs.write("out/ok.txt", "safe"));
const x = await attempt(() => fs.write(dyn("{{OUTSIDE}}", "/pwned"), "x"));
export default { w, x };`,
  expect: {
    ...OK,
    files: { "out/ok.txt": "safe" },
    absent: [MARKER],
    value: { w: "ok", x: "policy_violation" },
  },
});

add("object-prototype-path", {
  technique: "Object.prototype.path / headers / cwd pollution to change what the host reads",
  source: "PortSwigger: server-side prototype pollution (gadgets in options objects)",
  ...BASE,
  policy: `${P_FS}[subprocess]\nallow_commands = ["pwd"]\n`,
  args: ["--yes"],
  script: `Object.prototype.cwd = "/";
Object.prototype.env = { LD_PRELOAD: "/tmp/x.so" };
Object.prototype.offset = 3;
const p = await subprocess.exec(["pwd"], {});
const r = await fs.read("README.md", {});
export default { cwd: p.stdout.trim(), head: r.slice(0, 6) };`,
  expect: { ...OK, value: { cwd: "{{ROOT}}", head: "# demo" } },
});

add("proto-key-options", {
  technique: "a __proto__ key in marshalled options (JSON.parse) to pollute host objects",
  source: "PortSwigger: prototype pollution via JSON.parse __proto__",
  ...BASE,
  policy: `${P_FS}[subprocess]\nallow_commands = ["pwd"]\n`,
  args: ["--yes"],
  script: `const opts = JSON.parse('{"__proto__": {"cwd": "/"}, "constructor": {"prototype": {"cwd": "/"}}}');
let r; try { r = (await subprocess.exec(["pwd"], opts)).stdout.trim(); } catch (e) { r = e.name + ": " + e.message; }
const again = (await subprocess.exec(["pwd"])).stdout.trim();
export default { r, again };`,
  expect: { ...OK, value: { again: "{{ROOT}}" } },
});

add("prepare-stack-trace", {
  technique: "Error.prepareStackTrace hook to obtain host call sites",
  source: "CVE-2023-29017, CVE-2022-36067 (vm2 escapes via prepareStackTrace)",
  ...BASE,
  script: `let called = false;
Error.prepareStackTrace = (e, frames) => { called = true; return frames.map((f) => f.getThis && f.getThis()); };
let stack; try { await fs.read(123); } catch (e) { stack = typeof e.stack; }
try { null.x; } catch (e) { stack += typeof e.stack; }
export default { called };`,
  expect: { ...OK, value: { called: false } },
});

add("throwing-getter-argument", {
  technique: "a throwing getter in a builtin argument (marshalling must not run it or abort the host)",
  source: "security.md class 1 (getters passed as arguments)",
  ...BASE,
  script: `let ran = false;
const arg = { get path() { ran = true; throw new Error("getter ran"); } };
let err; try { await fs.read(arg); } catch (e) { err = e.name; }
const after = await fs.read("README.md");
export default { ran, err, after: after.length > 0 };`,
  expect: { ...OK, value: { ran: false, err: "TypeError", after: true } },
});

add("getter-in-options", {
  technique: "a getter inside an options object that changes the path between check and use",
  source: "TOCTOU through accessor properties (CWE-367)",
  ...BASE,
  policy: `${P_FS}[network]\nhttp_get_allow = ["example.invalid"]\n`,
  script: `let n = 0;
const opts = { get offset() { n++; return n > 1 ? 0 : 0; } };
let err; try { await fs.read("README.md", opts); } catch (e) { err = e.name; }
const url = { toString() { n++; return n > 3 ? "{{CANARY}}/" : "https://example.invalid/"; } };
let err2; try { await net.httpGet(url); } catch (e) { err2 = e.name; }
export default { err, err2, calls: n };`,
  expect: { ...OK, value: { err: "TypeError", err2: "TypeError", calls: 0 }, noRequest: true },
});

add("proxy-argument", {
  technique: "a Proxy (and a revoked Proxy) as a builtin argument; no trap may run",
  source: "CVE-2023-32314 (vm2 Proxy escape); security.md class 1",
  ...BASE,
  script: `let traps = 0;
const h = new Proxy({}, { get() { traps++; return () => "{{OUTSIDE}}/pwned"; } });
const p = new Proxy({ path: "README.md" }, h);
const r = Proxy.revocable(["README.md"], {}); r.revoke();
const errs = [];
for (const a of [p, [p], { nested: { p } }, r.proxy]) { try { await fs.read(a); } catch (e) { errs.push(e.name); } }
export default { traps, errs };`,
  expect: { ...OK, value: { traps: 0, errs: ["TypeError", "TypeError", "TypeError", "TypeError"] } },
});

add("cyclic-argument", {
  technique: "a cyclic object as a builtin argument",
  source: "security.md class 1 (huge or cyclic arguments)",
  ...BASE,
  script: `const a = { path: "README.md" }; a.self = a;
const l = [1]; l.push(l);
const errs = [];
for (const x of [a, l]) { try { await fs.write("out/c.txt", x); } catch (e) { errs.push(e.name); } }
export default errs;`,
  expect: { ...OK, value: ["TypeError", "TypeError"], absent: ["out/c.txt"] },
});

add("huge-sparse-array", {
  technique: "a sparse array with length 1e9 as an argument (marshalling bomb)",
  source: "security.md class 1 (huge arguments)",
  ...BASE,
  script: `let e1; try { await fs.write("out/x.txt", new Array(1e9)); } catch (e) { e1 = e.name; }
export default e1;`,
  expect: { ...OK, value: { $regex: "^(TypeError|RangeError)$" }, maxMs: 20000, absent: ["out/x.txt"] },
});

add("deep-nesting-argument", {
  technique: "an argument nested 100 000 levels deep",
  source: "security.md class 1 (huge arguments); CWE-674",
  ...BASE,
  policy: `${P_FS}[network]\nhttp_post_allow = ["127.0.0.1"]\ndeny_ips = ["!127.0.0.0/8"]\nallow_ports = [{{CANARY_PORT}}]\n`,
  script: `let o = {}; for (let i = 0; i < 100000; i++) o = { o };
let e1; try { await net.httpPost("{{CANARY}}/", o); } catch (e) { e1 = e.name; }
export default e1;`,
  expect: { ...OK, value: { $regex: "^(TypeError|RangeError)$" }, noRequest: true },
});

add("dag-bomb-argument", {
  technique: "a DAG of 2^40 shared paths (billion laughs) as an argument",
  source: "Billion laughs (CWE-776) applied to argument marshalling",
  ...BASE,
  script: `let a = ["x"]; for (let i = 0; i < 40; i++) a = [a, a];
let e1; try { await fs.write("out/x.txt", a); } catch (e) { e1 = e.name; }
export default e1;`,
  expect: { ...OK, value: { $regex: "^(TypeError|RangeError)$" }, maxMs: 20000, absent: ["out/x.txt"] },
});

add("oversized-string-argument", {
  technique: "a 48 MiB string argument",
  source: "security.md class 1 (huge arguments)",
  ...BASE,
  policy: `${P_FS}[runtime]\nmax_memory_mb = 512\n`,
  script: `let e1; try { await fs.write("out/big.txt", "x".repeat(48 * 1024 * 1024)); } catch (e) { e1 = e.name; }
export default e1;`,
  expect: { ...OK, value: { $regex: "^(TypeError|RangeError)$" }, absent: ["out/big.txt"] },
});

add("forged-sealed-ref", {
  technique: "forging a Sealed reference ({sealedId}, Object.create(Sealed.prototype))",
  source: "security.md class 1/6 (sealed values cannot be forged)",
  ...BASE,
  policy: `${P_FS}[environment]\nlocal_only_vars = ["AWS_SECRET_ACCESS_KEY"]\n[network]\nhttp_post_allow = ["127.0.0.1"]\ndeny_ips = ["!127.0.0.0/8"]\nallow_ports = [{{CANARY_PORT}}]\n`,
  script: `const real = await env.read("AWS_SECRET_ACCESS_KEY");
const errs = [];
for (const f of [{ sealedId: 1, label: "x" }, Object.create(Sealed.prototype), Object.assign(Object.create(Object.getPrototypeOf(real)), { sealedId: 1 })]) {
  try { await net.httpPost("{{CANARY}}/", f); } catch (e) { errs.push(e.name); }
}
try { new Sealed(); } catch (e) { errs.push(e.name); }
export default errs;`,
  expect: { ...OK, value: ["TypeError", "TypeError", "TypeError", "TypeError"], noRequest: true },
});

add("fake-aegis-error", {
  technique: "throwing a lookalike AegisError to choose the run's kind",
  source: "security.md class 1",
  ...BASE,
  script: `const e = new Error("fake denial"); e.name = "AegisError"; e.kind = "success"; throw e;`,
  expect: { kind: "script_error", exit: 1 },
});

add("aegis-error-constructor", {
  technique: "constructing AegisError to fake a denial kind",
  source: "security.md class 1",
  ...BASE,
  script: `let r; try { throw new AegisError("confirm_denied", "x"); } catch (e) { r = e.name; }
export default r;`,
  expect: { ...OK, value: "TypeError" },
});

add("to-primitive-path", {
  technique: "a path object whose toString/Symbol.toPrimitive changes between check and use",
  source: "TOCTOU through coercion (CWE-367)",
  ...BASE,
  script: `let n = 0;
const p = { toString() { return ++n > 1 ? "{{OUTSIDE}}/pwned" : "out/ok.txt"; }, [Symbol.toPrimitive]() { return this.toString(); } };
let e1; try { await fs.write(p, "x"); } catch (e) { e1 = e.name; }
let e2; try { await fs.write(new String("out/s.txt"), "x"); } catch (e) { e2 = e.name; }
export default { e1, e2, n };`,
  expect: { ...OK, absent: ["{{OUTSIDE}}/pwned"], value: { n: 0 } },
});

add("path-as-array", {
  technique: "a path given as an array or number instead of a string",
  source: "type confusion in argument handling (CWE-843)",
  ...BASE,
  script: `const errs = [];
for (const p of [["{{OUTSIDE}}/pwned"], 42, null, { path: "{{OUTSIDE}}/pwned" }]) { try { await fs.write(p, "x"); errs.push("ok"); } catch (e) { errs.push(e.kind || e.name); } }
export default errs;`,
  expect: {
    ...OK,
    absent: [MARKER],
    value: ["policy_violation", "policy_violation", "policy_violation", "policy_violation"],
  },
});

add("redefine-builtins", {
  technique: "replacing or redefining the builtin objects (fs, net, sealed) before calling them",
  source: "security.md class 1",
  ...BASE,
  script: `${ATTEMPT}
const real = fs.write;
const out = {};
// Replacing the guest's own objects is harmless; the saved original must still be gated.
out.assign = await attempt(() => { fs.write = () => "fake"; });
out.define = await attempt(() => Object.defineProperty(globalThis, "fs", { value: { write: () => 1 } }));
out.proto = await attempt(() => Object.setPrototypeOf(fs, { read: () => "x" }));
out.write = await attempt(() => real(["{{OUTSIDE}}", "pwned"].join("/"), "x"));
out.writeUnbound = await attempt(() => real.call(undefined, ["{{OUTSIDE}}", "pwned"].join("/"), "x"));
export default out;`,
  expect: { ...OK, absent: [MARKER], value: { write: "policy_violation", writeUnbound: "policy_violation" } },
});

add("builtin-reflection", {
  technique: "reflecting on builtin functions (call/apply/bind with a forged this, own property names)",
  source: "HackTricks: escaping JavaScript sandboxes (function reflection)",
  ...BASE,
  script: `${ATTEMPT}
const proto = Object.getPrototypeOf(fs);
const names = Object.getOwnPropertyNames(fs.read).concat(Object.getOwnPropertyNames(fs), proto ? Object.getOwnPropertyNames(proto) : []);
const forged = { policy: { filesystem: { write_allow: ["**"] } } };
const r1 = await attempt(() => fs.write.call(forged, ["{{OUTSIDE}}", "pwned"].join("/"), "x"));
const r2 = await attempt(() => fs.write.apply(forged, [["{{OUTSIDE}}", "pwned"].join("/"), "x"]));
const r3 = await attempt(() => fs.write.bind(forged)(["{{OUTSIDE}}", "pwned"].join("/"), "x"));
export default { names: names.filter((n) => !["length", "name", "prototype", "constructor", "__proto__", "toString"].includes(n)).filter((n) => /host|native|handle|ctx|policy/i.test(n)), r1, r2, r3 };`,
  expect: {
    ...OK,
    absent: [MARKER],
    value: { names: [], r1: "policy_violation", r2: "policy_violation", r3: "policy_violation" },
  },
});

add("promise-species", {
  technique: "Promise subclass / Symbol.species and a replaced Promise.prototype.then around a call",
  source: "CVE-2023-37466 (vm2 Promise handler sanitisation bypass)",
  ...BASE,
  script: `${ATTEMPT}
const origThen = Promise.prototype.then;
Promise.prototype.then = function (a, b) { return origThen.call(this, (v) => a && a({ forged: true, v }), b); };
class P extends Promise { static get [Symbol.species]() { return Promise; } }
const r = await attempt(() => fs.write(["{{OUTSIDE}}", "pwned"].join("/"), "x"));
Promise.prototype.then = origThen;
export default { r, again: await attempt(() => fs.write(["{{OUTSIDE}}", "pwned"].join("/"), "x")) };`,
  expect: { ...OK, absent: [MARKER], value: { again: "policy_violation" } },
});

add("host-internals-by-name", {
  technique: "naming host internals (hostCall, __aegis, std/os of quickjs-libc)",
  source: "quickjs-libc std/os modules; security.md class 1",
  ...BASE,
  script: `export default ["hostCall", "hostPrint", "hostCompose", "__aegis", "__host", "std", "os", "scriptArgs", "print"].filter((n) => typeof globalThis[n] !== "undefined");`,
  expect: { ...OK, value: [] },
});

add("weakref-finalizer-late-call", {
  technique: "a FinalizationRegistry / WeakRef callback that calls a builtin after the run",
  source: "security.md class 1/2 (calls after the script returns)",
  ...BASE,
  script: `let r = "none";
try { const reg = new FinalizationRegistry(() => { fs.write("out/late.txt", "x"); }); (function () { reg.register({}, 1); })(); r = "registered"; } catch (e) { r = e.name; }
export default r;`,
  expect: { ...OK, absent: ["out/late.txt"] },
});

add("getter-on-result", {
  technique:
    "a result value with getters and a toJSON that tries to run builtins while the host serialises it",
  source: "security.md class 1 (hostile values at the boundary)",
  ...BASE,
  script: `export default { get x() { fs.write("out/getter.txt", "x"); return 1; }, toJSON() { fs.write("out/tojson.txt", "x"); return { y: 2 }; } };`,
  expect: { kind: "script_error", exit: 1, absent: ["out/getter.txt", "out/tojson.txt"] },
});

add("symbol-and-bigint-arguments", {
  technique: "Symbols, BigInts, functions and undefined inside builtin arguments",
  source: "type confusion in argument marshalling (CWE-843)",
  ...BASE,
  script: `const errs = [];
for (const a of [Symbol("x"), 10n, () => 1, { a: Symbol() }, { headers: { x: 1n } }]) { try { await fs.write("out/t.txt", a); errs.push("ok"); } catch (e) { errs.push(e.name || e.kind); } }
export default errs.filter((e) => e === "ok").length;`,
  expect: { ...OK, value: 0, absent: ["out/t.txt"] },
});

add("error-with-hostile-name", {
  technique: "an uncaught error whose name/message getters run builtins during formatting",
  source: "security.md class 1 (a throwing getter must not abort the host)",
  ...BASE,
  script: `const e = new Error("x");
Object.defineProperty(e, "message", { get() { fs.write("out/msg.txt", "x"); throw new Error("getter"); } });
Object.defineProperty(e, "name", { get() { throw new Error("name getter"); } });
throw e;`,
  expect: { kind: "script_error", exit: 1, absent: ["out/msg.txt"] },
});

add("console-hostile-object", {
  technique: "console.log of a Proxy / getter object / revoked proxy (formatting must not run traps)",
  source: "security.md class 1",
  ...BASE,
  script: `let traps = 0;
const p = new Proxy({}, { get() { traps++; return "t"; }, ownKeys() { traps++; return []; } });
const r = Proxy.revocable({}, {}); r.revoke();
console.log(p, r.proxy, { get g() { traps++; return 1; } });
export default { traps };`,
  expect: { ...OK, value: { traps: 0 } },
});

export const SANDBOX_ESCAPE = made;
