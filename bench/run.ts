/**
 * `npm run bench`: every performance figure of docs/performance.md, measured in one run
 * against baselines measured in the same run (bare Node, Deno, undici, execFile).
 * Medians over repeated runs; says whether NODE_EXTRA_CA_CERTS was set.
 *
 *   npm run bench                 # full run, writes bench/results.json
 *   BENCH_QUICK=1 npm run bench   # fewer repetitions
 *   BENCH_ONLY=httpBench,hookBench npm run bench   # only those steps
 */
import { execFile, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { Pool } from "undici";

const ROOT = resolve(import.meta.dirname, "..");
const DIST = join(ROOT, "dist");
const QUICK = process.env.BENCH_QUICK === "1";
// BENCH_ONLY=httpBench,hookBench runs just those steps (results.json then holds only them).
const ONLY = (process.env.BENCH_ONLY ?? "").split(",").filter((s) => s !== "");
const CA = "/etc/ssl/certs/ca-certificates.crt";
const execFileP = promisify(execFile);

type Row = { name: string; value: string; baseline?: string; ratio?: string; note?: string };
const rows: Row[] = [];
const results: Record<string, unknown> = {};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;
const us = (x: number) => `${x.toFixed(1)} µs`;

function timeCommand(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd = ROOT,
  input?: string,
): number {
  const t = performance.now();
  const r = spawnSync(cmd, args, { env, cwd, input, stdio: ["pipe", "ignore", "ignore"] });
  const elapsed = performance.now() - t;
  if (r.error) throw r.error;
  return elapsed;
}

function repeat(n: number, fn: () => number): number[] {
  fn(); // warm the file cache
  return Array.from({ length: n }, fn);
}

function envWith(ca: boolean): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (ca && existsSync(CA)) env.NODE_EXTRA_CA_CERTS = CA;
  else delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

const EMPTY_WORKER = `const { Worker } = require("node:worker_threads");
new Worker("require('node:worker_threads').parentPort.postMessage(0)", { eval: true, resourceLimits: { stackSizeMb: 64 } })
  .once("message", () => process.exit(0));`;

function coldStart(): void {
  const n = QUICK ? 5 : 15;
  const deno = join(ROOT, "node_modules", ".bin", "deno");
  const hello = join(ROOT, "examples", "hello.js");
  for (const ca of [false, true]) {
    const env = envWith(ca);
    const label = ca ? "with NODE_EXTRA_CA_CERTS" : "without NODE_EXTRA_CA_CERTS";
    // The four commands take turns, round by round, so a change in the machine's load in the
    // middle of the step reaches all of them alike.
    const commands: Record<string, () => number> = {
      node0: () => timeCommand(process.execPath, ["-e", "0"], env),
      // The floor the sandbox's design sets: a process that starts one worker_threads worker
      // (every run executes in one) and exits on its first message, running no aegis code.
      emptyWorker: () => timeCommand(process.execPath, ["-e", EMPTY_WORKER], env),
      aegis: () => timeCommand(process.execPath, [join(DIST, "aegis.js"), "run", hello], env),
      ...(existsSync(deno)
        ? {
            deno: () =>
              timeCommand(deno, ["run", "--allow-read", hello], { ...env, DENO_NO_UPDATE_CHECK: "1" }),
          }
        : {}),
    };
    const times: Record<string, number[]> = {};
    for (const [name, run] of Object.entries(commands)) {
      run(); // warm the file cache
      times[name] = [];
    }
    for (let i = 0; i < n; i++) for (const [name, run] of Object.entries(commands)) times[name]!.push(run());
    const node0 = median(times.node0!);
    const emptyWorker = median(times.emptyWorker!);
    const aegis = median(times.aegis!);
    const denoRun = times.deno ? median(times.deno) : Number.NaN;
    results[`cold_${ca ? "ca" : "noca"}`] = { node0, emptyWorker, aegis, deno: denoRun };
    rows.push({
      name: `cold \`aegis run examples/hello.js\` (${label})`,
      value: ms(aegis),
      baseline: `node -e 0: ${ms(node0)}; node + one empty worker: ${ms(emptyWorker)}; deno run: ${ms(denoRun)}`,
      ratio: `${(aegis / node0).toFixed(2)}× node (empty worker: ${(emptyWorker / node0).toFixed(2)}×), ${(aegis / denoRun).toFixed(2)}× deno`,
      note: "target ≤ 2× node",
    });
  }
}

async function loadLib() {
  return (await import(join(DIST, "index.js"))) as typeof import("../src/index.js");
}

function project(toml: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "aegis-bench-"));
  writeFileSync(join(dir, "aegis.toml"), toml);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(dir, rel, ".."), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return dir;
}

