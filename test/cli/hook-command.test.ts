/**
 * `aegis hook claude` end to end: recorded Claude Code PreToolUse payloads
 * (test/fixtures/hook/*.json, with /abs/project and /abs/home standing for the temp
 * project and HOME) are piped into the real CLI. Allow → exit 0 and one hook JSON object
 * on stdout; anything else → exit 2, reason on stderr, nothing on stdout. Every decided
 * call leaves a `source: "hook"` record in a chain that `aegis audit verify` accepts.
 */
import assert from "node:assert/strict";
import { existsSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { auditRecords, type CliResult, runCli, type TempProject, tempProject } from "../helpers/cli.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/hook/", import.meta.url));
const DNS_SPY = pathToFileURL(join(FIXTURES, "dns-spy.mjs")).href;
const MAX_INPUT_BYTES = 4 * 1024 * 1024;

/** Bash must be decidable: secure-defaults' confirmation on subprocess.exec is dropped. */
const BASE_POLICY = `inherits = "secure-defaults"
requires_approval = ["!subprocess.exec"]

[filesystem]
read_allow = ["src/**", "notebooks/**"]
local_only_read = ["src/private/token.txt"]
write_allow = ["src/**", "notebooks/**"]

[subprocess]
allow_commands = ["ls", "git", "echo", "cat"]
`;

/** secure-defaults' requires_approval kept: subprocess.exec is "confirm", which the hook cannot ask. */
const APPROVAL_POLICY = BASE_POLICY.replace('requires_approval = ["!subprocess.exec"]\n', "");

const NO_ECHO_POLICY = BASE_POLICY.replace('"ls", "git", "echo", "cat"', '"ls", "git", "cat"');

/** src/web/ denied: a Glob must not list the names inside it. */
const GLOB_DENY_POLICY = BASE_POLICY.replace(
  'write_allow = ["src/**", "notebooks/**"]',
  'write_allow = ["src/**", "notebooks/**"]\ndeny = ["src/web/**"]',
);

/** Only src/web/node_modules/ denied: two levels below src/. */
const GLOB_DEEP_DENY_POLICY = BASE_POLICY.replace(
  'write_allow = ["src/**", "notebooks/**"]',
  'write_allow = ["src/**", "notebooks/**"]\ndeny = ["src/web/node_modules/**"]',
);

/** .env is usable but local-only (replacing the inherited deny). */
const DOTENV_LOCAL_ONLY_POLICY = `inherits = "secure-defaults"
requires_approval = ["!subprocess.exec"]

[filesystem]
read_allow = ["src/**"]
local_only_read = [".env"]

[subprocess]
allow_commands = ["cat"]
`;

/** localhost reachable: the one allowed host that resolves without a network. */
const WEB_POLICY = `inherits = "secure-defaults"

[network]
http_get_allow = ["localhost"]
deny_hosts = ["!localhost"]
deny_ips = ["!127.0.0.0/8", "!::1/128"]
`;

