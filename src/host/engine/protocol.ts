/**
 * Messages between `Sandbox` (main thread) and the sandbox worker. Plain data only
 * (structured clone). One run at a time per worker; `id` pairs requests and replies.
 *
 *   main → worker   run, confirm-reply, close
 *   worker → main   ready | init-failed (once, after start), result, confirm, child, closed
 *
 * `child` messages let the main thread kill the process groups of a worker it terminates
 * (see jail/child-tracker.ts). `confirm` asks the operator on the main thread, which owns the
 * TTY or the MCP connection.
 */
import type { AuditSource, ConfirmRequest, RunResult } from "../builtin-types.js";

/** Passed as `workerData`. */
export interface WorkerInit {
  policyFile: string | null;
  cwd: string;
  home?: string;
  /** null: `.aegis/audit.jsonl` under the policy root. */
  auditLog: string | null;
  source: AuditSource;
  env: Record<string, string | undefined>;
  /** URL of a module whose `BUILTINS` export replaces the real table (tests, embedders). */
  builtinsModule?: string;
  /** Compile QuickJS with the baseline wasm tier only (a one-shot process). */
  baselineWasmOnly?: boolean;
}

export type ToWorker =
  | { type: "run"; id: number; runId: string; script: string; filename?: string; timeoutSeconds?: number }
  | { type: "confirm-reply"; id: number; approved: boolean }
  | { type: "close" };

export type FromWorker =
  | { type: "ready"; maxSeconds: number }
  /** `policy`: the policy file did not load (its issues are the message); else another start fault. */
  | { type: "init-failed"; message: string; policy: boolean }
  | { type: "result"; id: number; result: RunResult }
  | { type: "confirm"; id: number; request: ConfirmRequest }
  | { type: "child"; pid: number; state: "spawned" | "exited" }
  | { type: "closed" };
