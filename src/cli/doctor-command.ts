/**
 * `aegis doctor`: one line per check, [OK]/[WARN]/[FAIL], each problem with its fix.
 * Exit 0 when all pass, 1 with warnings, 2 with failures.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { defaultAuditLog, loadPolicySync } from "../host/load-policy.js";
import { probeBwrap } from "../jail/probe.js";
import { decideFs } from "../policy/decide.js";
import type { PathRule, ResolvedPolicy } from "../policy/types.js";
import { type CliIo, usageError } from "./io.js";

export const DOCTOR_HELP = `Usage: aegis doctor [--policy FILE] [--audit-log FILE]

Checks the installation and the policy: the policy loads; bubblewrap works (when the
policy asks for it); the audit log is writable and out of the policy's reach; host wiring
(.mcp.json, .claude/settings.json, opencode.json, .cursor/mcp.json) matches the policy;
over-broad allow globs; secret-shaped resources allowed without local-only.
Exit 0 all OK, 1 warnings, 2 failures.
`;

type Level = "OK" | "WARN" | "FAIL";
interface Check {
  level: Level;
  text: string;
}

const BROAD = new Set(["**", "/**", "~/**", "/", "~", "*", "./**"]);
const SECRET_VAR = /(TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|PRIVATE_KEY|CREDENTIALS?)$/i;

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function wiringChecks(policy: ResolvedPolicy, dir: string): Check[] {
  const out: Check[] = [];
  const policyName = policy.file ? relative(dir, policy.file) : undefined;
  const mentionsPolicy = (v: unknown) =>
    policyName === undefined || JSON.stringify(v ?? "").includes(policyName);
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
    const doc = readJson(settingsPath);
    const hooks = JSON.stringify(doc?.hooks ?? "");
    if (!doc) out.push({ level: "FAIL", text: ".claude/settings.json is not valid JSON" });
    else if (!hooks.includes("aegis hook claude")) {
      out.push({
        level: "WARN",
        text: ".claude/settings.json has no aegis PreToolUse hook: native tools bypass the policy; run `aegis init --host claude`",
      });
    } else
      out.push({
        level: "OK",
        text: ".claude/settings.json routes native tools through `aegis hook claude`",
      });
  }
  if (!any)
    out.push({
      level: "WARN",
      text: "no host wiring found here; run `aegis init --lang LANG --host claude|opencode|cursor`",
    });
  return out;
}

function broadGlobs(policy: ResolvedPolicy): Check[] {
  const fs = policy.filesystem;
  const lists: [string, PathRule[]][] = [
    ["read_allow", fs.readAllow],
    ["write_allow", fs.writeAllow],
    ["delete_allow", fs.deleteAllow],
  ];
  const out: Check[] = [];
  for (const [key, rules] of lists) {
    for (const r of rules) {
      if (BROAD.has(r.value) || r.glob === "/**" || r.glob === `${policy.home}/**`) {
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

function secretShaped(policy: ResolvedPolicy): Check[] {
  const out: Check[] = [];
  for (const v of policy.environment.allowVars) {
    if (SECRET_VAR.test(v.value)) {
      out.push({
        level: "WARN",
        text: `environment.allow_vars "${v.value}" looks like a secret; move it to local_only_vars so scripts can use it without seeing it`,
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
      options: {
        policy: { type: "string" },
        "audit-log": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
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
      mkdirSync(dirname(log), { recursive: true, mode: 0o700 });
      accessSync(dirname(log), constants.W_OK);
      if (existsSync(log)) accessSync(log, constants.W_OK);
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
    checks.push(...broadGlobs(policy), ...secretShaped(policy));
  }

  for (const c of checks) io.stdout(`[${c.level}] ${c.text}\n`);
  if (checks.some((c) => c.level === "FAIL")) return 2;
  return checks.some((c) => c.level === "WARN") ? 1 : 0;
}
