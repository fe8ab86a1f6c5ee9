/** `aegis policy validate | show | explain`. */
import { parseArgs } from "node:util";
import { AegisError, isAegisError } from "../errors.js";
import { argvPathArgs } from "../host/argv-paths.js";
import { loadPolicy, loadPolicySync, PolicyLoadError } from "../host/load-policy.js";
import { canonicalPathSync } from "../host/paths.js";
import { decide } from "../policy/decide.js";
import { policySummary } from "../policy/summary.js";
import { HTTP_METHODS, type Operation, type ResolvedPolicy } from "../policy/types.js";
import { type CliIo, EXIT_USAGE, usageError } from "./io.js";

export const POLICY_HELP = `Usage:
  aegis policy validate FILE
      Load FILE, resolve inheritance, run the guards, and, when it sets
      subprocess.sandbox = "bwrap", check that bubblewrap can jail a process here (as
      aegis run does). Prints "OK: N capabilities" or every error as file:line:column.
      Exit 0 or 5.
  aegis policy show FILE [--json]
      The resolved policy: capabilities, every list entry with its origin, limits, tools.
  aegis policy explain FILE --op JSON [--root DIR] [--json]
      The decision for one operation, without performing it. Op shapes:
        {"kind":"fs.read|fs.write|fs.delete|fs.list|fs.exists","path":"…"}
        {"kind":"net.http","method":"GET","url":"…","resolved_ips":["…"]}
        {"kind":"env.read","name":"…"}
        {"kind":"subprocess.exec","argv":["…"],"cwd":"…"}
      --root DIR resolves relative paths against DIR instead of the policy's directory.
      Exit 0 whatever the decision; 5 for a bad policy or op.
`;

/** The options each subcommand takes besides --help; any other is a usage error. */
export const POLICY_OPTIONS = {
  validate: {},
  show: { json: { type: "boolean" } },
  explain: { op: { type: "string" }, root: { type: "string" }, json: { type: "boolean" } },
} as const;

type Subcommand = keyof typeof POLICY_OPTIONS;
interface Flags {
  op?: string;
  root?: string;
  json?: boolean;
  help?: boolean;
}

function reportLoadError(e: unknown, io: CliIo): number {
  if (e instanceof PolicyLoadError) {
    io.stderr(`${e.issues.length} error${e.issues.length === 1 ? "" : "s"} in policy:\n${e.message}\n`);
    return EXIT_USAGE;
  }
  if (isAegisError(e)) {
    io.stderr(`aegis: ${e.message}\n`);
    return EXIT_USAGE;
  }
  throw e;
}

/** For show and explain, which never spawn: bubblewrap is not probed. */
function loadOrReport(file: string, io: CliIo): ResolvedPolicy | number {
  try {
    return loadPolicySync(file, { skipSandboxProbe: true });
  } catch (e) {
    return reportLoadError(e, io);
  }
}

export async function policyCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === "--help" || sub === "-h") {
    io.stdout(POLICY_HELP);
    return sub === undefined ? EXIT_USAGE : 0;
  }
  if (!Object.hasOwn(POLICY_OPTIONS, sub))
    return usageError(io, `unknown policy subcommand "${sub}"`, POLICY_HELP);
  let parsed: { values: Flags; positionals: string[] };
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: { ...POLICY_OPTIONS[sub as Subcommand], help: { type: "boolean", short: "h" } },
    }) as { values: Flags; positionals: string[] };
  } catch (e) {
    return usageError(io, `policy ${sub}: ${(e as Error).message}`, POLICY_HELP);
  }
  if (parsed.values.help) {
    io.stdout(POLICY_HELP);
    return 0;
  }
  const file = parsed.positionals[0];
  if (!file || parsed.positionals.length > 1)
    return usageError(io, `policy ${sub} needs exactly one FILE`, POLICY_HELP);
  switch (sub as Subcommand) {
    case "validate": {
      let p: ResolvedPolicy;
      try {
        // The probe `aegis run` does: a policy that asks for a jail bubblewrap cannot build
        // here would refuse every run, so it must not validate as fine.
        p = await loadPolicy(file);
      } catch (e) {
        return reportLoadError(e, io);
      }
      io.stdout(`OK: ${p.capabilities.length} capabilities (${p.capabilities.join(", ") || "none"})\n`);
      return 0;
    }
    case "show": {
      const p = loadOrReport(file, io);
      if (typeof p === "number") return p;
      io.stdout(parsed.values.json ? `${JSON.stringify(policySummary(p), null, 2)}\n` : renderPolicy(p));
      return 0;
    }
    case "explain":
      return explain(file, parsed.values, io);
  }
}

