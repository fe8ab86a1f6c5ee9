/**
 * `aegis doctor` end to end: the real CLI in a temp project. One line per check,
 * [OK]/[WARN]/[FAIL]; exit 0 when all pass, 1 with warnings, 2 with failures (5 for bad usage).
 * Each problem the doctor
 * exists to catch (a policy that does not load, an unwritable or reachable audit log,
 * wiring that bypasses or points away from the policy, over-broad globs, secrets allowed
 * in the clear) is planted and must be named.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { before, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { probeBwrap } from "../../src/jail/probe.js";
import { type CliResult, runCli, type TempProject, tempProject } from "../helpers/cli.js";

interface Check {
  level: string;
  text: string;
}

/** The checks printed, continuation lines (indented) joined to their check. */
function checks(stdout: string): Check[] {
  const out: Check[] = [];
  for (const line of stdout.split("\n")) {
    const m = /^\[(OK|WARN|FAIL)\] (.*)$/.exec(line);
    if (m) out.push({ level: m[1]!, text: m[2]! });
    else if (line !== "") {
      assert.ok(out.length > 0 && /^\s/.test(line), `unexpected doctor output line: ${JSON.stringify(line)}`);
      out[out.length - 1]!.text += `\n${line.trim()}`;
    }
  }
  return out;
}

function put(p: TempProject, rel: string, content: string): void {
  mkdirSync(dirname(join(p.root, rel)), { recursive: true });
  writeFileSync(join(p.root, rel), content);
}

const STARTER_LIKE = `inherits = "secure-defaults"

[filesystem]
read_allow = ["src/**", "tests/**"]
write_allow = ["src/**"]

[subprocess]
allow_commands = ["python3", "git"]
`;

/** The wiring `aegis init --host claude,cursor` writes, for the policy file named `policy`. */
function wire(p: TempProject, policy = "aegis.toml"): void {
  put(
    p,
    ".mcp.json",
    JSON.stringify({
      mcpServers: { aegis: { type: "stdio", command: "aegis-mcp", args: ["--policy", policy] } },
    }),
  );
  put(
    p,
    ".claude/settings.json",
    JSON.stringify({
      enabledMcpjsonServers: ["aegis"],
      hooks: {
        PreToolUse: [
          {
            matcher: "Read|Glob|Grep|Write|Edit|MultiEdit|NotebookEdit|WebFetch|Bash",
            hooks: [{ type: "command", command: `aegis hook claude --policy ${policy}` }],
          },
        ],
      },
    }),
  );
}

/** A wired project whose aegis.toml is `policy`. */
function project(t: { after: (fn: () => void) => void }, policy: string = STARTER_LIKE): TempProject {
  const p = tempProject(t, "aegis-doctor-");
  put(p, "aegis.toml", policy);
  wire(p);
  return p;
}

/** Preloaded to make bubblewrap fail the way it does without user namespaces. */
const BWRAP_BROKEN = pathToFileURL(
  join(dirname(fileURLToPath(import.meta.url)), "fixtures", "bwrap-broken.mjs"),
).href;

function doctor(p: TempProject, args: string[] = [], nodeFlags: string[] = []): Promise<CliResult> {
  return runCli(["doctor", ...args], { cwd: p.root, home: p.home, nodeFlags });
}

function find(list: Check[], level: string, text: RegExp): Check | undefined {
  return list.find((c) => c.level === level && text.test(c.text));
}

function assertHas(r: CliResult, level: string, text: RegExp): void {
  const list = checks(r.stdout);
  assert.ok(find(list, level, text), `no [${level}] line matching ${text} in:\n${r.stdout}${r.stderr}`);
}

function assertLacks(r: CliResult, level: string, text: RegExp): void {
  const hit = find(checks(r.stdout), level, text);
  assert.equal(hit, undefined, `unexpected [${level}] line: ${hit?.text}`);
}

/** Doctor's exit for a project whose only non-OK lines are the ones planted (bwrap may add a WARN). */
let bwrapWorks = false;
before(async () => {
  bwrapWorks = (await probeBwrap()).ok;
});

