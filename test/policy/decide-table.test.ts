/**
 * Table-driven decisions: every op kind against every rule of policy.md, with the
 * decision AND the rule that decided (pattern text and origin) asserted. Policies are
 * real TOML files in a real temporary tree, loaded with loadPolicySync; requested paths
 * and argv paths are canonicalised by the real host helpers, as the runtime does.
 *
 * Cases marked `bug:` fail today; the string says what is wrong (see the final report).
 */
import assert from "node:assert/strict";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decide } from "../../src/policy/decide.js";
import type { Decision, Operation, ResolvedPolicy, Verdict } from "../../src/policy/types.js";
import {
  del,
  env,
  exec,
  execIn,
  exists,
  fill,
  get,
  http,
  list,
  loadFile,
  makeTree,
  type OpSpec,
  PRESET,
  rawFs,
  read,
  rule,
  run,
  type Tree,
  tempDir,
  write,
  writeFile,
} from "./helpers.js";

// ------------------------------------------------------------------ policies

const POLICIES = {
  base: `
inherits = "secure-defaults"
[filesystem]
read_allow = ["src/**", "docs/*.md", "*.txt", "data/**", "~/.config/myapp/settings.json", "/opt/aegis-shared/**"]
local_only_read = ["~/.config/myapp/token", "config/local/**"]
write_allow = ["src/**", "out/**", "data/**"]
delete_allow = ["out/**"]
deny = ["src/private/**", "data/*.db"]
[network]
http_get_allow = ["api.github.com", "*.npmjs.org", "allowed.com", "evil.example.com", "93.184.216.34", "2001:db8::1"]
http_post_allow = ["api.github.com"]
http_put_allow = ["put.example.com"]
http_patch_allow = ["patch.example.com"]
http_delete_allow = ["del.example.com"]
local_only_hosts = ["api.openai.com"]
deny_hosts = ["evil.example.com", "blocked.npmjs.org"]
deny_ips = ["203.0.113.0/24", "2001:db8:bad::/48"]
[environment]
allow_vars = ["PATH", "USER", "LC_*"]
local_only_vars = ["MYAPP_TOKEN"]
deny_vars = ["LC_SECRET"]
`,
  exec: `
inherits = "secure-defaults"
requires_approval = ["!subprocess.exec"]
[filesystem]
read_allow = ["**"]
local_only_read = ["config/local/**"]
[subprocess]
allow_commands = ["git", "make", "python3", "node", "ls", "cat", "cp", "find", "tar", "gcc", "npm",
  "/usr/bin/grep", "bash", "env", "sed", "awk", "xargs", "rm", "danger-tool"]
local_only_commands = ["myapp-cli"]
deny_commands = ["danger-tool"]
[subprocess.deny_args]
git = ["push --force", "reset --hard"]
[subprocess.requires_approval_args]
git = ["push"]
myapp-cli = ["--upload"]
`,
  netopen: `
inherits = "secure-defaults"
[network]
http_get_allow = ["*"]
http_post_allow = ["*"]
`,
  ports: `
[network]
http_get_allow = ["allowed.com"]
allow_ports = [8080]
`,
  empty: `version = "1"\n`,
  approve: `
requires_approval = ["fs.read", "fs.list", "fs.write", "net.http_get", "net.http_post", "env.read", "subprocess.exec"]
[filesystem]
read_allow = ["src/**"]
local_only_read = ["config/local/**"]
write_allow = ["out/**"]
deny = ["src/private/**"]
[network]
http_get_allow = ["allowed.com"]
http_put_allow = ["allowed.com"]
local_only_hosts = ["api.openai.com"]
[environment]
allow_vars = ["PATH"]
local_only_vars = ["MYAPP_TOKEN"]
[subprocess]
allow_commands = ["git"]
local_only_commands = ["myapp-cli"]
`,
  team: `
inherits = "secure-defaults"
[filesystem]
deny = ["vault/**", "archive/**"]
[network]
deny_hosts = ["internal.corp.example"]
[environment]
deny_vars = ["TEAM_SECRET"]
`,
  override: `
inherits = "./team.toml"
[filesystem]
read_allow = ["src/**"]
local_only_read = ["~/.netrc", "vault/**", ".env"]
[network]
local_only_hosts = ["internal.corp.example"]
[environment]
allow_vars = ["PATH"]
local_only_vars = ["OPENAI_API_KEY", "TEAM_SECRET", "MINE", "AWS_*"]
deny_vars = ["MINE"]
`,
  removal: `
inherits = "secure-defaults"
requires_approval = ["!fs.delete", "!subprocess.exec"]
[filesystem]
read_allow = ["~/.npmrc", "src/**"]
delete_allow = ["out/**"]
deny = ["!~/.npmrc"]
[subprocess]
allow_commands = ["rm"]
deny_commands = ["!rm"]
`,
  reserved: `
inherits = "secure-defaults"
[filesystem]
read_allow = ["src/**"]
write_allow = ["*.md"]
[environment]
allow_vars = ["AEGIS_*", "*"]
`,
} as const;

type PolicyName = keyof typeof POLICIES | "nopreset";

// ------------------------------------------------------------------ expectations

interface Expect {
  d: Verdict;
  /** Exact rule text ($FILE/$ROOT filled in), or a pattern where the fix may choose the entry. */
  rule: string | RegExp;
  sealed?: boolean;
  reason?: RegExp;
}
const allow = (r: string | RegExp, reason?: RegExp): Expect => ({
  d: "allow",
  rule: r,
  sealed: false,
  ...(reason ? { reason } : {}),
});
const deny = (r: string | RegExp, reason?: RegExp): Expect => ({
  d: "deny",
  rule: r,
  sealed: false,
  ...(reason ? { reason } : {}),
});
const local = (r: string): Expect => ({ d: "local_only", rule: r, sealed: true });
const confirm = (r: string, sealed: boolean): Expect => ({ d: "confirm", rule: r, sealed });

/** Rules from the preset, from the case's own policy file ($FILE), or from team.toml. */
const pre = (key: string, value: string) => rule(key, value, PRESET);
const own = (key: string, value: string) => rule(key, value, "$FILE");
const team = (key: string, value: string) => rule(key, value, "$ROOT/team.toml");
const dd = (key: string) => `default deny (${key})`;

const fsDeny = (v: string) => pre("filesystem.deny", v);
const ipDeny = (v: string) => pre("network.deny_ips", v);
const READ_DD = dd("filesystem.read_allow");
const WRITE_DD = dd("filesystem.write_allow");
const EXEC_DD = dd("subprocess.allow_commands");

interface Case {
  policy: PolicyName;
  name: string;
  op: OpSpec;
  expect: Expect;
  /** Set when the case fails today: what is wrong. */
  bug?: string;
}

const cases: Case[] = [];
function table(policy: PolicyName, rows: [string, OpSpec, Expect, string?][]): void {
  for (const [name, op, expect, bug] of rows)
    cases.push({ policy, name, op, expect, ...(bug ? { bug } : {}) });
}

// ------------------------------------------------------------------ filesystem

