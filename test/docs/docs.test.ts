/**
 * Keeps the documentation true: every fenced code block in README.md and docs/*.md whose
 * info string carries `aegis-test` is run against the built CLI (dist/; `npm test` builds
 * it first, this file builds nothing).
 *
 * The convention (docs/architecture.md, "Tested documentation", says the same for writers):
 *
 *   ```toml aegis-test [expect=config_error]
 *     Written as aegis.toml into a copy of examples/summarise/project; must pass
 *     `aegis policy validate` (exit 0), or fail it with exit 5 under expect=config_error.
 *
 *   ```js aegis-test [expect=KIND] [yes] [timeout=S]
 *     A script run with `aegis run --json` under the nearest preceding `toml aegis-test`
 *     block of the same file (none: the built-in secure-defaults), in a copy of
 *     examples/summarise/project (README.md, src/app.py, src/util.py). The run must end with
 *     kind KIND (default success) and KIND's exit code. `yes` passes --yes.
 *
 *   ```sh aegis-test [expect=N|KIND] [timeout=S]
 *     Run with `bash -e` in a temp directory that holds a copy of examples/, a link to dist/
 *     (so commands written for the repository root work) and, when the file has a preceding
 *     `toml aegis-test` block, that policy as aegis.toml. `aegis` and `aegis-mcp` on PATH run
 *     dist/aegis.js and dist/aegis-mcp.js. Must exit 0, or N / KIND's exit code.
 *
 *   ```text aegis-output
 *     Directly after a runnable js or sh block: each of its lines must match a line of that
 *     block's output (stdout and stderr together; for js, what `aegis run` would print),
 *     in order, whole line, surrounding spaces ignored; `…` matches any text.
 *
 * Every run gets its own HOME (empty) and OPENAI_API_KEY=sk-docs-0123456789abcdef, so
 * sealed-value examples have a secret to seal; nothing else of aegis's own (AEGIS_*) leaks in.
 *
 * Temp directories live under node_modules/.cache, not /tmp: a documented policy may
 * legitimately grant `/tmp/**`, which would then cover its own file and fail to load.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ERROR_KINDS, type ErrorKind, EXIT_CODES } from "../../src/errors.js";
import { BUILTINS } from "../../src/host/builtins/index.js";
import { TOOLS } from "../../src/mcp/tools.js";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DIST = join(REPO_ROOT, "dist");
const EXAMPLES = join(REPO_ROOT, "examples");
const PROJECT_FIXTURE = join(EXAMPLES, "summarise", "project");
const TMP_BASE = join(REPO_ROOT, "node_modules", ".cache", "aegis-docs-test");
const DEFAULT_TIMEOUT_S = 60;
const SECRET = "sk-docs-0123456789abcdef";

const RUN_KINDS = ["success", ...ERROR_KINDS.filter((k) => k !== "config_error")];

interface Block {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  tags: string[];
  attrs: Record<string, string>;
  body: string;
}

function isDocsFile(name: string): boolean {
  return name.endsWith(".md");
}

function docFiles(): string[] {
  const docs = existsSync(join(REPO_ROOT, "docs"))
    ? readdirSync(join(REPO_ROOT, "docs"))
        .filter(isDocsFile)
        .sort()
        .map((n) => join(REPO_ROOT, "docs", n))
    : [];
  return [join(REPO_ROOT, "README.md"), ...docs];
}

/** Fenced blocks (``` or ~~~, any length) with their info strings, in file order. */
function fencedBlocks(file: string, text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^( {0,3})(`{3,}|~{3,})(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[2]!;
    const info = open[3]!.trim();
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(lines[j]!);
      if (close && close[1]![0] === fence[0] && close[1]!.length >= fence.length) break;
      body.push(lines[j]!);
    }
    const [lang = "", ...rest] = info.split(/\s+/).filter(Boolean);
    const tags: string[] = [];
    const attrs: Record<string, string> = {};
    for (const word of rest) {
      const eq = word.indexOf("=");
      if (eq > 0) attrs[word.slice(0, eq)] = word.slice(eq + 1);
      else tags.push(word);
    }
    blocks.push({ file, line: i + 1, lang, tags, attrs, body: `${body.join("\n")}\n` });
    i = j;
  }
  return blocks;
}

const isRunnable = (b: Block) => b.tags.includes("aegis-test");
const isOutput = (b: Block) => b.tags.includes("aegis-output");

/** The exit code a block must end with. */
function expectedExit(b: Block): number {
  const e = b.attrs.expect;
  if (e === undefined) return 0;
  if (/^\d+$/.test(e)) return Number(e);
  if ((ERROR_KINDS as readonly string[]).includes(e)) return EXIT_CODES[e as ErrorKind];
  throw new Error(`${where(b)}: expect=${e} is neither an exit code nor an error kind`);
}

function where(b: Block): string {
  return `${relative(REPO_ROOT, b.file)}:${b.line}`;
}

/** Problems with a runnable block's info string, so a typo never silently skips a check. */
function infoProblems(b: Block): string[] {
  const problems: string[] = [];
  const known: Record<string, { tags: string[]; attrs: string[] }> = {
    toml: { tags: ["aegis-test"], attrs: ["expect"] },
    js: { tags: ["aegis-test", "yes"], attrs: ["expect", "timeout"] },
    sh: { tags: ["aegis-test"], attrs: ["expect", "timeout"] },
  };
  const spec = known[b.lang];
  if (!spec) return [`${where(b)}: "${b.lang} aegis-test" is not runnable (use toml, js or sh)`];
  for (const t of b.tags) if (!spec.tags.includes(t)) problems.push(`${where(b)}: unknown word "${t}"`);
  for (const a of Object.keys(b.attrs))
    if (!spec.attrs.includes(a)) problems.push(`${where(b)}: unknown attribute "${a}"`);
  if (b.lang === "toml" && b.attrs.expect !== undefined && b.attrs.expect !== "config_error")
    problems.push(`${where(b)}: a toml block can only expect=config_error`);
  if (b.lang === "js" && b.attrs.expect !== undefined && !RUN_KINDS.includes(b.attrs.expect))
    problems.push(`${where(b)}: expect=${b.attrs.expect} is not a run kind (${RUN_KINDS.join(", ")})`);
  try {
    expectedExit(b);
  } catch (e) {
    problems.push((e as Error).message);
  }
  return problems;
}

interface Sandbox {
  dir: string;
  home: string;
  bin: string;
  remove(): void;
}

function makeSandbox(): Sandbox {
  mkdirSync(TMP_BASE, { recursive: true });
  const base = realpathSync(mkdtempSync(join(TMP_BASE, "run-")));
  const dir = join(base, "work");
  const home = join(base, "home");
  const bin = join(base, "bin");
  for (const d of [dir, home, bin]) mkdirSync(d);
  for (const [name, entry] of [
    ["aegis", "aegis.js"],
    ["aegis-mcp", "aegis-mcp.js"],
  ] as const) {
    const wrapper = join(bin, name);
    writeFileSync(
      wrapper,
      `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(DIST, entry))} "$@"\n`,
    );
    chmodSync(wrapper, 0o755);
  }
  return { dir, home, bin, remove: () => rmSync(base, { recursive: true, force: true }) };
}

/** A copy of a tracked tree without what runs leave behind (audit logs, reports). */
function copyTree(from: string, to: string): void {
  cpSync(from, to, {
    recursive: true,
    filter: (src) => !["node_modules", ".aegis", "reports"].includes(basename(src)),
  });
}

function childEnv(sb: Sandbox): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^AEGIS_/i.test(k) || k.startsWith("NODE_TEST") || k === "NODE_OPTIONS") continue;
    env[k] = v;
  }
  return {
    ...env,
    HOME: sb.home,
    PATH: `${sb.bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    NO_COLOR: "1",
    OPENAI_API_KEY: SECRET,
  };
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(
  file: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
  timeoutS: number,
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
      reject(new Error(`${file} ${args.join(" ")} did not finish within ${timeoutS} s`));
    }, timeoutS * 1000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
  });
}

