/**
 * Runs the real, bundled `aegis-mcp` (dist/aegis-mcp.js) as a child process in a temp
 * project and talks to it with real MCP clients over stdio: the SDK's own `Client`, a
 * hand-written newline-delimited JSON-RPC exchange, and the MCP Inspector CLI. The tests see
 * what a host sees: tool results, protocol errors, stdout bytes, files and audit records.
 */
import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import {
  type CallToolResult,
  CallToolResultSchema,
  type ElicitRequest,
  ElicitRequestSchema,
  type ElicitResult,
} from "@modelcontextprotocol/sdk/types.js";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const MCP_BIN = join(REPO_ROOT, "dist", "aegis-mcp.js");
export const INSPECTOR_BIN = join(REPO_ROOT, "node_modules", ".bin", "mcp-inspector");

/** Every tool mcp.md lists. */
export const TOOL_NAMES = [
  "aegis_run",
  "aegis_policy",
  "aegis_fs_read",
  "aegis_fs_write",
  "aegis_fs_replace",
  "aegis_fs_list",
  "aegis_fs_delete",
  "aegis_http",
  "aegis_exec",
  "aegis_env_read",
  "aegis_tool_routing",
] as const;

export const RUN_KINDS = [
  "success",
  "script_error",
  "policy_violation",
  "verifier_rejection",
  "confirm_denied",
  "runtime_limit",
  "io_error",
] as const;
export type RunKindName = (typeof RUN_KINDS)[number];

/** `structuredContent` of a run-backed tool: the run result shape plus `aegis_error_kind`. */
export interface RunStructured {
  ok: boolean;
  kind: RunKindName;
  value?: unknown;
  output: string;
  error?: { message: string; line?: number; column?: number };
  calls: Array<{ cap: string; target: string; decision: string }>;
  duration_ms: number;
  run_id: string;
  aegis_error_kind?: RunKindName;
}

function requireBuild(): void {
  if (!existsSync(MCP_BIN)) {
    throw new Error(`${MCP_BIN} is missing: run \`npm run build\` before the MCP tests`);
  }
}

/** Environment for a child: nothing of the test runner's or of aegis' own settings leaks in. */
export function childEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^AEGIS_/i.test(k) && !k.startsWith("NODE_TEST") && k !== "NODE_OPTIONS") {
      env[k] = v;
    }
  }
  return { ...env, HOME: home, NO_COLOR: "1", ...extra };
}

export interface McpProject {
  /** The project directory (canonical), holding `aegis.toml`. */
  root: string;
  home: string;
  base: string;
  /** The default audit log, `.aegis/audit.jsonl` beside the policy. */
  auditLog: string;
  path(rel: string): string;
  write(rel: string, content: string): string;
  read(rel: string): string;
  exists(rel: string): boolean;
  remove(): void;
}

