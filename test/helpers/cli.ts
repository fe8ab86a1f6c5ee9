/**
 * Runs the real `aegis` CLI (src/cli/main.ts through tsx) as a child process, in a temp
 * project with its own HOME, so the tests see exactly what a user or a host sees: exit
 * code, stdout, stderr and the bytes left on disk.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MAIN = join(REPO_ROOT, "src", "cli", "main.ts");
/** The built CLI (`npm run build`), for tests that check dist/ behaves as the source does. */
export const BUILT_MAIN = join(REPO_ROOT, "dist", "aegis.js");
/** tsx by absolute URL: the child's cwd is a temp project, where a bare "tsx" does not resolve. */
const TSX_LOADER = pathToFileURL(join(REPO_ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href;
const TIMEOUT_MS = 60_000;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  home: string;
  /** Written to stdin, which is then closed (an empty stdin when omitted). */
  input?: string | Buffer;
  env?: Record<string, string>;
  /** Extra node flags before the tsx loader, e.g. another `--import`. */
  nodeFlags?: string[];
  /** Run the built dist/aegis.js instead of the source. */
  built?: boolean;
}

/** Runs `aegis ARGS…`; never rejects on a non-zero exit, only on a spawn failure or a hang. */
export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    // The parent's aegis settings and test-runner plumbing must not leak into the child.
    if (v !== undefined && !/^AEGIS_/i.test(k) && !k.startsWith("NODE_TEST")) env[k] = v;
  }
  Object.assign(env, { HOME: options.home, NO_COLOR: "1" }, options.env);
  const child = spawn(
    process.execPath,
    options.built
      ? [...(options.nodeFlags ?? []), BUILT_MAIN, ...args]
      : [...(options.nodeFlags ?? []), "--import", TSX_LOADER, MAIN, ...args],
    { cwd: options.cwd, env, stdio: ["pipe", "pipe", "pipe"] },
  );
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (d: Buffer) => out.push(d));
  child.stderr.on("data", (d: Buffer) => err.push(d));
  // A child that exits before reading all of a large stdin closes the pipe: not our failure.
  child.stdin.on("error", () => {});
  child.stdin.end(options.input ?? "");
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`aegis ${args.join(" ")} did not finish within ${TIMEOUT_MS} ms`));
    }, TIMEOUT_MS);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
  });
}

export interface TempProject {
  /** The project directory (canonical: symlinks in the temp dir path resolved). */
  root: string;
  /** The HOME the child sees. */
  home: string;
  /** The directory holding both. */
  base: string;
}

/** A fresh `base/project` and `base/home`, removed after the test. */
export function tempProject(t: { after: (fn: () => void) => void }, prefix = "aegis-cli-"): TempProject {
  const base = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const root = join(base, "project");
  const home = join(base, "home");
  mkdirSync(root);
  mkdirSync(home);
  return { root, home, base };
}

/** The parsed JSON lines of an audit log. */
export function auditRecords(path: string): Array<Record<string, unknown>> {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
