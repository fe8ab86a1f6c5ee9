/**
 * `aegis init` end to end: the real CLI in a temp project. Every written policy must pass
 * `aegis policy validate`; host wiring must merge into what is there (never lose a key,
 * never duplicate an entry, never overwrite without --force); an error writes nothing.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { LANGUAGES, type Language, starterPolicy } from "../../src/cli/init-templates.js";
import { type CliResult, runCli, type TempProject, tempProject } from "../helpers/cli.js";

type Json = Record<string, unknown>;

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
const LOCKDOWN = ["Bash", "Write", "Edit", "MultiEdit", "NotebookEdit", "WebFetch"];

const fresh = (t: { after: (fn: () => void) => void }) => tempProject(t, "aegis-init-");

function init(p: TempProject, args: string[]): Promise<CliResult> {
  return runCli(["init", ...args], { cwd: p.root, home: p.home });
}

function validate(p: TempProject, file: string): Promise<CliResult> {
  return runCli(["policy", "validate", file], { cwd: p.root, home: p.home });
}

function put(p: TempProject, rel: string, content: string): void {
  mkdirSync(dirname(join(p.root, rel)), { recursive: true });
  writeFileSync(join(p.root, rel), content);
}

function read(p: TempProject, rel: string): string {
  return readFileSync(join(p.root, rel), "utf8");
}

function json(p: TempProject, rel: string): Json {
  return JSON.parse(read(p, rel)) as Json;
}

/** Every file under the project, relative, sorted (directories are implied by their files). */
function tree(p: TempProject): string[] {
  const out: string[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name), `${prefix}${e.name}/`);
      else out.push(`${prefix}${e.name}`);
    }
  };
  walk(p.root, "");
  return out.sort();
}

/** The bytes of every file under the project, for "nothing changed" assertions. */
function snapshot(p: TempProject): Record<string, string> {
  return Object.fromEntries(tree(p).map((f) => [f, read(p, f)]));
}

function ok(r: CliResult): void {
  assert.equal(r.code, 0, `exit ${r.code}; stdout: ${r.stdout} stderr: ${r.stderr}`);
}

async function assertValidPolicy(p: TempProject, file: string): Promise<void> {
  const v = await validate(p, file);
  assert.equal(v.code, 0, `${file} does not validate: ${v.stdout}${v.stderr}`);
  assert.match(v.stdout, /^OK: \d+ capabilities \([a-z_., ]+\)\n$/);
}

interface PreToolUseEntry {
  matcher?: string;
  hooks?: Array<{ type?: string; command?: string }>;
}

function aegisHooks(settings: Json): PreToolUseEntry[] {
  const pre = ((settings.hooks as Json | undefined)?.PreToolUse ?? []) as PreToolUseEntry[];
  return pre.filter((e) => (e.hooks ?? []).some((h) => /^aegis hook claude\b/.test(h.command ?? "")));
}

const EXPECTED_MCP_ENTRY = { type: "stdio", command: "aegis-mcp", args: ["--policy", "aegis.toml"] };

