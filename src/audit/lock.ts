/**
 * A cross-process lock beside the audit log, so several writers (an MCP server, a hook, a run)
 * keep one linear chain. Node has no flock, so the lock is a file that exists while held.
 *
 * Scheme. Each lock instance owns a small "owner file" `<lock>.<pid>.<nonce>` written once with
 * `pid nonce host`. Acquiring is `link(owner, lock)`: atomic, fails with EEXIST while anyone holds
 * it, and the lock appears with its complete content (no empty-file window as with O_EXCL +
 * write), in one cheap syscall (measured ~10 µs for link + unlink, against ~45 µs for creating
 * and removing a fresh O_EXCL file). Releasing is `unlink(lock)`.
 *
 * Stale-lock takeover. A holder is dead when its pid no longer exists on this host (or is a
 * zombie), when the lock predates the last boot, or when the lock is older than STALE_AFTER_MS
 * (a holder keeps it for microseconds; this also covers pid reuse and holders on another host
 * or pid namespace, whose liveness cannot be checked). Breaking a dead lock is racy on its own:
 * two breakers that both saw the dead lock could each unlink "the lock", and the second would
 * remove the lock a third process just took. So breakers first take a guard, `<lock>.break`
 * (the same link scheme), and under it unlink the lock only if it is still the very file they
 * judged dead: same inode, same ctime (which changes on every link) and same owner nonce. Only
 * breakers unlink a lock they do not hold, and they are serialised, so a lock is removed only
 * when its holder is dead (or frozen past STALE_AFTER_MS, the one accepted risk). A guard
 * whose own holder died is broken the same way, one level deeper; past MAX_BREAK_DEPTH the
 * acquisition fails (the caller rejects: fail closed).
 */
