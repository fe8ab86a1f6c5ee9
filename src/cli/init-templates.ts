/**
 * Starter policies for `aegis init --lang L`: a language's source layout, toolchain and
 * registries on top of `secure-defaults`, with destructive git and publishing denied.
 * Each template is rendered from data so that every language gets the same header,
 * the same git denies and the same shape.
 */
import { AegisError } from "../errors.js";

export const LANGUAGES = ["python", "node", "ruby", "rust", "go", "java", "dotnet"] as const;
export type Language = (typeof LANGUAGES)[number];

const ALIASES: Readonly<Record<string, Language>> = {
  python: "python",
  python3: "python",
  py: "python",
  node: "node",
  nodejs: "node",
  "node.js": "node",
  js: "node",
  javascript: "node",
  ts: "node",
  typescript: "node",
  ruby: "ruby",
  rb: "ruby",
  rust: "rust",
  rs: "rust",
  go: "go",
  golang: "go",
  java: "java",
  kotlin: "java",
  kt: "java",
  scala: "java",
  gradle: "java",
  maven: "java",
  jvm: "java",
  dotnet: "dotnet",
  ".net": "dotnet",
  csharp: "dotnet",
  cs: "dotnet",
  "c#": "dotnet",
  fsharp: "dotnet",
  "f#": "dotnet",
};

/** The canonical language for a `--lang` value (case-insensitive, aliases included), or undefined. */
export function normaliseLanguage(input: string): Language | undefined {
  const key = input.trim().toLowerCase();
  return Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined;
}

interface Profile {
  title: string;
  readAllow: string[];
  writeAllow: string[];
  deleteAllow: string[];
  /** Credentials of this toolchain, on top of the inherited denies. */
  deny: string[];
  hosts: string[];
  vars: string[];
  denyVars: string[];
  commands: string[];
  denyArgs: Record<string, string[]>;
  approvalArgs: Record<string, string[]>;
  /** Comments rendered above the language's own deny_args / requires_approval_args entries. */
  denyNote?: string;
  approvalNote?: string;
  /** A comment for write_allow about layouts the defaults do not cover. */
  layoutNote?: string;
}

/** A list written as whitespace-separated words (globs, hosts, names: none holds a space). */
function words(text: string): string[] {
  return text.trim().split(/\s+/);
}

/** A list of argument patterns written as `a b | c d`. */
function args(text: string): string[] {
  return text.split("|").map((a) => a.trim());
}

const DOCS = words("README* LICENSE* CHANGELOG* docs/**");
const BASE_VARS = words("PATH HOME USER LANG");

/**
 * History rewriting, discarding work, and git features that run another program or write
 * outside write_allow (secure-defaults adds -c, --upload-pack, --exec and others).
 * "config " keeps its trailing space so that `git add config.py` still passes.
 */
const GIT_DENY = [
  ...args("push --force | push -f | push --delete | push -d | push --mirror | push --prune"),
  ...args("reset --hard | clean -f | clean -d | clean -x | clean -X | clean --force"),
  ...args("checkout --force | checkout -f | branch -D | stash clear"),
  ...args("filter-branch | filter-repo | update-ref -d | reflog expire | reflog delete | gc --prune"),
  "config ",
  ...args("rebase -x | bisect run | difftool | mergetool | grep -O | grep --open-files-in-pager"),
  ...args("credential fill | credential-store | credential-cache | send-email | instaweb"),
  ...args("--output | archive -o"),
];

const GIT_DENY_NOTE = `git: rewriting or deleting history, discarding work, and features that run another
program or write where write_allow does not reach. "config " (with its space, so that
config.py paths still pass) is denied because git config can set core.fsmonitor,
core.pager, core.hooksPath or an alias, which makes a later harmless-looking git command
(yours included) run any program; a commit message containing "config " is refused
too (commit with -F FILE). secure-defaults adds -c, --upload-pack, --exec-path,
--config-env, --exec, submodule foreach and --extcmd.`;

const GIT_APPROVAL = args(
  "push | commit --amend | rebase | reset | restore | checkout . | checkout -- | stash drop | remote | apply | merge | cherry-pick",
);

