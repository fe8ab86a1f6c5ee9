import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { AegisError } from "../../src/errors.js";
import { type ProcessRequest, runProcess } from "../../src/jail/spawn.js";
import { dead, gone, processState } from "./processes.js";

const dir = mkdtempSync(join(tmpdir(), "aegis-spawn-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const sh = (script: string, extra: Partial<ProcessRequest> = {}): ProcessRequest => ({
  file: "/bin/sh",
  args: ["-c", script],
  cwd: dir,
  env: { PATH: "/usr/bin:/bin" },
  timeoutMs: 10_000,
  maxOutputBytes: 1 << 20,
  display: "test",
  ...extra,
});

async function rejection(p: Promise<unknown>): Promise<AegisError> {
  const e = await p.then(
    () => assert.fail("expected a rejection"),
    (x: unknown) => x,
  );
  assert.ok(e instanceof AegisError, String(e));
  return e;
}

describe("runProcess", () => {
  it("returns a non-zero exit as a result with both streams", async () => {
    const r = await runProcess(sh("echo out; echo err >&2; exit 3"));
    assert.deepEqual(r, { code: 3, signal: null, stdout: "out\n", stderr: "err\n" });
  });

  it("reports a signal death as code null with the signal", async () => {
    const r = await runProcess(sh("kill -SEGV $$"));
    assert.equal(r.code, null);
    assert.equal(r.signal, "SIGSEGV");
  });

  it("feeds stdin and closes it", async () => {
    const r = await runProcess({ ...sh(""), file: "/bin/cat", args: [], stdin: "abc\n" });
    assert.equal(r.stdout, "abc\n");
  });

  it("passes exactly the environment it is given", async () => {
    const r = await runProcess({ ...sh(""), file: "/usr/bin/env", args: [], env: { ONLY: "this" } });
    assert.equal(r.stdout, "ONLY=this\n");
  });

  it("kills the whole process group on timeout: the background grandchild is gone too", async () => {
    const pidFile = join(dir, "timeout.pid");
    const t0 = performance.now();
    const e = await rejection(runProcess(sh(`sleep 100 & echo $! > ${pidFile}; wait`, { timeoutMs: 400 })));
    assert.equal(e.kind, "runtime_limit");
    assert.match(e.message, /did not finish within 0\.4 s/);
    assert.ok(performance.now() - t0 < 2_000);
    const grandchild = Number(readFileSync(pidFile, "utf8"));
    assert.ok(dead(grandchild), `grandchild ${grandchild} is still running`);
    assert.ok(
      await gone(grandchild),
      `grandchild ${grandchild} still exists (state ${processState(grandchild)})`,
    );
  });

  it("kills what the child left running in its group when it exits normally", async () => {
    const r = await runProcess(sh("sleep 100 & echo $!"));
    assert.equal(r.code, 0);
    const grandchild = Number(r.stdout.trim());
    assert.ok(dead(grandchild), `grandchild ${grandchild} is still running`);
    assert.ok(
      await gone(grandchild),
      `grandchild ${grandchild} still exists (state ${processState(grandchild)})`,
    );
  });

  it("kills the group when the run's signal aborts", async () => {
    const pidFile = join(dir, "abort.pid");
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const e = await rejection(
      runProcess(sh(`sleep 100 & echo $! > ${pidFile}; wait`, { signal: ac.signal })),
    );
    assert.equal(e.kind, "runtime_limit");
    assert.match(e.message, /run ended/);
    const grandchild = Number(readFileSync(pidFile, "utf8"));
    assert.ok(dead(grandchild));
    assert.ok(await gone(grandchild));
  });

  it("does not start once the run's signal has fired", async () => {
    const ac = new AbortController();
    ac.abort();
    const marker = join(dir, "never");
    const e = await rejection(runProcess(sh(`touch ${marker}`, { signal: ac.signal })));
    assert.equal(e.kind, "runtime_limit");
    assert.throws(() => readFileSync(marker));
  });

  it("stops a flood of output at max_output_bytes and kills the producer", async () => {
    const t0 = performance.now();
    const e = await rejection(
      runProcess({ ...sh(""), file: "/usr/bin/yes", args: [], maxOutputBytes: 64 * 1024 }),
    );
    assert.equal(e.kind, "runtime_limit");
    assert.match(e.message, /stdout passed 65536 bytes/);
    assert.ok(performance.now() - t0 < 2_000);
  });

  it("does not hang when a process that left the group holds the output pipe", async () => {
    const t0 = performance.now();
    const r = await runProcess(sh("setsid sleep 3 & echo started"));
    assert.equal(r.code, 0);
    assert.ok(performance.now() - t0 < 1_500, "returned soon after the child exited");
  });

  it("reports a program that cannot start as io_error", async () => {
    const e = await rejection(runProcess({ ...sh(""), file: join(dir, "missing"), args: [] }));
    assert.equal(e.kind, "io_error");
    assert.match(e.message, /ENOENT/);
  });
});
