/**
 * Loads a policy file (or the built-in default) from disk and resolves it.
 * The only place policy files and presets are read.
 */
import type { ResolvedPolicy } from "../policy/types.js";

export interface LoadOptions {
  /** Working directory: the root when the built-in default is used. Defaults to process.cwd(). */
  cwd?: string;
  /** Home directory for `~`. Defaults to os.homedir(). */
  home?: string;
  /** The audit log path, checked by the load guards. */
  auditLog?: string;
}

/** Throws AegisError("config_error") with file:line:column for every problem. `file` null = secure-defaults. */
export async function loadPolicy(_file: string | null, _options: LoadOptions = {}): Promise<ResolvedPolicy> {
  throw new Error("not implemented yet");
}
