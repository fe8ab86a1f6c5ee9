// The main-thread Sandbox around the worker: host-side termination of a run stuck in one
// native call, child process groups killed with the worker, confirmation on the main
// thread, the real builtins and audit log wired in the worker, and long-run stability.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Sandbox } from "../../src/host/sandbox.js";
import { fixtureSandbox } from "./engine/sandbox-fixture.js";

/** Minutes inside one native call (about 2e10 character comparisons); never interrupted. */
const ONE_LONG_NATIVE_CALL = `"a".repeat(1e6).indexOf("a".repeat(2e4) + "b");`;

const ROOMY_POLICY = `
[runtime]
max_seconds = 5
max_memory_mb = 256
`;

/** Running (a killed child whose thread is gone stays a zombie until the process exits). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

describe("Sandbox (worker)", () => {
  test("a long native call (a quadratic String.prototype.indexOf) past a 1 s limit terminates the worker; the next run works", async () => {
    const fx = await fixtureSandbox({ policy: ROOMY_POLICY });
    try {
      const started = performance.now();
      // One native call: a naive substring search of a 20,001-character needle that almost
      // matches at each of a million positions runs for minutes on any machine, and the
      // interrupt handler is never consulted inside it, so only the host timer can stop it.
      const r = await fx.sandbox.run(`${ONE_LONG_NATIVE_CALL} export default 1;`, {
        timeoutSeconds: 1,
      });
      assert.equal(r.kind, "runtime_limit");
      assert.match(r.error?.message ?? "", /inside a single native operation; the sandbox was restarted/);
      assert.ok(performance.now() - started < 4000, `took ${performance.now() - started} ms`);
      assert.equal(fx.sandbox.restarts, 1);
      const next = await fx.sandbox.run(`export default await test.echo("after restart");`);
      assert.equal(next.kind, "success", JSON.stringify(next.error));
      assert.equal(next.value, "after restart");
      // The brief's single call: whichever of the two timers wins, the run is a runtime limit.
      const single = await fx.sandbox.run(`export default "ab".repeat(5e7).indexOf("c");`, {
        timeoutSeconds: 0.2,
      });
      assert.equal(single.kind, "runtime_limit");
      assert.equal((await fx.sandbox.run(`export default 3;`)).value, 3);
    } finally {
      await fx.dispose();
    }
  });

  test("process groups a builtin started die with a terminated worker", async () => {
    const fx = await fixtureSandbox({ policy: ROOMY_POLICY });
    try {
      const spawned = await fx.sandbox.run(`export default await test.spawn();`);
      assert.equal(spawned.kind, "success", JSON.stringify(spawned.error));
      const pid = spawned.value as number;
      assert.ok(alive(pid), "the child runs after its run returned");
      const stuck = await fx.sandbox.run(ONE_LONG_NATIVE_CALL, {
        timeoutSeconds: 0.5,
      });
      assert.equal(stuck.kind, "runtime_limit");
      assert.ok(await waitFor(() => !alive(pid), 2000), "the child was killed with the worker");
    } finally {
      await fx.dispose();
    }
  });

  test("confirmation requests go to the main thread; a throwing confirm declines", async () => {
    let answer: boolean | "throw" = true;
    const fx = await fixtureSandbox({
      confirm: async () => {
        if (answer === "throw") throw new Error("tty gone");
        return answer;
      },
    });
    try {
      const yes = await fx.sandbox.run(`export default await test.confirm("rm -rf build");`);
      assert.equal(yes.value, true);
      answer = false;
      assert.equal((await fx.sandbox.run(`export default await test.confirm("x");`)).value, false);
      answer = "throw";
      assert.equal((await fx.sandbox.run(`export default await test.confirm("y");`)).value, false);
      assert.deepEqual(
        fx.confirmations.map((c) => c.target),
        ["rm -rf build", "x", "y"],
      );
    } finally {
      await fx.dispose();
    }
  });

  test("nothing the worker prints reaches the host's stdout", async () => {
    const fx = await fixtureSandbox();
    const writes: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      writes.push(String(chunk));
      return original(chunk, ...rest);
    }) as typeof process.stdout.write;
    try {
      const r = await fx.sandbox.run(`await test.stdout(); console.log("guest line");`);
      assert.equal(r.output, "guest line\n");
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      process.stdout.write = original;
      await fx.dispose();
    }
    assert.ok(!writes.some((w) => /marker|guest line/.test(w)), writes.join(""));
  });

  test("an invalid policy makes create() fail with config_error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aegis-badpolicy-"));
    try {
      writeFileSync(join(dir, "aegis.toml"), '[runtime]\nmax_seconds = "soon"\n');
      await assert.rejects(
        Sandbox.create({
          policyFile: join(dir, "aegis.toml"),
          cwd: dir,
          home: dir,
          auditLog: join(dir, "audit.jsonl"),
          source: "run",
          confirm: async () => false,
        }),
        (e: Error & { kind?: string }) => e.kind === "config_error",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the real builtins, verifier and audit log run in the worker", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aegis-real-"));
    mkdirSync(join(dir, "data"));
    writeFileSync(join(dir, "data", "hello.txt"), "hello from disk");
    writeFileSync(
      join(dir, "aegis.toml"),
      `[filesystem]\nread_allow = ["data/**"]\n\n[runtime]\nmax_seconds = 5\n`,
    );
    const sandbox = await Sandbox.create({
      policyFile: join(dir, "aegis.toml"),
      cwd: dir,
      home: dir,
      auditLog: join(dir, "audit.jsonl"),
      source: "run",
      env: {},
      confirm: async () => false,
    });
    try {
      const ok = await sandbox.run(`export default await fs.read("data/hello.txt");`);
      assert.equal(ok.kind, "success", JSON.stringify(ok.error));
      assert.equal(ok.value, "hello from disk");
      assert.equal(ok.calls.length, 1);
      assert.equal(ok.calls[0]?.decision, "allow");
      const denied = await sandbox.run(`const p = "aegis" + ".toml"; export default await fs.read(p);`);
      assert.equal(denied.kind, "policy_violation", JSON.stringify(denied));
      const rejected = await sandbox.run(`await net.httpGet("https://example.com/");`);
      assert.equal(rejected.kind, "verifier_rejection");
    } finally {
      await sandbox.close();
    }
    const audit = readFileSync(join(dir, "audit.jsonl"), "utf8").trim().split("\n");
    assert.ok(audit.length >= 2, "decision and outcome records were written");
    rmSync(dir, { recursive: true, force: true });
  });

  test("after 1 000 runs (200 hostile) a trivial run works and RSS has not grown more than 10% over the first 100", async () => {
    const fx = await fixtureSandbox({
      policy: `[filesystem]\nwrite_allow = ["out/**"]\n\n[runtime]\nmax_seconds = 10\nmax_memory_mb = 64\nmax_output_bytes = 65536\n`,
    });
    try {
      const hostile = [
        `while (1) {}`,
        `const s = "x".repeat(2 ** 28);`,
        `function f() { return f() + 1; } f();`,
        `JSON.parse("[".repeat(1e6));`,
        `for (;;) console.log("flood");`,
        `const a = []; for (;;) a.push(new ArrayBuffer(1 << 20));`,
      ];
      /** RSS with the worker's garbage collected: what the runs left behind there. */
      const settledRss = async (): Promise<number> => {
        await fx.sandbox.run(`await test.collectSoon();`);
        await new Promise((r) => setTimeout(r, 200));
        return process.memoryUsage().rss;
      };
      let rssAt100 = 0;
      for (let i = 0; i < 1000; i++) {
        const isHostile = i % 5 === 0;
        const script = isHostile
          ? hostile[(i / 5) % hostile.length]!
          : `const r = await test.echo({ i: ${i}, s: "x".repeat(1000) }); console.log(r.i); export default r.i;`;
        const r = await fx.sandbox.run(script, { timeoutSeconds: isHostile ? 0.1 : 10 });
        if (isHostile) assert.equal(r.kind, "runtime_limit", `${script}: ${JSON.stringify(r.error)}`);
        else assert.equal(r.value, i);
        if (i === 99) rssAt100 = await settledRss();
      }
      const rssEnd = await settledRss();
      const last = await fx.sandbox.run(`export default "still works";`);
      assert.equal(last.value, "still works");
      const growth = (rssEnd - rssAt100) / rssAt100;
      console.error(
        `[sandbox-worker] rss after 100 runs ${(rssAt100 / 2 ** 20).toFixed(1)} MiB, after 1000 ${(rssEnd / 2 ** 20).toFixed(1)} MiB (${(growth * 100).toFixed(1)}%)`,
      );
      assert.ok(growth < 0.1, `rss grew by ${(growth * 100).toFixed(1)}% over the first 100 runs`);
    } finally {
      await fx.dispose();
    }
  });

  test("a closed Sandbox refuses further runs", async () => {
    const fx = await fixtureSandbox();
    await fx.dispose();
    await assert.rejects(fx.sandbox.run(`export default 1;`), /closed/);
  });
});
