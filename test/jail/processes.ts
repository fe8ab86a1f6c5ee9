/** Helpers to check that processes a test started are really gone (not even zombies). */
import { readdirSync, readFileSync } from "node:fs";

/** State letter from /proc/PID/stat, or null when the PID no longer exists. */
export function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    return null;
  }
}

/** Not running: already reaped, or a zombie waiting for init to reap it. */
export function dead(pid: number): boolean {
  const state = processState(pid);
  return state === null || state === "Z";
}

/**
 * Waits until the PID is gone entirely. An orphan is reaped by init, not by us; some
 * inits (this CI's PID 1 among them) reap only every second or so.
 */
export async function gone(pid: number, withinMs = 5_000): Promise<boolean> {
  const end = Date.now() + withinMs;
  while (Date.now() < end) {
    if (processState(pid) === null) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return processState(pid) === null;
}

/** PIDs (host view) whose command line is exactly `argv`. */
export function pidsRunning(argv: string[]): number[] {
  const want = `${argv.join("\0")}\0`;
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8") === want) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}