describe("aegis init --lang: every language writes a policy that validates", { concurrency: 4 }, () => {
  for (const lang of LANGUAGES) {
    test(`--lang ${lang}`, async (t) => {
      const p = fresh(t);
      const r = await init(p, ["--lang", lang]);
      ok(r);
      assert.match(r.stdout, new RegExp(`wrote aegis\\.toml \\(starter policy for ${lang}\\)`));
      assert.equal(read(p, "aegis.toml"), starterPolicy(lang));
      assert.match(read(p, "aegis.toml"), /^inherits = "secure-defaults"$/m);
      // Without --host only the policy and the audit-log ignore entry are written.
      assert.deepEqual(tree(p), [".gitignore", "aegis.toml"]);
      assert.equal(read(p, ".gitignore"), ".aegis/\n");
      await assertValidPolicy(p, "aegis.toml");
    });
  }

  const aliases: Array<[string, Language]> = [
    ["ts", "node"],
    ["typescript", "node"],
    ["js", "node"],
    ["javascript", "node"],
    ["nodejs", "node"],
    ["TS", "node"],
    ["py", "python"],
    ["python3", "python"],
    ["rb", "ruby"],
    ["rs", "rust"],
    ["golang", "go"],
    ["kotlin", "java"],
    ["Kotlin", "java"],
    ["kt", "java"],
    ["scala", "java"],
    ["gradle", "java"],
    ["maven", "java"],
    ["csharp", "dotnet"],
    ["cs", "dotnet"],
    ["c#", "dotnet"],
    [".net", "dotnet"],
    ["fsharp", "dotnet"],
  ];
  for (const [alias, lang] of aliases) {
    test(`--lang ${alias} writes the ${lang} policy`, async (t) => {
      const p = fresh(t);
      const r = await init(p, ["--lang", alias]);
      ok(r);
      assert.equal(read(p, "aegis.toml"), starterPolicy(lang));
    });
  }

  test("an alias's policy validates too (--lang kotlin)", async (t) => {
    const p = fresh(t);
    ok(await init(p, ["--lang", "kotlin"]));
    await assertValidPolicy(p, "aegis.toml");
  });

  test("an unknown language is a usage error (exit 5) and writes nothing", async (t) => {
    const p = fresh(t);
    const r = await init(p, ["--lang", "cobol", "--host", "claude"]);
    assert.equal(r.code, 5);
    assert.match(r.stderr, /unknown language "cobol" \(known: python, node, ruby, rust, go, java, dotnet\)/);
    assert.deepEqual(tree(p), []);
  });

  test("a missing --lang is a usage error (exit 5) and writes nothing", async (t) => {
    const p = fresh(t);
    const r = await init(p, ["--host", "claude"]);
    assert.equal(r.code, 5);
    assert.match(r.stderr, /init needs --lang/);
    assert.deepEqual(tree(p), []);
  });

  test("an unknown host is a usage error (exit 5) and writes nothing", async (t) => {
    const p = fresh(t);
    const r = await init(p, ["--lang", "python", "--host", "vscode"]);
    assert.equal(r.code, 5);
    assert.match(r.stderr, /unknown host "vscode"/);
    assert.deepEqual(tree(p), []);
  });
});