describe("aegis doctor: the policy", { concurrency: 4 }, () => {
  test("a project wired by `init --lang python --host all` is all [OK], exit 0", async (t) => {
    const p = tempProject(t, "aegis-doctor-");
    const init = await runCli(["init", "--lang", "python", "--host", "all"], { cwd: p.root, home: p.home });
    assert.equal(init.code, 0, init.stderr);
    const r = await doctor(p);
    assert.equal(r.stderr, "");
    const list = checks(r.stdout);
    const notOk = list.filter((c) => c.level !== "OK");
    // Without a working bubblewrap the only acceptable remark is that one, as a WARN (the policy does not ask for it).
    if (bwrapWorks) assert.deepEqual(notOk, []);
    else {
      assert.equal(notOk.length, 1);
      assert.match(notOk[0]!.text, /needed only for subprocess\.sandbox = "bwrap"\)\. Fix: /);
    }
    assert.equal(r.code, 0);
    for (const expected of [
      /^policy aegis\.toml loads: \d+ capabilities$/,
      /^audit log .*\/\.aegis\/audit\.jsonl is writable and out of the policy's reach$/,
      /^\.mcp\.json wires aegis-mcp to this policy$/,
      /^opencode\.json wires aegis-mcp to this policy$/,
      /^\.cursor\/mcp\.json wires aegis-mcp to this policy$/,
      /^\.claude\/settings\.json routes native tools through `aegis hook claude`$/,
      /^no over-broad filesystem allow globs$/,
      /^no secret-shaped variables or files allowed in the clear$/,
    ]) {
      assert.ok(find(list, "OK", expected), `no [OK] ${expected} in:\n${r.stdout}`);
    }
  });

  test("no policy: a [WARN] that nothing is granted and how to fix it, exit 1", async (t) => {
    const p = tempProject(t, "aegis-doctor-");
    const r = await doctor(p);
    assert.equal(r.code, 1);
    const first = checks(r.stdout)[0]!;
    assert.equal(first.level, "WARN");
    assert.match(
      first.text,
      /no aegis\.toml here: the built-in secure-defaults grants nothing; run `aegis init --lang LANG`/,
    );
    assertHas(r, "WARN", /no host wiring found here/);
    assertLacks(r, "FAIL", /./);
  });

  test("a policy with a TOML syntax error: [FAIL] with file:line:column, exit 2", async (t) => {
    const p = project(t, 'inherits = "secure-defaults"\n[filesystem]\nread_allow = ["src/**"\n');
    const r = await doctor(p);
    assert.equal(r.code, 2);
    assertHas(r, "FAIL", /^policy aegis\.toml does not load:\n.*\/aegis\.toml:\d+:\d+: /);
  });

  test("a misspelt deny list is a [FAIL], never silently ignored, exit 2", async (t) => {
    const p = project(t, `${STARTER_LIKE}\n[network]\ndeny_host = ["evil.example"]\n`);
    const r = await doctor(p);
    assert.equal(r.code, 2);
    assertHas(r, "FAIL", /does not load:\n.*deny_host/);
  });

  test("--policy naming a missing file is a [FAIL], exit 2", async (t) => {
    const p = project(t);
    const r = await doctor(p, ["--policy", "nope.toml"]);
    assert.equal(r.code, 2);
    assertHas(r, "FAIL", /policy nope\.toml does not load:\n.*no such file/);
  });

  test("an unjailed local-only command with a writable tree is a [WARN] (it could write its secrets where scripts read them in the clear)", async (t) => {
    const toml = (sandbox: string) =>
      `inherits = "secure-defaults"\n\n[filesystem]\nread_allow = ["out/**"]\nwrite_allow = ["out/**"]\n[environment]\nlocal_only_vars = ["GIT_TOKEN"]\n[subprocess]\nlocal_only_commands = ["git"]\nsandbox = "${sandbox}"\n`;
    const r = await doctor(project(t, toml("none")));
    assertHas(
      r,
      "WARN",
      /^subprocess\.local_only_commands \(git\) run unjailed: .*set subprocess\.sandbox = "bwrap"/,
    );
    const jailed = await doctor(project(t, toml("bwrap")));
    assertLacks(jailed, "WARN", /local_only_commands/);
  });

  test('read_allow = ["**"] on top of secure-defaults loads and is a [WARN] naming it', async (t) => {
    const p = project(t, `inherits = "secure-defaults"\n\n[filesystem]\nread_allow = ["**"]\n`);
    const r = await doctor(p);
    assert.equal(r.code, 1);
    assertHas(r, "WARN", /^filesystem\.read_allow "\*\*" \(.*aegis\.toml\) is very broad/);
    assertLacks(r, "FAIL", /./);
  });

  test('read_allow = ["**"] without secure-defaults reaches the audit log: [FAIL] with the fix, exit 2', async (t) => {
    const p = project(t, `[filesystem]\nread_allow = ["**"]\n`);
    const r = await doctor(p);
    assert.equal(r.code, 2);
    assertHas(
      r,
      "FAIL",
      /grants access to the audit log .*\/\.aegis\/audit\.jsonl \(filesystem\.read_allow "\*\*".*add ".*\/\.aegis\/\*\*" to filesystem\.deny/s,
    );
  });

  for (const glob of ["**/*", "~/**/*", "../**"]) {
    test(`read_allow = ["${glob}"] is flagged as over-broad like "**" (a respelling dodges the check)`, async (t) => {
      const p = project(t, `inherits = "secure-defaults"\n\n[filesystem]\nread_allow = ["${glob}"]\n`);
      const r = await doctor(p);
      assertLacks(r, "FAIL", /./);
      assertHas(
        r,
        "WARN",
        new RegExp(`^filesystem\\.read_allow "${glob.replace(/[.*]/g, "\\$&")}" .*is very broad`),
      );
    });
  }

  test('write_allow = ["~/**"] (the whole home) is flagged as over-broad', async (t) => {
    const p = project(t, `inherits = "secure-defaults"\n\n[filesystem]\nwrite_allow = ["~/**"]\n`);
    const r = await doctor(p);
    assertHas(r, "WARN", /^filesystem\.write_allow "~\/\*\*" .*is very broad/);
  });
});

