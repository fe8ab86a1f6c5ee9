/**
 * argv[0] → the executable that will really run. A bare name is looked up only in the
 * PATH the child gets (absolute entries only), never in the working directory, so a
 * planted `./git` is never run in place of `git`. A path is used as given (the policy
 * must list that exact path) after resolving it against the working directory.
 */
import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export async function resolveExecutable(
  argv0: string,
  path: string,
  cwd: string,
): Promise<string | undefined> {
  if (argv0.includes("/")) {
    const full = isAbsolute(argv0) ? argv0 : resolve(cwd, argv0);
    return (await isExecutableFile(full)) ? full : undefined;
  }
  for (const dir of path.split(":")) {
    if (!dir.startsWith("/")) continue;
    const candidate = join(dir, argv0);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}
