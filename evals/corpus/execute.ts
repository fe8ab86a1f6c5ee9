/**
 * Runs one case through the real CLI (`aegis run`, `aegis audit verify` or `aegis policy`)
 * in a fresh project, and records everything the judge needs: exit, signal, time, output,
 * the parsed result, the audit log, what the servers saw, and every file that changed.
 * The caller judges the observation, then removes the project (`observation.project.cleanup()`).
 */
import { createHash } from "node:crypto";
import { appendFileSync, existsSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CLI } from "../lib/repo.js";
import { type Finished, runChild } from "../lib/spawn.js";
import { runThroughMcp } from "./mcp.js";
import { differences, fill, fillDeep, makeProject, type Project, snapshot } from "./project.js";
import type { EvalCase, Tamper } from "./schema.js";
import { type CaseServers, startCaseServers } from "./servers.js";

const FAKE_DNS = fileURLToPath(new URL("../lib/fake-dns.mjs", import.meta.url));

/** The runner's own deadline for one CLI process: the host-harm guard. */
export const DEFAULT_CASE_TIMEOUT_MS = 45_000;

export interface RunResultShape {
  ok?: boolean;
  kind?: string;
  calls?: unknown[];
  value?: unknown;
  output?: string;
  error?: { message?: string };
}

export interface Observation {
  /** The process whose exit the case judges (the run, or audit verify / policy). */
  final: Finished;
  /** Every CLI process the case started (a crash in any of them harms the host). */
  processes: Finished[];
  result?: RunResultShape;
  auditText: string;
  /** null when the log is intact; otherwise why the chain is broken (checked independently). */
  auditChainProblem: string | null;
  canaryConnections: number;
  canaryRequests: CaseServers["canary"]["requests"];
  /** The run made calls, yet the audit log's directory is gone afterwards. */
  auditDirRemoved: boolean;
  apiRequests: CaseServers["api"]["requests"];
  /** Paths created, changed or removed outside the project (HOME and the outside canaries). */
  outsideChanges: string[];
  /** The same inside the project (excluding .aegis and .git). */
  projectChanges: string[];
  /** Digest (or null: absent) of each `expect.unchanged` path before the run. */
  unchangedBefore: Map<string, string | null>;
  project: Project;
}

export interface ExecuteOptions {
  timeoutMs?: number;
  /** Run the script through aegis-mcp's aegis_run instead of `aegis run` (run mode only). */
  viaMcp?: boolean;
}

export function baseEnv(c: EvalCase, project: Project): Record<string, string> {
  return {
    // A fixed, ordinary PATH: the same commands resolve on every machine the evals run on.
    PATH: "/usr/local/bin:/usr/bin:/bin",
    HOME: project.home,
    LANG: "C.UTF-8",
    ...fillDeep(c.env ?? {}, project.vars),
  };
}

function nodeArgs(c: EvalCase, project: Project, env: Record<string, string>): string[] {
  if (!c.dns) return [];
  const table = join(project.base, "dns.json");
  writeFileSync(table, JSON.stringify(fillDeep(c.dns, project.vars)));
  env.EVAL_FAKE_DNS = table;
  return ["--import", FAKE_DNS];
}

const sha256 = (s: string | Buffer) => createHash("sha256").update(s).digest("hex");

/** sha256 of a file's bytes, the target of a symlink, or null when nothing is there. */
export function digestAt(path: string): string | null {
  try {
    return sha256(readFileSync(path));
  } catch {
    try {
      return `link:${readlinkSync(path)}`;
    } catch {
      return existsSync(path) ? "unreadable" : null;
    }
  }
}

/** An independent check of the chain (audit.md): seq 1, 2, 3… and prev = sha256(previous line). */
export function auditChainProblem(text: string): string | null {
  if (text === "") return null;
  if (!text.endsWith("\n")) return "the last line is not terminated";
  const lines = text.slice(0, -1).split("\n");
  let prev = "0".repeat(64);
  for (const [i, line] of lines.entries()) {
    let rec: { seq?: number; prev?: string };
    try {
      rec = JSON.parse(line) as { seq?: number; prev?: string };
    } catch {
      return `line ${i + 1} is not JSON`;
    }
    if (rec.seq !== i + 1) return `line ${i + 1} has seq ${rec.seq}`;
    if (rec.prev !== prev) return `line ${i + 1} does not chain to line ${i}`;
    prev = sha256(line);
  }
  return null;
}

/** The run result: the whole stdout (`aegis run --json`), or its first line (the MCP driver). */
function parseResult(stdout: string): RunResultShape | undefined {
  for (const text of [stdout, stdout.split("\n")[0] ?? ""]) {
    try {
      return JSON.parse(text) as RunResultShape;
    } catch {
      // try the next form
    }
  }
  return undefined;
}

