/**
 * Loads a policy file (or the built-in default) from disk and resolves it.
 * The only place policy files and presets are read; the guards that need real
 * paths (a policy granting write on itself, access to the audit log) run here.
 */
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { AegisError } from "../errors.js";
import { ruleName } from "../policy/decide.js";
import { type ConfigIssue, MAX_POLICY_BYTES } from "../policy/parse.js";
import { escapeGlob } from "../policy/patterns.js";
import { compilePolicy, formatIssue, loadChain, PolicyIssues, type PolicySource } from "../policy/resolve.js";
import type { PathRule, ResolvedPolicy } from "../policy/types.js";
import { builtInPresetLayer } from "./built-in-presets.js";
import { canonicalPathSync } from "./paths.js";

export interface LoadOptions {
  /** Working directory: the root when the built-in default is used. Defaults to process.cwd(). */
  cwd?: string;
  /** Home directory for `~`. Defaults to os.homedir(). */
  home?: string;
  /** The audit log path, checked by the load guards. Defaults to `.aegis/audit.jsonl` under the root. */
  auditLog?: string;
  /** Skip probing bubblewrap (for `policy explain` / `show`, which never spawn). */
  skipSandboxProbe?: boolean;
}

export class PolicyLoadError extends AegisError {
  constructor(readonly issues: ConfigIssue[]) {
    super("config_error", issues.map(formatIssue).join("\n"));
  }
}

export const DEFAULT_PRESET = "secure-defaults";

function findPresetDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "policies", "presets");
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new AegisError("config_error", "aegis installation is incomplete: policies/presets not found");
}

let presetDir: string | undefined;

export function presetPath(name: string): string | undefined {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) return undefined;
  presetDir ??= findPresetDir();
  const p = join(presetDir, `${name}.toml`);
  return existsSync(p) ? p : undefined;
}

/** A built-in preset: parsed at build time when inlined, else read from policies/presets. */
function presetSource(name: string): PolicySource | undefined {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) return undefined;
  const layer = builtInPresetLayer(name);
  if (layer) return { origin: name, layer };
  const path = presetPath(name);
  return path ? { origin: name, text: readFileSync(path, "utf8") } : undefined;
}

function readPolicyText(path: string): string {
  const st = statSync(path);
  if (!st.isFile()) throw new Error("not a regular file");
  if (st.size > MAX_POLICY_BYTES) {
    throw new Error(`policy file is too large (${st.size} bytes; the limit is ${MAX_POLICY_BYTES})`);
  }
  return readFileSync(path, "utf8");
}

function loadRef(
  ref: string,
  from: string,
  isPresetOrigin: (o: string) => boolean,
): PolicySource | { error: string } {
  const preset = presetSource(ref);
  if (preset) return preset;
  if (isPresetOrigin(from) || (!ref.includes("/") && !ref.endsWith(".toml"))) {
    return { error: `unknown preset "${ref}" (available: ${DEFAULT_PRESET})` };
  }
  const path = isAbsolute(ref) ? ref : resolve(dirname(from), ref);
  try {
    return { origin: realpathSync(path), text: readPolicyText(path) };
  } catch (e) {
    return { error: `cannot read inherited policy ${path}: ${(e as Error).message}` };
  }
}

function realOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

export function defaultAuditLog(root: string): string {
  return join(root, ".aegis", "audit.jsonl");
}

/**
 * Loads and resolves the policy; when it asks for `subprocess.sandbox = "bwrap"`, also
 * proves that bubblewrap can jail a process here. If it cannot, the policy does not load:
 * aegis never runs a subprocess unjailed in place of a jailed one.
 */
export async function loadPolicy(file: string | null, options: LoadOptions = {}): Promise<ResolvedPolicy> {
  const policy = loadPolicySync(file, options);
  if (policy.subprocess.sandbox === "bwrap" && !options.skipSandboxProbe) {
    // Loaded here, not at the top: the probe pulls in child_process and the jail, which the
    // commands that never spawn (the hook, policy show) should not pay for at start-up.
    const { probeBwrap } = await import("../jail/probe.js");
    const probe = await probeBwrap();
    if (!probe.ok) {
      throw new PolicyLoadError([
        {
          file: policy.file ?? DEFAULT_PRESET,
          message: `subprocess.sandbox = "bwrap", but ${probe.reason}. Fix: ${probe.fix}`,
        },
      ]);
    }
  }
  return policy;
}

export function loadPolicySync(file: string | null, options: LoadOptions = {}): ResolvedPolicy {
  const cwd = realOr(options.cwd ?? process.cwd());
  const home = realOr(options.home ?? homedir());
  let entry: PolicySource;
  let root: string;
  let absFile: string | null = null;
  if (file === null) {
    const preset = presetSource(DEFAULT_PRESET);
    if (!preset) throw new AegisError("config_error", "built-in preset secure-defaults is missing");
    entry = preset;
    root = cwd;
  } else {
    const given = resolve(cwd, file);
    try {
      absFile = realpathSync(given);
      entry = { origin: absFile, text: readPolicyText(absFile) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? "no such file" : (e as Error).message;
      throw new PolicyLoadError([{ file: given, message: `cannot read policy file: ${why}` }]);
    }
    root = dirname(absFile);
  }
  const isPreset = (o: string) => !o.startsWith("/");
  let policy: ResolvedPolicy;
  try {
    const layers = loadChain(entry, (ref, from) => loadRef(ref, from, isPreset));
    policy = compilePolicy(layers, { root, home, file: absFile });
  } catch (e) {
    if (e instanceof PolicyIssues) throw new PolicyLoadError(e.issues);
    throw e;
  }
  const base = { root, home, cwd };
  const auditLog = canonicalPathSync(options.auditLog ?? defaultAuditLog(root), base);
  policy.reserved = { auditLogs: [auditLog], policyFiles: policy.chain.filter((o) => !isPreset(o)) };
  const issues = guardIssues(policy);
  if (issues.length > 0) throw new PolicyLoadError(issues);
  return policy;
}

function grantedBy(rules: PathRule[], deny: PathRule[], path: string): PathRule | undefined {
  if (deny.some((d) => d.test(path))) return undefined;
  return rules.find((r) => r.test(path));
}

/** policy.md "Guards at load". */
function guardIssues(policy: ResolvedPolicy): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const fs = policy.filesystem;
  for (const pf of policy.reserved.policyFiles) {
    for (const [rules, what, key] of [
      [fs.writeAllow, "write", "write_allow"],
      [fs.deleteAllow, "delete", "delete_allow"],
    ] as const) {
      const r = grantedBy(rules, fs.deny, pf);
      if (r) {
        issues.push({
          file: r.origin,
          line: r.line,
          column: r.column,
          message: `the policy grants ${what} on its own file ${pf} (${ruleName(`filesystem.${key}`, r)}); narrow it or add ${JSON.stringify(pf)} to filesystem.deny`,
        });
      }
    }
  }
  for (const log of policy.reserved.auditLogs) {
    for (const [rules, key] of [
      [fs.readAllow, "read_allow"],
      [fs.localOnlyRead, "local_only_read"],
      [fs.writeAllow, "write_allow"],
      [fs.deleteAllow, "delete_allow"],
    ] as const) {
      const r = grantedBy(rules, fs.deny, log);
      if (r) {
        issues.push({
          file: r.origin,
          line: r.line,
          column: r.column,
          message: `the policy grants access to the audit log ${log} (${ruleName(`filesystem.${key}`, r)}); add ${JSON.stringify(`${escapeGlob(dirname(log))}/**`)} to filesystem.deny or move the log with --audit-log`,
        });
      }
    }
  }
  return issues;
}
