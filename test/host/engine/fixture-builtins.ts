/**
 * Fake builtins loaded inside the sandbox worker by `builtinsModule` in the Sandbox tests.
 * State lives in the worker; `probe.*` builtins report it back through a run's result.
 */
import { spawn } from "node:child_process";
import { AegisError } from "../../../src/errors.js";
import type { BuiltinTable, HostValue } from "../../../src/host/builtin-types.js";
import { gcFunction } from "../../../src/host/engine/wasm.js";
import { trackChildProcess } from "../../../src/jail/child-tracker.js";

/** Effects that actually started, in order (what a real builtin would have done). */
const started: string[] = [];
const SECRET = "sk-worker-secret-0123456789abcdef";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const BUILTINS: BuiltinTable = {
  // An effect that starts only if the run is still live when its turn comes.
  "fs.write": async (args, ctx) => {
    await sleep(20);
    if (ctx.signal.aborted) throw new AegisError("runtime_limit", "fs.write not started: the run has ended");
    started.push(`fs.write ${String(args[0])}`);
    return undefined;
  },
  "fs.read": async (args) => `contents of ${String(args[0])}`,
  "env.read": async (args, ctx) => {
    if (args[0] === "OPENAI_API_KEY") {
      ctx.localOnlyRead = true;
      return ctx.sealed.seal("OPENAI_API_KEY", SECRET);
    }
    return "plain";
  },
  "net.httpGet": async () => ({ status: 200, headers: {}, body: '{"ok":true}' }),
  "test.noop": async () => null,
  // A full garbage collection of the worker, after the run that asks for it has ended (so
  // that run's own instance is gone too), and the worker's heap use afterwards.
  "test.collectSoon": async () => {
    const gc = gcFunction();
    if (!gc) throw new Error("V8's gc is not available");
    setTimeout(gc, 50);
    return null;
  },
  "test.echo": async (args) => args[0] ?? null,
  "test.started": async () => started.slice() as HostValue,
  "test.reset": async () => {
    started.length = 0;
    return null;
  },
  "test.confirm": async (args, ctx) =>
    ctx.confirm({ cap: "test.confirm", target: String(args[0]), reason: "test" }),
  /** Starts `sleep 60` in its own process group, reported to the main thread; returns its pid. */
  "test.spawn": async () => {
    const child = spawn("sleep", ["60"], { detached: true, stdio: "ignore" });
    const untrack = trackChildProcess(child.pid);
    child.on("exit", untrack);
    return child.pid ?? null;
  },
  /** Writes to the worker's own stdout, which must never reach the host's stdout. */
  "test.stdout": async () => {
    process.stdout.write("worker-stdout-marker\n");
    console.log("worker-console-marker");
    return null;
  },
  /** Returns the secret's bytes unsealed, as a buggy builtin might: the redactor must catch it. */
  "test.leak": async (_args, ctx) => {
    ctx.redactor.add(SECRET);
    return `leaked ${SECRET}`;
  },
};

export const WORKER_SECRET = SECRET;
