/**
 * fs.read / fs.write / fs.list / fs.exists / fs.delete.
 *
 * The decision is made on the canonical path. The effect then pins the parent directory:
 * it opens it (without following a final symlink), checks that the descriptor is exactly
 * that directory, and reaches the entry through `/proc/self/fd/N/name`, which the kernel
 * resolves inside the pinned directory whatever is renamed or swapped later. So a parent
 * swapped for a symlink between check and use (by a program the run started, racing it)
 * is refused, and no create, unlink or listing lands outside the checked directory.
 */
import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname } from "node:path";
import { AegisError } from "../../errors.js";
import { decideFs, isLocalOnlyDestination, isLocalOnlyPath } from "../../policy/decide.js";
import type { FsAction, Operation } from "../../policy/types.js";
import {
  type Builtin,
  type BuiltinTable,
  type HostValue,
  isSealedRef,
  type RunContext,
} from "../builtin-types.js";
import { gate } from "../gate.js";
import { invalidateLocalOnlyIndex, localOnlyTurn } from "../local-only-index.js";
import { canonicalPathSync, isSymlink } from "../paths.js";

/** Largest read without an explicit {offset, length}. */
export const MAX_READ_BYTES = 32 * 1024 * 1024;
/** Largest fs.list answer. */
export const MAX_LIST_ENTRIES = 100_000;

function pathArg(args: HostValue[], cap: string): string {
  const p = args[0];
  if (typeof p !== "string") {
    throw new AegisError(
      "policy_violation",
      `${cap} needs a path string as its first argument, got ${isSealedRef(p) ? "a sealed value" : typeof p}`,
    );
  }
  return p;
}

function fsOp(ctx: RunContext, kind: FsAction, raw: string): () => Operation {
  return () => ({ kind, path: canonicalPathSync(raw, { root: ctx.policy.root, home: ctx.policy.home }) });
}

function pathOf(op: Operation): string {
  if (!("path" in op)) throw new Error("not a filesystem operation");
  return op.path;
}

/** Linux's O_PATH (the same value on x64 and arm64); Node's constants do not name it. */
const O_PATH = 0o10000000;

/** The path the kernel says an open descriptor refers to. */
function realPathOfFd(fd: number): string {
  return readlinkSync(`/proc/self/fd/${fd}`);
}

/**
 * A descriptor of the directory `dir` (a canonical path), refused unless it is exactly that
 * directory now: a component swapped for a symlink since the check would lead elsewhere.
 */