table("base", [
  [
    "read allowed by a root-relative ** pattern",
    read("src/a.ts"),
    allow(own("filesystem.read_allow", "src/**")),
  ],
  ["read deep under src/**", read("src/deep/x/y.ts"), allow(own("filesystem.read_allow", "src/**"))],
  ["list the src/** directory itself", list("src"), allow(own("filesystem.read_allow", "src/**"))],
  ["exists under src/**", exists("src/a.ts"), allow(own("filesystem.read_allow", "src/**"))],
  ["absolute path inside the root", read("$ROOT/src/a.ts"), allow(own("filesystem.read_allow", "src/**"))],
  [
    "own deny wins over read_allow",
    read("src/private/k.txt"),
    deny(own("filesystem.deny", "src/private/**")),
  ],
  [
    "deny covers the denied directory itself",
    list("src/private"),
    deny(own("filesystem.deny", "src/private/**")),
  ],
  ["deny is case-insensitive", read("src/PRIVATE/k.txt"), deny(own("filesystem.deny", "src/private/**"))],
  ["allow is case-sensitive", read("SRC/a.ts"), deny(READ_DD)],
  ["bare-name deny .env at the root", read(".env"), deny(fsDeny(".env"))],
  ["bare-name deny .env at any depth", read("src/deep/.env"), deny(fsDeny(".env"))],
  ["bare-name deny .env in another case", read("src/.ENV"), deny(fsDeny(".env"))],
  ["bare-name deny .env.* (dotfile variant)", read(".env.local"), deny(fsDeny(".env.*"))],
  ["*.pem deny under an allowed dir", read("src/server.pem"), deny(fsDeny("*.pem"))],
  ["*.pem deny ignores case", read("src/server.PEM"), deny(fsDeny("*.pem"))],
  ["*.key deny", read("src/tls/site.key"), deny(fsDeny("*.key"))],
  ["id_rsa* deny under an allowed dir", read("src/id_rsa.pub"), deny(fsDeny("id_rsa*"))],
  ["id_ed25519* deny", read("src/deep/id_ed25519"), deny(fsDeny("id_ed25519*"))],
  ["**/secrets/** deny under an allowed dir", read("src/secrets/s.txt"), deny(fsDeny("**/secrets/**"))],
  ["**/secrets/** also denies the directory", list("src/secrets"), deny(fsDeny("**/secrets/**"))],
  ["**/credentials/** deny", read("src/credentials/db.txt"), deny(fsDeny("**/credentials/**"))],
  [
    "**/secrets/** deny applies outside the root",
    read("/opt/aegis-shared/secrets/x"),
    deny(fsDeny("**/secrets/**")),
  ],
  ["~/.ssh/** deny", read("~/.ssh/id_rsa"), deny(fsDeny("~/.ssh/**"))],
  ["~/.ssh/** deny, other case", read("~/.SSH/config"), deny(fsDeny("~/.ssh/**"))],
  ["~/.ssh/** denies listing ~/.ssh", list("~/.ssh"), deny(fsDeny("~/.ssh/**"))],
  ["~/.ssh/** denies exists", exists("~/.ssh/known_hosts"), deny(fsDeny("~/.ssh/**"))],
  ["~/.aws/** deny", read("~/.aws/credentials"), deny(fsDeny("~/.aws/**"))],
  ["~/.aws/** deny through the absolute home path", read("$HOME/.aws/config"), deny(fsDeny("~/.aws/**"))],
  ["~/.netrc deny", read("~/.netrc"), deny(fsDeny("~/.netrc"))],
  ["~/.npmrc deny", read("~/.npmrc"), deny(fsDeny("~/.npmrc"))],
  ["~/.docker/config.json deny", read("~/.docker/config.json"), deny(fsDeny("~/.docker/config.json"))],
  ["~/.kube/config deny", read("~/.kube/config"), deny(fsDeny("~/.kube/config"))],
  ["~/.config/gh/** deny", read("~/.config/gh/hosts.yml"), deny(fsDeny("~/.config/gh/**"))],
  [
    "~ pattern allow",
    read("~/.config/myapp/settings.json"),
    allow(own("filesystem.read_allow", "~/.config/myapp/settings.json")),
  ],
  [
    "~ pattern local-only read is sealed",
    read("~/.config/myapp/token"),
    local(own("filesystem.local_only_read", "~/.config/myapp/token")),
  ],
  [
    "local-only read under the root is sealed",
    read("config/local/db.json"),
    local(own("filesystem.local_only_read", "config/local/**")),
  ],
  [
    "a case variant of a local-only path is sealed too (a case-insensitive mount must not read it in the clear)",
    read("CONFIG/Local/db.json"),
    local(own("filesystem.local_only_read", "config/local/**")),
  ],
  [
    "a case variant of a ~ local-only file is sealed too",
    read("~/.config/MYAPP/TOKEN"),
    local(own("filesystem.local_only_read", "~/.config/myapp/token")),
  ],
  [
    "listing a local-only dir is plain metadata",
    list("config/local"),
    allow(own("filesystem.local_only_read", "config/local/**")),
  ],
  [
    "exists on a local-only file is plain metadata",
    exists("~/.config/myapp/token"),
    allow(own("filesystem.local_only_read", "~/.config/myapp/token")),
  ],
  ["* does not cross directories", read("docs/sub/readme.md"), deny(READ_DD)],
  ["docs/*.md allows one level", read("docs/readme.md"), allow(own("filesystem.read_allow", "docs/*.md"))],
  ["bare-name allow at the root", read("notes.txt"), allow(own("filesystem.read_allow", "*.txt"))],
  ["bare-name allow at depth", read("docs/sub/notes.txt"), allow(own("filesystem.read_allow", "*.txt"))],
  ["bare-name allow is root-relative (not the sibling)", read("$BASE/proj-evil/notes.txt"), deny(READ_DD)],
  ["root prefix: /w/proj-evil is not /w/proj", read("$BASE/proj-evil/src/a.ts"), deny(READ_DD)],
  ["root prefix via ..", read("../proj-evil/src/a.ts"), deny(READ_DD)],
  ["..-escape from inside an allowed dir", read("src/../../proj-evil/src/a.ts"), deny(READ_DD)],
  ["..-escape to home", read("src/../../home/.ssh/id_rsa"), deny(fsDeny("~/.ssh/**"))],
  [
    "absolute allow pattern",
    read("/opt/aegis-shared/lib/x.so"),
    allow(own("filesystem.read_allow", "/opt/aegis-shared/**")),
  ],
  ["data/** allowed", read("data/x.csv"), allow(own("filesystem.read_allow", "data/**"))],
  ["data/*.db denied inside data/**", read("data/x.db"), deny(own("filesystem.deny", "data/*.db"))],
  ["data/*.db deny ignores case", read("data/X.DB"), deny(own("filesystem.deny", "data/*.db"))],
  ["/etc/shadow", read("/etc/shadow"), deny(fsDeny("/etc/shadow"))],
  ["/ETC/SHADOW (case variant)", read("/ETC/SHADOW"), deny(fsDeny("/etc/shadow"))],
  ["/etc/sudoers.d/**", read("/etc/sudoers.d/x"), deny(fsDeny("/etc/sudoers.d/**"))],
  ["/etc/passwd is simply not allowed", read("/etc/passwd"), deny(READ_DD)],
  ["/proc/self/environ (canonicalised to /proc/<pid>)", read("/proc/self/environ"), deny(fsDeny("/proc/**"))],
  [
    "/proc/self/root/etc/shadow resolves to /etc/shadow",
    read("/proc/self/root/etc/shadow"),
    deny(fsDeny("/etc/shadow")),
  ],
  ["/sys/**", read("/sys/kernel"), deny(fsDeny("/sys/**"))],
  ["/dev/**", read("/dev/null"), deny(fsDeny("/dev/**"))],
  ["symlink in the root to a denied file", read("ln-ssh"), deny(fsDeny("~/.ssh/**"))],
  ["symlinked parent directory to a denied dir", read("ln-aws/credentials"), deny(fsDeny("~/.aws/**"))],
  ["relative symlink inside the root", read("rel-src/a.ts"), allow(own("filesystem.read_allow", "src/**"))],
  [
    "dangling symlink is refused at canonicalisation",
    read("dl"),
    deny("path canonicalisation", /dangling symlink/),
  ],
  ["**/.aegis/** deny (aegis state)", read(".aegis/state.json"), deny(fsDeny("**/.aegis/**"))],
  [
    "audit log is reserved before any deny list",
    read(".aegis/audit.jsonl"),
    deny("reserved: audit log", /audit log/),
  ],
  [
    "audit log lock (path + '.') is reserved",
    read(".aegis/audit.jsonl.lock"),
    deny("reserved: audit log", /audit log/),
  ],
  ["audit log as a list target", list(".aegis/audit.jsonl"), deny("reserved: audit log", /audit log/)],
  [
    "default deny for an unlisted file in the root",
    read("script.py"),
    deny(READ_DD, /add a pattern to filesystem\.read_allow/),
  ],
  [
    "non-canonical path given to decide is refused",
    rawFs("fs.read", "$ROOT/src/../src/a.ts"),
    deny("invalid-path"),
  ],
  ["relative path given to decide is refused", rawFs("fs.read", "src/a.ts"), deny("invalid-path")],
  ["trailing slash given to decide is refused", rawFs("fs.read", "$ROOT/src/"), deny("invalid-path")],
  [
    "NUL in a path given to decide is refused",
    rawFs("fs.read", "$ROOT/src/a.ts\0.txt"),
    deny("invalid-path"),
  ],
  ["NUL at canonicalisation", read("src/a.ts\0"), deny("path canonicalisation", /NUL/)],
  // fs.write
  ["write allowed", write("src/new.ts"), allow(own("filesystem.write_allow", "src/**"))],
  ["write a new file under out/**", write("out/report.json"), allow(own("filesystem.write_allow", "out/**"))],
  ["write not allowed where only read is", write("docs/readme.md"), deny(WRITE_DD)],
  ["write to a not-yet-existing protected file", write("src/.env"), deny(fsDeny(".env"))],
  ["write into a denied dir", write("src/private/new.txt"), deny(own("filesystem.deny", "src/private/**"))],
  ["write through a symlinked dir into ~/.ssh", write("outlink/authorized_keys"), deny(fsDeny("~/.ssh/**"))],
  ["write through a dangling symlink", write("dl"), deny("path canonicalisation", /dangling symlink/)],
  ["write below a dangling symlink", write("dl/sub/file"), deny("path canonicalisation", /dangling symlink/)],
  ["write the policy file", write("base.toml"), deny("reserved: policy file", /policy file/)],
  ["write the audit log", write(".aegis/audit.jsonl"), deny("reserved: audit log", /audit log/)],
  ["write ~/.bashrc", write("~/.bashrc"), deny(WRITE_DD)],
  [
    "write data/*.db (deny wins over write_allow)",
    write("data/new.db"),
    deny(own("filesystem.deny", "data/*.db")),
  ],
  ["write a .pem under src", write("src/new.pem"), deny(fsDeny("*.pem"))],
  // fs.delete
  [
    "delete allowed needs confirmation (preset requires_approval)",
    del("out/old.log"),
    confirm(pre("requires_approval", "fs.delete"), false),
  ],
  ["delete where only write is allowed", del("src/a.ts"), deny(dd("filesystem.delete_allow"))],
  ["delete the policy file", del("base.toml"), deny("reserved: policy file")],
  ["delete the audit log", del(".aegis/audit.jsonl"), deny("reserved: audit log")],
  ["delete a denied file", del("src/private/k.txt"), deny(own("filesystem.deny", "src/private/**"))],
  // fs.list / fs.exists
  ["list /", list("/"), deny(READ_DD)],
  ["list the root itself", list("."), deny(READ_DD)],
  ["list home", list("~"), deny(READ_DD)],
  ["exists on an unlisted system file", exists("/etc/hostname"), deny(READ_DD)],
  ["exists on ~/.aws/credentials", exists("~/.aws/credentials"), deny(fsDeny("~/.aws/**"))],
]);

