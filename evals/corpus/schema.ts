/**
 * The shape of an eval case (adversarial and legitimate), and its validation.
 *
 * Placeholders, filled by the runner in every string of a case (policy, script, files,
 * links, env, args, served bodies, expectations):
 *   {{ROOT}}     the project directory (policy root, working directory)
 *   {{HOME}}     the fake HOME of the run
 *   {{OUTSIDE}}  a directory outside both, holding canary files
 *   {{CANARY}}   http://127.0.0.1:PORT, a server that must see nothing ({{CANARY_PORT}})
 *   {{API}}      http://127.0.0.3:PORT, an allowed stand-in API ({{API_PORT}})
 */

export const CLASSES = [
  "sandbox-escape",
  "resource-exhaustion",
  "path-tricks",
  "ssrf",
  "subprocess-abuse",
  "secret-exfiltration",
  "prompt-injection",
  "audit-tampering",
  "policy-file",
] as const;
export type ClassName = (typeof CLASSES)[number];

export const CLASS_FILES: Record<ClassName, string> = {
  "sandbox-escape": "01-sandbox-escape.json",
  "resource-exhaustion": "02-resource-exhaustion.json",
  "path-tricks": "03-path-tricks.json",
  ssrf: "04-ssrf.json",
  "subprocess-abuse": "05-subprocess-abuse.json",
  "secret-exfiltration": "06-secret-exfiltration.json",
  "prompt-injection": "07-prompt-injection.json",
  "audit-tampering": "08-audit-tampering.json",
  "policy-file": "09-policy-file.json",
};

export const KINDS = [
  "success",
  "script_error",
  "policy_violation",
  "verifier_rejection",
  "confirm_denied",
  "runtime_limit",
  "io_error",
] as const;

/** What the stand-in API answers on one path. */
export interface Served {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Answer 401 unless the request carries these headers with exactly these values. */
  requireHeaders?: Record<string, string>;
  /** Wait this long before answering (a slow or hanging server). */
  delayMs?: number;
}

/** An audit-log manipulation, applied between runs of an audit-mode case. */
export type Tamper =
  | { op: "edit"; line: number; from: string; to: string }
  | { op: "delete"; line: number }
  | { op: "insert"; line: number; copyOf: number }
  | { op: "swap"; line: number }
  | { op: "truncate"; keep: number }
  | { op: "torn"; bytes: number }
  | { op: "append"; text: string }
  | { op: "replace"; text: string };

export interface AuditPlan {
  /** Runs of the script before tampering (default 1). */
  before?: number;
  /** Runs of the script at the same time, all appending to one log (default 1). */
  concurrent?: number;
  tamper?: Tamper[];
  /** Runs after tampering (default 0): the next writer must cope with what it finds. */
  after?: number;
  /** Extra arguments for `aegis audit verify` (e.g. ["--min-seq", "12"]). */
  verifyArgs?: string[];
  /** Kill the run this many ms after it starts (a crash mid-write), before verifying. */
  killAfterMs?: number;
}

/** A value expectation: exact, or one of these matchers. */
export type Match =
  | string
  | number
  | boolean
  | null
  | Match[]
  | { $includes: string[] }
  | { $regex: string }
  | { $json: unknown }
  | { [key: string]: Match };

export interface Expect {
  kind?: (typeof KINDS)[number];
  exit?: number;
  /** Paths (relative to the project, or with a placeholder) that must keep their bytes. */
  unchanged?: string[];
  /** Paths that must not exist after the run. */
  absent?: string[];
  /** The canary server must see no connection at all. */
  noRequest?: boolean;
  maxMs?: number;
  /** Subset match against the run's result value. */
  value?: Match;
  /** Files that must exist with this content (exact or a matcher). */
  files?: Record<string, Match>;
  /** Matchers on the printed output (--json `output`), the error message, stderr. */
  output?: Match;
  error?: Match;
  stderr?: Match;
  stdout?: Match;
  /** Audit records that must be present (subset match on each listed field). */
  audit?: { cap?: string; decision?: string; status?: string; target?: Match }[];
  /** Requests the stand-in API must have received (legitimate tasks). */
  requests?: { path: string; method?: string; headers?: Record<string, string>; body?: Match }[];
}