function write(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

/** A project with sources, secrets in the places attacks aim at, and planted symlinks. */
function project(t: { after: (fn: () => void) => void }, policy: string): TempProject {
  const p = tempProject(t, "aegis-hook-");
  const r = (rel: string) => join(p.root, rel);
  write(r("aegis.toml"), policy);
  write(r(".env"), "API_KEY=hunter2\n");
  write(r("src/a.py"), "print(1)\n");
  write(r("src/clean/b.py"), "def b():\n    return 1\n");
  write(r("src/withenv/app.py"), "import os\n");
  write(r("src/withenv/.env"), "KEY=secret\n");
  write(r("src/private/token.txt"), "tok-123\n");
  write(r("src/private/x.py"), "x = 1\n");
  linkSync(r("src/private/token.txt"), r("src/tok-link.txt"));
  linkSync(r("src/clean/b.py"), r("src/clean/b-link.py"));
  write(r("src/web/index.js"), "export {};\n");
  write(r("src/web/node_modules/tls-fixture/server.pem"), "-----BEGIN PRIVATE KEY-----\n");
  write(r("notebooks/n.ipynb"), '{"cells":[]}\n');
  write(join(p.home, ".ssh/id_rsa"), "-----BEGIN OPENSSH PRIVATE KEY-----\n");
  write(join(p.home, ".bashrc"), "# bashrc\n");
  symlinkSync(join(p.home, ".ssh/id_rsa"), r("src/notes.txt"));
  symlinkSync(join(p.home, ".bashrc"), r("src/rc.py"));
  symlinkSync(join(p.base, "nowhere/x.py"), r("src/dangling.py"));
  return p;
}

function payload(name: string, p: TempProject): string {
  return readFileSync(join(FIXTURES, name), "utf8")
    .replaceAll("/abs/project", p.root)
    .replaceAll("/abs/home", p.home);
}

function hook(
  p: TempProject,
  input: string | Buffer,
  args: string[] = [],
  built = false,
): Promise<CliResult> {
  return runCli(["hook", "claude", ...args], { cwd: p.root, home: p.home, input, built });
}

function auditLog(p: TempProject): string {
  return join(p.root, ".aegis", "audit.jsonl");
}

function assertAllowed(r: CliResult): void {
  assert.equal(r.code, 0, `expected allow (exit 0); stderr: ${r.stderr}`);
  assert.equal(r.stderr, "");
  assert.ok(r.stdout.endsWith("\n"), "the answer ends with a newline");
  assert.equal(r.stdout.trimEnd().split("\n").length, 1, `exactly one line on stdout: ${r.stdout}`);
  const answer = JSON.parse(r.stdout) as { hookSpecificOutput: Record<string, unknown> };
  assert.deepEqual(Object.keys(answer), ["hookSpecificOutput"]);
  assert.equal(answer.hookSpecificOutput.hookEventName, "PreToolUse");
  assert.equal(answer.hookSpecificOutput.permissionDecision, "allow");
  assert.match(String(answer.hookSpecificOutput.permissionDecisionReason), /^aegis: .*allowed by /);
}

function assertDenied(r: CliResult, reason?: RegExp): void {
  assert.equal(r.code, 2, `expected deny (exit 2); stdout: ${r.stdout} stderr: ${r.stderr}`);
  assert.equal(r.stdout, "", "a denial prints nothing on stdout");
  assert.match(r.stderr, /^aegis/);
  if (reason) assert.match(r.stderr, reason);
}

async function assertChainVerifies(p: TempProject, records: number): Promise<void> {
  const v = await runCli(["audit", "verify", auditLog(p)], { cwd: p.root, home: p.home });
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.equal(v.stdout, `OK: ${records} records, last seq ${records}\n`);
}

interface HookCase {
  name: string;
  fixture: string;
  policy?: string;
  /** Hook arguments, given the project. */
  args?: (p: TempProject) => string[];
  allow: boolean;
  cap: string;
  /** The audited target, given the project; omitted where the exact form is not the point. */
  target?: (p: TempProject) => string;
  reason?: RegExp;
  /** Shell syntax the hook refuses: the reason must point at the aegis tools (cli.md). */
  shellSyntax?: true;
}

const inRoot = (rel: string) => (p: TempProject) => join(p.root, rel);
const inHome = (rel: string) => (p: TempProject) => join(p.home, rel);
const literal = (s: string) => () => s;
const SHELL_REFUSAL = /Bash denied: .* use the aegis_exec tool \(an argv array\) or aegis_run/;
/** The session cwd is src/, where no aegis.toml is: the policy is named by absolute path. */
const rootPolicy = (p: TempProject) => ["--policy", join(p.root, "aegis.toml")];

const CASES: HookCase[] = [
  // Read
  {
    name: "Read of a source file is allowed",
    fixture: "read-source.json",
    allow: true,
    cap: "fs.read",
    target: inRoot("src/a.py"),
  },
  {
    name: "Read with a relative file_path resolves against the session cwd",
    fixture: "read-relative.json",
    allow: true,
    cap: "fs.read",
    target: inRoot("src/a.py"),
  },
  {
    name: "Read of .env is denied (secret file)",
    fixture: "read-dotenv.json",
    allow: false,
    cap: "fs.read",
    target: inRoot(".env"),
    reason: /filesystem\.deny "\.env"/,
  },
  {
    name: "Read of src/../.env is denied (dot-dot traversal)",
    fixture: "read-dotdot-dotenv.json",
    allow: false,
    cap: "fs.read",
    target: inRoot(".env"),
    reason: /filesystem\.deny "\.env"/,
  },
  {
    name: "Read of ~/.ssh/id_rsa is denied (credential theft)",
    fixture: "read-ssh-key.json",
    allow: false,
    cap: "fs.read",
    target: inHome(".ssh/id_rsa"),
    reason: /filesystem\.deny "~\/\.ssh\/\*\*"/,
  },
  {
    name: "Read of a local-only file is denied (its content would enter the transcript)",
    fixture: "read-local-only.json",
    allow: false,
    cap: "fs.read",
    target: inRoot("src/private/token.txt"),
    reason: /local-only content must not enter the transcript: use the aegis MCP tools/,
  },
  {
    name: "Read of the audit log is denied (a model must not read its own trail)",
    fixture: "read-audit-log.json",
    allow: false,
    cap: "fs.read",
    target: inRoot(".aegis/audit.jsonl"),
    reason: /audit log/,
  },
  {
    name: "Read through a symlink planted in src to ~/.ssh/id_rsa is denied (symlink escape)",
    fixture: "read-symlink-to-ssh-key.json",
    allow: false,
    cap: "fs.read",
    target: inHome(".ssh/id_rsa"),
    reason: /~\/\.ssh/,
  },
  // Glob
  {
    name: "Glob under an allowed directory is allowed",
    fixture: "glob-src.json",
    allow: true,
    cap: "fs.list",
    target: inRoot("src"),
  },
  {
    name: "Glob over ~/.ssh is denied (listing a credential directory)",
    fixture: "glob-ssh-dir.json",
    allow: false,
    cap: "fs.list",
    target: inHome(".ssh"),
    reason: /~\/\.ssh/,
  },
  {
    name: "Glob with an absolute pattern into ~/.ssh is denied (the pattern escapes the checked path)",
    fixture: "glob-absolute-pattern-ssh.json",
    allow: false,
    cap: "fs.list",
  },
  {
    name: "Glob with a ../ pattern into ~/.ssh is denied (the pattern escapes the checked path)",
    fixture: "glob-dotdot-pattern-ssh.json",
    allow: false,
    cap: "fs.list",
  },
  // Grep
  {
    name: "Grep over a clean directory is allowed",
    fixture: "grep-clean-dir.json",
    allow: true,
    cap: "fs.read",
    target: inRoot("src/clean"),
  },
  {
    name: "Grep of one readable file is allowed",
    fixture: "grep-file.json",
    allow: true,
    cap: "fs.read",
    target: inRoot("src/a.py"),
  },
  {
    name: "Grep over a directory holding a denied .env is denied (searching reads the secret)",
    fixture: "grep-dir-with-dotenv.json",
    allow: false,
    cap: "fs.read",
    target: inRoot("src/withenv"),
    reason: /would read .*\/src\/withenv\/\.env/,
  },
  {
    name: "Read of another hard link to a local-only file is denied (the same bytes under a readable name)",
    fixture: "read-hard-link.json",
    allow: false,
    cap: "fs.read",
    reason: /has 2 hard links/,
  },
  {
    name: "Read of a hard-linked ordinary file is allowed (package stores such as pnpm link every dependency file)",
    fixture: "read-ordinary-hard-link.json",
    allow: true,
    cap: "fs.read",
  },
  {
    name: "Glob whose pattern enters a denied directory below the path is denied (web/*)",
    fixture: "glob-into-denied-dir.json",
    policy: GLOB_DENY_POLICY,
    allow: false,
    cap: "fs.list",
    reason: /src\/web matches filesystem\.deny/,
  },
  {
    name: "Glob whose fixed part hides a denied directory behind an escape (\\web/*) is denied",
    fixture: "glob-escaped-denied-dir.json",
    policy: GLOB_DENY_POLICY,
    allow: false,
    cap: "fs.list",
    reason: /would list .*src\/web/,
  },
  {
    name: "Glob whose fixed part hides a denied directory behind extglob (@(web)/*) is denied",
    fixture: "glob-extglob-denied-dir.json",
    policy: GLOB_DENY_POLICY,
    allow: false,
    cap: "fs.list",
    reason: /would list .*src\/web/,
  },
  {
    name: "Glob with ** that would walk into a denied directory is denied",
    fixture: "glob-doublestar-denied-dir.json",
    policy: GLOB_DENY_POLICY,
    allow: false,
    cap: "fs.list",
    reason: /would list .*src\/web/,
  },
  {
    name: "Glob of a bare ** that would walk into a denied directory is denied",
    fixture: "glob-trailing-doublestar.json",
    policy: GLOB_DENY_POLICY,
    allow: false,
    cap: "fs.list",
    reason: /would list .*src\/web/,
  },
  {
    name: "Glob with ** inside braces that would walk into a denied directory two levels down is denied",
    fixture: "glob-brace-doublestar.json",
    policy: GLOB_DEEP_DENY_POLICY,
    allow: false,
    cap: "fs.list",
    reason: /would list .*src\/web\/node_modules/,
  },
  {
    name: "Glob of one level (*.py) stays allowed beside a denied subdirectory",
    fixture: "glob-one-level.json",
    policy: GLOB_DENY_POLICY,
    allow: true,
    cap: "fs.list",
  },
  {
    name: "Grep over a directory holding a local-only file is denied (matches would enter the transcript)",
    fixture: "grep-dir-with-local-only.json",
    allow: false,
    cap: "fs.read",
    target: inRoot("src/private"),
    reason: /would read .*\/src\/private\/token\.txt/,
  },
  {
    name: "Grep over a directory whose node_modules holds a denied key file is denied (ripgrep searches node_modules)",
    fixture: "grep-dir-with-key-in-node-modules.json",
    allow: false,
    cap: "fs.read",
    target: inRoot("src/web"),
    reason: /server\.pem/,
  },
  {
    name: "Grep of .env itself is denied",
    fixture: "grep-dotenv-file.json",
    allow: false,
    cap: "fs.read",
    target: inRoot(".env"),
    reason: /filesystem\.deny "\.env"/,
  },
  {
    name: "Grep over ~/.ssh is denied (credential theft)",
    fixture: "grep-ssh-dir.json",
    allow: false,
    cap: "fs.read",
    target: inHome(".ssh"),
  },
  // Write / Edit / MultiEdit / NotebookEdit
  {
    name: "Write of a new source file is allowed",
    fixture: "write-source.json",
    allow: true,
    cap: "fs.write",
    target: inRoot("src/new.py"),
  },
  {
    name: "Write of the policy file is denied (rewriting its own rules)",
    fixture: "write-policy-file.json",
    allow: false,
    cap: "fs.write",
    target: inRoot("aegis.toml"),
    reason: /policy file aegis is running under/,
  },
  {
    name: "Write of .claude/settings.json is denied (removing the hook)",
    fixture: "write-claude-settings.json",
    allow: false,
    cap: "fs.write",
    target: inRoot(".claude/settings.json"),
    reason: /filesystem\.write_allow/,
  },
  {
    name: "Write of a local-only file is denied (the new content would enter the transcript)",
    fixture: "write-local-only.json",
    allow: false,
    cap: "fs.write",
    target: inRoot("src/private/token.txt"),
    reason: /local-only/,
  },
  {
    name: "Write through a dangling symlink is denied (it would create the link's target)",
    fixture: "write-dangling-symlink.json",
    allow: false,
    cap: "fs.write",
    target: inRoot("src/dangling.py"),
    reason: /dangling symlink/,
  },
  {
    name: "Edit of a source file is allowed",
    fixture: "edit-source.json",
    allow: true,
    cap: "fs.write",
    target: inRoot("src/a.py"),
  },
  {
    name: "Edit of the audit log is denied (forging the trail)",
    fixture: "edit-audit-log.json",
    allow: false,
    cap: "fs.write",
    target: inRoot(".aegis/audit.jsonl"),
    reason: /audit log/,
  },
  {
    name: "Edit through a symlink in src to ~/.bashrc is denied (symlink escape to a startup file)",
    fixture: "edit-symlink-to-bashrc.json",
    allow: false,
    cap: "fs.write",
    target: inHome(".bashrc"),
    reason: /filesystem\.write_allow/,
  },
  {
    name: "MultiEdit of a source file is allowed",
    fixture: "multiedit-source.json",
    allow: true,
    cap: "fs.write",
    target: inRoot("src/a.py"),
  },
  {
    name: "MultiEdit of src/../../home/.bashrc is denied (dot-dot escape)",
    fixture: "multiedit-bashrc.json",
    allow: false,
    cap: "fs.write",
    target: inHome(".bashrc"),
  },
  {
    name: "NotebookEdit of an allowed notebook is allowed",
    fixture: "notebookedit-allowed.json",
    allow: true,
    cap: "fs.write",
    target: inRoot("notebooks/n.ipynb"),
  },
  {
    name: "NotebookEdit outside write_allow is denied",
    fixture: "notebookedit-outside.json",
    allow: false,
    cap: "fs.write",
    target: inRoot("scratch.ipynb"),
    reason: /default deny/,
  },
  // WebFetch
  {
    name: "WebFetch of the cloud metadata address is denied (SSRF)",
    fixture: "webfetch-metadata-ip.json",
    allow: false,
    cap: "net.http_get",
    target: literal("http://169.254.169.254/latest/meta-data/iam/security-credentials/"),
    reason: /deny_ips "169\.254\.0\.0\/16"/,
  },
  {
    name: "WebFetch of 127.0.0.1 is denied (SSRF to local services)",
    fixture: "webfetch-loopback-ip.json",
    allow: false,
    cap: "net.http_get",
    target: literal("http://127.0.0.1/admin"),
    reason: /deny_ips "127\.0\.0\.0\/8"/,
  },
  {
    name: "WebFetch of localhost is denied by secure-defaults (SSRF by name)",
    fixture: "webfetch-localhost.json",
    allow: false,
    cap: "net.http_get",
    target: literal("http://localhost/"),
    reason: /deny_hosts "localhost"/,
  },
  {
    name: "WebFetch of a host the policy allows is allowed",
    fixture: "webfetch-localhost.json",
    policy: WEB_POLICY,
    allow: true,
    cap: "net.http_get",
    target: literal("http://localhost/"),
  },
  {
    name: "WebFetch to an allowed host on a port outside allow_ports is denied",
    fixture: "webfetch-localhost-port.json",
    policy: WEB_POLICY,
    allow: false,
    cap: "net.http_get",
    target: literal("http://localhost:8080/"),
    reason: /allow_ports/,
  },
  {
    name: "WebFetch of [::ffff:169.254.169.254] is denied (IPv4-mapped metadata address)",
    fixture: "webfetch-mapped-metadata.json",
    allow: false,
    cap: "net.http_get",
    reason: /169\.254\.0\.0\/16/,
  },
  {
    name: "WebFetch of http://2852039166/ is denied (decimal metadata address)",
    fixture: "webfetch-decimal-metadata.json",
    allow: false,
    cap: "net.http_get",
    reason: /169\.254\.0\.0\/16/,
  },
  {
    name: "WebFetch of a file: URL is denied (local file read through the fetcher)",
    fixture: "webfetch-file-scheme.json",
    allow: false,
    cap: "net.http_get",
    target: literal("file:///etc/passwd"),
    reason: /scheme file: is not allowed/,
  },
  {
    name: "WebFetch of a URL with userinfo is denied (allowed-looking name before @)",
    fixture: "webfetch-userinfo.json",
    policy: WEB_POLICY,
    allow: false,
    cap: "net.http_get",
    reason: /userinfo/,
  },
  {
    name: "WebFetch of something that is not a URL is denied",
    fixture: "webfetch-not-a-url.json",
    allow: false,
    cap: "net.http_get",
    target: literal("not a url"),
    reason: /not a valid URL/,
  },
  // Bash: plain argv allowed
  {
    name: "Bash `ls -la` is allowed when the policy allows ls and drops the confirmation",
    fixture: "bash-ls.json",
    allow: true,
    cap: "subprocess.exec",
    target: literal("ls -la"),
  },
  {
    name: "Bash `git status` is allowed when the policy allows git and drops the confirmation",
    fixture: "bash-git-status.json",
    allow: true,
    cap: "subprocess.exec",
    target: literal("git status"),
  },
  {
    name: "Bash `ls -la` is denied while subprocess.exec requires approval (the hook cannot ask)",
    fixture: "bash-ls.json",
    policy: APPROVAL_POLICY,
    allow: false,
    cap: "subprocess.exec",
    target: literal("ls -la"),
    reason: /needs confirmation.*native tools cannot ask for confirmation here/,
  },
  {
    name: "Bash `git status` is denied while subprocess.exec requires approval (the hook cannot ask)",
    fixture: "bash-git-status.json",
    policy: APPROVAL_POLICY,
    allow: false,
    cap: "subprocess.exec",
    target: literal("git status"),
    reason: /native tools cannot ask for confirmation here/,
  },
  {
    name: 'Bash `echo "a;b"` is one argv and allowed when echo is',
    fixture: "bash-echo-quoted-semicolon.json",
    allow: true,
    cap: "subprocess.exec",
    target: literal("echo a;b"),
  },
  {
    name: 'Bash `echo "a;b"` is denied when the policy does not allow echo',
    fixture: "bash-echo-quoted-semicolon.json",
    policy: NO_ECHO_POLICY,
    allow: false,
    cap: "subprocess.exec",
    reason: /add "echo" to subprocess\.allow_commands/,
  },
  {
    name: "Bash `cat src/a.py` is allowed (a readable path argument)",
    fixture: "bash-cat-source.json",
    allow: true,
    cap: "subprocess.exec",
    target: literal("cat src/a.py"),
  },
  {
    name: "Bash `cat b.py` from the src/clean/ cwd is allowed (arguments resolve against the session cwd)",
    fixture: "bash-subdir-cat.json",
    args: rootPolicy,
    allow: true,
    cap: "subprocess.exec",
    target: literal("cat b.py"),
  },
  // Bash: a local-only file read by a name the argument check alone does not see
  {
    name: "Bash `ls -R src/private` is denied (a directory argument that holds a local-only file)",
    fixture: "bash-ls-r-local-only-dir.json",
    allow: false,
    cap: "subprocess.exec",
    reason: /directory .*src\/private holds the local-only file .*token\.txt.*transcript/,
  },
  {
    name: "Bash `cat src/tok-link.txt` is denied (another hard link to a local-only file)",
    fixture: "bash-cat-hard-link.json",
    allow: false,
    cap: "subprocess.exec",
    reason: /local-only/,
  },
  {
    name: "Bash `git show HEAD:src/private/token.txt` is denied (git's rev:path of a local-only file)",
    fixture: "bash-git-show-rev-path.json",
    allow: false,
    cap: "subprocess.exec",
    reason: /HEAD:src\/private\/token\.txt/,
  },
  // Bash: shell syntax the hook cannot reduce to argv
  {
    name: "Bash `ls; rm -rf x` is denied (command chaining)",
    fixture: "bash-semicolon-rm.json",
    shellSyntax: true,
    allow: false,
    cap: "subprocess.exec",
    target: literal("ls; rm -rf x"),
    reason: /the shell operator ";"/,
  },
  {
    name: "Bash `echo $(id)` is denied (command substitution)",
    fixture: "bash-command-substitution.json",
    shellSyntax: true,
    allow: false,
    cap: "subprocess.exec",
    reason: /command substitution \$\(\.\.\.\)/,
  },
  {
    name: "Bash `echo `id`` is denied (backtick substitution)",
    fixture: "bash-backticks.json",
    shellSyntax: true,
    allow: false,
    cap: "subprocess.exec",
    reason: /backticks/,
  },
  {
    name: "Bash `echo pwned > src/a.py` is denied (redirection writes past the write rules)",
    fixture: "bash-redirection.json",
    shellSyntax: true,
    allow: false,
    cap: "subprocess.exec",
    reason: /redirection/,
  },
  {
    name: "Bash `git status && rm -rf .` is denied (&& chaining)",
    fixture: "bash-and-and.json",
    shellSyntax: true,
    allow: false,
    cap: "subprocess.exec",
    reason: /the shell operator "&"/,
  },
  {
    name: "Bash `cat src/a.py | nc …` is denied (pipe to an exfiltration tool)",
    fixture: "bash-pipe.json",
    shellSyntax: true,
    allow: false,
    cap: "subprocess.exec",
    reason: /the shell operator "\|"/,
  },
  {
    name: "Bash `GIT_PAGER=sh git log` is denied (environment injection)",
    fixture: "bash-env-assignment.json",
    shellSyntax: true,
    allow: false,
    cap: "subprocess.exec",
    reason: /leading variable assignment/,
  },
  {
    name: "Bash with a newline is denied (a second command on the next line)",
    fixture: "bash-newline.json",
    shellSyntax: true,
    allow: false,
    cap: "subprocess.exec",
    reason: /newline/,
  },
  {
    name: "Bash `cd /` is denied (changing the directory of later commands)",
    fixture: "bash-cd.json",
    shellSyntax: true,
    allow: false,
    cap: "subprocess.exec",
    reason: /shell keyword or builtin "cd"/,
  },
  // Bash: argv the policy denies
  {
    name: "Bash `bash -c …` is denied (a shell runs anything)",
    fixture: "bash-bash-c.json",
    allow: false,
    cap: "subprocess.exec",
    target: literal("bash -c cat .env"),
    reason: /deny_commands "bash"/,
  },
  {
    name: "Bash `cat ~/.ssh/id_rsa` is denied (credential theft through tilde)",
    fixture: "bash-tilde-ssh-key.json",
    shellSyntax: true,
    allow: false,
    cap: "subprocess.exec",
    reason: /tilde expansion/,
  },
  {
    name: "Bash `cat $HOME/.ssh/id_rsa` spelt out is denied (credential theft by path argument)",
    fixture: "bash-absolute-ssh-key.json",
    allow: false,
    cap: "subprocess.exec",
    target: (p) => `cat ${p.home}/.ssh/id_rsa`,
    reason: /filesystem\.deny "~\/\.ssh\/\*\*"/,
  },
  {
    name: "Bash `cat .env` is denied where .env is denied (bare word naming an existing file)",
    fixture: "bash-cat-dotenv.json",
    allow: false,
    cap: "subprocess.exec",
    target: literal("cat .env"),
    reason: /filesystem\.deny "\.env"/,
  },
  {
    name: "Bash `cat .env` is denied where .env is local-only (it would print the secret in the transcript)",
    fixture: "bash-cat-dotenv.json",
    policy: DOTENV_LOCAL_ONLY_POLICY,
    allow: false,
    cap: "subprocess.exec",
    target: literal("cat .env"),
    reason: /local-only/,
  },
  {
    name: "Bash `cat src/private/token.txt` is denied (local-only path argument)",
    fixture: "bash-cat-local-only.json",
    allow: false,
    cap: "subprocess.exec",
    reason: /local-only/,
  },
  {
    name: "Bash `cat ../.env` from the src/ cwd is denied (relative escape)",
    fixture: "bash-subdir-dotdot-dotenv.json",
    args: rootPolicy,
    allow: false,
    cap: "subprocess.exec",
    reason: /filesystem\.deny "\.env"/,
  },
  {
    name: "Bash `git -c core.pager=sh log` is denied (git config runs a program)",
    fixture: "bash-git-c-pager.json",
    allow: false,
    cap: "subprocess.exec",
    target: literal("git -c core.pager=sh log"),
    reason: /deny_args\.git "-c"/,
  },
  // Tools aegis does not know
  {
    name: "WebSearch is denied (a tool aegis cannot check)",
    fixture: "websearch.json",
    allow: false,
    cap: "WebSearch",
    target: literal(""),
    reason: /the tool "WebSearch" is not one aegis can check/,
  },
  {
    name: "an MCP tool routed to the hook is denied (mcp__x__y)",
    fixture: "mcp-tool.json",
    allow: false,
    cap: "mcp__x__y",
    target: literal(""),
    reason: /"mcp__x__y" is not one aegis can check/,
  },
];

// The built hook is its own bundle with a V8 code cache (scripts/hook-bundle.mjs), the presets
// parsed at build time: every payload is decided by it too, to the same outcome.
for (const built of [false, true]) {
  describe(`aegis hook claude${built ? " (built: dist/)" : ""}: recorded payloads`, {
    concurrency: 4,
  }, () => {
    for (const c of CASES) {
      test(c.name, async (t) => {
        const p = project(t, c.policy ?? BASE_POLICY);
        const text = payload(c.fixture, p);
        const r = await hook(p, text, c.args?.(p), built);
        if (c.allow) assertAllowed(r);
        else assertDenied(r, c.reason);
        if (c.shellSyntax) assert.match(r.stderr, SHELL_REFUSAL);

        const records = auditRecords(auditLog(p));
        assert.equal(records.length, 1, "one record per decided call");
        const rec = records[0]!;
        const sent = JSON.parse(text) as { session_id: string; tool_name: string };
        assert.equal(rec.source, "hook");
        assert.equal(rec.run, `claude-${sent.session_id}`);
        assert.equal(rec.cap, c.cap);
        assert.equal(rec.decision, c.allow ? "allow" : "deny");
        assert.equal(rec.status, c.allow ? "allowed" : "denied");
        assert.equal((rec.detail as { tool?: unknown }).tool, sent.tool_name);
        if (c.target) assert.equal(rec.target, c.target(p));
        assert.equal(rec.seq, 1);
        assert.equal(rec.prev, "0".repeat(64));
      });
    }
  });
}

describe("aegis hook claude: inputs it cannot decide fail closed", { concurrency: 4 }, () => {
  const envelopeErrors: Array<[string, string, RegExp]> = [
    ["malformed JSON is denied", "malformed-json.txt", /could not decide: .*JSON/],
    ["a JSON array instead of an object is denied", "not-an-object.json", /not a JSON object/],
    ["a payload without tool_input is denied", "missing-tool-input.json", /tool_input must be an object/],
  ];
  for (const [name, fixture, reason] of envelopeErrors) {
    test(name, async (t) => {
      const p = project(t, BASE_POLICY);
      const r = await hook(p, payload(fixture, p));
      assertDenied(r, reason);
      assert.ok(!existsSync(auditLog(p)) || auditRecords(auditLog(p)).every((x) => x.decision !== "allow"));
    });
  }

  test("empty stdin is denied", async (t) => {
    const p = project(t, BASE_POLICY);
    assertDenied(await hook(p, ""), /could not decide/);
  });

  test("a payload larger than 4 MiB is refused unparsed (memory exhaustion)", async (t) => {
    const p = project(t, BASE_POLICY);
    const sent = JSON.parse(payload("read-source.json", p)) as Record<string, unknown>;
    const head = JSON.stringify({ ...sent, padding: "" });
    const pad = "x".repeat(MAX_INPUT_BYTES + 1 - Buffer.byteLength(head));
    const big = JSON.stringify({ ...sent, padding: pad });
    assert.equal(Buffer.byteLength(big), MAX_INPUT_BYTES + 1);
    const r = await hook(p, big);
    assertDenied(r, /hook input larger than 4194304 bytes/);
    assert.equal(existsSync(auditLog(p)), false, "nothing was decided, so nothing was audited");
  });

  test("a payload of exactly 4 MiB is still decided", async (t) => {
    const p = project(t, BASE_POLICY);
    const sent = JSON.parse(payload("read-source.json", p)) as Record<string, unknown>;
    const head = JSON.stringify({ ...sent, padding: "" });
    const big = JSON.stringify({ ...sent, padding: "x".repeat(MAX_INPUT_BYTES - Buffer.byteLength(head)) });
    assert.equal(Buffer.byteLength(big), MAX_INPUT_BYTES);
    assertAllowed(await hook(p, big));
  });

  test("a Read with an empty file_path is denied, and the attempt is audited", async (t) => {
    const p = project(t, BASE_POLICY);
    const r = await hook(p, payload("read-empty-path.json", p));
    assertDenied(r, /file_path/);
    // security.md claims every attempt is in the audit log; the policy loaded and the tool is known.
    assert.ok(existsSync(auditLog(p)), "the denied Read left no audit record");
    const rec = auditRecords(auditLog(p)).at(-1)!;
    assert.equal(rec.source, "hook");
    assert.equal(rec.decision, "deny");
    assert.equal((rec.detail as { tool?: unknown }).tool, "Read");
  });

  test("a ** Glob from a root that holds .aegis/ (denied by secure-defaults) stays allowed: the reach check does not refuse every Glob", async (t) => {
    const p = project(
      t,
      BASE_POLICY.replace('read_allow = ["src/**", "notebooks/**"]', 'read_allow = ["**"]'),
    );
    write(join(p.root, ".aegis", "audit.jsonl"), "");
    const input = JSON.stringify({
      session_id: "s",
      transcript_path: join(p.home, "t.jsonl"),
      cwd: p.root,
      hook_event_name: "PreToolUse",
      tool_name: "Glob",
      tool_input: { pattern: "**/*.py", path: p.root },
    });
    assertAllowed(await hook(p, input));
  });

  test("Grep over a tree too large to check is denied, not checked in part (fail closed)", async (t) => {
    const p = project(t, BASE_POLICY);
    const big = join(p.root, "src", "big");
    mkdirSync(big);
    for (let i = 0; i <= 20_000; i++) writeFileSync(join(big, `f${i}.py`), "");
    const sent = JSON.parse(payload("grep-clean-dir.json", p)) as { tool_input: { path: string } };
    sent.tool_input.path = big;
    const r = await hook(p, JSON.stringify(sent));
    assertDenied(r, /more than 20000 entries to check; search a narrower path/);
    assert.equal(auditRecords(auditLog(p)).at(-1)!.decision, "deny");
  });

  test("a policy that fails to load denies everything, with the reason on stderr (exit 2)", async (t) => {
    const p = project(t, BASE_POLICY.replace("read_allow", "read_alow"));
    const r = await hook(p, payload("read-source.json", p));
    assertDenied(r, /read_alow/);
    assert.match(r.stderr, /aegis\.toml/);
  });

  test("a --policy file that does not exist denies, naming it", async (t) => {
    const p = project(t, BASE_POLICY);
    const r = await hook(p, payload("read-source.json", p), ["--policy", "missing.toml"]);
    assertDenied(r, /missing\.toml.*no such file/);
  });

  test("an allow that cannot be audited is a deny (audit log under a regular file)", async (t) => {
    const p = project(t, BASE_POLICY);
    writeFileSync(join(p.base, "not-a-dir"), "");
    const log = join(p.base, "not-a-dir", "audit.jsonl");
    const r = await hook(p, payload("read-source.json", p), ["--audit-log", log]);
    assertDenied(r, /audit record not written/);
  });

  test("a policy that can read the --audit-log location does not load, so the hook denies", async (t) => {
    const p = project(t, BASE_POLICY);
    const r = await hook(p, payload("read-source.json", p), ["--audit-log", "src/audit.jsonl"]);
    assertDenied(r, /grants access to the audit log/);
    assert.equal(existsSync(join(p.root, "src", "audit.jsonl")), false);
  });

  test("`aegis hook` for another host is a usage error, exit 2", async (t) => {
    const p = project(t, BASE_POLICY);
    const r = await runCli(["hook", "cursor"], { cwd: p.root, home: p.home, input: "{}" });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /expected "aegis hook claude"/);
  });
});

