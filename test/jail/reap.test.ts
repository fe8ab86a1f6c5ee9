/**
 * The helpers that make a call wait until what it started is dead: the jail's PID 1 as
 * bwrap reports it (trusted only while it is bwrap's child), and a process group emptied.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { groupGone, jailInitFromInfo } from "../../src/jail/reap.js";
import { dead } from "./processes.js";

describe("reap helpers", () => {
  it("trusts a child-pid only while it is a child of the given bwrap process", async () => {
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      const info = JSON.stringify({ "child-pid": child.pid, "pid-namespace": 1 });
      const mine = jailInitFromInfo(info, process.pid);
      assert.equal(mine?.pid, child.pid);
      assert.match(mine?.startTime ?? "", /^\d+$/);
      // A forged or stale report naming someone else's process is ignored.
      assert.equal(jailInitFromInfo(info, child.pid), undefined);
      assert.equal(jailInitFromInfo(JSON.stringify({ "child-pid": 1 }), 0), undefined);
      assert.equal(jailInitFromInfo("not json", process.pid), undefined);
      assert.equal(jailInitFromInfo(JSON.stringify({ "child-pid": "1" }), process.pid), undefined);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("waits until a killed process group has nothing running", async () => {
    const child = spawn("sh", ["-c", "sleep 31 & sleep 32 & wait"], { stdio: "ignore", detached: true });
    await new Promise((r) => setTimeout(r, 200));
    const pgid = child.pid!;
    assert.equal(await groupGone(pgid, 50), false, "the group is running");
    process.kill(-pgid, "SIGKILL");
    assert.equal(await groupGone(pgid, 5_000), true);
    assert.ok(dead(pgid));
  });
});
