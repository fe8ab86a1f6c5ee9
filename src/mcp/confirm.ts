/**
 * Asking the operator over MCP elicitation (mcp.md "Confirmation"). Only an explicit
 * accept with `approved: true` approves; every other answer, an error, no answer in time,
 * or a client that cannot be asked declines, and the reason is kept for the call's result.
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { ElicitResultSchema, ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import type { ConfirmRequest } from "../host/builtin-types.js";
import type { ActiveCall } from "./call-queue.js";

export type ConfirmMode = "auto" | "elicit" | "auto-allow" | "auto-deny";
export const CONFIRM_MODES: readonly ConfirmMode[] = ["auto", "elicit", "auto-allow", "auto-deny"];

/** How long an elicitation may stay unanswered before it counts as declined. */
export const DEFAULT_ELICIT_TIMEOUT_MS = 300_000;

export interface OperatorChannel {
  server: Server;
  mode: ConfirmMode;
  timeoutMs: number;
  log: (line: string) => void;
  /** The tool call whose run is asking. */
  activeCall: () => ActiveCall | undefined;
}

function elicitation(req: ConfirmRequest, what: string) {
  return {
    message: `aegis: the agent wants to run ${what}. ${req.reason}. Approve this one operation?`,
    requestedSchema: {
      type: "object" as const,
      properties: {
        approved: {
          type: "boolean" as const,
          title: "Approve",
          description: `Allow ${what}`,
          default: false,
        },
      },
      required: ["approved"],
    },
  };
}

/** The client declared form elicitation (an empty `elicitation: {}` means form, as before URL mode). */
function asksForms(server: Server): boolean {
  const elicitation = server.getClientCapabilities()?.elicitation;
  return elicitation !== undefined && (elicitation.form !== undefined || elicitation.url === undefined);
}

export function confirmOverMcp(channel: OperatorChannel): (req: ConfirmRequest) => Promise<boolean> {
  const { server, mode, timeoutMs, log } = channel;
  return async (req) => {
    if (mode === "auto-allow") return true;
    const call = channel.activeCall();
    const what = req.argv ? `${req.cap} ${JSON.stringify(req.argv)}` : `${req.cap} ${req.target}`;
    const decline = (why: string): false => {
      call?.declines.push(why);
      log(`aegis-mcp: declined ${what}: ${why}`);
      return false;
    };
    if (mode === "auto-deny") {
      return decline("the operator was not asked: aegis-mcp runs with --confirm-mode auto-deny");
    }
    // `auto` asks only a client that declared elicitation; `elicit` always asks, for a
    // client that answers elicitation/create without declaring it.
    if (mode === "auto" && !asksForms(server)) {
      return decline(
        "the operator was not asked: this MCP client does not support elicitation, so aegis-mcp (--confirm-mode auto) cannot ask for approval; only a client that supports elicitation can approve it",
      );
    }
    try {
      const answer = await server.request(
        { method: "elicitation/create", params: elicitation(req, what) },
        ElicitResultSchema,
        {
          timeout: timeoutMs,
          ...(call ? { signal: call.signal, relatedRequestId: call.requestId } : {}),
        },
      );
      if (answer.action === "accept" && answer.content?.approved === true) return true;
      return decline(
        answer.action === "accept"
          ? "the operator did not approve it"
          : `the operator chose ${answer.action}`,
      );
    } catch (e) {
      if (e instanceof McpError && e.code === ErrorCode.RequestTimeout) {
        const limit = timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`;
        return decline(`the operator did not answer within ${limit} (timed out)`);
      }
      return decline(`the operator could not be asked: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
}
