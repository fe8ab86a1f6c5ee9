/** Class 2: resource exhaustion (security.md). Every limit ends the run cleanly, within bounds. */
import { caseMaker, HOME, LIMIT, OK, OUTSIDE, P_FS, PROJECT_FILES, pExec, policy, SECURE } from "./common.js";

const { add, made } = caseMaker("resource-exhaustion", "c02");

const BASE = { files: PROJECT_FILES, home: HOME, outside: OUTSIDE };
const runtime = (...lines: string[]) => `${P_FS}[runtime]\n${lines.join("\n")}\n`;
const FAST = runtime("max_seconds = 2");
const SRC = "security.md class 2 (resource exhaustion)";

add("busy-loop", {
  technique: "while(1){}",
  source: SRC,
  ...BASE,
  policy: FAST,
  script: `while (1) {}`,
  expect: { ...LIMIT, maxMs: 10000 },
});

add("busy-loop-catching", {
  technique: "an infinite loop that catches everything it can",
  source: SRC,
  ...BASE,
  policy: FAST,
  script: `for (;;) { try { for (;;) {} } catch (e) {} finally { continue; } }`,
  expect: { ...LIMIT, maxMs: 10000 },
});

add("catastrophic-regex", {
  technique: "catastrophic backtracking regex (a+)+$",
  source: "OWASP: Regular expression Denial of Service (ReDoS)",
  ...BASE,
  policy: FAST,
  script: `/(a+)+$/.test("a".repeat(40) + "b");`,
  expect: { ...LIMIT, maxMs: 10000 },
});

add("catastrophic-regex-in-builtin-arg", {
  technique: "ReDoS inside String.prototype.replace with a callback that calls a builtin",
  source: "OWASP: ReDoS",
  ...BASE,
  policy: FAST,
  script: `("a".repeat(36) + "!").replace(/^(a|a)*$/, () => { fs.write("out/redos.txt", "x"); return ""; });`,
  expect: { ...LIMIT, maxMs: 10000, absent: ["out/redos.txt"] },
});

add("string-repeat-2-28", {
  technique: "'x'.repeat(2**28)",
  source: SRC,
  ...BASE,
  script: `const s = "x".repeat(2 ** 28); export default s.length;`,
  expect: { ...LIMIT, maxMs: 20000 },
});

add("string-doubling", {
  technique: "doubling a string until memory runs out",
  source: SRC,
  ...BASE,
  script: `let s = "xxxxxxxx"; for (;;) s = s + s;`,
  expect: { kind: "script_error", exit: 1, error: { $includes: ["string too long"] }, maxMs: 20000 },
});

add("arraybuffer-flood", {
  technique: "ArrayBuffer flood, catching the allocation failures",
  source: SRC,
  ...BASE,
  policy: runtime("max_memory_mb = 64"),
  script: `const keep = []; for (;;) { try { keep.push(new ArrayBuffer(1 << 20)); } catch (e) { keep.length = 0; } }`,
  expect: { ...LIMIT, maxMs: 30000 },
});

add("object-flood", {
  technique: "an array of millions of objects",
  source: SRC,
  ...BASE,
  policy: runtime("max_memory_mb = 64"),
  script: `const keep = []; for (let i = 0; ; i++) keep.push({ i, s: "x" + i });`,
  expect: { ...LIMIT, maxMs: 30000 },
});

add("map-flood", {
  technique: "a Map grown without bound",
  source: SRC,
  ...BASE,
  policy: runtime("max_memory_mb = 64"),
  script: `const m = new Map(); for (let i = 0; ; i++) m.set(i, [i, i, i]);`,
  expect: { ...LIMIT, maxMs: 30000 },
});

add("typed-array-huge", {
  technique: "one huge typed array allocation (new Uint8Array(2**31))",
  source: SRC,
  ...BASE,
  script: `const a = new Uint8Array(2 ** 31); a[0] = 1; export default a.length;`,
  expect: { kind: "script_error", exit: 1, maxMs: 20000 },
});

