/**
 * `npm run evals` (= npm run build && node --import tsx evals/run.ts [options])
 *
 * Runs the adversarial corpus (evals/adversarial, nine classes), the legitimate-task
 * corpus (evals/legit), a sample of cases through aegis-mcp, and the exfiltration probe,
 * all against the built CLI; prints a scoreboard and writes evals/report.json.
 * Exit 1 on any escape, leak, mismatch, failed legitimate task or exfil leak.
 *
 *   --only S        only cases whose id contains S (repeatable)
 *   --concurrency N cases in flight (default 4)
 *   --no-exfil --no-mcp --no-legit --no-adversarial   skip a part
 *   --verbose       print every case, not only failures
 *   --show          print what each case's processes printed (debugging a case)
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { executeCase } from "./corpus/execute.js";
import { type Judgement, judge } from "./corpus/judge.js";
import { loadAdversarial, loadLegit } from "./corpus/load.js";
import { CLASSES, type EvalCase } from "./corpus/schema.js";
import { runExfilProbe, type TechniqueResult } from "./exfil/probe.js";
import { formatExfilTable, judgeProbe } from "./exfil/report.js";
import { mapLimit } from "./lib/pool.js";
import { CLI, REPO_ROOT } from "./lib/repo.js";
import { type CaseOutcome, formatScoreboard, mcpSample, type Report, summarise } from "./scoreboard.js";

const { values } = parseArgs({
  options: {
    only: { type: "string", multiple: true },
    concurrency: { type: "string" },
    "no-exfil": { type: "boolean" },
    "no-mcp": { type: "boolean" },
    "no-legit": { type: "boolean" },
    "no-adversarial": { type: "boolean" },
    verbose: { type: "boolean" },
    show: { type: "boolean" },
    report: { type: "string" },
  },
});

if (!existsSync(CLI)) {
  process.stderr.write(`evals: ${CLI} does not exist; run \`npm run build\` first (npm run evals does)\n`);
  process.exit(5);
}

const concurrency = Number(values.concurrency ?? 4);
const selected = (cases: EvalCase[]) =>
  values.only ? cases.filter((c) => values.only!.some((s) => c.id.includes(s))) : cases;

async function runCases(cases: EvalCase[], label: string, viaMcp = false): Promise<CaseOutcome[]> {
  let done = 0;
  return mapLimit(cases, concurrency, async (c) => {
    let judgement: Judgement;
    try {
      const observation = await executeCase(c, { viaMcp });
      try {
        judgement = judge(c, observation);
        if (values.show) {
          const out = observation.processes
            .map((p) => `${p.stdout}${p.stderr ? `\n[stderr] ${p.stderr}` : ""}`)
            .join("\n---\n");
          process.stdout.write(`--- ${c.id}\n${out.slice(0, 4000)}\n`);
        }
      } finally {
        observation.project.cleanup();
      }
    } catch (e) {
      judgement = { verdict: "MISMATCH", findings: [`the runner failed: ${String(e)}`], exit: null, ms: 0 };
    }
    done += 1;
    if (values.verbose || judgement.verdict !== "PASS") {
      const line = `[${label} ${done}/${cases.length}] ${judgement.verdict.padEnd(8)} ${c.id}`;
      process.stdout.write(
        `${line}${judgement.findings.length ? `\n    ${judgement.findings.join("\n    ")}` : ""}\n`,
      );
    }
    return { id: c.id, class: c.class ?? "legit", technique: c.technique, ...judgement };
  });
}

const started = performance.now();
const adversarialCases = values["no-adversarial"] ? [] : selected(loadAdversarial());
const legitCases = values["no-legit"] ? [] : selected(loadLegit());
const adversarial = await runCases(adversarialCases, "adversarial");
const legit = await runCases(legitCases, "legit");
const mcpCases = values["no-mcp"] ? [] : mcpSample(adversarialCases, legitCases, 20);
const mcp = await runCases(mcpCases, "mcp", true);
let exfil: TechniqueResult[] = [];
if (!values["no-exfil"] && !values.only) {
  const t0 = performance.now();
  exfil = await runExfilProbe({ concurrency });
  process.stdout.write(formatExfilTable(exfil, false, (performance.now() - t0) / 1000));
}
const seconds = (performance.now() - started) / 1000;
const report: Report = summarise({
  classes: CLASSES,
  adversarial,
  legit,
  mcp,
  exfil,
  exfilVerdict: exfil.length > 0 ? judgeProbe(exfil, false) : undefined,
  seconds,
});
process.stdout.write(formatScoreboard(report));
writeFileSync(
  values.report ?? join(REPO_ROOT, "evals", "report.json"),
  `${JSON.stringify(report, null, 2)}\n`,
);
process.exitCode = report.ok ? 0 : 1;