describe("aegis init: the policy file", { concurrency: 4 }, () => {
  test("refuses to overwrite an existing aegis.toml without --force (bytes unchanged, exit 5)", async (t) => {
    const p = fresh(t);
    put(p, "aegis.toml", '# hand-tuned\ninherits = "secure-defaults"\n');
    const before = snapshot(p);
    const r = await init(p, ["--lang", "python"]);
    assert.equal(r.code, 5);
    assert.match(r.stderr, /aegis\.toml exists; not overwriting it \(use --force\)/);
    assert.deepEqual(snapshot(p), before);
  });

  test("--force replaces an existing aegis.toml with the starter policy", async (t) => {
    const p = fresh(t);
    put(p, "aegis.toml", "# old\n");
    ok(await init(p, ["--lang", "go", "--force"]));
    assert.equal(read(p, "aegis.toml"), starterPolicy("go"));
    await assertValidPolicy(p, "aegis.toml");
  });

  test("--out FILE writes the policy there", async (t) => {
    const p = fresh(t);
    ok(await init(p, ["--lang", "rust", "--out", "strict.toml"]));
    assert.deepEqual(tree(p), [".gitignore", "strict.toml"]);
    assert.equal(read(p, "strict.toml"), starterPolicy("rust"));
    await assertValidPolicy(p, "strict.toml");
  });

  test("--out - prints exactly the policy and writes nothing", async (t) => {
    const p = fresh(t);
    const r = await init(p, ["--lang", "python", "--out", "-"]);
    ok(r);
    assert.equal(r.stdout, starterPolicy("python"));
    assert.equal(r.stderr, "");
    assert.deepEqual(tree(p), []);
  });

  test("--out - with --host keeps stdout a pure policy (status lines would corrupt `> aegis.toml`)", async (t) => {
    const p = fresh(t);
    const r = await init(p, ["--lang", "python", "--out", "-", "--host", "claude"]);
    ok(r);
    const policy = starterPolicy("python");
    assert.ok(r.stdout.startsWith(policy));
    assert.equal(r.stdout.slice(policy.length), "", "stdout goes on after the policy");
  });

  test("--dry-run writes nothing and prints every file it would write, with its content", async (t) => {
    const p = fresh(t);
    const r = await init(p, ["--lang", "python", "--host", "all", "--lockdown", "--dry-run"]);
    ok(r);
    assert.deepEqual(tree(p), []);
    for (const f of [
      "aegis.toml",
      ".mcp.json",
      ".claude/settings.json",
      "opencode.json",
      ".cursor/mcp.json",
    ]) {
      assert.ok(r.stdout.includes(`--- would write ${join(p.root, f)}`), `dry run does not mention ${f}`);
    }
    assert.ok(r.stdout.includes(`--- would write ${join(p.root, ".gitignore")}`));
    assert.ok(r.stdout.includes(starterPolicy("python")), "the policy text is printed whole");
    assert.ok(r.stdout.includes('"command": "aegis-mcp"'));
    assert.ok(r.stdout.includes("aegis hook claude"));
  });

  test("--dry-run over existing files prints the merge and leaves every byte alone", async (t) => {
    const p = fresh(t);
    put(p, ".mcp.json", '{"mcpServers":{"github":{"command":"gh-mcp"}}}');
    put(p, ".gitignore", "node_modules/\n");
    const before = snapshot(p);
    const r = await init(p, ["--lang", "node", "--host", "claude", "--dry-run"]);
    ok(r);
    assert.deepEqual(snapshot(p), before);
    assert.ok(r.stdout.includes('"github"'), "the merged .mcp.json keeps the other server");
    assert.ok(r.stdout.includes("node_modules/\n.aegis/\n"));
  });
});

