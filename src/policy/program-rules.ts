/**
 * Argument rules aegis knows about particular programs, checked for every policy (with
 * or without secure-defaults) because deny_args, which only sees arguments that are
 * present, cannot express them:
 *
 *   - an interpreter that would run code from standard input (interpreters.ts);
 *   - `ps` printing process environments, which include aegis's own (it holds the
 *     local-only variables of the run) and those of every other process of the user.
 */
import { commandFamily } from "./commands.js";
import { stdinProgramProblem } from "./interpreters.js";

export interface ProgramRule {
  /** The rule name a Decision carries. */
  rule: string;
  /** Completes "subprocess.exec NAME denied: NAME …". */
  why: string;
  /** What to do instead. */
  fix: string;
}

export const STDIN_PROGRAM_RULE = "builtin: interpreter program on stdin";
export const PS_ENVIRONMENT_RULE = "builtin: ps environment";

export function programRule(argv0: string, args: readonly string[]): ProgramRule | undefined {
  const stdin = stdinProgramProblem(argv0, args);
  if (stdin) {
    return {
      rule: STDIN_PROGRAM_RULE,
      why: stdin,
      fix: `give it a script file instead (${argv0} path/to/script), written where filesystem.write_allow permits`,
    };
  }
  if (commandFamily(argv0) === "ps") {
    const env = psEnvironmentArg(args);
    if (env !== undefined) {
      return {
        rule: PS_ENVIRONMENT_RULE,
        why: `argument ${JSON.stringify(env)} holds the BSD "e" modifier, which prints other processes' environments (aegis's own included)`,
        fix: "drop the e modifier (ps aux, ps -ef and -o formats stay allowed)",
      };
    }
  }
  return undefined;
}

/** ps options (procps-ng) whose value is the next argument when none is attached. */
const PS_DASH_VALUE = new Set(["C", "G", "g", "O", "o", "p", "q", "s", "t", "U", "u"]);
const PS_BSD_VALUE = new Set(["O", "o", "p", "q", "t", "U", "k"]);
const PS_LONG_VALUE = new Set([
  "--format",
  "--sort",
  "--pid",
  "--ppid",
  "--quick-pid",
  "--sid",
  "--tty",
  "--user",
  "--User",
  "--group",
  "--Group",
  "--cols",
  "--columns",
  "--width",
  "--rows",
  "--lines",
  "--help",
]);

/**
 * The argument that turns on BSD `e` (`ps e`, `ps axeww`, `ps Uroot e`), or undefined.
 * Values of options are skipped only for options known to take one: an unknown option's
 * value is read as a cluster, so a mistake denies rather than allows.
 */
export function psEnvironmentArg(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith("--")) {
      if (PS_LONG_VALUE.has(arg)) i++;
      continue;
    }
    const dash = arg.startsWith("-");
    const letters = dash ? arg.slice(1) : arg;
    for (let j = 0; j < letters.length; j++) {
      const c = letters[j]!;
      // A dash cluster's `e` is SysV "every process"; without the dash it is the modifier.
      if (!dash && c === "e") return arg;
      if ((dash ? PS_DASH_VALUE : PS_BSD_VALUE).has(c)) {
        if (j === letters.length - 1) i++;
        break;
      }
    }
  }
  return undefined;
}