async function sandboxFor(dir: string, builtinsModule?: string) {
  const { Sandbox } = await loadLib();
  return Sandbox.create({
    policyFile: join(dir, "aegis.toml"),
    cwd: dir,
    auditLog: join(dir, ".aegis", "audit.jsonl"),
    source: "run",
    confirm: async () => true,
    env: { PATH: process.env.PATH },
    ...(builtinsModule ? { builtinsModule } : {}),
  });
}

async function warmRuns(): Promise<void> {
  const dir = project("[runtime]\nmax_seconds = 10\n");
  const sb = await sandboxFor(dir);
  const n = QUICK ? 200 : 1000;
  // Two blocks of n runs in one sandbox: the first from its start (V8 is still moving QuickJS's
  // hot functions to its optimising tier, over about the first 1500 runs), the second warm.
  const first: number[] = [];
  const xs: number[] = [];
  const rssStart = process.memoryUsage().rss;
  let rssPeak = rssStart;
  for (let i = 0; i < 2 * n; i++) {
    const t = performance.now();
    const r = await sb.run("export default 1");
    (i < n ? first : xs).push(performance.now() - t);
    if (!r.ok) throw new Error(`trivial run failed: ${r.error?.message}`);
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }
  await sb.close();
  results.warm = {
    median: median(xs),
    firstBlockMedian: median(first),
    n,
    rssStartMb: rssStart / 2 ** 20,
    rssPeakMb: rssPeak / 2 ** 20,
  };
  rows.push({
    name: `warm trivial run, fresh sandbox each (median of runs ${n + 1}–${2 * n} in one process)`,
    value: ms(median(xs)),
    note: `target ≤ 1 ms; runs 1–${n}: ${ms(median(first))}`,
  });
  rows.push({
    name: `main-process RSS over ${2 * n} runs`,
    value: `${(rssStart / 2 ** 20).toFixed(0)} → peak ${(rssPeak / 2 ** 20).toFixed(0)} MiB`,
  });
  rmSync(dir, { recursive: true, force: true });
}

async function fsReadOverhead(): Promise<void> {
  const dir = project('[filesystem]\nread_allow = ["data/**"]\n[runtime]\nmax_seconds = 60\n', {
    "data/one-kb.txt": "x".repeat(1024),
  });
  const sb = await sandboxFor(dir);
  const n = QUICK ? 500 : 2000;
  const loop = (body: string) =>
    `const t0 = Date.now();\nfor (let i = 0; i < ${n}; i++) { ${body} }\nexport default Date.now() - t0;`;
  const per: number[] = [];
  const empty: number[] = [];
  for (let k = 0; k < 5; k++) {
    const r = await sb.run(loop('await fs.read("data/one-kb.txt");'));
    const e = await sb.run(loop("await 0;"));
    if (!r.ok || !e.ok) throw new Error(`fs.read loop failed: ${r.error?.message ?? e.error?.message}`);
    per.push(((r.value as number) * 1000) / n);
    empty.push(((e.value as number) * 1000) / n);
  }
  await sb.close();
  const { readFile } = await import("node:fs/promises");
  const file = join(dir, "data", "one-kb.txt");
  const node: number[] = [];
  for (let k = 0; k < 5; k++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) await readFile(file, "utf8");
    node.push(((performance.now() - t) * 1000) / n);
  }
  const aegisPer = median(per) - median(empty);
  results.fsRead = { aegisPerCallUs: aegisPer, nodePerCallUs: median(node), n };
  rows.push({
    name: "`fs.read` of 1 KiB inside a script (gate + audit + bridge), per call",
    value: us(aegisPer),
    baseline: `fs.promises.readFile: ${us(median(node))}`,
    ratio: `overhead ${us(aegisPer - median(node))}`,
    note: "target ≤ 25 µs overhead",
  });
  rmSync(dir, { recursive: true, force: true });
}

