/**
 * `aegis init`: writes a starter policy and, with --host, wires aegis into an agent host.
 * Never overwrites without --force; merges into existing JSON instead of replacing it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { LANGUAGES, normaliseLanguage, starterPolicy } from "./init-templates.js";
import { type CliIo, EXIT_USAGE, usageError } from "./io.js";

export const INIT_HELP = `Usage: aegis init --lang LANG [--host claude|opencode|cursor|all] [--lockdown]
                  [--out FILE] [--force] [--dry-run]

Writes a starter aegis.toml for LANG (${LANGUAGES.join(", ")}; aliases such as ts/js → node,
kotlin → java, csharp → dotnet) that inherits secure-defaults.

  --host H     also wire aegis into the host: claude (.mcp.json, .claude/settings.json with
               the PreToolUse hook), opencode (opencode.json), cursor (.cursor/mcp.json), or all
  --lockdown   also deny the host's native effecting tools (Bash, Write, Edit, WebFetch, …)
  --out FILE   where the policy goes (default aegis.toml; - prints it)
  --force      replace an existing policy file / existing aegis entries
  --dry-run    print what would be written, write nothing
`;

export const INIT_OPTIONS = {
  lang: { type: "string" },
  host: { type: "string" },
  lockdown: { type: "boolean" },
  out: { type: "string" },
  force: { type: "boolean" },
  "dry-run": { type: "boolean" },
} as const;

const NATIVE_TOOLS = "Read|Glob|Grep|Write|Edit|MultiEdit|NotebookEdit|WebFetch|Bash";
const CLAUDE_LOCKDOWN = ["Bash", "Write", "Edit", "MultiEdit", "NotebookEdit", "WebFetch"];

type Json = Record<string, unknown>;

interface PlannedFile {
  path: string;
  content: string;
  note: string;
}

function readJson(path: string): Json {
  if (!existsSync(path)) return {};
  const text = readFileSync(path, "utf8");
  if (text.trim() === "") return {};
  const v = JSON.parse(text) as unknown;
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new Error(`${path} does not hold a JSON object`);
  return v as Json;
}

function obj(parent: Json, key: string): Json {
  const v = parent[key];
  if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as Json;
  if (v !== undefined) throw new Error(`"${key}" exists but is not a JSON object`);
  const fresh: Json = {};
  parent[key] = fresh;
  return fresh;
}

function arr(parent: Json, key: string): unknown[] {
  const v = parent[key];
  if (Array.isArray(v)) return v;
  if (v !== undefined) throw new Error(`"${key}" exists but is not a JSON array`);
  const fresh: unknown[] = [];
  parent[key] = fresh;
  return fresh;
}

/** Sets parent[key] = value unless a different value is there and --force was not given. */
function put(
  parent: Json,
  key: string,
  value: unknown,
  force: boolean,
  notes: string[],
  where: string,
): void {
  const before = parent[key];
  if (before !== undefined && JSON.stringify(before) !== JSON.stringify(value) && !force) {
    notes.push(`kept the existing ${where} (use --force to replace it)`);
    return;
  }
  parent[key] = value;
}

function jsonFile(path: string, mutate: (doc: Json, notes: string[]) => void): PlannedFile {
  const doc = readJson(path);
  const notes: string[] = [];
  mutate(doc, notes);
  return { path, content: `${JSON.stringify(doc, null, 2)}\n`, note: notes.join("; ") };
}

function planClaude(dir: string, policyArg: string, force: boolean, lockdown: boolean): PlannedFile[] {
  const mcp = jsonFile(resolve(dir, ".mcp.json"), (doc, notes) => {
    put(
      obj(doc, "mcpServers"),
      "aegis",
      { type: "stdio", command: "aegis-mcp", args: ["--policy", policyArg] },
      force,
      notes,
      "mcpServers.aegis",
    );
  });
  const settings = jsonFile(resolve(dir, ".claude", "settings.json"), (doc, notes) => {
    const enabled = arr(doc, "enabledMcpjsonServers");
    if (!enabled.includes("aegis")) enabled.push("aegis");
    const pre = arr(obj(doc, "hooks"), "PreToolUse");
    // Claude Code runs hooks from the session's directory, which may be a subdirectory;
    // $CLAUDE_PROJECT_DIR pins the policy to the project root.
    const command = `aegis hook claude --policy "$CLAUDE_PROJECT_DIR/${policyArg}"`;
    const ours = { matcher: NATIVE_TOOLS, hooks: [{ type: "command", command }] };
    const existing = pre.findIndex((h) => JSON.stringify(h).includes("aegis hook claude"));
    if (existing < 0) pre.push(ours);
    else if (JSON.stringify(pre[existing]) !== JSON.stringify(ours)) {
      if (force) pre[existing] = ours;
      else notes.push("kept the existing aegis PreToolUse hook, which differs (use --force to replace it)");
    }
    if (lockdown) {
      const deny = arr(obj(doc, "permissions"), "deny");
      for (const t of CLAUDE_LOCKDOWN) if (!deny.includes(t)) deny.push(t);
    }
  });
  return [mcp, settings];
}

