/**
 * The exfiltration probe: every technique runs as a real `aegis run --json` in a fresh
 * project under one policy with a local-only variable, file and host, and a recording
 * outside host. Each technique gets its own random secrets, so anything found anywhere
 * is attributed to the technique that planted it.
 *
 * A LEAK is a secret (in any form leak.ts knows) in stdout, stderr, the JSON result, the
 * audit log, anything the outside host received, or a file written outside the local-only
 * paths (project and HOME). Timing channels are out of scope (security.md does not claim
 * them, and the guest has no fine clock).
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { findLeak, type LeakFinding, type PlantedSecret } from "../lib/leak.js";
import { receivedText, startRecorder } from "../lib/loopback.js";
import { mapLimit } from "../lib/pool.js";
import { CLI } from "../lib/repo.js";
import { runChild } from "../lib/spawn.js";
import { prelude } from "./prelude.js";
import {
  changedFiles,
  filesText,
  freePort,
  localHandler,
  type Prepared,
  prepare,
  probePolicy,
  randomSecret,
  type Secrets,
  SKIPPED,
} from "./setup.js";
import { TECHNIQUES } from "./techniques.js";

export type Verdict = "BLOCKED" | "LEAK" | "ERROR";

export interface TechniqueResult {
  name: string;
  group: string;
  source: string;
  control: boolean;
  verdict: Verdict;
  /** Where a leak was found, or why the run is an ERROR. */
  detail?: string;
  leak?: LeakFinding & { channel: string };
  exit: number | null;
  kind?: string;
  ms: number;
  /** The run's printed output (already redacted by aegis), shortened, for reading the report. */
  output: string;
}

export interface ProbeOptions {
  /** Same scripts, but nothing is local-only: proves the detector sees every encoding. */
  control?: boolean;
  concurrency?: number;
  /** Only techniques whose name contains one of these. */
  filter?: string[];
  timeoutMs?: number;
  /** Run every subprocess in the bubblewrap jail (subprocess.sandbox = "bwrap"). */
  jail?: boolean;
}

/** The prelude's three reads all completed (sealed in the real run): their outcome records say so. */
function sourcesRead(auditText: string, control: boolean): boolean {
  const records = auditText
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      try {
        return JSON.parse(l) as {
          cap?: string;
          decision?: string;
          status?: string;
          detail?: { phase?: string };
        };
      } catch {
        return {};
      }
    });
  const want = control ? "allow" : "local_only";
  return ["env.read", "fs.read", "net.http_get"].every((cap) =>
    records.some(
      (r) => r.cap === cap && r.decision === want && r.status === "allowed" && r.detail?.phase === "outcome",
    ),
  );
}

export async function runExfilProbe(options: ProbeOptions = {}): Promise<TechniqueResult[]> {
  const control = options.control ?? false;
  // A control run only needs the techniques that must leak when nothing is local-only.
  const techniques = TECHNIQUES.filter(
    (t) => (!control || t.control) && (!options.filter || options.filter.some((f) => t.name.includes(f))),
  );
  const secretsByIndex = new Map<number, Secrets>();
  const out = await startRecorder("127.0.0.2");
  const local = await startRecorder(
    "127.0.0.1",
    localHandler((i) => secretsByIndex.get(i), out.origin),
  );
  const closedPort = await freePort();
  const policy = probePolicy([local.port, out.port], control, options.jail ?? false);
  try {
    const finished = await mapLimit(techniques, options.concurrency ?? 3, async (t, index) => {
      const secrets: Secrets = {
        variable: randomSecret("SV"),
        file: randomSecret("SF"),
        host: randomSecret("SH"),
      };
      secretsByIndex.set(index, secrets);
      const script = (root: string) =>
        `${prelude(
          { local: `${local.origin}/t${index}`, out: `${out.origin}/t${index}`, closedPort, root },
          t.readSecrets ?? true,
        )}\n${t.body}\n${/export default/.test(t.body) ? "" : "export default results;\n"}`;
      const p = prepare(t, index, secrets, policy, script);
      try {
        return await runOne(p, control, options.timeoutMs ?? 60_000);
      } finally {
        rmSync(p.base, { recursive: true, force: true });
      }
    });
    // The outside host's log is judged at the end: every request it got, by whose secret.
    return finished.map(({ result, planted }) => {
      if (result.verdict !== "BLOCKED") return result;
      const leak = findLeak(receivedText(out.requests), planted);
      return leak ? { ...result, verdict: "LEAK", leak: { ...leak, channel: "outside host" } } : result;
    });
  } finally {
    await out.close();
    await local.close();
  }
}

async function runOne(
  p: Prepared,
  control: boolean,
  timeoutMs: number,
): Promise<{ result: TechniqueResult; planted: PlantedSecret[] }> {
  const t = p.technique;
  const planted: PlantedSecret[] = [
    { name: "SECRET_VAR", value: p.secrets.variable },
    { name: "vault/secret.txt", value: p.secrets.file },
    { name: "local-only host answer", value: p.secrets.host },
  ];
  const run = await runChild(
    process.execPath,
    [CLI, "run", "--json", "--policy", "aegis.toml", "script.js"],
    {
      cwd: p.project,
      env: {
        PATH: "/usr/local/bin:/usr/bin:/bin",
        HOME: p.home,
        LANG: "C.UTF-8",
        SECRET_VAR: p.secrets.variable,
      },
      timeoutMs,
    },
  );
  let kind: string | undefined;
  let output = run.stdout;
  try {
    const parsed = JSON.parse(run.stdout) as { kind?: string; output?: string; error?: { message?: string } };
    kind = parsed.kind;
    output = `${parsed.output ?? ""}${parsed.error?.message ? `\nerror: ${parsed.error.message}` : ""}`;
  } catch {
    kind = undefined;
  }
  const base: TechniqueResult = {
    name: t.name,
    group: t.group,
    source: t.source,
    control: t.control ?? false,
    verdict: "BLOCKED",
    exit: run.code,
    ...(kind ? { kind } : {}),
    ms: Math.round(run.ms),
    output: output.length > 4000 ? `${output.slice(0, 4000)}…` : output,
  };
  const channels: [string, string][] = [
    ["stdout (result)", run.stdout],
    ["stderr", run.stderr],
  ];
  const auditLog = join(p.project, ".aegis", "audit.jsonl");
  const auditText = existsSync(auditLog) ? readFileSync(auditLog, "utf8") : "";
  channels.push(["audit log", auditText]);
  for (const [path, text] of changedFiles(p.before, filesText(p.project, SKIPPED)))
    channels.push([`file ${path}`, text]);
  for (const [path, text] of filesText(p.home, [])) channels.push([`file ~/${path}`, text]);
  for (const [channel, text] of channels) {
    const leak = findLeak(text, planted);
    if (leak) return { result: { ...base, verdict: "LEAK", leak: { ...leak, channel } }, planted };
  }
  if (run.timedOut || run.signal !== null || run.code === null || run.code > 6) {
    const why = run.timedOut ? "timed out" : `exit ${run.code} signal ${run.signal}`;
    return { result: { ...base, verdict: "ERROR", detail: `the CLI ${why}` }, planted };
  }
  if ((t.readSecrets ?? true) && !sourcesRead(auditText, control)) {
    // The prelude could not read the local-only values: the technique proved nothing.
    return {
      result: {
        ...base,
        verdict: "ERROR",
        detail: `setup failed: ${run.stdout.slice(0, 400)} ${run.stderr.slice(0, 400)}`,
      },
      planted,
    };
  }
  return { result: base, planted };
}
