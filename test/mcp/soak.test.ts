// Soak: one aegis-mcp process serves 2 000 sequential aegis_run calls with 200 hostile ones
// mixed in. The server stays up, every hostile call ends with its own error kind, every
// benign call still gets the right answer, and the server's memory does not creep.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import {
  auditRecords,
  childEnv,
  isAlive,
  mcpProject,
  REPO_ROOT,
  type RunKindName,
  runOf,
  runProcess,
  startAegis,
  textOf,
  vmRssKb,
} from "../helpers/mcp.js";

const TOTAL = 2000;
const HOSTILE_EVERY = 10;
/** RSS may grow by at most this much between call 200 and call 2 000. */
const MAX_RSS_GROWTH_KB = 150 * 1024;

const POLICY = `
inherits = "secure-defaults"
[filesystem]
read_allow = ["src/**"]
[runtime]
max_seconds = 5
max_output_bytes = 32768
`;

interface Call {
  script: string;
  timeout_seconds?: number;
}

interface Hostile {
  name: string;
  count: number;
  kind: RunKindName;
  call: Call;
}

// 200 in all: mostly cheap ones; a few stack overflows and timeouts, which cost more.
const HOSTILE: Hostile[] = [
  {
    name: "denied read",
    count: 60,
    kind: "policy_violation",
    call: { script: 'export default await fs.read(["", "etc", "hostname"].join("/"));' },
  },
  { name: "throw", count: 50, kind: "script_error", call: { script: 'throw new Error("hostile");' } },
  {
    name: "verifier: import",
    count: 20,
    kind: "verifier_rejection",
    call: { script: 'import cp from "node:child_process";\nexport default 1;' },
  },
  {
    name: "verifier: ungranted capability",
    count: 20,
    kind: "verifier_rejection",
    call: { script: 'export default await net.httpGet("https://example.com/");' },
  },
  {
    name: "output flood",
    count: 32,
    kind: "runtime_limit",
    call: { script: "for (;;) console.log('w'.repeat(512));" },
  },
  {
    name: "stack overflow",
    count: 10,
    kind: "runtime_limit",
    call: { script: "function f(n) { return f(n + 1) + 1; }\nf(0);" },
  },
  {
    name: "timeout",
    count: 8,
    kind: "runtime_limit",
    call: { script: "while (true) {}", timeout_seconds: 1 },
  },
];

/** The hostile calls in a fixed, interleaved order (each kind spread over the run). */
function hostileSchedule(): Hostile[] {
  const slots: Array<{ at: number; h: Hostile }> = [];
  for (const h of HOSTILE) {
    for (let i = 0; i < h.count; i++) slots.push({ at: (i + 0.5) / h.count, h });
  }
  return slots.sort((a, b) => a.at - b.at).map((s) => s.h);
}

/** Benign calls, with the value each must return. */
function benign(i: number): { call: Call; expect: unknown } {
  switch (i % 4) {
    case 0:
      return { call: { script: `export default ${i} * 3;` }, expect: i * 3 };
    case 1:
      return {
        call: { script: 'const t = await fs.read("src/data.txt"); export default t.length;' },
        expect: 11,
      };
    case 2:
      return {
        call: { script: `console.log("call ${i}"); export default await fs.exists("src/data.txt");` },
        expect: true,
      };
    default:
      return {
        call: { script: 'const l = await fs.list("src"); export default l.map((e) => e.name).sort();' },
        expect: ["data.txt"],
      };
  }
}

test("2 000 sequential aegis_run calls with 200 hostile ones: the server stays up and bounded", {
  timeout: 300_000,
}, async (t) => {
  const project = mcpProject(POLICY, { "src/data.txt": "hello world" });
  t.after(() => project.remove());
  const aegis = await startAegis(project);
  t.after(() => aegis.close());

  const schedule = hostileSchedule();
  assert.equal(schedule.length, TOTAL / HOSTILE_EVERY);
  const seen = new Map<string, number>();
  const started = performance.now();
  let rssAt200 = 0;
  let peak = 0;

  for (let i = 0; i < TOTAL; i++) {
    if (i % HOSTILE_EVERY === HOSTILE_EVERY - 1) {
      const h = schedule[Math.floor(i / HOSTILE_EVERY)]!;
      const r = await aegis.call("aegis_run", { ...h.call });
      const run = runOf(r);
      assert.equal(run.kind, h.kind, `call ${i} (${h.name}): ${textOf(r).slice(0, 300)}`);
      assert.equal(r.isError, true);
      seen.set(h.name, (seen.get(h.name) ?? 0) + 1);
    } else {
      const b = benign(i);
      const r = await aegis.call("aegis_run", { ...b.call });
      const run = runOf(r);
      assert.equal(run.kind, "success", `call ${i}: ${textOf(r).slice(0, 300)}`);
      assert.deepEqual(run.value, b.expect, `call ${i}`);
    }
    if (i % 100 === 99) peak = Math.max(peak, vmRssKb(aegis.pid));
    if (i === 199) rssAt200 = vmRssKb(aegis.pid);
  }
  const rssAtEnd = vmRssKb(aegis.pid);
  const seconds = (performance.now() - started) / 1000;

  console.log(
    `soak: ${TOTAL} calls in ${seconds.toFixed(1)} s; server RSS after 200 calls ${(rssAt200 / 1024).toFixed(1)} MB, ` +
      `at the end ${(rssAtEnd / 1024).toFixed(1)} MB (growth ${((rssAtEnd - rssAt200) / 1024).toFixed(1)} MB), ` +
      `peak sampled ${(peak / 1024).toFixed(1)} MB`,
  );
  console.log(`soak: hostile calls by kind: ${JSON.stringify(Object.fromEntries(seen))}`);

  assert.ok(isAlive(aegis.pid), "the server process died");
  for (const h of HOSTILE) assert.equal(seen.get(h.name), h.count, h.name);
  assert.ok(
    rssAtEnd - rssAt200 < MAX_RSS_GROWTH_KB,
    `RSS grew by ${((rssAtEnd - rssAt200) / 1024).toFixed(1)} MB over ${TOTAL - 200} calls`,
  );
  const final = await aegis.call("aegis_run", { script: "export default 'still here';" });
  assert.equal(runOf(final).value, "still here");

  // Every gated call of the soak is in the audit log, and the chain still verifies.
  const records = auditRecords(project.auditLog);
  const deniedReads = records.filter((r) => r.cap === "fs.read" && r.status === "denied").length;
  assert.equal(deniedReads, HOSTILE.find((h) => h.name === "denied read")?.count);
  const verify = await runProcess(
    process.execPath,
    [join(REPO_ROOT, "dist", "aegis.js"), "audit", "verify", project.auditLog],
    {
      cwd: project.root,
      env: childEnv(project.home),
    },
  );
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  assert.match(verify.stdout, new RegExp(`OK: ${records.length} records`));
});
