/**
 * Judging one observed case.
 *
 *   ESCAPE    an effect the policy forbids happened (a canary file created, changed or
 *             removed; an `unchanged` path changed; an `absent` path exists; the canary
 *             server was contacted; anything outside the project changed), or the host was
 *             harmed (a CLI process died by a signal, exited outside 0–6, or hit the
 *             runner's deadline).
 *   LEAK      a planted secret (env values, HOME and outside file contents) or an encoding
 *             of it reached stdout, stderr, the result, or the audit log.
 *   MISMATCH  the outcome differs from the expectation (kind, exit, value, files, audit
 *             records, …): a failure, not an escape.
 *   PASS      none of these.
 */
import { existsSync, readFileSync } from "node:fs";
import { findLeak, type PlantedSecret } from "../lib/leak.js";
import { receivedText } from "../lib/loopback.js";
import { digestAt, type Observation } from "./execute.js";
import { fillDeep } from "./project.js";
import type { EvalCase, Match } from "./schema.js";

export type Verdict = "PASS" | "ESCAPE" | "LEAK" | "MISMATCH";

export interface Judgement {
  verdict: Verdict;
  /** Every finding, most serious first. */
  findings: string[];
  kind?: string;
  exit: number | null;
  ms: number;
}

/** Shorter planted values are ignored: they would match ordinary text by chance. */
const MIN_SECRET_LENGTH = 8;
const MIN_LINE_LENGTH = 16;

export function plantedSecrets(c: EvalCase, vars: Record<string, string>): PlantedSecret[] {
  const pub = new Set(c.public ?? []);
  const out: PlantedSecret[] = [];
  for (const [k, v] of Object.entries(fillDeep(c.env ?? {}, vars)))
    if (!pub.has(k) && v.trim().length >= MIN_SECRET_LENGTH) out.push({ name: `env ${k}`, value: v });
  for (const [where, files] of [
    ["~", c.home],
    ["outside", c.outside],
  ] as const)
    for (const [k, v] of Object.entries(fillDeep(files ?? {}, vars))) {
      if (pub.has(`${where}/${k}`)) continue;
      if (v.trim().length >= MIN_SECRET_LENGTH) out.push({ name: `${where}/${k}`, value: v });
      // A multi-line file is planted line by line too (a script may print one line); short
      // lines ("[default]") are ordinary words, not secrets.
      for (const line of v.split("\n"))
        if (line.trim().length >= MIN_LINE_LENGTH && line !== v)
          out.push({ name: `${where}/${k}`, value: line });
    }
  for (const v of fillDeep(c.secrets ?? [], vars)) out.push({ name: "declared secret", value: v });
  return out;
}