add("deep-recursion", {
  technique: "unbounded recursion",
  source: "CWE-674 (uncontrolled recursion)",
  ...BASE,
  script: `function f(n) { return f(n + 1) + 1; } f(0);`,
  expect: { ...LIMIT, maxMs: 20000 },
});

add("recursion-catching-overflow", {
  technique: "recursion that catches each stack overflow and recurses again",
  source: "CWE-674; CVE-2019-10761 (vm2 escape through a caught stack overflow)",
  ...BASE,
  policy: FAST,
  script: `function f() { try { f(); } catch (e) { f(); } } f();`,
  expect: { ...LIMIT, maxMs: 15000 },
});

add("json-parse-deep", {
  technique: "JSON.parse of a million nested arrays",
  source: "security.md class 2 (deep recursion through JSON.parse)",
  ...BASE,
  script: `JSON.parse("[".repeat(1e6) + "]".repeat(1e6));`,
  expect: { ...LIMIT, maxMs: 20000 },
});

add("json-stringify-deep", {
  technique: "JSON.stringify of a value nested 100 000 deep",
  source: "security.md class 2 (deep recursion through JSON.stringify)",
  ...BASE,
  script: `let o = []; for (let i = 0; i < 1e5; i++) o = [o]; JSON.stringify(o);`,
  expect: { ...LIMIT, maxMs: 20000 },
});

add("deep-result-value", {
  technique: "a result value nested 100 000 deep (the host serialises it)",
  source: "security.md class 2",
  ...BASE,
  script: `let o = []; for (let i = 0; i < 1e5; i++) o = [o]; export default o;`,
  expect: { ...LIMIT, maxMs: 20000 },
});

add("promise-job-flood", {
  technique: "a self-perpetuating promise-job flood",
  source: SRC,
  ...BASE,
  policy: FAST,
  script: `function f() { Promise.resolve().then(f); } f(); await new Promise(() => {});`,
  expect: { ...LIMIT, maxMs: 10000 },
});

add("never-settling-await", {
  technique: "awaiting a promise that never settles",
  source: SRC,
  ...BASE,
  policy: FAST,
  script: `await new Promise(() => {});`,
  expect: { kind: "script_error", exit: 1, error: { $includes: ["nothing will settle"] }, maxMs: 10000 },
});

add("ten-thousand-host-calls", {
  technique: "10 000 concurrent host calls",
  source: SRC,
  ...BASE,
  script: `const calls = []; for (let i = 0; i < 10000; i++) calls.push(fs.exists("README.md"));
const r = await Promise.all(calls); export default r.filter(Boolean).length;`,
  expect: { ...OK, value: 10000, maxMs: 40000 },
});

add("host-call-queue-overflow", {
  technique: "30 000 concurrent host calls (past the queue): refused, not crashed",
  source: SRC,
  ...BASE,
  script: `const calls = []; for (let i = 0; i < 30000; i++) calls.push(fs.exists("README.md").then(() => "ok", (e) => e.kind));
const r = await Promise.all(calls); export default { ok: r.filter((x) => x === "ok").length > 0, limited: r.filter((x) => x === "runtime_limit").length > 0 };`,
  expect: { ...OK, value: { ok: true, limited: true }, maxMs: 40000 },
});

add("output-flood", {
  technique: "an endless console.log flood",
  source: SRC,
  ...BASE,
  policy: runtime("max_output_bytes = 65536"),
  script: `for (;;) console.log("flood flood flood flood");`,
  expect: { ...LIMIT, maxMs: 15000, output: { $includes: ["output truncated"] } },
});

add("stderr-flood", {
  technique: "an endless console.error flood with long lines",
  source: SRC,
  ...BASE,
  policy: runtime("max_output_bytes = 65536"),
  script: `const line = "e".repeat(10000); for (;;) console.error(line);`,
  expect: { ...LIMIT, maxMs: 15000 },
});

add("single-huge-print", {
  technique: "one 8 MB console.log",
  source: SRC,
  ...BASE,
  script: `console.log("y".repeat(8 * 1024 * 1024));`,
  expect: { ...LIMIT, maxMs: 20000 },
});

