/**
 * argv[0] → the executable that will really run. A bare name is looked up only in the
 * PATH the child gets (absolute entries only), never in the working directory, so a
 * planted `./git` is never run in place of `git`. A path is used as given (the policy
 * must list that exact path) after resolving it against the working directory.
 */
import { accessSync, constants, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";

// Synchronous on purpose: a few stat calls cost microseconds, a thread-pool round trip each
// cost ~0.25 ms.
function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function resolveExecutable(argv0: string, path: string, cwd: string): string | undefined {
  if (argv0.includes("/")) {
    const full = isAbsolute(argv0) ? argv0 : resolve(cwd, argv0);
    return isExecutableFile(full) ? full : undefined;
  }
  for (const dir of path.split(":")) {
    if (!dir.startsWith("/")) continue;
    const candidate = join(dir, argv0);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}