function childRss(): void {
  const r = spawnSync(
    "/usr/bin/time",
    ["-f", "%M", process.execPath, join(DIST, "aegis.js"), "run", join(ROOT, "examples", "hello.js")],
    {
      encoding: "utf8",
    },
  );
  const kb = Number(r.stderr.trim().split("\n").at(-1));
  results.peakRssRunMb = kb / 1024;
  rows.push({ name: "peak RSS of one `aegis run` process", value: `${(kb / 1024).toFixed(0)} MiB` });
}

const HTTP_SERVER = `
const http = require("node:http");
const server = http.createServer((req, res) => {
  if (req.url === "/close") res.setHeader("connection", "close");
  res.end("hello");
});
server.listen(0, "127.0.0.1", () => process.stdout.write(String(server.address().port) + "\\n"));
`;

/** The loopback server in its own process, as a real one would be; resolves to its port and a stop. */
async function serverProcess(): Promise<{ port: number; stop: () => void }> {
  const child = spawn(process.execPath, ["-e", HTTP_SERVER], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((done, fail) => {
    let buf = "";
    child.on("error", fail);
    child.on("exit", (code) => fail(new Error(`the bench's HTTP server exited (${code})`)));
    child.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      if (buf.includes("\n")) done(Number(buf.trim()));
    });
  });
  child.removeAllListeners("exit");
  return { port, stop: () => child.kill() };
}