add("huge-result-value", {
  technique: "an 8 MB result value",
  source: SRC,
  ...BASE,
  script: `export default "z".repeat(8 * 1024 * 1024);`,
  expect: { ...LIMIT, maxMs: 20000 },
});

add("fire-and-forget-write", {
  technique: "fire-and-forget fs.write calls after the script returns",
  source: "security.md class 2 (fire-and-forget calls after the script returns)",
  ...BASE,
  script: `for (let i = 0; i < 50; i++) fs.write("out/late" + i + ".txt", "x");
export default "returned";`,
  expect: { exit: 0, absent: ["out/late49.txt"] },
});

add("fire-and-forget-exec", {
  technique: "a fire-and-forget subprocess.exec after the script returns",
  source: "security.md class 2",
  ...BASE,
  policy: pExec(),
  script: `Promise.resolve().then(() => subprocess.exec(["touch", "out/late-exec.txt"]));
setTimeout?.(() => subprocess.exec(["touch", "out/late-timer.txt"]), 0);
export default "returned";`,
  expect: { absent: ["out/late-exec.txt", "out/late-timer.txt"] },
});

add("long-native-call", {
  technique: "one long native call ('ab'.repeat(1e8).indexOf('c')) the interrupt handler cannot stop",
  source: "quickjs interrupt handler limits (spike notes in the spec README)",
  ...BASE,
  policy: runtime("max_seconds = 2", "max_memory_mb = 512"),
  script: `for (;;) "ab".repeat(1e8).indexOf("c");`,
  expect: { ...LIMIT, maxMs: 15000 },
});

add("atomics-wait", {
  technique: "Atomics.wait on a SharedArrayBuffer (blocks the thread natively; absent in the guest)",
  source: "MDN: Atomics.wait; security.md class 2",
  ...BASE,
  policy: FAST,
  script: `const a = new Int32Array(new SharedArrayBuffer(4)); Atomics.wait(a, 0, 0);`,
  expect: { kind: "script_error", exit: 1, maxMs: 10000 },
});

add("bigint-exponent", {
  technique: "10n ** 10000000n (a huge BigInt computation)",
  source: SRC,
  ...BASE,
  policy: runtime("max_seconds = 2"),
  script: `const x = 10n ** 10000000n; export default String(x).length;`,
  expect: { kind: "script_error", exit: 1, maxMs: 15000 },
});

add("calls-per-capability", {
  technique: "more calls than runtime.max_calls_per_capability",
  source: SRC,
  ...BASE,
  policy: runtime("[runtime.max_calls_per_capability]", '"fs.write" = 3'),
  script: `for (let i = 0; i < 10; i++) await fs.write("out/n" + i + ".txt", "x");`,
  expect: { ...LIMIT, files: { "out/n2.txt": "x" }, absent: ["out/n3.txt", "out/n9.txt"] },
});

add("total-calls", {
  technique: "more calls than runtime.max_total_calls",
  source: SRC,
  ...BASE,
  policy: runtime("max_total_calls = 5"),
  script: `for (let i = 0; i < 10; i++) await fs.write("out/t" + i + ".txt", "x");`,
  expect: { ...LIMIT, absent: ["out/t5.txt", "out/t9.txt"] },
});

add("subprocess-outlives-deadline", {
  technique: "a subprocess that sleeps past the run's deadline",
  source: SRC,
  ...BASE,
  policy: pExec(["[runtime]", "max_seconds = 2"]),
  script: `await subprocess.exec(["sleep", "60"]);`,
  expect: { ...LIMIT, maxMs: 15000 },
});

add("subprocess-output-flood", {
  technique: "a subprocess that prints forever (yes)",
  source: SRC,
  ...BASE,
  policy: pExec(["[runtime]", "max_output_bytes = 1048576"]),
  script: `await subprocess.exec(["yes"]);`,
  expect: { ...LIMIT, maxMs: 20000 },
});

