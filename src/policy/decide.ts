/**
 * decide(policy, operation) → Decision. Pure and deterministic.
 * Fixed order for every operation: reserved names → deny lists → allow (and
 * local-only) lists → default deny; then the confirmation layer. Deny matches
 * generously, allow strictly.
 */
import { basename, commandKeyMatches, looksLikePath, matchCommandArgs, pathCandidates } from "./commands.js";
import { absolutePath, normaliseHost, normalizePosix, parseAddress } from "./patterns.js";
import { programRule } from "./program-rules.js";
import type { Decision, Entry, FsAction, Operation, ResolvedPolicy } from "./types.js";

export function capabilityOf(op: Operation): string {
  return op.kind === "net.http" ? `net.http_${String(op.method).toLowerCase()}` : op.kind;
}

export function ruleName(key: string, entry: Entry): string {
  return `${key} ${JSON.stringify(entry.value)} (${entry.origin})`;
}

function deny(reason: string, rule: string): Decision {
  return { decision: "deny", reason, rule, sealed: false };
}

const configHint = (p: ResolvedPolicy) => (p.file ? `in ${p.file}` : "in an aegis.toml policy");

/**
 * Total: never throws. A malformed operation or a bug while deciding is a deny
 * ("a buggy policy fails closed"). `sealedArgv` (subprocess.exec only): which argv elements
 * are sealed, so the reason never shows them.
 */
export function decide(policy: ResolvedPolicy, op: Operation, sealedArgv?: SealedArgv): Decision {
  try {
    return decideWithApproval(policy, op, sealedArgv);
  } catch (e) {
    return deny(
      `operation refused: it could not be decided (${e instanceof Error ? e.message : String(e)})`,
      "fail-closed",
    );
  }
}

function decideWithApproval(policy: ResolvedPolicy, op: Operation, sealedArgv?: SealedArgv): Decision {
  if (typeof op !== "object" || op === null)
    return deny("operation refused: not an operation object", "invalid-operation");
  const base = decideBase(policy, op, sealedArgv);
  if (base.decision === "deny") return base;
  const cap = capabilityOf(op);
  const approval = policy.requiresApproval.find((e) => e.value === cap);
  if (approval) {
    return {
      decision: "confirm",
      reason: `${cap} needs confirmation (requires_approval lists it); otherwise: ${base.reason}`,
      rule: ruleName("requires_approval", approval),
      sealed: base.sealed,
    };
  }
  return base;
}

function decideBase(policy: ResolvedPolicy, op: Operation, sealedArgv?: SealedArgv): Decision {
  switch (op.kind) {
    case "fs.read":
    case "fs.write":
    case "fs.delete":
    case "fs.list":
    case "fs.exists":
      return decideFs(policy, op.kind, op.path);
    case "net.http":
      return decideNet(policy, op);
    case "env.read":
      return decideEnv(policy, op.name);
    case "subprocess.exec":
      return decideExec(policy, op, sealedArgv);
    default:
      return deny(
        `unknown operation ${JSON.stringify((op as { kind?: unknown }).kind)}`,
        "unknown-operation",
      );
  }
}

// ---------------------------------------------------------------- filesystem

const FS_ALLOW_KEY: Record<FsAction, "readAllow" | "writeAllow" | "deleteAllow"> = {
  "fs.read": "readAllow",
  "fs.list": "readAllow",
  "fs.exists": "readAllow",
  "fs.write": "writeAllow",
  "fs.delete": "deleteAllow",
};
const FS_ALLOW_NAME: Record<FsAction, string> = {
  "fs.read": "filesystem.read_allow",
  "fs.list": "filesystem.read_allow",
  "fs.exists": "filesystem.read_allow",
  "fs.write": "filesystem.write_allow",
  "fs.delete": "filesystem.delete_allow",
};