table("reserved", [
  [
    "write the policy file (reserved, though write_allow is *.md)",
    write("reserved.toml"),
    deny("reserved: policy file"),
  ],
  ["write a .md file", write("docs/readme.md"), allow(own("filesystem.write_allow", "*.md"))],
  ["read the policy file itself is not reserved (only write/delete)", read("reserved.toml"), deny(READ_DD)],
  ["custom audit log path is reserved", read("logs/audit.jsonl"), deny("reserved: audit log")],
  ["custom audit log rotation (path + '.1')", read("logs/audit.jsonl.1"), deny("reserved: audit log")],
  ["custom audit log as a write target", write("logs/audit.jsonl"), deny("reserved: audit log")],
  ["a sibling of the audit log is not reserved", read("logs/audit.jsonlx"), deny(READ_DD)],
  [
    "AEGIS_* is denied even when allow_vars lists it",
    env("AEGIS_AUDIT_LOG"),
    deny("reserved: AEGIS_*", /configures aegis/),
  ],
  ["aegis_* in lower case", env("aegis_policy"), deny("reserved: AEGIS_*")],
  ["* allows other variables", env("SOME_VAR"), allow(own("environment.allow_vars", "*"))],
  ["preset deny wins over allow *", env("GITHUB_TOKEN"), deny(pre("environment.deny_vars", "GITHUB_TOKEN"))],
]);

table("override", [
  ["write an inherited policy file of the chain", write("team.toml"), deny("reserved: policy file")],
  ["delete an inherited policy file of the chain", del("team.toml"), deny("reserved: policy file")],
]);

// ------------------------------------------------------------------ network

table("base", [
  [
    "GET allowed host",
    get("https://api.github.com/repos"),
    allow(own("network.http_get_allow", "api.github.com")),
  ],
  [
    "GET host in upper case",
    get("https://API.GitHub.COM/"),
    allow(own("network.http_get_allow", "api.github.com")),
  ],
  [
    "GET host with a trailing dot",
    get("https://api.github.com./x"),
    allow(own("network.http_get_allow", "api.github.com")),
  ],
  [
    "POST allowed host",
    http("POST", "https://api.github.com/x"),
    allow(own("network.http_post_allow", "api.github.com")),
  ],
  ["PUT to a GET-only host", http("PUT", "https://api.github.com/x"), deny(dd("network.http_put_allow"))],
  [
    "PUT allowed host",
    http("PUT", "https://put.example.com/"),
    allow(own("network.http_put_allow", "put.example.com")),
  ],
  [
    "PATCH allowed host",
    http("PATCH", "https://patch.example.com/"),
    allow(own("network.http_patch_allow", "patch.example.com")),
  ],
  ["PATCH to the PUT host", http("PATCH", "https://put.example.com/"), deny(dd("network.http_patch_allow"))],
  [
    "DELETE allowed host",
    http("DELETE", "https://del.example.com/"),
    allow(own("network.http_delete_allow", "del.example.com")),
  ],
  ["DELETE to a GET host", http("DELETE", "https://allowed.com/"), deny(dd("network.http_delete_allow"))],
  ["POST to a GET host", http("POST", "https://allowed.com/"), deny(dd("network.http_post_allow"))],
  [
    "lower-case method is accepted",
    http("get", "https://allowed.com/"),
    allow(own("network.http_get_allow", "allowed.com")),
  ],
  ["unsupported method", http("TRACE", "https://allowed.com/"), deny("invalid-method")],
  [
    "*.npmjs.org matches a subdomain",
    get("https://registry.npmjs.org/x"),
    allow(own("network.http_get_allow", "*.npmjs.org")),
  ],
  [
    "*.npmjs.org matches a deeper subdomain",
    get("https://a.b.npmjs.org/"),
    allow(own("network.http_get_allow", "*.npmjs.org")),
  ],
  ["*.npmjs.org does not match the apex", get("https://npmjs.org/"), deny(dd("network.http_get_allow"))],
  [
    "*.npmjs.org does not match evilnpmjs.org",
    get("https://evilnpmjs.org/"),
    deny(dd("network.http_get_allow")),
  ],
  [
    "deny_hosts wins over *.npmjs.org",
    get("https://blocked.npmjs.org/"),
    deny(own("network.deny_hosts", "blocked.npmjs.org")),
  ],
  [
    "deny_hosts wins over an exact allow",
    get("https://evil.example.com/"),
    deny(own("network.deny_hosts", "evil.example.com")),
  ],
  [
    "deny_hosts ignores case and trailing dot",
    get("https://EVIL.example.com./"),
    deny(own("network.deny_hosts", "evil.example.com")),
  ],
  [
    "look-alike allowed.com.evil.com",
    get("https://allowed.com.evil.com/"),
    deny(dd("network.http_get_allow")),
  ],
  ["userinfo allowed.com@evil.com", get("https://allowed.com@evil.com/"), deny("userinfo", /userinfo/)],
  ["userinfo on an allowed host is still refused", get("https://user:pw@allowed.com/"), deny("userinfo")],
  ["userinfo with a port-looking user", get("http://allowed.com:443@evil.com/"), deny("userinfo")],
  [
    "backslash: WHATWG reads allowed.com\\@evil.com as host allowed.com",
    get("http://allowed.com\\@evil.com/"),
    allow(own("network.http_get_allow", "allowed.com")),
  ],
  [
    "backslash: evil.com\\allowed.com is host evil.com",
    get("http://evil.com\\allowed.com/"),
    deny(dd("network.http_get_allow")),
  ],
  [
    "fragment after an allowed host",
    get("http://allowed.com#@evil.com"),
    allow(own("network.http_get_allow", "allowed.com")),
  ],
  ["fragment naming an allowed host", get("http://evil.com#allowed.com"), deny(dd("network.http_get_allow"))],
  [
    "percent-encoded dot in the host",
    get("http://allowed.com%2eevil.com/"),
    deny(dd("network.http_get_allow")),
  ],
  ["non-default port", get("https://allowed.com:8443/"), deny("network.allow_ports", /port 8443/)],
  [
    "explicit default port 443 over http",
    get("http://allowed.com:443/"),
    allow(own("network.http_get_allow", "allowed.com")),
  ],
  ["port 22", get("http://allowed.com:22/"), deny("network.allow_ports")],
  ["file: scheme", get("file:///etc/passwd"), deny("scheme", /only http and https/)],
  ["ftp: scheme", get("ftp://allowed.com/x"), deny("scheme")],
  ["data: scheme", get("data:text/plain,hello"), deny("scheme")],
  ["ws: scheme", get("ws://allowed.com/"), deny("scheme")],
  ["gopher: scheme", get("gopher://allowed.com:70/"), deny("scheme")],
  ["not a URL", get("allowed.com/path"), deny("invalid-url")],
  [
    "IP literal allowed by an IP host pattern",
    get("http://93.184.216.34/"),
    allow(own("network.http_get_allow", "93.184.216.34")),
  ],
  [
    "IPv6 literal allowed by an IP host pattern",
    get("http://[2001:db8::1]/"),
    allow(own("network.http_get_allow", "2001:db8::1")),
  ],
  [
    "IPv6 literal in another spelling",
    get("http://[2001:0db8:0:0:0:0:0:1]/"),
    allow(own("network.http_get_allow", "2001:db8::1")),
  ],
  ["own deny_ips CIDR", get("http://203.0.113.7/"), deny(own("network.deny_ips", "203.0.113.0/24"))],
  [
    "own IPv6 deny_ips CIDR",
    get("http://[2001:db8:bad::5]/"),
    deny(own("network.deny_ips", "2001:db8:bad::/48")),
  ],
  [
    "resolved to a good address",
    get("https://allowed.com/", ["93.184.216.34"]),
    allow(own("network.http_get_allow", "allowed.com")),
  ],
  [
    "one good and one loopback address",
    get("https://allowed.com/", ["93.184.216.34", "127.0.0.1"]),
    deny(ipDeny("127.0.0.0/8"), /resolves to\) 127\.0\.0\.1/),
  ],
  [
    "one bad then one good address",
    get("https://allowed.com/", ["10.0.0.5", "93.184.216.34"]),
    deny(ipDeny("10.0.0.0/8")),
  ],
  [
    "resolved to the metadata address",
    get("https://allowed.com/", ["169.254.169.254"]),
    deny(ipDeny("169.254.0.0/16")),
  ],
  [
    "resolved to an IPv4-mapped metadata address",
    get("https://allowed.com/", ["::ffff:169.254.169.254"]),
    deny(ipDeny("169.254.0.0/16")),
  ],
  [
    "resolved to an own-denied address",
    get("https://allowed.com/", ["203.0.113.9"]),
    deny(own("network.deny_ips", "203.0.113.0/24")),
  ],
  [
    "resolver answer that is not an address",
    get("https://allowed.com/", ["localhost"]),
    deny("invalid-address"),
  ],
  [
    "resolver answer in a non-canonical IPv4 form",
    get("https://allowed.com/", ["127.1"]),
    deny("invalid-address"),
  ],
  [
    "empty resolver answer: only name rules",
    get("https://allowed.com/", []),
    allow(own("network.http_get_allow", "allowed.com")),
  ],
  [
    "local-only host GET is sealed",
    get("https://api.openai.com/v1/models"),
    local(own("network.local_only_hosts", "api.openai.com")),
  ],
  [
    "local-only host with every verb",
    http("DELETE", "https://api.openai.com/v1/x"),
    local(own("network.local_only_hosts", "api.openai.com")),
  ],
  [
    "local-only host still checked against deny_ips",
    get("https://api.openai.com/", ["10.1.1.1"]),
    deny(ipDeny("10.0.0.0/8")),
  ],
]);