describe("aegis init --host claude", { concurrency: 4 }, () => {
  test("on a fresh project writes .mcp.json, .claude/settings.json and .gitignore", async (t) => {
    const p = fresh(t);
    ok(await init(p, ["--lang", "python", "--host", "claude"]));
    assert.deepEqual(tree(p), [".claude/settings.json", ".gitignore", ".mcp.json", "aegis.toml"]);
    assert.deepEqual(json(p, ".mcp.json"), { mcpServers: { aegis: EXPECTED_MCP_ENTRY } });
    const settings = json(p, ".claude/settings.json");
    assert.deepEqual(settings.enabledMcpjsonServers, ["aegis"]);
    const hooks = aegisHooks(settings);
    assert.equal(hooks.length, 1);
    assert.deepEqual(hooks[0]!.hooks, [
      { type: "command", command: 'aegis hook claude --policy "$CLAUDE_PROJECT_DIR/aegis.toml"' },
    ]);
    assert.deepEqual(hooks[0]!.matcher?.split("|").sort(), [...NATIVE_TOOLS].sort());
    assert.equal(settings.permissions, undefined, "no lockdown without --lockdown");
    assert.ok(read(p, ".gitignore").split("\n").includes(".aegis/"));
  });

  test("the hook command it writes decides under the policy it wrote", async (t) => {
    const p = fresh(t);
    ok(await init(p, ["--lang", "python", "--host", "claude"]));
    put(p, "src/app.py", "print(1)\n");
    const written = aegisHooks(json(p, ".claude/settings.json"))[0]!.hooks![0]!.command!;
    // Claude Code runs the command through a shell with CLAUDE_PROJECT_DIR set to the project.
    const command = written.replace(/"\$CLAUDE_PROJECT_DIR\/([^"]*)"/, (_m, rest: string) =>
      join(p.root, rest),
    );
    const [bin, ...args] = command.split(" ");
    assert.equal(bin, "aegis");
    const event = (file: string) =>
      JSON.stringify({
        session_id: "s-init",
        cwd: p.root,
        hook_event_name: "PreToolUse",
        tool_name: "Read",
        tool_input: { file_path: join(p.root, file) },
      });
    const allowed = await runCli(args, { cwd: p.root, home: p.home, input: event("src/app.py") });
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(JSON.parse(allowed.stdout).hookSpecificOutput.permissionDecision, "allow");
    const denied = await runCli(args, { cwd: p.root, home: p.home, input: event(".env") });
    assert.equal(denied.code, 2);
    assert.ok(existsSync(join(p.root, ".aegis", "audit.jsonl")), "the hook audits beside the policy");
  });

  test("on pre-existing files keeps every existing key, server, hook and ignore line", async (t) => {
    const p = fresh(t);
    const mcp = {
      mcpServers: { github: { type: "stdio", command: "github-mcp", args: ["--ro"], env: { X: "1" } } },
      note: "team config",
    };
    const settings = {
      model: "opus",
      env: { FOO: "bar" },
      enabledMcpjsonServers: ["github"],
      permissions: { allow: ["Bash(npm test)"], deny: ["Read(./secrets/**)"] },
      hooks: {
        PreToolUse: [{ matcher: "Bash", hooks: [{ type: "command", command: "./scripts/lint-cmd.sh" }] }],
        PostToolUse: [{ matcher: "Write", hooks: [{ type: "command", command: "prettier --write" }] }],
      },
    };
    put(p, ".mcp.json", JSON.stringify(mcp, null, 2));
    put(p, ".claude/settings.json", JSON.stringify(settings));
    put(p, ".gitignore", "node_modules/\n*.log");
    ok(await init(p, ["--lang", "node", "--host", "claude"]));

    assert.deepEqual(json(p, ".mcp.json"), {
      mcpServers: { ...mcp.mcpServers, aegis: EXPECTED_MCP_ENTRY },
      note: "team config",
    });
    const after = json(p, ".claude/settings.json");
    assert.equal(after.model, "opus");
    assert.deepEqual(after.env, { FOO: "bar" });
    assert.deepEqual(after.enabledMcpjsonServers, ["github", "aegis"]);
    assert.deepEqual(after.permissions, settings.permissions);
    const hooks = after.hooks as { PreToolUse: PreToolUseEntry[]; PostToolUse: unknown };
    assert.deepEqual(hooks.PreToolUse[0], settings.hooks.PreToolUse[0]);
    assert.equal(hooks.PreToolUse.length, 2);
    assert.equal(aegisHooks(after).length, 1);
    assert.deepEqual(hooks.PostToolUse, settings.hooks.PostToolUse);
    assert.equal(read(p, ".gitignore"), "node_modules/\n*.log\n.aegis/\n");
  });

  test("running it twice does not duplicate any entry (second run with --force)", async (t) => {
    const p = fresh(t);
    put(p, ".gitignore", "dist/\n");
    put(p, ".claude/settings.json", '{"enabledMcpjsonServers":["aegis"],"permissions":{"deny":["Bash"]}}');
    ok(await init(p, ["--lang", "python", "--host", "claude", "--lockdown"]));
    const first = snapshot(p);
    ok(await init(p, ["--lang", "python", "--host", "claude", "--lockdown", "--force"]));
    assert.deepEqual(snapshot(p), first);
    const settings = json(p, ".claude/settings.json");
    assert.deepEqual(settings.enabledMcpjsonServers, ["aegis"]);
    assert.equal(aegisHooks(settings).length, 1);
    assert.deepEqual((settings.permissions as Json).deny, LOCKDOWN);
    assert.equal(read(p, ".gitignore"), "dist/\n.aegis/\n");
  });

  test("an existing .aegis ignore line is not added again", async (t) => {
    const p = fresh(t);
    put(p, ".gitignore", "build\n.aegis\n");
    ok(await init(p, ["--lang", "python", "--host", "claude"]));
    assert.equal(read(p, ".gitignore"), "build\n.aegis\n");
  });

  test("an existing different mcpServers.aegis is kept without --force, with a note", async (t) => {
    const p = fresh(t);
    const custom = { type: "stdio", command: "/opt/aegis/bin/aegis-mcp", args: ["--policy", "aegis.toml"] };
    put(p, ".mcp.json", JSON.stringify({ mcpServers: { aegis: custom } }));
    const r = await init(p, ["--lang", "python", "--host", "claude"]);
    ok(r);
    assert.match(r.stdout, /kept the existing mcpServers\.aegis \(use --force to replace it\)/);
    assert.deepEqual(json(p, ".mcp.json"), { mcpServers: { aegis: custom } });
  });

  test("an existing different mcpServers.aegis is replaced with --force", async (t) => {
    const p = fresh(t);
    put(
      p,
      ".mcp.json",
      JSON.stringify({ mcpServers: { aegis: { command: "old" }, other: { command: "o" } } }),
    );
    ok(await init(p, ["--lang", "python", "--host", "claude", "--force"]));
    assert.deepEqual(json(p, ".mcp.json"), {
      mcpServers: { aegis: EXPECTED_MCP_ENTRY, other: { command: "o" } },
    });
  });

  test("--force replaces a stale aegis hook (other policy, Bash-only matcher) instead of keeping it", async (t) => {
    const p = fresh(t);
    const stale = {
      matcher: "Bash",
      hooks: [{ type: "command", command: "aegis hook claude --policy old.toml" }],
    };
    put(p, ".claude/settings.json", JSON.stringify({ hooks: { PreToolUse: [stale] } }));
    ok(await init(p, ["--lang", "python", "--host", "claude", "--force"]));
    const hooks = aegisHooks(json(p, ".claude/settings.json"));
    assert.equal(hooks.length, 1);
    // Kept as is, Read/Write/Edit/WebFetch would bypass the hook and Bash would be decided by old.toml.
    assert.deepEqual(hooks[0]!.hooks, [
      { type: "command", command: 'aegis hook claude --policy "$CLAUDE_PROJECT_DIR/aegis.toml"' },
    ]);
    assert.deepEqual(hooks[0]!.matcher?.split("|").sort(), [...NATIVE_TOOLS].sort());
  });

  test("wiring can be added to a project that already has a policy (the fix `aegis doctor` suggests)", async (t) => {
    const p = fresh(t);
    const mine = '# hand-tuned\ninherits = "secure-defaults"\n\n[filesystem]\nread_allow = ["lib/**"]\n';
    put(p, "aegis.toml", mine);
    const r = await init(p, ["--lang", "python", "--host", "claude"]);
    assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
    assert.equal(read(p, "aegis.toml"), mine, "the existing policy is kept");
    assert.equal(aegisHooks(json(p, ".claude/settings.json")).length, 1);
  });

  for (const [file, content] of [
    [".mcp.json", '{"mcpServers": {"github": '],
    [".mcp.json", '["not", "an", "object"]'],
    [".claude/settings.json", "{ // comments are not JSON\n}"],
  ] as const) {
    test(`invalid existing ${file} (${JSON.stringify(content.slice(0, 12))}…) → exit 5, nothing written`, async (t) => {
      const p = fresh(t);
      put(p, file, content);
      const before = snapshot(p);
      const r = await init(p, ["--lang", "python", "--host", "claude"]);
      assert.equal(r.code, 5);
      assert.match(r.stderr, /cannot merge into an existing file: .*fix or remove it first/);
      assert.deepEqual(snapshot(p), before, "no file (not even aegis.toml) was written");
    });
  }

  test("--lockdown adds the native effecting tools to permissions.deny, keeping existing entries", async (t) => {
    const p = fresh(t);
    put(p, ".claude/settings.json", JSON.stringify({ permissions: { deny: ["Read(./.env)", "Bash"] } }));
    ok(await init(p, ["--lang", "python", "--host", "claude", "--lockdown"]));
    const deny = (json(p, ".claude/settings.json").permissions as Json).deny as string[];
    assert.deepEqual(deny, [
      "Read(./.env)",
      "Bash",
      "Write",
      "Edit",
      "MultiEdit",
      "NotebookEdit",
      "WebFetch",
    ]);
  });
});

