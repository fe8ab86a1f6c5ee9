// The exfiltration probe (evals/exfil) through the real CLI: every technique of security.md
// class 6 must be BLOCKED. A control run, with nothing local-only, must see every
// encoding technique leak: it proves the probe's detector is not blind.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { CLI, REPO_ROOT } from "../../evals/lib/repo.js";

interface Technique {
  name: string;
  verdict: string;
  control: boolean;
}

function probe(args: string[]): { code: number | null; stdout: string; results: Technique[] } {
  const dir = mkdtempSync(join(tmpdir(), "aegis-exfil-test-"));
  const report = join(dir, "report.json");
  try {
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", "evals/exfil/run.ts", "--report", report, ...args],
      {
        cwd: REPO_ROOT,
        encoding: "utf8",
        timeout: 240_000,
      },
    );
    const results = existsSync(report) ? (JSON.parse(readFileSync(report, "utf8")) as Technique[]) : [];
    return { code: r.status, stdout: r.stdout, results };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("exfiltration probe", { skip: existsSync(CLI) ? false : "run npm run build first" }, () => {
  test("every technique is blocked, and there are at least 30 of them", () => {
    const r = probe([]);
    const leaked = r.results.filter((t) => t.verdict !== "BLOCKED").map((t) => `${t.verdict} ${t.name}`);
    assert.ok(r.results.length >= 30, `only ${r.results.length} techniques ran:\n${r.stdout}`);
    assert.deepEqual(leaked, [], r.stdout);
    assert.equal(r.code, 0, r.stdout);
  });

  test("control run: with nothing local-only, every encoding technique is seen leaking", () => {
    const r = probe(["--control"]);
    assert.ok(r.results.length >= 25, r.stdout);
    const unseen = r.results.filter((t) => t.verdict !== "LEAK").map((t) => t.name);
    assert.deepEqual(unseen, [], r.stdout);
    assert.equal(r.code, 0, r.stdout);
  });
});
