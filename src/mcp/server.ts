/**
 * The aegis MCP server, built without a transport (main.ts attaches stdio; tests can
 * attach an in-memory pair). Every tool is a thin adapter over Sandbox.run, so gating,
 * audit, sealing and redaction take one code path for scripts and wrappers alike.
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  ListToolsRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { RunResult } from "../host/builtin-types.js";
import { newRunId } from "../host/engine/run-id.js";
import { type RunOptions, Sandbox } from "../host/sandbox.js";
import type { ResolvedPolicy } from "../policy/types.js";
import { ArgumentNamesServer } from "./argument-names.js";
import { type ActiveCall, CallQueue } from "./call-queue.js";
import { type ConfirmMode, confirmOverMcp, DEFAULT_ELICIT_TIMEOUT_MS } from "./confirm.js";
import { describePolicy, toolHints } from "./describe-policy.js";
import { resultToCallTool } from "./results.js";
import { TOOLS, wrapperScript } from "./tools.js";
import { InvalidParamsError, validateArgs } from "./validate-args.js";

export { CONFIRM_MODES, type ConfirmMode } from "./confirm.js";
export { resultToCallTool } from "./results.js";

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

export interface AegisServer {
  server: Server;
  close(): Promise<void>;
}

const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function startFailure(message: string): RunResult {
  return {
    ok: false,
    kind: "io_error",
    output: "",
    error: { message: `the sandbox could not start: ${message}` },
    calls: [],
    duration_ms: 0,
    run_id: newRunId(),
  };
}

function toolRouting(policy: ResolvedPolicy, name: unknown): CallToolResult {
  const hints = toolHints(policy);
  if (typeof name === "string" && !Object.hasOwn(hints, name)) {
    return { content: [{ type: "text", text: `no routing hint named "${name}"` }], isError: true };
  }
  const wanted = typeof name === "string" ? { [name]: hints[name] } : hints;
  const text =
    Object.keys(hints).length === 0
      ? "The policy declares no [tools] routing hints."
      : JSON.stringify(wanted, null, 2);
  return { content: [{ type: "text", text }], structuredContent: { tools: wanted } };
}

export async function createAegisServer(options: AegisServerOptions): Promise<AegisServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const server = new ArgumentNamesServer(
    { name: "aegis", version: VERSION },
    {
      capabilities: { tools: {} },
      instructions:
        "aegis runs your actions under the operator's policy. Call aegis_policy first to see what is allowed; use aegis_run for multi-step work and the aegis_fs_*/aegis_http/aegis_exec wrappers for single calls.",
    },
  );
  const calls = new CallQueue();

  // The sandbox worker starts in the background, so `initialize` and `tools/list` are
  // answered at once; the first tool call waits for it.
  const startSandbox = (): Promise<Sandbox> => {
    const started = Sandbox.create({
      policyFile: options.policy.file,
      cwd: options.cwd,
      auditLog: options.auditLog,
      source: "mcp",
      confirm: confirmOverMcp({
        server,
        mode: options.confirmMode,
        timeoutMs: options.elicitTimeoutMs ?? DEFAULT_ELICIT_TIMEOUT_MS,
        log,
        activeCall: () => calls.active,
      }),
      env: options.env,
    });
    started.catch((e: unknown) => log(`aegis-mcp: the sandbox failed to start: ${errorMessage(e)}`));
    return started;
  };
  let sandboxReady = startSandbox();
  const runScript = async (script: string, runOptions: RunOptions): Promise<RunResult> => {
    let sandbox: Sandbox;
    try {
      sandbox = await sandboxReady;
    } catch (e) {
      // A failure to start is this call's result, not a protocol error; the next call tries again.
      sandboxReady = startSandbox();
      return startFailure(errorMessage(e));
    }
    return sandbox.run(script, runOptions);
  };

  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: TOOLS }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const { name } = request.params;
    const args = request.params.arguments ?? {};
    const sentNames = server.takeArgumentNames(extra.requestId);
    const tool = TOOLS.find((t) => t.name === name);
    if (!tool) throw new InvalidParamsError(`unknown tool "${name}"`);
    const problem = validateArgs(tool, args, sentNames);
    if (problem) throw new InvalidParamsError(`${name}: ${problem}`);

    if (name === "aegis_policy") {
      const d = describePolicy(options.policy);
      return { content: [{ type: "text", text: d.text }], structuredContent: d.structured };
    }
    if (name === "aegis_tool_routing") return toolRouting(options.policy, args.name);

    const generated = name !== "aegis_run";
    let script: string;
    if (generated) {
      const wrapper = wrapperScript(name, args);
      if ("problem" in wrapper) throw new InvalidParamsError(`${name}: ${wrapper.problem}`);
      script = wrapper.script;
    } else script = args.script as string;
    const timeout = typeof args.timeout_seconds === "number" ? args.timeout_seconds : undefined;
    const call: ActiveCall = { requestId: extra.requestId, signal: extra.signal, declines: [] };
    // A call the client cancels ends at once: its run is stopped (or never starts), and the
    // SDK sends no response for it.
    const result = await calls.run(call, () =>
      runScript(script, {
        filename: generated ? `${name}.js` : "script.js",
        ...(timeout ? { timeoutSeconds: timeout } : {}),
        signal: extra.signal,
      }),
    );
    return resultToCallTool(result, { generated, declines: call.declines });
  });

  return {
    server,
    async close() {
      // Calls already received are answered first (stdin may end right after the last one).
      await calls.idle();
      await (await sandboxReady.catch(() => undefined))?.close();
      await server.close();
    },
  };
}
