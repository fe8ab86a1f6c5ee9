// The filesystem convenience wrappers (mcp.md): each is one gated builtin call with the same
// checks and audit as inside a script. Outcomes are asserted on disk and in the audit log.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import {
  type AegisClient,
  auditRecords,
  type McpProject,
  mcpProject,
  type RunStructured,
  runOf,
  startAegis,
  textOf,
} from "../helpers/mcp.js";

const POLICY = `
inherits = "secure-defaults"
[filesystem]
read_allow = ["src/**", "data/**", "docs/**"]
write_allow = ["src/**", "data/**", "out/**"]
delete_allow = ["data/**"]
`;

/** The audit records of one wrapper call: present, all from the MCP server, for `cap`. */
function assertAudited(project: McpProject, run: RunStructured, cap: string): Array<Record<string, unknown>> {
  const records = auditRecords(project.auditLog).filter((r) => r.run === run.run_id);
  assert.ok(records.length > 0, `no audit record for run ${run.run_id}`);
  for (const r of records) assert.equal(r.source, "mcp", JSON.stringify(r));
  assert.ok(
    records.some((r) => r.cap === cap),
    `no ${cap} record: ${JSON.stringify(records)}`,
  );
  return records;
}

describe("filesystem wrappers", () => {
  let project: McpProject;
  let aegis: AegisClient;
  before(async () => {
    project = mcpProject(POLICY, {
      "src/digits.txt": "0123456789abcdef",
      "src/app.py": "def main():\n    return 1\n",
      "data/one.txt": "1",
      "data/sub/two.txt": "22",
    });
    aegis = await startAegis(project, { args: ["--confirm-mode", "auto-allow"] });
  });
  after(async () => {
    await aegis.close();
    project.remove();
  });

  describe("aegis_fs_read", () => {
    test("reads a whole file, audited as an allowed fs.read from mcp", async () => {
      const r = await aegis.call("aegis_fs_read", { path: "src/app.py" });
      const run = runOf(r);
      assert.equal(run.value, "def main():\n    return 1\n");
      assert.equal(textOf(r), "def main():\n    return 1\n");
      const records = assertAudited(project, run, "fs.read");
      assert.ok(records.every((rec) => rec.decision === "allow"));
    });

    test("offset and length select a byte range", async () => {
      assert.equal(
        runOf(await aegis.call("aegis_fs_read", { path: "src/digits.txt", offset: 4, length: 6 })).value,
        "456789",
      );
      assert.equal(
        runOf(await aegis.call("aegis_fs_read", { path: "src/digits.txt", offset: 10 })).value,
        "abcdef",
      );
      assert.equal(
        runOf(await aegis.call("aegis_fs_read", { path: "src/digits.txt", length: 3 })).value,
        "012",
      );
      assert.equal(
        runOf(await aegis.call("aegis_fs_read", { path: "src/digits.txt", offset: 100, length: 5 })).value,
        "",
      );
    });

    test("a read outside read_allow is a policy_violation result, audited as denied", async () => {
      const r = await aegis.call("aegis_fs_read", { path: "aegis.toml" });
      const run = runOf(r);
      assert.equal(run.kind, "policy_violation");
      assert.match(textOf(r), /filesystem\.read_allow/);
      const records = assertAudited(project, run, "fs.read");
      assert.ok(records.some((rec) => rec.status === "denied"));
    });

    test("path traversal out of the project is denied", async () => {
      const r = await aegis.call("aegis_fs_read", { path: "src/../../home/.bashrc" });
      assert.equal(runOf(r).kind, "policy_violation");
    });

    test("reading the audit log through the wrapper is denied", async () => {
      const r = await aegis.call("aegis_fs_read", { path: ".aegis/audit.jsonl" });
      assert.equal(runOf(r).kind, "policy_violation");
    });
  });

  describe("aegis_fs_write", () => {
    test("writes the exact bytes, creating parent directories inside write_allow", async () => {
      const content = "# Report\nhéllo ✓ \u{1F600}\n\ttabs and trailing spaces  \n";
      const r = await aegis.call("aegis_fs_write", { path: "out/nested/deep/report.md", content });
      const run = runOf(r);
      assert.equal(run.kind, "success");
      assert.match(textOf(r), /wrote out\/nested\/deep\/report\.md/);
      assert.deepEqual(readFileSync(project.path("out/nested/deep/report.md")), Buffer.from(content, "utf8"));
      assertAudited(project, run, "fs.write");
    });

    test("wrapper arguments are data, never code: an injection payload is written verbatim and runs nothing", async () => {
      project.write("data/canary.txt", "alive");
      const payload =
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the payload is guest source on purpose
        '"; await fs.delete("data/canary.txt"); "\u2028\u2029`${await fs.delete("data/canary.txt")}` \\\' */ //\n</script>\0';
      const r = await aegis.call("aegis_fs_write", { path: "out/payload.txt", content: payload });
      assert.equal(runOf(r).kind, "success", textOf(r));
      assert.equal(project.read("out/payload.txt"), payload);
      assert.equal(project.read("data/canary.txt"), "alive");
      const named = await aegis.call("aegis_fs_read", {
        path: 'src/x"); await fs.delete("data/canary.txt"); ("',
      });
      assert.equal(runOf(named).kind, "io_error");
      assert.equal(project.read("data/canary.txt"), "alive");
    });

    test("replaces an existing file's content entirely", async () => {
      project.write("data/replace-me.txt", "old old old old");
      runOf(await aegis.call("aegis_fs_write", { path: "data/replace-me.txt", content: "new" }));
      assert.equal(project.read("data/replace-me.txt"), "new");
    });

    test("an empty content writes an empty file", async () => {
      runOf(await aegis.call("aegis_fs_write", { path: "out/empty.txt", content: "" }));
      assert.equal(project.read("out/empty.txt"), "");
    });

    test("overwriting the policy file is denied and leaves it unchanged", async () => {
      const before = project.read("aegis.toml");
      const r = await aegis.call("aegis_fs_write", {
        path: "aegis.toml",
        content: '[filesystem]\nread_allow = ["/**"]\n',
      });
      assert.equal(runOf(r).kind, "policy_violation");
      assert.equal(project.read("aegis.toml"), before);
    });

    test("tampering with the audit log is denied", async () => {
      const before = readFileSync(project.auditLog, "utf8");
      const r = await aegis.call("aegis_fs_write", { path: ".aegis/audit.jsonl", content: "" });
      assert.equal(runOf(r).kind, "policy_violation");
      assert.ok(readFileSync(project.auditLog, "utf8").startsWith(before));
    });

    test("a write that escapes the project creates nothing", async () => {
      const r = await aegis.call("aegis_fs_write", { path: "out/../../escaped.txt", content: "x" });
      assert.equal(runOf(r).kind, "policy_violation");
      assert.equal(existsSync(`${project.base}/escaped.txt`), false);
    });
  });

  describe("aegis_fs_replace", () => {
    test("replaces the one occurrence and keeps the rest byte for byte", async () => {
      project.write("src/edit.py", "a = 1\nb = 2\nc = 3\n");
      const r = await aegis.call("aegis_fs_replace", { path: "src/edit.py", old: "b = 2", new: "b = 20" });
      const run = runOf(r);
      assert.equal(run.kind, "success");
      assert.match(textOf(r), /replaced 1 occurrence/);
      assert.equal(project.read("src/edit.py"), "a = 1\nb = 20\nc = 3\n");
      const records = assertAudited(project, run, "fs.write");
      assert.ok(records.some((rec) => rec.cap === "fs.read"));
    });

    test("replacement text with $& and $1 is inserted literally, not as a pattern", async () => {
      project.write("src/dollars.txt", "price: X\n");
      runOf(await aegis.call("aegis_fs_replace", { path: "src/dollars.txt", old: "X", new: "$& $1 $$ $`" }));
      assert.equal(project.read("src/dollars.txt"), "price: $& $1 $$ $`\n");
    });

    test("zero occurrences fail and leave the file unchanged", async () => {
      project.write("src/zero.txt", "alpha beta\n");
      const r = await aegis.call("aegis_fs_replace", { path: "src/zero.txt", old: "gamma", new: "delta" });
      const run = runOf(r);
      assert.equal(r.isError, true);
      assert.equal(run.kind, "script_error");
      assert.match(textOf(r), /not found/);
      assert.equal(project.read("src/zero.txt"), "alpha beta\n");
    });

    test("two occurrences fail and leave the file unchanged", async () => {
      project.write("src/two.txt", "x = 1\nx = 1\n");
      const r = await aegis.call("aegis_fs_replace", { path: "src/two.txt", old: "x = 1", new: "x = 2" });
      assert.equal(r.isError, true);
      assert.equal(runOf(r).kind, "script_error");
      assert.match(textOf(r), /more than once/);
      assert.equal(project.read("src/two.txt"), "x = 1\nx = 1\n");
    });

    test("overlapping occurrences count as more than one", async () => {
      project.write("src/overlap.txt", "aaa");
      const r = await aegis.call("aegis_fs_replace", { path: "src/overlap.txt", old: "aa", new: "b" });
      assert.equal(r.isError, true);
      assert.equal(project.read("src/overlap.txt"), "aaa");
    });

    test("an empty old text fails and leaves the file unchanged", async () => {
      project.write("src/empty-old.txt", "content");
      const r = await aegis.call("aegis_fs_replace", { path: "src/empty-old.txt", old: "", new: "x" });
      assert.equal(r.isError, true);
      assert.equal(project.read("src/empty-old.txt"), "content");
    });

    test("a file that is readable but not writable is left unchanged (the write is denied)", async () => {
      project.write("docs/readme.md", "read only\n");
      const r = await aegis.call("aegis_fs_replace", { path: "docs/readme.md", old: "read", new: "write" });
      const run = runOf(r);
      assert.equal(run.kind, "policy_violation");
      assert.match(textOf(r), /fs\.write denied/);
      assert.equal(project.read("docs/readme.md"), "read only\n");
    });
  });

  describe("aegis_fs_list", () => {
    test("lists names, types and sizes", async () => {
      const r = await aegis.call("aegis_fs_list", { path: "data" });
      const run = runOf(r);
      const entries = run.value as Array<{ name: string; type: string; size: number }>;
      const one = entries.find((e) => e.name === "one.txt");
      const sub = entries.find((e) => e.name === "sub");
      assert.deepEqual(one && { type: one.type, size: one.size }, { type: "file", size: 1 });
      assert.equal(sub?.type, "dir");
      assert.deepEqual(JSON.parse(textOf(r)), entries);
      assertAudited(project, run, "fs.list");
    });

    test("listing outside read_allow is denied", async () => {
      const r = await aegis.call("aegis_fs_list", { path: "/etc" });
      assert.equal(runOf(r).kind, "policy_violation");
    });
  });

  describe("aegis_fs_delete (--confirm-mode auto-allow)", () => {
    test("deletes a file under delete_allow, audited with its confirmation", async () => {
      project.write("data/doomed.txt", "bye");
      const r = await aegis.call("aegis_fs_delete", { path: "data/doomed.txt" });
      const run = runOf(r);
      assert.equal(run.kind, "success");
      assert.equal(project.exists("data/doomed.txt"), false);
      const records = assertAudited(project, run, "fs.delete");
      assert.ok(records.some((rec) => rec.status === "confirmed"));
    });

    test("auto-allow does not widen the policy: a delete outside delete_allow is denied", async () => {
      const r = await aegis.call("aegis_fs_delete", { path: "src/app.py" });
      assert.equal(runOf(r).kind, "policy_violation");
      assert.match(textOf(r), /delete_allow/);
      assert.equal(project.exists("src/app.py"), true);
    });

    test("a directory is not deleted (files only)", async () => {
      project.write("data/dir/keep.txt", "k");
      const r = await aegis.call("aegis_fs_delete", { path: "data/dir" });
      assert.equal(r.isError, true);
      assert.equal(project.read("data/dir/keep.txt"), "k");
    });

    test("a missing file is an io_error", async () => {
      const r = await aegis.call("aegis_fs_delete", { path: "data/never-was.txt" });
      assert.equal(runOf(r).kind, "io_error");
    });
  });
});

describe("aegis_fs_delete under the other confirm modes (no elicitation client)", () => {
  for (const mode of ["auto-deny", "auto", "elicit"]) {
    test(`--confirm-mode ${mode}: the delete is declined and the file stays`, async (t) => {
      const project = mcpProject(POLICY, { "data/victim.txt": "keep" });
      t.after(() => project.remove());
      const aegis = await startAegis(project, { args: ["--confirm-mode", mode] });
      t.after(() => aegis.close());
      const r = await aegis.call("aegis_fs_delete", { path: "data/victim.txt" });
      const run = runOf(r);
      assert.equal(run.kind, "confirm_denied");
      assert.equal(project.read("data/victim.txt"), "keep");
      const records = assertAudited(project, run, "fs.delete");
      assert.ok(records.some((rec) => rec.status === "declined"));
    });
  }
});