function explain(file: string, flags: { op?: string; root?: string; json?: boolean }, io: CliIo): number {
  if (!flags.op) return usageError(io, "policy explain needs --op JSON", POLICY_HELP);
  const p = loadOrReport(file, io);
  if (typeof p === "number") return p;
  let op: Operation;
  try {
    op = parseOp(flags.op, p, flags.root);
  } catch (e) {
    if (e instanceof AegisError && e.kind === "policy_violation") {
      // The operation is well-formed but can never be allowed (e.g. a dangling symlink).
      return printDecision(
        io,
        { decision: "deny", reason: e.message, rule: "path canonicalisation" },
        flags.json,
      );
    }
    return usageError(io, `bad --op: ${(e as Error).message}`, POLICY_HELP);
  }
  const d = decide(p, op);
  return printDecision(io, { decision: d.decision, reason: d.reason, rule: d.rule }, flags.json);
}

function printDecision(
  io: CliIo,
  d: { decision: string; reason: string; rule: string },
  json?: boolean,
): number {
  io.stdout(
    json ? `${JSON.stringify(d)}\n` : `${d.decision.toUpperCase()}: ${d.reason}\n  rule: ${d.rule}\n`,
  );
  return 0;
}

function str(o: Record<string, unknown>, key: string): string {
  const v = o[key];
  if (typeof v !== "string") throw new Error(`"${key}" must be a string`);
  return v;
}

export function parseOp(text: string, p: ResolvedPolicy, rootFlag?: string): Operation {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON (${(e as Error).message})`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error("must be a JSON object");
  const o = raw as Record<string, unknown>;
  const base = {
    root: rootFlag ? canonicalPathSync(rootFlag, { root: process.cwd(), home: p.home }) : p.root,
    home: p.home,
  };
  const kind = str(o, "kind");
  switch (kind) {
    case "fs.read":
    case "fs.write":
    case "fs.delete":
    case "fs.list":
    case "fs.exists":
      return { kind, path: canonicalPathSync(str(o, "path"), base) };
    case "net.http": {
      const method = str(o, "method").toUpperCase();
      if (!(HTTP_METHODS as readonly string[]).includes(method)) throw new Error(`unknown method ${method}`);
      const ips = o.resolved_ips;
      if (ips !== undefined && (!Array.isArray(ips) || ips.some((x) => typeof x !== "string"))) {
        throw new Error(`"resolved_ips" must be an array of strings`);
      }
      return {
        kind,
        method: method as Operation extends { method: infer M } ? M : never,
        url: str(o, "url"),
        ...(ips ? { resolvedIps: ips as string[] } : {}),
      };
    }
    case "env.read":
      return { kind, name: str(o, "name") };
    case "subprocess.exec": {
      const argv = o.argv;
      if (!Array.isArray(argv) || argv.length === 0 || argv.some((x) => typeof x !== "string")) {
        throw new Error(`"argv" must be a non-empty array of strings`);
      }
      const cwd = o.cwd === undefined ? undefined : canonicalPathSync(str(o, "cwd"), base);
      const pathBase = cwd ? { ...base, cwd } : base;
      return {
        kind,
        argv: argv as string[],
        ...(cwd ? { cwd } : {}),
        pathArgs: argvPathArgs(argv as string[], pathBase),
      };
    }
    default:
      throw new Error(`unknown op kind "${kind}"`);
  }
}

function renderPolicy(p: ResolvedPolicy): string {
  const s = policySummary(p);
  const lines: string[] = [];
  lines.push(`policy: ${s.file ?? "(built-in secure-defaults)"}`);
  lines.push(`inherits: ${s.chain.join(" <- ")}`);
  lines.push(`root: ${s.root}`);
  lines.push(`capabilities: ${s.capabilities.join(", ") || "none"}`);
  const section = (name: string, obj: Record<string, unknown>) => {
    lines.push("", `[${name}]`);
    for (const [k, v] of Object.entries(obj)) {
      if (Array.isArray(v) && v.length > 0 && typeof v[0] === "object") {
        lines.push(`  ${k}:`);
        for (const e of v as { value: string; origin: string }[])
          lines.push(`    ${e.value}   (${e.origin})`);
      } else if (Array.isArray(v) && v.length === 0) lines.push(`  ${k}: (none)`);
      else if (typeof v === "object" && v !== null && !Array.isArray(v)) {
        const entries = Object.entries(v);
        if (entries.length === 0) lines.push(`  ${k}: (none)`);
        for (const [kk, vv] of entries) {
          if (Array.isArray(vv))
            lines.push(
              `  ${k}.${kk}: ${(vv as { value: string; origin: string }[]).map((e) => `${e.value} (${e.origin})`).join(", ")}`,
            );
          else lines.push(`  ${k}.${kk}: ${JSON.stringify(vv)}`);
        }
      } else lines.push(`  ${k}: ${JSON.stringify(v)}`);
    }
  };
  lines.push("", "requires_approval:", ...s.requires_approval.map((e) => `  ${e.value}   (${e.origin})`));
  section("filesystem", s.filesystem);
  section("network", s.network);
  section("environment", s.environment);
  section("subprocess", s.subprocess);
  section("runtime", s.runtime);
  section("tools", s.tools as Record<string, unknown>);
  return `${lines.join("\n")}\n`;
}