function tamper(path: string, ops: readonly Tamper[]): void {
  for (const op of ops) {
    const text = existsSync(path) ? readFileSync(path, "utf8") : "";
    const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
    const at = (n: number) => {
      if (n < 1 || n > lines.length) throw new Error(`tamper: the log has ${lines.length} lines, not ${n}`);
      return n - 1;
    };
    switch (op.op) {
      case "edit": {
        const i = at(op.line);
        if (!lines[i]!.includes(op.from)) throw new Error(`tamper: line ${op.line} has no ${op.from}`);
        lines[i] = lines[i]!.replace(op.from, op.to);
        break;
      }
      case "delete":
        lines.splice(at(op.line), 1);
        break;
      case "insert":
        lines.splice(at(op.line), 0, lines[at(op.copyOf)]!);
        break;
      case "swap": {
        const i = at(op.line);
        at(op.line + 1);
        [lines[i], lines[i + 1]] = [lines[i + 1]!, lines[i]!];
        break;
      }
      case "truncate":
        lines.splice(op.keep);
        break;
      case "torn": {
        const last = lines[lines.length - 1] ?? "";
        writeFileSync(path, `${lines.join("\n")}\n`);
        appendFileSync(path, last.slice(0, op.bytes));
        continue;
      }
      case "append":
        lines.push(op.text);
        break;
      case "replace":
        writeFileSync(path, op.text);
        continue;
    }
    writeFileSync(path, lines.length === 0 ? "" : `${lines.join("\n")}\n`);
  }
}

export async function executeCase(c: EvalCase, options: ExecuteOptions = {}): Promise<Observation> {
  const servers = await startCaseServers();
  const project = makeProject(c, { canary: servers.canary.port, api: servers.api.port });
  servers.serve(c.serve, project.vars);
  // A case that states its own bound gets a deadline near it: a hang shows as host harm sooner.
  const timeoutMs =
    options.timeoutMs ??
    (c.expect.maxMs ? Math.max(c.expect.maxMs + 10_000, 20_000) : DEFAULT_CASE_TIMEOUT_MS);
  const env = baseEnv(c, project);
  const pre = nodeArgs(c, project, env);
  const aegis = (args: string[]) =>
    runChild(process.execPath, [...pre, CLI, ...args], { cwd: project.root, env, timeoutMs });
  const skip = [join(project.root, ".aegis"), join(project.root, ".git")];
  const beforeProject = snapshot(project.root, skip);
  const beforeOutside = new Map([...snapshot(project.home), ...snapshot(project.outside)]);
  const unchangedBefore = new Map<string, string | null>();
  for (const p of c.expect.unchanged ?? []) unchangedBefore.set(p, digestAt(project.place(p)));
  const processes: Finished[] = [];
  const custom = (c.args ?? []).indexOf("--audit-log");
  const auditLog =
    custom >= 0 && c.args?.[custom + 1] !== undefined
      ? project.place(c.args[custom + 1]!)
      : join(project.root, ".aegis", "audit.jsonl");
  const runArgs = ["run", "--json", ...(c.args ?? []).map((a) => fill(a, project.vars)), "script.js"];
  try {
    let final: Finished;
    if (c.mode === "policy") {
      final = await aegis([
        "policy",
        ...(c.policyArgs ?? ["validate", "aegis.toml"]).map((a) => fill(a, project.vars)),
      ]);
      processes.push(final);
    } else if (c.mode === "audit") {
      const plan = c.audit ?? {};
      for (let i = 0; i < (plan.before ?? 1); i++) {
        const batch = await Promise.all(Array.from({ length: plan.concurrent ?? 1 }, () => aegis(runArgs)));
        processes.push(...batch);
      }
      // What an operator noted before the tampering (`aegis audit verify` prints it): the
      // SHA-256 of the log's last line, for `--last-hash {{LAST_HASH}}`.
      const lines = existsSync(auditLog)
        ? readFileSync(auditLog, "utf8")
            .split("\n")
            .filter((l) => l !== "")
        : [];
      const lastHash = createHash("sha256")
        .update(lines[lines.length - 1] ?? "")
        .digest("hex");
      if (plan.tamper) tamper(auditLog, fillDeep(plan.tamper, project.vars));
      for (let i = 0; i < (plan.after ?? 0); i++) processes.push(await aegis(runArgs));
      const verifyArgs = (plan.verifyArgs ?? []).map((a) => a.replace("{{LAST_HASH}}", lastHash));
      final = await aegis(["audit", "verify", ".aegis/audit.jsonl", ...verifyArgs]);
      processes.push(final);
    } else if (options.viaMcp) {
      final = await runThroughMcp({
        cwd: project.root,
        env,
        nodeArgs: pre,
        script: fill(c.script, project.vars),
        approve: (c.args ?? []).includes("--yes"),
        timeoutMs,
      });
      processes.push(final);
    } else {
      final = await aegis(runArgs);
      processes.push(final);
    }
    const lastRun = c.mode === "audit" ? processes[processes.length - 2] : final;
    const result = c.mode === "policy" || !lastRun ? undefined : parseResult(lastRun.stdout);
    let auditText = "";
    try {
      auditText = readFileSync(auditLog, "utf8");
    } catch {
      auditText = "";
    }
    const afterOutside = new Map([...snapshot(project.home), ...snapshot(project.outside)]);
    return {
      final,
      processes,
      ...(result ? { result } : {}),
      auditText,
      auditChainProblem: c.mode === "audit" ? null : auditChainProblem(auditText),
      canaryConnections: servers.canaryConnections(),
      canaryRequests: [...servers.canary.requests, ...(servers.canaryV6?.requests ?? [])],
      auditDirRemoved:
        c.mode !== "audit" &&
        c.mode !== "policy" &&
        (result?.calls?.length ?? 0) > 0 &&
        existsSync(join(project.root, ".aegis")) === false &&
        auditLog === join(project.root, ".aegis", "audit.jsonl"),
      apiRequests: servers.api.requests,
      outsideChanges: differences(beforeOutside, afterOutside),
      projectChanges: differences(beforeProject, snapshot(project.root, skip)),
      unchangedBefore,
      project,
    };
  } catch (e) {
    project.cleanup();
    throw e;
  } finally {
    await servers.close();
  }
}
