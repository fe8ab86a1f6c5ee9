/**
 * Which program an interpreter's argv makes it run. An interpreter that names no program
 * file (`python3`, `node`), or is told to read one from standard input (`python3 -`,
 * `node -`, `python3 -i app.py`, `python3 -m code`, `deno repl`), runs whatever the script
 * feeds its stdin: inline code like `-c`/`-e`, but with no argument for deny_args to see.
 * A program file is different: it had to be written through fs.write (and its rules) or
 * already be in the tree.
 */
import { commandFamily } from "./commands.js";

/** How one interpreter family parses its command line, as far as finding the program goes. */
interface Dialect {
  /** Options that take the next argument as their value when none is attached. */
  value: readonly string[];
  /** Short options whose value is only ever the rest of their cluster (`-Mstrict`, `-l0`). */
  attachedOnly?: readonly string[];
  /** Options that name the program some other way (a module, inline code, a test run). */
  program: readonly string[];
  /** Options that print something and exit. */
  info: readonly string[];
  /** Options that read code from stdin (or a terminal) whatever else argv says. */
  stdin: readonly string[];
  /** Short options cluster POSIX-style (`-bW ignore`, `-Wignore`, `-Ic`). */
  clusters: boolean;
  /** First positionals that are not a program file but a reader of stdin. */
  stdinPositionals?: readonly string[];
  /** For `-m`-style options: modules that read code from stdin or run code given inline. */
  stdinModules?: readonly string[];
}

const PYTHON: Dialect = {
  value: ["-W", "-X", "--check-hash-based-pycs"],
  program: ["-c", "-m"],
  info: ["-V", "-h", "-?", "--version", "--help", "--help-env", "--help-xoptions", "--help-all"],
  stdin: ["-i"],
  clusters: true,
  // REPLs and debuggers that take code on stdin, and timeit, which runs code given inline.
  stdinModules: ["code", "asyncio", "pdb", "timeit", "idlelib", "IPython", "ptpython", "bpython"],
};

/** node 20's options that take a separate value (`node --help`: the `=...` ones). */
const NODE: Dialect = {
  value: [
    "-r",
    "--require",
    "-C",
    "--conditions",
    "--import",
    "--loader",
    "--experimental-loader",
    "--env-file",
    "--env-file-if-exists",
    "--input-type",
    "--title",
    "--inspect-port",
    "--debug-port",
    "--inspect-publish-uid",
    "--redirect-warnings",
    "--openssl-config",
    "--icu-data-dir",
    "--diagnostic-dir",
    "--report-dir",
    "--report-directory",
    "--report-filename",
    "--report-signal",
    "--cpu-prof-dir",
    "--cpu-prof-interval",
    "--cpu-prof-name",
    "--heap-prof-dir",
    "--heap-prof-interval",
    "--heap-prof-name",
    "--heapsnapshot-signal",
    "--heapsnapshot-near-heap-limit",
    "--disable-warning",
    "--disable-proto",
    "--dns-result-order",
    "--experimental-policy",
    "--policy-integrity",
    "--experimental-sea-config",
    "--experimental-default-type",
    "--experimental-config-file",
    "--build-snapshot-config",
    "--snapshot-blob",
    "--localstorage-file",
    "--max-http-header-size",
    "--network-family-autoselection-attempt-timeout",
    "--secure-heap",
    "--secure-heap-min",
    "--stack-trace-limit",
    "--test-concurrency",
    "--test-name-pattern",
    "--test-skip-pattern",
    "--test-reporter",
    "--test-reporter-destination",
    "--test-shard",
    "--test-timeout",
    "--tls-cipher-list",
    "--tls-keylog",
    "--trace-event-categories",
    "--trace-event-file-pattern",
    "--trace-require-module",
    "--unhandled-rejections",
    "--use-largepages",
    "--v8-pool-size",
    "--watch-path",
    "--allow-fs-read",
    "--allow-fs-write",
  ],
  // --test finds its files itself; --run runs a package.json script; --check only parses.
  program: ["-e", "--eval", "-p", "--print", "-pe", "--test", "--run", "-c", "--check"],
  info: ["-v", "--version", "-h", "--help", "--v8-options", "--completion-bash"],
  stdin: ["-i", "--interactive"],
  clusters: false,
  // `node inspect app.js` is a debugger that takes its commands (`exec …`) from stdin.
  stdinPositionals: ["inspect", "debug"],
};

const PERL: Dialect = {
  value: ["-I"],
  attachedOnly: ["-M", "-m", "-l", "-0", "-i", "-C", "-d", "-D", "-x", "-F", "-V"],
  program: ["-e", "-E"],
  info: ["-v", "-V", "-h", "--version", "--help"],
  stdin: [],
  clusters: true,
};

const RUBY: Dialect = {
  value: [
    "-I",
    "-r",
    "-C",
    "-E",
    "--encoding",
    "--external-encoding",
    "--internal-encoding",
    "--enable",
    "--disable",
    "--dump",
  ],
  attachedOnly: ["-x", "-F", "-W", "-0", "-K", "-T"],
  program: ["-e"],
  info: ["-v", "-h", "--version", "--help", "--copyright"],
  stdin: [],
  clusters: true,
};