export function decideFs(policy: ResolvedPolicy, action: FsAction, path: string): Decision {
  if (
    typeof path !== "string" ||
    !path.startsWith("/") ||
    path.includes("\0") ||
    normalizePosix(path) !== path
  ) {
    return deny(`${action} denied: ${JSON.stringify(path)} is not a canonical absolute path`, "invalid-path");
  }
  // The audit log and its lock are never reachable: a script must not read, forge or erase its own trail.
  const log = policy.reserved.auditLogs.find((a) => path === a || path.startsWith(`${a}.`));
  if (log) return deny(`${action} denied: ${path} is the aegis audit log`, "reserved: audit log");
  if ((action === "fs.write" || action === "fs.delete") && policy.reserved.policyFiles.includes(path)) {
    return deny(`${action} denied: ${path} is a policy file aegis is running under`, "reserved: policy file");
  }
  // Git runs what its repository configures: core.fsmonitor or core.pager in .git/config,
  // an executable in .git/hooks, a commondir or a `.git` file pointing at a planted config.
  // No write_allow opens a git directory to fs.write; git commands still change it.
  if ((action === "fs.write" || action === "fs.delete") && inGitDir(path)) {
    return deny(
      `${action} denied: ${path} is inside a git directory (.git), whose config and hooks make git run commands; change it with git commands (git add, git commit) instead`,
      "reserved: git directory",
    );
  }
  const fs = policy.filesystem;
  const denied = fs.deny.find((r) => r.test(path));
  if (denied) {
    const rule = ruleName("filesystem.deny", denied);
    return deny(`${action} denied: ${path} matches ${rule}`, rule);
  }
  if (action === "fs.read" || action === "fs.list" || action === "fs.exists") {
    const local = fs.localOnlyRead.find((r) => r.test(path));
    if (local) {
      const rule = ruleName("filesystem.local_only_read", local);
      // Listing and existence are metadata, not content; only fs.read yields sealed content.
      if (action !== "fs.read")
        return { decision: "allow", reason: `${action} ${path} allowed by ${rule}`, rule, sealed: false };
      return {
        decision: "local_only",
        reason: `fs.read ${path} allowed by ${rule}; the content is sealed (usable, never shown)`,
        rule,
        sealed: true,
      };
    }
  }
  const key = FS_ALLOW_KEY[action];
  const allowed = fs[key].find((r) => r.test(path));
  if (allowed) {
    const rule = ruleName(FS_ALLOW_NAME[action], allowed);
    return { decision: "allow", reason: `${action} ${path} allowed by ${rule}`, rule, sealed: false };
  }
  return deny(
    `${action} denied: ${path} matches no ${FS_ALLOW_NAME[action]} entry (default deny); add a pattern to ${FS_ALLOW_NAME[action]} ${configHint(policy)} to allow it`,
    `default deny (${FS_ALLOW_NAME[action]})`,
  );
}

/** `/p/.git`, `/p/.git/config`, `/p/sub/.GIT/hooks/x` (any case: case-insensitive mounts). */
export function inGitDir(path: string): boolean {
  return path.split("/").some((part) => part.toLowerCase() === ".git");
}

/** True when `path` (canonical) holds local-only content: sealed values may be written there. */
export function isLocalOnlyPath(policy: ResolvedPolicy, path: string): boolean {
  return policy.filesystem.localOnlyRead.some((r) => r.test(path));
}

/**
 * Whether sealed bytes may be written to `path`: local-only in its exact spelling. A case
 * variant (`data/VAULT/k` for `data/vault/**`) reads back sealed, but the local-only index
 * and the jail find local-only files by the spelling the policy gives, so on a
 * case-sensitive file system it would be a file nothing else knows to protect.
 */
export function isLocalOnlyDestination(policy: ResolvedPolicy, path: string): boolean {
  return policy.filesystem.localOnlyRead.some((r) => (r.testExact ?? r.test)(path));
}

// ---------------------------------------------------------------- network