const PROFILES: Readonly<Record<Language, Profile>> = {
  python: {
    title: "Python",
    readAllow: [
      ...words("src/** tests/** test/** *.py *.pyi pyproject.toml setup.py setup.cfg requirements*.txt"),
      ...words("constraints*.txt tox.ini pytest.ini MANIFEST.in"),
      ...DOCS,
    ],
    writeAllow: words("src/** tests/** test/** docs/** build/**"),
    layoutNote: 'A flat layout (the package directory at the top level) needs it here too, e.g. "mypkg/**".',
    deleteAllow: words("build/** dist/** .pytest_cache/** htmlcov/**"),
    deny: words("~/.config/pip/pip.conf ~/.pip/pip.conf ~/.config/pypoetry/auth.toml"),
    hosts: words("pypi.org files.pythonhosted.org"),
    vars: words("VIRTUAL_ENV PYTHONPATH CONDA_PREFIX"),
    denyVars: words("TWINE_USERNAME PIP_INDEX_URL PIP_EXTRA_INDEX_URL POETRY_PYPI_TOKEN_*"),
    commands: words("python3 python pytest pip pip3 git"),
    denyArgs: {
      python: args("-m twine | setup.py upload | setup.py register"),
      twine: args("upload | register"),
    },
    denyNote: "Publishing. The python key also covers python3 and python3.12 (a version suffix is ignored).",
    approvalArgs: { pip: args("install | uninstall | download | wheel"), python: args("-m pip") },
    approvalNote: "Installers run the installed packages' build code.",
  },
  node: {
    title: "Node.js / TypeScript",
    readAllow: [
      ...words("src/** lib/** test/** tests/** *.js *.mjs *.cjs *.jsx *.ts *.mts *.cts *.tsx"),
      ...words("package.json package-lock.json pnpm-lock.yaml yarn.lock tsconfig*.json jsconfig.json"),
      ...DOCS,
    ],
    writeAllow: words("src/** lib/** test/** tests/** docs/** dist/** build/**"),
    deleteAllow: words("dist/** build/** coverage/**"),
    deny: words(".npmrc .yarnrc.yml ~/.yarnrc.yml ~/.config/yarn/**"),
    hosts: words("registry.npmjs.org"),
    vars: words("NODE_ENV"),
    denyVars: words("YARN_NPM_AUTH_TOKEN NPM_CONFIG__AUTH*"),
    commands: words("node npm git"),
    denyArgs: {
      npm: [
        ...args(
          "publish | unpublish | deprecate | dist-tag | owner add | owner rm | access grant | access revoke",
        ),
        ...args("adduser | login | token create | config set | config edit | script-shell"),
      ],
      yarn: args("publish | npm publish"),
      pnpm: args("publish"),
    },
    denyNote:
      "Publishing and registry credentials; npm config (script-shell) could make every later npm script run another program.",
    approvalArgs: { npm: args("install | ci | add | update | uninstall | exec | rebuild | link") },
    approvalNote: `Installers run package lifecycle scripts; npm exec runs any package binary. The alias
"npm i" cannot be matched without matching every argument containing an "i": keep
subprocess.exec in requires_approval to cover it.`,
  },
  ruby: {
    title: "Ruby",
    readAllow: [
      ...words("lib/** app/** spec/** test/** *.rb *.rake *.gemspec Gemfile Gemfile.lock Rakefile .rspec"),
      ...DOCS,
    ],
    writeAllow: words("lib/** app/** spec/** test/** docs/** pkg/**"),
    deleteAllow: words("pkg/** tmp/** coverage/**"),
    deny: words("~/.gem/credentials ~/.bundle/config .bundle/config"),
    hosts: words("rubygems.org index.rubygems.org"),
    vars: words("GEM_HOME GEM_PATH BUNDLE_GEMFILE BUNDLE_PATH RAILS_ENV RACK_ENV"),
    denyVars: words("GEM_HOST_API_KEY BUNDLE_*__*"),
    commands: words("ruby bundle rake rspec gem git"),
    denyArgs: { gem: args("push | yank | owner | signin"), rake: args("release | -e | -p | -E | --execute") },
    denyNote: "Publishing (rake release publishes a gem); rake -e/-p run inline code like ruby -e.",
    approvalArgs: {
      gem: args("install | update | uninstall | exec"),
      bundle: args("install | update | add | exec"),
    },
    approvalNote: "Installers run gem build code; bundle exec and gem exec run any command they are given.",
  },
  rust: {
    title: "Rust",
    readAllow: [
      ...words("src/** tests/** benches/** examples/** *.rs Cargo.toml Cargo.lock"),
      ...words("rust-toolchain rust-toolchain.toml rustfmt.toml clippy.toml"),
      ...DOCS,
    ],
    writeAllow: words("src/** tests/** benches/** examples/** docs/** target/**"),
    deleteAllow: words("target/**"),
    deny: words("~/.cargo/credentials ~/.cargo/credentials.toml"),
    hosts: words("crates.io static.crates.io index.crates.io"),
    vars: words("CARGO_HOME RUSTUP_HOME RUSTUP_TOOLCHAIN CARGO_TARGET_DIR RUST_BACKTRACE RUST_LOG"),
    denyVars: words("CARGO_REGISTRIES_*_TOKEN"),
    commands: words("cargo rustc rustfmt git"),
    denyArgs: { cargo: args("publish | yank | owner --add | owner --remove | login | --config") },
    denyNote: "Publishing and registry login; cargo --config can set a rustc wrapper that runs any program.",
    approvalArgs: { cargo: args("install | uninstall | add | update") },
    approvalNote: "cargo install builds and installs code from the registry.",
  },
  go: {
    title: "Go",
    readAllow: [
      ...words("*.go go.mod go.sum go.work go.work.sum cmd/** internal/** pkg/** testdata/**"),
      ...DOCS,
    ],
    writeAllow: words("cmd/** internal/** pkg/** testdata/** docs/** bin/**"),
    layoutNote: 'Packages at the repository root need "*.go" here (it also covers vendor/).',
    deleteAllow: words("bin/**"),
    deny: [],
    hosts: words("proxy.golang.org sum.golang.org"),
    vars: words("GOPATH GOROOT GOCACHE GOMODCACHE GOPROXY GOFLAGS GOOS GOARCH CGO_ENABLED"),
    denyVars: words("GOAUTH"),
    commands: words("go gofmt git"),
    denyArgs: { go: args("-toolexec | -exec | env -w") },
    denyNote: `-toolexec and -exec run any program; go env -w persists settings (GOFLAGS, GOPROXY)
for every later go command. Go publishes by pushing a tag, and git push needs approval.`,
    approvalArgs: { go: args("get | install | generate") },
    approvalNote: "go generate runs the commands written in //go:generate comments.",
  },
  java: {
    title: "JVM (Java, Kotlin, Scala)",
    readAllow: [
      ...words("src/** *.java *.kt *.kts *.scala *.groovy pom.xml build.gradle settings.gradle build.sbt"),
      ...words("gradle/libs.versions.toml gradle/wrapper/gradle-wrapper.properties"),
      ...DOCS,
    ],
    writeAllow: words("src/** docs/** target/** build/**"),
    deleteAllow: words("target/** build/**"),
    deny: [
      ...words("~/.m2/settings.xml ~/.m2/settings-security.xml ~/.gradle/gradle.properties"),
      ...words("~/.ivy2/.credentials ~/.sbt/.credentials"),
    ],
    hosts: words("repo.maven.apache.org repo1.maven.org plugins.gradle.org"),
    vars: words("JAVA_HOME MAVEN_HOME M2_HOME GRADLE_USER_HOME"),
    denyVars: words(
      "MAVEN_PASSWORD OSSRH_USERNAME OSSRH_PASSWORD SONATYPE_PASSWORD GPG_PASSPHRASE ORG_GRADLE_PROJECT_*",
    ),
    commands: words("mvn gradle java javac git"),
    denyArgs: { mvn: args("deploy | release: | site:deploy"), gradle: args("publish | uploadArchives") },
    denyNote: "Publishing.",
    approvalArgs: { mvn: args("install | versions:"), gradle: args("wrapper") },
    approvalNote: "mvn install writes to ~/.m2 for every project; gradle wrapper replaces the build tool.",
  },
  dotnet: {
    title: ".NET (C#, F#)",
    readAllow: [
      ...words("src/** test/** tests/** *.cs *.fs *.fsx *.vb *.csproj *.fsproj *.vbproj *.sln *.slnx"),
      ...words("*.props *.targets global.json"),
      ...DOCS,
    ],
    writeAllow: words("src/** test/** tests/** docs/** artifacts/**"),
    deleteAllow: words("artifacts/** **/bin/Debug/** **/bin/Release/** **/obj/**"),
    deny: words("~/.nuget/NuGet/NuGet.Config NuGet.Config nuget.config NuGet.config"),
    hosts: words("api.nuget.org"),
    vars: words("DOTNET_ROOT DOTNET_CLI_TELEMETRY_OPTOUT DOTNET_NOLOGO NUGET_PACKAGES"),
    denyVars: words("NUGET_API_KEY NUGET_AUTH_TOKEN VSS_NUGET_EXTERNAL_FEED_ENDPOINTS"),
    commands: words("dotnet git"),
    denyArgs: { dotnet: args("nuget push | nuget delete | nuget add source | nuget update source") },
    denyNote: "Publishing, and package sources (which carry credentials).",
    approvalArgs: { dotnet: args("add package | tool install | tool update | tool run | workload install") },
    approvalNote: "Package and tool installs run their code.",
  },
};

