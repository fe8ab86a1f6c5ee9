/**
 * Every option a command accepts is named in its --help text and on its line of `aegis --help`,
 * and every option those texts name is accepted: a flag is never undocumented (`init
 * --lockdown` and `doctor --audit-log` once were) and a documented flag never fails.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { auditCommand, SHOW_OPTIONS, VERIFY_OPTIONS } from "../../src/cli/audit-command.js";
import { DOCTOR_OPTIONS, doctorCommand } from "../../src/cli/doctor-command.js";
import { INIT_OPTIONS, initCommand } from "../../src/cli/init-command.js";
import type { CliIo } from "../../src/cli/io.js";
import { POLICY_OPTIONS, policyCommand } from "../../src/cli/policy-command.js";
import { RUN_OPTIONS, runCommand } from "../../src/cli/run-command.js";
import { REPO_ROOT, runCli } from "../helpers/cli.js";

type Command = (args: string[], io: CliIo) => Promise<number>;

interface Case {
  /** As written after `aegis` on its line of `aegis --help`. */
  usage: string;
  command: Command;
  /** The arguments that print this command's help. */
  helpArgs: string[];
  options: Record<string, unknown>;
}

const CASES: Case[] = [
  { usage: "run", command: runCommand, helpArgs: ["--help"], options: RUN_OPTIONS },
  { usage: "init", command: initCommand, helpArgs: ["--help"], options: INIT_OPTIONS },
  {
    usage: "policy validate",
    command: policyCommand,
    helpArgs: ["validate", "--help"],
    options: POLICY_OPTIONS.validate,
  },
  {
    usage: "policy show",
    command: policyCommand,
    helpArgs: ["show", "--help"],
    options: POLICY_OPTIONS.show,
  },
  {
    usage: "policy explain",
    command: policyCommand,
    helpArgs: ["explain", "--help"],
    options: POLICY_OPTIONS.explain,
  },
  { usage: "audit verify", command: auditCommand, helpArgs: ["verify", "--help"], options: VERIFY_OPTIONS },
  { usage: "audit show", command: auditCommand, helpArgs: ["show", "--help"], options: SHOW_OPTIONS },
  { usage: "doctor", command: doctorCommand, helpArgs: ["--help"], options: DOCTOR_OPTIONS },
];

async function helpOf(c: Case): Promise<string> {
  let out = "";
  const code = await c.command(c.helpArgs, {
    stdout: (s) => {
      out += s;
    },
    stderr: (s) => assert.fail(`--help wrote to stderr: ${s}`),
  });
  assert.equal(code, 0, `aegis ${c.usage} --help exits 0`);
  return out;
}

const flagsIn = (text: string): Set<string> => new Set(text.match(/--[a-z][a-z-]*/g) ?? []);
const accepted = (c: Case): string[] => Object.keys(c.options).map((o) => `--${o}`);

/** `aegis --help`'s usage lines, continuation lines joined, keyed by what follows `aegis `. */
function usageLines(help: string): Map<string, string> {
  const lines = new Map<string, string>();
  let current: string | undefined;
  for (const line of help.split("\n")) {
    const m = /^ {2}aegis (.*)$/.exec(line);
    if (m) {
      current = m[1]!;
      lines.set(current, current);
    } else if (current !== undefined && /^ {4,}\S/.test(line)) {
      lines.set(current, `${lines.get(current)} ${line.trim()}`);
    } else current = undefined;
  }
  return lines;
}

describe("--help names every option", () => {
  for (const c of CASES) {
    test(`aegis ${c.usage} --help names each option it accepts, and only those`, async () => {
      const help = await helpOf(c);
      const named = flagsIn(help);
      assert.deepEqual(
        accepted(c).filter((f) => !named.has(f)),
        [],
        `accepted but not in the help:\n${help}`,
      );
      // policy's help covers its three subcommands; each of its flags must be accepted by one.
      const all = c.usage.startsWith("policy ")
        ? Object.values(POLICY_OPTIONS).flatMap((o) => Object.keys(o).map((k) => `--${k}`))
        : accepted(c);
      assert.deepEqual(
        [...named].filter((f) => f !== "--help" && !all.includes(f)),
        [],
        `named in the help but not accepted:\n${help}`,
      );
    });
  }

  test("aegis --help: each command's line names exactly the options it accepts", async () => {
    const r = await runCli(["--help"], { cwd: REPO_ROOT, home: REPO_ROOT });
    assert.equal(r.code, 0);
    const lines = usageLines(r.stdout);
    for (const c of CASES) {
      const entry = [...lines.entries()].find(([k]) => k === c.usage || k.startsWith(`${c.usage} `));
      assert.ok(entry, `no line for aegis ${c.usage} in:\n${r.stdout}`);
      assert.deepEqual([...flagsIn(entry[1])].sort(), accepted(c).sort(), `aegis ${entry[1]}`);
    }
  });
});
