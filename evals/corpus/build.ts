/**
 * Writes the JSON corpus from the case sources in evals/corpus/cases, formatted by the
 * project's formatter (biome):
 *   node --import tsx evals/corpus/build.ts          (write the stale files)
 *   node --import tsx evals/corpus/build.ts --check  (exit 1 if any JSON file is stale)
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { REPO_ROOT } from "../lib/repo.js";
import { ADVERSARIAL, LEGIT } from "./cases/index.js";
import { ADVERSARIAL_DIR, LEGIT_DIR } from "./load.js";
import { CLASS_FILES, type EvalCase } from "./schema.js";

/** Every corpus file and the cases it must hold. */
export function corpusFiles(): Map<string, EvalCase[]> {
  const out = new Map<string, EvalCase[]>();
  for (const [cls, file] of Object.entries(CLASS_FILES))
    out.set(
      join(ADVERSARIAL_DIR, file),
      ADVERSARIAL.filter((c) => c.class === cls),
    );
  for (const [name, cases] of Object.entries(LEGIT)) out.set(join(LEGIT_DIR, `${name}.json`), cases);
  return out;
}

/** True when the file at `path` holds exactly `cases` (whatever its formatting). */
export function upToDate(path: string, cases: readonly EvalCase[]): boolean {
  if (!existsSync(path)) return false;
  return JSON.stringify(JSON.parse(readFileSync(path, "utf8"))) === JSON.stringify(cases);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const check = process.argv.includes("--check");
  const stale = [...corpusFiles()].filter(([path, cases]) => !upToDate(path, cases));
  if (check) {
    for (const [path] of stale) console.error(`stale: ${path}`);
    process.exitCode = stale.length > 0 ? 1 : 0;
  } else if (stale.length > 0) {
    for (const [path, cases] of stale) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, `${JSON.stringify(cases, null, 2)}\n`);
      console.log(`wrote ${path}`);
    }
    const biome = join(REPO_ROOT, "node_modules", ".bin", "biome");
    spawnSync(biome, ["format", "--write", ...stale.map(([p]) => p)], { cwd: REPO_ROOT, stdio: "inherit" });
  }
}
