/**
 * Can bubblewrap jail a process here? Run once per process (cached), with the same
 * namespace and mount options every jail uses, so a policy with `sandbox = "bwrap"`
 * fails at load time with the exact fix instead of at the first subprocess.
 */
import { constants } from "node:fs";
import { access, readFile } from "node:fs/promises";
import { unixSocketFilter } from "./seccomp.js";
import { runProcess } from "./spawn.js";

export type ProbeResult = { ok: true; bwrapPath: string } | { ok: false; reason: string; fix: string };

/** Where bwrap and `true` are looked for: fixed system directories, never the caller's PATH. */
export const SYSTEM_BIN_DIRS = ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"];

export async function findExecutable(
  name: string,
  dirs: readonly string[] = SYSTEM_BIN_DIRS,
): Promise<string | undefined> {
  for (const dir of dirs) {
    const candidate = `${dir}/${name}`;
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Kernel knobs that decide whether unprivileged user namespaces work. */
export interface UsernsSysctls {
  /** kernel.apparmor_restrict_unprivileged_userns (Ubuntu 23.10+) */
  apparmorRestrict?: string | undefined;
  /** kernel.unprivileged_userns_clone (Debian, older Ubuntu) */
  unprivilegedClone?: string | undefined;
  /** user.max_user_namespaces */
  maxUserNamespaces?: string | undefined;
}

export interface InstallHint {
  /** Package managers present on this machine, in preference order. */
  managers: string[];
}

const INSTALL: Record<string, string> = {
  "apt-get": "apt-get install -y bubblewrap",
  dnf: "dnf install -y bubblewrap",
  yum: "yum install -y bubblewrap",
  pacman: "pacman -S --noconfirm bubblewrap",
  zypper: "zypper install -y bubblewrap",
  apk: "apk add bubblewrap",
};

export function installFix(hint: InstallHint): string {
  const known = hint.managers.filter((m) => INSTALL[m]);
  if (known.length > 0) return `install it: ${INSTALL[known[0]!]}`;
  return `install the bubblewrap package (${Object.values(INSTALL).slice(0, 4).join(" | ")})`;
}

/** Turns a failed probe into a reason and the exact fix. Pure. */
export function diagnoseBwrapFailure(
  stderr: string,
  sysctls: UsernsSysctls,
): { reason: string; fix: string } {
  const first = stderr.trim().split("\n")[0] ?? "";
  const reason = `bubblewrap cannot create a sandbox here (bwrap: ${first || "no error message"})`;
  if (sysctls.apparmorRestrict?.trim() === "1") {
    return {
      reason: `${reason}; Ubuntu's AppArmor policy restricts unprivileged user namespaces`,
      fix:
        "either `sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0` (persist it in /etc/sysctl.d/), " +
        "or install an AppArmor profile that grants bwrap `userns` (e.g. /etc/apparmor.d/bwrap with " +
        "`profile bwrap /usr/bin/bwrap flags=(unconfined) { userns, }`, then `sudo apparmor_parser -r /etc/apparmor.d/bwrap`)",
    };
  }
  if (sysctls.unprivilegedClone?.trim() === "0") {
    return {
      reason: `${reason}; unprivileged user namespaces are disabled`,
      fix: "`sudo sysctl kernel.unprivileged_userns_clone=1` (persist it in /etc/sysctl.d/)",
    };
  }
  if (sysctls.maxUserNamespaces?.trim() === "0") {
    return {
      reason: `${reason}; user.max_user_namespaces is 0`,
      fix: "`sudo sysctl user.max_user_namespaces=15000` (persist it in /etc/sysctl.d/)",
    };
  }
  if (/mount|proc|Operation not permitted/i.test(first)) {
    return {
      reason: `${reason}; this looks like a container that forbids new mounts or namespaces`,
      fix:
        "run aegis on the host or in a container allowed to create namespaces " +
        "(Docker: `--security-opt seccomp=unconfined --security-opt apparmor=unconfined`, or `--privileged`)",
    };
  }
  return {
    reason,
    fix: "run `aegis doctor`; check that `bwrap --ro-bind / / --unshare-all true` works for this user",
  };
}

async function readSysctl(path: string): Promise<string | undefined> {
  return readFile(path, "utf8").catch(() => undefined);
}

export interface ProbeOptions {
  /** Where to look for bwrap (tests point this at an empty directory). */
  dirs?: readonly string[];
}

async function runProbe(options: ProbeOptions): Promise<ProbeResult> {
  if (!unixSocketFilter()) {
    return {
      ok: false,
      reason: `the jail's seccomp filter (no Unix-domain sockets) has no program for the ${process.arch} architecture`,
      fix: "run aegis on x64 or arm64 Linux to use the jail",
    };
  }
  const bwrapPath = await findExecutable("bwrap", options.dirs ?? SYSTEM_BIN_DIRS);
  if (!bwrapPath) {
    const managers: string[] = [];
    for (const m of Object.keys(INSTALL)) if (await findExecutable(m)) managers.push(m);
    return { ok: false, reason: "bubblewrap (bwrap) is not installed", fix: installFix({ managers }) };
  }
  const truePath = (await findExecutable("true")) ?? "/bin/true";
  const options_ = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"];
  options_.push("--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv");
  try {
    const r = await runProcess({
      file: truePath,
      args: [],
      cwd: "/",
      env: {},
      timeoutMs: 10_000,
      maxOutputBytes: 64 * 1024,
      display: "bwrap probe",
      jail: { bwrapPath, options: options_ },
    });
    if (r.code === 0) return { ok: true, bwrapPath };
    const sysctls: UsernsSysctls = {
      apparmorRestrict: await readSysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"),
      unprivilegedClone: await readSysctl("/proc/sys/kernel/unprivileged_userns_clone"),
      maxUserNamespaces: await readSysctl("/proc/sys/user/max_user_namespaces"),
    };
    return { ok: false, ...diagnoseBwrapFailure(r.stderr, sysctls) };
  } catch (e) {
    return {
      ok: false,
      reason: `bubblewrap could not be run: ${(e as Error).message}`,
      fix: installFix({ managers: [] }),
    };
  }
}

const cache = new Map<string, Promise<ProbeResult>>();

/** Probes once per process (per search path); later calls share the first answer. */
export function probeBwrap(options: ProbeOptions = {}): Promise<ProbeResult> {
  const key = (options.dirs ?? SYSTEM_BIN_DIRS).join(":");
  let p = cache.get(key);
  if (!p) {
    p = runProbe(options);
    cache.set(key, p);
  }
  return p;
}