describe("aegis doctor: secrets allowed in the clear", { concurrency: 4 }, () => {
  test("allow_vars GITHUB_TOKEN (inherited deny removed): [WARN] suggesting local_only_vars", async (t) => {
    const p = project(
      t,
      `${STARTER_LIKE}\n[environment]\nallow_vars = ["PATH", "GITHUB_TOKEN"]\ndeny_vars = ["!GITHUB_TOKEN"]\n`,
    );
    const r = await doctor(p);
    assert.equal(r.code, 1);
    assertHas(
      r,
      "WARN",
      /^environment\.allow_vars "GITHUB_TOKEN" looks like a secret; move it to local_only_vars/,
    );
    assertLacks(r, "WARN", /allow_vars "PATH"/);
  });

  for (const name of ["AWS_SECRET_ACCESS_KEY", "STRIPE_SECRET_KEY"]) {
    test(`allow_vars ${name} (inherited deny removed) is a secret-shaped [WARN]`, async (t) => {
      const p = project(
        t,
        `${STARTER_LIKE}\n[environment]\nallow_vars = ["${name}"]\ndeny_vars = ["!${name}"]\n`,
      );
      const r = await doctor(p);
      assertHas(r, "WARN", new RegExp(`allow_vars "${name}" looks like a secret`));
    });
  }

  test('allow_vars = ["*"] is a [WARN]: every undenied secret (MY_SERVICE_TOKEN) becomes readable', async (t) => {
    const p = project(t, `${STARTER_LIKE}\n[environment]\nallow_vars = ["*"]\n`);
    const r = await doctor(p);
    assertHas(r, "WARN", /allow_vars "\*"/);
  });

  test(".env readable in the clear (inherited deny removed): [WARN] suggesting local_only_read", async (t) => {
    const p = project(
      t,
      `inherits = "secure-defaults"\n\n[filesystem]\nread_allow = ["src/**", ".env"]\ndeny = ["!.env"]\n`,
    );
    const r = await doctor(p);
    assert.equal(r.code, 1);
    assertHas(
      r,
      "WARN",
      /^\.env under the root is readable in the clear \(.*\); list it under filesystem\.local_only_read$/,
    );
  });

  test(".env listed as local-only is not flagged", async (t) => {
    const p = project(
      t,
      `${STARTER_LIKE.replace("[filesystem]", '[filesystem]\nlocal_only_read = [".env"]')}`,
    );
    const r = await doctor(p);
    assertHas(r, "OK", /^no secret-shaped variables or files allowed in the clear$/);
  });
});