function pinDir(dir: string, cap: string): number {
  let fd: number;
  try {
    // O_PATH: pinning needs no read permission on the directory (a mode-0300 drop box, a
    // 0111 directory), only what the operation itself needs.
    fd = openSync(dir, O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (e) {
    // A symlink where the checked directory was (ELOOP, or ENOTDIR with O_DIRECTORY): swapped
    // since the check. A regular file there is an ordinary error: `fs.exists("a.txt/x")` is false.
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ELOOP" || (code === "ENOTDIR" && isSymlink(dir)))
      throw new AegisError("policy_violation", `${cap} refused: ${dir} changed after the check`);
    throw e;
  }
  let real: string;
  try {
    real = realPathOfFd(fd);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  if (real !== dir) {
    closeSync(fd);
    throw new AegisError(
      "policy_violation",
      `${cap} refused: ${dir} now resolves to ${real} (changed after the check)`,
    );
  }
  return fd;
}

/** Runs `use` with the entry `path` reached through its pinned parent directory. */
function inPinnedParent<T>(path: string, cap: string, use: (entry: string) => T): T {
  const fd = pinDir(dirname(path), cap);
  const entry = `/proc/self/fd/${fd}/${basename(path)}`;
  try {
    return use(entry);
  } catch (e) {
    // Node's own messages name the path it was given: show the real one.
    if (e instanceof Error && !(e instanceof AegisError)) e.message = e.message.replaceAll(entry, path);
    throw e;
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens `path` without following a final symlink, and refuses if the descriptor does not
 * refer to exactly `path` (a parent swapped for a symlink after the check) or if the file
 * has other hard links (another name, possibly outside the allowed tree, for the same bytes).
 */
function openChecked(path: string, flags: number, cap: string, mode = 0o644): number {
  // A FIFO, socket or device is refused before it is opened (opening one can block the
  // host or have effects of its own), and opened non-blocking in case one was swapped in.
  try {
    const pre = lstatSync(path);
    if (!pre.isFile() && !pre.isSymbolicLink())
      throw new AegisError("io_error", `${cap}: ${path} is not a regular file`);
  } catch (e) {
    if (e instanceof AegisError) throw e;
  }
  let fd: number;
  try {
    fd = inPinnedParent(path, cap, (entry) =>
      openSync(entry, flags | constants.O_NOFOLLOW | constants.O_NONBLOCK, mode),
    );
  } catch (e) {
    if (e instanceof AegisError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENXIO" || code === "EWOULDBLOCK" || code === "EAGAIN")
      throw new AegisError("io_error", `${cap}: ${path} is not a regular file`);
    if (code === "ELOOP") {
      throw new AegisError(
        "policy_violation",
        `${cap} refused: ${path} became a symlink after it was checked`,
      );
    }
    throw e;
  }
  try {
    const real = realPathOfFd(fd);
    if (real !== path) {
      throw new AegisError(
        "policy_violation",
        `${cap} refused: ${path} now resolves to ${real} (changed after the check)`,
      );
    }
    const st = fstatSync(fd);
    if (!st.isFile()) throw new AegisError("io_error", `${cap}: ${path} is not a regular file`);
    if (st.nlink > 1) {
      throw new AegisError(
        "policy_violation",
        `${cap} refused: ${path} has ${st.nlink} hard links; a hard link can expose a file from outside the allowed tree`,
      );
    }
    return fd;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

function optionsArg(v: HostValue | undefined, cap: string): Record<string, HostValue> {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v) || isSealedRef(v)) {
    throw new AegisError("policy_violation", `${cap}: options must be an object`);
  }
  return v as Record<string, HostValue>;
}

function nonNegativeInt(v: HostValue | undefined, name: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw new AegisError("policy_violation", `fs.read: ${name} must be a non-negative integer`);
  }
  return v;
}

const read: Builtin = async (args, ctx) => {
  const raw = pathArg(args, "fs.read");
  const opts = optionsArg(args[1], "fs.read");
  const offset = nonNegativeInt(opts.offset, "offset") ?? 0;
  const length = nonNegativeInt(opts.length, "length");
  const { value } = await gate(
    ctx,
    { cap: "fs.read", op: fsOp(ctx, "fs.read", raw), target: raw },
    async (decision, op) => {
      const path = pathOf(op);
      const fd = openChecked(path, constants.O_RDONLY, "fs.read");
      try {
        const st = fstatSync(fd);
        if (!st.isFile()) throw new AegisError("io_error", `fs.read: ${path} is not a regular file`);
        const available = Math.max(0, st.size - offset);
        const want = length ?? available;
        if (want > MAX_READ_BYTES) {
          throw new AegisError(
            "io_error",
            `fs.read: ${path} is ${st.size} bytes; reads are limited to ${MAX_READ_BYTES} bytes at a time, pass {offset, length}`,
          );
        }
        const buf = Buffer.alloc(Math.min(want, available));
        let got = 0;
        while (got < buf.length) {
          const n = readSync(fd, buf, got, buf.length - got, offset + got);
          if (n === 0) break;
          got += n;
        }
        const text = buf.subarray(0, got).toString("utf8");
        if (decision.sealed) {
          // The redactor learns the whole file, never the requested slice alone: slices
          // registered one by one would let a script recover the file by guessing each
          // next byte and watching what gets redacted.
          const whole = got === st.size ? text : readWholeForRedactor(fd, st.size);
          if (whole !== undefined) ctx.redactor.add(whole);
          return ctx.sealed.seal(raw, text, { redact: false });
        }
        return text;
      } finally {
        closeSync(fd);
      }
    },
    (v) => ({ bytes: typeof v === "string" ? Buffer.byteLength(v) : "sealed" }),
  );
  return value;
};

/** A local-only file's whole text for the redactor, when it is small enough to hold. */
function readWholeForRedactor(fd: number, size: number): string | undefined {
  if (size > MAX_READ_BYTES) return undefined;
  const buf = Buffer.alloc(size);
  let got = 0;
  while (got < size) {
    const n = readSync(fd, buf, got, size - got, got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got).toString("utf8");
}

/** Creates missing parent directories, each of which must itself be writable under the policy. */
function makeParents(ctx: RunContext, path: string): void {
  const missing: string[] = [];
  for (let dir = dirname(path); dir !== "/"; dir = dirname(dir)) {
    try {
      const st = lstatSync(dir);
      // The canonical path has no symlink left in it: one now is a swap since the check.
      if (st.isSymbolicLink())
        throw new AegisError("policy_violation", `fs.write refused: ${dir} changed after the check`);
      if (!st.isDirectory()) throw new AegisError("io_error", `fs.write: ${dir} is not a directory`);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      missing.unshift(dir);
    }
  }
  for (const dir of missing) {
    const d = decideFs(ctx.policy, "fs.write", dir);
    if (d.decision === "deny") {
      throw new AegisError(
        "policy_violation",
        `fs.write: cannot create parent directory ${dir}: ${d.reason}`,
      );
    }
    inPinnedParent(dir, "fs.write", (entry) => mkdirSync(entry, { mode: 0o755 }));
  }
}

const write: Builtin = async (args, ctx) => {
  const raw = pathArg(args, "fs.write");
  const content = args[1];
  if (typeof content !== "string" && !isSealedRef(content)) {
    throw new AegisError(
      "policy_violation",
      `fs.write needs string content, got ${content === null ? "null" : typeof content}`,
    );
  }
  const { value } = await gate(
    ctx,
    { cap: "fs.write", op: fsOp(ctx, "fs.write", raw), target: raw },
    async (_decision, op) => {
      const path = pathOf(op);
      let bytes: string;
      if (isSealedRef(content)) {
        // Sealed content may only land where it stays local-only.
        if (!isLocalOnlyDestination(ctx.policy, path)) {
          throw new AegisError(
            "policy_violation",
            `fs.write refused: sealed value cannot flow to ${path} (only to a filesystem.local_only_read path, spelled as the policy spells it, that is also writable)`,
          );
        }
        bytes = ctx.sealed.reveal(content);
      } else bytes = content;
      // runtime.no_output_after_local_only_read: once a secret was read, nothing may leave
      // the run except into local-only files.
      if (
        ctx.policy.runtime.noOutputAfterLocalOnlyRead &&
        ctx.localOnlyRead &&
        !isLocalOnlyDestination(ctx.policy, path)
      ) {
        throw new AegisError(
          "policy_violation",
          `fs.write refused: a local-only value was read in this run and runtime.no_output_after_local_only_read is set`,
        );
      }
      const put = async (): Promise<number> => {
        makeParents(ctx, path);
        // No O_TRUNC at open: the hard-link check must happen before any byte changes.
        const fd = openChecked(path, constants.O_WRONLY | constants.O_CREAT, "fs.write");
        try {
          if (!fstatSync(fd).isFile())
            throw new AegisError("io_error", `fs.write: ${path} is not a regular file`);
          ftruncateSync(fd, 0);
          const buf = Buffer.from(bytes, "utf8");
          let done = 0;
          while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, done);
          return buf.length;
        } finally {
          closeSync(fd);
        }
      };
      if (!isLocalOnlyPath(ctx.policy, path)) return put();
      // A new local-only file: not while a command runs, and the next one re-indexes.
      return localOnlyTurn(ctx, async () => {
        try {
          return await put();
        } finally {
          invalidateLocalOnlyIndex(ctx);
        }
      });
    },
    (n) => ({ bytes: n }),
  );
  return value;
};

const list: Builtin = async (args, ctx) => {
  const raw = pathArg(args, "fs.list");
  const { value } = await gate(
    ctx,
    { cap: "fs.list", op: fsOp(ctx, "fs.list", raw), target: raw },
    async (_d, op) => {
      const path = pathOf(op);
      const fd = pinDir(path, "fs.list");
      try {
        return listPinned(path, `/proc/self/fd/${fd}`);
      } finally {
        closeSync(fd);
      }
    },
    (v) => ({ entries: v.length }),
  );
  return value;
};

/** The entries of the directory `path`, read through its pinned descriptor at `pinned`. */
function listPinned(path: string, pinned: string): { name: string; type: string; size: number }[] {
  const entries = readdirSync(pinned, { withFileTypes: true });
  if (entries.length > MAX_LIST_ENTRIES) {
    throw new AegisError(
      "io_error",
      `fs.list: ${path} has ${entries.length} entries (limit ${MAX_LIST_ENTRIES})`,
    );
  }
  return entries
    .map((e) => {
      const type = e.isSymbolicLink() ? "symlink" : e.isDirectory() ? "dir" : e.isFile() ? "file" : "other";
      let size = 0;
      try {
        size = lstatSync(`${pinned}/${e.name}`).size;
      } catch {
        // Vanished between readdir and lstat: report size 0.
      }
      return { name: e.name, type, size };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const exists: Builtin = async (args, ctx) => {
  const raw = pathArg(args, "fs.exists");
  const { value } = await gate(
    ctx,
    { cap: "fs.exists", op: fsOp(ctx, "fs.exists", raw), target: raw },
    async (_d, op) => {
      const path = pathOf(op);
      if (path === "/") return true;
      try {
        // The entry itself (the canonical path has no symlink left to follow).
        inPinnedParent(path, "fs.exists", (entry) => lstatSync(entry));
        return true;
      } catch (e) {
        if (e instanceof AegisError) throw e;
        return false;
      }
    },
    (v) => ({ exists: v }),
  );
  return value;
};

const remove: Builtin = async (args, ctx) => {
  const raw = pathArg(args, "fs.delete");
  const { value } = await gate(
    ctx,
    { cap: "fs.delete", op: fsOp(ctx, "fs.delete", raw), target: raw },
    async (_d, op) => {
      const path = pathOf(op);
      // The parent must still be the directory that was checked (not swapped for a symlink).
      return inPinnedParent(path, "fs.delete", (entry) => {
        if (!lstatSync(entry).isFile())
          throw new AegisError("io_error", `fs.delete: ${path} is not a regular file (files only)`);
        unlinkSync(entry);
        return true;
      });
    },
  );
  return value;
};

export const FS_BUILTINS: BuiltinTable = {
  "fs.read": read,
  "fs.write": write,
  "fs.list": list,
  "fs.exists": exists,
  "fs.delete": remove,
};
