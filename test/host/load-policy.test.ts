/**
 * Loading policy files from disk: every error class of security.md class 9 with its
 * file:line:column, presets, inheritance (lists, removals, tables, limits, sandbox),
 * size limits, and the load-time guards (self-write, audit log).
 */
import assert from "node:assert/strict";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { isAegisError } from "../../src/errors.js";
import {
  DEFAULT_PRESET,
  defaultAuditLog,
  loadPolicy,
  loadPolicySync,
  PolicyLoadError,
  presetPath,
} from "../../src/host/load-policy.js";
import { MAX_POLICY_BYTES } from "../../src/policy/parse.js";
import { ERROR_DIR, ERROR_FIXTURES, VALID_DIR } from "../policy/error-fixtures.js";
import { removeTempDirs, tempDir, writeFile } from "../policy/helpers.js";

after(removeTempDirs);

function loadError(file: string, options = {}): PolicyLoadError {
  try {
    loadPolicySync(file, { skipSandboxProbe: true, ...options });
  } catch (e) {
    assert.ok(e instanceof PolicyLoadError, `expected PolicyLoadError, got ${String(e)}`);
    assert.equal(e.kind, "config_error");
    return e;
  }
  assert.fail(`${file} loaded without error`);
}

describe("policy file errors (fixtures): each with its file:line:column", () => {
  for (const f of ERROR_FIXTURES) {
    it(`${f.what} (${f.file})${f.bug ? `` : ""}`, () => {
      const path = join(ERROR_DIR, f.file);
      const e = loadError(path);
      const used = new Set<unknown>();
      for (const want of f.issues) {
        const candidates = e.issues.filter((i) => !used.has(i) && want.message.test(i.message));
        const hit = candidates.find((i) => i.line === want.line && i.column === want.column) ?? candidates[0];
        used.add(hit);
        assert.ok(hit, `no issue matching ${want.message} in:\n${e.message}`);
        assert.ok(hit.file.endsWith(".toml"), `issue names a file: ${hit.file}`);
        if (want.line === "any") assert.equal(typeof hit.line, "number", `a line for: ${hit.message}`);
        else assert.equal(hit.line, want.line, `line of: ${hit.message}`);
        if (want.column === "any") assert.equal(typeof hit.column, "number", `a column for: ${hit.message}`);
        else assert.equal(hit.column, want.column, `column of: ${hit.message}`);
        const formatted = `${hit.file}:${hit.line}:${hit.column}: ${hit.message}`;
        assert.ok(e.message.includes(formatted), `message lists "${formatted}"`);
      }
    });
  }

  it("reports every problem of a file in one pass, not only the first", () => {
    const e = loadError(join(ERROR_DIR, "wrong-types.toml"));
    assert.ok(e.issues.length >= 4, e.message);
    assert.equal(e.message.split("\n").length, e.issues.length);
  });

  it("names the file the problem is in, not the file that inherits it", () => {
    const dir = tempDir("aegis-load-");
    writeFile(join(dir, "base.toml"), `[network]\ndeny_host = ["x.com"]\n`);
    writeFile(join(dir, "child.toml"), `inherits = "./base.toml"\n`);
    const e = loadError(join(dir, "child.toml"));
    assert.equal(e.issues.length, 1);
    assert.equal(e.issues[0]!.file, join(dir, "base.toml"));
    assert.equal(e.issues[0]!.line, 2);
  });

  it("a preset referenced by a file is found; a misspelt one lists what exists", () => {
    const e = loadError(join(ERROR_DIR, "unknown-preset.toml"));
    assert.match(e.message, /available: secure-defaults/);
  });

  it("a bare inherits name that is not a preset is an unknown preset, not a file lookup", () => {
    const dir = tempDir("aegis-load-");
    writeFile(join(dir, "base"), `version = "1"\n`);
    const e = loadError(writeFile(join(dir, "p.toml"), `inherits = "base"\n`));
    assert.match(e.message, /unknown preset "base"/);
  });

  it('version "1.3" loads; "10" and "0.9" do not', () => {
    const dir = tempDir("aegis-load-");
    assert.equal(loadPolicySync(writeFile(join(dir, "a.toml"), `version = "1.3"\n`)).metadata.version, "1.3");
    for (const v of ["10", "0.9", "v1", ""]) {
      const e = loadError(writeFile(join(dir, `v${v}.toml`), `version = ${JSON.stringify(v)}\n`));
      assert.match(e.message, /is not supported/, v);
    }
  });
});

