/**
 * The local-only files that exist right now, found by walking each `local_only_read`
 * pattern from its literal prefix. A normal (non-local-only) command may read files
 * indirectly, through names the argv gate never sees as such: a directory it walks
 * (`grep -r . .`, `tar -cf - .`, `cp -r . out`), another hard link to the same inode, a
 * `rev:path` of git. The index lets the subprocess gate refuse those arguments, and gives
 * the run's redactor the raw bytes of every local-only file, so that what such a command
 * prints from its working directory (`git diff --cached`, `git log -p`) is redacted.
 *
 * Built once per run, on the first normal command, and bounded: past the budget the index
 * says it is incomplete and the gate refuses every directory argument that might hold a
 * local-only file (fail closed).
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
} from "node:fs";
import { decideFs, isLocalOnlyPath } from "../policy/decide.js";
import { absolutePath, joinPosix } from "../policy/patterns.js";
import type { ResolvedPolicy } from "../policy/types.js";
import type { Redactor, RunContext } from "./builtin-types.js";

/** Directory entries looked at per run, over all patterns. */
export const MAX_INDEX_ENTRIES = 50_000;
/** Files larger than this are indexed by name and inode, but their bytes are not redacted. */
export const MAX_REDACTED_FILE_BYTES = 1024 * 1024;
/** Bytes handed to the redactor per run. */
const MAX_REDACTED_TOTAL_BYTES = 16 * 1024 * 1024;

export interface LocalOnlyIndex {
  /** Canonical paths of the local-only regular files found. */
  files: readonly string[];
  /** `dev:ino` of each of them, to recognise another hard link to the same bytes. */
  inodes: ReadonlySet<string>;
  /** Literal directory prefixes of the patterns (where local-only files can live). */
  bases: readonly string[];
  /** False when the walk stopped at its budget: some local-only files may be missing. */
  complete: boolean;
}

/** The part of an absolute glob before its first wildcard, cut back to a whole directory. */
export function literalBase(glob: string): string {
  const at = glob.search(/[*?[{\\]/);
  if (at < 0) return glob;
  const cut = glob.lastIndexOf("/", at);
  return cut <= 0 ? "/" : glob.slice(0, cut);
}

/** True when `dir` is `path` or one of its ancestors. */
export function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir === "/" ? "/" : `${dir}/`);
}

export function buildLocalOnlyIndex(policy: ResolvedPolicy, redactor?: Redactor): LocalOnlyIndex {
  const rules = policy.filesystem.localOnlyRead;
  const bases = [...new Set(rules.map((r) => literalBase(r.glob)))];
  const files: string[] = [];
  const inodes = new Set<string>();
  let budget = MAX_INDEX_ENTRIES;
  let redactedBytes = 0;
  let complete = true;
  const seen = new Set<string>();

  const consider = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    if (!rules.some((r) => r.test(path))) return;
    // Never block on a FIFO or a device: open non-blocking, and only read regular files.
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch {
      return;
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) return;
      files.push(path);
      inodes.add(`${st.dev}:${st.ino}`);
      if (!redactor || st.size > MAX_REDACTED_FILE_BYTES) return;
      if (redactedBytes + st.size > MAX_REDACTED_TOTAL_BYTES) return;
      const buf = Buffer.alloc(st.size);
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, got);
        if (n === 0) break;
        got += n;
      }
      redactedBytes += got;
      redactor.add(buf.subarray(0, got).toString("utf8"));
    } catch {
      // Unreadable: the command cannot read it either.
    } finally {
      closeSync(fd);
    }
  };

  const walk = (dir: string) => {
    const stack = [dir];
    while (stack.length > 0) {
      const d = stack.pop()!;
      let entries: import("node:fs").Dirent[];
      try {
        entries = readdirSync(d, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries) {
        if (--budget < 0) {
          complete = false;
          return;
        }
        const p = joinPosix(d, e.name);
        if (e.isDirectory()) stack.push(p);
        else if (e.isFile()) consider(p);
      }
    }
  };

  for (const base of bases) {
    if (!complete) break;
    let st: import("node:fs").Stats;
    try {
      st = lstatSync(base);
    } catch {
      continue;
    }
    if (st.isDirectory()) walk(base);
    else if (st.isFile()) consider(base);
  }
  return { files, inodes, bases, complete };
}

const perRun = new WeakMap<RunContext, LocalOnlyIndex>();

/**
 * Something may have put local-only bytes into a new file (an fs.write to a local-only path,
 * a local-only command): the next normal command rebuilds the index instead of trusting one
 * that predates the file.
 */
export function invalidateLocalOnlyIndex(ctx: RunContext): void {
  perRun.delete(ctx);
}

const turns = new WeakMap<RunContext, Promise<unknown>>();

/**
 * Runs `task` when the run's earlier exclusive tasks have ended. Subprocesses and writes to
 * local-only paths take turns, so a normal command never runs while a local-only file is
 * being made: the index it was checked against would not list the new file, which it could
 * then read (and print) before the index learns of it.
 */