async function httpBench(): Promise<void> {
  // Two placements of the same server: in the bench process (the undici baseline then runs on
  // the server's own thread, which no client in another thread or process can match), and in
  // a process of its own, where the baseline and aegis both reach it across processes.
  const server = http.createServer((req, res) => {
    if (req.url === "/close") res.setHeader("connection", "close");
    res.end("hello");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  await httpRows((server.address() as AddressInfo).port, "server in the bench process", "");
  server.close();
  const child = await serverProcess();
  try {
    await httpRows(child.port, "server in its own process", "_own_process");
  } finally {
    child.stop();
  }
}

/**
 * The builtins module of the bridge-only floor: `bench.rawGet(path)` is one undici request
 * to the loopback server, collected like aegis collects one, with nothing around it.
 */
const RAW_GET_BUILTIN = (
  port: number,
) => `import { Pool } from ${JSON.stringify(pathToFileURL(createRequire(import.meta.url).resolve("undici")).href)};
const pool = new Pool("http://127.0.0.1:${port}");
export const BUILTINS = {
  "bench.rawGet": async ([path]) => {
    const r = await pool.request({ path, method: "GET" });
    return { status: r.statusCode, headers: r.headers, body: await r.body.text() };
  },
};
`;

async function httpRows(port: number, placement: string, key: string): Promise<void> {
  const n = QUICK ? 200 : 1000;
  const dir = project(
    `[network]\nhttp_get_allow = ["127.0.0.1"]\nallow_ports = [${port}]\n[runtime]\nmax_seconds = 120\n`,
  );
  const sb = await sandboxFor(dir);
  // The floor under any policy gate: the same script loop through a builtin that makes only
  // the undici request (no policy, no gate, no audit record, no DNS, no sealing), so what
  // remains is the QuickJS bridge and the worker around the request itself.
  writeFileSync(join(dir, "raw-get.mjs"), RAW_GET_BUILTIN(port));
  const floor = await sandboxFor(dir, pathToFileURL(join(dir, "raw-get.mjs")).href);
  for (const [mode, path] of [
    ["keep-alive", "/"],
    ["fresh connections", "/close"],
  ] as const) {
    const url = `http://127.0.0.1:${port}${path}`;
    const loop = (call: string) =>
      `const t0 = Date.now();\nfor (let i = 0; i < ${n}; i++) await ${call};\nexport default Date.now() - t0;`;
    const pool = new Pool(`http://127.0.0.1:${port}`);
    const direct: number[] = [];
    const aegis: number[] = [];
    const bridge: number[] = [];
    for (let k = 0; k < 5; k++) {
      const t = performance.now();
      for (let i = 0; i < n; i++) await (await pool.request({ path, method: "GET" })).body.text();
      direct.push(performance.now() - t);
      const r = await sb.run(loop(`net.httpGet(${JSON.stringify(url)})`));
      if (!r.ok) throw new Error(`http loop failed: ${r.error?.message}`);
      aegis.push(r.value as number);
      const f = await floor.run(loop(`bench.rawGet(${JSON.stringify(path)})`));
      if (!f.ok) throw new Error(`raw http loop failed: ${f.error?.message}`);
      bridge.push(f.value as number);
    }
    await pool.close();
    const ratio = median(direct) / median(aegis);
    const floorRatio = median(direct) / median(bridge);
    results[`http_${mode}${key}`] = {
      directMs: median(direct),
      aegisMs: median(aegis),
      bridgeOnlyMs: median(bridge),
      n,
      throughputRatio: ratio,
      bridgeOnlyRatio: floorRatio,
    };
    rows.push({
      name: `${n} loopback GETs, ${mode}, ${placement}`,
      value: ms(median(aegis)),
      baseline: `undici direct: ${ms(median(direct))}; bridge only: ${ms(median(bridge))}`,
      ratio: `${ratio.toFixed(2)}× direct throughput (bridge only: ${floorRatio.toFixed(2)}×)`,
      note: "target ≥ 0.8×",
    });
  }
  await floor.close();
  await sb.close();
  rmSync(dir, { recursive: true, force: true });
}

async function execBench(): Promise<void> {
  const n = QUICK ? 50 : 200;
  const truePath = existsSync("/usr/bin/true") ? "/usr/bin/true" : "/bin/true";
  const node: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await execFileP(truePath, []);
    node.push(performance.now() - t);
  }
  const out: Record<string, number> = { execFile: median(node) };
  // bwrap alone, from this process, with the options aegis gives it for this policy (root
  // read-only, fresh /dev, /proc and /tmp, every namespace unshared, capabilities dropped).
  const bwrap = spawnSync("sh", ["-c", "command -v bwrap"], { encoding: "utf8" }).stdout.trim();
  if (bwrap) {
    const opts = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"];
    opts.push("--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv");
    const raw: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await execFileP(bwrap, [...opts, "--setenv", "PATH", process.env.PATH ?? "/usr/bin", "--", truePath]);
      raw.push(performance.now() - t);
    }
    out.bwrapDirect = median(raw);
  }
  for (const sandbox of ["none", "bwrap"]) {
    const dir = project(
      `requires_approval = []\n[environment]\nallow_vars = ["PATH"]\n[subprocess]\nallow_commands = ["true"]\nsandbox = "${sandbox}"\n[runtime]\nmax_seconds = 120\n`,
    );
    const sb = await sandboxFor(dir).catch((e: Error) => e);
    if (sb instanceof Error) {
      out[sandbox] = Number.NaN;
      continue;
    }
    const r = await sb.run(
      `const xs = [];\nfor (let i = 0; i < ${n}; i++) { const t = Date.now(); await subprocess.exec(["true"]); xs.push(Date.now() - t); }\nxs.sort((a, b) => a - b);\nexport default xs[${n >> 1}];`,
    );
    await sb.close();
    if (!r.ok) throw new Error(`exec loop failed: ${r.error?.message}`);
    out[sandbox] = r.value as number;
    rmSync(dir, { recursive: true, force: true });
  }
  results.exec = out;
  rows.push({
    name: '`subprocess.exec(["true"])`, median',
    value: `plain ${ms(out.none!)}, jailed ${ms(out.bwrap!)}`,
    baseline: `execFile: ${ms(out.execFile!)}; bwrap … true by execFile: ${ms(out.bwrapDirect ?? Number.NaN)}`,
    ratio: `jail adds ${ms(out.bwrap! - out.none!)}; bwrap itself adds ${ms((out.bwrapDirect ?? Number.NaN) - out.execFile!)}`,
  });
}