export function decideNet(policy: ResolvedPolicy, op: Extract<Operation, { kind: "net.http" }>): Decision {
  const method = String(op.method).toUpperCase();
  const cap = `net.http ${method}`;
  if (!["GET", "POST", "PUT", "PATCH", "DELETE"].includes(method)) {
    return deny(`${cap} denied: unsupported HTTP method`, "invalid-method");
  }
  let url: URL;
  try {
    url = new URL(op.url);
  } catch {
    return deny(`${cap} denied: ${JSON.stringify(op.url)} is not a valid URL`, "invalid-url");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return deny(`${cap} denied: scheme ${url.protocol} is not allowed (only http and https)`, "scheme");
  }
  if (url.username !== "" || url.password !== "") {
    return deny(`${cap} denied: URLs with userinfo (user@host) are refused`, "userinfo");
  }
  const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
  const net = policy.network;
  if (!net.allowPorts.includes(port)) {
    return deny(
      `${cap} denied: port ${port} is not in network.allow_ports (${net.allowPorts.join(", ")})`,
      "network.allow_ports",
    );
  }
  const host = normaliseHost(url.hostname);
  const target = `${url.protocol}//${host.includes(":") ? `[${host}]` : host}${url.port ? `:${url.port}` : ""}`;
  const deniedHost = net.denyHosts.find((r) => r.test(host));
  if (deniedHost) {
    const rule = ruleName("network.deny_hosts", deniedHost);
    return deny(`${cap} ${target} denied: host ${host} matches ${rule}`, rule);
  }
  // Each distinct address once (an IP literal is also its own resolver answer).
  const addresses = new Set([...(parseAddress(host) ? [host] : []), ...(op.resolvedIps ?? [])]);
  for (const a of addresses) {
    if (typeof a !== "string" || !parseAddress(a)) {
      return deny(
        `${cap} ${target} denied: resolver answer ${JSON.stringify(a)} is not an IP address`,
        "invalid-address",
      );
    }
    const deniedIp = net.denyIps.find((r) => r.test(a));
    if (deniedIp) {
      const rule = ruleName("network.deny_ips", deniedIp);
      return deny(`${cap} ${target} denied: ${host} is (or resolves to) ${a}, which matches ${rule}`, rule);
    }
  }
  const local = net.localOnlyHosts.find((r) => r.test(host));
  if (local) {
    const rule = ruleName("network.local_only_hosts", local);
    return {
      decision: "local_only",
      reason: `${cap} ${target} allowed by ${rule}; the response is sealed`,
      rule,
      sealed: true,
    };
  }
  const key = `network.http_${method.toLowerCase()}_allow`;
  const allowed = net.allow[method as keyof typeof net.allow].find((r) => r.test(host));
  if (allowed) {
    const rule = ruleName(key, allowed);
    return { decision: "allow", reason: `${cap} ${target} allowed by ${rule}`, rule, sealed: false };
  }
  return deny(
    `${cap} ${target} denied: host ${host} matches no ${key} entry (default deny); add it to ${key} ${configHint(policy)} to allow it`,
    `default deny (${key})`,
  );
}

// ---------------------------------------------------------------- environment

const VAR_NAME = /^[^=\0]+$/;

export function decideEnv(policy: ResolvedPolicy, name: string): Decision {
  if (typeof name !== "string" || !VAR_NAME.test(name)) {
    return deny(`env.read denied: ${JSON.stringify(name)} is not a variable name`, "invalid-name");
  }
  // Variables that configure aegis itself are never visible to the scripts it runs.
  if (/^AEGIS_/i.test(name))
    return deny(`env.read denied: ${name} configures aegis itself`, "reserved: AEGIS_*");
  const env = policy.environment;
  const denied = env.denyVars.find((r) => r.test(name));
  if (denied) {
    const rule = ruleName("environment.deny_vars", denied);
    return deny(`env.read denied: ${name} matches ${rule}`, rule);
  }
  const local = env.localOnlyVars.find((r) => r.test(name));
  if (local) {
    const rule = ruleName("environment.local_only_vars", local);
    return {
      decision: "local_only",
      reason: `env.read ${name} allowed by ${rule}; the value is sealed`,
      rule,
      sealed: true,
    };
  }
  const allowed = env.allowVars.find((r) => r.test(name));
  if (allowed) {
    const rule = ruleName("environment.allow_vars", allowed);
    return { decision: "allow", reason: `env.read ${name} allowed by ${rule}`, rule, sealed: false };
  }
  return deny(
    `env.read denied: ${name} matches no environment.allow_vars entry (default deny); add it to environment.allow_vars (or local_only_vars for a secret) ${configHint(policy)}`,
    "default deny (environment.allow_vars)",
  );
}