import { randomBytes } from "node:crypto";
import {
  type BigIntStats,
  closeSync,
  constants,
  linkSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { hostname, uptime } from "node:os";
import { basename, dirname, join } from "node:path";
import { setTimeout as sleep, setImmediate as yieldToLoop } from "node:timers/promises";
import { AegisError } from "../errors.js";

export const STALE_AFTER_MS = 60_000;
const MAX_BREAK_DEPTH = 3;
const HOST = hostname();
const BOOT_MS = Date.now() - uptime() * 1000;
const OWNER_SUFFIX_RE = /^\.(\d+)\.([0-9a-f]{16})$/;

/** Owner files to remove when the process exits without `dispose()`. */
const liveOwnerFiles = new Set<string>();
let exitHookInstalled = false;

function removeOwnerFilesAtExit(): void {
  for (const f of liveOwnerFiles) tryUnlink(f);
}

interface HolderInfo {
  ino: bigint;
  ctimeNs: bigint;
  pid: number | undefined;
  nonce: string | undefined;
  host: string | undefined;
  regular: boolean;
}

export class FileLock {
  readonly lockPath: string;
  readonly #nonce = randomBytes(8).toString("hex");
  readonly #ownerPath: string;
  #ownerReady = false;
  #swept = false;

  constructor(lockPath: string) {
    this.lockPath = lockPath;
    this.#ownerPath = `${lockPath}.${process.pid}.${this.#nonce}`;
  }

  /** Resolves once held; rejects with `io_error` after `timeoutMs` or on an I/O failure. */
  async acquire(timeoutMs: number): Promise<void> {
    const deadline = monotonicMs() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      if (this.tryAcquire()) return;
      if (monotonicMs() >= deadline) {
        throw new AegisError(
          "io_error",
          `audit lock ${this.lockPath} is held by ${this.#describeHolder()} and was not released within ${timeoutMs} ms; ` +
            "the audit record was not written (remove the lock file if no aegis process is running)",
        );
      }
      if (attempt < 32) await yieldToLoop();
      else await sleep(Math.min(1 + (attempt >> 6), 4));
    }
  }

  /** One attempt; true when the lock is now held. Throws on an I/O error other than "held". */
  tryAcquire(): boolean {
    this.#ensureOwnerFile();
    if (this.#link(this.lockPath)) return true;
    return this.#breakIfDead(this.lockPath, 0) && this.#link(this.lockPath);
  }

  release(): void {
    tryUnlink(this.lockPath);
  }

  /** Removes this instance's owner file. The lock must not be held. */
  dispose(): void {
    tryUnlink(this.#ownerPath);
    liveOwnerFiles.delete(this.#ownerPath);
    this.#ownerReady = false;
  }

  #ensureOwnerFile(): void {
    if (this.#ownerReady) return;
    if (!this.#swept) {
      this.#swept = true;
      this.#sweepDeadOwnerFiles();
    }
    writeFileSync(this.#ownerPath, `${process.pid} ${this.#nonce} ${HOST}\n`, { mode: 0o600, flag: "w" });
    liveOwnerFiles.add(this.#ownerPath);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once("exit", removeOwnerFilesAtExit);
    }
    this.#ownerReady = true;
  }

  /** Links our owner file to `name`. False when `name` exists; throws on other errors. */
  #link(name: string): boolean {
    try {
      linkSync(this.#ownerPath, name);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EEXIST") return false;
      if (code === "ENOENT" && this.#ownerReady) {
        // Our owner file was removed (a sweep from another pid namespace); make a new one.
        this.#ownerReady = false;
        this.#ensureOwnerFile();
        return this.#link(name);
      }
      throw e;
    }
  }

  /**
   * Removes `name` if its holder is dead (see the file comment for why under a guard).
   * True when `name` is gone now, so an immediate retry may succeed.
   */
  #breakIfDead(name: string, depth: number): boolean {
    const seen = inspect(name);
    if (seen === undefined) return true;
    if (!this.#isDead(seen) || depth >= MAX_BREAK_DEPTH) return false;
    const guard = `${name}.break`;
    if (!this.#link(guard)) {
      this.#breakIfDead(guard, depth + 1);
      return false;
    }
    try {
      const now = inspect(name);
      if (now === undefined) return true;
      // Still the very file judged dead: same inode, same last link, same owner (the nonce
      // guards against an inode number reused within one timestamp tick).
      if (now.ino !== seen.ino || now.ctimeNs !== seen.ctimeNs || now.nonce !== seen.nonce) return false;
      unlinkSync(name);
      if (seen.host === HOST && seen.pid !== undefined && seen.nonce !== undefined) {
        tryUnlink(`${this.lockPath}.${seen.pid}.${seen.nonce}`);
      }
      return true;
    } finally {
      tryUnlink(guard);
    }
  }

  #isDead(h: HolderInfo): boolean {
    // Not a lock this scheme made (a planted symlink, junk): nobody holds it.
    if (!h.regular || h.pid === undefined) return true;
    const ctimeMs = Number(h.ctimeNs / 1_000_000n);
    if (ctimeMs < BOOT_MS || Date.now() - ctimeMs > STALE_AFTER_MS) return true;
    if (h.host !== HOST) return false;
    // Our own pid: another FileLock in this process holds it, unless it is our own leftover.
    if (h.pid === process.pid) return h.nonce === this.#nonce;
    return !pidAlive(h.pid);
  }

  #describeHolder(): string {
    const h = inspect(this.lockPath);
    if (h?.pid === undefined) return "another process";
    return h.host === HOST ? `pid ${h.pid}` : `pid ${h.pid} on ${h.host}`;
  }

  /** Owner files left by processes that died without cleanup. */
  #sweepDeadOwnerFiles(): void {
    const dir = dirname(this.lockPath);
    const prefix = basename(this.lockPath);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      if (!n.startsWith(prefix)) continue;
      const m = OWNER_SUFFIX_RE.exec(n.slice(prefix.length));
      if (!m) continue;
      const pid = Number(m[1]);
      if (pid === process.pid || pidAlive(pid)) continue;
      const h = inspect(join(dir, n));
      if (h?.host === HOST) tryUnlink(join(dir, n));
    }
  }
}

function inspect(name: string): HolderInfo | undefined {
  let st: BigIntStats;
  try {
    st = lstatSync(name, { bigint: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  const info: HolderInfo = {
    ino: st.ino,
    ctimeNs: st.ctimeNs,
    pid: undefined,
    nonce: undefined,
    host: undefined,
    regular: st.isFile(),
  };
  if (!info.regular) return info;
  let text: string;
  try {
    text = readSmall(name);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  const m = /^(\d+) ([0-9a-f]{16}) (\S+)\n$/.exec(text);
  if (m) {
    info.pid = Number(m[1]);
    info.nonce = m[2];
    info.host = m[3];
  }
  return info;
}

function readSmall(name: string): string {
  const fd = openSync(name, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const buf = Buffer.alloc(512);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.toString("utf8", 0, n);
  } finally {
    closeSync(fd);
  }
}

/** A monotonic clock without the `performance` global, whose first use loads perf_hooks. */
function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1_000_000n);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
  // A zombie has exited but still answers signal 0 until its parent reaps it.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}

function tryUnlink(name: string): void {
  try {
    unlinkSync(name);
  } catch {
    // Already gone, or not ours to remove; nothing to do.
  }
}