async function mcpBench(): Promise<void> {
  const dir = project("[runtime]\nmax_seconds = 10\n");
  const n = QUICK ? 5 : 10;
  const cold: number[] = [];
  for (let i = 0; i < n; i++) {
    cold.push(
      await new Promise<number>((done, fail) => {
        const t0 = performance.now();
        const p = spawn(process.execPath, [join(DIST, "aegis-mcp.js"), "--policy", join(dir, "aegis.toml")], {
          cwd: dir,
          env: envWith(false),
          stdio: ["pipe", "pipe", "ignore"],
        });
        let buf = "";
        p.on("error", fail);
        p.stdout.on("data", (d: Buffer) => {
          buf += d.toString();
          for (const line of buf.split("\n").slice(0, -1)) {
            const m = JSON.parse(line) as { id?: number };
            if (m.id === 1) {
              p.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`);
              p.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" })}\n`);
            }
            if (m.id === 2) {
              done(performance.now() - t0);
              p.kill();
            }
          }
          buf = buf.slice(buf.lastIndexOf("\n") + 1);
        });
        p.stdin.write(
          `${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "1" } } })}\n`,
        );
      }),
    );
  }
  const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
  const { StdioClientTransport } = await import("@modelcontextprotocol/sdk/client/stdio.js");
  const client = new Client({ name: "bench", version: "1" });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [join(DIST, "aegis-mcp.js"), "--policy", join(dir, "aegis.toml")],
      cwd: dir,
    }),
  );
  const warm: number[] = [];
  for (let i = 0; i < (QUICK ? 100 : 300); i++) {
    const t = performance.now();
    await client.callTool({ name: "aegis_run", arguments: { script: "export default 1" } });
    warm.push(performance.now() - t);
  }
  await client.close();
  results.mcp = { coldToolsListMs: median(cold), warmRunMs: median(warm.slice(20)) };
  rows.push({
    name: "aegis-mcp cold start to `tools/list` answer (no CA env)",
    value: ms(median(cold)),
    note: "target ≤ 250 ms",
  });
  rows.push({
    name: "aegis-mcp `aegis_run` trivial script, warm median (SDK client, stdio)",
    value: ms(median(warm.slice(20))),
    note: "target ≤ 2 ms",
  });
  rmSync(dir, { recursive: true, force: true });
}

function hookBench(): void {
  const dir = project('inherits = "secure-defaults"\n[filesystem]\nread_allow = ["src/**"]\n', {
    "src/a.py": "x\n",
  });
  const payload = JSON.stringify({
    session_id: "bench",
    cwd: dir,
    hook_event_name: "PreToolUse",
    tool_name: "Read",
    tool_input: { file_path: join(dir, "src", "a.py") },
  });
  const n = QUICK ? 5 : 15;
  const xs = repeat(n, () =>
    timeCommand(
      process.execPath,
      [join(DIST, "aegis.js"), "hook", "claude", "--policy", join(dir, "aegis.toml")],
      envWith(false),
      dir,
      payload,
    ),
  );
  results.hookColdMs = median(xs);
  rows.push({
    name: "`aegis hook claude` cold decision (Read, no CA env)",
    value: ms(median(xs)),
    note: "target ≤ 80 ms",
  });
  rmSync(dir, { recursive: true, force: true });
}

const started = performance.now();
const load = (await import("node:os")).loadavg()[0]!;
for (const step of [
  coldStart,
  warmRuns,
  fsReadOverhead,
  childRss,
  httpBench,
  execBench,
  mcpBench,
  hookBench,
]) {
  if (ONLY.length > 0 && !ONLY.includes(step.name)) continue;
  process.stderr.write(`bench: ${step.name}…\n`);
  await step();
}
const caSet = process.env.NODE_EXTRA_CA_CERTS ? `set (${process.env.NODE_EXTRA_CA_CERTS})` : "not set";
const header = [
  `Node ${process.version}, ${(await import("node:os")).cpus().length} cores, load average ${load.toFixed(2)} at start;`,
  `NODE_EXTRA_CA_CERTS in the bench's own environment: ${caSet} (cold starts are measured both ways).`,
  "",
  "| measure | aegis | baseline (same run) | ratio | target |",
  "|---|---|---|---|---|",
  ...rows.map((r) => `| ${r.name} | ${r.value} | ${r.baseline ?? ""} | ${r.ratio ?? ""} | ${r.note ?? ""} |`),
].join("\n");
console.log(header);
writeFileSync(
  join(ROOT, "bench", "results.json"),
  `${JSON.stringify({ date: new Date().toISOString(), results }, null, 2)}\n`,
);
console.log(
  `\n(total ${((performance.now() - started) / 1000).toFixed(0)} s; raw figures in bench/results.json)`,
);
