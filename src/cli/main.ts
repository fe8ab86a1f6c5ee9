/**
 * `aegis` entry point: dispatches to one subcommand module (loaded on demand so a
 * subcommand pays only for what it uses) and maps its result to the exit code.
 */
import { formatLocated, isAegisError } from "../errors.js";
import { type CliIo, processIo, tolerateClosedOutput } from "./io.js";

const HELP = `aegis: run agent scripts under an operator's policy

Usage:
  aegis run [--policy FILE] [--audit-log FILE] [--yes] [--json] [--timeout S] SCRIPT|-
  aegis init --lang LANG [--host claude|opencode|cursor|all] [--lockdown]
             [--out FILE] [--force] [--dry-run]
  aegis policy validate FILE
  aegis policy show FILE [--json]
  aegis policy explain FILE --op JSON [--root DIR] [--json]
  aegis audit verify FILE [--min-seq N] [--last-hash HEX] [--json]
  aegis audit show FILE [--denied] [--run ID] [--since T] [--json]
  aegis doctor [--policy FILE] [--audit-log FILE]
  aegis hook claude [--policy FILE] [--audit-log FILE]

Every subcommand takes --help. Exit codes: 0 ok, 1 script error, 2 policy violation,
3 verifier rejection, 4 confirmation declined, 5 usage/config/I-O error, 6 runtime limit.
`;

type Command = (args: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import("./run-command.js")).runCommand,
  init: async () => (await import("./init-command.js")).initCommand,
  policy: async () => (await import("./policy-command.js")).policyCommand,
  audit: async () => (await import("./audit-command.js")).auditCommand,
  doctor: async () => (await import("./doctor-command.js")).doctorCommand,
};

/** Every subcommand but `hook` (see hookMain). */
async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout(HELP);
    return name === undefined ? 5 : 0;
  }
  if (name === "--version" || name === "-V") {
    io.stdout("aegis 0.1.0\n");
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr(`aegis: unknown command "${name}"\n\n${HELP}`);
    return 5;
  }
  try {
    return await (await load())(rest, io);
  } catch (e) {
    // A bug must still end with a clear message and a non-zero exit, never a hang.
    io.stderr(
      `aegis: ${isAegisError(e) ? formatLocated(e) : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    return 5;
  }
}

/**
 * `aegis hook …` runs as a process per tool call and writes a line or two, so it writes straight
 * to the descriptors. Anything that fails on the way, loading the command included, is a deny.
 */
async function hookMain(args: string[]): Promise<number> {
  try {
    const hook = await import("./hook-entry.js");
    return await hook.hookCommand(args, hook.directIo);
  } catch (e) {
    // Even a closed stderr must not turn this into a crash (exit 1 would let the call through).
    process.stderr.on("error", () => {});
    process.stderr.write(
      `aegis hook: denied because the hook could not run: ${(e as Error)?.message ?? e}\n`,
    );
    return 2;
  }
}

const argv = process.argv.slice(2);
if (argv[0] === "hook") {
  process.exitCode = await hookMain(argv.slice(1));
} else {
  tolerateClosedOutput();
  process.exitCode = await main(argv);
}
