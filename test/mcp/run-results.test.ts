// aegis_run over stdio: the success shape and every failure kind of mcp.md "Results". A
// failed run is a tool result (isError, structuredContent.kind/aegis_error_kind) whose text
// names what was denied and by which rule, never a protocol error.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type AegisClient, type McpProject, mcpProject, runOf, startAegis, textOf } from "../helpers/mcp.js";

const POLICY = `
inherits = "secure-defaults"
[filesystem]
read_allow = ["src/**", "data/**"]
write_allow = ["data/**"]
delete_allow = ["data/**"]
[runtime]
max_seconds = 3
`;

describe("aegis_run results", () => {
  let project: McpProject;
  let aegis: AegisClient;
  before(async () => {
    project = mcpProject(POLICY, { "src/app.txt": "line one\nline two\n", "data/victim.txt": "keep me" });
    aegis = await startAegis(project);
  });
  after(async () => {
    await aegis.close();
    project.remove();
  });

  test("success: output then result in the text, and the run result as structuredContent", async () => {
    const r = await aegis.call("aegis_run", {
      script: `const src = await fs.read("src/app.txt");
console.log("read", src.length, "chars");
export default { lines: src.split("\\n").length - 1 };`,
    });
    const run = runOf(r);
    assert.equal(r.isError, undefined);
    assert.equal(run.ok, true);
    assert.equal(run.kind, "success");
    assert.deepEqual(run.value, { lines: 2 });
    assert.equal(run.output, "read 18 chars\n");
    assert.deepEqual(run.calls, [{ cap: "fs.read", target: "src/app.txt", decision: "allow" }]);
    assert.equal(run.aegis_error_kind, undefined);
    const text = textOf(r);
    assert.ok(text.startsWith("read 18 chars"), text);
    assert.deepEqual(JSON.parse(text.slice(text.indexOf("\n") + 1)), { lines: 2 });
  });

  test("a string result is shown as is; a run with neither output nor value says so", async () => {
    assert.equal(textOf(await aegis.call("aegis_run", { script: 'export default "plain"' })), "plain");
    const empty = await aegis.call("aegis_run", { script: "const x = 1;" });
    assert.equal(runOf(empty).kind, "success");
    assert.equal(textOf(empty), "(no output)");
  });

  test("script_error: an uncaught throw, with its message and position", async () => {
    const r = await aegis.call("aegis_run", { script: 'const a = 1;\nthrow new Error("boom: gave up");' });
    const run = runOf(r);
    assert.equal(r.isError, true);
    assert.equal(run.kind, "script_error");
    assert.equal(run.aegis_error_kind, "script_error");
    assert.match(run.error?.message ?? "", /boom: gave up/);
    assert.equal(run.error?.line, 2);
    assert.match(textOf(r), /^aegis script_error at line 2\b.*boom: gave up/);
  });

  test("output printed before a failure is kept in the failed result", async () => {
    const r = await aegis.call("aegis_run", {
      script: 'console.log("progress 1");\nthrow new Error("late");',
    });
    const run = runOf(r);
    assert.equal(run.kind, "script_error");
    assert.equal(run.output, "progress 1\n");
    assert.match(textOf(r), /^progress 1\naegis script_error/);
  });

  test("policy_violation: a denied read names the operation, the target and the rule", async () => {
    // The path is built at run time so that the gate, not the verifier, stops it.
    const r = await aegis.call("aegis_run", {
      script: 'const p = ["", "etc", "hostname"].join("/");\nexport default await fs.read(p);',
    });
    const run = runOf(r);
    assert.equal(run.kind, "policy_violation");
    assert.equal(run.aegis_error_kind, "policy_violation");
    assert.deepEqual(run.calls, [{ cap: "fs.read", target: "/etc/hostname", decision: "deny" }]);
    const text = textOf(r);
    assert.match(text, /^aegis policy_violation/);
    assert.match(text, /fs\.read denied: \/etc\/hostname/);
    assert.match(text, /filesystem\.read_allow/);
  });

  test("policy_violation: a deny rule is named with the pattern that matched", async () => {
    project.write("src/.env", "X=1\n");
    const r = await aegis.call("aegis_run", {
      script: 'const name = ".e" + "nv";\nexport default await fs.read("src/" + name);',
    });
    assert.equal(runOf(r).kind, "policy_violation");
    assert.match(textOf(r), /filesystem\.deny/);
    assert.match(textOf(r), /"\.env"/);
  });

  test("a denial the script catches is not a failure of the run", async () => {
    const r = await aegis.call("aegis_run", {
      script: `let kind = "none";
try { await fs.read(["", "etc", "hostname"].join("/")); } catch (e) { kind = e.kind; }
export default kind;`,
    });
    assert.equal(runOf(r).kind, "success");
    assert.equal(runOf(r).value, "policy_violation");
  });

  test("verifier_rejection: import is refused before the script runs, with line:column", async () => {
    const r = await aegis.call("aegis_run", { script: '\nimport fs2 from "node:fs";\nexport default 1;' });
    const run = runOf(r);
    assert.equal(run.kind, "verifier_rejection");
    assert.equal(run.aegis_error_kind, "verifier_rejection");
    assert.equal(run.error?.line, 2);
    assert.deepEqual(run.calls, []);
    assert.match(textOf(r), /^aegis verifier_rejection at line 2:\d+/);
    assert.match(textOf(r), /import/);
  });

  test("verifier_rejection: a capability the policy never grants names the section that would", async () => {
    const r = await aegis.call("aegis_run", {
      script: 'const r = await net.httpGet("https://example.com/");\nexport default r.status;',
    });
    assert.equal(runOf(r).kind, "verifier_rejection");
    assert.match(textOf(r), /net\.httpGet is not granted/);
    assert.match(textOf(r), /http_get_allow/);
  });

  test("verifier_rejection: a script that does not parse", async () => {
    const r = await aegis.call("aegis_run", { script: "export default (;" });
    assert.equal(runOf(r).kind, "verifier_rejection");
    assert.equal(runOf(r).error?.line, 1);
  });

  test("runtime_limit: an endless loop is stopped at timeout_seconds, naming the limit", async () => {
    const started = Date.now();
    const r = await aegis.call("aegis_run", { script: "while (1) {}", timeout_seconds: 1 });
    const elapsed = Date.now() - started;
    const run = runOf(r);
    assert.equal(run.kind, "runtime_limit");
    assert.equal(run.aegis_error_kind, "runtime_limit");
    assert.match(textOf(r), /1 s/);
    assert.match(textOf(r), /runtime\.max_seconds/);
    assert.ok(elapsed < 2900, `stopped after ${elapsed} ms, before the policy's 3 s`);
  });

  test("timeout_seconds cannot extend the policy's runtime.max_seconds", async () => {
    const started = Date.now();
    const r = await aegis.call("aegis_run", { script: "for (;;) {}", timeout_seconds: 600 });
    const elapsed = Date.now() - started;
    assert.equal(runOf(r).kind, "runtime_limit");
    assert.match(textOf(r), /3 s/);
    assert.ok(elapsed < 10_000, `a 600 s request ran ${elapsed} ms under a 3 s policy`);
  });

  test("io_error: reading a missing file names the operation and the path", async () => {
    const r = await aegis.call("aegis_run", { script: 'export default await fs.read("src/missing.txt");' });
    const run = runOf(r);
    assert.equal(run.kind, "io_error");
    assert.equal(run.aegis_error_kind, "io_error");
    assert.match(textOf(r), /^aegis io_error/);
    assert.match(textOf(r), /fs\.read src\/missing\.txt/);
    assert.match(textOf(r), /ENOENT|no such file/);
    assert.doesNotMatch(textOf(r), /ENOENT: ENOENT/, "the errno code is said once");
  });

  test("confirm_denied: without elicitation the delete is declined, the file stays, and the text says why", async () => {
    const r = await aegis.call("aegis_run", { script: 'await fs.delete("data/victim.txt");' });
    const run = runOf(r);
    assert.equal(run.kind, "confirm_denied");
    assert.equal(run.aegis_error_kind, "confirm_denied");
    assert.equal(project.read("data/victim.txt"), "keep me");
    const text = textOf(r);
    assert.match(text, /fs\.delete/);
    assert.match(text, /requires_approval/);
    // mcp.md: "A client without elicitation → declined, with a reason saying so."
    assert.match(text, /elicitation/, `the reason does not say the client cannot confirm: ${text}`);
  });
});

describe("aegis_run confirm_denied under --confirm-mode auto-deny", () => {
  test("an operation under requires_approval is declined without asking, and the file stays", async (t) => {
    const project = mcpProject(POLICY, { "data/victim.txt": "keep me" });
    t.after(() => project.remove());
    let asked = 0;
    const aegis = await startAegis(project, {
      args: ["--confirm-mode", "auto-deny"],
      elicit: () => {
        asked++;
        return { action: "accept", content: { approved: true } };
      },
    });
    t.after(() => aegis.close());
    const r = await aegis.call("aegis_run", { script: 'await fs.delete("data/victim.txt");' });
    assert.equal(runOf(r).kind, "confirm_denied");
    assert.equal(r.isError, true);
    assert.match(textOf(r), /requires_approval/);
    assert.equal(asked, 0, "auto-deny never asks the client");
    assert.equal(project.read("data/victim.txt"), "keep me");
  });
});
