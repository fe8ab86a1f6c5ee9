/**
 * The built sandbox worker (dist/sandbox-worker-boot.cjs → dist/sandbox-worker.cjs) is loaded with
 * a V8 code cache the build made (scripts/worker-bundle.mjs). The cache may only change how fast a
 * worker starts: this Node must take the build's cache, and a built CLI whose cache is corrupt or
 * missing must still run scripts and enforce its policy. The bundle reaches undici and modules
 * named at run time through seams of its own (require, the entry's import): both must work.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { Script } from "node:vm";
import { sourceHash } from "../../src/cached-bundle.js";
import { WORKER_BOOT, WORKER_BUNDLE, WORKER_CACHE, WORKER_UNDICI } from "../../src/host/worker-files.js";
import { auditRecords, REPO_ROOT, tempProject } from "../helpers/cli.js";

const DIST = join(REPO_ROOT, "dist");

function requireBuilt(): void {
  for (const f of [WORKER_BOOT, WORKER_BUNDLE, WORKER_CACHE, WORKER_UNDICI])
    assert.ok(existsSync(join(DIST, f)), `dist/${f} is missing: run \`npm run build\` first`);
}

/** A copy of the built package (dist, package.json, node_modules linked) to damage. */
function builtCopy(t: Parameters<typeof tempProject>[0]): { dist: string; root: string } {
  const p = tempProject(t, "aegis-worker-bundle-");
  const dist = join(p.base, "dist");
  cpSync(DIST, dist, { recursive: true });
  writeFileSync(join(p.base, "package.json"), readFileSync(join(REPO_ROOT, "package.json")));
  symlinkSync(join(REPO_ROOT, "node_modules"), join(p.base, "node_modules"));
  writeFileSync(join(p.root, "aegis.toml"), '[filesystem]\nread_allow = ["src/**"]\n');
  mkdirSync(join(p.root, "src"));
  writeFileSync(join(p.root, "src", "a.txt"), "allowed contents\n");
  writeFileSync(join(p.root, ".env"), "KEY=sk-not-for-scripts\n");
  return { dist, root: p.root };
}

function runScript(dist: string, root: string, script: string) {
  writeFileSync(join(root, "task.js"), script);
  return spawnSync(process.execPath, [join(dist, "aegis.js"), "run", "--json", "task.js"], {
    cwd: root,
    encoding: "utf8",
  });
}

/** The allowed read works and the denied one is refused, with both decisions in the audit log. */
function enforces(dist: string, root: string): void {
  const ok = runScript(dist, root, 'export default (await fs.read("src/a.txt")).trim();\n');
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).value, "allowed contents");
  // Not a literal (the verifier would refuse that before the run): the gate decides at the call.
  const denied = runScript(
    dist,
    root,
    'const f = [".e", "nv"].join("");\nexport default await fs.read(f);\n',
  );
  assert.equal(denied.status, 2, denied.stderr);
  assert.equal(JSON.parse(denied.stdout).kind, "policy_violation");
  assert.doesNotMatch(denied.stdout + denied.stderr, /sk-not-for-scripts/);
  const decisions = auditRecords(join(root, ".aegis", "audit.jsonl")).filter(
    (r) => (r.detail as { phase?: string } | undefined)?.phase !== "outcome",
  );
  assert.deepEqual(
    decisions.map((r) => r.decision),
    ["allow", "deny"],
  );
}

describe("the built sandbox worker's code cache", () => {
  it("is taken by this Node for the bundle it was made from", () => {
    requireBuilt();
    const source = readFileSync(join(DIST, WORKER_BUNDLE), "utf8");
    const cache = readFileSync(join(DIST, WORKER_CACHE));
    assert.ok(cache.subarray(0, 32).equals(sourceHash(source)), "the cache names other source");
    const script = new Script(source, {
      filename: join(DIST, WORKER_BUNDLE),
      cachedData: cache.subarray(32),
    });
    assert.equal(script.cachedDataRejected, false, "V8 rejected the cache the build wrote");
  });

  it("that is corrupt is refused, and the worker still runs scripts under the policy", (t) => {
    requireBuilt();
    const { dist, root } = builtCopy(t);
    const source = readFileSync(join(dist, WORKER_BUNDLE), "utf8");
    writeFileSync(join(dist, WORKER_CACHE), Buffer.concat([sourceHash(source), Buffer.alloc(8192, 0x5a)]));
    enforces(dist, root);
  });

  it("that is missing: the worker compiles its source and still enforces the policy", (t) => {
    requireBuilt();
    const { dist, root } = builtCopy(t);
    rmSync(join(dist, WORKER_CACHE));
    enforces(dist, root);
  });
});

describe("the built sandbox worker's seams", () => {
  it("loads a builtins module named at run time (the entry's import)", async (t) => {
    requireBuilt();
    const p = tempProject(t, "aegis-worker-builtins-");
    const builtins = join(p.base, "builtins.mjs");
    writeFileSync(builtins, 'export const BUILTINS = { "test.answer": async () => 42 };\n');
    writeFileSync(join(p.root, "aegis.toml"), "[runtime]\nmax_seconds = 30\n");
    const { Sandbox } = (await import(
      pathToFileURL(join(DIST, "index.js")).href
    )) as typeof import("../../src/index.js");
    const sandbox = await Sandbox.create({
      policyFile: join(p.root, "aegis.toml"),
      cwd: p.root,
      home: p.home,
      auditLog: join(p.base, "audit.jsonl"),
      source: "run",
      env: {},
      confirm: async () => false,
      builtinsModule: pathToFileURL(builtins).href,
    });
    t.after(() => sandbox.close());
    const r = await sandbox.run("export default await test.answer();");
    assert.equal(r.ok, true, r.error?.message);
    assert.equal(r.value, 42);
  });
});