const WIDTH = 100;

function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}

/** `key = [ … ]`, on one line when it fits, else wrapped with four-space indentation. */
function tomlArray(key: string, values: readonly string[]): string {
  const items = values.map((v) => JSON.stringify(v));
  const oneLine = `${tomlKey(key)} = [${items.join(", ")}]`;
  if (oneLine.length <= WIDTH) return oneLine;
  const lines: string[] = [];
  let current = "";
  for (const item of items) {
    const next = current === "" ? `    ${item},` : `${current} ${item},`;
    if (next.length > WIDTH && current !== "") {
      lines.push(current);
      current = `    ${item},`;
    } else {
      current = next;
    }
  }
  if (current !== "") lines.push(current);
  return `${tomlKey(key)} = [\n${lines.join("\n")}\n]`;
}

function comment(text: string): string {
  return text
    .split("\n")
    .map((l) => (l === "" ? "#" : `# ${l}`))
    .join("\n");
}

function header(lang: Language, p: Profile): string {
  return comment(`aegis policy for a ${p.title} project, written by \`aegis init --lang ${lang}\`.

Every effect of an aegis script, of the aegis MCP tools and of the Claude Code hook
is checked against this file: what it does not allow does not happen, and a deny
always wins over an allow. It inherits "secure-defaults", which denies credentials,
system paths, private and metadata addresses, secret variables, shells and network
tools, and asks for confirmation before every fs.delete and subprocess.exec.

To widen it, add entries to the lists below. Paths are relative to this file's
directory; a pattern without "/" matches that name at any depth; "**" crosses
directories. Check a change with \`aegis policy validate aegis.toml\`, see which rule
decides with \`aegis policy explain aegis.toml --op '{"kind":"fs.read","path":"src/x"}'\`,
and let \`aegis doctor\` flag over-broad globs. An inherited entry is dropped by
listing it with "!", e.g. requires_approval = ["!subprocess.exec"]. Before dropping
that one, set sandbox = "bwrap" under [subprocess]: an allowed build or test command
runs whatever code the writable directories hold, and without the jail it can touch
anything your user can.`);
}

