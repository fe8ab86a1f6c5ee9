/**
 * A fresh temporary project for one case: `base/project` (policy root and working
 * directory), `base/home` (the run's HOME) and `base/outside` (canary files nobody may
 * touch), with the case's files, links, git history and placeholders filled in.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import type { EvalCase } from "./schema.js";

export interface Project {
  base: string;
  root: string;
  home: string;
  outside: string;
  vars: Record<string, string>;
  /** A project path from a case: relative to the root, `~/…` in HOME, or absolute (inside base). */
  place(key: string): string;
  cleanup(): void;
}

export function fill(text: string, vars: Record<string, string>): string {
  return text.replace(/\{\{([A-Z_]+)\}\}/g, (m, name: string) => vars[name] ?? m);
}

export function fillDeep<T>(value: T, vars: Record<string, string>): T {
  if (typeof value === "string") return fill(value, vars) as T;
  if (Array.isArray(value)) return value.map((v) => fillDeep(v, vars)) as T;
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[fill(k, vars)] = fillDeep(v, vars);
    return out as T;
  }
  return value;
}

export interface Ports {
  canary: number;
  api: number;
}

function write(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

export function git(cwd: string, args: string[]): void {
  execFileSync("git", ["-c", "user.name=eval", "-c", "user.email=eval@example.invalid", ...args], {
    cwd,
    stdio: "ignore",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd, GIT_CONFIG_NOSYSTEM: "1" },
  });
}

export function makeProject(c: EvalCase, ports: Ports): Project {
  const base = realpathSync(mkdtempSync(join(tmpdir(), "aegis-eval-")));
  const root = join(base, "project");
  const home = join(base, "home");
  const outside = join(base, "outside");
  for (const d of [root, home, outside]) mkdirSync(d);
  const vars: Record<string, string> = {
    ROOT: root,
    HOME: home,
    OUTSIDE: outside,
    BASE: base,
    CANARY_PORT: String(ports.canary),
    CANARY: `http://127.0.0.1:${ports.canary}`,
    API_PORT: String(ports.api),
    API: `http://127.0.0.3:${ports.api}`,
  };
  const place = (key: string): string => {
    const k = fill(key, vars);
    const p = k.startsWith("~/") ? join(home, k.slice(2)) : isAbsolute(k) ? resolve(k) : join(root, k);
    // A case may only build inside its own temporary tree.
    if (relative(base, p).startsWith(".."))
      throw new Error(`case ${c.id}: ${key} is outside the case directory`);
    return p;
  };
  const project: Project = {
    base,
    root,
    home,
    outside,
    vars,
    place,
    cleanup: () => rmSync(base, { recursive: true, force: true }),
  };
  try {
    write(join(root, "aegis.toml"), fill(c.policy, vars));
    for (const [k, v] of Object.entries(c.files ?? {})) write(place(k), fill(v, vars));
    for (const g of c.generated ?? [])
      write(place(g.path), g.parts.map((p) => fill(p.text, vars).repeat(p.times ?? 1)).join(""));
    for (const k of c.executable ?? []) chmodSync(place(k), 0o755);
    for (const k of c.fifos ?? []) {
      mkdirSync(dirname(place(k)), { recursive: true });
      execFileSync("mkfifo", [place(k)]);
    }
    for (const [k, v] of Object.entries(c.home ?? {})) write(join(home, fill(k, vars)), fill(v, vars));
    for (const [k, v] of Object.entries(c.outside ?? {})) write(join(outside, fill(k, vars)), fill(v, vars));
    if (c.git) {
      git(root, ["init", "-q", "-b", "main"]);
      git(root, ["add", "-A"]);
      git(root, ["commit", "-q", "--allow-empty", "-m", "initial"]);
      const commits = typeof c.git === "object" ? (c.git.commits ?? []) : [];
      for (const commit of commits) {
        for (const [k, v] of Object.entries(commit.files)) write(place(k), fill(v, vars));
        git(root, ["add", "-A"]);
        git(root, ["commit", "-q", "-m", fill(commit.message, vars)]);
      }
    }
    // Links last, so git never follows them and files they point at exist.
    for (const [k, target] of Object.entries(c.symlinks ?? {})) {
      const at = place(k);
      mkdirSync(dirname(at), { recursive: true });
      symlinkSync(fill(target, vars), at);
    }
    for (const [k, target] of Object.entries(c.hardlinks ?? {})) {
      const at = place(k);
      mkdirSync(dirname(at), { recursive: true });
      linkSync(place(target), at);
    }
    writeFileSync(join(root, "script.js"), fill(c.script, vars));
  } catch (e) {
    project.cleanup();
    throw e;
  }
  return project;
}

export interface Entry {
  type: "file" | "dir" | "symlink" | "other";
  /** sha256 of a file's bytes, or a link's target. */
  digest: string;
}

/** Every entry under `dir`, keyed by absolute path; `skip` lists absolute paths not descended into. */
export function snapshot(dir: string, skip: readonly string[] = []): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(d, name);
      if (skip.includes(p)) continue;
      let st: ReturnType<typeof lstatSync>;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (st.isSymbolicLink()) out.set(p, { type: "symlink", digest: readlinkSync(p) });
      else if (st.isDirectory()) {
        out.set(p, { type: "dir", digest: "" });
        walk(p);
      } else if (st.isFile()) out.set(p, { type: "file", digest: digestOf(p) });
      else out.set(p, { type: "other", digest: "" });
    }
  };
  walk(dir);
  return out;
}

function digestOf(path: string): string {
  try {
    return createHash("sha256").update(readFileSync(path)).digest("hex");
  } catch {
    return "unreadable";
  }
}

/** Paths created, changed or removed between two snapshots. */
export function differences(before: Map<string, Entry>, after: Map<string, Entry>): string[] {
  const out: string[] = [];
  for (const [p, e] of after) {
    const b = before.get(p);
    if (!b) out.push(`created ${p}`);
    else if (b.type !== e.type || b.digest !== e.digest) out.push(`changed ${p}`);
  }
  for (const p of before.keys()) if (!after.has(p)) out.push(`removed ${p}`);
  return out;
}

export function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return existsSync(path);
  }
}
