/**
 * Side-by-side loopback HTTP for several builds of aegis in one process, so they share the
 * machine's load (on a busy 2-core box `BENCH_ONLY=httpBench` alone swings several-fold):
 *
 *   cp -r dist node_modules/.ab/before        # any copy of dist/ under node_modules/
 *   npm run build
 *   node --import tsx bench/http-ab.ts before=node_modules/.ab/before after=dist
 *
 * Each rep runs httpBench's loop once per build (1000 sequential `net.httpGet`, a fresh
 * sandbox run each time) after 1000 undici requests from this thread. Prints, per mode, the
 * median and minimum ms per 1000 requests over the reps after WARM, and the process CPU per
 * request. A build's directory must sit where Node finds the dependencies (inside the repo).
 * Env: N (requests, 1000), REPS (12), WARM (2), MODES ("ka,close").
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Pool } from "undici";

type Lib = typeof import("../src/index.js");

const n = Number(process.env.N ?? 1000);
const reps = Number(process.env.REPS ?? 12);
const warm = Number(process.env.WARM ?? 2);
const modes = (process.env.MODES ?? "ka,close").split(",");
const builds = process.argv.slice(2).map((arg) => {
  const [name, dir] = arg.split("=");
  if (!name || !dir) throw new Error(`expected NAME=DIST_DIR, got ${arg}`);
  return { name, dir: resolve(dir) };
});
if (builds.length === 0) throw new Error("usage: http-ab.ts NAME=DIST_DIR [NAME=DIST_DIR ...]");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const server = http.createServer((req, res) => {
  if (req.url === "/close") res.setHeader("connection", "close");
  res.end("hello");
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const port = (server.address() as AddressInfo).port;

const sandboxes = [];
for (const { name, dir } of builds) {
  const { Sandbox } = (await import(join(dir, "index.js"))) as Lib;
  const project = mkdtempSync(join(tmpdir(), "aegis-http-ab-"));
  writeFileSync(
    join(project, "aegis.toml"),
    `[network]\nhttp_get_allow = ["127.0.0.1"]\nallow_ports = [${port}]\n[runtime]\nmax_seconds = 120\n`,
  );
  const sandbox = await Sandbox.create({
    policyFile: join(project, "aegis.toml"),
    cwd: project,
    auditLog: join(project, ".aegis", "audit.jsonl"),
    source: "run",
    confirm: async () => true,
    env: { PATH: process.env.PATH },
  });
  sandboxes.push({ name, sandbox, project });
}

for (const mode of modes) {
  const path = mode === "ka" ? "/" : "/close";
  const url = `http://127.0.0.1:${port}${path}`;
  const script = `const t0 = Date.now();\nfor (let i = 0; i < ${n}; i++) await net.httpGet(${JSON.stringify(url)});\nexport default Date.now() - t0;`;
  const pool = new Pool(`http://127.0.0.1:${port}`);
  const wall: Record<string, number[]> = { "undici direct": [] };
  const cpu: Record<string, number[]> = {};
  for (const { name } of sandboxes) {
    wall[name] = [];
    cpu[name] = [];
  }
  for (let k = 0; k < reps; k++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) await (await pool.request({ path, method: "GET" })).body.text();
    wall["undici direct"]!.push(performance.now() - t);
    for (const { name, sandbox } of sandboxes) {
      const before = process.cpuUsage();
      const r = await sandbox.run(script);
      const used = process.cpuUsage(before);
      if (!r.ok) throw new Error(`${name}: ${r.error?.message}`);
      wall[name]!.push(r.value as number);
      cpu[name]!.push((used.user + used.system) / n);
    }
  }
  await pool.close();
  console.log(
    `${mode === "ka" ? "keep-alive" : "fresh connections"}: ms per ${n} (median / min), CPU µs per request`,
  );
  for (const [name, xs] of Object.entries(wall)) {
    const kept = xs.slice(warm);
    const c = cpu[name] ? `  cpu ${median(cpu[name]!.slice(warm)).toFixed(0)} µs` : "";
    console.log(`  ${name.padEnd(14)} ${median(kept).toFixed(0)} / ${Math.min(...kept).toFixed(0)}${c}`);
  }
}
for (const { sandbox, project } of sandboxes) {
  await sandbox.close();
  rmSync(project, { recursive: true, force: true });
}
server.close();