describe("aegis doctor: host wiring", { concurrency: 4 }, () => {
  test(".mcp.json pointing at another policy file: [WARN] naming this one", async (t) => {
    const p = project(t);
    wire(p, "other.toml");
    put(p, "other.toml", STARTER_LIKE);
    const r = await doctor(p);
    assert.equal(r.code, 1);
    assertHas(
      r,
      "WARN",
      /^\.mcp\.json: the aegis entry does not point at aegis\.toml; update its --policy argument$/,
    );
  });

  test(".mcp.json pointing at another project's aegis.toml: [WARN] (same file name, different policy)", async (t) => {
    const p = project(t);
    put(
      p,
      ".mcp.json",
      JSON.stringify({
        mcpServers: {
          aegis: { type: "stdio", command: "aegis-mcp", args: ["--policy", "/srv/lax/aegis.toml"] },
        },
      }),
    );
    const r = await doctor(p);
    assertLacks(r, "OK", /^\.mcp\.json wires aegis-mcp to this policy$/);
    assertHas(r, "WARN", /^\.mcp\.json: the aegis entry does not point at aegis\.toml/);
  });

  test(".mcp.json without an aegis server: [WARN] with the init command", async (t) => {
    const p = project(t);
    put(p, ".mcp.json", JSON.stringify({ mcpServers: { github: { command: "gh-mcp" } } }));
    const r = await doctor(p);
    assertHas(r, "WARN", /^\.mcp\.json has no aegis server entry; run `aegis init --lang … --host …`$/);
  });

  test(".mcp.json that is not JSON: [FAIL], exit 2", async (t) => {
    const p = project(t);
    put(p, ".mcp.json", '{"mcpServers": ');
    const r = await doctor(p);
    assert.equal(r.code, 2);
    assertHas(r, "FAIL", /^\.mcp\.json is not valid JSON/);
  });

  test("aegis-mcp with --confirm-mode auto-allow: [WARN] that confirmations are approved unasked", async (t) => {
    const p = project(t);
    put(
      p,
      ".mcp.json",
      JSON.stringify({
        mcpServers: {
          aegis: { command: "aegis-mcp", args: ["--policy", "aegis.toml", "--confirm-mode", "auto-allow"] },
        },
      }),
    );
    const r = await doctor(p);
    assertHas(r, "WARN", /auto-allow, so every confirmation is approved unasked/);
  });

  test(".claude/settings.json without the hook: [WARN] that native tools bypass the policy", async (t) => {
    const p = project(t);
    put(p, ".claude/settings.json", JSON.stringify({ enabledMcpjsonServers: ["aegis"], model: "opus" }));
    const r = await doctor(p);
    assert.equal(r.code, 1);
    assertHas(
      r,
      "WARN",
      /^\.claude\/settings\.json has no aegis PreToolUse hook: native tools bypass the policy/,
    );
  });

  test("the aegis hook wired as PostToolUse is a [WARN] (it runs after the tool and cannot stop it)", async (t) => {
    const p = project(t);
    put(
      p,
      ".claude/settings.json",
      JSON.stringify({
        hooks: {
          PostToolUse: [
            { matcher: "Read|Write|Bash", hooks: [{ type: "command", command: "aegis hook claude" }] },
          ],
        },
      }),
    );
    const r = await doctor(p);
    assertLacks(r, "OK", /routes native tools through/);
    assertHas(r, "WARN", /^\.claude\/settings\.json has no aegis PreToolUse hook/);
  });

  test("the Claude hook deciding under another policy is a [WARN] (native tools obey a different file)", async (t) => {
    const p = project(t);
    put(p, "lax.toml", `inherits = "secure-defaults"\n\n[filesystem]\nread_allow = ["**"]\n`);
    put(
      p,
      ".claude/settings.json",
      JSON.stringify({
        hooks: {
          PreToolUse: [
            {
              matcher: "Read|Glob|Grep|Write|Edit|MultiEdit|NotebookEdit|WebFetch|Bash",
              hooks: [{ type: "command", command: "aegis hook claude --policy lax.toml" }],
            },
          ],
        },
      }),
    );
    const r = await doctor(p);
    assertLacks(r, "OK", /routes native tools through/);
    assertHas(r, "WARN", /\.claude\/settings\.json.*lax\.toml|\.claude\/settings\.json.*aegis\.toml/);
  });
  test("a hook whose matcher covers only Bash is a [WARN] (Read, Write, Edit, WebFetch bypass it)", async (t) => {
    const p = project(t);
    put(
      p,
      ".claude/settings.json",
      JSON.stringify({
        hooks: {
          PreToolUse: [
            {
              matcher: "Bash",
              hooks: [{ type: "command", command: "aegis hook claude --policy aegis.toml" }],
            },
          ],
        },
      }),
    );
    const r = await doctor(p);
    assertLacks(r, "OK", /routes native tools through/);
    assertHas(r, "WARN", /\.claude\/settings\.json.*(Read|Write|matcher)/);
  });

  test('"disableAllHooks": true beside the hook in .claude/settings.json is a [WARN] (the hook never runs)', async (t) => {
    const p = project(t);
    const wired = JSON.parse(readFileSync(join(p.root, ".claude/settings.json"), "utf8")) as Record<
      string,
      unknown
    >;
    put(p, ".claude/settings.json", JSON.stringify({ ...wired, disableAllHooks: true }));
    const r = await doctor(p);
    assertLacks(r, "OK", /routes native tools through/);
    assertHas(r, "WARN", /disableAllHooks/);
  });

  test('"disableAllHooks": true in .claude/settings.local.json is a [WARN] (it overrides the shared hook)', async (t) => {
    const p = project(t);
    put(p, ".claude/settings.local.json", JSON.stringify({ disableAllHooks: true }));
    const r = await doctor(p);
    assertLacks(r, "OK", /routes native tools through/);
    assertHas(r, "WARN", /disableAllHooks/);
  });
});

