import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { parse } from "smol-toml";
import { LANGUAGES, type Language, normaliseLanguage, starterPolicy } from "../../src/cli/init-templates.js";
import { isAegisError } from "../../src/errors.js";
import { loadPolicy } from "../../src/host/load-policy.js";
import { decide } from "../../src/policy/decide.js";
import type { Operation, ResolvedPolicy, Verdict } from "../../src/policy/types.js";

const work = realpathSync(mkdtempSync(join(tmpdir(), "aegis-init-templates-")));
after(() => rmSync(work, { recursive: true, force: true }));

async function load(lang: Language): Promise<{ policy: ResolvedPolicy; root: string }> {
  const base = mkdtempSync(join(work, `${lang}-`));
  const root = join(base, "project");
  const home = join(base, "home");
  mkdirSync(root);
  mkdirSync(home);
  const file = join(root, "aegis.toml");
  writeFileSync(file, starterPolicy(lang));
  return { policy: await loadPolicy(file, { home, cwd: root, skipSandboxProbe: true }), root };
}

const exec = (...argv: string[]): Operation => ({ kind: "subprocess.exec", argv });

function verdict(policy: ResolvedPolicy, op: Operation): Verdict {
  return decide(policy, op).decision;
}

describe("normaliseLanguage", () => {
  const cases: Array<[string, Language | undefined]> = [
    ["python", "python"],
    ["Py", "python"],
    ["TypeScript", "node"],
    ["ts", "node"],
    ["JS", "node"],
    ["javascript", "node"],
    ["rb", "ruby"],
    ["rs", "rust"],
    ["golang", "go"],
    ["Kotlin", "java"],
    ["kt", "java"],
    ["scala", "java"],
    ["gradle", "java"],
    ["maven", "java"],
    ["csharp", "dotnet"],
    ["cs", "dotnet"],
    ["C#", "dotnet"],
    ["fsharp", "dotnet"],
    ["F#", "dotnet"],
    [" rust ", "rust"],
    ["cobol", undefined],
    ["", undefined],
    ["constructor", undefined],
    ["__proto__", undefined],
  ];
  for (const [input, expected] of cases) {
    test(`${JSON.stringify(input)} → ${expected ?? "undefined"}`, () => {
      assert.equal(normaliseLanguage(input), expected);
    });
  }
  test("every canonical language normalises to itself", () => {
    for (const lang of LANGUAGES) assert.equal(normaliseLanguage(lang), lang);
  });
});

test("starterPolicy rejects an unknown language with config_error", () => {
  assert.throws(
    () => starterPolicy("cobol"),
    (e: unknown) => isAegisError(e) && e.kind === "config_error" && /cobol/.test(e.message),
  );
});

test("starterPolicy accepts an alias", () => {
  assert.equal(starterPolicy("ts"), starterPolicy("node"));
});

/** Commands each language's template must deny: its publish step. */
const PUBLISH: Record<Language, string[][]> = {
  python: [
    ["python3", "-m", "twine", "upload", "dist/x.whl"],
    ["twine", "upload", "dist/x.whl"],
  ],
  node: [
    ["npm", "publish"],
    ["npm", "publish", "--access", "public"],
  ],
  ruby: [
    ["gem", "push", "x.gem"],
    ["rake", "release"],
  ],
  rust: [
    ["cargo", "publish"],
    ["cargo", "--config", "build.rustc-wrapper=x", "build"],
  ],
  go: [
    ["go", "env", "-w", "GOFLAGS=-toolexec=x"],
    ["go", "test", "-exec", "x"],
  ],
  java: [
    ["mvn", "deploy"],
    ["gradle", "publish"],
  ],
  dotnet: [["dotnet", "nuget", "push", "x.nupkg"]],
};

/** A toolchain command each template must let through (to confirmation, under secure-defaults). */
const TOOLCHAIN: Record<Language, string[]> = {
  python: ["pytest", "-q"],
  node: ["npm", "test"],
  ruby: ["rspec"],
  rust: ["cargo", "test"],
  go: ["go", "test"],
  java: ["mvn", "test"],
  dotnet: ["dotnet", "test"],
};

const REGISTRY: Record<Language, string> = {
  python: "https://pypi.org/pypi/requests/json",
  node: "https://registry.npmjs.org/left-pad",
  ruby: "https://rubygems.org/api/v1/gems/rails.json",
  rust: "https://crates.io/api/v1/crates/serde",
  go: "https://proxy.golang.org/golang.org/x/text/@v/list",
  java: "https://repo1.maven.org/maven2/junit/junit/maven-metadata.xml",
  dotnet: "https://api.nuget.org/v3/index.json",
};