describe("policy file size and shape limits", () => {
  let dir: string;
  before(() => {
    dir = tempDir("aegis-size-");
  });

  it(`a file of exactly ${MAX_POLICY_BYTES} bytes loads; one byte more is refused`, () => {
    const head = `version = "1"\n`;
    const exact = `${head + "#".repeat(MAX_POLICY_BYTES - head.length - 1)}\n`;
    assert.equal(Buffer.byteLength(exact), MAX_POLICY_BYTES);
    loadPolicySync(writeFile(join(dir, "exact.toml"), exact));
    const e = loadError(writeFile(join(dir, "over.toml"), `${exact}\n`));
    assert.match(e.message, /too large \(1048577 bytes; the limit is 1048576\)/);
  });

  it("a 10 MB file is refused from its size, quickly, without reading it as TOML", () => {
    const big = writeFile(join(dir, "big.toml"), "x".repeat(10 * 1024 * 1024));
    const t0 = Date.now();
    const e = loadError(big);
    assert.ok(Date.now() - t0 < 2000);
    assert.match(e.message, /too large/);
  });

  it("an inherited file over the limit is refused too", () => {
    writeFile(join(dir, "huge-base.toml"), `# ${"y".repeat(MAX_POLICY_BYTES)}\n`);
    const e = loadError(writeFile(join(dir, "small-child.toml"), `inherits = "./huge-base.toml"\n`));
    assert.match(e.message, /cannot read inherited policy .*too large/);
    assert.equal(e.issues[0]!.line, 1);
  });

  it("deeply nested arrays are a clear error, not a stack overflow", () => {
    const e = loadError(writeFile(join(dir, "deep.toml"), `a = ${"[".repeat(100_000)}`));
    assert.match(e.message, /TOML (syntax error|nesting)/);
    assert.match(e.message, /nested|deep/);
  });

  it("deeply nested inline tables are a clear error", () => {
    const e = loadError(writeFile(join(dir, "deep-tables.toml"), `a = ${"{b = ".repeat(50_000)}1`));
    assert.match(e.message, /nested|deep/);
  });

  it("a directory, a device and a missing file are refused as policy files", () => {
    assert.match(loadError(dir).message, /cannot read policy file: not a regular file/);
    assert.match(loadError("/dev/zero").message, /not a regular file/);
    assert.match(loadError(join(dir, "nope.toml")).message, /cannot read policy file: no such file/);
  });

  it("an inherited directory is refused", () => {
    mkdirSync(join(dir, "adir.toml"), { recursive: true });
    const e = loadError(writeFile(join(dir, "inherits-dir.toml"), `inherits = "./adir.toml"\n`));
    assert.match(e.message, /not a regular file/);
  });

  it("an inheritance chain longer than 32 files is refused", () => {
    const chain = join(dir, "chain");
    for (let i = 0; i < 40; i++) writeFile(join(chain, `p${i}.toml`), `inherits = "./p${i + 1}.toml"\n`);
    writeFile(join(chain, "p40.toml"), `version = "1"\n`);
    assert.match(loadError(join(chain, "p0.toml")).message, /inheritance chain longer than 32/);
  });

  it("a self-inheriting file is a cycle", () => {
    const e = loadError(writeFile(join(dir, "self.toml"), `inherits = "./self.toml"\n`));
    assert.match(e.message, /inheritance cycle/);
  });

  it("the same file reached by two spellings is still a cycle", () => {
    const sub = join(dir, "spell");
    writeFile(join(sub, "a.toml"), `inherits = "../spell/./b.toml"\n`);
    writeFile(join(sub, "b.toml"), `inherits = "${join(sub, "a.toml")}"\n`);
    assert.match(loadError(join(sub, "a.toml")).message, /inheritance cycle/);
  });

  it("a list of 100 000 entries (~890 KB, under the size limit) loads without hanging (merge and positions are linear)", {
    timeout: 60_000,
  }, () => {
    // Quadratic merging or position lookup made this take about two minutes; the test's
    // own timeout is the hang guard, the assertion is on the loaded content.
    const many = Array.from({ length: 100_000 }, (_, i) => `"V${i}"`).join(",");
    const p = loadPolicySync(
      writeFile(join(dir, "many-small.toml"), `[environment]\ndeny_vars = [${many}]\n`),
    );
    assert.equal(p.environment.denyVars.length, 100_000);
    assert.equal(p.environment.denyVars[99_999]?.value, "V99999");
  });
});