table("netopen", [
  ["* allows a public host", get("https://example.com/"), allow(own("network.http_get_allow", "*"))],
  ["127.1", get("http://127.1/"), deny(ipDeny("127.0.0.0/8"))],
  ["0x7f000001", get("http://0x7f000001/"), deny(ipDeny("127.0.0.0/8"))],
  ["2130706433", get("http://2130706433/"), deny(ipDeny("127.0.0.0/8"))],
  ["0177.0.0.1", get("http://0177.0.0.1/"), deny(ipDeny("127.0.0.0/8"))],
  ["0x7f.1", get("http://0x7f.1/"), deny(ipDeny("127.0.0.0/8"))],
  ["127.0.0.1 with a trailing dot", get("http://127.0.0.1./"), deny(ipDeny("127.0.0.0/8"))],
  ["0.0.0.0", get("http://0.0.0.0/"), deny(ipDeny("0.0.0.0/8"))],
  ["0", get("http://0/"), deny(ipDeny("0.0.0.0/8"))],
  ["[::]", get("http://[::]/"), deny(ipDeny("::/128"))],
  ["[::1]", get("http://[::1]/"), deny(ipDeny("::1/128"))],
  ["[::ffff:127.0.0.1]", get("http://[::ffff:127.0.0.1]/"), deny(ipDeny("127.0.0.0/8"))],
  ["[::ffff:7f00:1]", get("http://[::ffff:7f00:1]/"), deny(ipDeny("127.0.0.0/8"))],
  ["[::127.0.0.1] (IPv4-compatible)", get("http://[::127.0.0.1]/"), deny(ipDeny("127.0.0.0/8"))],
  ["[64:ff9b::a9fe:a9fe] (NAT64)", get("http://[64:ff9b::a9fe:a9fe]/"), deny(ipDeny("169.254.0.0/16"))],
  ["[2002:a9fe:a9fe::] (6to4)", get("http://[2002:a9fe:a9fe::]/"), deny(ipDeny("169.254.0.0/16"))],
  ["[::ffff:a9fe:a9fe]", get("http://[::ffff:a9fe:a9fe]/"), deny(ipDeny("169.254.0.0/16"))],
  [
    "[::ffff:0:7f00:1] (SIIT IPv4-translated loopback, RFC 2765)",
    get("http://[::ffff:0:7f00:1]/"),
    deny(ipDeny("127.0.0.0/8")),
  ],
  [
    "[::ffff:0:169.254.169.254] (SIIT IPv4-translated metadata)",
    get("http://[::ffff:0:169.254.169.254]/"),
    deny(ipDeny("169.254.0.0/16")),
  ],
  [
    "a name resolving to a SIIT-translated RFC 1918 address",
    get("http://n.example/", ["::ffff:0:a00:1"]),
    deny(ipDeny("10.0.0.0/8")),
  ],
  [
    "[::ffff:0:5db8:d822] (SIIT of a public address) stays allowed",
    get("http://[::ffff:0:5db8:d822]/"),
    allow(own("network.http_get_allow", "*")),
  ],
  ["169.254.169.254", get("http://169.254.169.254/latest/meta-data/"), deny(ipDeny("169.254.0.0/16"))],
  ["2852039166", get("http://2852039166/"), deny(ipDeny("169.254.0.0/16"))],
  [
    "metadata.google.internal",
    get("http://metadata.google.internal/"),
    deny(pre("network.deny_hosts", "metadata.google.internal")),
  ],
  [
    "METADATA.google.internal.",
    get("http://METADATA.google.internal./"),
    deny(pre("network.deny_hosts", "metadata.google.internal")),
  ],
  ["100.64.0.1 (CGNAT)", get("http://100.64.0.1/"), deny(ipDeny("100.64.0.0/10"))],
  ["[fd00::1] (ULA)", get("http://[fd00::1]/"), deny(ipDeny("fc00::/7"))],
  ["[fd00:ec2::254] (AWS IMDS over IPv6)", get("http://[fd00:ec2::254]/latest/"), deny(ipDeny("fc00::/7"))],
  ["100.100.100.200 (Alibaba metadata)", get("http://100.100.100.200/"), deny(ipDeny("100.64.0.0/10"))],
  ["192.0.0.192 (Oracle metadata)", get("http://192.0.0.192/"), deny(ipDeny("192.0.0.0/24"))],
  ["[fe80::1] (link-local)", get("http://[fe80::1]/"), deny(ipDeny("fe80::/10"))],
  ["10.1.2.3", get("http://10.1.2.3/"), deny(ipDeny("10.0.0.0/8"))],
  ["172.16.0.1", get("http://172.16.0.1/"), deny(ipDeny("172.16.0.0/12"))],
  ["192.168.1.1", get("http://192.168.1.1/"), deny(ipDeny("192.168.0.0/16"))],
  ["localhost", get("http://localhost/"), deny(pre("network.deny_hosts", "localhost"))],
  ["LOCALHOST.", get("http://LOCALHOST./"), deny(pre("network.deny_hosts", "localhost"))],
  ["*.localhost", get("http://app.localhost/"), deny(pre("network.deny_hosts", "*.localhost"))],
  ["POST to 127.1", http("POST", "http://127.1/"), deny(ipDeny("127.0.0.0/8"))],
  ["a name resolving to loopback", get("http://rebind.example/", ["127.0.0.1"]), deny(ipDeny("127.0.0.0/8"))],
  [
    "a name resolving to NAT64 metadata",
    get("http://n.example/", ["64:ff9b::a9fe:a9fe"]),
    deny(ipDeny("169.254.0.0/16")),
  ],
  [
    "a name resolving to a public address",
    get("http://n.example/", ["93.184.216.34", "2606:2800:220:1::1"]),
    allow(own("network.http_get_allow", "*")),
  ],
  [
    "PUT is not granted by GET/POST *",
    http("PUT", "http://example.com/"),
    deny(dd("network.http_put_allow")),
  ],
]);