const PHP: Dialect = {
  value: [
    "-c",
    "-d",
    "-z",
    "--php-ini",
    "--define",
    "--zend-extension",
    "--rf",
    "--rc",
    "--re",
    "--rz",
    "--ri",
  ],
  program: [
    "-f",
    "--file",
    "-r",
    "--run",
    "-R",
    "--process-code",
    "-F",
    "--process-file",
    "-B",
    "--process-begin",
    "-E",
    "--process-end",
    "-S",
    "--server",
    "-l",
    "--syntax-check",
    "-s",
    "--syntax-highlight",
    "-w",
    "--strip",
  ],
  info: ["-v", "--version", "-h", "--help", "-i", "--info", "-m", "--modules", "--ini"],
  stdin: ["-a", "--interactive"],
  clusters: false,
};

const LUA: Dialect = {
  value: ["-l"],
  program: ["-e"],
  info: ["-v"],
  stdin: ["-i"],
  clusters: false,
};

/** REPL-first interpreters whose options aegis does not model: a program file or nothing. */
const GENERIC: Dialect = {
  value: [],
  program: ["-e"],
  info: ["-v", "-V", "-h", "--version", "--help"],
  stdin: ["-i"],
  clusters: false,
};

const DIALECTS: Record<string, Dialect> = {
  python: PYTHON,
  pypy: PYTHON,
  node: NODE,
  nodejs: NODE,
  perl: PERL,
  ruby: RUBY,
  php: PHP,
  lua: LUA,
  luajit: LUA,
  julia: GENERIC,
  tclsh: GENERIC,
  wish: GENERIC,
  irb: GENERIC,
  jshell: GENERIC,
  ghci: GENERIC,
  guile: GENERIC,
  racket: GENERIC,
  sbcl: GENERIC,
  clisp: GENERIC,
  ocaml: GENERIC,
  rscript: GENERIC,
};

/**
 * Why this command line would run code from standard input, or undefined when it names a
 * program file (or is not an interpreter aegis knows). The text completes "python3 …".
 */
export function stdinProgramProblem(argv0: string, args: readonly string[]): string | undefined {
  const fam = commandFamily(argv0);
  if (fam === "deno" || fam === "bun") return subcommandCliProblem(fam, args);
  const dialect = DIALECTS[fam];
  return dialect ? scan(dialect, args) : undefined;
}

const FROM_STDIN = "would read its program from standard input";

function scan(d: Dialect, args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "-") return `${FROM_STDIN} ("-")`;
    if (arg === "--") {
      const next = args[i + 1];
      if (next === undefined || next === "-") return `${FROM_STDIN} (nothing after "--")`;
      return undefined;
    }
    if (!arg.startsWith("-") || arg.length === 1) {
      if (d.stdinPositionals?.includes(arg)) return `${arg} reads commands (code) from standard input`;
      return undefined;
    }
    const name = arg.includes("=") ? arg.slice(0, arg.indexOf("=")) : arg;
    const attached = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : undefined;
    if (d.stdin.includes(name)) return `${name} makes it read code from standard input`;
    if (d.info.includes(name)) return undefined;
    if (d.program.includes(name)) return moduleProblem(d, name, attached ?? args[i + 1]);
    if (d.value.includes(name)) {
      if (attached === undefined) i++;
      continue;
    }
    if (d.clusters && !arg.startsWith("--")) {
      const r = scanCluster(d, arg, args[i + 1]);
      if (r.verdict !== "continue") return r.problem;
      if (r.takesNext) i++;
      continue;
    }
    // A short option with its value attached (`-rmod`, `-dx=1`, `-lsocket`).
    if (!arg.startsWith("--") && arg.length > 2) {
      const short = arg.slice(0, 2);
      if (d.stdin.includes(short)) return `${short} makes it read code from standard input`;
      if (d.program.includes(short)) return moduleProblem(d, short, arg.slice(2));
    }
  }
  return `names no program file, so it ${FROM_STDIN}`;
}

type ClusterResult =
  | { verdict: "continue"; takesNext: boolean }
  | { verdict: "done"; problem: string | undefined };

/** `-bWignore`, `-Ic`, `-um pytest`: each letter an option until one takes a value. */
function scanCluster(d: Dialect, arg: string, next: string | undefined): ClusterResult {
  for (let j = 1; j < arg.length; j++) {
    const opt = `-${arg[j]}`;
    const rest = arg.slice(j + 1);
    if (d.stdin.includes(opt))
      return { verdict: "done", problem: `${opt} makes it read code from standard input` };
    if (d.info.includes(opt)) return { verdict: "done", problem: undefined };
    if (d.program.includes(opt)) return { verdict: "done", problem: moduleProblem(d, opt, rest || next) };
    if (d.value.includes(opt)) return { verdict: "continue", takesNext: rest === "" };
    if (d.attachedOnly?.includes(opt)) return { verdict: "continue", takesNext: false };
  }
  return { verdict: "continue", takesNext: false };
}

function moduleProblem(d: Dialect, option: string, value: string | undefined): string | undefined {
  if (option !== "-m" || !d.stdinModules || value === undefined) return undefined;
  const top = value.split(".")[0]!;
  return d.stdinModules.includes(top)
    ? `-m ${value} runs code given on standard input or inline, like -c`
    : undefined;
}

/** deno and bun take subcommands: their REPLs and `-` read code from stdin. */
function subcommandCliProblem(fam: "deno" | "bun", args: readonly string[]): string | undefined {
  if (args.includes("-")) return `${FROM_STDIN} ("-")`;
  if (args.includes("repl")) return `repl reads code from standard input`;
  const info = ["-v", "-V", "-h", "--version", "--help"];
  // Plain `deno` is its REPL (`bun` alone only prints its help).
  if (fam === "deno" && !args.some((a) => !a.startsWith("-")) && !args.some((a) => info.includes(a))) {
    return `names no program file or subcommand, so it starts its REPL on standard input`;
  }
  return undefined;
}