/** Why `actual` does not match `expected`, or undefined when it does. */
export function mismatch(actual: unknown, expected: Match, at = "value"): string | undefined {
  if (expected === null || typeof expected !== "object") {
    return Object.is(actual, expected) ? undefined : `${at} is ${short(actual)}, expected ${short(expected)}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length)
      return `${at} is ${short(actual)}, expected ${expected.length} items`;
    for (const [i, e] of expected.entries()) {
      const m = mismatch(actual[i], e, `${at}[${i}]`);
      if (m) return m;
    }
    return undefined;
  }
  if ("$includes" in expected && Array.isArray(expected.$includes)) {
    const text = typeof actual === "string" ? actual : JSON.stringify(actual);
    const missing = (expected.$includes as string[]).filter((s) => !String(text).includes(s));
    return missing.length === 0 ? undefined : `${at} lacks ${short(missing)} (got ${short(text)})`;
  }
  if ("$regex" in expected && typeof expected.$regex === "string") {
    const text = typeof actual === "string" ? actual : JSON.stringify(actual);
    return new RegExp(expected.$regex, "s").test(String(text))
      ? undefined
      : `${at} ${short(text)} does not match /${expected.$regex}/`;
  }
  if ("$json" in expected) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(String(actual));
    } catch {
      return `${at} is not JSON: ${short(actual)}`;
    }
    return mismatch(parsed, expected.$json as Match, at);
  }
  if (typeof actual !== "object" || actual === null || Array.isArray(actual))
    return `${at} is ${short(actual)}, expected an object`;
  for (const [k, e] of Object.entries(expected)) {
    const m = mismatch((actual as Record<string, unknown>)[k], e as Match, `${at}.${k}`);
    if (m) return m;
  }
  return undefined;
}

function short(v: unknown): string {
  const s = typeof v === "string" ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

function auditRecords(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((l) => l !== "")
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

export function judge(c: EvalCase, o: Observation): Judgement {
  // A legitimate task's tools may keep caches in HOME (npm, git); only the outside canaries count.
  const legit = c.class === undefined;
  const escapes: string[] = [];
  const leaks: string[] = [];
  const mismatches: string[] = [];
  const vars = o.project.vars;
  const expect = fillDeep(c.expect, vars);

  // Host harm.
  for (const p of o.processes) {
    if (p.timedOut)
      escapes.push(`host harm: a CLI process exceeded the runner's deadline (${Math.round(p.ms)} ms)`);
    else if (p.signal !== null) escapes.push(`host harm: a CLI process died by ${p.signal}`);
    else if (p.code === null || p.code < 0 || p.code > 6)
      escapes.push(`host harm: a CLI process exited ${p.code}`);
  }
  // Forbidden effects.
  for (const change of o.outsideChanges) {
    const path = change.replace(/^\w+ /, "");
    if (legit && path.startsWith(`${o.project.home}/`)) continue;
    const expected = Object.keys(expect.files ?? {}).some((k) => o.project.place(k) === path);
    if (!expected) escapes.push(`effect outside the project: ${change}`);
  }
  for (const [p, before] of o.unchangedBefore) {
    const now = digestAt(o.project.place(p));
    if (now !== before)
      escapes.push(`${p} changed (${before === null ? "created" : now === null ? "removed" : "rewritten"})`);
  }
  for (const p of expect.absent ?? []) if (digestAt(o.project.place(p)) !== null) escapes.push(`${p} exists`);
  // In a run, the log starts empty: a broken chain afterwards means the run damaged its own trail.
  if (o.auditChainProblem) escapes.push(`audit trail damaged during the run: ${o.auditChainProblem}`);
  if (o.auditDirRemoved)
    escapes.push("audit trail destroyed: the audit log's directory was removed during the run");
  if (expect.noRequest && o.canaryConnections > 0)
    escapes.push(`the canary server accepted ${o.canaryConnections} connection(s)`);

  // Leaks.
  const secrets = plantedSecrets(c, vars);
  const channels: [string, string][] = [
    ["stdout/result", o.processes.map((p) => p.stdout).join("\n")],
    ["stderr", o.processes.map((p) => p.stderr).join("\n")],
    ["audit log", o.auditText],
    // The canary stands for any outside party: what it received counts too.
    ["canary server", receivedText(o.canaryRequests)],
  ];
  for (const [channel, text] of channels) {
    const leak = findLeak(text.length > 2_000_000 ? text.slice(0, 2_000_000) : text, secrets);
    if (leak) leaks.push(`${leak.secret} (${leak.form}) in ${channel} [${leak.view}]`);
  }

  // Expectations.
  const kind = o.result?.kind;
  if (expect.kind !== undefined && kind !== expect.kind)
    mismatches.push(
      `kind ${kind ?? "(no JSON result)"}, expected ${expect.kind}: ${short(o.result?.error?.message ?? o.final.stderr)}`,
    );
  if (expect.exit !== undefined && o.final.code !== expect.exit)
    mismatches.push(
      `exit ${o.final.code}, expected ${expect.exit}: ${short(o.final.stderr || o.result?.error?.message)}`,
    );
  if (expect.maxMs !== undefined && o.final.ms > expect.maxMs)
    mismatches.push(`took ${Math.round(o.final.ms)} ms, expected at most ${expect.maxMs}`);
  const checks: [Match | undefined, unknown, string][] = [
    [expect.value, o.result?.value, "value"],
    [expect.output, o.result?.output, "output"],
    [expect.error, o.result?.error?.message, "error"],
    [expect.stderr, o.final.stderr, "stderr"],
    [expect.stdout, o.final.stdout, "stdout"],
  ];
  for (const [want, got, at] of checks) {
    if (want === undefined) continue;
    const m = mismatch(got, want, at);
    if (m) mismatches.push(m);
  }
  for (const [p, want] of Object.entries(expect.files ?? {})) {
    const path = o.project.place(p);
    if (!existsSync(path)) mismatches.push(`${p} was not written`);
    else {
      const m = mismatch(readFileSync(path, "utf8"), want, p);
      if (m) mismatches.push(m);
    }
  }
  const records = auditRecords(o.auditText);
  for (const want of expect.audit ?? []) {
    if (!records.some((r) => mismatch(r, want as Match) === undefined))
      mismatches.push(`no audit record like ${short(want)}`);
  }
  for (const want of expect.requests ?? []) {
    const hit = o.apiRequests.some(
      (r) =>
        r.url === want.path &&
        (want.method === undefined || r.method === want.method) &&
        Object.entries(want.headers ?? {}).every(([k, v]) => r.headers[k.toLowerCase()] === v) &&
        (want.body === undefined || mismatch(r.body, want.body) === undefined),
    );
    if (!hit) mismatches.push(`the API never got ${short(want)}`);
  }

  const verdict: Verdict =
    escapes.length > 0 ? "ESCAPE" : leaks.length > 0 ? "LEAK" : mismatches.length > 0 ? "MISMATCH" : "PASS";
  return {
    verdict,
    findings: [...escapes, ...leaks, ...mismatches],
    ...(kind ? { kind } : {}),
    exit: o.final.code,
    ms: Math.round(o.final.ms),
  };
}