table("ports", [
  [
    "allow_ports replaces the default",
    get("http://allowed.com:8080/"),
    allow(own("network.http_get_allow", "allowed.com")),
  ],
  ["port 80 no longer allowed", get("http://allowed.com/"), deny("network.allow_ports", /port 80 /)],
  ["port 443 no longer allowed", get("https://allowed.com/"), deny("network.allow_ports")],
  ["allowed port, unlisted host", get("http://other.com:8080/"), deny(dd("network.http_get_allow"))],
]);

// ------------------------------------------------------------------ environment

table("base", [
  ["allowed variable", env("PATH"), allow(own("environment.allow_vars", "PATH"))],
  ["allow is case-sensitive", env("path"), deny(dd("environment.allow_vars"))],
  ["wildcard allow", env("LC_ALL"), allow(own("environment.allow_vars", "LC_*"))],
  ["own deny wins over a wildcard allow", env("LC_SECRET"), deny(own("environment.deny_vars", "LC_SECRET"))],
  ["deny is case-insensitive", env("lc_secret"), deny(own("environment.deny_vars", "LC_SECRET"))],
  [
    "local-only variable is sealed",
    env("MYAPP_TOKEN"),
    local(own("environment.local_only_vars", "MYAPP_TOKEN")),
  ],
  [
    "preset AWS secret",
    env("AWS_SECRET_ACCESS_KEY"),
    deny(pre("environment.deny_vars", "AWS_SECRET_ACCESS_KEY")),
  ],
  [
    "preset AWS secret in lower case",
    env("aws_secret_access_key"),
    deny(pre("environment.deny_vars", "AWS_SECRET_ACCESS_KEY")),
  ],
  ["preset OPENAI_API_KEY", env("OPENAI_API_KEY"), deny(pre("environment.deny_vars", "OPENAI_API_KEY"))],
  ["preset GITHUB_TOKEN", env("GITHUB_TOKEN"), deny(pre("environment.deny_vars", "GITHUB_TOKEN"))],
  ["preset DATABASE_URL", env("DATABASE_URL"), deny(pre("environment.deny_vars", "DATABASE_URL"))],
  ["AEGIS_* reserved", env("AEGIS_POLICY"), deny("reserved: AEGIS_*")],
  ["unlisted variable", env("HOME"), deny(dd("environment.allow_vars"), /local_only_vars for a secret/)],
  ["name with '='", env("PATH=x"), deny("invalid-name")],
  ["empty name", env(""), deny("invalid-name")],
]);

// ------------------------------------------------------------------ subprocess

const CAT = own("subprocess.allow_commands", "cat");
const GIT = own("subprocess.allow_commands", "git");
const argDeny = (cmd: string, v: string) => pre(`subprocess.deny_args.${cmd}`, v);
const cmdDeny = (v: string) => pre("subprocess.deny_commands", v);

