/**
 * `node --import tsx evals/exfil/run.ts [--control] [--jail] [--report FILE] [--only SUBSTRING…]`
 *
 * Runs every exfiltration technique through the real CLI and prints one line per
 * technique (LEAK / BLOCKED / ERROR) and the totals. Exit 1 on any LEAK or ERROR.
 * With --control nothing is local-only, and the exit is 1 unless every technique marked
 * `control` leaks (the detector's self-check). --jail runs every subprocess under bubblewrap.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { runExfilProbe } from "./probe.js";
import { formatExfilTable, judgeProbe } from "./report.js";

const { values } = parseArgs({
  options: {
    control: { type: "boolean" },
    report: { type: "string" },
    only: { type: "string", multiple: true },
    concurrency: { type: "string" },
    jail: { type: "boolean" },
  },
});
const started = performance.now();
const results = await runExfilProbe({
  control: values.control ?? false,
  ...(values.only ? { filter: values.only } : {}),
  concurrency: Number(values.concurrency ?? 3),
  jail: values.jail ?? false,
});
const seconds = (performance.now() - started) / 1000;
process.stdout.write(formatExfilTable(results, values.control ?? false, seconds));
if (values.report) writeFileSync(values.report, `${JSON.stringify(results, null, 2)}\n`);
process.exitCode = judgeProbe(results, values.control ?? false).ok ? 0 : 1;
