/**
 * `aegis hook claude`: a Claude Code PreToolUse hook. The host's native tools are mapped
 * to aegis operations and decided by the same policy. Allow → exit 0 with the hook JSON;
 * anything else, including our own errors and inputs we do not understand → exit 2 with
 * the reason on stderr (Claude Code shows it to the model). Fail closed throughout.
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { AuditLog } from "../audit/writer.js";
import { argvPathArgs } from "../host/argv-paths.js";
import { defaultAuditLog, loadPolicySync } from "../host/load-policy.js";
import {
  buildLocalOnlyIndex,
  indirectReadProblem,
  isWithin,
  type LocalOnlyIndex,
} from "../host/local-only-index.js";
import { canonicalPathSync } from "../host/paths.js";
import { staticPrefix } from "../jail/bwrap-args.js";
import { capabilityOf, decide, isLocalOnlyPath } from "../policy/decide.js";
import { normaliseHost, parseAddress } from "../policy/patterns.js";
import type { Decision, Operation, ResolvedPolicy } from "../policy/types.js";
import type { CliIo } from "./io.js";
import { parseCommandLine } from "./shell-words.js";

export const HOOK_HELP = `Usage: aegis hook claude [--policy FILE] [--audit-log FILE]

A Claude Code PreToolUse hook: reads the hook JSON on stdin, decides the native tool
call (Read/Glob/Grep → read, Write/Edit/MultiEdit/NotebookEdit → write, WebFetch →
HTTP GET, Bash → the parsed argv) under the policy, audits it, and answers:
exit 0 with a permissionDecision "allow", or exit 2 with the reason on stderr.
`;

/** Largest hook payload accepted; a bigger one is refused, not parsed. */
const MAX_INPUT_BYTES = 4 * 1024 * 1024;
/** Most entries inspected when Grep targets a directory. */
const MAX_WALK_ENTRIES = 20_000;

const USE_AEGIS = "use the aegis MCP tools (aegis_run, aegis_exec, aegis_fs_read) instead";

type Verdict =
  | { allow: true; reason: string; cap: string; target: string; rule: string }
  | {
      allow: false;
      reason: string;
      cap: string;
      target: string;
      rule: string;
    };

function denied(cap: string, target: string, reason: string, rule = "hook"): Verdict {
  return { allow: false, reason, cap, target, rule };
}

function fromDecision(cap: string, target: string, d: Decision): Verdict {
  if (d.decision === "allow") return { allow: true, reason: d.reason, cap, target, rule: d.rule };
  if (d.decision === "local_only") {
    return denied(
      cap,
      target,
      `${d.reason}; local-only content must not enter the transcript: ${USE_AEGIS}`,
      d.rule,
    );
  }
  if (d.decision === "confirm") {
    return denied(
      cap,
      target,
      `${d.reason}; native tools cannot ask for confirmation here: ${USE_AEGIS}`,
      d.rule,
    );
  }
  return denied(cap, target, d.reason, d.rule);
}

function stringField(input: Record<string, unknown>, key: string): string {
  const v = input[key];
  if (typeof v !== "string" || v === "") throw new Error(`tool_input.${key} must be a non-empty string`);
  return v;
}

/** Grep reads every file beneath a directory: each must be readable and not local-only. */
function checkTreeReadable(policy: ResolvedPolicy, dir: string): Decision | undefined {
  let seen = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const current = stack.pop()!;
    let names: string[];
    try {
      names = readdirSync(current);
    } catch {
      continue;
    }
    for (const name of names) {
      if (++seen > MAX_WALK_ENTRIES) {
        return {
          decision: "deny",
          reason: `Grep over ${dir}: more than ${MAX_WALK_ENTRIES} entries to check; search a narrower path`,
          rule: "hook: tree too large to check",
          sealed: false,
        };
      }
      const p = current === "/" ? `/${name}` : `${current}/${name}`;
      let st: ReturnType<typeof lstatSync>;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        // Nothing is skipped: ripgrep searches node_modules and .git/config can hold tokens.
        stack.push(p);
        continue;
      }
      const d =
        st.nlink > 1 && st.isFile() && localOnlyInode(policy, st)
          ? hardLinkDecision(p, st.nlink)
          : decide(policy, { kind: "fs.read", path: p });
      if (d.decision !== "allow") {
        return {
          decision: "deny",
          reason: `Grep over ${dir} would read ${p}, which is not plainly readable (${d.reason}); search a narrower path or ${USE_AEGIS}`,
          rule: d.rule,
          sealed: false,
        };
      }
    }
  }
  return undefined;
}

