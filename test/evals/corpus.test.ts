// The evals corpus as data: every case file parses and validates, the adversarial corpus
// covers all nine classes of security.md with at least 250 cases, the legitimate-task
// corpus has at least 40 tasks, and the JSON is what evals/corpus/build.ts makes.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { corpusFiles, upToDate } from "../../evals/corpus/build.js";
import { ADVERSARIAL_DIR, LEGIT_DIR, readCorpusDir } from "../../evals/corpus/load.js";
import { CLASS_FILES, CLASSES, caseProblems, type EvalCase } from "../../evals/corpus/schema.js";
import { mcpSample } from "../../evals/scoreboard.js";

const adversarialFiles = readCorpusDir(ADVERSARIAL_DIR);
const legitFiles = readCorpusDir(LEGIT_DIR);
const adversarial = adversarialFiles.flatMap((f) => f.cases);
const legit = legitFiles.flatMap((f) => f.cases);

describe("evals corpus", () => {
  test("one adversarial file per class, each holding only its class", () => {
    assert.deepEqual(
      adversarialFiles.map((f) => f.file),
      Object.values(CLASS_FILES).sort(),
    );
    for (const f of adversarialFiles) {
      const cls = Object.entries(CLASS_FILES).find(([, file]) => file === f.file)?.[0];
      assert.ok(f.cases.length > 0, `${f.file} is empty`);
      for (const c of f.cases) assert.equal(c.class, cls, `${c.id} in ${f.file}`);
    }
  });

  test("every adversarial case is well formed", () => {
    const problems = adversarial.flatMap((c) => caseProblems(c, false).map((p) => `${c.id}: ${p}`));
    assert.deepEqual(problems, []);
  });

  test("every legitimate task is well formed and expects success", () => {
    const problems = legit.flatMap((c) => caseProblems(c, true).map((p) => `${c.id}: ${p}`));
    assert.deepEqual(problems, []);
  });

  test("at least 250 adversarial cases over all nine classes, at least 40 legitimate tasks", () => {
    assert.ok(adversarial.length >= 250, `${adversarial.length} adversarial cases`);
    assert.ok(legit.length >= 40, `${legit.length} legitimate tasks`);
    for (const cls of CLASSES) {
      const n = adversarial.filter((c) => c.class === cls).length;
      assert.ok(n >= 15, `class ${cls} has ${n} cases`);
    }
  });

  test("every case names its technique and the source of the technique", () => {
    for (const c of [...adversarial, ...legit] as EvalCase[]) {
      assert.ok(c.technique.trim().length > 3, `${c.id}: technique`);
      assert.ok(c.source.trim().length > 3, `${c.id}: source`);
    }
  });

  test("ids are unique", () => {
    const ids = [...adversarial, ...legit].map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length);
  });

  test("audit and policy cases use their modes; the MCP sample has 20 run cases", () => {
    assert.ok(adversarial.some((c) => c.class === "audit-tampering" && c.mode === "audit"));
    assert.ok(adversarial.some((c) => c.class === "policy-file" && c.mode === "policy"));
    const sample = mcpSample(adversarial, legit, 20);
    assert.equal(sample.length, 20);
    assert.ok(sample.every((c) => (c.mode ?? "run") === "run"));
  });

  test("the JSON files are up to date with evals/corpus/cases (node --import tsx evals/corpus/build.ts)", () => {
    const files = corpusFiles();
    assert.ok(files.has(join(LEGIT_DIR, "git.json")));
    for (const [path, cases] of files) assert.ok(upToDate(path, cases), `${path} is stale`);
  });
});
