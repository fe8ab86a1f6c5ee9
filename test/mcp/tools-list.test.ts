// The catalogue a model sees (mcp.md "Tools") and the stdio channel itself: every tool is
// listed with a description and a schema, and nothing but JSON-RPC ever reaches stdout.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import {
  type AegisClient,
  childEnv,
  MCP_BIN,
  type McpProject,
  mcpProject,
  runProcess,
  startAegis,
  TOOL_NAMES,
} from "../helpers/mcp.js";

const POLICY = `
inherits = "secure-defaults"
requires_approval = ["!subprocess.exec"]
[filesystem]
read_allow = ["src/**"]
[subprocess]
allow_commands = ["node"]
[environment]
allow_vars = ["PATH"]
`;

/** Arguments each tool documents, and which of them are required. */
const ARGUMENTS: Record<(typeof TOOL_NAMES)[number], { props: string[]; required: string[] }> = {
  aegis_run: { props: ["script", "timeout_seconds"], required: ["script"] },
  aegis_policy: { props: [], required: [] },
  aegis_fs_read: { props: ["path", "offset", "length"], required: ["path"] },
  aegis_fs_write: { props: ["path", "content"], required: ["path", "content"] },
  aegis_fs_replace: { props: ["path", "old", "new"], required: ["path", "old", "new"] },
  aegis_fs_list: { props: ["path"], required: ["path"] },
  aegis_fs_delete: { props: ["path"], required: ["path"] },
  aegis_http: { props: ["method", "url", "headers", "body"], required: ["method", "url"] },
  aegis_exec: { props: ["argv", "cwd"], required: ["argv"] },
  aegis_env_read: { props: ["name"], required: ["name"] },
  aegis_tool_routing: { props: ["name"], required: [] },
};

