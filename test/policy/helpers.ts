/**
 * Shared fixtures for the policy tests: real temporary trees (with symlinks), policies
 * written as TOML files and loaded through the real loader, and an in-memory resolver
 * for the property tests (same parser and compiler, no guards, no disk per run).
 */
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { AegisError } from "../../src/errors.js";
import { argvPathArgs } from "../../src/host/argv-paths.js";
import { type LoadOptions, loadPolicySync } from "../../src/host/load-policy.js";
import { canonicalPathSync } from "../../src/host/paths.js";
import { decide } from "../../src/policy/decide.js";
import { compilePolicy, loadChain } from "../../src/policy/resolve.js";
import type { Decision, HttpMethod, Operation, ResolvedPolicy } from "../../src/policy/types.js";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));
export const PRESET = "secure-defaults";
export const PRESET_TEXT = readFileSync(join(REPO, "policies", "presets", `${PRESET}.toml`), "utf8");

const made: string[] = [];

/**
 * A fresh, realpath'd temporary directory (macOS and some CI have a symlinked /tmp),
 * removed by removeTempDirs().
 */
export function tempDir(prefix = "aegis-policy-"): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  made.push(dir);
  return dir;
}

/** Removes every directory tempDir() made in this process (call from a top-level after()). */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function writeFile(path: string, text = ""): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

export function link(target: string, path: string): string {
  mkdirSync(dirname(path), { recursive: true });
  symlinkSync(target, path);
  return path;
}

/**
 * The standard tree: `<base>/proj` is the root (policies live there), `<base>/home` is
 * `~`, `<base>/proj-evil` is the look-alike sibling for root-prefix attacks.
 */
export interface Tree {
  base: string;
  root: string;
  home: string;
  evil: string;
  cleanup: () => void;
}

