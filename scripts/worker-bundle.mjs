// Builds the sandbox worker as dist/sandbox-worker.cjs with its V8 code cache and its entry,
// dist/sandbox-worker-boot.cjs (src/host/worker-boot.ts). The cache is made by running the bundle
// here, on this thread, against a stand-in for the worker's message port: it starts on a small
// policy, runs a script that reads a file, and closes, so the cache holds the functions one
// `aegis run` compiles.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { cjsBuild, writeCodeCache, writeWrappedBundle } from "./cached-bundle.mjs";
import { importTs, ROOT } from "./import-ts.mjs";

const require = createRequire(import.meta.url);

export async function buildWorkerBundle(common, outdir) {
  const files = await importTs("src/host/worker-files.ts");
  const loader = await importTs("src/cached-bundle.ts");
  const file = join(outdir, files.WORKER_BUNDLE);
  // undici (most of the worker's code, and used only by scripts that reach the network) is a
  // bundle of its own, required on the first request: the worker's bundle is read and hashed
  // whole at every start.
  // import() does not work in code evaluated by vm.Script: undici is reached through require()
  // (still on first use), and a module named at run time through the entry's import (boot.ts).
  const seams = {
    name: "worker-seams",
    setup(b) {
      b.onResolve({ filter: /^undici$/ }, () => ({ path: "undici", namespace: "worker-seam" }));
      b.onResolve({ filter: /\/import-module\.js$/ }, () => ({
        path: "import-module",
        namespace: "worker-seam",
      }));
      b.onLoad({ filter: /.*/, namespace: "worker-seam" }, (args) => ({
        contents:
          args.path === "undici"
            ? `module.exports = require("./${files.WORKER_UNDICI}");`
            : "export const importModule = (specifier) => __aegisImport(specifier);",
        loader: "js",
      }));
    },
  };
  await writeWrappedBundle(
    { ...common, external: [...common.external, `./${files.WORKER_UNDICI}`], plugins: [seams] },
    join(ROOT, "src", "host", "sandbox-worker.ts"),
    file,
  );
  await build({
    ...cjsBuild(common, require.resolve("undici"), join(outdir, files.WORKER_UNDICI)),
    sourcemap: false,
  });
  await build({
    ...cjsBuild(common, join(ROOT, "src", "host", "worker-boot.ts"), join(outdir, files.WORKER_BOOT)),
    sourcemap: false,
  });
  const dir = mkdtempSync(join(tmpdir(), "aegis-worker-warmup-"));
  try {
    const loaded = await warmUp(loader, file, dir);
    writeCodeCache(loader, loaded, file, join(outdir, files.WORKER_CACHE));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function warmUp(loader, file, dir) {
  writeFileSync(join(dir, "aegis.toml"), '[filesystem]\nread_allow = ["*.txt"]\n');
  writeFileSync(join(dir, "a.txt"), "warm\n");
  const init = {
    policyFile: join(dir, "aegis.toml"),
    cwd: dir,
    home: dir,
    auditLog: join(dir, "audit.jsonl"),
    source: "run",
    env: {},
  };
  const handlers = [];
  const waiting = new Map();
  const expect = (type) => new Promise((resolve) => waiting.set(type, resolve));
  const port = {
    postMessage(message) {
      if (message.type === "init-failed") throw new Error(`worker warm-up: ${message.message}`);
      waiting.get(message.type)?.(message);
    },
    on(event, handler) {
      if (event === "message") handlers.push(handler);
    },
  };
  const send = (message) => {
    for (const h of handlers) h(message);
  };
  const real = createRequire(file);
  const workerRequire = Object.assign(
    (id) => (id === "node:worker_threads" ? { parentPort: port, workerData: init } : real(id)),
    real,
  );
  const ready = expect("ready");
  const loaded = loader.loadCachedBundle(file, join(dir, "no-cache"), workerRequire);
  await ready;
  const result = expect("result");
  send({
    type: "run",
    id: 1,
    runId: "warm-up",
    script: 'const t = await fs.read("a.txt");\nconsole.log(t.trim());\nexport default { ok: t.length };\n',
  });
  const { result: r } = await result;
  if (!r.ok) throw new Error(`worker warm-up run failed: ${JSON.stringify(r.error)}`);
  const closed = expect("closed");
  send({ type: "close" });
  await closed;
  return loaded;
}
