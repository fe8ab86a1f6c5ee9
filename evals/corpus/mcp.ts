/**
 * Runs a case's script through `aegis-mcp` (the SDK's own stdio client, `aegis_run` tool,
 * the server's working directory = the case project) and shapes the tool result like a
 * finished CLI run, so the same judge applies: the exit code is the one the CLI would
 * have given for the result's kind, and a server that dies or hangs is host harm.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { MCP_SERVER } from "../lib/repo.js";
import type { Finished } from "../lib/spawn.js";

const EXIT_OF_KIND: Record<string, number> = {
  success: 0,
  script_error: 1,
  policy_violation: 2,
  verifier_rejection: 3,
  confirm_denied: 4,
  io_error: 5,
  config_error: 5,
  runtime_limit: 6,
};

export interface McpRunOptions {
  cwd: string;
  env: Record<string, string>;
  /** node flags before the server (the fake-DNS preload). */
  nodeArgs: string[];
  script: string;
  approve: boolean;
  timeoutMs: number;
}

export async function runThroughMcp(o: McpRunOptions): Promise<Finished> {
  const started = performance.now();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...o.nodeArgs, MCP_SERVER, "--confirm-mode", o.approve ? "auto-allow" : "auto-deny"],
    cwd: o.cwd,
    env: o.env,
    stderr: "pipe",
  });
  const errChunks: Buffer[] = [];
  transport.stderr?.on("data", (d: Buffer) => errChunks.push(d));
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const client = new Client({ name: "aegis-evals", version: "1.0.0" });
  const finish = (code: number | null, stdout: string, timedOut: boolean): Finished => ({
    code,
    signal: exited?.signal ?? null,
    stdout,
    stderr: Buffer.concat(errChunks).toString("utf8"),
    timedOut,
    ms: performance.now() - started,
  });
  try {
    await client.connect(transport);
    const pid = transport.pid;
    const result = await client.callTool({ name: "aegis_run", arguments: { script: o.script } }, undefined, {
      timeout: o.timeoutMs,
    });
    const structured = (result.structuredContent ?? {}) as { kind?: string };
    const text = Array.isArray(result.content)
      ? result.content.map((c) => (c as { text?: string }).text ?? "").join("\n")
      : "";
    // Same shape as `aegis run --json` output, plus the text the model would read.
    const stdout = `${JSON.stringify(structured)}\n${text}`;
    if (pid !== null) {
      try {
        process.kill(pid, 0);
      } catch {
        exited = { code: null, signal: "SIGKILL" };
      }
    }
    return finish(EXIT_OF_KIND[structured.kind ?? ""] ?? 99, stdout, false);
  } catch (e) {
    const timedOut = /timed out|timeout/i.test(String(e));
    return finish(timedOut ? null : 98, `MCP call failed: ${String(e)}`, timedOut);
  } finally {
    await client.close().catch(() => {});
  }
}