table("exec", [
  ["allowed bare command", exec("git", "status"), allow(GIT)],
  ["shell listed in allow_commands is still denied", exec("bash", "-c", "id"), deny(cmdDeny("bash"))],
  ["shell by absolute path", exec("/bin/bash", "-c", "id"), deny(cmdDeny("bash"))],
  ["shell in upper case", exec("BASH", "-c", "id"), deny(cmdDeny("bash"))],
  ["shell with a version suffix", exec("bash5.2", "-c", "id"), deny(cmdDeny("bash"))],
  ["sh", exec("sh", "-c", "id"), deny(cmdDeny("sh"))],
  ["zsh by path", exec("/usr/bin/zsh"), deny(cmdDeny("zsh"))],
  ["python3 -c", exec("python3", "-c", "print(1)"), deny(argDeny("python", "-c"))],
  ["python3 -Ic (clustered flag)", exec("python3", "-Ic", "print(1)"), deny(argDeny("python", "-c"))],
  ["python3 -cprint(1) (attached code)", exec("python3", "-cprint(1)"), deny(argDeny("python", "-c"))],
  ["python3.11 -c (versioned name)", exec("python3.11", "-c", "x"), deny(argDeny("python", "-c"))],
  ["/usr/bin/python3 -c", exec("/usr/bin/python3", "-c", "x"), deny(argDeny("python", "-c"))],
  ["python3 script.py", exec("python3", "script.py"), allow(own("subprocess.allow_commands", "python3"))],
  ["node -e", exec("node", "-e", "process.exit(1)"), deny(argDeny("node", "-e"))],
  ["node --eval=", exec("node", "--eval=1"), deny(argDeny("node", "--eval"))],
  ["node -pe (cluster)", exec("node", "-pe", "1"), deny(argDeny("node", "-e"))],
  ["node --print", exec("node", "--print", "1"), deny(argDeny("node", "--print"))],
  ["node app.js", exec("node", "app.js"), allow(own("subprocess.allow_commands", "node"))],
  [
    "node --import=data: URL (inline code by another flag)",
    exec("node", "--import=data:text/javascript,process.exit(1)", "app.js"),
    deny(/^subprocess\.deny_args\.node /),
    "preset gap: node runs inline code from --import/--loader/-r data: URLs",
  ],
  [
    "git -c core.sshCommand=…",
    exec("git", "-c", "core.sshCommand=touch /tmp/pwn", "fetch"),
    deny(argDeny("git", "-c")),
  ],
  ["git -c core.pager=…", exec("git", "-c", "core.pager=sh -c id", "log"), deny(argDeny("git", "-c"))],
  ["git -ccore.pager=… (attached)", exec("git", "-ccore.pager=id", "log"), deny(argDeny("git", "-c"))],
  [
    "git --upload-pack=…",
    exec("git", "fetch", "--upload-pack=touch /tmp/x", "origin"),
    deny(argDeny("git", "--upload-pack")),
  ],
  [
    "git --upload-pack …",
    exec("git", "clone", "--upload-pack", "id", "src"),
    deny(argDeny("git", "--upload-pack")),
  ],
  [
    "git --config-env",
    exec("git", "--config-env=core.pager=EVIL", "log"),
    deny(argDeny("git", "--config-env")),
  ],
  ["git --exec-path", exec("git", "--exec-path=src", "status"), deny(argDeny("git", "--exec-path"))],
  [
    "git submodule foreach",
    exec("git", "submodule", "foreach", "id"),
    deny(argDeny("git", "submodule foreach")),
  ],
  ["git difftool --extcmd", exec("git", "difftool", "--extcmd=id"), deny(argDeny("git", "--extcmd"))],
  [
    "git -C /elsewhere (path outside the tree)",
    exec("git", "-C", "/elsewhere", "status"),
    deny(READ_DD, /"\/elsewhere"/),
  ],
  ["git -C .. (parent of the root)", exec("git", "-C", "..", "status"), deny(READ_DD)],
  ["git -C/elsewhere (attached)", exec("git", "-C/elsewhere", "status"), deny(READ_DD)],
  [
    "git --git-dir=../proj-evil/.git (a repository elsewhere, or one the script planted)",
    exec("git", "--git-dir=../proj-evil/.git", "log"),
    deny(pre("subprocess.deny_args.git", "--git-dir")),
  ],
  [
    "git --work-tree=out (planted repository)",
    exec("git", "--work-tree=out", "status"),
    deny(pre("subprocess.deny_args.git", "--work-tree")),
  ],
  [
    "uv run bash (environment manager running any command)",
    exec("uv", "run", "bash", "-c", "id"),
    deny(pre("subprocess.deny_args.uv", "run")),
  ],
  ["poetry run sh", exec("poetry", "run", "sh"), deny(pre("subprocess.deny_args.poetry", "run"))],
  ["uvx (runs a fetched package, like npx)", exec("uvx", "cowsay"), deny(cmdDeny("uvx"))],
  ["sqlite3 (.shell from stdin)", exec("sqlite3", "db.sqlite"), deny(cmdDeny("sqlite3"))],
  ["ed (!cmd from stdin)", exec("ed", "notes.txt"), deny(cmdDeny("ed"))],
  [
    "node --run (package.json script by name)",
    exec("node", "--run", "build"),
    deny(pre("subprocess.deny_args.node", "--run")),
  ],
  [
    "git push --force (own deny_args)",
    exec("git", "push", "--force"),
    deny(own("subprocess.deny_args.git", "push --force")),
  ],
  [
    "git push origin --force (words in order)",
    exec("git", "push", "origin", "--force"),
    deny(own("subprocess.deny_args.git", "push --force")),
  ],
  [
    "git reset --hard",
    exec("git", "reset", "--hard", "HEAD~1"),
    deny(own("subprocess.deny_args.git", "reset --hard")),
  ],
  [
    "git push needs confirmation",
    exec("git", "push", "origin", "main"),
    confirm(own("subprocess.requires_approval_args.git", "push"), false),
  ],
  ["git log is fine", exec("git", "log", "--oneline"), allow(GIT)],
  ["find -exec", exec("find", ".", "-exec", "rm", "{}", ";"), deny(argDeny("find", "-exec"))],
  ["find -execdir", exec("find", ".", "-execdir", "id", ";"), deny(argDeny("find", "-execdir"))],
  ["find -delete", exec("find", "src", "-name", "x", "-delete"), deny(argDeny("find", "-delete"))],
  [
    "find -fprint0 (writes a file like the denied -fprint)",
    exec("find", "src", "-fprint0", "out"),
    deny(/^subprocess\.deny_args\.find "-fprint/),
    "preset gap: one-word patterns now match whole arguments, and -fprint0 is not listed",
  ],
  ["find -name", exec("find", "src", "-name", "*.ts"), allow(own("subprocess.allow_commands", "find"))],
  [
    "tar --checkpoint-action",
    exec("tar", "-cf", "x.tar", "--checkpoint=1", "--checkpoint-action=exec=id", "src"),
    deny(argDeny("tar", "--checkpoint-action")),
  ],
  ["tar --to-command", exec("tar", "-xf", "x.tar", "--to-command=id"), deny(argDeny("tar", "--to-command"))],
  ["tar -I (clustered)", exec("tar", "-cIid", "-f", "x.tar", "src"), deny(argDeny("tar", "-I"))],
  ["tar -cf", exec("tar", "-cf", "out.tar", "src"), allow(own("subprocess.allow_commands", "tar"))],
  [
    "tar --checkpoint-act= (getopt abbreviation)",
    exec("tar", "-cf", "x.tar", "--checkpoint=1", "--checkpoint-act=exec=id", "src"),
    deny(argDeny("tar", "--checkpoint-action")),
    "deny_args --long patterns miss GNU getopt_long abbreviations",
  ],
  [
    "git fetch --upload-pa= (parse-options abbreviation)",
    exec("git", "fetch", "--upload-pa=touch /tmp/x", "origin"),
    deny(argDeny("git", "--upload-pack")),
    "deny_args --long patterns miss abbreviations",
  ],
  [
    "make --ev= (getopt abbreviation of --eval)",
    exec("make", "--ev=$(shell id)"),
    deny(argDeny("make", "--eval")),
    "deny_args --long patterns miss abbreviations",
  ],
  ["make --eval", exec("make", "--eval=$(shell id)"), deny(argDeny("make", "--eval"))],
  ["sed (e command runs a shell)", exec("sed", "-n", "1e id", "src/a.ts"), deny(cmdDeny("sed"))],
  ["awk system()", exec("awk", 'BEGIN{system("id")}'), deny(cmdDeny("awk"))],
  ["gawk", exec("gawk", "BEGIN{}"), deny(cmdDeny("gawk"))],
  ["xargs", exec("xargs", "rm"), deny(cmdDeny("xargs"))],
  ["env", exec("env", "FOO=1", "git", "status"), deny(cmdDeny("env"))],
  ["/usr/bin/env", exec("/usr/bin/env", "sh"), deny(cmdDeny("env"))],
  ["rm", exec("rm", "-rf", "src"), deny(cmdDeny("rm"))],
  ["curl", exec("curl", "https://example.com"), deny(cmdDeny("curl"))],
  ["sudo", exec("sudo", "git", "status"), deny(cmdDeny("sudo"))],
  [
    "own deny_commands beats own allow_commands",
    exec("danger-tool"),
    deny(own("subprocess.deny_commands", "danger-tool")),
  ],
  [
    "npm exec (the npx it replaces is denied)",
    exec("npm", "exec", "-c", "id"),
    deny(/^subprocess\.deny_(args\.npm|commands) /),
    "preset gap: npm exec / npm x run arbitrary commands like the denied npx",
  ],
  ["planted ./git", exec("./git", "status"), deny(EXEC_DD, /exact path/)],
  ["/usr/bin/git not listed by path", exec("/usr/bin/git", "status"), deny(EXEC_DD)],
  ["$ROOT/git absolute planted binary", exec("$ROOT/git", "status"), deny(EXEC_DD)],
  [
    "exact path entry",
    exec("/usr/bin/grep", "x", "src"),
    allow(own("subprocess.allow_commands", "/usr/bin/grep")),
  ],
  ["bare name does not match a path entry", exec("grep", "x", "src"), deny(EXEC_DD)],
  ["allow is case-sensitive", exec("GIT", "status"), deny(EXEC_DD)],
  ["unlisted command", exec("perl", "x.pl"), deny(EXEC_DD, /add "perl" to subprocess\.allow_commands/)],
  ["argv path to a denied file", exec("cat", "~/.ssh/id_rsa"), deny(fsDeny("~/.ssh/**"))],
  ["argv absolute path to a denied file", exec("cat", "$HOME/.aws/credentials"), deny(fsDeny("~/.aws/**"))],
  ["argv path outside the tree", exec("cat", "/etc/passwd"), deny(READ_DD)],
  ["argv path to a sibling tree", exec("cat", "../proj-evil/src/a.ts"), deny(READ_DD)],
  [
    "argv path attached to a short option",
    exec("gcc", "-o/etc/passwd", "src/a.c"),
    deny(READ_DD, /\/etc\/passwd/),
  ],
  ["argv path in --opt=", exec("cat", "--file=/etc/passwd"), deny(READ_DD)],
  ["argv file:// URL", exec("cat", "file:///etc/passwd"), deny(READ_DD)],
  ["argv dotfile", exec("cat", ".env"), deny(fsDeny(".env"))],
  ["argv bare word naming an existing denied file", exec("cat", "ln-ssh"), deny(fsDeny("~/.ssh/**"))],
  ["argv path through a symlinked dir", exec("cat", "ln-aws/config"), deny(fsDeny("~/.aws/**"))],
  ["argv VAR=/path", exec("make", "CC=/etc/passwd"), deny(READ_DD)],
  ["argv audit log", exec("cat", ".aegis/audit.jsonl"), deny("reserved: audit log")],
  ["argv readable path", exec("cat", "src/a.ts"), allow(CAT)],
  [
    "argv local-only path to a normal command",
    exec("cat", "config/local/db.json"),
    deny(own("filesystem.local_only_read", "config/local/**"), /local_only_commands/),
  ],
  [
    "argv local-only path to a local-only command",
    exec("myapp-cli", "config/local/db.json"),
    local(own("subprocess.local_only_commands", "myapp-cli")),
  ],
  [
    "local-only command with requires_approval_args keeps sealed",
    exec("myapp-cli", "--upload", "x"),
    confirm(own("subprocess.requires_approval_args.myapp-cli", "--upload"), true),
  ],
  ["argv dangling symlink (./dl)", exec("cat", "./dl"), deny("path canonicalisation", /dangling/)],
  ["cwd outside the tree", execIn("/", "ls"), deny(READ_DD, /working directory/)],
  ["cwd in a denied dir", execIn("~/.ssh", "ls"), deny(fsDeny("~/.ssh/**"))],
  ["relative argv resolves against cwd", execIn("src", "cat", "../../home/.netrc"), deny(fsDeny("~/.netrc"))],
  [
    "lexical fallback without host pathArgs",
    { kind: "exec", argv: ["cat", "~/.aws/config"], lexical: true },
    deny(fsDeny("~/.aws/**")),
  ],
  [
    "argv ln-cli/../config: the kernel resolves .. after the symlink (~/.aws/config)",
    exec("cat", "ln-cli/../config"),
    deny(fsDeny("~/.aws/**")),
    "canonicalisation resolves .. lexically before symlinks; the child process opens the physical path",
  ],
  [
    "argv bare word that is a dangling symlink (tar -cf dl creates its target)",
    exec("tar", "-cf", "dl", "src"),
    deny("path canonicalisation", /dangling/),
    "argvPathArgs uses existsSync, which is false for a dangling symlink, so the bare word is never checked",
  ],
  [
    "argv @response-file naming a denied file",
    exec("gcc", "@$HOME/.netrc"),
    deny(fsDeny("~/.netrc")),
    "pathCandidates only looks after '=' or a dash option; '@/path' is resolved as <root>/@/path",
  ],
  [
    "argv tar -C.. (attached relative dir)",
    exec("tar", "-C..", "-cf", "out.tar", "proj-evil"),
    deny(READ_DD),
    "pathCandidates does not see '..' glued to a short option",
  ],
]);

// ------------------------------------------------------------------ confirmation

table("approve", [
  ["fs.read needs confirmation", read("src/a.ts"), confirm(own("requires_approval", "fs.read"), false)],
  [
    "fs.read of a local-only file confirms sealed",
    read("config/local/db.json"),
    confirm(own("requires_approval", "fs.read"), true),
  ],
  [
    "fs.list of a local-only dir confirms unsealed",
    list("config/local"),
    confirm(own("requires_approval", "fs.list"), false),
  ],
  [
    "fs.read deny is not turned into confirm",
    read("src/private/k.txt"),
    deny(own("filesystem.deny", "src/private/**")),
  ],
  ["fs.read default deny is not turned into confirm", read("docs/readme.md"), deny(READ_DD)],
  ["fs.exists is not listed: plain allow", exists("src/a.ts"), allow(own("filesystem.read_allow", "src/**"))],
  ["fs.write confirm", write("out/x"), confirm(own("requires_approval", "fs.write"), false)],
  [
    "net.http_get confirm",
    get("https://allowed.com/"),
    confirm(own("requires_approval", "net.http_get"), false),
  ],
  [
    "net.http_get to a local-only host confirms sealed",
    get("https://api.openai.com/"),
    confirm(own("requires_approval", "net.http_get"), true),
  ],
  [
    "net.http_post to a local-only host confirms sealed",
    http("POST", "https://api.openai.com/"),
    confirm(own("requires_approval", "net.http_post"), true),
  ],
  [
    "net.http_put is not listed: plain allow",
    http("PUT", "https://allowed.com/"),
    allow(own("network.http_put_allow", "allowed.com")),
  ],
  [
    "net default deny is not turned into confirm",
    get("https://other.com/"),
    deny(dd("network.http_get_allow")),
  ],
  ["env.read confirm", env("PATH"), confirm(own("requires_approval", "env.read"), false)],
  [
    "env.read of a local-only var confirms sealed",
    env("MYAPP_TOKEN"),
    confirm(own("requires_approval", "env.read"), true),
  ],
  [
    "subprocess.exec confirm",
    exec("git", "status"),
    confirm(own("requires_approval", "subprocess.exec"), false),
  ],
  [
    "local-only command confirms sealed",
    exec("myapp-cli", "sync"),
    confirm(own("requires_approval", "subprocess.exec"), true),
  ],
  ["AEGIS_* is not turned into confirm", env("AEGIS_X"), deny("reserved: AEGIS_*")],
]);

// ------------------------------------------------------------------ inheritance

table("override", [
  [
    "local_only_vars lifts the identical inherited preset deny",
    env("OPENAI_API_KEY"),
    local(own("environment.local_only_vars", "OPENAI_API_KEY")),
  ],
  [
    "local_only_vars lifts the identical deny of a middle file",
    env("TEAM_SECRET"),
    local(own("environment.local_only_vars", "TEAM_SECRET")),
  ],
  ["same-file deny still wins over local_only_vars", env("MINE"), deny(own("environment.deny_vars", "MINE"))],
  [
    "a wildcard local-only entry lifts nothing",
    env("AWS_SECRET_ACCESS_KEY"),
    deny(pre("environment.deny_vars", "AWS_SECRET_ACCESS_KEY")),
  ],
  ["untouched preset deny", env("GITHUB_TOKEN"), deny(pre("environment.deny_vars", "GITHUB_TOKEN"))],
  [
    "wildcard local-only entry covers an undenied name",
    env("AWS_REGION"),
    local(own("environment.local_only_vars", "AWS_*")),
  ],
  ["local_only_read lifts ~/.netrc", read("~/.netrc"), local(own("filesystem.local_only_read", "~/.netrc"))],
  [
    "local_only_read lifts the middle file's vault/**",
    read("vault/key"),
    local(own("filesystem.local_only_read", "vault/**")),
  ],
  [
    "local_only_read lifts bare .env at any depth",
    read("src/.env"),
    local(own("filesystem.local_only_read", ".env")),
  ],
  [".env.* stays denied (not identical)", read(".env.local"), deny(fsDeny(".env.*"))],
  ["~/.ssh stays denied", read("~/.ssh/id_rsa"), deny(fsDeny("~/.ssh/**"))],
  ["writing a lifted path is still not granted", write("vault/key"), deny(WRITE_DD)],
  [
    "local_only_hosts lifts the middle file's deny_hosts",
    get("https://internal.corp.example/"),
    local(own("network.local_only_hosts", "internal.corp.example")),
  ],
  [
    "inherited deny_ips still apply to a lifted host",
    get("https://internal.corp.example/", ["10.0.0.1"]),
    deny(ipDeny("10.0.0.0/8")),
  ],
  ["preset deny_hosts still apply", get("http://localhost/"), deny(pre("network.deny_hosts", "localhost"))],
  [
    "a middle file's deny keeps its origin",
    read("archive/2020.tar"),
    deny(team("filesystem.deny", "archive/**")),
  ],
  ["plain allow from the child", read("src/a.ts"), allow(own("filesystem.read_allow", "src/**"))],
]);

table("removal", [
  ['"!~/.npmrc" removes the preset deny', read("~/.npmrc"), allow(own("filesystem.read_allow", "~/.npmrc"))],
  [
    '"!fs.delete" removes the preset confirmation',
    del("out/old.log"),
    allow(own("filesystem.delete_allow", "out/**")),
  ],
  [
    '"!rm" removes the preset deny_commands entry',
    exec("rm", "src/a.ts"),
    allow(own("subprocess.allow_commands", "rm")),
  ],
  [
    "cwd = the root is allowed even though the root is not listable",
    execIn(".", "rm", "src/a.ts"),
    allow(own("subprocess.allow_commands", "rm")),
  ],
  ["cwd inside a readable dir", execIn("src", "rm", "a.ts"), allow(own("subprocess.allow_commands", "rm"))],
  [
    "cwd in an unreadable dir of the root",
    execIn("out", "rm", "../src/a.ts"),
    deny(READ_DD, /working directory/),
  ],
  ["other preset denies remain", read("~/.netrc"), deny(fsDeny("~/.netrc"))],
  ["other preset command denies remain", exec("bash"), deny(cmdDeny("bash"))],
]);

// ------------------------------------------------------------------ empty policy

table("empty", [
  ["fs.read", read("src/a.ts"), deny(READ_DD)],
  ["fs.write", write("src/a.ts"), deny(WRITE_DD)],
  ["fs.delete", del("src/a.ts"), deny(dd("filesystem.delete_allow"))],
  ["fs.list", list("src"), deny(READ_DD)],
  ["fs.exists", exists("src/a.ts"), deny(READ_DD)],
  ["net GET", get("https://example.com/"), deny(dd("network.http_get_allow"))],
  ["net POST", http("POST", "https://example.com/"), deny(dd("network.http_post_allow"))],
  ["env.read", env("PATH"), deny(dd("environment.allow_vars"))],
  ["subprocess.exec", exec("ls"), deny(EXEC_DD)],
  ["reserved names still apply first", env("AEGIS_X"), deny("reserved: AEGIS_*")],
]);

// ------------------------------------------------------------------ runner

/**
 * The reason must name the rule that decided: the full rule text for list entries (or,
 * for a confirmation, the capability), the list for a default deny, and the target.
 */
function assertReasonNamesRule(d: Decision, target: string): void {
  const entry = /^(\S+) "((?:[^"\\]|\\.)*)" \(/.exec(d.rule);
  if (entry) {
    if (d.decision === "confirm" && entry[1] === "requires_approval") {
      assert.ok(
        d.reason.includes(JSON.parse(`"${entry[2]}"`)),
        `reason should name the capability: ${d.reason}`,
      );
      assert.match(d.reason, /requires_approval/);
    } else {
      assert.ok(d.reason.includes(d.rule), `reason should contain the rule ${d.rule}: ${d.reason}`);
    }
  }
  const dflt = /^default deny \((.+)\)$/.exec(d.rule);
  if (dflt) {
    assert.match(d.reason, /default deny/);
    assert.ok(d.reason.includes(dflt[1]!), `reason should name ${dflt[1]}: ${d.reason}`);
  }
  if (target && d.rule !== "path canonicalisation")
    assert.ok(d.reason.includes(target), `reason should name the target ${target}: ${d.reason}`);
}

