/** The evals scoreboard: per class, the legitimate tasks, the MCP sample, the exfil probe. */
import type { Judgement } from "./corpus/judge.js";
import type { EvalCase } from "./corpus/schema.js";
import type { TechniqueResult } from "./exfil/probe.js";
import type { ProbeVerdict } from "./exfil/report.js";

export interface CaseOutcome extends Judgement {
  id: string;
  class: string;
  technique: string;
}

export interface ClassRow {
  class: string;
  cases: number;
  escapes: number;
  leaks: number;
  mismatches: number;
}

export interface Report {
  ok: boolean;
  seconds: number;
  classes: ClassRow[];
  totals: ClassRow;
  legit: { passed: number; total: number; failed: { id: string; findings: string[] }[] };
  mcp: { cases: number; escapes: number; leaks: number; mismatches: number };
  exfil?: ProbeVerdict & { table: { name: string; verdict: string; detail?: string }[] };
  failures: { id: string; verdict: string; findings: string[] }[];
  /** Every case: verdict, kind, exit and wall time of the judged process. */
  cases: { id: string; verdict: string; kind?: string; exit: number | null; ms: number }[];
}

function row(name: string, outcomes: readonly CaseOutcome[]): ClassRow {
  return {
    class: name,
    cases: outcomes.length,
    escapes: outcomes.filter((o) => o.verdict === "ESCAPE").length,
    leaks: outcomes.filter((o) => o.verdict === "LEAK").length,
    mismatches: outcomes.filter((o) => o.verdict === "MISMATCH").length,
  };
}

export function summarise(input: {
  classes: readonly string[];
  adversarial: CaseOutcome[];
  legit: CaseOutcome[];
  mcp: CaseOutcome[];
  exfil: TechniqueResult[];
  exfilVerdict: ProbeVerdict | undefined;
  seconds: number;
}): Report {
  const classes = input.classes.map((c) =>
    row(
      c,
      input.adversarial.filter((o) => o.class === c),
    ),
  );
  const totals = row("total", input.adversarial);
  const legitFailed = input.legit.filter((o) => o.verdict !== "PASS");
  const mcp = row("mcp", input.mcp);
  const failures = [...input.adversarial, ...input.legit, ...input.mcp]
    .filter((o) => o.verdict !== "PASS")
    .map((o) => ({ id: o.id, verdict: o.verdict, findings: o.findings }));
  const exfilOk = input.exfilVerdict?.ok ?? true;
  return {
    ok: failures.length === 0 && exfilOk,
    seconds: Math.round(input.seconds * 10) / 10,
    classes,
    totals,
    legit: {
      passed: input.legit.length - legitFailed.length,
      total: input.legit.length,
      failed: legitFailed.map((o) => ({ id: o.id, findings: o.findings })),
    },
    mcp: { cases: mcp.cases, escapes: mcp.escapes, leaks: mcp.leaks, mismatches: mcp.mismatches },
    ...(input.exfilVerdict
      ? {
          exfil: {
            ...input.exfilVerdict,
            table: input.exfil.map((t) => ({
              name: t.name,
              verdict: t.verdict,
              ...(t.leak
                ? { detail: `${t.leak.secret} as ${t.leak.form} in ${t.leak.channel}` }
                : t.detail
                  ? { detail: t.detail }
                  : {}),
            })),
          },
        }
      : {}),
    failures,
    cases: [...input.adversarial, ...input.legit, ...input.mcp.map((o) => ({ ...o, id: `mcp:${o.id}` }))].map(
      (o) => ({
        id: o.id,
        verdict: o.verdict,
        ...(o.kind ? { kind: o.kind } : {}),
        exit: o.exit,
        ms: o.ms,
      }),
    ),
  };
}

export function formatScoreboard(r: Report): string {
  const lines: string[] = ["", "aegis evals scoreboard", ""];
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  lines.push(
    `${"class".padEnd(24)}${pad("cases", 7)}${pad("escapes", 9)}${pad("leaks", 7)}${pad("mismatch", 10)}`,
  );
  for (const c of [...r.classes, r.totals]) {
    if (c === r.totals) lines.push("-".repeat(57));
    lines.push(
      `${c.class.padEnd(24)}${pad(c.cases, 7)}${pad(c.escapes, 9)}${pad(c.leaks, 7)}${pad(c.mismatches, 10)}`,
    );
  }
  lines.push("");
  lines.push(
    `legitimate tasks: ${r.legit.passed}/${r.legit.total} passed (false denials: ${r.legit.total - r.legit.passed})`,
  );
  lines.push(
    `MCP sample (aegis-mcp, aegis_run): ${r.mcp.cases} cases, ${r.mcp.escapes} escapes, ${r.mcp.leaks} leaks, ${r.mcp.mismatches} mismatches`,
  );
  if (r.exfil)
    lines.push(
      `exfiltration probe: ${r.exfil.techniques} techniques, ${r.exfil.blocked} blocked, ${r.exfil.leaks} leaked, ${r.exfil.errors} errors`,
    );
  lines.push(`total time: ${r.seconds} s`);
  lines.push(r.ok ? "RESULT: OK" : `RESULT: FAIL (${r.failures.length} failing cases)`);
  return `${lines.join("\n")}\n`;
}

/** A deterministic spread of run-mode cases for the MCP driver: some from every class, some legit. */
export function mcpSample(
  adversarial: readonly EvalCase[],
  legit: readonly EvalCase[],
  size: number,
): EvalCase[] {
  const eligible = (c: EvalCase) =>
    (c.mode ?? "run") === "run" &&
    c.mcp !== false &&
    !(c.args ?? []).some((a) => a !== "--yes") &&
    c.expect.stdout === undefined &&
    c.expect.stderr === undefined;
  const pool = adversarial.filter(eligible);
  const byClass = new Map<string, EvalCase[]>();
  for (const c of pool) byClass.set(c.class ?? "", [...(byClass.get(c.class ?? "") ?? []), c]);
  const out: EvalCase[] = [];
  const legitPick = legit
    .filter(eligible)
    .filter((_, i) => i % 10 === 0)
    .slice(0, 3);
  // Round-robin over the classes, spreading the picks within each class.
  const queues = [...byClass.values()].map((cases) => {
    const step = Math.max(1, Math.floor(cases.length / 3));
    return cases.filter((_, i) => i % step === 0);
  });
  for (let round = 0; out.length < size - legitPick.length && queues.some((q) => q.length > round); round++)
    for (const q of queues) if (q[round] && out.length < size - legitPick.length) out.push(q[round]!);
  return [...out, ...legitPick].slice(0, size);
}
