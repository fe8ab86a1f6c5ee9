/**
 * The sandbox worker (bundled to dist/sandbox-worker.js): loads the policy and the audit
 * log once, then runs scripts one at a time for `Sandbox` on the main thread.
 *
 * Builtins execute here, next to the QuickJS instance (no thread hop per call); only
 * confirmation prompts go to the main thread. The worker has a large native stack so deep
 * native recursion inside QuickJS hits QuickJS's own limit first, and the main thread can
 * terminate it when one native call outlives the deadline.
 */
import { resolve } from "node:path";
import { setFlagsFromString } from "node:v8";
import { parentPort, workerData } from "node:worker_threads";
import { AuditLog } from "../audit/writer.js";
import { setChildReporter } from "../jail/child-tracker.js";
import type { BuiltinTable, ConfirmRequest } from "./builtin-types.js";
import { BUILTINS } from "./builtins/index.js";
import type { FromWorker, ToWorker, WorkerInit } from "./engine/protocol.js";
import { type EngineServices, runScript } from "./engine/run-script.js";
import { loadQuickJs } from "./engine/wasm.js";
import { importModule } from "./import-module.js";
import { defaultAuditLog, loadPolicy, PolicyLoadError } from "./load-policy.js";
import { SecretRedactor } from "./redact.js";
import { verifyScript } from "./verifier.js";

if (!parentPort) throw new Error("sandbox-worker.ts must be started by Sandbox as a worker thread");
const port = parentPort;
const init = workerData as WorkerInit;
const post = (message: FromWorker): void => port.postMessage(message);

const confirmations = new Map<number, (approved: boolean) => void>();
let nextConfirm = 1;

function askMainThread(request: ConfirmRequest): Promise<boolean> {
  const id = nextConfirm++;
  return new Promise((resolve) => {
    confirmations.set(id, resolve);
    post({ type: "confirm", id, request });
  });
}

async function loadBuiltins(): Promise<BuiltinTable> {
  if (!init.builtinsModule) return BUILTINS;
  const module = (await importModule(init.builtinsModule)) as { BUILTINS?: BuiltinTable };
  if (!module.BUILTINS) throw new Error(`${init.builtinsModule} has no BUILTINS export`);
  return module.BUILTINS;
}

async function start(): Promise<void> {
  let services: Omit<EngineServices, "redactor" | "audit">;
  let audit: AuditLog;
  // A one-shot process: V8's optimising wasm tier would compile QuickJS's hot functions in
  // the background, and the process waits for that work at exit (100–400 ms measured, longer
  // than the run). The flag is set here, after this worker has booted and loaded its code,
  // not before the worker starts: any V8 flag change makes V8 reject the code cache of Node's
  // own modules, and a worker booting without it took 35–100 ms longer (measured).
  if (init.baselineWasmOnly) setFlagsFromString("--liftoff-only");
  // Compiled once per worker on V8's compile threads, while this one loads the policy.
  const quickjs = loadQuickJs();
  quickjs.catch(() => undefined);
  try {
    // Relative paths are relative to the Sandbox's cwd, not to the process's.
    const policyFile = init.policyFile === null ? null : resolve(init.cwd, init.policyFile);
    const auditLog = init.auditLog === null ? null : resolve(init.cwd, init.auditLog);
    const policy = await loadPolicy(policyFile, {
      cwd: init.cwd,
      ...(init.home === undefined ? {} : { home: init.home }),
      ...(auditLog === null ? {} : { auditLog }),
    });
    audit = AuditLog.open(auditLog ?? defaultAuditLog(policy.root));
    services = {
      policy,
      builtins: await loadBuiltins(),
      confirm: askMainThread,
      env: init.env,
      source: init.source,
      verify: (script, p) => verifyScript(script, p),
    };
    await quickjs;
  } catch (e) {
    post({
      type: "init-failed",
      message: e instanceof Error ? e.message : String(e),
      policy: e instanceof PolicyLoadError,
    });
    return;
  }
  setChildReporter((event) => post({ type: "child", ...event }));

  port.on("message", (message: ToWorker) => {
    switch (message.type) {
      case "run": {
        // A fresh redactor per run; the run's audit records pass through it as well.
        const redactor = new SecretRedactor();
        const request = {
          script: message.script,
          runId: message.runId,
          ...(message.filename === undefined ? {} : { filename: message.filename }),
          ...(message.timeoutSeconds === undefined ? {} : { timeoutSeconds: message.timeoutSeconds }),
        };
        runScript(request, { ...services, redactor, audit: audit.withRedactor(redactor) }).then(
          (result) => post({ type: "result", id: message.id, result }),
          (e: unknown) =>
            post({
              type: "result",
              id: message.id,
              result: {
                ok: false,
                kind: "io_error",
                output: "",
                error: { message: `internal sandbox fault: ${e instanceof Error ? e.message : String(e)}` },
                calls: [],
                duration_ms: 0,
                run_id: message.runId,
              },
            }),
        );
        return;
      }
      case "confirm-reply": {
        const resolve = confirmations.get(message.id);
        confirmations.delete(message.id);
        resolve?.(message.approved);
        return;
      }
      case "close":
        for (const resolve of confirmations.values()) resolve(false);
        confirmations.clear();
        audit.close().then(
          () => post({ type: "closed" }),
          () => post({ type: "closed" }),
        );
        return;
    }
  });
  post({ type: "ready", maxSeconds: services.policy.runtime.maxSeconds });
}

void start();