function targetOf(op: OpSpec, vars: Record<string, string>): string {
  switch (op.kind) {
    case "env":
      return op.name.includes("\0") ? "" : op.name;
    case "exec":
      return fill(op.argv[0]!, vars);
    default:
      return "";
  }
}

describe("decide: table of operations × policy rules", () => {
  let tree: Tree;
  const policies = new Map<PolicyName, ResolvedPolicy>();
  const files = new Map<PolicyName, string>();

  before(() => {
    tree = makeTree("aegis-decide-");
    for (const [name, text] of Object.entries(POLICIES)) {
      files.set(name as PolicyName, writeFile(join(tree.root, `${name}.toml`), text));
    }
    for (const name of Object.keys(POLICIES) as PolicyName[]) {
      if (name === "team") continue;
      const options = name === "reserved" ? { auditLog: join(tree.root, "logs/audit.jsonl") } : {};
      policies.set(name, loadFile(tree, files.get(name)!, options));
    }
  });
  after(() => tree.cleanup());

  it("has at least 220 cases", (t) => {
    t.diagnostic(`${cases.length} table cases`);
    assert.ok(cases.length >= 220, `only ${cases.length} cases`);
  });

  for (const c of cases) {
    it(`${c.policy}: ${c.name}${c.bug ? `` : ""}`, () => {
      const policy = policies.get(c.policy)!;
      const vars = { ROOT: tree.root, HOME: tree.home, BASE: tree.base, FILE: files.get(c.policy)! };
      const d = run(policy, c.op, vars);
      assert.equal(d.decision, c.expect.d, `decision (${d.rule}): ${d.reason}`);
      if (typeof c.expect.rule === "string")
        assert.equal(d.rule, fill(c.expect.rule, vars), `rule: ${d.reason}`);
      else assert.match(d.rule, c.expect.rule, `rule: ${d.reason}`);
      if (c.expect.sealed !== undefined) assert.equal(d.sealed, c.expect.sealed, "sealed");
      if (c.expect.reason) assert.match(d.reason, c.expect.reason);
      assertReasonNamesRule(d, targetOf(c.op, vars));
    });
  }
});

