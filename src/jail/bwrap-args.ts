/**
 * Builds the bubblewrap command line for one jailed subprocess. Pure: every file-system
 * fact it needs comes through the `FsView` it is given, so it is tested without bwrap.
 *
 * The jail's view of the world:
 *   - everything read-only (`--ro-bind / /`), fresh `/dev` and `/proc`, a private `/tmp`
 *     unless the policy lets the child write there (the policy root and cwd stay visible
 *     when they live under /tmp);
 *   - read-write only the directories (or files) that `write_allow` names, taken as
 *     each glob's static prefix (`src/**` → `src`); a prefix inside the policy root that
 *     does not exist yet is created first (`out/**` before the first build), the one
 *     effect of this module, done through `FsView.makeDir`;
 *   - everything `filesystem.deny` covers hidden: directories under an empty mode-000
 *     tmpfs, files under an unreadable empty file; aegis's own audit logs hidden and its
 *     policy files read-only, even inside a writable directory, where every directory
 *     between the writable one and such a path is a mount point, so none can be renamed;
 *   - no network, no shared namespaces, no capabilities, a new session (no TIOCSTI into
 *     the caller's terminal), killed with its parent;
 *   - exactly the environment it is given.
 */
import { inGitDir } from "../policy/decide.js";
import type { PathRule } from "../policy/types.js";

export type NodeKind = "dir" | "file" | "symlink" | "other";

/** Read-only facts about the file system (host side). */
export interface FsView {
  /** Kind of the node at `path` without following a final symlink; null when missing. */
  kind(path: string): Promise<NodeKind | null>;
  /** The canonical path (symlinks resolved); null when it does not exist. */
  realpath(path: string): Promise<string | null>;
  /** Directory entries with their kinds (symlinks not followed). */
  list(dir: string): Promise<{ name: string; kind: NodeKind }[]>;
  /**
   * Creates one directory (not its parents; an existing entry is left alone). Absent:
   * missing write prefixes are not created, so they are not writable in the jail.
   */
  makeDir?(path: string): Promise<void>;
}

export interface JailPolicy {
  root: string;
  filesystem: { writeAllow: PathRule[]; deny: PathRule[] };
  reserved: { auditLogs: string[]; policyFiles: string[] };
}

export interface JailInput {
  policy: JailPolicy;
  /** Absolute executable and its arguments. */
  command: readonly string[];
  /** Canonical working directory. */
  cwd: string;
  env: Readonly<Record<string, string>>;
  fs: FsView;
  /** An empty, mode-000 file bound over denied files; `/dev/null` (readable, empty) if absent. */
  blankFile?: string;
  /** Bound on directory entries examined while looking for denied names. */
  maxScan?: number;
}

export interface JailPlan {
  /** bwrap options (everything before `--`). */
  options: string[];
  /** The command to run inside, after `--`. */
  command: string[];
  writable: string[];
  hidden: string[];
}

export class JailSetupError extends Error {
  override name = "JailSetupError";
}

const GLOB_CHARS = /[*?[\]{}()!+@]/;

/** The directory part of a glob before its first wildcard segment (`/p/src/**` → `/p/src`). */
export function staticPrefix(glob: string): string {
  const out: string[] = [];
  for (const segment of glob.split("/").slice(1)) {
    if (GLOB_CHARS.test(segment) || segment.includes("\\")) break;
    out.push(segment);
  }
  return `/${out.join("/")}`;
}

export function isWithin(path: string, dir: string): boolean {
  return dir === "/" || path === dir || path.startsWith(`${dir}/`);
}

const depth = (p: string) => (p === "/" ? 0 : p.split("/").length - 1);
const byDepth = (a: string, b: string) => depth(a) - depth(b) || a.localeCompare(b);

/**
 * `/dev` and `/proc` inside the jail are fresh instances (no host devices, only the
 * jail's own processes), so deny rules under them need no hiding; hiding them would
 * only break programs that open `/dev/null`.
 */
const FRESH_MOUNTS = ["/dev", "/proc"];