describe("aegis doctor: the audit log", { concurrency: 4 }, () => {
  test("--audit-log under a path whose parent is a regular file: [FAIL] not writable, exit 2", async (t) => {
    const p = project(t);
    writeFileSync(join(p.base, "plain-file"), "");
    const log = join(p.base, "plain-file", "audit.jsonl");
    const r = await doctor(p, ["--audit-log", log]);
    assert.equal(r.code, 2);
    assertHas(
      r,
      "FAIL",
      new RegExp(
        `^audit log ${log.replace(/[.]/g, "\\.")} is not writable \\(.*\\); effects would be refused`,
      ),
    );
  });

  test("--audit-log inside a readable directory: the policy does not load ([FAIL]), exit 2", async (t) => {
    const p = project(t);
    const r = await doctor(p, ["--audit-log", "src/audit.jsonl"]);
    assert.equal(r.code, 2);
    assertHas(r, "FAIL", /does not load:\n.*grants access to the audit log .*\/src\/audit\.jsonl/);
  });

  test("--audit-log elsewhere and writable: [OK]", async (t) => {
    const p = project(t);
    const log = join(p.base, "logs", "audit.jsonl");
    const r = await doctor(p, ["--audit-log", log]);
    assertHas(
      r,
      "OK",
      new RegExp(`^audit log ${log.replace(/[.]/g, "\\.")} is writable and out of the policy's reach$`),
    );
  });

  test("an unknown flag is a usage error, exit 5", async (t) => {
    const p = project(t);
    const r = await doctor(p, ["--polciy", "aegis.toml"]);
    assert.equal(r.code, 5);
    assert.match(r.stderr, /polciy/);
  });
});

describe("aegis doctor: bubblewrap", { concurrency: 2 }, () => {
  test('bwrap cannot jail and the policy sets sandbox = "bwrap": [FAIL] with the fix, exit 2', async (t) => {
    const p = project(t, `${STARTER_LIKE}sandbox = "bwrap"\n`);
    const r = await doctor(p, [], ["--import", BWRAP_BROKEN]);
    assert.equal(r.code, 2);
    assertHas(
      r,
      "FAIL",
      /^bubblewrap cannot create a sandbox here .* and the policy sets subprocess\.sandbox = "bwrap"\. Fix: /,
    );
  });

  test("bwrap cannot jail and the policy does not ask for it: only a [WARN], exit 1", async (t) => {
    const p = project(t);
    const r = await doctor(p, [], ["--import", BWRAP_BROKEN]);
    assert.equal(r.code, 1);
    assertHas(
      r,
      "WARN",
      /^bubblewrap cannot create a sandbox here .*\(needed only for subprocess\.sandbox = "bwrap"\)\. Fix: /,
    );
    assertLacks(r, "FAIL", /./);
  });
});
