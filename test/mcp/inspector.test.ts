// The MCP Inspector CLI (@modelcontextprotocol/inspector, an unrelated client) must list and
// call aegis-mcp's tools (mcp.md "Wiring"). Its stdout is one JSON document per invocation.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import {
  childEnv,
  type McpProject,
  mcpProject,
  REPO_ROOT,
  type RunStructured,
  runInspector,
  runOf,
  runProcess,
  TOOL_NAMES,
  textOf,
} from "../helpers/mcp.js";

const POLICY = `
inherits = "secure-defaults"
[filesystem]
read_allow = ["src/**"]
`;

function parseJson<T>(stdout: string, stderr: string): T {
  try {
    return JSON.parse(stdout) as T;
  } catch {
    assert.fail(`the Inspector printed no JSON.\nstdout: ${stdout}\nstderr: ${stderr}`);
  }
}

describe("MCP Inspector CLI", () => {
  let project: McpProject;
  before(() => {
    project = mcpProject(POLICY, { "src/notes.md": "# Notes\nfirst\nsecond\n" });
  });
  after(() => project.remove());

  test("npx @modelcontextprotocol/inspector --cli … --method tools/list lists every tool", async () => {
    // Exactly the documented command line, run from the repository so npx finds the package.
    const r = await runProcess(
      "npx",
      [
        "--no-install",
        "@modelcontextprotocol/inspector",
        "--cli",
        "node",
        "dist/aegis-mcp.js",
        "--policy",
        project.path("aegis.toml"),
        "--method",
        "tools/list",
      ],
      { cwd: REPO_ROOT, env: childEnv(project.home), timeoutMs: 90_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    const { tools } = parseJson<{ tools: Tool[] }>(r.stdout, r.stderr);
    assert.deepEqual(tools.map((t) => t.name).sort(), [...TOOL_NAMES].sort());
    for (const t of tools) assert.ok(t.description && t.inputSchema.type === "object", t.name);
  });

  test("tools/call aegis_run with --tool-arg script=… returns the run result", async () => {
    const r = await runInspector(project, [
      "--method",
      "tools/call",
      "--tool-name",
      "aegis_run",
      "--tool-arg",
      'script=const t = await fs.read("src/notes.md"); console.log("read"); export default { lines: t.split("\\n").length }',
      "timeout_seconds=5",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const result = parseJson<CallToolResult>(r.stdout, r.stderr);
    const run = runOf(result);
    assert.equal(run.kind, "success");
    assert.deepEqual(run.value, { lines: 4 });
    assert.equal(run.output, "read\n");
    assert.match(textOf(result), /^read\n/);
  });

  test("a denied call reaches the Inspector as an isError result with the rule", async () => {
    const r = await runInspector(project, [
      "--method",
      "tools/call",
      "--tool-name",
      "aegis_fs_read",
      "--tool-arg",
      "path=/etc/hostname",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const result = parseJson<CallToolResult>(r.stdout, r.stderr);
    assert.equal(result.isError, true);
    assert.equal((result.structuredContent as unknown as RunStructured).aegis_error_kind, "policy_violation");
    assert.match(textOf(result), /filesystem\.read_allow/);
  });

  test("a numeric argument is converted by the Inspector from the schema (aegis_fs_read offset/length)", async () => {
    const r = await runInspector(project, [
      "--method",
      "tools/call",
      "--tool-name",
      "aegis_fs_read",
      "--tool-arg",
      "path=src/notes.md",
      "offset=2",
      "length=5",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(runOf(parseJson<CallToolResult>(r.stdout, r.stderr)).value, "Notes");
  });

  test("an unknown tool is a protocol error: the Inspector exits non-zero and prints no result", async () => {
    const r = await runInspector(project, ["--method", "tools/call", "--tool-name", "aegis_rm_rf"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unknown tool/);
    assert.doesNotMatch(r.stdout, /"content"/);
  });
});