add("subprocess-stdin-huge", {
  technique: "30 MB of stdin to a subprocess that never reads it",
  source: SRC,
  ...BASE,
  policy: pExec(["[runtime]", "max_seconds = 5", "max_memory_mb = 512"]),
  script: `const r = await subprocess.exec(["sleep", "1"], { stdin: "x".repeat(30 * 1024 * 1024) }); export default r.code;`,
  expect: { ...OK, value: 0, maxMs: 20000 },
});

add("many-subprocesses", {
  technique: "200 concurrent subprocesses",
  source: "fork bomb (CWE-400) through the builtin",
  ...BASE,
  policy: pExec(["[runtime]", "max_seconds = 20"]),
  script: `const all = []; for (let i = 0; i < 200; i++) all.push(subprocess.exec(["sleep", "0.2"]).then((r) => r.code, (e) => e.kind));
const r = await Promise.all(all); export default r.filter((c) => c === 0).length;`,
  expect: { ...OK, value: 200, maxMs: 40000 },
});

add("http-response-too-large", {
  technique: "an HTTP answer larger than network.max_response_bytes",
  source: SRC,
  ...BASE,
  policy: policy(
    SECURE,
    "[network]",
    'http_get_allow = ["127.0.0.3"]',
    'deny_ips = ["!127.0.0.0/8"]',
    "allow_ports = [{{API_PORT}}]",
    "max_response_bytes = 1024",
  ),
  serve: { "/big": { body: "b".repeat(8192) } },
  script: `await net.httpGet("{{API}}/big");`,
  expect: { ...LIMIT },
});

add("http-slow-answer", {
  technique: "an HTTP server that never answers (network.timeout_seconds)",
  source: SRC,
  ...BASE,
  policy: policy(
    SECURE,
    "[network]",
    'http_get_allow = ["127.0.0.3"]',
    'deny_ips = ["!127.0.0.0/8"]',
    "allow_ports = [{{API_PORT}}]",
    "timeout_seconds = 1",
  ),
  serve: { "/slow": { body: "late", delayMs: 20000 } },
  script: `let r; try { await net.httpGet("{{API}}/slow"); r = "answered"; } catch (e) { r = e.kind; }
export default r;`,
  expect: { ...OK, value: { $regex: "^(runtime_limit|io_error)$" }, maxMs: 15000 },
});

add("sort-comparator-hostile", {
  technique: "Array.prototype.sort with an inconsistent, builtin-calling comparator on a large array",
  source: SRC,
  ...BASE,
  policy: FAST,
  script: `const a = Array.from({ length: 2e6 }, (_, i) => i);
a.sort(() => { fs.exists("README.md"); return Math.random() - 0.5; });`,
  expect: { exit: 6, maxMs: 20000 },
});

add("fifo-read", {
  technique: "fs.read of a named pipe nobody writes to (the open blocks)",
  source: "fifo(7): opening a FIFO for reading blocks until a writer opens it; CWE-400",
  ...BASE,
  policy: runtime("max_seconds = 3"),
  fifos: ["src/pipe"],
  script: `console.log(await fs.read("src/pipe"));`,
  // Refused before the open (not a regular file): no wait for the deadline.
  expect: { kind: "io_error", exit: 5, maxMs: 10000 },
});

add("fifo-write", {
  technique: "fs.write to a named pipe nobody reads (the open blocks)",
  source: "fifo(7); CWE-400",
  ...BASE,
  policy: runtime("max_seconds = 3"),
  fifos: ["out/pipe"],
  script: `await fs.write("out/pipe", "x");`,
  expect: { kind: "io_error", exit: 5, maxMs: 10000 },
});

add("next-run-after-limit", {
  technique: "a run that hits the memory cap leaves nothing behind: the process exits cleanly",
  source: "script-api.md Limits (no breach may affect the next run)",
  ...BASE,
  script: `const keep = []; for (;;) keep.push("x".repeat(1 << 20));`,
  expect: { ...LIMIT, maxMs: 30000 },
});

export const RESOURCE_EXHAUSTION = made;