describe("aegis init --host opencode | cursor | all", { concurrency: 4 }, () => {
  test("--host opencode writes opencode.json and keeps existing keys", async (t) => {
    const p = fresh(t);
    put(
      p,
      "opencode.json",
      JSON.stringify({ model: "x/y", mcp: { fs: { type: "local", command: ["fs-mcp"] } } }),
    );
    ok(await init(p, ["--lang", "go", "--host", "opencode"]));
    assert.deepEqual(json(p, "opencode.json"), {
      model: "x/y",
      mcp: {
        fs: { type: "local", command: ["fs-mcp"] },
        aegis: { type: "local", command: ["aegis-mcp", "--policy", "aegis.toml"], enabled: true },
      },
      $schema: "https://opencode.ai/config.json",
    });
    assert.deepEqual(tree(p), [".gitignore", "aegis.toml", "opencode.json"]);
  });

  test("--host opencode --lockdown turns off the native effecting tools", async (t) => {
    const p = fresh(t);
    ok(await init(p, ["--lang", "go", "--host", "opencode", "--lockdown"]));
    assert.deepEqual(json(p, "opencode.json").tools, {
      bash: false,
      write: false,
      edit: false,
      patch: false,
      webfetch: false,
    });
  });

  test("--host cursor writes .cursor/mcp.json and keeps other servers", async (t) => {
    const p = fresh(t);
    put(p, ".cursor/mcp.json", JSON.stringify({ mcpServers: { db: { command: "db-mcp" } } }));
    ok(await init(p, ["--lang", "java", "--host", "cursor"]));
    assert.deepEqual(json(p, ".cursor/mcp.json"), {
      mcpServers: {
        db: { command: "db-mcp" },
        aegis: { command: "aegis-mcp", args: ["--policy", "aegis.toml"] },
      },
    });
    assert.deepEqual(tree(p), [".cursor/mcp.json", ".gitignore", "aegis.toml"]);
  });

  test("--host all wires every host and the policy validates", async (t) => {
    const p = fresh(t);
    ok(await init(p, ["--lang", "dotnet", "--host", "all"]));
    assert.deepEqual(tree(p), [
      ".claude/settings.json",
      ".cursor/mcp.json",
      ".gitignore",
      ".mcp.json",
      "aegis.toml",
      "opencode.json",
    ]);
    assert.deepEqual((json(p, ".mcp.json").mcpServers as Json).aegis, EXPECTED_MCP_ENTRY);
    assert.ok((json(p, "opencode.json").mcp as Json).aegis);
    assert.ok((json(p, ".cursor/mcp.json").mcpServers as Json).aegis);
    assert.equal(aegisHooks(json(p, ".claude/settings.json")).length, 1);
    await assertValidPolicy(p, "aegis.toml");
  });

  test("--out NAME makes every host entry name that policy", async (t) => {
    const p = fresh(t);
    ok(await init(p, ["--lang", "python", "--host", "all", "--out", "strict.toml"]));
    assert.deepEqual((json(p, ".mcp.json").mcpServers as Json).aegis, {
      ...EXPECTED_MCP_ENTRY,
      args: ["--policy", "strict.toml"],
    });
    assert.deepEqual((json(p, "opencode.json").mcp as Json).aegis, {
      type: "local",
      command: ["aegis-mcp", "--policy", "strict.toml"],
      enabled: true,
    });
    assert.deepEqual(aegisHooks(json(p, ".claude/settings.json"))[0]!.hooks, [
      { type: "command", command: 'aegis hook claude --policy "$CLAUDE_PROJECT_DIR/strict.toml"' },
    ]);
  });
});
