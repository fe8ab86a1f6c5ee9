/** `aegis run`: one script under the policy, with the result shape of script-api.md. */
import { closeSync, existsSync, openSync, readFileSync, readSync, writeSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { EXIT_CODES, isAegisError } from "../errors.js";
import type { ConfirmRequest, RunResult } from "../host/builtin-types.js";
import type * as LoadPolicyModule from "../host/load-policy.js";
import { Sandbox, SandboxPolicyError } from "../host/sandbox.js";
import { type CliIo, EXIT_USAGE, usageError } from "./io.js";

export const RUN_HELP = `Usage: aegis run [--policy FILE] [--audit-log FILE] [--yes] [--json] [--timeout S] SCRIPT|-

Runs SCRIPT (a file, or - for standard input) in the aegis sandbox.

  --policy FILE     policy to enforce (default: ./aegis.toml if present, else the
                    built-in secure-defaults, which grants nothing)
  --audit-log FILE  where audit records go (default: .aegis/audit.jsonl beside the policy)
  --yes             approve every operation that needs confirmation
  --json            print the run result as one JSON document
  --timeout S       wall-clock limit in seconds (at most the policy's runtime.max_seconds)

Without --yes, confirmations are asked on the terminal (allow? [y/N]); when there is
no terminal they are declined. Exit codes: 0 ok, 1 script error, 2 policy violation,
3 verifier rejection, 4 confirmation declined, 5 usage/config/I-O error, 6 runtime limit.
`;

export const RUN_OPTIONS = {
  policy: { type: "string" },
  "audit-log": { type: "string" },
  yes: { type: "boolean" },
  json: { type: "boolean" },
  timeout: { type: "string" },
} as const;

const BANNER = `aegis: no --policy given and no ./aegis.toml here: using the built-in secure-defaults,
which grants nothing. Create a policy with \`aegis init --lang LANG\` (or write aegis.toml)
to allow what the script needs.
`;

/** Asks on the controlling terminal; any failure to ask is a decline. */
function askOnTerminal(req: ConfirmRequest): boolean {
  let fd: number | undefined;
  try {
    fd = openSync("/dev/tty", "r+");
    const what = req.argv ? `${req.cap} ${JSON.stringify(req.argv)}` : `${req.cap} ${req.target}`;
    writeSync(fd, `aegis: the script wants ${what}\n  (${req.reason})\nallow? [y/N] `);
    const buf = Buffer.alloc(256);
    const n = readSync(fd, buf, 0, buf.length, null);
    return /^y(es)?$/i.test(buf.subarray(0, n).toString("utf8").trim());
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Exit 5 for a policy that does not load (on this thread, or in the worker) and for any
 * other configuration or I/O error on the way to the run; anything else is a bug, rethrown.
 */
function startFailure(e: unknown, io: CliIo, policyModule?: typeof LoadPolicyModule): number {
  if ((policyModule && e instanceof policyModule.PolicyLoadError) || e instanceof SandboxPolicyError) {
    io.stderr(`aegis: the policy does not load:\n${e.message}\n`);
    return EXIT_USAGE;
  }
  if (isAegisError(e)) {
    io.stderr(`aegis: ${e.message}\n`);
    return EXIT_USAGE;
  }
  throw e;
}

export function exitCodeOf(result: RunResult): number {
  return result.kind === "success" ? 0 : EXIT_CODES[result.kind];
}

export async function runCommand(args: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { ...RUN_OPTIONS, help: { type: "boolean", short: "h" } },
    });
  } catch (e) {
    return usageError(io, (e as Error).message, RUN_HELP);
  }
  const flags = parsed.values;
  if (flags.help) {
    io.stdout(RUN_HELP);
    return 0;
  }
  const scriptArg = parsed.positionals[0];
  if (scriptArg === undefined || parsed.positionals.length > 1)
    return usageError(io, "run needs exactly one SCRIPT (or -)", RUN_HELP);
  let timeoutSeconds: number | undefined;
  if (flags.timeout !== undefined) {
    timeoutSeconds = Number(flags.timeout);
    if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)
      return usageError(
        io,
        `--timeout must be a positive number of seconds, got "${flags.timeout}"`,
        RUN_HELP,
      );
  }

  const cwd = process.cwd();
  const policyFile = flags.policy ?? (existsSync(resolve(cwd, "aegis.toml")) ? "aegis.toml" : null);
  const confirm = async (req: ConfirmRequest): Promise<boolean> => {
    if (flags.yes) return true;
    // Reading the answer from standard input would consume a piped script; only a real terminal asks.
    if (!process.stdin.isTTY && !process.stderr.isTTY) return false;
    return askOnTerminal(req);
  };
  // The worker starts first and loads the policy there, while this thread (otherwise idle
  // until the result) loads it too, for its errors, and reads the script.
  const auditLog = flags["audit-log"] ? resolve(cwd, flags["audit-log"]) : null;
  const starting = Sandbox.create({
    policyFile,
    cwd,
    auditLog,
    source: "run",
    confirm,
    env: { ...process.env },
    oneShot: true,
  });
  starting.catch(() => undefined);
  const abandon = (): Promise<void> =>
    starting.then(
      (s) => s.close(),
      () => undefined,
    );

  // Loaded after the worker has been asked for: the policy engine is most of this command's code.
  let policyModule: typeof LoadPolicyModule | undefined;
  try {
    policyModule = await import("../host/load-policy.js");
    await policyModule.loadPolicy(policyFile, { cwd, ...(auditLog === null ? {} : { auditLog }) });
  } catch (e) {
    await abandon();
    return startFailure(e, io, policyModule);
  }

  // The script is read before waiting for the worker, but a policy error is reported first.
  let script: string | { error: string };
  try {
    script = scriptArg === "-" ? readFileSync(0, "utf8") : readFileSync(resolve(cwd, scriptArg), "utf8");
  } catch (e) {
    script = { error: `aegis: cannot read script ${scriptArg}: ${(e as Error).message}\n` };
  }
  const filename = scriptArg === "-" ? "stdin.js" : scriptArg;

  let sandbox: Sandbox;
  try {
    sandbox = await starting;
  } catch (e) {
    return startFailure(e, io, policyModule);
  }
  if (policyFile === null) io.stderr(BANNER);
  if (typeof script !== "string") {
    await sandbox.close();
    io.stderr(script.error);
    return EXIT_USAGE;
  }

  let result: RunResult;
  try {
    result = await sandbox.run(script, { filename, ...(timeoutSeconds ? { timeoutSeconds } : {}) });
  } finally {
    await sandbox.close();
  }
  if (flags.json) {
    io.stdout(`${JSON.stringify(result)}\n`);
  } else {
    if (result.output) io.stdout(result.output.endsWith("\n") ? result.output : `${result.output}\n`);
    if (result.ok && result.value !== undefined) io.stdout(`${JSON.stringify(result.value, null, 2)}\n`);
    if (!result.ok) {
      const pos = result.error?.line
        ? ` (${filename}:${result.error.line}${result.error.column ? `:${result.error.column}` : ""})`
        : "";
      io.stderr(`aegis: ${result.kind}: ${result.error?.message ?? "run failed"}${pos}\n`);
    }
  }
  return exitCodeOf(result);
}