/** Another hard link to a local-only file: its bytes under a readable name. */
function hardLinkDecision(path: string, nlink: number): Decision {
  return {
    decision: "deny",
    reason: `${path} has ${nlink} hard links and one of them is a local-only file`,
    rule: "filesystem.local_only_read",
    sealed: false,
  };
}

let localOnly: { policy: ResolvedPolicy; index: LocalOnlyIndex } | undefined;

/** The local-only files of `policy`, found once per process (a hook decides one call). */
function localOnlyIndexOf(policy: ResolvedPolicy): LocalOnlyIndex {
  if (localOnly?.policy !== policy) localOnly = { policy, index: buildLocalOnlyIndex(policy) };
  return localOnly.index;
}

/**
 * Whether a file with several links is a local-only file's inode. Other hard links are let
 * through: package stores (pnpm) link every dependency file, and the hook reads as Claude Code
 * would; a run's fs.read refuses every multiply-linked file (security.md).
 */
function localOnlyInode(policy: ResolvedPolicy, st: { dev: number; ino: number }): boolean {
  if (policy.filesystem.localOnlyRead.length === 0) return false;
  return localOnlyIndexOf(policy).inodes.has(`${st.dev}:${st.ino}`);
}

/** A Read or Grep of one file is denied when it is another hard link to a local-only file. */
function otherHardLinks(policy: ResolvedPolicy, path: string): Verdict | undefined {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch {
    return undefined;
  }
  if (!st.isFile() || st.nlink <= 1 || !localOnlyInode(policy, st)) return undefined;
  return fromDecision("fs.read", path, hardLinkDecision(path, st.nlink));
}

/**
 * A denied directory the pattern can enter below `dir` (within `depth` levels): one that a
 * deny rule names by a literal prefix (`src/vault/**`), and that exists. Found from the rules,
 * not by walking the tree, so a `**` Glob in a large repository stays cheap; a deny rule that
 * matches directories anywhere (`**` + `/secrets/**`) is not looked for (security.md).
 */
function deniedDirInReach(policy: ResolvedPolicy, dir: string, depth: number): Decision | undefined {
  for (const rule of policy.filesystem.deny) {
    const prefix = staticPrefix(rule.glob);
    if (prefix === dir || !isWithin(prefix, dir)) continue;
    const levels = prefix.slice(dir.length + 1).split("/").length;
    if (levels > depth) continue;
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(prefix);
    } catch {
      continue;
    }
    if (!st.isDirectory()) continue;
    const d = decide(policy, { kind: "fs.list", path: prefix });
    if (d.decision === "deny") {
      return {
        decision: "deny",
        reason: `Glob under ${dir} would list ${prefix} (${d.reason}); use a narrower pattern`,
        rule: d.rule,
        sealed: false,
      };
    }
  }
  return undefined;
}

