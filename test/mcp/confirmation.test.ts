// Confirmation over MCP elicitation (mcp.md "Confirmation"): only an explicit accept with
// approved: true lets an operation under requires_approval happen; every other answer, a
// malformed one, no answer in time, or a client that cannot be asked, declines it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import {
  type CallToolResult,
  CallToolResultSchema,
  type ElicitRequest,
  ElicitRequestSchema,
  type ElicitResult,
} from "@modelcontextprotocol/sdk/types.js";
import { loadPolicy } from "../../src/host/load-policy.js";
import { type ConfirmMode, createAegisServer } from "../../src/mcp/server.js";
import {
  auditRecords,
  type ElicitHandler,
  type McpProject,
  mcpProject,
  runOf,
  startAegis,
  textOf,
} from "../helpers/mcp.js";

// fs.delete needs approval (secure-defaults); subprocess.exec keeps it too, so an argv is asked.
const POLICY = `
inherits = "secure-defaults"
[filesystem]
read_allow = ["data/**"]
delete_allow = ["data/**"]
[environment]
allow_vars = ["PATH"]
[subprocess]
allow_commands = ["node"]
`;

interface Asked {
  requests: ElicitRequest["params"][];
}

async function deleteWith(
  t: { after: (fn: () => unknown) => void },
  answer: ElicitHandler,
  mode?: ConfirmMode,
  path = "data/victim.txt",
): Promise<{ project: McpProject; result: CallToolResult; asked: Asked }> {
  const project = mcpProject(POLICY, { "data/victim.txt": "precious" });
  t.after(() => project.remove());
  const asked: Asked = { requests: [] };
  const aegis = await startAegis(project, {
    ...(mode ? { args: ["--confirm-mode", mode] } : {}),
    elicit: (request) => {
      asked.requests.push(request.params);
      return answer(request);
    },
  });
  t.after(() => aegis.close());
  const result = await aegis.call("aegis_fs_delete", { path });
  return { project, result, asked };
}

