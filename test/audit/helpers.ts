/** Shared by the audit tests: temp dirs, entries, and running fixture scripts as real processes. */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AuditEntry } from "../../src/host/builtin-types.js";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));

export function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "aegis-audit-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function entry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    run: "r-test",
    source: "run",
    cap: "fs.read",
    target: "/work/p/file.txt",
    decision: "allow",
    rule: 'filesystem.read "**"',
    status: "allowed",
    detail: { phase: "decision" },
    ...overrides,
  };
}

export function readLines(path: string): string[] {
  const text = readFileSync(path, "utf8");
  return text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
}

/**
 * SHA-256 of the last line's bytes, without its newline (64 zeros for an empty file): what verify
 * reports as lastHash. Reads only the tail, so it is cheap on the scale tests' large logs.
 */
export function lastLineHash(path: string): string {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return "0".repeat(64);
    const tail = Buffer.alloc(Math.min(size, 4 * 1024 * 1024));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    const body = tail.at(-1) === 0x0a ? tail.subarray(0, -1) : tail;
    return createHash("sha256")
      .update(body.subarray(body.lastIndexOf(0x0a) + 1))
      .digest("hex");
  } finally {
    closeSync(fd);
  }
}

/** Starts `node --import tsx test/audit/fixtures/<name>` with `args`. */
export function spawnFixture(name: string, args: string[], nodeFlags: string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeFlags, "--import", "tsx", join(FIXTURES, name), ...args], {
    cwd: REPO_ROOT,
    stdio: ["pipe", "pipe", "pipe"],
  });
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function finished(child: ChildProcess): Promise<Finished> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Resolves once the child has printed `marker` on stdout. */
export function printed(child: ChildProcess, marker: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const onData = (d: Buffer): void => {
      seen += d.toString();
      if (seen.includes(marker)) {
        child.stdout?.off("data", onData);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.on("exit", (code) => reject(new Error(`fixture exited (${code}) before printing ${marker}`)));
  });
}