async function decideNative(
  policy: ResolvedPolicy,
  cwd: string,
  tool: string,
  input: Record<string, unknown>,
): Promise<Verdict> {
  const base = { root: policy.root, home: policy.home, cwd };
  const fsDecision = (kind: "fs.read" | "fs.write" | "fs.list", raw: string): Verdict => {
    let path: string;
    try {
      path = canonicalPathSync(raw, base);
    } catch (e) {
      return denied(kind, raw, (e as Error).message, "path canonicalisation");
    }
    const d = decide(policy, { kind, path });
    // A write shows the new content in the transcript: never into a local-only file.
    if (kind === "fs.write" && d.decision === "allow" && isLocalOnlyPath(policy, path)) {
      return denied(
        kind,
        path,
        `${path} is local-only; native edits would show its content: ${USE_AEGIS}`,
        d.rule,
      );
    }
    return fromDecision(kind, path, d);
  };
  switch (tool) {
    case "Read": {
      const v = fsDecision("fs.read", stringField(input, "file_path"));
      return v.allow ? (otherHardLinks(policy, v.target) ?? v) : v;
    }
    case "Glob": {
      const dir = typeof input.path === "string" && input.path ? input.path : cwd;
      const listed = fsDecision("fs.list", dir);
      if (!listed.allow) return listed;
      // The pattern can leave the directory (`/home/u/.ssh/*`, `../../x/*`, `~/…`): its
      // fixed part, up to the first wildcard, must be listable too.
      const pattern = typeof input.pattern === "string" ? input.pattern : "";
      const fixed = pattern.split("/").reduce<{ parts: string[]; done: boolean }>(
        (acc, part) =>
          // Any glob syntax ends the fixed part: escapes and extglob too (`\web`, `@(web)`).
          acc.done || /[*?[\]{}()!@+\\]/.test(part)
            ? { parts: acc.parts, done: true }
            : { parts: [...acc.parts, part], done: false },
        { parts: [], done: false },
      ).parts;
      const prefix = pattern.startsWith("/") ? `/${fixed.filter(Boolean).join("/")}` : fixed.join("/");
      const start =
        pattern.startsWith("/") || pattern.startsWith("~") ? prefix || "/" : `${listed.target}/${prefix}`;
      const from = fsDecision("fs.list", start);
      if (!from.allow) return from;
      // Below its fixed part the pattern can enter directories (`*/x`, `**/*`): none it can
      // reach may be a denied one (ripgrep would print the names inside it).
      const rest = pattern.split("/").slice(fixed.length);
      // `**` anywhere (the last segment too) or a brace (`{**/*.x,y}`) can reach any depth.
      const unbounded = rest.some((seg) => seg.includes("**") || seg.includes("{"));
      const depth = unbounded ? Number.POSITIVE_INFINITY : rest.length - 1;
      const reach = depth > 0 ? deniedDirInReach(policy, from.target, depth) : undefined;
      return reach ? fromDecision("fs.list", from.target, reach) : from;
    }
    case "Grep": {
      const raw = typeof input.path === "string" && input.path ? input.path : cwd;
      const v = fsDecision("fs.read", raw);
      if (!v.allow) return v;
      let isDir = false;
      try {
        isDir = lstatSync(v.target).isDirectory();
      } catch {
        isDir = false;
      }
      const tree = isDir ? checkTreeReadable(policy, v.target) : undefined;
      if (tree) return fromDecision("fs.read", v.target, tree);
      return isDir ? v : (otherHardLinks(policy, v.target) ?? v);
    }
    case "Write":
    case "Edit":
    case "MultiEdit":
      return fsDecision("fs.write", stringField(input, "file_path"));
    case "NotebookEdit":
      return fsDecision("fs.write", stringField(input, "notebook_path"));
    case "WebFetch": {
      const url = stringField(input, "url");
      let host: string;
      try {
        host = normaliseHost(new URL(url).hostname);
      } catch {
        return denied("net.http_get", url, `WebFetch denied: ${JSON.stringify(url)} is not a valid URL`);
      }
      // Name rules first: a denied or unlisted name is never looked up (a lookup of
      // `<secret>.attacker.example` would itself leak).
      const byName = decide(policy, { kind: "net.http", method: "GET", url, resolvedIps: [] });
      if (byName.decision === "deny") return fromDecision("net.http_get", url, byName);
      let resolvedIps: string[] = [];
      if (!parseAddress(host)) {
        try {
          // Loaded only for WebFetch: the resolver is not worth its start-up cost for the rest.
          // require(), not import(): the built hook runs as a vm script, which has no ES loader.
          const { lookup } = createRequire(import.meta.url)(
            "node:dns/promises",
          ) as typeof import("node:dns/promises");
          resolvedIps = (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
        } catch (e) {
          return denied(
            "net.http_get",
            url,
            `WebFetch denied: cannot resolve ${host} (${(e as NodeJS.ErrnoException).code ?? e}), so its addresses cannot be checked`,
          );
        }
      }
      const op: Operation = { kind: "net.http", method: "GET", url, resolvedIps };
      return fromDecision(capabilityOf(op), url, decide(policy, op));
    }
    case "Bash": {
      const command = stringField(input, "command");
      const parsed = parseCommandLine(command);
      if (!parsed.ok)
        return denied("subprocess.exec", command, `Bash denied: ${parsed.reason}`, "hook: shell syntax");
      let pathArgs: Record<string, string>;
      try {
        pathArgs = argvPathArgs(parsed.argv, base);
      } catch (e) {
        return denied("subprocess.exec", command, (e as Error).message, "path canonicalisation");
      }
      const execCwd = canonicalPathSync(cwd, base);
      const op: Operation = { kind: "subprocess.exec", argv: parsed.argv, cwd: execCwd, pathArgs };
      const shown = parsed.argv.join(" ");
      const d = decide(policy, op);
      if (d.decision !== "allow" || policy.filesystem.localOnlyRead.length === 0)
        return fromDecision("subprocess.exec", shown, d);
      // What the command prints enters the transcript, where nothing can redact it: no
      // directory argument that holds a local-only file, no other hard link to one, no git
      // rev:path of one. The working directory is not checked: in a monorepo whose package
      // holds a local-only .env that would refuse every command run there (security.md).
      const problem = indirectReadProblem(policy, localOnlyIndexOf(policy), parsed.argv, execCwd, pathArgs, {
        cwd: false,
      });
      if (problem)
        return denied(
          "subprocess.exec",
          shown,
          `Bash denied: ${problem}; its output would put local-only content in the transcript: ${USE_AEGIS}`,
          "filesystem.local_only_read",
        );
      return fromDecision("subprocess.exec", shown, d);
    }
    default:
      return denied(
        tool || "unknown",
        "",
        `aegis hook: the tool ${JSON.stringify(tool)} is not one aegis can check, so it is denied; ${USE_AEGIS}`,
        "hook: unknown tool",
      );
  }
}

export async function hookCommand(args: string[], io: CliIo, stdinText?: string): Promise<number> {
  let flags;
  try {
    const parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        policy: { type: "string" },
        "audit-log": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
    flags = parsed.values;
    if (flags.help) {
      io.stdout(HOOK_HELP);
      return 0;
    }
    if (parsed.positionals[0] !== "claude" || parsed.positionals.length !== 1) {
      io.stderr(`aegis hook: expected "aegis hook claude"\n\n${HOOK_HELP}`);
      return 2;
    }
  } catch (e) {
    io.stderr(`aegis hook: ${(e as Error).message}\n`);
    return 2;
  }
  try {
    const text = stdinText ?? readFileSync(0, "utf8");
    if (Buffer.byteLength(text) > MAX_INPUT_BYTES)
      throw new Error(`hook input larger than ${MAX_INPUT_BYTES} bytes`);
    const payload = JSON.parse(text) as unknown;
    if (typeof payload !== "object" || payload === null || Array.isArray(payload))
      throw new Error("hook input is not a JSON object");
    const p = payload as Record<string, unknown>;
    const tool = typeof p.tool_name === "string" ? p.tool_name : "";
    const input = p.tool_input;
    if (typeof input !== "object" || input === null || Array.isArray(input))
      throw new Error("tool_input must be an object");
    const cwd = typeof p.cwd === "string" && p.cwd.startsWith("/") ? p.cwd : process.cwd();
    const policyFile = flags.policy
      ? resolve(cwd, flags.policy)
      : existsSync(resolve(cwd, "aegis.toml"))
        ? resolve(cwd, "aegis.toml")
        : null;
    const auditArg = flags["audit-log"] ? resolve(cwd, flags["audit-log"]) : undefined;
    const policy = loadPolicySync(policyFile, {
      cwd,
      skipSandboxProbe: true,
      ...(auditArg ? { auditLog: auditArg } : {}),
    });
    // A tool call we cannot even map is still an attempt: it is denied and audited.
    const verdict = await decideNative(policy, cwd, tool, input as Record<string, unknown>).catch(
      (e: unknown): Verdict =>
        denied(tool || "unknown", "", `aegis hook: ${(e as Error).message}`, "hook: malformed tool_input"),
    );
    const log = AuditLog.open(auditArg ?? defaultAuditLog(policy.root));
    // The decision is recorded before Claude Code acts on it; if it cannot be, deny.
    await log.append({
      run: typeof p.session_id === "string" ? `claude-${p.session_id.slice(0, 64)}` : "claude",
      source: "hook",
      cap: verdict.cap,
      target: verdict.target,
      decision: verdict.allow ? "allow" : "deny",
      rule: verdict.rule,
      status: verdict.allow ? "allowed" : "denied",
      detail: { tool, reason: verdict.reason },
    });
    await log.close();
    if (!verdict.allow) {
      io.stderr(`aegis: ${verdict.reason}\n`);
      return 2;
    }
    io.stdout(
      `${JSON.stringify({
        hookSpecificOutput: {
          hookEventName: "PreToolUse",
          permissionDecision: "allow",
          permissionDecisionReason: `aegis: ${verdict.reason}`,
        },
      })}\n`,
    );
    return 0;
  } catch (e) {
    io.stderr(`aegis hook: denied because the hook could not decide: ${(e as Error).message}\n`);
    return 2;
  }
}
