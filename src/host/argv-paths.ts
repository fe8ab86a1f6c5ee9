/**
 * Canonical forms of the argv entries that name paths, for the subprocess path gate:
 * path-looking arguments (policy/commands.ts) plus bare words that name an existing
 * file or directory relative to the working directory.
 */
import { lstatSync } from "node:fs";
import { resolve } from "node:path";
import { AegisError } from "../errors.js";
import { pathCandidates } from "../policy/commands.js";
import type { SealedArgv } from "../policy/decide.js";
import { type PathBase, physicalPathSync } from "./paths.js";

function lexists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** `sealedArgv`: which elements are sealed (decide.ts); those are named by their stand-in only. */
export function argvPathArgs(
  argv: readonly string[],
  base: PathBase,
  sealedArgv?: SealedArgv,
): Record<string, string> {
  // No prototype: a bare word named `constructor`, `toString` or `__proto__` (a planted
  // symlink) must be looked up and gated like any other name.
  const out: Record<string, string> = Object.create(null);
  const dir = base.cwd ?? base.root;
  argv.forEach((arg, i) => {
    if (i === 0) return;
    const candidates = pathCandidates(arg);
    // lstat, not exists: a dangling symlink named as a bare word must be checked too.
    if (candidates.length === 0 && arg !== "" && !arg.startsWith("-") && lexists(resolve(dir, arg))) {
      candidates.push(arg);
    }
    // A bare name as an option's value, glued (`-Csrc`, or after other flags: `-cCsrc`) or
    // after `=` (`--directory=src`): checked when it exists, like a bare word.
    const glued = /^-[^-]./.test(arg)
      ? Array.from({ length: arg.length - 2 }, (_, k) => arg.slice(k + 2))
      : arg.startsWith("--") && arg.includes("=")
        ? [arg.slice(arg.indexOf("=") + 1)]
        : [];
    for (const g of glued) {
      if (g !== "" && !candidates.includes(g) && lexists(resolve(dir, g))) candidates.push(g);
    }
    const standIn = sealedArgv?.[i];
    for (const c of candidates) {
      if (Object.hasOwn(out, c)) continue;
      try {
        out[c] = physicalPathSync(c, base);
      } catch (e) {
        // A path that cannot be canonicalised (dangling symlink, NUL, …) must not slip
        // through as "not a path": surface it as a denial. A sealed element's denial shows
        // neither the candidate nor the error, which quotes the prefix that failed to resolve.
        if (standIn !== undefined)
          throw new AegisError(
            "policy_violation",
            `subprocess.exec denied: argument ${standIn} cannot be resolved as a path; a sealed value's path is never shown`,
          );
        if (e instanceof AegisError)
          throw new AegisError(
            "policy_violation",
            `subprocess.exec denied: argument ${JSON.stringify(c)}: ${e.message}`,
          );
        throw e;
      }
    }
  });
  return out;
}