export function localOnlyTurn<T>(ctx: RunContext, task: () => Promise<T>): Promise<T> {
  const before = turns.get(ctx) ?? Promise.resolve();
  const mine = before.then(task, task);
  turns.set(
    ctx,
    mine.then(
      () => undefined,
      () => undefined,
    ),
  );
  return mine;
}

/** The run's index, built on first use; its files' bytes join the run's redactor then. */
export function localOnlyIndexFor(ctx: RunContext): LocalOnlyIndex {
  let index = perRun.get(ctx);
  if (!index) {
    index = buildLocalOnlyIndex(ctx.policy, ctx.redactor);
    perRun.set(ctx, index);
  }
  return index;
}

/**
 * Why a normal command may not be given the canonical path `path`, or undefined.
 * `path` names a directory holding local-only files, or is another hard link to one.
 */
export function indirectLocalOnlyProblem(index: LocalOnlyIndex, path: string): string | undefined {
  let st: import("node:fs").Stats;
  try {
    st = lstatSync(path);
  } catch {
    return undefined;
  }
  if (st.isDirectory()) {
    const inside = index.files.find((f) => isWithin(f, path));
    if (inside) return `directory ${path} holds the local-only file ${inside}`;
    if (!index.complete && index.bases.some((b) => isWithin(b, path) || isWithin(path, b)))
      return `directory ${path} may hold local-only files (too many files to index them all; name the files instead)`;
    if (index.files.length === 0) return undefined;
    return symlinkIntoLocalOnly(index, path);
  }
  if (st.isFile() && st.nlink > 1) {
    if (index.inodes.has(`${st.dev}:${st.ino}`)) return `${path} is a hard link to a local-only file`;
    if (!index.complete)
      return `${path} has ${st.nlink} hard links and the local-only files could not all be indexed`;
  }
  return undefined;
}

/** Entries looked at under one directory argument, for symlinks that lead to local-only files. */
export const MAX_DIRECTORY_SCAN = 20_000;

/**
 * A command that follows symlinks (`grep -R`, `cp -rL`, `tar -h`) reaches a local-only file
 * through a link anywhere under a directory it is given.
 */
function symlinkIntoLocalOnly(index: LocalOnlyIndex, dir: string): string | undefined {
  let budget = MAX_DIRECTORY_SCAN;
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (--budget < 0)
        return `directory ${dir} is too large to check for links to local-only files (over ${MAX_DIRECTORY_SCAN} entries); name a smaller directory`;
      const p = joinPosix(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isSymbolicLink()) {
        let target: string;
        try {
          target = realpathSync.native(p);
        } catch {
          continue;
        }
        const hit = index.files.find((f) => isWithin(f, target));
        if (hit) return `${p} (under ${dir}) is a symlink leading to the local-only file ${hit}`;
      }
    }
  }
  return undefined;
}

/** `HEAD:path`, `v1.0:./x`: git's `<rev>:<path>` names a file as stored in the repository. */
const REV_PATH = /^[^-:/\s][^:\s]*:(?!\/\/)(.+)$/;

/**
 * Why a normal command would read a local-only file indirectly, or undefined: a directory
 * argument (or working directory) that holds one, another hard link to one, a symlink
 * under a directory argument that leads to one, or a `rev:path` that names one (or a
 * denied file) as stored in git. `cwd`: whether the working directory is checked too (the
 * root apart: every command's usual working directory, where a run redacts what a command
 * finds by walking it).
 */
export function indirectReadProblem(
  policy: ResolvedPolicy,
  index: LocalOnlyIndex,
  argv: readonly string[],
  cwd: string,
  pathArgs: Record<string, string>,
  options: { cwd: boolean },
): string | undefined {
  for (const arg of argv.slice(1)) {
    const m = REV_PATH.exec(arg);
    if (!m) continue;
    const rel = m[1]!;
    // git reads `rev:path` from the top of the repository, `rev:./path` from the working directory.
    for (const from of [cwd, policy.root]) {
      const abs = absolutePath(rel, from, policy.home);
      if (isLocalOnlyPath(policy, abs))
        return `argument ${JSON.stringify(arg)} names the local-only file ${abs}`;
      const d = decideFs(policy, "fs.read", abs);
      if (d.decision === "deny" && !d.rule.startsWith("default deny"))
        return `argument ${JSON.stringify(arg)} names ${abs}: ${d.reason}`;
    }
  }
  for (const [raw, canonical] of Object.entries(pathArgs)) {
    const problem = indirectLocalOnlyProblem(index, canonical);
    if (problem) return `argument ${JSON.stringify(raw)}: ${problem}`;
  }
  if (options.cwd && cwd !== policy.root) {
    const problem = indirectLocalOnlyProblem(index, cwd);
    if (problem) return `working directory: ${problem}`;
  }
  return undefined;
}