export function makeTree(prefix = "aegis-tree-"): Tree {
  const base = tempDir(prefix);
  const root = join(base, "proj");
  const home = join(base, "home");
  const evil = join(base, "proj-evil");
  const files = [
    "proj/src/a.ts",
    "proj/src/deep/x/y.ts",
    "proj/src/private/k.txt",
    "proj/src/secrets/s.txt",
    "proj/src/a.c",
    "proj/script.py",
    "proj/app.js",
    "proj/notes.txt",
    "proj/docs/readme.md",
    "proj/docs/sub/readme.md",
    "proj/docs/sub/notes.txt",
    "proj/.env",
    "proj/.env.local",
    "proj/config/local/db.json",
    "proj/data/x.csv",
    "proj/data/x.db",
    "proj/out/old.log",
    "proj/git",
    "home/.ssh/id_rsa",
    "home/.aws/credentials",
    "home/.aws/config",
    "home/.aws/cli/cache.json",
    "home/.netrc",
    "home/.npmrc",
    "home/.config/myapp/token",
    "home/.config/myapp/settings.json",
    "proj-evil/src/a.ts",
    "proj-evil/notes.txt",
  ];
  for (const f of files) writeFile(join(base, f), `content of ${f}\n`);
  link(join(home, ".ssh/id_rsa"), join(root, "ln-ssh"));
  link(join(home, ".aws"), join(root, "ln-aws"));
  link(join(home, ".aws/cli"), join(root, "ln-cli"));
  link(join(home, ".ssh"), join(root, "outlink"));
  link(join(base, "nowhere/x"), join(root, "dl"));
  link("src", join(root, "rel-src"));
  return { base, root, home, evil, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

/** Writes `<dir>/<name>` and loads it through the real loader with the tree's home. */
export function loadFile(
  tree: Pick<Tree, "home" | "root">,
  file: string,
  options: LoadOptions = {},
): ResolvedPolicy {
  return loadPolicySync(file, { home: tree.home, cwd: tree.root, skipSandboxProbe: true, ...options });
}

/** Replaces `$ROOT`, `$HOME`, `$BASE` (and any extra keys) in a string. */
export function fill(text: string, vars: Record<string, string>): string {
  return text.replace(/\$([A-Z][A-Z0-9]*)/g, (m, k: string) => vars[k] ?? m);
}

/**
 * Resolves policy text in memory (parser + inheritance + compiler, exactly as the loader
 * does, minus the disk guards). Only built-in presets may be inherited.
 */
export function resolveText(
  text: string,
  ctx: { root: string; home: string; origin?: string },
): ResolvedPolicy {
  const origin = ctx.origin ?? join(ctx.root, "inline.toml");
  const layers = loadChain({ origin, text }, (ref) =>
    ref === PRESET ? { origin: PRESET, text: PRESET_TEXT } : { error: `unknown preset ${ref}` },
  );
  return compilePolicy(layers, { root: ctx.root, home: ctx.home, file: origin });
}

/** `key "value" (origin)`, the rule text decide() reports. */
export function rule(key: string, value: string, origin: string): string {
  return `${key} ${JSON.stringify(value)} (${origin})`;
}

// ------------------------------------------------------------- operations

/** An operation as written in a test: paths are raw (relative, `~`, `..`) until run. */
export type OpSpec =
  | { kind: "fs"; action: Extract<Operation, { path: string }>["kind"]; path: string; raw?: boolean }
  | { kind: "http"; method: string; url: string; ips?: string[] }
  | { kind: "env"; name: string }
  | { kind: "exec"; argv: string[]; cwd?: string; lexical?: boolean };

export const read = (path: string): OpSpec => ({ kind: "fs", action: "fs.read", path });
export const write = (path: string): OpSpec => ({ kind: "fs", action: "fs.write", path });
export const del = (path: string): OpSpec => ({ kind: "fs", action: "fs.delete", path });
export const list = (path: string): OpSpec => ({ kind: "fs", action: "fs.list", path });
export const exists = (path: string): OpSpec => ({ kind: "fs", action: "fs.exists", path });
/** An fs op whose path is handed to decide as written (no canonicalisation). */
export const rawFs = (action: "fs.read" | "fs.write", path: string): OpSpec => ({
  kind: "fs",
  action,
  path,
  raw: true,
});
export const http = (method: string, url: string, ips?: string[]): OpSpec => ({
  kind: "http",
  method,
  url,
  ...(ips ? { ips } : {}),
});
export const get = (url: string, ips?: string[]): OpSpec => http("GET", url, ips);
export const env = (name: string): OpSpec => ({ kind: "env", name });
export const exec = (...argv: string[]): OpSpec => ({ kind: "exec", argv });
export const execIn = (cwd: string, ...argv: string[]): OpSpec => ({ kind: "exec", argv, cwd });

/**
 * Runs an OpSpec the way the runtime does: fs paths and the subprocess cwd are
 * canonicalised with host/paths.ts, argv path arguments with host/argv-paths.ts. A
 * canonicalisation refusal becomes the deny `aegis policy explain` prints.
 */
export function run(policy: ResolvedPolicy, spec: OpSpec, vars: Record<string, string>): Decision {
  const base = { root: policy.root, home: policy.home };
  try {
    switch (spec.kind) {
      case "fs": {
        const p = fill(spec.path, vars);
        return decide(policy, { kind: spec.action, path: spec.raw ? p : canonicalPathSync(p, base) });
      }
      case "http":
        return decide(policy, {
          kind: "net.http",
          method: spec.method as HttpMethod,
          url: fill(spec.url, vars),
          ...(spec.ips ? { resolvedIps: spec.ips } : {}),
        });
      case "env":
        return decide(policy, { kind: "env.read", name: spec.name });
      case "exec": {
        const argv = spec.argv.map((a) => fill(a, vars));
        const cwd = spec.cwd === undefined ? undefined : canonicalPathSync(fill(spec.cwd, vars), base);
        const op: Operation = { kind: "subprocess.exec", argv, ...(cwd ? { cwd } : {}) };
        if (!spec.lexical) op.pathArgs = argvPathArgs(argv, cwd ? { ...base, cwd } : base);
        return decide(policy, op);
      }
    }
  } catch (e) {
    if (e instanceof AegisError && e.kind === "policy_violation") {
      return { decision: "deny", reason: e.message, rule: "path canonicalisation", sealed: false };
    }
    throw e;
  }
}