describe("presets and the built-in default", () => {
  it("the built-in default is secure-defaults, rooted at the working directory, granting nothing", () => {
    const cwd = tempDir("aegis-default-");
    const p = loadPolicySync(null, { cwd, home: cwd });
    assert.equal(p.file, null);
    assert.equal(p.root, cwd);
    assert.deepEqual(p.chain, [DEFAULT_PRESET]);
    assert.deepEqual(p.capabilities, []);
    assert.deepEqual(p.reserved.policyFiles, []);
    assert.deepEqual(p.reserved.auditLogs, [defaultAuditLog(cwd)]);
    assert.deepEqual(
      p.requiresApproval.map((e) => e.value),
      ["fs.delete", "subprocess.exec"],
    );
  });

  it("the preset denies what policy.md lists", () => {
    const p = loadPolicySync(null, { cwd: tempDir("aegis-default-") });
    const values = (xs: { value: string }[]) => xs.map((x) => x.value);
    const fsDeny = values(p.filesystem.deny);
    for (const v of [
      "~/.aws/**",
      "~/.ssh/**",
      "~/.gnupg/**",
      "~/.config/gh/**",
      "~/.config/gcloud/**",
      "~/.azure/**",
      "~/.netrc",
      "~/.docker/config.json",
      "~/.kube/config",
      "~/.npmrc",
      "~/.pypirc",
      "~/.git-credentials",
      ".env",
      ".env.*",
      "**/secrets/**",
      "**/credentials/**",
      "*.pem",
      "*.key",
      "id_rsa*",
      "id_ed25519*",
      "/etc/shadow",
      "/proc/**",
      "/sys/**",
      "/dev/**",
    ]) {
      assert.ok(fsDeny.includes(v), `filesystem.deny has ${v}`);
    }
    assert.ok(fsDeny.some((v) => v.startsWith("/etc/sudoers")));
    const ips = values(p.network.denyIps);
    for (const v of [
      "127.0.0.0/8",
      "169.254.0.0/16",
      "10.0.0.0/8",
      "172.16.0.0/12",
      "192.168.0.0/16",
      "100.64.0.0/10",
      "0.0.0.0/8",
      "::1/128",
      "fc00::/7",
      "fe80::/10",
    ]) {
      assert.ok(ips.includes(v), `network.deny_ips has ${v}`);
    }
    const vars = values(p.environment.denyVars);
    for (const v of [
      "AWS_SECRET_ACCESS_KEY",
      "GOOGLE_APPLICATION_CREDENTIALS",
      "AZURE_CLIENT_SECRET",
      "OPENAI_API_KEY",
      "ANTHROPIC_API_KEY",
      "GITHUB_TOKEN",
      "GH_TOKEN",
      "NPM_TOKEN",
      "DATABASE_URL",
    ]) {
      assert.ok(vars.includes(v), `environment.deny_vars has ${v}`);
    }
    const cmds = values(p.subprocess.denyCommands);
    for (const v of [
      "sh",
      "bash",
      "env",
      "xargs",
      "nohup",
      "timeout",
      "sudo",
      "su",
      "doas",
      "curl",
      "wget",
      "nc",
      "socat",
      "ssh",
      "scp",
      "rsync",
      "aws",
      "gcloud",
      "kubectl",
      "rm",
      "dd",
      "mkfs",
    ]) {
      assert.ok(cmds.includes(v), `subprocess.deny_commands has ${v}`);
    }
    const args = p.subprocess.denyArgs;
    assert.deepEqual(
      ["-exec", "-execdir", "-delete"].filter((a) => !values(args.find ?? []).includes(a)),
      [],
    );
    assert.deepEqual(
      ["-c", "--upload-pack", "--exec-path"].filter((a) => !values(args.git ?? []).includes(a)),
      [],
    );
  });

  it("presetPath accepts only plain preset names", () => {
    assert.ok(presetPath("secure-defaults")?.endsWith("secure-defaults.toml"));
    for (const bad of [
      "../presets/secure-defaults",
      "Secure-Defaults",
      "secure-defaults.toml",
      "/etc/passwd",
      "",
      "-x",
    ]) {
      assert.equal(presetPath(bad), undefined, bad);
    }
  });

  it("the spec's example policy (policy.md) loads, with every capability", () => {
    const p = loadPolicySync(join(VALID_DIR, "example.toml"), { skipSandboxProbe: true });
    assert.deepEqual(p.capabilities, [
      "fs.read",
      "fs.write",
      "fs.delete",
      "fs.list",
      "fs.exists",
      "net.http_get",
      "net.http_post",
      "net.http_put",
      "net.http_patch",
      "net.http_delete",
      "env.read",
      "subprocess.exec",
    ]);
    assert.equal(p.subprocess.sandbox, "bwrap");
    // The file lifts the preset's OPENAI_API_KEY deny by listing it as local-only.
    assert.ok(!p.environment.denyVars.some((e) => e.value === "OPENAI_API_KEY"));
  });

  it("loadPolicy (async) with sandbox = bwrap probes bubblewrap and loads where it works", async (t) => {
    try {
      const p = await loadPolicy(join(VALID_DIR, "example.toml"));
      assert.equal(p.subprocess.sandbox, "bwrap");
    } catch (e) {
      // Without a working bwrap the load must fail with the fix, never load unjailed.
      assert.ok(isAegisError(e), String(e));
      assert.match(e.message, /bwrap.*Fix: /s);
      t.diagnostic("bwrap cannot run here; the refusal path was exercised instead");
    }
  });
});