// ---------------------------------------------------------------- subprocess

function strictCommandMatch(entries: Entry[], argv0: string): Entry | undefined {
  // Strict allow: a bare argv[0] matches a bare entry; a path matches only that exact path,
  // so `./git` (a planted binary) never passes as `git`.
  return argv0.includes("/")
    ? entries.find((e) => e.value === argv0)
    : entries.find((e) => e.value === argv0 && !e.value.includes("/"));
}

/** The subprocess.local_only_commands entry `argv0` is, if any: only those may receive sealed values. */
export function localOnlyCommand(policy: ResolvedPolicy, argv0: string): Entry | undefined {
  return strictCommandMatch(policy.subprocess.localOnlyCommands, argv0);
}

/**
 * Which argv elements of an exec are sealed: `[i]` is the stand-in (`[sealed LABEL]`) shown
 * for argv[i], or undefined for a plain element.
 */
export type SealedArgv = readonly (string | undefined)[];

/**
 * Each path candidate taken from a sealed argv element (the element itself, and the
 * substrings pathCandidates cuts from it) → the element's stand-in. A reason names such a
 * candidate by the stand-in only and never shows its canonical path: `${key}/..` resolves
 * to a prefix of the secret, `a//b` to `a/b`, `x+/y` yields the candidate `/y`, and the
 * redactor, which knows only whole values, recognises none of them.
 */
export function sealedCandidates(argv: readonly string[], sealedArgv?: SealedArgv): Map<string, string> {
  const out = new Map<string, string>();
  argv.forEach((arg, i) => {
    const standIn = sealedArgv?.[i];
    if (i === 0 || standIn === undefined) return;
    for (const c of [arg, ...pathCandidates(arg)]) out.set(c, standIn);
  });
  return out;
}

