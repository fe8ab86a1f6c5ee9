/** Reads the corpus: evals/adversarial/*.json (one file per class) and evals/legit/*.json. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../lib/repo.js";
import type { EvalCase } from "./schema.js";

export const ADVERSARIAL_DIR = join(REPO_ROOT, "evals", "adversarial");
export const LEGIT_DIR = join(REPO_ROOT, "evals", "legit");

export interface CorpusFile {
  file: string;
  cases: EvalCase[];
}

export function readCorpusDir(dir: string): CorpusFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => ({ file: f, cases: JSON.parse(readFileSync(join(dir, f), "utf8")) as EvalCase[] }));
}

export function loadAdversarial(): EvalCase[] {
  return readCorpusDir(ADVERSARIAL_DIR).flatMap((f) => f.cases);
}

export function loadLegit(): EvalCase[] {
  return readCorpusDir(LEGIT_DIR).flatMap((f) => f.cases);
}
