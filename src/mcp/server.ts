/**
 * The aegis MCP server, built without a transport (main.ts attaches stdio; tests can
 * attach an in-memory pair). Every tool is a thin adapter over Sandbox.run, so gating,
 * audit, sealing and redaction take one code path for scripts and wrappers alike.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
} from "@modelcontextprotocol/sdk/types.js";
import type { ConfirmRequest, RunResult } from "../host/builtin-types.js";
import { Sandbox } from "../host/sandbox.js";
import type { ResolvedPolicy } from "../policy/types.js";
import { describePolicy } from "./describe-policy.js";
import { TOOLS, wrapperScript } from "./tools.js";

export type ConfirmMode = "auto" | "elicit" | "auto-allow" | "auto-deny";
export const CONFIRM_MODES: readonly ConfirmMode[] = ["auto", "elicit", "auto-allow", "auto-deny"];

export interface AegisServerOptions {
  policy: ResolvedPolicy;
  cwd: string;
  auditLog: string;
  confirmMode: ConfirmMode;
  env: Record<string, string | undefined>;
  /** How long an elicitation may stay unanswered before it counts as declined. */
  elicitTimeoutMs?: number;
  log?: (line: string) => void;
}

const VERSION = "0.1.0";

function validateArgs(tool: (typeof TOOLS)[number], args: Record<string, unknown>): string | undefined {
  const props = tool.inputSchema.properties;
  for (const key of Object.keys(args)) if (!(key in props)) return `unknown argument "${key}"`;
  for (const key of tool.inputSchema.required ?? [])
    if (args[key] === undefined) return `missing argument "${key}"`;
  for (const [key, value] of Object.entries(args)) {
    const schema = props[key] as {
      type?: string;
      items?: { type: string };
      enum?: string[];
      additionalProperties?: unknown;
    };
    const t = schema.type;
    const bad =
      (t === "string" && typeof value !== "string") ||
      (t === "number" && (typeof value !== "number" || !(value > 0))) ||
      (t === "integer" && (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)) ||
      (t === "array" &&
        (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== "string"))) ||
      (t === "object" &&
        (typeof value !== "object" ||
          value === null ||
          Array.isArray(value) ||
          Object.values(value).some((v) => typeof v !== "string"))) ||
      (schema.enum !== undefined && !schema.enum.includes(String(value)));
    if (bad)
      return `argument "${key}" has the wrong type (expected ${schema.enum ? `one of ${schema.enum.join("|")}` : t})`;
  }
  return undefined;
}

export function resultToCallTool(result: RunResult): CallToolResult {
  const parts: string[] = [];
  if (result.output) parts.push(result.output.trimEnd());
  if (result.ok) {
    if (result.value !== undefined) {
      parts.push(typeof result.value === "string" ? result.value : JSON.stringify(result.value, null, 2));
    }
    if (parts.length === 0) parts.push("(no output)");
  } else {
    const pos = result.error?.line
      ? ` at line ${result.error.line}${result.error.column ? `:${result.error.column}` : ""}`
      : "";
    parts.push(`aegis ${result.kind}${pos}: ${result.error?.message ?? "failed"}`);
  }
  const structured: Record<string, unknown> = { ...result };
  if (!result.ok) structured.aegis_error_kind = result.kind;
  return {
    content: [{ type: "text", text: parts.join("\n") }],
    structuredContent: structured,
    ...(result.ok ? {} : { isError: true }),
  };
}

export interface AegisServer {
  server: Server;
  close(): Promise<void>;
}

export async function createAegisServer(options: AegisServerOptions): Promise<AegisServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const server = new Server(
    { name: "aegis", version: VERSION },
    {
      capabilities: { tools: {} },
      instructions:
        "aegis runs your actions under the operator's policy. Call aegis_policy first to see what is allowed; use aegis_run for multi-step work and the aegis_fs_*/aegis_http/aegis_exec wrappers for single calls.",
    },
  );

  const confirm = async (req: ConfirmRequest): Promise<boolean> => {
    const mode = options.confirmMode;
    if (mode === "auto-allow") return true;
    if (mode === "auto-deny") return false;
    const canElicit = server.getClientCapabilities()?.elicitation !== undefined;
    if (!canElicit) {
      log(
        `aegis-mcp: declined ${req.cap} ${req.target}: the client does not support elicitation (confirm-mode ${mode})`,
      );
      return false;
    }
    const what = req.argv ? `${req.cap} ${JSON.stringify(req.argv)}` : `${req.cap} ${req.target}`;
    try {
      const answer = await server.elicitInput(
        {
          message: `aegis: the agent wants to run ${what}. ${req.reason}. Approve this one operation?`,
          requestedSchema: {
            type: "object",
            properties: {
              approved: { type: "boolean", title: "Approve", description: `Allow ${what}`, default: false },
            },
            required: ["approved"],
          },
        },
        { timeout: options.elicitTimeoutMs ?? 300_000 },
      );
      return answer.action === "accept" && answer.content?.approved === true;
    } catch (e) {
      log(`aegis-mcp: confirmation for ${what} failed or timed out: ${(e as Error).message}`);
      return false;
    }
  };

  // The sandbox worker starts in the background, so `initialize` and `tools/list` are
  // answered at once; the first tool call waits for it.
  const sandboxReady = Sandbox.create({
    policyFile: options.policy.file,
    cwd: options.cwd,
    auditLog: options.auditLog,
    source: "mcp",
    confirm,
    env: options.env,
  });
  sandboxReady.catch((e: unknown) => log(`aegis-mcp: the sandbox failed to start: ${(e as Error).message}`));

  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: TOOLS }));

  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const { name } = request.params;
    const args = (request.params.arguments ?? {}) as Record<string, unknown>;
    const tool = TOOLS.find((t) => t.name === name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `unknown tool "${name}"`);
    const problem = validateArgs(tool, args);
    if (problem) throw new McpError(ErrorCode.InvalidParams, `${name}: ${problem}`);

    if (name === "aegis_policy") {
      const d = describePolicy(options.policy);
      return { content: [{ type: "text", text: d.text }], structuredContent: d.structured };
    }
    if (name === "aegis_tool_routing") {
      const hints = options.policy.tools;
      const wanted = typeof args.name === "string" ? { [args.name]: hints[args.name] } : hints;
      if (typeof args.name === "string" && !hints[args.name]) {
        return { content: [{ type: "text", text: `no routing hint named "${args.name}"` }], isError: true };
      }
      const text =
        Object.keys(hints).length === 0
          ? "The policy declares no [tools] routing hints."
          : JSON.stringify(wanted, null, 2);
      return { content: [{ type: "text", text }], structuredContent: { tools: wanted } };
    }
    const script = name === "aegis_run" ? (args.script as string) : wrapperScript(name, args);
    if (script === undefined) throw new McpError(ErrorCode.InvalidParams, `${name}: invalid arguments`);
    const timeout = typeof args.timeout_seconds === "number" ? args.timeout_seconds : undefined;
    const sandbox = await sandboxReady;
    const result = await sandbox.run(script, {
      filename: name === "aegis_run" ? "script.js" : `${name}.js`,
      ...(timeout ? { timeoutSeconds: timeout } : {}),
    });
    return resultToCallTool(result);
  });

  return {
    server,
    async close() {
      await (await sandboxReady.catch(() => undefined))?.close();
      await server.close();
    },
  };
}