describe("confirmation by elicitation (stdio, --confirm-mode auto)", () => {
  test("accept with approved: true deletes the file", async (t) => {
    const { project, result, asked } = await deleteWith(t, () => ({
      action: "accept",
      content: { approved: true },
    }));
    assert.equal(runOf(result).kind, "success");
    assert.equal(project.exists("data/victim.txt"), false);
    assert.equal(asked.requests.length, 1);
    const run = runOf(result);
    const records = auditRecords(project.auditLog).filter((r) => r.run === run.run_id);
    assert.ok(records.some((r) => r.cap === "fs.delete" && r.status === "confirmed" && r.source === "mcp"));
  });

  test("the request names the exact operation: the capability and the full path, default not approved", async (t) => {
    const { project, asked } = await deleteWith(t, () => ({ action: "decline" }));
    const params = asked.requests[0];
    assert.ok(params && "requestedSchema" in params, JSON.stringify(params));
    assert.ok(params.message.includes(`fs.delete ${project.path("data/victim.txt")}`), params.message);
    const approved = params.requestedSchema.properties.approved as { type: string; default?: unknown };
    assert.equal(approved.type, "boolean");
    assert.equal(approved.default, false);
    assert.deepEqual(params.requestedSchema.required, ["approved"]);
  });

  test("the operator sees the resolved full path up front, not the agent's spelling of it", async (t) => {
    const project = mcpProject(POLICY, { "data/victim.txt": "precious" });
    t.after(() => project.remove());
    const asked: ElicitRequest["params"][] = [];
    const aegis = await startAegis(project, {
      elicit: (request) => {
        asked.push(request.params);
        return { action: "decline" };
      },
    });
    t.after(() => aegis.close());
    await aegis.call("aegis_fs_delete", { path: "data/./sub/../victim.txt" });
    const params = asked[0];
    assert.ok(params && "requestedSchema" in params);
    const full = project.path("data/victim.txt");
    const headline = params.message.split(". ")[0] ?? "";
    const field = params.requestedSchema.properties.approved as { description?: string };
    assert.ok(headline.includes(`fs.delete ${full}`), `headline: ${headline}`);
    assert.ok(field.description?.includes(full), `approve field: ${field.description}`);
  });

  test("the audit log records the resolved full path of a confirmed operation, too", async (t) => {
    const { project, result } = await deleteWith(
      t,
      () => ({ action: "accept", content: { approved: true } }),
      undefined,
      "data/./sub/../victim.txt",
    );
    const run = runOf(result);
    assert.equal(run.kind, "success");
    assert.deepEqual(run.calls, [
      { cap: "fs.delete", target: "data/./sub/../victim.txt", decision: "confirm" },
    ]);
    const records = auditRecords(project.auditLog).filter((r) => r.run === run.run_id);
    assert.ok(records.length > 0);
    for (const r of records) assert.equal(r.target, project.path("data/victim.txt"), JSON.stringify(r));
  });

  const refusals: Array<[string, ElicitResult]> = [
    ["accept with approved: false", { action: "accept", content: { approved: false } }],
    ["decline", { action: "decline" }],
    ["cancel", { action: "cancel" }],
    ["accept without content", { action: "accept" }],
  ];
  for (const [name, answer] of refusals) {
    test(`${name} does not delete, and the run ends confirm_denied`, async (t) => {
      const { project, result, asked } = await deleteWith(t, () => answer);
      assert.equal(asked.requests.length, 1);
      const run = runOf(result);
      assert.equal(run.kind, "confirm_denied");
      assert.equal(run.aegis_error_kind, "confirm_denied");
      assert.match(textOf(result), /fs\.delete/);
      assert.equal(project.read("data/victim.txt"), "precious");
      const records = auditRecords(project.auditLog).filter((r) => r.run === run.run_id);
      assert.ok(
        records.some((r) => r.status === "declined"),
        JSON.stringify(records),
      );
    });
  }

  test('a truthy but non-boolean approved ("yes") is not an approval', async (t) => {
    const { project, result } = await deleteWith(t, () => ({
      action: "accept",
      content: { approved: "yes" },
    }));
    assert.equal(runOf(result).kind, "confirm_denied");
    assert.equal(project.read("data/victim.txt"), "precious");
  });

  test("a client whose elicitation handler throws declines", async (t) => {
    const { project, result } = await deleteWith(t, () => {
      throw new Error("the UI crashed");
    });
    assert.equal(runOf(result).kind, "confirm_denied");
    assert.equal(project.read("data/victim.txt"), "precious");
  });

  test("a command under requires_approval is asked with its full argv", async (t) => {
    const project = mcpProject(POLICY);
    t.after(() => project.remove());
    const asked: string[] = [];
    const aegis = await startAegis(project, {
      elicit: (request) => {
        asked.push(request.params.message);
        return { action: "accept", content: { approved: true } };
      },
    });
    t.after(() => aegis.close());
    const r = await aegis.call("aegis_exec", { argv: ["node", "--version", "--no-warnings"] });
    assert.equal(runOf(r).kind, "success");
    assert.equal(asked.length, 1);
    assert.ok(asked[0]?.includes("subprocess.exec"), asked[0]);
    assert.ok(asked[0]?.includes('["node","--version","--no-warnings"]'), asked[0]);
  });

  test("each operation is asked separately: approving one does not approve the next", async (t) => {
    const project = mcpProject(POLICY, { "data/a.txt": "a", "data/b.txt": "b" });
    t.after(() => project.remove());
    const answers = [true, false];
    const asked: string[] = [];
    const aegis = await startAegis(project, {
      elicit: (request) => {
        asked.push(request.params.message);
        return { action: "accept", content: { approved: answers.shift() ?? false } };
      },
    });
    t.after(() => aegis.close());
    const r = await aegis.call("aegis_run", {
      script: `await fs.delete("data/a.txt");
let second = "deleted";
try { await fs.delete("data/b.txt"); } catch (e) { second = e.kind; }
export default second;`,
    });
    assert.equal(runOf(r).value, "confirm_denied");
    assert.equal(asked.length, 2);
    assert.ok(asked[0]?.includes(project.path("data/a.txt")));
    assert.ok(asked[1]?.includes(project.path("data/b.txt")));
    assert.equal(project.exists("data/a.txt"), false);
    assert.equal(project.read("data/b.txt"), "b");
  });
});

describe("confirm modes with an elicitation-capable client", () => {
  test("--confirm-mode elicit asks, and an approval deletes", async (t) => {
    const { project, result, asked } = await deleteWith(
      t,
      () => ({ action: "accept", content: { approved: true } }),
      "elicit",
    );
    assert.equal(asked.requests.length, 1);
    assert.equal(runOf(result).kind, "success");
    assert.equal(project.exists("data/victim.txt"), false);
  });

  test("--confirm-mode auto-allow never asks and deletes", async (t) => {
    const { project, result, asked } = await deleteWith(t, () => ({ action: "decline" }), "auto-allow");
    assert.equal(asked.requests.length, 0);
    assert.equal(runOf(result).kind, "success");
    assert.equal(project.exists("data/victim.txt"), false);
  });

  test("--confirm-mode auto-deny never asks and declines, even though the client would approve", async (t) => {
    const { project, result, asked } = await deleteWith(
      t,
      () => ({ action: "accept", content: { approved: true } }),
      "auto-deny",
    );
    assert.equal(asked.requests.length, 0);
    assert.equal(runOf(result).kind, "confirm_denied");
    assert.equal(project.read("data/victim.txt"), "precious");
  });
});