describe("tools/list", () => {
  let project: McpProject;
  let aegis: AegisClient;
  let tools: Tool[];
  before(async () => {
    project = mcpProject(POLICY, { "src/a.txt": "a\n" });
    aegis = await startAegis(project);
    tools = (await aegis.client.listTools()).tools;
  });
  after(async () => {
    await aegis.close();
    project.remove();
  });

  test("lists exactly the tools of mcp.md", () => {
    assert.deepEqual(tools.map((t) => t.name).sort(), [...TOOL_NAMES].sort());
  });

  test("every tool has a description for a model and an object input schema with the documented arguments", () => {
    for (const name of TOOL_NAMES) {
      const tool = tools.find((t) => t.name === name);
      assert.ok(tool, name);
      assert.ok((tool.description ?? "").length >= 40, `${name} has a real description`);
      assert.equal(tool.inputSchema.type, "object", name);
      assert.deepEqual(
        Object.keys(tool.inputSchema.properties ?? {}).sort(),
        ARGUMENTS[name].props.sort(),
        name,
      );
      assert.deepEqual([...(tool.inputSchema.required ?? [])].sort(), ARGUMENTS[name].required.sort(), name);
    }
  });

  test("descriptions say the policy decides and how a denial looks", () => {
    for (const name of ["aegis_run", "aegis_fs_read", "aegis_fs_write", "aegis_http", "aegis_exec"]) {
      const d = tools.find((t) => t.name === name)?.description ?? "";
      assert.match(d, /policy/, name);
      assert.match(d, /isError|denied|denial/, name);
    }
  });

  test("aegis_run's description carries a short script example", () => {
    const d = tools.find((t) => t.name === "aegis_run")?.description ?? "";
    assert.match(d, /await fs\.read\(/);
    assert.match(d, /export default/);
  });

  test("the argument types a client must send are in the schemas", () => {
    const prop = (tool: string, arg: string) =>
      tools.find((t) => t.name === tool)?.inputSchema.properties?.[arg] as Record<string, unknown>;
    assert.equal(prop("aegis_run", "script").type, "string");
    assert.equal(prop("aegis_run", "timeout_seconds").type, "number");
    assert.equal(prop("aegis_fs_read", "offset").type, "integer");
    assert.equal(prop("aegis_exec", "argv").type, "array");
    assert.deepEqual(prop("aegis_exec", "argv").items, { type: "string" });
    assert.deepEqual(prop("aegis_http", "method").enum, ["GET", "POST", "PUT", "PATCH", "DELETE"]);
    assert.equal(prop("aegis_http", "headers").type, "object");
  });
});

describe("the stdio channel", () => {
  test("stdout carries nothing but JSON-RPC, even when scripts and commands print", async (t) => {
    const project = mcpProject(POLICY, { "src/a.txt": "a\n" });
    t.after(() => project.remove());
    const requests = [
      {
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: {
          protocolVersion: "2025-06-18",
          capabilities: {},
          clientInfo: { name: "hand-written", version: "0" },
        },
      },
      { jsonrpc: "2.0", method: "notifications/initialized" },
      { jsonrpc: "2.0", id: 2, method: "tools/list" },
      {
        jsonrpc: "2.0",
        id: 3,
        method: "tools/call",
        params: {
          name: "aegis_run",
          arguments: {
            script:
              'console.log("to the output"); console.error("err line"); console.warn("warn"); export default 7',
          },
        },
      },
      {
        jsonrpc: "2.0",
        id: 4,
        method: "tools/call",
        params: { name: "aegis_exec", arguments: { argv: ["node", "--version"] } },
      },
      {
        jsonrpc: "2.0",
        id: 5,
        method: "tools/call",
        params: { name: "aegis_run", arguments: { script: "throw new Error('boom')" } },
      },
      { jsonrpc: "2.0", id: 6, method: "tools/call", params: { name: "no_such_tool", arguments: {} } },
    ];
    const r = await runProcess(process.execPath, [MCP_BIN, "--policy", "aegis.toml"], {
      cwd: project.root,
      env: childEnv(project.home),
      input: `${requests.map((m) => JSON.stringify(m)).join("\n")}\n`,
      timeoutMs: 60_000,
    });
    // The server answers every request before stdin's end closes it.
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n");
    assert.equal(lines.pop(), "", "stdout ends with a newline");
    const messages = lines.map((line, i) => {
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(line) as Record<string, unknown>;
      } catch {
        assert.fail(`stdout line ${i + 1} is not JSON: ${line.slice(0, 200)}`);
      }
      assert.equal(m.jsonrpc, "2.0", `line ${i + 1} is not JSON-RPC 2.0`);
      assert.ok("result" in m || "error" in m || "method" in m, `line ${i + 1} is not a JSON-RPC message`);
      return m;
    });
    const byId = new Map(messages.filter((m) => "id" in m).map((m) => [m.id, m]));
    assert.deepEqual([...byId.keys()].sort(), [1, 2, 3, 4, 5, 6]);
    const resultOf = <T>(id: number): T => {
      const m = byId.get(id);
      assert.ok(m && "result" in m, `no result for request ${id}: ${JSON.stringify(m)}`);
      return m.result as T;
    };
    const init = resultOf<{ serverInfo: { name: string }; capabilities: { tools?: unknown } }>(1);
    assert.equal(init.serverInfo.name, "aegis");
    assert.ok(init.capabilities.tools);
    assert.equal(resultOf<{ tools: unknown[] }>(2).tools.length, TOOL_NAMES.length);
    assert.match(resultOf<{ content: Array<{ text: string }> }>(3).content[0]?.text ?? "", /to the output/);
    const exec = resultOf<{ structuredContent: { value: { stdout: string } } }>(4);
    assert.match(exec.structuredContent.value.stdout, /^v\d+\./);
    assert.equal(resultOf<{ isError: boolean }>(5).isError, true);
    assert.ok(byId.get(6)?.error, "an unknown tool is a JSON-RPC error");
    for (const printed of ["to the output", "err line", "warn"]) {
      assert.ok(
        !lines.some((l) => l.trim() === printed),
        `script output "${printed}" escaped onto stdout as a raw line`,
      );
    }
  });

  test("--help goes to stderr and exits 0; a bad flag exits 5 with nothing on stdout", async (t) => {
    const project = mcpProject(POLICY);
    t.after(() => project.remove());
    const env = childEnv(project.home);
    const help = await runProcess(process.execPath, [MCP_BIN, "--help"], { cwd: project.root, env });
    assert.equal(help.code, 0);
    assert.equal(help.stdout, "");
    assert.match(help.stderr, /aegis-mcp/);
    const bad = await runProcess(process.execPath, [MCP_BIN, "--confirm-mode", "sometimes"], {
      cwd: project.root,
      env,
    });
    assert.equal(bad.code, 5);
    assert.equal(bad.stdout, "");
    assert.match(bad.stderr, /confirm-mode/);
  });

  test("a policy that does not load exits 5 with the reason on stderr and nothing on stdout", async (t) => {
    const project = mcpProject('[filesystem]\nread_alow = ["src/**"]\n');
    t.after(() => project.remove());
    const r = await runProcess(process.execPath, [MCP_BIN, "--policy", "aegis.toml"], {
      cwd: project.root,
      env: childEnv(project.home),
    });
    assert.equal(r.code, 5);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /read_alow/);
  });
});