// ------------------------------------------------------------------ globs vs. directory names

/**
 * The root and home directories are spliced into globs. A directory name that contains
 * glob syntax — `(`, `)`, `{`, `}`, `[a-c]`, `*`, `?` — must still be matched literally;
 * otherwise a `~/…` deny stops matching (home "John (Work)") or a root-relative allow
 * starts matching a sibling (root "p*").
 */
describe("decide: root and home directories whose names contain glob syntax", () => {
  const bases: string[] = [];
  after(() => {
    for (const b of bases) rmSync(b, { recursive: true, force: true });
  });

  function setup(homeName: string, rootName: string, toml: (base: string) => string) {
    const base = tempDir("aegis-glob-");
    bases.push(base);
    const home = join(base, homeName);
    const root = join(base, rootName);
    mkdirSync(home, { recursive: true });
    mkdirSync(root, { recursive: true });
    const file = writeFile(join(root, "aegis.toml"), toml(base));
    return { base, home, root, file, policy: loadFile({ home, root }, file) };
  }
  const check = (policy: ResolvedPolicy, path: string, want: Verdict, wantRule: string) => {
    const d = decide(policy, { kind: "fs.read", path } as Operation);
    assert.equal(d.decision, want, d.reason);
    assert.equal(d.rule, wantRule);
  };

  for (const homeName of ["John (Work)", "h{1}", "h[a-c]", "h+(x)"]) {
    it(`~/.aws/** is denied for home ${JSON.stringify(homeName)}`, () => {
      const t = setup(
        homeName,
        "proj",
        (b) => `inherits = "secure-defaults"\n[filesystem]\nread_allow = ["${b}/**"]\n`,
      );
      check(t.policy, join(t.home, ".aws/config"), "deny", fsDeny("~/.aws/**"));
    });
  }
  it("~/.aws/** is denied for an ordinary home (control)", () => {
    const t = setup(
      "home",
      "proj",
      (b) => `inherits = "secure-defaults"\n[filesystem]\nread_allow = ["${b}/**"]\n`,
    );
    check(t.policy, join(t.home, ".aws/config"), "deny", fsDeny("~/.aws/**"));
  });
  for (const rootName of ["proj (copy)", "proj{1}"]) {
    it(`root-relative deny matches in root ${JSON.stringify(rootName)}`, () => {
      const t = setup(
        "home",
        rootName,
        (b) => `[filesystem]\nread_allow = ["${b}/**"]\ndeny = ["private/**", "**/.aegis/**"]\n`,
      );
      check(t.policy, join(t.root, "private/key.txt"), "deny", rule("filesystem.deny", "private/**", t.file));
    });
  }
  it('root-relative allow in root "p*" does not reach sibling "pX"', () => {
    const t = setup("home", "p*", () => `[filesystem]\nread_allow = ["src/**"]\n`);
    mkdirSync(join(t.base, "pX/src"), { recursive: true });
    check(t.policy, join(t.base, "pX/src/a.ts"), "deny", READ_DD);
  });
});

// ------------------------------------------------------------------ malformed operations

describe("decide: malformed operations fail closed", () => {
  let tree: Tree;
  let policy: ResolvedPolicy;
  before(() => {
    tree = makeTree("aegis-malformed-");
    policy = loadFile(tree, writeFile(join(tree.root, "p.toml"), POLICIES.exec));
  });
  after(() => tree.cleanup());

  const bad: [string, unknown][] = [
    ["unknown kind", { kind: "fs.chmod", path: "/x" }],
    ["fs op without a path", { kind: "fs.read" }],
    ["fs op with a number path", { kind: "fs.write", path: 5 }],
    ["net op without a url", { kind: "net.http", method: "GET" }],
    [
      "net op with resolvedIps as a string",
      { kind: "net.http", method: "GET", url: "https://allowed.com/", resolvedIps: "1.2.3.4" },
    ],
    [
      "net op with a non-string address",
      { kind: "net.http", method: "GET", url: "https://a.com/", resolvedIps: [2130706433] },
    ],
    ["env op with a number", { kind: "env.read", name: 1 }],
    ["exec with argv as a string", { kind: "subprocess.exec", argv: "git status" }],
    ["exec with an empty argv", { kind: "subprocess.exec", argv: [] }],
    ["exec with an empty argv[0]", { kind: "subprocess.exec", argv: ["", "x"] }],
    ["exec with a NUL in an argument", { kind: "subprocess.exec", argv: ["git", "log\0"] }],
    ["exec with a number argument", { kind: "subprocess.exec", argv: ["git", 1] }],
  ];
  for (const [name, op] of bad) {
    it(`${name} → deny`, () => {
      const d = decide(policy, op as Operation);
      assert.equal(d.decision, "deny", d.reason);
      assert.equal(d.sealed, false);
    });
  }
  it("a null operation is a deny, not an exception", () => {
    let d: Decision | undefined;
    assert.doesNotThrow(() => {
      d = decide(policy, null as unknown as Operation);
    });
    assert.equal(d?.decision, "deny");
  });
});