function timeoutOf(b: Block): number {
  const t = Number(b.attrs.timeout ?? DEFAULT_TIMEOUT_S);
  return Number.isFinite(t) && t > 0 ? t : DEFAULT_TIMEOUT_S;
}

/** Each expected line must match a later actual line, whole; `…` matches any text. */
function checkOutput(expected: string, actual: string, at: string): void {
  const want = expected
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const have = actual.split("\n").map((l) => l.trim());
  let from = 0;
  for (const line of want) {
    const pattern = new RegExp(
      `^${line
        .split("…")
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*")}$`,
    );
    const found = have.findIndex((l, i) => i >= from && pattern.test(l));
    assert.ok(
      found >= 0,
      `${at}: documented output line not found (in order):\n  ${line}\nactual output:\n${actual}`,
    );
    from = found + 1;
  }
}

const AEGIS = join(DIST, "aegis.js");

/** What `aegis run` prints for a result (without the script position suffix). */
function printed(result: {
  ok: boolean;
  kind: string;
  value?: unknown;
  output: string;
  error?: { message: string };
}): string {
  let text = result.output;
  if (result.ok && result.value !== undefined) text += `${JSON.stringify(result.value, null, 2)}\n`;
  if (!result.ok) text += `aegis: ${result.kind}: ${result.error?.message ?? ""}\n`;
  return text;
}

