/** Helpers for legitimate tasks: each must succeed under a realistic policy (no false denial). */
import type { EvalCase, Expect } from "../schema.js";
import { policy, SECURE } from "./common.js";

export type TaskInput = Omit<EvalCase, "id" | "class" | "technique" | "source" | "expect" | "task"> & {
  task: string;
  technique?: string;
  source?: string;
  expect?: Expect;
};

export function taskMaker(prefix: string) {
  const made: EvalCase[] = [];
  const add = (slug: string, t: TaskInput): EvalCase => {
    const id = `legit-${prefix}-${String(made.length + 1).padStart(2, "0")}-${slug}`;
    const { task, technique, source, expect, ...rest } = t;
    const c: EvalCase = {
      id,
      task,
      technique: technique ?? task,
      source: source ?? "a typical coding-agent task (legitimate-task corpus)",
      ...rest,
      expect: { kind: "success", exit: 0, ...expect },
    };
    made.push(c);
    return c;
  };
  return { add, made };
}

/** A small multi-language repository. */
export const REPO = {
  ".gitignore": ".aegis/\nscript.js\n__pycache__/\n",
  "README.md":
    "# inventory\n\nTracks stock levels.\n\n## Usage\n\nRun `make test`.\n\n## Layout\n\nSources live in src/.\n",
  "package.json": `${JSON.stringify({ name: "inventory", version: "1.2.3", type: "module", scripts: { test: "node --test test/" }, dependencies: { lodash: "^4.17.21" } }, null, 2)}\n`,
  "src/stock.js":
    "// TODO: persist to disk\nexport function add(stock, item, n) {\n  stock[item] = (stock[item] ?? 0) + n;\n  return stock;\n}\n\nexport function remove(stock, item, n) {\n  // TODO: refuse negative stock\n  stock[item] = (stock[item] ?? 0) - n;\n  return stock;\n}\n",
  "src/report.js":
    'import { add } from "./stock.js";\n\nexport function summary(stock) {\n  return Object.entries(stock).map(([k, v]) => k + ": " + v).join("\\n");\n}\n',
  "test/stock.test.js":
    'import { test } from "node:test";\nimport assert from "node:assert/strict";\nimport { add, remove } from "../src/stock.js";\n\ntest("add", () => assert.deepEqual(add({}, "a", 2), { a: 2 }));\ntest("remove", () => assert.deepEqual(remove({ a: 3 }, "a", 1), { a: 2 }));\n',
  "py/calc.py":
    "def total(prices):\n    # TODO: handle currencies\n    return sum(prices)\n\n\ndef mean(xs):\n    return sum(xs) / len(xs)\n",
  "py/test_calc.py":
    "import unittest\n\nfrom calc import total, mean\n\n\nclass CalcTest(unittest.TestCase):\n    def test_total(self):\n        self.assertEqual(total([1, 2, 3]), 6)\n\n    def test_mean(self):\n        self.assertEqual(mean([2, 4]), 3)\n\n\nif __name__ == '__main__':\n    unittest.main()\n",
  "config/app.json": `${JSON.stringify({ name: "inventory", port: 8080, features: { audit: false, export: true } }, null, 2)}\n`,
  "docs/CHANGELOG.md": "# Changelog\n\n## 1.2.3\n\n- first release\n",
  Makefile: "test:\n\tnode --test test/\n\nreport:\n\tmkdir -p out\n\tnode -e 0\n",
};

/** A policy like `aegis init --lang node` writes, with sources readable and a few writable places. */
export function devPolicy(
  opts: { write?: string[]; commands?: string[]; extra?: string[]; read?: string[] } = {},
): string {
  return policy(
    SECURE,
    'requires_approval = ["!subprocess.exec"]',
    "[filesystem]",
    `read_allow = ${JSON.stringify(opts.read ?? ["src/**", "test/**", "py/**", "docs/**", "config/**", "README.md", "package.json", "Makefile", "out/**", "reports/**"])}`,
    `write_allow = ${JSON.stringify(opts.write ?? ["src/**", "test/**", "docs/**", "config/**", "out/**", "reports/**"])}`,
    'delete_allow = ["out/**", "src/**"]',
    "[environment]",
    'allow_vars = ["PATH", "HOME", "LANG", "USER"]',
    "[subprocess]",
    `allow_commands = ${JSON.stringify(opts.commands ?? ["git", "node", "npm", "python3", "make", "ls", "wc", "grep"])}`,
    ...(opts.extra ?? []),
  );
}
