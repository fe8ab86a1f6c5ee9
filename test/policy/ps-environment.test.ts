/**
 * `ps e` / `ps axeww` print other processes' environments, aegis's own included, where
 * the run's local-only variables live (eval c05-060). The BSD `e` modifier is denied under
 * every policy; ordinary ps listings and -o formats stay allowed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PS_ENVIRONMENT_RULE, psEnvironmentArg } from "../../src/policy/program-rules.js";
import type { ResolvedPolicy } from "../../src/policy/types.js";
import { exec, loadFile, makeTree, run, type Tree, writeFile } from "./helpers.js";

const LEAKS: string[][] = [
  ["ps", "axeww", "-o", "args"],
  ["ps", "e"],
  ["ps", "auxe"],
  ["ps", "eww"],
  ["ps", "Uroot", "e"],
  ["ps", "-o", "pid,args", "e"],
  ["ps", "-eo", "pid,args", "e"],
  ["ps", "o", "pid,user", "e"],
  ["ps", "--sort", "pid", "axe"],
  ["/bin/ps", "axe"],
  ["PS", "axe"],
];

const LISTINGS: string[][] = [
  ["ps"],
  ["ps", "aux"],
  ["ps", "-ef"],
  ["ps", "-e"],
  ["ps", "-eo", "pid,user,args"],
  ["ps", "-o", "pid,user,etime"],
  ["ps", "axo", "pid,user,comm"],
  ["ps", "-u", "steve"],
  ["ps", "--user", "steve"],
  ["ps", "-C", "sleep"],
  ["ps", "--sort", "user", "-e"],
  ["ps", "-p", "1", "-o", "pid=,user="],
  ["ps", "-Otime"],
  ["ps", "axjf"],
];

describe("ps printing process environments", () => {
  let tree: Tree;
  let preset: ResolvedPolicy;
  let bare: ResolvedPolicy;
  let vars: Record<string, string>;
  before(() => {
    tree = makeTree("aegis-ps-");
    const body = `[subprocess]\nallow_commands = ["ps", "/bin/ps", "PS"]\n`;
    preset = loadFile(
      tree,
      writeFile(
        join(tree.root, "preset.toml"),
        `inherits = "secure-defaults"\nrequires_approval = ["!subprocess.exec"]\n${body}`,
      ),
    );
    bare = loadFile(tree, writeFile(join(tree.root, "bare.toml"), body));
    vars = { ROOT: tree.root, HOME: tree.home };
  });
  after(() => tree.cleanup());

  for (const argv of LEAKS) {
    it(`denies ${argv.join(" ")} (BSD e modifier)`, () => {
      for (const policy of [preset, bare]) {
        const d = run(policy, exec(...argv), vars);
        assert.equal(d.decision, "deny", d.reason);
        assert.equal(d.rule, PS_ENVIRONMENT_RULE);
        assert.match(d.reason, /environments/);
        assert.ok(d.reason.includes(PS_ENVIRONMENT_RULE), d.reason);
      }
    });
  }

  for (const argv of LISTINGS) {
    it(`allows ${argv.join(" ")}`, () => {
      const d = run(preset, exec(...argv), vars);
      assert.equal(d.decision, "allow", `${d.rule}: ${d.reason}`);
    });
  }

  it("reads an unknown option's value as a cluster, so a misparse denies", () => {
    assert.equal(psEnvironmentArg(["--no-such-option", "e"]), "e");
    assert.equal(psEnvironmentArg(["-Z", "axe"]), "axe");
  });
});
