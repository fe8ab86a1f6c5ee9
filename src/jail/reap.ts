/**
 * Waiting until what a subprocess started is really gone, so that a call returns only
 * after its processes are dead (spawn.ts). SIGKILL is asynchronous: a killed process runs
 * until the kernel schedules its exit. Linux only (/proc), like the jail.
 *
 * The jail needs more than its process group: bwrap's `--new-session` puts the jail's
 * PID 1 (and the command under it) in a session of its own, outside the group of the
 * bwrap process spawn.ts started and kills. It dies with bwrap (`--die-with-parent`),
 * later. When the jail's PID 1 has exited, the kernel has already killed and reaped every
 * other process in its PID namespace, so waiting for it is waiting for the whole jail.
 */
import { readdirSync, readFileSync } from "node:fs";

/** A process as /proc shows it: enough to tell it from a later process with its PID. */
export interface ProcessId {
  pid: number;
  startTime: string;
}

interface Stat {
  state: string;
  ppid: number;
  pgrp: number;
  startTime: string;
}

function readStat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: parse after the last ")".
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return {
      state: fields[0] ?? "",
      ppid: Number(fields[1]),
      pgrp: Number(fields[2]),
      startTime: fields[19] ?? "",
    };
  } catch {
    return undefined;
  }
}

/** Running (not gone, not a zombie) and still the same process. */
function running(p: ProcessId): boolean {
  const st = readStat(p.pid);
  return st !== undefined && st.startTime === p.startTime && st.state !== "Z" && st.state !== "X";
}

/**
 * The jail's PID 1 from what bwrap wrote on `--info-fd` (`{"child-pid": N, …}`), checked
 * to be a child of the bwrap process right now; undefined otherwise.
 */
export function jailInitFromInfo(info: string, bwrapPid: number | undefined): ProcessId | undefined {
  let pid: unknown;
  try {
    pid = (JSON.parse(info) as { "child-pid"?: unknown })["child-pid"];
  } catch {
    return undefined;
  }
  if (typeof pid !== "number" || !Number.isSafeInteger(pid) || pid <= 1 || bwrapPid === undefined)
    return undefined;
  const st = readStat(pid);
  return st && st.ppid === bwrapPid ? { pid, startTime: st.startTime } : undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The pause before look number `i` again. A killed jail is usually gone within a fraction of a
 * millisecond, and every jailed call waits for it: a fixed 5 ms pause added about 2 ms to the
 * median call (it was hit in a third to a half of them). So the first looks only yield to the
 * event loop, the next few wait 1 ms, and only then 5 ms.
 */
function pause(i: number): Promise<unknown> {
  if (i < 4) return new Promise((r) => setImmediate(r));
  return sleep(i < 10 ? 1 : 5);
}

/** Kills the jail's session and waits (at most `withinMs`) until its PID 1 has exited. */
export async function endJail(init: ProcessId, withinMs: number): Promise<boolean> {
  if (running(init)) {
    // Its session's group (the PID 1 and the command), then the PID 1 itself; each only
    // after checking the PID still names that process.
    for (const target of [-init.pid, init.pid]) {
      try {
        if (running(init)) process.kill(target, "SIGKILL");
      } catch {
        // ESRCH: already gone.
      }
    }
  }
  const end = Date.now() + withinMs;
  for (let i = 0; running(init); i++) {
    if (Date.now() > end) return false;
    await pause(i);
  }
  return true;
}

/** Waits (at most `withinMs`) until no running process is left in process group `pgid`. */
export async function groupGone(pgid: number, withinMs: number): Promise<boolean> {
  const end = Date.now() + withinMs;
  for (let i = 0; ; i++) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return true; // ESRCH: nothing in the group, not even a zombie.
    }
    // Members are left (zombies count for kill): look for one that still runs.
    if (!runningInGroup(pgid)) return true;
    if (Date.now() > end) return false;
    await pause(i);
  }
}

function runningInGroup(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return false;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const st = readStat(Number(entry));
    if (st && st.pgrp === pgid && st.state !== "Z" && st.state !== "X") return true;
  }
  return false;
}
