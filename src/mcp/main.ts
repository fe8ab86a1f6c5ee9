/**
 * `aegis-mcp`: the aegis MCP server over stdio. Only protocol goes to stdout;
 * diagnostics go to stderr.
 */

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { isAegisError } from "../errors.js";
import { defaultAuditLog, loadPolicy } from "../host/load-policy.js";
import { CONFIRM_MODES, type ConfirmMode, createAegisServer } from "./server.js";

const HELP = `Usage: aegis-mcp [--policy FILE] [--audit-log FILE] [--confirm-mode auto|elicit|auto-allow|auto-deny]

An MCP server over stdio exposing aegis_run, aegis_policy and single-call wrappers
(aegis_fs_read, aegis_fs_write, aegis_fs_replace, aegis_fs_list, aegis_fs_delete,
aegis_http, aegis_exec, aegis_env_read, aegis_tool_routing), all under the policy.
Without --policy it uses ./aegis.toml if present, else the built-in secure-defaults.
`;

async function main(): Promise<number> {
  let flags;
  try {
    flags = parseArgs({
      args: process.argv.slice(2),
      strict: true,
      options: {
        policy: { type: "string" },
        "audit-log": { type: "string" },
        "confirm-mode": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    process.stderr.write(`aegis-mcp: ${(e as Error).message}\n\n${HELP}`);
    return 5;
  }
  if (flags.help) {
    process.stderr.write(HELP);
    return 0;
  }
  const mode = (flags["confirm-mode"] ?? "auto") as ConfirmMode;
  if (!CONFIRM_MODES.includes(mode)) {
    process.stderr.write(`aegis-mcp: --confirm-mode must be one of ${CONFIRM_MODES.join(", ")}\n`);
    return 5;
  }
  const cwd = process.cwd();
  const policyFile = flags.policy ?? (existsSync(resolve(cwd, "aegis.toml")) ? "aegis.toml" : null);
  const auditArg = flags["audit-log"] ? resolve(cwd, flags["audit-log"]) : undefined;
  let policy;
  try {
    policy = await loadPolicy(policyFile, { cwd, ...(auditArg ? { auditLog: auditArg } : {}) });
  } catch (e) {
    process.stderr.write(
      `aegis-mcp: the policy does not load:\n${isAegisError(e) ? e.message : String(e)}\n`,
    );
    return 5;
  }
  if (policyFile === null)
    process.stderr.write("aegis-mcp: no policy given: using secure-defaults (grants nothing)\n");
  const aegis = await createAegisServer({
    policy,
    cwd,
    auditLog: auditArg ?? defaultAuditLog(policy.root),
    confirmMode: mode,
    env: { ...process.env },
  });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((done) => {
    transport.onclose = () => done();
    process.stdin.on("end", () => done());
  });
  await aegis.server.connect(transport);
  await closed;
  await aegis.close();
  return 0;
}

process.exitCode = await main();