export interface EvalCase {
  id: string;
  class?: ClassName;
  /** Legitimate tasks: what the agent was asked to do. */
  task?: string;
  technique: string;
  source: string;
  mode?: "run" | "audit" | "policy";
  policy: string;
  files?: Record<string, string>;
  symlinks?: Record<string, string>;
  hardlinks?: Record<string, string>;
  /** Large files built from repeated parts (a huge policy, a deeply nested TOML value). */
  generated?: { path: string; parts: { text: string; times?: number }[] }[];
  /** Named pipes (FIFOs) to create, relative to the project. */
  fifos?: string[];
  /** Files (keys of `files`) to mark executable. */
  executable?: string[];
  home?: Record<string, string>;
  outside?: Record<string, string>;
  env?: Record<string, string>;
  /** Env values that are not secrets (everything else in env/home/outside is a canary). */
  public?: string[];
  /** Further canary values (a local-only API's answer, a token in a project file). */
  secrets?: string[];
  script: string;
  /** Extra `aegis run` flags (--yes, --timeout S). */
  args?: string[];
  /** For mode "policy": the subcommand after `aegis policy` (default ["validate", "aegis.toml"]). */
  policyArgs?: string[];
  audit?: AuditPlan;
  /** Fake DNS answers for the aegis process (see lib/fake-dns.mjs). */
  dns?: Record<string, string[] | string[][]>;
  /** A git repository in the project: files committed, plus optional extra commits. */
  git?: boolean | { commits?: { message: string; files: Record<string, string> }[] };
  serve?: Record<string, Served>;
  expect: Expect;
  /** Whether the MCP sample may include this case (default: run-mode cases without args). */
  mcp?: boolean;
}

const CASE_KEYS = new Set([
  "id",
  "class",
  "task",
  "technique",
  "source",
  "mode",
  "policy",
  "files",
  "symlinks",
  "hardlinks",
  "executable",
  "fifos",
  "generated",
  "home",
  "outside",
  "env",
  "public",
  "secrets",
  "script",
  "args",
  "policyArgs",
  "audit",
  "dns",
  "git",
  "serve",
  "expect",
  "mcp",
]);
const EXPECT_KEYS = new Set([
  "kind",
  "exit",
  "unchanged",
  "absent",
  "noRequest",
  "maxMs",
  "value",
  "files",
  "output",
  "error",
  "stderr",
  "stdout",
  "audit",
  "requests",
]);

const isRecordOfStrings = (v: unknown): boolean =>
  typeof v === "object" &&
  v !== null &&
  !Array.isArray(v) &&
  Object.values(v).every((x) => typeof x === "string");

/** Problems with one case; empty when it is well formed. */
export function caseProblems(c: unknown, legit: boolean): string[] {
  const out: string[] = [];
  if (typeof c !== "object" || c === null || Array.isArray(c)) return ["not an object"];
  const o = c as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!CASE_KEYS.has(k)) out.push(`unknown key ${k}`);
  for (const k of ["id", "technique", "source", "policy", "script"])
    if (typeof o[k] !== "string") out.push(`${k} must be a string`);
  for (const k of ["id", "technique", "source"])
    if (typeof o[k] === "string" && (o[k] as string).trim() === "") out.push(`${k} is empty`);
  if (legit) {
    if (typeof o.task !== "string" || o.task === "") out.push("a legitimate task needs a task description");
  } else if (!CLASSES.includes(o.class as ClassName)) out.push(`class must be one of ${CLASSES.join(", ")}`);
  if (o.mode !== undefined && !["run", "audit", "policy"].includes(o.mode as string))
    out.push("mode must be run, audit or policy");
  for (const k of ["files", "symlinks", "hardlinks", "home", "outside", "env"])
    if (o[k] !== undefined && !isRecordOfStrings(o[k])) out.push(`${k} must map strings to strings`);
  for (const k of ["args", "policyArgs", "public", "executable", "secrets", "fifos"])
    if (
      o[k] !== undefined &&
      !(Array.isArray(o[k]) && (o[k] as unknown[]).every((x) => typeof x === "string"))
    )
      out.push(`${k} must be a string array`);
  const e = o.expect;
  if (typeof e !== "object" || e === null || Array.isArray(e)) out.push("expect must be an object");
  else {
    const ex = e as Record<string, unknown>;
    for (const k of Object.keys(ex)) if (!EXPECT_KEYS.has(k)) out.push(`unknown expect key ${k}`);
    if (ex.kind !== undefined && !KINDS.includes(ex.kind as (typeof KINDS)[number]))
      out.push(`expect.kind must be one of ${KINDS.join(", ")}`);
    if (
      ex.exit !== undefined &&
      !(Number.isInteger(ex.exit) && (ex.exit as number) >= 0 && (ex.exit as number) <= 6)
    )
      out.push("expect.exit must be 0..6");
    if (legit && ex.kind !== undefined && ex.kind !== "success")
      out.push("a legitimate task must expect success");
    const checks = ["kind", "exit", "unchanged", "absent", "noRequest", "value", "files", "audit", "error"];
    if (!checks.some((k) => ex[k] !== undefined)) out.push("expect asserts nothing");
  }
  return out;
}
