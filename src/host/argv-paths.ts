/**
 * Canonical forms of the argv entries that name paths, for the subprocess path gate:
 * path-looking arguments (policy/commands.ts) plus bare words that name an existing
 * file or directory relative to the working directory.
 */
import { lstatSync } from "node:fs";
import { resolve } from "node:path";
import { AegisError } from "../errors.js";
import { pathCandidates } from "../policy/commands.js";
import { type PathBase, physicalPathSync } from "./paths.js";

function lexists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

export function argvPathArgs(argv: readonly string[], base: PathBase): Record<string, string> {
  const out: Record<string, string> = {};
  const dir = base.cwd ?? base.root;
  for (const arg of argv.slice(1)) {
    const candidates = pathCandidates(arg);
    // lstat, not exists: a dangling symlink named as a bare word must be checked too.
    if (candidates.length === 0 && arg !== "" && !arg.startsWith("-") && lexists(resolve(dir, arg))) {
      candidates.push(arg);
    }
    for (const c of candidates) {
      if (c in out) continue;
      try {
        out[c] = physicalPathSync(c, base);
      } catch (e) {
        // A path that cannot be canonicalised (dangling symlink, NUL, …) must not slip
        // through as "not a path": surface it as a denial.
        if (e instanceof AegisError)
          throw new AegisError(
            "policy_violation",
            `subprocess.exec denied: argument ${JSON.stringify(c)}: ${e.message}`,
          );
        throw e;
      }
    }
  }
  return out;
}