function planOpencode(dir: string, policyArg: string, force: boolean, lockdown: boolean): PlannedFile[] {
  return [
    jsonFile(resolve(dir, "opencode.json"), (doc, notes) => {
      if (doc.$schema === undefined) doc.$schema = "https://opencode.ai/config.json";
      put(
        obj(doc, "mcp"),
        "aegis",
        { type: "local", command: ["aegis-mcp", "--policy", policyArg], enabled: true },
        force,
        notes,
        "mcp.aegis",
      );
      if (lockdown) {
        const tools = obj(doc, "tools");
        for (const t of ["bash", "write", "edit", "patch", "webfetch"]) tools[t] = false;
      }
    }),
  ];
}

function planCursor(dir: string, policyArg: string, force: boolean): PlannedFile[] {
  return [
    jsonFile(resolve(dir, ".cursor", "mcp.json"), (doc, notes) => {
      put(
        obj(doc, "mcpServers"),
        "aegis",
        { command: "aegis-mcp", args: ["--policy", policyArg] },
        force,
        notes,
        "mcpServers.aegis",
      );
    }),
  ];
}

function planGitignore(dir: string): PlannedFile | undefined {
  const path = resolve(dir, ".gitignore");
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  if (text.split(/\r?\n/).some((l) => l.trim() === ".aegis/" || l.trim() === ".aegis")) return undefined;
  return { path, content: `${text}${text === "" || text.endsWith("\n") ? "" : "\n"}.aegis/\n`, note: "" };
}

export async function initCommand(args: string[], io: CliIo): Promise<number> {
  let flags;
  try {
    flags = parseArgs({
      args,
      strict: true,
      options: { ...INIT_OPTIONS, help: { type: "boolean", short: "h" } },
    }).values;
  } catch (e) {
    return usageError(io, (e as Error).message, INIT_HELP);
  }
  if (flags.help) {
    io.stdout(INIT_HELP);
    return 0;
  }
  if (!flags.lang) return usageError(io, "init needs --lang", INIT_HELP);
  const lang = normaliseLanguage(flags.lang);
  if (!lang)
    return usageError(io, `unknown language "${flags.lang}" (known: ${LANGUAGES.join(", ")})`, INIT_HELP);
  const hosts =
    flags.host === undefined ? [] : flags.host === "all" ? ["claude", "opencode", "cursor"] : [flags.host];
  for (const h of hosts)
    if (!["claude", "opencode", "cursor"].includes(h))
      return usageError(io, `unknown host "${h}"`, INIT_HELP);

  const policyText = starterPolicy(lang);
  if (flags.out === "-") {
    io.stdout(policyText);
    if (hosts.length === 0) return 0;
  }
  const cwd = process.cwd();
  const policyPath = resolve(cwd, flags.out && flags.out !== "-" ? flags.out : "aegis.toml");
  const dir = dirname(policyPath);
  const policyArg = relative(dir, policyPath) || "aegis.toml";
  const force = flags.force === true;
  const planned: PlannedFile[] = [];
  if (flags.out !== "-") {
    if (existsSync(policyPath) && !force) {
      if (hosts.length === 0) {
        io.stderr(`aegis init: ${policyPath} exists; not overwriting it (use --force)\n`);
        return EXIT_USAGE;
      }
      // Wiring a host into a project that already has a policy keeps the policy.
      io.stderr(
        `aegis init: keeping the existing ${relative(cwd, policyPath)} (use --force to replace it)\n`,
      );
    } else planned.push({ path: policyPath, content: policyText, note: `starter policy for ${lang}` });
  }
  try {
    for (const h of hosts) {
      if (h === "claude") planned.push(...planClaude(dir, policyArg, force, flags.lockdown === true));
      if (h === "opencode") planned.push(...planOpencode(dir, policyArg, force, flags.lockdown === true));
      if (h === "cursor") planned.push(...planCursor(dir, policyArg, force));
    }
  } catch (e) {
    io.stderr(
      `aegis init: cannot merge into an existing file: ${(e as Error).message}; fix or remove it first\n`,
    );
    return EXIT_USAGE;
  }
  const ignore = planGitignore(dir);
  if (ignore) planned.push(ignore);

  // With --out -, stdout carries only the policy; status lines go to stderr.
  const status = flags.out === "-" ? io.stderr : io.stdout;
  for (const f of planned) {
    if (flags["dry-run"]) {
      status(`--- would write ${f.path}${f.note ? ` (${f.note})` : ""}\n${f.content}`);
      continue;
    }
    mkdirSync(dirname(f.path), { recursive: true });
    writeFileSync(f.path, f.content);
    status(`wrote ${relative(cwd, f.path) || f.path}${f.note ? ` (${f.note})` : ""}\n`);
  }
  if (!flags["dry-run"] && flags.out !== "-") {
    io.stdout(
      `\nNext: review ${relative(cwd, policyPath)}, then \`aegis policy validate ${relative(cwd, policyPath)}\`.\n`,
    );
  }
  return 0;
}