/** A fresh temp project with `aegis.toml` = `policy` and the given files. */
export function mcpProject(policy: string, files: Record<string, string> = {}): McpProject {
  const base = realpathSync(mkdtempSync(join(tmpdir(), "aegis-mcp-")));
  const root = join(base, "project");
  const home = join(base, "home");
  mkdirSync(root);
  mkdirSync(home);
  const path = (rel: string) => join(root, rel);
  const write = (rel: string, content: string) => {
    const p = path(rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
    return p;
  };
  write("aegis.toml", policy);
  for (const [rel, content] of Object.entries(files)) write(rel, content);
  return {
    root,
    home,
    base,
    auditLog: join(root, ".aegis", "audit.jsonl"),
    path,
    write,
    read: (rel) => readFileSync(path(rel), "utf8"),
    exists: (rel) => existsSync(path(rel)),
    remove: () => rmSync(base, { recursive: true, force: true }),
  };
}

export type ElicitHandler = (request: ElicitRequest) => Promise<ElicitResult> | ElicitResult;

export interface StartOptions {
  /** Extra `aegis-mcp` flags after `--policy aegis.toml`. */
  args?: string[];
  /** Extra environment for the server (secrets, variables the policy names). */
  env?: Record<string, string>;
  /** Declare the elicitation capability and answer `elicitation/create` with this. */
  elicit?: ElicitHandler;
}

export interface AegisClient {
  client: Client;
  /** The server process id (its worker threads live in the same process). */
  pid: number;
  stderr(): string;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

/** Spawns `node dist/aegis-mcp.js --policy aegis.toml …` in the project and connects the SDK client. */
export async function startAegis(project: McpProject, options: StartOptions = {}): Promise<AegisClient> {
  requireBuild();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [MCP_BIN, "--policy", "aegis.toml", ...(options.args ?? [])],
    cwd: project.root,
    env: childEnv(project.home, options.env),
    stderr: "pipe",
  });
  const errChunks: Buffer[] = [];
  transport.stderr?.on("data", (d: Buffer) => errChunks.push(d));
  const client = new Client(
    { name: "aegis-test-client", version: "1.0.0" },
    options.elicit ? { capabilities: { elicitation: {} } } : {},
  );
  const elicit = options.elicit;
  if (elicit) client.setRequestHandler(ElicitRequestSchema, (request) => elicit(request));
  await client.connect(transport);
  const pid = transport.pid;
  if (pid === null) throw new Error("aegis-mcp did not start");
  let closed = false;
  return {
    client,
    pid,
    stderr: () => Buffer.concat(errChunks).toString("utf8"),
    call: async (name, args = {}) =>
      (await client.callTool({ name, arguments: args }, CallToolResultSchema, {
        timeout: 120_000,
      })) as CallToolResult,
    close: async () => {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}

/** The single text block of a tool result. */
export function textOf(result: CallToolResult): string {
  const texts = result.content.filter((c) => c.type === "text");
  if (texts.length !== 1 || texts[0]?.type !== "text") {
    throw new Error(`expected exactly one text block, got ${JSON.stringify(result.content)}`);
  }
  return texts[0].text;
}

/** `structuredContent` of a run-backed tool, checked against the run result shape of script-api.md. */
export function runOf(result: CallToolResult): RunStructured {
  const s = result.structuredContent as RunStructured | undefined;
  if (s === undefined) throw new Error(`no structuredContent in ${JSON.stringify(result)}`);
  const problems: string[] = [];
  if (typeof s.ok !== "boolean") problems.push("ok is not a boolean");
  if (!RUN_KINDS.includes(s.kind)) problems.push(`kind ${String(s.kind)} is not a run kind`);
  if (s.ok !== (s.kind === "success")) problems.push("ok disagrees with kind");
  if (typeof s.output !== "string") problems.push("output is not a string");
  if (!Array.isArray(s.calls)) problems.push("calls is not an array");
  else if (
    s.calls.some(
      (c) => typeof c.cap !== "string" || typeof c.target !== "string" || typeof c.decision !== "string",
    )
  )
    problems.push("a call lacks cap/target/decision");
  if (typeof s.duration_ms !== "number") problems.push("duration_ms is not a number");
  if (typeof s.run_id !== "string" || !s.run_id.startsWith("r-")) problems.push("run_id is not r-…");
  if (!s.ok && typeof s.error?.message !== "string") problems.push("a failed run has no error.message");
  if (!s.ok && s.aegis_error_kind !== s.kind) problems.push("aegis_error_kind differs from kind");
  if (s.ok && result.isError) problems.push("isError on a successful run");
  if (!s.ok && result.isError !== true) problems.push("a failed run is not isError");
  if (problems.length > 0) throw new Error(`not a run result (${problems.join("; ")}): ${JSON.stringify(s)}`);
  return s;
}

/** The parsed records of an audit log (empty when it does not exist yet). */
export function auditRecords(path: string): Array<Record<string, unknown>> {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The secret and the encodings a leak would most likely use. */
export function secretForms(secret: string): string[] {
  const b64 = Buffer.from(secret).toString("base64");
  return [
    secret,
    b64,
    b64.replace(/=+$/, ""),
    Buffer.from(secret).toString("base64url"),
    Buffer.from(secret).toString("hex"),
    Buffer.from(secret).toString("hex").toUpperCase(),
    [...secret].reverse().join(""),
    encodeURIComponent(secret),
  ];
}

/** The first form of `secret` found anywhere in `value` (serialised), or undefined. */
export function findSecret(value: unknown, secret: string): string | undefined {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return secretForms(secret).find((form) => text.includes(form));
}

/** Resident set size of a process, in KiB, from /proc. */
export function vmRssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m?.[1]) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; rejects only on a spawn failure or after `timeoutMs`. */
export function runProcess(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; input?: string; timeoutMs?: number },
): Promise<ProcessResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["pipe", "pipe", "pipe"] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (d: Buffer) => out.push(d));
  child.stderr.on("data", (d: Buffer) => err.push(d));
  child.stdin.on("error", () => {});
  child.stdin.end(options.input ?? "");
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
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

/** `mcp-inspector --cli node dist/aegis-mcp.js --policy aegis.toml ARGS…`, run in the project. */
export function runInspector(project: McpProject, args: string[]): Promise<ProcessResult> {
  requireBuild();
  return runProcess(INSPECTOR_BIN, ["--cli", process.execPath, MCP_BIN, "--policy", "aegis.toml", ...args], {
    cwd: project.root,
    env: childEnv(project.home),
    timeoutMs: 90_000,
  });
}