interface TableEntry {
  key: string;
  values: string[];
  note?: string | undefined;
}

function tableLines(name: string, note: string, entries: TableEntry[]): string[] {
  const out = ["", `[${name}]`, comment(note)];
  for (const e of entries) {
    if (e.values.length === 0) continue;
    if (e.note) out.push(comment(e.note));
    out.push(tomlArray(e.key, e.values));
  }
  return out;
}

function commandTable(
  git: TableEntry,
  own: Record<string, string[]>,
  note: string | undefined,
): TableEntry[] {
  return [
    git,
    ...Object.entries(own).map(([key, values], i) => ({ key, values, note: i === 0 ? note : undefined })),
  ];
}

function render(lang: Language, p: Profile): string {
  const lines = [
    header(lang, p),
    "",
    'inherits = "secure-defaults"',
    "",
    "[filesystem]",
    "# Sources, tests, manifests and docs.",
    tomlArray("read_allow", p.readAllow),
    "# Sources, tests and build output. Never this file or .aegis/ (the audit log):",
    "# aegis refuses to load a policy that grants them.",
    ...(p.layoutNote ? [comment(p.layoutNote)] : []),
    tomlArray("write_allow", p.writeAllow),
    "# Build output only.",
    tomlArray("delete_allow", p.deleteAllow),
    ...(p.deny.length > 0 ? ["# This toolchain's credential files.", tomlArray("deny", p.deny)] : []),
    "",
    "[network]",
    "# Package registries, for metadata lookups from scripts (GET only).",
    tomlArray("http_get_allow", p.hosts),
    "",
    "[environment]",
    "# Readable by env.read and passed to subprocesses.",
    tomlArray("allow_vars", [...BASE_VARS, ...p.vars]),
    tomlArray("deny_vars", p.denyVars),
    "",
    "[subprocess]",
    tomlArray("allow_commands", p.commands),
    ...tableLines(
      "subprocess.deny_args",
      "Per command: denied when the arguments contain one of these (or its words, in order).",
      commandTable({ key: "git", values: GIT_DENY, note: GIT_DENY_NOTE }, p.denyArgs, p.denyNote),
    ),
    ...tableLines(
      "subprocess.requires_approval_args",
      `Per command: these need confirmation. secure-defaults already asks before every
subprocess.exec; these still apply if you drop that (requires_approval = ["!subprocess.exec"]).`,
      commandTable(
        { key: "git", values: GIT_APPROVAL, note: "git: sending code away or replacing work." },
        p.approvalArgs,
        p.approvalNote,
      ),
    ),
    "",
    "[runtime]",
    "max_seconds = 60",
    "",
  ];
  return lines.join("\n");
}

/** The starter policy TOML for a language or alias. Throws config_error for an unknown language. */
export function starterPolicy(lang: string): string {
  const language = normaliseLanguage(lang);
  if (!language) {
    throw new AegisError(
      "config_error",
      `unknown language ${JSON.stringify(lang)}; expected one of ${LANGUAGES.join(", ")} (or an alias such as ts, js, py, rb, rs, golang, kotlin, csharp)`,
    );
  }
  return render(language, PROFILES[language]);
}