async function runToml(b: Block): Promise<void> {
  const sb = makeSandbox();
  try {
    copyTree(PROJECT_FIXTURE, sb.dir);
    writeFileSync(join(sb.dir, "aegis.toml"), b.body);
    const r = await run(
      process.execPath,
      [AEGIS, "policy", "validate", "aegis.toml"],
      sb.dir,
      childEnv(sb),
      timeoutOf(b),
    );
    assert.equal(r.code, expectedExit(b), `${where(b)}: aegis policy validate:\n${r.stdout}${r.stderr}`);
  } finally {
    sb.remove();
  }
}

async function runJs(b: Block, policy: Block | undefined, output: Block | undefined): Promise<void> {
  const sb = makeSandbox();
  try {
    copyTree(PROJECT_FIXTURE, sb.dir);
    if (policy) writeFileSync(join(sb.dir, "aegis.toml"), policy.body);
    else rmSync(join(sb.dir, "aegis.toml"), { force: true });
    writeFileSync(join(sb.dir, "script.js"), b.body);
    const args = [AEGIS, "run", "--json", ...(b.tags.includes("yes") ? ["--yes"] : []), "script.js"];
    const r = await run(process.execPath, args, sb.dir, childEnv(sb), timeoutOf(b));
    let result: { ok: boolean; kind: string; value?: unknown; output: string; error?: { message: string } };
    try {
      result = JSON.parse(r.stdout);
    } catch {
      assert.fail(
        `${where(b)}: aegis run --json printed no result (exit ${r.code}):\n${r.stdout}${r.stderr}`,
      );
    }
    const kind = b.attrs.expect ?? "success";
    assert.equal(
      result.kind,
      kind,
      `${where(b)}: the run ended ${result.kind}, not ${kind}: ${result.error?.message ?? ""}\n${result.output}`,
    );
    assert.equal(r.code, kind === "success" ? 0 : EXIT_CODES[kind as ErrorKind], `${where(b)}: exit code`);
    if (output) checkOutput(output.body, printed(result), where(output));
  } finally {
    sb.remove();
  }
}

async function runSh(b: Block, policy: Block | undefined, output: Block | undefined): Promise<void> {
  const sb = makeSandbox();
  try {
    copyTree(EXAMPLES, join(sb.dir, "examples"));
    symlinkSync(DIST, join(sb.dir, "dist"));
    if (policy) writeFileSync(join(sb.dir, "aegis.toml"), policy.body);
    // One stream, so documented output can interleave stdout and stderr as a terminal shows them.
    const script = `exec 2>&1\n${b.body}`;
    const r = await run("bash", ["-e", "-c", script], sb.dir, childEnv(sb), timeoutOf(b));
    assert.equal(r.code, expectedExit(b), `${where(b)}: bash -e exited ${r.code}:\n${r.stdout}`);
    if (output) checkOutput(output.body, r.stdout, where(output));
  } finally {
    sb.remove();
  }
}

const FILES = docFiles().filter((f) => existsSync(f));
const BLOCKS = new Map(FILES.map((f) => [f, fencedBlocks(f, readFileSync(f, "utf8"))]));
const ALL = [...BLOCKS.values()].flat();

if (!existsSync(AEGIS)) {
  throw new Error(`${AEGIS} is missing: run \`npm run build\` before the docs test (npm test does)`);
}