describe("inheritance", () => {
  const file = join(VALID_DIR, "chain/proj/aegis.toml");
  const base = join(VALID_DIR, "chain/shared/base.toml");
  const p = loadPolicySync(file, { skipSandboxProbe: true });
  const values = (xs: { value: string }[]) => xs.map((x) => x.value);

  it("the chain is the file, the file it inherits (relative to itself), then the preset", () => {
    assert.deepEqual(p.chain, [file, base, "secure-defaults"]);
    assert.equal(p.root, join(VALID_DIR, "chain/proj"));
    assert.deepEqual(p.reserved.policyFiles, [file, base]);
  });

  it('lists concatenate with origins; "!X" removes an inherited entry', () => {
    const deny = p.filesystem.deny;
    assert.ok(!deny.some((e) => e.value === "vault/**"), "vault/** removed");
    assert.equal(deny.find((e) => e.value === "build/**")?.origin, file);
    assert.equal(deny.find((e) => e.value === "~/.ssh/**")?.origin, "secure-defaults");
    assert.deepEqual(
      p.requiresApproval.map((e) => [e.value, e.origin]),
      [
        ["fs.delete", "secure-defaults"],
        ["net.http_post", base],
      ],
    );
  });

  it("tables merge per key: deny_args.git has the preset's, the base's and the file's entries", () => {
    const git = p.subprocess.denyArgs.git ?? [];
    assert.ok(values(git).includes("-c"));
    assert.equal(git.find((e) => e.value === "push --force")?.origin, base);
    assert.equal(git.find((e) => e.value === "reset --hard")?.origin, file);
    assert.ok(values(p.subprocess.denyArgs.python ?? []).includes("-c"));
  });

  it("limits take the stricter value whichever file sets it", () => {
    assert.equal(p.network.timeoutSeconds, 10, "base 10, child 60 → 10");
    assert.equal(p.runtime.maxSeconds, 5, "base 20, child 5 → 5");
    assert.deepEqual(p.runtime.maxCallsPerCapability, { "fs.read": 100, "net.http_get": 3 });
    assert.equal(p.runtime.noOutputAfterLocalOnlyRead, true);
  });

  it("allow_ports concatenate across the chain", () => {
    assert.deepEqual(
      [...p.network.allowPorts].sort((a, b) => a - b),
      [443, 8443],
    );
  });

  it("an inheriting file cannot turn no_output_after_local_only_read off", () => {
    const dir = tempDir("aegis-inh-");
    writeFile(join(dir, "b.toml"), `[runtime]\nno_output_after_local_only_read = true\n`);
    const q = loadPolicySync(
      writeFile(
        join(dir, "c.toml"),
        `inherits = "./b.toml"\n[runtime]\nno_output_after_local_only_read = false\n`,
      ),
    );
    assert.equal(q.runtime.noOutputAfterLocalOnlyRead, true);
  });

  it('sandbox: "bwrap" over "none" is fine, and an omitted sandbox keeps the inherited "bwrap"', () => {
    const dir = tempDir("aegis-inh-");
    writeFile(join(dir, "none.toml"), `[subprocess]\nsandbox = "none"\n`);
    writeFile(join(dir, "bw.toml"), `[subprocess]\nsandbox = "bwrap"\n`);
    const up = loadPolicySync(
      writeFile(join(dir, "up.toml"), `inherits = "./none.toml"\n[subprocess]\nsandbox = "bwrap"\n`),
      { skipSandboxProbe: true },
    );
    assert.equal(up.subprocess.sandbox, "bwrap");
    const keep = loadPolicySync(writeFile(join(dir, "keep.toml"), `inherits = "./bw.toml"\n`), {
      skipSandboxProbe: true,
    });
    assert.equal(keep.subprocess.sandbox, "bwrap");
  });

  it("local_only_* lifts the identical inherited deny entry only; same-file deny still wins", () => {
    const dir = tempDir("aegis-inh-");
    const q = loadPolicySync(
      writeFile(
        join(dir, "p.toml"),
        `inherits = "secure-defaults"\n[environment]\nlocal_only_vars = ["GITHUB_TOKEN", "AWS_*", "MINE"]\ndeny_vars = ["MINE"]\n[filesystem]\nlocal_only_read = ["~/.netrc"]\n[network]\nlocal_only_hosts = ["metadata"]\n`,
      ),
    );
    const deny = values(q.environment.denyVars);
    assert.ok(!deny.includes("GITHUB_TOKEN"));
    assert.ok(deny.includes("AWS_SECRET_ACCESS_KEY"), "AWS_* is not identical to any entry");
    assert.ok(deny.includes("MINE"));
    assert.ok(!values(q.filesystem.deny).includes("~/.netrc"));
    assert.ok(!values(q.network.denyHosts).includes("metadata"));
    assert.ok(values(q.network.denyHosts).includes("metadata.google.internal"));
  });

  it("an inherited policy through a symlink is recorded (and reserved) by its real path", () => {
    const dir = tempDir("aegis-inh-");
    const real = writeFile(join(dir, "real/base.toml"), `version = "1"\n`);
    symlinkSync(join(dir, "real"), join(dir, "alias"));
    const q = loadPolicySync(writeFile(join(dir, "p.toml"), `inherits = "./alias/base.toml"\n`));
    assert.deepEqual(q.reserved.policyFiles, [join(dir, "p.toml"), real]);
  });

  it("the root is the directory of the policy file's real path", () => {
    const dir = tempDir("aegis-inh-");
    writeFile(join(dir, "shared/aegis.toml"), `[filesystem]\nread_allow = ["src/**"]\n`);
    mkdirSync(join(dir, "proj"));
    symlinkSync(join(dir, "shared/aegis.toml"), join(dir, "proj/aegis.toml"));
    const q = loadPolicySync(join(dir, "proj/aegis.toml"));
    assert.equal(q.file, join(dir, "shared/aegis.toml"));
    assert.equal(q.root, join(dir, "shared"));
  });
});

