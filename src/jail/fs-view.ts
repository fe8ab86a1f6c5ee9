/**
 * The host file system as the jail builder sees it, plus the unreadable placeholder file
 * bound over denied files.
 */
import { chmod, lstat, mkdir, mkdtemp, readdir, realpath, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FsView, NodeKind } from "./bwrap-args.js";

function kindOf(st: { isDirectory(): boolean; isFile(): boolean; isSymbolicLink(): boolean }): NodeKind {
  if (st.isSymbolicLink()) return "symlink";
  if (st.isDirectory()) return "dir";
  if (st.isFile()) return "file";
  return "other";
}

export const hostFsView: FsView = {
  async kind(path) {
    try {
      return kindOf(await lstat(path));
    } catch {
      return null;
    }
  },
  async realpath(path) {
    try {
      return await realpath(path);
    } catch {
      return null;
    }
  },
  async list(dir) {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.map((e) => ({ name: e.name, kind: kindOf(e) }));
  },
  async makeDir(path) {
    // Not recursive, and EEXIST is fine: the caller checks what is there (lstat) after.
    await mkdir(path).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== "EEXIST") throw e;
    });
  },
};

let blank: Promise<string> | undefined;

/**
 * An empty file with mode 000 in a private directory. Bound read-only over a denied file,
 * reading it fails (EACCES) even for root, because the jail drops CAP_DAC_OVERRIDE, and
 * it cannot be chmod-ed on a read-only bind.
 */
export async function blankFile(): Promise<string> {
  const existing = blank ? await blank.catch(() => undefined) : undefined;
  if (existing !== undefined && (await stat(existing).catch(() => null))?.isFile()) return existing;
  blank = (async () => {
    const dir = await mkdtemp(join(tmpdir(), "aegis-jail-"));
    const file = join(dir, "denied");
    await writeFile(file, "", { mode: 0o000 });
    await chmod(file, 0o000);
    return file;
  })();
  return blank;
}
