/**
 * Sandbox figures (not a test): worker start, warm trivial-run latency, per-call bridge
 * cost of a no-op builtin, 10 000 parallel calls. Bundles the sandbox like the release
 * build does (esbuild, packages external) into a temporary directory, so the worker is
 * the bundled .js file, not TypeScript under tsx.
 *
 *   node --import tsx test/host/engine/bench-sandbox.ts
 */
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

const repo = resolve(import.meta.dirname, "../../..");
const dir = mkdtempSync(join(tmpdir(), "aegis-sandbox-bench-"));
try {
  symlinkSync(join(repo, "node_modules"), join(dir, "node_modules"));
  writeFileSync(join(dir, "package.json"), '{"type":"module"}');
  await build({
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    outdir: join(dir, "dist"),
    logLevel: "warning",
    entryPoints: {
      sandbox: join(repo, "src/host/sandbox.ts"),
      "sandbox-worker": join(repo, "src/host/sandbox-worker.ts"),
    },
  });
  writeFileSync(join(dir, "builtins.mjs"), 'export const BUILTINS = { "bench.noop": async () => null };\n');
  writeFileSync(join(dir, "aegis.toml"), "[runtime]\nmax_seconds = 120\n");
  const { Sandbox } = (await import(
    pathToFileURL(join(dir, "dist/sandbox.js")).href
  )) as typeof import("../../../src/host/sandbox.js");
  const options = {
    policyFile: join(dir, "aegis.toml"),
    cwd: dir,
    home: dir,
    auditLog: join(dir, "audit.jsonl"),
    source: "run" as const,
    env: {},
    confirm: async () => false,
    builtinsModule: pathToFileURL(join(dir, "builtins.mjs")).href,
  };
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

  const starts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const s = await Sandbox.create(options);
    starts.push(performance.now() - t);
    await s.close();
  }
  const sandbox = await Sandbox.create(options);
  for (let i = 0; i < 100; i++) await sandbox.run("export default 1");
  const runs: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const t = performance.now();
    await sandbox.run("export default 1");
    runs.push(performance.now() - t);
  }
  const N = 20_000;
  const timed = await sandbox.run(
    `let t = Date.now(); for (let i = 0; i < ${N}; i++) await bench.noop(); const calls = Date.now() - t;
     t = Date.now(); for (let i = 0; i < ${N}; i++) await 0; export default [calls, Date.now() - t];`,
  );
  const [calls, awaits] = timed.value as [number, number];
  const parallel = await sandbox.run(
    `const t = Date.now(); const ps = []; for (let i = 0; i < 10000; i++) ps.push(bench.noop());
     await Promise.all(ps); export default Date.now() - t;`,
  );
  await sandbox.close();
  const sorted = [...runs].sort((a, b) => a - b);
  console.log(
    JSON.stringify(
      {
        node: process.version,
        NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS ? "set" : "unset",
        workerStartMs: { median: +median(starts).toFixed(1), all: starts.map((x) => +x.toFixed(1)) },
        trivialRunMs: {
          median: +median(runs).toFixed(2),
          p90: +sorted[900]!.toFixed(2),
          p99: +sorted[990]!.toFixed(2),
        },
        perNoopCallUs: +(((calls - awaits) * 1000) / N).toFixed(1),
        tenThousandParallelCallsMs: parallel.value,
      },
      null,
      2,
    ),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
