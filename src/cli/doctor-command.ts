/**
 * `aegis doctor`: one line per check, [OK]/[WARN]/[FAIL], each problem with its fix.
 * Exit 0 when every check passed, 1 when some only warned, 2 when one failed (5 on bad usage).
 */
import { accessSync, constants, existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { defaultAuditLog, loadPolicySync } from "../host/load-policy.js";
import { probeBwrap } from "../jail/probe.js";
import { decideEnv, decideFs } from "../policy/decide.js";
import type { PathRule, ResolvedPolicy } from "../policy/types.js";
import { type CliIo, usageError } from "./io.js";

export const DOCTOR_OPTIONS = {
  policy: { type: "string" },
  "audit-log": { type: "string" },
} as const;

export const DOCTOR_HELP = `Usage: aegis doctor [--policy FILE] [--audit-log FILE]

Checks the installation and the policy: the policy loads; bubblewrap works (a failure only
when the policy asks for it); the audit log is writable and out of the policy's reach; host
wiring (.mcp.json, .claude/settings.json, opencode.json, .cursor/mcp.json) matches the policy;
over-broad allow globs; secret-shaped resources allowed without local-only.

  --policy FILE     the policy to check (default: ./aegis.toml if present, else the
                    built-in secure-defaults)
  --audit-log FILE  the audit log to check, as given to aegis run / aegis-mcp / the hook
                    (default: .aegis/audit.jsonl beside the policy)

Exit 0 when every check passed, 1 with warnings, 2 with failures, 5 on bad usage.
`;

type Level = "OK" | "WARN" | "FAIL";
interface Check {
  level: Level;
  text: string;
}

const SECRET_VAR = /(TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|APIKEY|PRIVATE_KEY|CREDENTIAL|_PAT$|DATABASE_URL)/i;
/** Names a secret-shaped variable commonly has; an allow rule that admits one is flagged. */
const SAMPLE_SECRETS = [
  "GITHUB_TOKEN",
  "AWS_SECRET_ACCESS_KEY",
  "OPENAI_API_KEY",
  "DATABASE_URL",
  "MY_SERVICE_PASSWORD",
];
const NATIVE_TOOLS = [
  "Read",
  "Glob",
  "Grep",
  "Write",
  "Edit",
  "MultiEdit",
  "NotebookEdit",
  "WebFetch",
  "Bash",
];

/** The value after `--policy` in an argv-like list or a command string. */
function policyArgOf(v: unknown): string | undefined {
  const words = Array.isArray(v) ? v.map(String) : typeof v === "string" ? v.split(/\s+/) : [];
  const i = words.indexOf("--policy");
  return i >= 0 ? words[i + 1]?.replace(/^["']|["']$/g, "") : undefined;
}

function samePolicy(arg: string | undefined, dir: string, policy: ResolvedPolicy): boolean {
  if (arg === undefined || policy.file === null) return arg === undefined && policy.file === null;
  const path = resolve(dir, arg.replace(/^\$\{?CLAUDE_PROJECT_DIR\}?/, dir));
  try {
    return realpathSync(path) === policy.file;
  } catch {
    return false;
  }
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function wiringChecks(policy: ResolvedPolicy, dir: string): Check[] {
  const out: Check[] = [];
  const policyName = policy.file ? relative(dir, policy.file) : "(built-in default)";
  const mentionsPolicy = (v: unknown) => {
    const e = (v ?? {}) as { args?: unknown; command?: unknown };
    return samePolicy(policyArgOf(e.args ?? e.command), dir, policy);
  };
  const files: [string, (doc: Record<string, unknown>) => unknown][] = [
    [".mcp.json", (d) => (d.mcpServers as Record<string, unknown> | undefined)?.aegis],
    ["opencode.json", (d) => (d.mcp as Record<string, unknown> | undefined)?.aegis],
    [".cursor/mcp.json", (d) => (d.mcpServers as Record<string, unknown> | undefined)?.aegis],
  ];
  let any = false;
  for (const [name, pick] of files) {
    const path = resolve(dir, name);
    if (!existsSync(path)) continue;
    any = true;
    const doc = readJson(path);
    if (!doc) {
      out.push({
        level: "FAIL",
        text: `${name} is not valid JSON; fix it or run \`aegis init --host … --force\``,
      });
      continue;
    }
    const entry = pick(doc);
    if (!entry)
      out.push({
        level: "WARN",
        text: `${name} has no aegis server entry; run \`aegis init --lang … --host …\``,
      });
    else if (!mentionsPolicy(entry)) {
      out.push({
        level: "WARN",
        text: `${name}: the aegis entry does not point at ${policyName}; update its --policy argument`,
      });
    } else if (JSON.stringify(entry).includes("auto-allow")) {
      out.push({
        level: "WARN",
        text: `${name}: aegis-mcp runs with --confirm-mode auto-allow, so every confirmation is approved unasked`,
      });
    } else out.push({ level: "OK", text: `${name} wires aegis-mcp to this policy` });
  }
  const settingsPath = resolve(dir, ".claude", "settings.json");
  if (existsSync(settingsPath)) {
    any = true;
    out.push(claudeHookCheck(policy, dir, settingsPath));
  }
  if (!any)
    out.push({
      level: "WARN",
      text: "no host wiring found here; run `aegis init --lang LANG --host claude|opencode|cursor`",
    });
  return out;
}

/** The PreToolUse hook must run `aegis hook claude` on this policy for every native tool. */
function claudeHookCheck(policy: ResolvedPolicy, dir: string, settingsPath: string): Check {
  const doc = readJson(settingsPath);
  if (!doc) return { level: "FAIL", text: ".claude/settings.json is not valid JSON" };
  const local = readJson(resolve(dir, ".claude", "settings.local.json"));
  if (doc.disableAllHooks === true || local?.disableAllHooks === true) {
    return {
      level: "WARN",
      text: "Claude Code hooks are disabled (disableAllHooks): native tools bypass the policy",
    };
  }
  const pre = (doc.hooks as { PreToolUse?: unknown } | undefined)?.PreToolUse;
  const entries = Array.isArray(pre) ? (pre as { matcher?: unknown; hooks?: unknown }[]) : [];
  const covered = new Set<string>();
  let wrongPolicy: string | undefined;
  for (const e of entries) {
    const cmds = Array.isArray(e.hooks)
      ? (e.hooks as { command?: unknown }[]).map((h) => String(h.command ?? ""))
      : [];
    const aegis = cmds.find((c) => c.includes("aegis hook claude"));
    if (!aegis) continue;
    if (!samePolicy(policyArgOf(aegis), dir, policy)) {
      wrongPolicy = policyArgOf(aegis) ?? "(no --policy)";
      continue;
    }
    const matcher = typeof e.matcher === "string" ? e.matcher : "";
    for (const t of NATIVE_TOOLS)
      if (matcher === "" || matcher === "*" || matcher.split("|").includes(t)) covered.add(t);
  }
  const missing = NATIVE_TOOLS.filter((t) => !covered.has(t));
  if (covered.size === 0 && !wrongPolicy) {
    return {
      level: "WARN",
      text: ".claude/settings.json has no aegis PreToolUse hook: native tools bypass the policy; run `aegis init --host claude --force`",
    };
  }
  if (missing.length === 0)
    return {
      level: "OK",
      text: ".claude/settings.json routes native tools through `aegis hook claude`",
    };
  const here = policy.file ? relative(dir, policy.file) : "the built-in default";
  const why = wrongPolicy ? ` (an aegis hook decides under ${wrongPolicy}, not ${here})` : "";
  return {
    level: "WARN",
    text: `.claude/settings.json has no aegis PreToolUse hook for ${missing.join(", ")}${why}: those tools bypass the policy; run \`aegis init --host claude --force\``,
  };
}

function broadGlobs(policy: ResolvedPolicy): Check[] {
  const fs = policy.filesystem;
  const lists: [string, PathRule[]][] = [
    ["read_allow", fs.readAllow],
    ["write_allow", fs.writeAllow],
    ["delete_allow", fs.deleteAllow],
  ];
  const out: Check[] = [];
  // A rule is over-broad when it admits arbitrary paths: anything under the root, the home
  // directory, a sibling of the root, or the whole file system (tested, not spelled).
  const probes = [
    [`${policy.root}/zz-aegis-probe`, `${policy.root}/zz/yy/xx.aegis-probe`],
    [`${policy.home}/zz-aegis-probe/x`],
    [`${dirname(policy.root)}/zz-aegis-sibling/x`],
    ["/zz-aegis-probe/x"],
  ];
  for (const [key, rules] of lists) {
    for (const r of rules) {
      if (probes.some((set) => set.every((p) => r.test(p)))) {
        out.push({
          level: "WARN",
          text: `filesystem.${key} "${r.value}" (${r.origin}) is very broad (${r.glob}); list the directories the agent needs`,
        });
      }
    }
  }
  if (out.length === 0) out.push({ level: "OK", text: "no over-broad filesystem allow globs" });
  return out;
}

/**
 * A local-only command is given secrets. Unjailed, nothing stops it writing them to a file the
 * script may read in the clear (`git config --file out/x k $TOKEN`); the jail lets it write
 * only where every file is local-only.
 */
function unjailedLocalOnlyCommands(policy: ResolvedPolicy): Check[] {
  const commands = policy.subprocess.localOnlyCommands;
  if (commands.length === 0 || policy.subprocess.sandbox === "bwrap") return [];
  if (policy.filesystem.writeAllow.length === 0) return [];
  return [
    {
      level: "WARN",
      text: `subprocess.local_only_commands (${commands.map((c) => c.value).join(", ")}) run unjailed: such a command can write the secrets it is given to a writable file, where a script reads them in the clear; set subprocess.sandbox = "bwrap"`,
    },
  ];
}

function secretShaped(policy: ResolvedPolicy): Check[] {
  const out: Check[] = [];
  for (const v of policy.environment.allowVars) {
    const admitted = [...new Set([v.value, ...SAMPLE_SECRETS])].filter(
      (name) =>
        !name.includes("*") &&
        v.test(name) &&
        SECRET_VAR.test(name) &&
        decideEnv(policy, name).decision === "allow",
    );
    if (admitted.includes(v.value)) {
      out.push({
        level: "WARN",
        text: `environment.allow_vars "${v.value}" looks like a secret; move it to local_only_vars so scripts can use it without seeing it (${v.origin})`,
      });
    } else if (admitted.length > 0) {
      out.push({
        level: "WARN",
        text: `environment.allow_vars "${v.value}" (${v.origin}) admits secret-shaped variables in the clear (${admitted.join(", ")}); list them under local_only_vars so scripts can use them without seeing them`,
      });
    }
  }
  for (const name of [".env", ".env.local", "secrets.json", "id_rsa"]) {
    const d = decideFs(policy, "fs.read", resolve(policy.root, name));
    if (d.decision === "allow") {
      out.push({
        level: "WARN",
        text: `${name} under the root is readable in the clear (${d.rule}); list it under filesystem.local_only_read`,
      });
    }
  }
  if (out.length === 0)
    out.push({ level: "OK", text: "no secret-shaped variables or files allowed in the clear" });
  return out;
}

export async function doctorCommand(args: string[], io: CliIo): Promise<number> {
  let flags;
  try {
    flags = parseArgs({
      args,
      strict: true,
      options: { ...DOCTOR_OPTIONS, help: { type: "boolean", short: "h" } },
    }).values;
  } catch (e) {
    return usageError(io, (e as Error).message, DOCTOR_HELP);
  }
  if (flags.help) {
    io.stdout(DOCTOR_HELP);
    return 0;
  }
  const cwd = process.cwd();
  const checks: Check[] = [];
  const policyFile = flags.policy ?? (existsSync(resolve(cwd, "aegis.toml")) ? "aegis.toml" : null);
  const auditArg = flags["audit-log"] ? resolve(cwd, flags["audit-log"]) : undefined;
  let policy: ResolvedPolicy | undefined;
  try {
    policy = loadPolicySync(policyFile, { cwd, ...(auditArg ? { auditLog: auditArg } : {}) });
    checks.push({
      level: policyFile ? "OK" : "WARN",
      text: policyFile
        ? `policy ${policyFile} loads: ${policy.capabilities.length} capabilities`
        : "no aegis.toml here: the built-in secure-defaults grants nothing; run `aegis init --lang LANG`",
    });
  } catch (e) {
    checks.push({
      level: "FAIL",
      text: `policy ${policyFile ?? "secure-defaults"} does not load:\n       ${(e as Error).message.split("\n").join("\n       ")}`,
    });
  }

  const probe = await probeBwrap();
  if (probe.ok) checks.push({ level: "OK", text: `bubblewrap works (${probe.bwrapPath})` });
  else {
    const wanted = policy?.subprocess.sandbox === "bwrap";
    checks.push({
      level: wanted ? "FAIL" : "WARN",
      text: `${probe.reason}${wanted ? ' and the policy sets subprocess.sandbox = "bwrap"' : ' (needed only for subprocess.sandbox = "bwrap")'}. Fix: ${probe.fix}`,
    });
  }

  if (policy) {
    const log = auditArg ?? defaultAuditLog(policy.root);
    try {
      // Checked without creating anything: the nearest existing ancestor must be a writable directory.
      let probe = existsSync(log) ? log : dirname(log);
      while (!existsSync(probe)) probe = dirname(probe);
      if (probe !== log && !statSync(probe).isDirectory()) throw new Error(`${probe} is not a directory`);
      accessSync(probe, constants.W_OK);
      const reach = (["fs.read", "fs.write", "fs.delete"] as const).map(
        (a) => decideFs(policy, a, log).decision,
      );
      if (reach.some((d) => d !== "deny"))
        checks.push({ level: "FAIL", text: `the audit log ${log} is reachable by the policy` });
      else checks.push({ level: "OK", text: `audit log ${log} is writable and out of the policy's reach` });
    } catch (e) {
      checks.push({
        level: "FAIL",
        text: `audit log ${log} is not writable (${(e as Error).message}); effects would be refused. Fix the directory permissions or pass --audit-log`,
      });
    }
    checks.push(...wiringChecks(policy, policy.file ? dirname(policy.file) : cwd));
    checks.push(...broadGlobs(policy), ...secretShaped(policy), ...unjailedLocalOnlyCommands(policy));
  }

  for (const c of checks) io.stdout(`[${c.level}] ${c.text}\n`);
  if (checks.some((c) => c.level === "FAIL")) return 2;
  return checks.some((c) => c.level === "WARN") ? 1 : 0;
}
