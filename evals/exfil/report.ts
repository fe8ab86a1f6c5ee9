/** The exfil probe's table and verdict. */
import type { TechniqueResult } from "./probe.js";

export interface ProbeVerdict {
  ok: boolean;
  techniques: number;
  blocked: number;
  leaks: number;
  errors: number;
  /** --control only: techniques marked `control` that did not leak (detector blind spots). */
  unseen: number;
}

export function judgeProbe(results: readonly TechniqueResult[], control: boolean): ProbeVerdict {
  const leaks = results.filter((r) => r.verdict === "LEAK").length;
  const errors = results.filter((r) => r.verdict === "ERROR").length;
  const unseen = control ? results.filter((r) => r.control && r.verdict !== "LEAK").length : 0;
  return {
    ok: control ? unseen === 0 : leaks === 0 && errors === 0,
    techniques: results.length,
    blocked: results.filter((r) => r.verdict === "BLOCKED").length,
    leaks,
    errors,
    unseen,
  };
}

export function formatExfilTable(
  results: readonly TechniqueResult[],
  control: boolean,
  seconds: number,
): string {
  const lines: string[] = [];
  lines.push(control ? "exfiltration probe, CONTROL run (nothing local-only)" : "exfiltration probe");
  for (const r of results) {
    const where = r.leak
      ? `  <- ${r.leak.secret} as ${r.leak.form} in ${r.leak.channel} (${r.leak.view})`
      : r.detail
        ? `  <- ${r.detail}`
        : `  (exit ${r.exit}${r.kind ? ` ${r.kind}` : ""})`;
    const mark = control && r.control && r.verdict !== "LEAK" ? " [control: expected LEAK]" : "";
    lines.push(`${r.verdict.padEnd(7)} ${r.name}${where}${mark}`);
  }
  const v = judgeProbe(results, control);
  lines.push(
    `\n${v.techniques} techniques: ${v.blocked} blocked, ${v.leaks} leaked, ${v.errors} errors` +
      (control ? `, ${v.unseen} control techniques not seen leaking` : "") +
      ` (${seconds.toFixed(1)} s; timing channels out of scope)`,
  );
  return `${lines.join("\n")}\n`;
}