describe("load-time guards", () => {
  let dir: string;
  before(() => {
    dir = tempDir("aegis-guard-");
  });

  it("write on an inherited policy file of the chain is refused", () => {
    writeFile(join(dir, "base.toml"), `version = "1"\n`);
    const e = loadError(
      writeFile(
        join(dir, "child.toml"),
        `inherits = "./base.toml"\n[filesystem]\nwrite_allow = ["base.*"]\n`,
      ),
    );
    assert.match(e.message, /grants write on its own file .*base\.toml/);
  });

  it("a deny entry covering the policy file satisfies the guard", () => {
    const ok = loadPolicySync(
      writeFile(join(dir, "ok.toml"), `[filesystem]\nwrite_allow = ["*.toml"]\ndeny = ["ok.toml"]\n`),
    );
    assert.deepEqual(ok.capabilities, ["fs.write"]);
  });

  it("a broad read_allow without the preset reaches the default audit log and is refused", () => {
    const e = loadError(writeFile(join(dir, "broad.toml"), `[filesystem]\nread_allow = ["**"]\n`));
    assert.match(e.message, /grants access to the audit log .*\.aegis\/audit\.jsonl/);
  });

  it("the same broad read_allow with secure-defaults loads (its **/.aegis/** deny covers the log)", () => {
    const ok = loadPolicySync(
      writeFile(
        join(dir, "broad-ok.toml"),
        `inherits = "secure-defaults"\n[filesystem]\nread_allow = ["**"]\n`,
      ),
    );
    assert.ok(ok.capabilities.includes("fs.read"));
  });

  it("a custom audit log outside the root is guarded too (any access: read, local-only, write, delete)", () => {
    const logs = join(dir, "logs");
    const auditLog = join(logs, "audit.jsonl");
    for (const key of ["read_allow", "local_only_read", "write_allow", "delete_allow"]) {
      const f = writeFile(join(dir, `log-${key}.toml`), `[filesystem]\n${key} = ["${logs}/**"]\n`);
      const e = loadError(f, { auditLog });
      assert.match(e.message, new RegExp(`filesystem\\.${key}`), key);
      assert.ok(e.message.includes(auditLog));
    }
  });

  it("the audit log is reserved by its canonical path (through a symlinked directory)", () => {
    mkdirSync(join(dir, "real-logs"), { recursive: true });
    symlinkSync(join(dir, "real-logs"), join(dir, "log-alias"));
    const q = loadPolicySync(writeFile(join(dir, "plain.toml"), `version = "1"\n`), {
      auditLog: join(dir, "log-alias/a.jsonl"),
    });
    assert.deepEqual(q.reserved.auditLogs, [join(dir, "real-logs/a.jsonl")]);
  });

  it("the guard message tells the operator how to fix it", () => {
    const e = loadError(join(ERROR_DIR, "self-write.toml"));
    assert.match(e.message, /narrow it or add ".*self-write\.toml" to filesystem\.deny/);
    const a = loadError(join(ERROR_DIR, "audit-read.toml"));
    assert.match(a.message, /to filesystem\.deny or move the log with --audit-log/);
  });

  it("errors and guards never leave a partially loaded policy behind (throw, no return)", () => {
    writeFileSync(join(dir, "bad.toml"), `[filesystem]\nread_allow = ["**"]\nbogus = 1\n`);
    const e = loadError(join(dir, "bad.toml"));
    assert.match(e.message, /unknown key "filesystem\.bogus"/);
  });
});