export async function buildBwrapArgs(input: JailInput): Promise<JailPlan> {
  const { policy, fs } = input;
  const blank = input.blankFile ?? "/dev/null";
  const writable = await writableTargets(policy, fs);
  const hidden = await hiddenTargets(policy, fs, writable, input.maxScan ?? 200_000);

  const options = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"];
  if (!writable.some((w) => isWithin("/tmp", w))) {
    options.push("--tmpfs", "/tmp");
    // The private /tmp must not hide the project the child works on.
    const visible = [policy.root, input.cwd].filter((p) => isWithin(p, "/tmp") && p !== "/tmp").sort(byDepth);
    for (const p of visible.filter((p, i) => !visible.slice(0, i).some((q) => isWithin(p, q)))) {
      options.push("--ro-bind", p, p);
    }
  }
  for (const w of writable) options.push("--bind", w, w);
  const reservedFiles: string[] = [];
  for (const file of policy.reserved.policyFiles) {
    if ((await fs.kind(file)) === "file") reservedFiles.push(file);
  }
  // Before the hiding mounts: a later bind of a directory would cover what is mounted inside it.
  for (const d of pinnedAncestors(writable, [...hidden.map(([p]) => p), ...reservedFiles])) {
    options.push("--bind", d, d);
  }
  for (const [path, kind] of hidden) {
    if (kind === "dir") options.push("--perms", "0000", "--tmpfs", path);
    else options.push("--ro-bind", blank, path);
  }
  for (const file of reservedFiles) options.push("--ro-bind", file, file);
  options.push("--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv");
  for (const [name, value] of Object.entries(input.env)) options.push("--setenv", name, value);
  options.push("--chdir", input.cwd);
  return { options, command: [...input.command], writable, hidden: hidden.map(([p]) => p) };
}

/**
 * The directories between a writable bind and a path the jail hides or keeps read-only,
 * outermost first. Each is bound onto itself, so it is a mount point in the jail and cannot
 * be renamed (EBUSY): a mount follows its directory when that is renamed, so without this a
 * child could move `cfg/` (and the empty file bound over `cfg/token`) aside and find the
 * real file under the new name, or put a policy file of its own where the old one was.
 */
export function pinnedAncestors(writable: readonly string[], guarded: readonly string[]): string[] {
  const out = new Set<string>();
  for (const path of guarded) {
    for (const w of writable) {
      if (w === path || !isWithin(path, w)) continue;
      let dir = path.slice(0, path.lastIndexOf("/"));
      while (dir.length > w.length && isWithin(dir, w)) {
        out.add(dir);
        dir = dir.slice(0, dir.lastIndexOf("/"));
      }
    }
  }
  return [...out].sort(byDepth);
}

/** Full bwrap argv (without the program name), for display and tests. */
export function bwrapArgv(plan: JailPlan): string[] {
  return [...plan.options, "--", ...plan.command];
}

async function writableTargets(policy: JailPolicy, fs: FsView): Promise<string[]> {
  const prefixes = policy.filesystem.writeAllow.map((r) => staticPrefix(r.glob));
  const out = new Set<string>();
  for (const prefix of prefixes) {
    let real = await fs.realpath(prefix);
    // A prefix that does not exist yet cannot be bound (its parent would grant more);
    // inside the root it is created instead, as fs.write would create it.
    if (real === null && (await createPrefix(policy, fs, prefix))) real = await fs.realpath(prefix);
    if (real === null) continue;
    // A symlinked prefix is bound where it really points only if that place is itself
    // inside some write_allow prefix: a link to ~/.ssh must not make ~/.ssh writable.
    if (real !== prefix && !prefixes.some((p) => isWithin(real, p))) continue;
    if (policy.filesystem.deny.some((d) => d.test(real))) continue;
    out.add(real);
  }
  // A directory inside another writable one is already covered by the outer bind.
  const sorted = [...out].sort(byDepth);
  return sorted.filter((p, i) => !sorted.slice(0, i).some((q) => q !== p && isWithin(p, q)));
}

/**
 * Creates a missing write_allow prefix strictly inside the root, one directory at a time
 * below its deepest existing ancestor. Refused (false) when any step is denied, inside a
 * git directory, or an existing step is not a plain directory (a symlink could lead the
 * new directory anywhere). Creating it grants nothing new: the bind that follows is the
 * prefix itself, which write_allow already names.
 */