for (const lang of LANGUAGES) {
  describe(`starter policy for ${lang}`, () => {
    const text = starterPolicy(lang);

    test("starts with a comment header that explains how to widen it", () => {
      assert.match(text, /^# aegis policy for /);
      assert.match(text, /To widen it/);
      assert.match(text, /aegis policy validate/);
    });

    test("parses as TOML with only policy.md keys and the expected shape", () => {
      const doc = parse(text) as Record<string, Record<string, unknown>>;
      assert.equal(doc.inherits, "secure-defaults");
      assert.deepEqual(Object.keys(doc).sort(), [
        "environment",
        "filesystem",
        "inherits",
        "network",
        "runtime",
        "subprocess",
      ]);
      for (const key of Object.keys(doc.filesystem!)) {
        assert.ok(["read_allow", "write_allow", "delete_allow", "deny"].includes(key), key);
      }
      assert.deepEqual(Object.keys(doc.network!), ["http_get_allow"]);
      const env = doc.environment as { allow_vars: string[] };
      for (const v of ["PATH", "HOME", "USER", "LANG"]) assert.ok(env.allow_vars.includes(v), v);
      const sub = doc.subprocess as Record<string, unknown>;
      assert.ok((sub.allow_commands as string[]).includes("git"));
      assert.ok(((sub.deny_args as Record<string, string[]>).git ?? []).includes("push --force"));
      assert.ok(typeof sub.requires_approval_args === "object");
      assert.deepEqual({ ...doc.runtime }, { max_seconds: 60 });
    });

    test("loads and validates with loadPolicy", async () => {
      const { policy } = await load(lang);
      assert.equal(policy.runtime.maxSeconds, 60);
      for (const cap of [
        "fs.read",
        "fs.write",
        "fs.delete",
        "net.http_get",
        "env.read",
        "subprocess.exec",
      ] as const) {
        assert.ok(policy.capabilities.includes(cap), cap);
      }
      assert.ok(!policy.capabilities.includes("net.http_post"));
    });

    test("denies destructive git and this ecosystem's publishing; lets the toolchain through to confirmation", async () => {
      const { policy } = await load(lang);
      for (const argv of [
        ["git", "push", "--force"],
        ["git", "push", "origin", "main", "--force"],
        ["git", "push", "-f", "origin", "main"],
        ["git", "reset", "--hard", "HEAD~3"],
        ["git", "clean", "-xfd"],
        ["git", "filter-branch", "--tree-filter", "x"],
        ["git", "push", "origin", "--delete", "main"],
        ["git", "config", "core.fsmonitor", "evil"],
        ...PUBLISH[lang],
      ]) {
        assert.equal(verdict(policy, exec(...argv)), "deny", argv.join(" "));
      }
      assert.equal(verdict(policy, exec("git", "status", "--short")), "confirm");
      assert.equal(verdict(policy, exec(...TOOLCHAIN[lang])), "confirm");
    });

    test("never grants its own file or the audit log, and keeps inherited secret denies", async () => {
      const { policy, root } = await load(lang);
      assert.equal(verdict(policy, { kind: "fs.write", path: join(root, "aegis.toml") }), "deny");
      assert.equal(verdict(policy, { kind: "fs.read", path: join(root, ".aegis", "audit.jsonl") }), "deny");
      assert.equal(verdict(policy, { kind: "fs.read", path: join(root, ".env") }), "deny");
      assert.equal(verdict(policy, { kind: "env.read", name: "AWS_SECRET_ACCESS_KEY" }), "deny");
      assert.equal(verdict(policy, { kind: "env.read", name: "PATH" }), "allow");
      assert.equal(verdict(policy, { kind: "fs.read", path: join(root, "README.md") }), "allow");
    });

    test("reaches the ecosystem registry with GET only", async () => {
      const { policy } = await load(lang);
      assert.equal(verdict(policy, { kind: "net.http", method: "GET", url: REGISTRY[lang] }), "allow");
      assert.equal(verdict(policy, { kind: "net.http", method: "POST", url: REGISTRY[lang] }), "deny");
      assert.equal(verdict(policy, { kind: "net.http", method: "GET", url: "https://example.com/" }), "deny");
    });
  });
}

test("python: sources are readable and writable, build output deletable, installers need approval", async () => {
  const { policy, root } = await load("python");
  assert.equal(verdict(policy, { kind: "fs.read", path: join(root, "pkg", "deep", "mod.py") }), "allow");
  assert.equal(verdict(policy, { kind: "fs.write", path: join(root, "src", "app.py") }), "allow");
  assert.equal(verdict(policy, { kind: "fs.write", path: join(root, "setup.py") }), "deny");
  assert.equal(verdict(policy, { kind: "fs.delete", path: join(root, "build", "lib", "x.py") }), "confirm");
  assert.equal(verdict(policy, { kind: "fs.delete", path: join(root, "src", "app.py") }), "deny");
  assert.equal(verdict(policy, exec("git", "add", "src/config.py")), "confirm");
  const text = starterPolicy("python");
  assert.match(text, /\[subprocess\.requires_approval_args\][\s\S]*pip = \["install"/);
});