export function decideExec(
  policy: ResolvedPolicy,
  op: Extract<Operation, { kind: "subprocess.exec" }>,
  sealedArgv?: SealedArgv,
): Decision {
  const argv = op.argv;
  if (
    !Array.isArray(argv) ||
    argv.length === 0 ||
    argv.some((a) => typeof a !== "string" || a.includes("\0"))
  ) {
    return deny(
      "subprocess.exec denied: argv must be a non-empty array of strings without NUL bytes",
      "invalid-argv",
    );
  }
  // The program must be named in the clear: every reason below shows it.
  if (sealedArgv?.[0] !== undefined)
    return deny("subprocess.exec denied: argv[0] cannot be a sealed value", "sealed-flow");
  const argv0 = argv[0]!;
  if (argv0 === "") return deny("subprocess.exec denied: argv[0] is empty", "invalid-argv");
  const cmd = `subprocess.exec ${argv0}`;
  const sp = policy.subprocess;
  const name = basename(argv0);
  const args = argv.slice(1);
  const shownArgs = args.map((a, i) => sealedArgv?.[i + 1] ?? a);
  const sealedPaths = sealedCandidates(argv, sealedArgv);
  const carriesSealed = sealedArgv?.slice(1).some((s) => s !== undefined) ?? false;

  const deniedCmd = sp.denyCommands.find((e) => commandKeyMatches(e.value, argv0));
  if (deniedCmd) {
    const rule = ruleName("subprocess.deny_commands", deniedCmd);
    return deny(`${cmd} denied: ${name} matches ${rule}`, rule);
  }
  for (const [key, patterns] of Object.entries(sp.denyArgs)) {
    if (!commandKeyMatches(key, argv0)) continue;
    const hit = patterns.find((p) => matchCommandArgs(args, p.value));
    if (hit) {
      const rule = ruleName(`subprocess.deny_args.${key}`, hit);
      return deny(`${cmd} denied: arguments ${JSON.stringify(shownArgs.join(" "))} match ${rule}`, rule);
    }
  }
  // What deny_args cannot say (an argument that is missing, a ps letter cluster): code on
  // stdin and other processes' environments, denied under every policy.
  const known = programRule(argv0, args);
  if (known) {
    // Its explanation quotes the argument it objects to, which may be a sealed one.
    const why = carriesSealed ? "is refused for these arguments (a sealed argument is not shown)" : known.why;
    return deny(`${cmd} denied: ${name} ${why} (${known.rule}); ${known.fix}`, known.rule);
  }
  const local = localOnlyCommand(policy, argv0);
  const allowed = local ?? strictCommandMatch(sp.allowCommands, argv0);
  if (!allowed) {
    const hint = argv0.includes("/")
      ? `a command given as a path must be listed with that exact path in subprocess.allow_commands`
      : `add "${argv0}" to subprocess.allow_commands ${configHint(policy)} to allow it`;
    return deny(
      `${cmd} denied: not in subprocess.allow_commands (default deny); ${hint}`,
      "default deny (subprocess.allow_commands)",
    );
  }

  // The argv path gate: a path argument must pass the filesystem rules, so an allowed
  // command cannot be pointed at a file the policy protects (`cat ~/.ssh/id_rsa`).
  const base = op.cwd ?? policy.root;
  // The working directory must be readable, or be the root itself (the usual case).
  if (op.cwd !== undefined && op.cwd !== policy.root) {
    const d = decideFs(policy, "fs.list", op.cwd);
    if (d.decision === "deny") return deny(`${cmd} denied: working directory ${op.cwd}: ${d.reason}`, d.rule);
  }
  const checked = new Set<string>();
  const candidates = [...args.flatMap((a) => pathCandidates(a)), ...Object.keys(op.pathArgs ?? {})];
  for (const raw of candidates) {
    if (checked.has(raw)) continue;
    checked.add(raw);
    const given = op.pathArgs && Object.hasOwn(op.pathArgs, raw) ? op.pathArgs[raw] : undefined;
    const canonical = given ?? absolutePath(raw, base, policy.home);
    // A sealed path is gated like any other, but named by its stand-in alone: its
    // canonical form (and fs's reason, which quotes it) is a transformation of the secret.
    const standIn = sealedPaths.get(raw);
    const shown = standIn ?? JSON.stringify(raw);
    // A command may write what it is given: the files aegis runs under are off limits.
    if (policy.reserved.policyFiles.includes(canonical)) {
      return deny(
        standIn
          ? `${cmd} denied: argument ${standIn} is a policy file aegis is running under`
          : `${cmd} denied: argument ${shown} is the policy file ${canonical}`,
        "reserved: policy file",
      );
    }
    const d = decideFs(policy, "fs.read", canonical);
    if (d.decision === "deny") {
      return deny(
        standIn
          ? `${cmd} denied: argument ${standIn} is a path the policy does not allow (fs.read denied); a sealed value's path is never shown`
          : `${cmd} denied: argument ${shown} resolves to ${canonical}: ${d.reason}`,
        d.rule,
      );
    }
    // A normal command would print a local-only file in the clear; only local-only
    // commands (whose output is sealed) may be given one.
    if (d.sealed && !local) {
      return deny(
        `${cmd} denied: argument ${shown} is local-only (${d.rule}) and ${name} is not in subprocess.local_only_commands`,
        d.rule,
      );
    }
  }

  for (const [key, patterns] of Object.entries(sp.requiresApprovalArgs)) {
    if (!commandKeyMatches(key, argv0)) continue;
    const hit = patterns.find((p) => matchCommandArgs(args, p.value));
    if (hit) {
      const rule = ruleName(`subprocess.requires_approval_args.${key}`, hit);
      return {
        decision: "confirm",
        reason: `${cmd} ${shownArgs.join(" ")} needs confirmation (${rule})`,
        rule,
        sealed: !!local,
      };
    }
  }
  if (local) {
    const rule = ruleName("subprocess.local_only_commands", local);
    return {
      decision: "local_only",
      reason: `${cmd} allowed by ${rule}; its output is sealed`,
      rule,
      sealed: true,
    };
  }
  const rule = ruleName("subprocess.allow_commands", allowed);
  return { decision: "allow", reason: `${cmd} allowed by ${rule}`, rule, sealed: false };
}

export { looksLikePath };
