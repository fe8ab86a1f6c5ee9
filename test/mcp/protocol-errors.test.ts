// JSON-RPC errors are for malformed requests only (mcp.md "Results"): an unknown tool or
// missing / wrong-typed / unknown arguments make the SDK client throw McpError; a denied or
// failed call is a tool result. A malformed request runs nothing and leaves the server serving.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { EmptyResultSchema, ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import {
  type AegisClient,
  auditRecords,
  type McpProject,
  mcpProject,
  runOf,
  startAegis,
} from "../helpers/mcp.js";

const POLICY = `
inherits = "secure-defaults"
requires_approval = ["!subprocess.exec"]
[filesystem]
read_allow = ["src/**"]
write_allow = ["src/**"]
[network]
http_get_allow = ["example.com"]
[subprocess]
allow_commands = ["node"]
`;

/** [tool, arguments, what the message must mention] — each must be rejected as invalid params. */
const MALFORMED: Array<[string, Record<string, unknown>, RegExp]> = [
  ["aegis_no_such_tool", {}, /unknown tool/],
  ["aegis_run", {}, /missing argument "script"/],
  ["aegis_run", { script: 42 }, /"script" has the wrong type/],
  ["aegis_run", { script: "1", timeout_seconds: "5" }, /"timeout_seconds"/],
  ["aegis_run", { script: "1", timeout_seconds: 0 }, /"timeout_seconds"/],
  ["aegis_run", { script: "1", timeout_seconds: -1 }, /"timeout_seconds"/],
  ["aegis_run", { script: "1", unexpected: true }, /unknown argument "unexpected"/],
  ["aegis_fs_read", {}, /missing argument "path"/],
  ["aegis_fs_read", { path: 3 }, /"path" has the wrong type/],
  ["aegis_fs_read", { path: "src/a.txt", offset: -1 }, /"offset"/],
  ["aegis_fs_read", { path: "src/a.txt", length: 1.5 }, /"length"/],
  ["aegis_fs_read", { path: "src/a.txt", offset: "0" }, /"offset"/],
  ["aegis_fs_write", { path: "src/a.txt" }, /missing argument "content"/],
  ["aegis_fs_write", { path: "src/a.txt", content: { toString: "x" } }, /"content"/],
  ["aegis_fs_replace", { path: "src/a.txt", old: "a" }, /missing argument "new"/],
  ["aegis_fs_list", { path: null }, /"path"/],
  ["aegis_fs_delete", { path: ["src/a.txt"] }, /"path"/],
  ["aegis_http", { url: "https://example.com/" }, /missing argument "method"/],
  ["aegis_http", { method: "TRACE", url: "https://example.com/" }, /"method"/],
  ["aegis_http", { method: "GET", url: "https://example.com/", headers: { n: 1 } }, /"headers"/],
  ["aegis_http", { method: "GET", url: "https://example.com/", headers: ["a"] }, /"headers"/],
  // net.httpGet/httpDelete send no body: refusing beats silently sending another request.
  [
    "aegis_http",
    { method: "DELETE", url: "https://example.com/", body: "x" },
    /"body" is not allowed with DELETE/,
  ],
  ["aegis_http", { method: "GET", url: "https://example.com/", body: "x" }, /"body" is not allowed with GET/],
  ["aegis_exec", { argv: "node --version" }, /"argv"/],
  ["aegis_exec", { argv: [] }, /"argv"/],
  ["aegis_exec", { argv: ["node", 1] }, /"argv"/],
  ["aegis_env_read", { name: false }, /"name"/],
  ["aegis_tool_routing", { name: 1 }, /"name"/],
  ["aegis_policy", { verbose: true }, /unknown argument "verbose"/],
];

describe("protocol errors", () => {
  let project: McpProject;
  let aegis: AegisClient;
  before(async () => {
    project = mcpProject(POLICY, { "src/a.txt": "a" });
    aegis = await startAegis(project);
  });
  after(async () => {
    await aegis.close();
    project.remove();
  });

  for (const [tool, args, mention] of MALFORMED) {
    test(`${tool} ${JSON.stringify(args)} is a JSON-RPC invalid-params error`, async () => {
      await assert.rejects(aegis.call(tool, args), (e: unknown) => {
        assert.ok(e instanceof McpError, `not an McpError: ${String(e)}`);
        assert.equal(e.code, ErrorCode.InvalidParams);
        assert.match(e.message, mention);
        return true;
      });
    });
  }

  test("argument names inherited from Object.prototype (constructor, toString, __proto__) are unknown arguments", async () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["aegis_fs_read", { path: "src/a.txt", constructor: 1 }, "constructor"],
      ["aegis_run", { script: "1", toString: "x" }, "toString"],
      ["aegis_fs_read", JSON.parse('{"path":"src/a.txt","__proto__":{"offset":"x"}}'), "__proto__"],
    ];
    const accepted: string[] = [];
    for (const [tool, args, name] of cases) {
      try {
        await aegis.call(tool, args);
        accepted.push(name);
      } catch (e) {
        assert.ok(e instanceof McpError && e.code === ErrorCode.InvalidParams, String(e));
        assert.match(e.message, new RegExp(`unknown argument "${name}"`));
      }
    }
    assert.deepEqual(accepted, [], `accepted as known arguments: ${accepted.join(", ")}`);
  });

  test("the message carries the client's MCP error prefix once", async () => {
    await assert.rejects(aegis.call("aegis_run", {}), (e: unknown) => {
      assert.ok(e instanceof McpError);
      assert.equal(e.message, `MCP error ${ErrorCode.InvalidParams}: aegis_run: missing argument "script"`);
      return true;
    });
  });

  test("a malformed call runs nothing: no audit record, no file written", async () => {
    const before = auditRecords(project.auditLog).length;
    await assert.rejects(aegis.call("aegis_fs_write", { path: "src/new.txt", content: 1 }), McpError);
    await assert.rejects(aegis.call("aegis_exec", { argv: ["node", "--version"], shell: true }), McpError);
    assert.equal(project.exists("src/new.txt"), false);
    assert.equal(auditRecords(project.auditLog).length, before);
  });

  test("a denied call is a result, not a protocol error", async () => {
    const r = await aegis.call("aegis_fs_read", { path: "/etc/hostname" });
    assert.equal(r.isError, true);
    assert.equal(runOf(r).kind, "policy_violation");
  });

  test("a failing script is a result, not a protocol error", async () => {
    const r = await aegis.call("aegis_run", { script: "throw 1" });
    assert.equal(r.isError, true);
    assert.equal(runOf(r).kind, "script_error");
  });

  test("after a burst of malformed requests the server still serves", async () => {
    await Promise.allSettled(MALFORMED.map(([tool, args]) => aegis.call(tool, args)));
    const r = await aegis.call("aegis_run", { script: "export default 6 * 7" });
    assert.equal(runOf(r).value, 42);
  });

  test("an unknown JSON-RPC method is method-not-found", async () => {
    await assert.rejects(
      aegis.client.request({ method: "aegis/secret_backdoor", params: {} }, EmptyResultSchema),
      (e: unknown) => e instanceof McpError && e.code === ErrorCode.MethodNotFound,
    );
  });
});
