/**
 * Path canonicalisation, the one helper used by the runtime and `aegis policy explain`:
 * absolute against the base, `~` expanded, `..` resolved, then resolved through the
 * deepest existing ancestor with symlinks followed (a symlinked final component too).
 */
import { lstatSync, realpathSync } from "node:fs";
import { AegisError } from "../errors.js";
import { absolutePath, joinPosix } from "../policy/patterns.js";

export interface PathBase {
  root: string;
  home: string;
  /** Relative paths resolve against this (defaults to root). */
  cwd?: string;
}

/** Longest path accepted; longer requests are refused rather than handed to the kernel. */
export const MAX_PATH_LENGTH = 4096;

function errnoOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

export function canonicalPathSync(raw: unknown, base: PathBase): string {
  if (typeof raw !== "string")
    throw new AegisError("policy_violation", `path must be a string, got ${typeof raw}`);
  if (raw.length === 0) throw new AegisError("policy_violation", "path is empty");
  if (raw.includes("\0")) throw new AegisError("policy_violation", "path contains a NUL byte");
  if (raw.length > MAX_PATH_LENGTH)
    throw new AegisError("policy_violation", `path is longer than ${MAX_PATH_LENGTH} characters`);
  const abs = absolutePath(raw, base.cwd ?? base.root, base.home);
  const parts = abs.split("/").filter(Boolean);
  // Walk up to the deepest ancestor that exists, and resolve it with the kernel's view.
  for (let keep = parts.length; keep >= 0; keep--) {
    const prefix = `/${parts.slice(0, keep).join("/")}`;
    let real: string;
    try {
      real = realpathSync.native(prefix);
    } catch (e) {
      const code = errnoOf(e);
      if (code === "ENOENT" || code === "ENOTDIR") {
        // A component that exists as a symlink but does not resolve is a dangling link:
        // writing through it would create its target wherever it points.
        if (code === "ENOENT" && isSymlink(prefix)) {
          throw new AegisError(
            "policy_violation",
            `${raw}: ${prefix} is a dangling symlink; refusing to follow it`,
          );
        }
        continue;
      }
      throw new AegisError("io_error", `${raw}: cannot resolve ${prefix} (${code ?? String(e)})`, {
        cause: e,
      });
    }
    const rest = parts.slice(keep).join("/");
    return rest ? joinPosix(real, rest) : real;
  }
  return abs;
}

/** Whether `p` is a symlink itself (false when it does not exist). */
export function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

export async function canonicalPath(raw: unknown, base: PathBase): Promise<string> {
  return canonicalPathSync(raw, base);
}

/**
 * The path the kernel will open for `raw`: `..` is applied to the real directory reached
 * so far (so `link/../x` goes to the parent of the link's target, as a child process would
 * see it), and every existing symlink is followed. Used for subprocess arguments, where
 * aegis does not do the open itself. A dangling symlink is refused.
 */
export function physicalPathSync(raw: unknown, base: PathBase): string {
  canonicalPathSync(raw, base);
  const text = raw as string;
  let current: string;
  let rest: string;
  if (text === "~" || text.startsWith("~/")) {
    current = realpathSync.native(base.home);
    rest = text.slice(1);
  } else if (text.startsWith("/")) {
    current = "/";
    rest = text;
  } else {
    current = realpathSync.native(base.cwd ?? base.root);
    rest = text;
  }
  const parts = rest.split("/").filter((p) => p !== "" && p !== ".");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === "..") {
      current = current === "/" ? "/" : current.slice(0, current.lastIndexOf("/")) || "/";
      continue;
    }
    const next = current === "/" ? `/${part}` : `${current}/${part}`;
    let exists = true;
    try {
      lstatSync(next);
    } catch {
      exists = false;
    }
    if (!exists) return joinPosix(next, parts.slice(i + 1).join("/"));
    try {
      current = realpathSync.native(next);
    } catch (e) {
      if (isSymlink(next))
        throw new AegisError(
          "policy_violation",
          `${text}: ${next} is a dangling symlink; refusing to follow it`,
        );
      throw new AegisError("io_error", `${text}: cannot resolve ${next} (${errnoOf(e) ?? String(e)})`, {
        cause: e,
      });
    }
  }
  return current;
}