describe("documentation conventions", () => {
  test("every runnable block is well-formed", () => {
    const problems = ALL.filter(isRunnable).flatMap(infoProblems);
    assert.deepEqual(problems, []);
  });

  test("every aegis-output block follows a runnable js or sh block", () => {
    const problems: string[] = [];
    for (const blocks of BLOCKS.values()) {
      blocks.forEach((b, i) => {
        if (!isOutput(b)) return;
        const prev = blocks[i - 1];
        if (!prev || !isRunnable(prev) || prev.lang === "toml")
          problems.push(`${where(b)}: aegis-output must directly follow a runnable js or sh block`);
      });
    }
    assert.deepEqual(problems, []);
  });

  test("the docs hold at least 15 runnable blocks", () => {
    assert.ok(ALL.filter(isRunnable).length >= 15, `only ${ALL.filter(isRunnable).length}`);
  });

  test("relative links between the docs point at files that exist", () => {
    const missing: string[] = [];
    for (const file of FILES) {
      const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "");
      for (const m of text.matchAll(/\]\(([^)\s#]+\.md)(#[^)]*)?\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target)) continue;
        if (!existsSync(join(dirname(file), target)))
          missing.push(`${relative(REPO_ROOT, file)} → ${target}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  const reference = (name: string) => join(REPO_ROOT, "docs", name);

  test("docs/errors.md describes every error kind", { skip: !existsSync(reference("errors.md")) }, () => {
    const text = readFileSync(reference("errors.md"), "utf8");
    assert.deepEqual(
      ERROR_KINDS.filter((k) => !text.includes(`\`${k}\``)),
      [],
    );
  });

  test("docs/security.md counts the cases of each evals/adversarial file as they are", {
    skip: !existsSync(reference("security.md")),
  }, () => {
    const text = readFileSync(reference("security.md"), "utf8");
    const wrong: string[] = [];
    let sum = 0;
    for (const m of text.matchAll(/^\|[^|\n]*\|[^|\n]*\|\s*`(\d\d-[a-z-]+\.json)`\s*\|\s*(\d+)\s*\|/gm)) {
      const file = join(REPO_ROOT, "evals", "adversarial", m[1]!);
      const actual = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as unknown[]).length : -1;
      if (actual !== Number(m[2])) wrong.push(`${m[1]}: documented ${m[2]}, the file holds ${actual}`);
      sum += Number(m[2]);
    }
    const total = /^\|[^|\n]*\|\s*total\s*\|[^|\n]*\|\s*(\d+)\s*\|/m.exec(text);
    if (total && Number(total[1]) !== sum)
      wrong.push(`total: documented ${total[1]}, the rows add up to ${sum}`);
    assert.deepEqual(wrong, []);
  });

  test("docs/mcp.md describes every tool", { skip: !existsSync(reference("mcp.md")) }, () => {
    const text = readFileSync(reference("mcp.md"), "utf8");
    assert.deepEqual(
      TOOLS.map((t) => t.name).filter((n) => !text.includes(`\`${n}\``)),
      [],
    );
  });

  test("docs/script-api.md describes every builtin", {
    skip: !existsSync(reference("script-api.md")),
  }, () => {
    const text = readFileSync(reference("script-api.md"), "utf8");
    assert.deepEqual(
      Object.keys(BUILTINS).filter((n) => !text.includes(n)),
      [],
    );
  });
});

for (const [file, blocks] of BLOCKS) {
  const runnable = blocks.filter(isRunnable);
  if (runnable.length === 0) continue;
  describe(`runnable blocks of ${relative(REPO_ROOT, file)}`, () => {
    let policy: Block | undefined;
    blocks.forEach((b, i) => {
      if (!isRunnable(b) || infoProblems(b).length > 0) return;
      const next = blocks[i + 1];
      const output = next && isOutput(next) ? next : undefined;
      if (b.lang === "toml") {
        if (b.attrs.expect === undefined) policy = b;
        test(`${where(b)} toml: the policy validates`, () => runToml(b));
      } else if (b.lang === "js") {
        const under = policy;
        const label = under ? `under the policy at line ${under.line}` : "under secure-defaults";
        test(`${where(b)} js ${label}: ends ${b.attrs.expect ?? "success"}`, () => runJs(b, under, output));
      } else if (b.lang === "sh") {
        const under = policy;
        test(`${where(b)} sh: exits ${expectedExit(b)}`, () => runSh(b, under, output));
      }
    });
  });
}