describe("confirm modes with a client that did not declare elicitation", () => {
  test("auto does not ask it; elicit asks anyway, and the client's refusal declines", async (t) => {
    const project = mcpProject(POLICY, { "data/victim.txt": "precious" });
    t.after(() => project.remove());
    const texts: Record<string, string> = {};
    for (const mode of ["auto", "elicit"]) {
      const aegis = await startAegis(project, { args: ["--confirm-mode", mode] });
      t.after(() => aegis.close());
      const r = await aegis.call("aegis_fs_delete", { path: "data/victim.txt" });
      assert.equal(runOf(r).kind, "confirm_denied");
      texts[mode] = textOf(r);
    }
    assert.match(texts.auto ?? "", /not asked: this MCP client does not support elicitation/);
    // The SDK client answers an undeclared elicitation/create with method-not-found.
    assert.match(texts.elicit ?? "", /could not be asked: .*Method not found/);
    assert.equal(project.read("data/victim.txt"), "precious");
  });
});

describe("elicitation timeout (in-process server, InMemoryTransport)", () => {
  test("no answer within elicitTimeoutMs is declined, and a late approval deletes nothing", async (t) => {
    const project = mcpProject(POLICY, { "data/victim.txt": "precious" });
    t.after(() => project.remove());
    const policy = await loadPolicy(project.path("aegis.toml"), { cwd: project.root, home: project.home });
    const logs: string[] = [];
    const aegis = await createAegisServer({
      policy,
      cwd: project.root,
      auditLog: project.auditLog,
      confirmMode: "auto",
      env: { PATH: process.env.PATH ?? "" },
      elicitTimeoutMs: 400,
      log: (line) => logs.push(line),
    });
    t.after(() => aegis.close());
    const client = new Client(
      { name: "silent-operator", version: "1" },
      { capabilities: { elicitation: {} } },
    );
    let lateAnswers = 0;
    client.setRequestHandler(
      ElicitRequestSchema,
      () =>
        new Promise<ElicitResult>((resolve) => {
          // The operator answers only long after the server's timeout: too late to count.
          setTimeout(() => {
            lateAnswers++;
            resolve({ action: "accept", content: { approved: true } });
          }, 1500);
        }),
    );
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await aegis.server.connect(serverSide);
    await client.connect(clientSide);
    t.after(() => client.close());
    // Warm the sandbox worker so that the time measured is the confirmation's alone.
    await client.callTool({ name: "aegis_run", arguments: { script: "export default 1" } });

    const started = Date.now();
    const result = (await client.callTool(
      { name: "aegis_fs_delete", arguments: { path: "data/victim.txt" } },
      CallToolResultSchema,
      { timeout: 60_000 },
    )) as CallToolResult;
    const elapsed = Date.now() - started;
    assert.equal(runOf(result).kind, "confirm_denied");
    assert.equal(project.read("data/victim.txt"), "precious");
    assert.ok(elapsed < 1400, `declined after ${elapsed} ms, not at the 400 ms timeout`);
    assert.ok(
      logs.some((l) => /timed out|timeout/i.test(l)),
      logs.join("\n"),
    );
    // The late approval arrives after the decline and must not resurrect the delete.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.equal(lateAnswers, 1);
    assert.equal(project.read("data/victim.txt"), "precious");
    assert.ok(
      auditRecords(project.auditLog).some((r) => r.cap === "fs.delete" && r.status === "declined"),
      "the decline is audited",
    );
  });

  test("without elicitTimeoutMs an operator who takes a while is still honoured (the default is long)", async (t) => {
    const project = mcpProject(POLICY, { "data/victim.txt": "precious" });
    t.after(() => project.remove());
    const policy = await loadPolicy(project.path("aegis.toml"), { cwd: project.root, home: project.home });
    const aegis = await createAegisServer({
      policy,
      cwd: project.root,
      auditLog: project.auditLog,
      confirmMode: "auto",
      env: {},
      log: () => {},
    });
    t.after(() => aegis.close());
    const client = new Client({ name: "slow-operator", version: "1" }, { capabilities: { elicitation: {} } });
    client.setRequestHandler(
      ElicitRequestSchema,
      () =>
        new Promise<ElicitResult>((resolve) =>
          setTimeout(() => resolve({ action: "accept", content: { approved: true } }), 1500),
        ),
    );
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await aegis.server.connect(serverSide);
    await client.connect(clientSide);
    t.after(() => client.close());
    const result = (await client.callTool(
      { name: "aegis_fs_delete", arguments: { path: "data/victim.txt" } },
      CallToolResultSchema,
      { timeout: 60_000 },
    )) as CallToolResult;
    assert.equal(runOf(result).kind, "success");
    assert.equal(project.exists("data/victim.txt"), false);
  });
});