describe("aegis hook claude: audit trail and DNS", { concurrency: 2 }, () => {
  test("a session's allows and denies chain in one log that verifies", async (t) => {
    const p = project(t, BASE_POLICY);
    const fixtures = [
      "read-source.json",
      "read-dotenv.json",
      "bash-ls.json",
      "bash-pipe.json",
      "websearch.json",
    ];
    for (const f of fixtures) await hook(p, payload(f, p));
    const records = auditRecords(auditLog(p));
    assert.deepEqual(
      records.map((r) => [r.seq, r.source, r.decision]),
      [
        [1, "hook", "allow"],
        [2, "hook", "deny"],
        [3, "hook", "allow"],
        [4, "hook", "deny"],
        [5, "hook", "deny"],
      ],
    );
    await assertChainVerifies(p, 5);
  });

  test("--audit-log puts the records where it says", async (t) => {
    const p = project(t, BASE_POLICY);
    const log = join(p.base, "logs", "hook.jsonl");
    assertAllowed(await hook(p, payload("read-source.json", p), ["--audit-log", log]));
    assert.equal(existsSync(auditLog(p)), false);
    assert.deepEqual(
      auditRecords(log).map((r) => [r.source, r.decision, r.target]),
      [["hook", "allow", join(p.root, "src/a.py")]],
    );
  });

  test("WebFetch of a host the policy does not allow sends no DNS query (DNS exfiltration)", async (t) => {
    const p = project(t, BASE_POLICY);
    const spyLog = join(p.base, "dns.log");
    const run = (fixture: string, policy: string[] = []) =>
      runCli(["hook", "claude", ...policy], {
        cwd: p.root,
        home: p.home,
        input: payload(fixture, p),
        nodeFlags: ["--import", DNS_SPY],
        env: { DNS_SPY_LOG: spyLog },
      });
    // The spy sees the lookup for a host the policy allows (so its silence below means something).
    writeFileSync(join(p.root, "web.toml"), WEB_POLICY);
    assertAllowed(await run("webfetch-localhost.json", ["--policy", "web.toml"]));
    assert.equal(readFileSync(spyLog, "utf8"), "localhost\n");

    // The name itself carries the data (base64 of a secret as a subdomain); resolving it leaks it.
    const r = await run("webfetch-dns-exfil.json");
    assertDenied(r);
    assert.equal(readFileSync(spyLog, "utf8"), "localhost\n", "the hook resolved a name the policy denies");
    // Decided on the name rules, not on a failed lookup.
    assert.match(r.stderr, /matches no network\.http_get_allow entry/);
  });
});