async function createPrefix(policy: JailPolicy, fs: FsView, prefix: string): Promise<boolean> {
  if (!fs.makeDir || prefix === policy.root || !isWithin(prefix, policy.root) || inGitDir(prefix))
    return false;
  if ((await fs.kind(policy.root)) !== "dir") return false;
  let path = policy.root;
  for (const part of prefix.slice(policy.root.length + 1).split("/")) {
    path = `${path}/${part}`;
    if (policy.filesystem.deny.some((d) => d.test(path))) return false;
    if (policy.reserved.auditLogs.some((log) => isWithin(log, path))) return false;
    let kind = await fs.kind(path);
    if (kind === null) {
      try {
        await fs.makeDir(path);
      } catch {
        return false;
      }
      kind = await fs.kind(path);
    }
    if (kind !== "dir") return false;
  }
  return true;
}

type Hidden = [path: string, kind: "dir" | "file"];

async function hiddenTargets(
  policy: JailPolicy,
  fs: FsView,
  writable: string[],
  maxScan: number,
): Promise<Hidden[]> {
  const found = new Map<string, "dir" | "file">();
  const hide = async (path: string): Promise<void> => {
    if (FRESH_MOUNTS.some((m) => isWithin(path, m))) return;
    const real = await fs.realpath(path);
    if (real === null || FRESH_MOUNTS.some((m) => isWithin(real, m))) return;
    if (real === "/")
      throw new JailSetupError("filesystem.deny covers / itself; nothing could run in the jail");
    const kind = await fs.kind(real);
    if (kind === "dir" || kind === "file") found.set(real, kind);
  };

  const patterns: PathRule[] = [];
  for (const rule of policy.filesystem.deny) {
    const prefix = staticPrefix(rule.glob);
    if (rule.glob === prefix || rule.glob === `${prefix}/**`) await hide(prefix);
    else patterns.push(rule);
  }
  for (const log of policy.reserved.auditLogs) {
    // The default `.aegis/` directory also holds the log's lock; hide all of it.
    const dir = log.slice(0, log.lastIndexOf("/")) || "/";
    if (dir.endsWith("/.aegis") && (await fs.kind(dir)) === "dir") found.set(dir, "dir");
    else if ((await fs.kind(log)) === "file") found.set(log, "file");
  }

  if (patterns.length > 0) {
    // Name-anywhere patterns (`.env`, `*.pem`, `**/secrets/**`) are looked for where the
    // child works: the policy root and the writable directories, and under a pattern's
    // own static prefix when that is narrower (`/etc/sudoers*` → /etc).
    const searchRoots = [policy.root, ...writable];
    const bases = new Set<string>();
    for (const rule of patterns) {
      const prefix = staticPrefix(rule.glob);
      const covered = searchRoots.filter((r) => isWithin(r, prefix));
      for (const base of covered.length > 0 ? covered : [prefix]) bases.add(base);
    }
    const sortedBases = [...bases].sort(byDepth);
    const roots = sortedBases.filter(
      (b, i) => !sortedBases.slice(0, i).some((a) => a !== b && isWithin(b, a)),
    );
    let scanned = 0;
    for (const base of roots) {
      const queue = [base];
      while (queue.length > 0) {
        const dir = queue.shift()!;
        if ([...found.keys()].some((h) => found.get(h) === "dir" && isWithin(dir, h))) continue;
        let entries: { name: string; kind: NodeKind }[];
        try {
          entries = await fs.list(dir);
        } catch {
          continue;
        }
        for (const entry of entries) {
          if (++scanned > maxScan) {
            throw new JailSetupError(
              `more than ${maxScan} entries under ${base} while looking for files that filesystem.deny hides; ` +
                "narrow the policy root or the deny patterns",
            );
          }
          const path = dir === "/" ? `/${entry.name}` : `${dir}/${entry.name}`;
          // Symlinks are neither followed nor hidden: what they point at is hidden where it lives.
          if (entry.kind === "symlink" || entry.kind === "other") continue;
          if (patterns.some((r) => r.test(path))) found.set(path, entry.kind);
          else if (entry.kind === "dir") queue.push(path);
        }
      }
    }
  }
  // Outer hidden directories first; anything inside one is already gone.
  const paths = [...found.keys()].sort(byDepth);
  return paths
    .filter((p, i) => !paths.slice(0, i).some((q) => q !== p && found.get(q) === "dir" && isWithin(p, q)))
    .map((p) => [p, found.get(p)!]);
}
