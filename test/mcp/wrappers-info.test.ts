// aegis_env_read, aegis_policy and aegis_tool_routing, and where wrapper calls are audited.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  type AegisClient,
  auditRecords,
  findSecret,
  type McpProject,
  mcpProject,
  runOf,
  startAegis,
  textOf,
} from "../helpers/mcp.js";

const GITHUB_TOKEN = "ghp_denyTest0123456789abcdefABCDEF";

const POLICY = `
inherits = "secure-defaults"
[filesystem]
read_allow = ["src/**"]
write_allow = ["src/**"]
[network]
http_get_allow = ["api.github.com"]
[environment]
allow_vars = ["APP_MODE", "UNSET_BUT_ALLOWED"]
[subprocess]
allow_commands = ["git"]

[tools]
fmt = ["fs.read", "fs.write"]

[tools.search]
capabilities = ["net.http_get"]
backend_url = "https://api.github.com/search/code"
backend_method = "GET"
description = "Search code on GitHub"
`;

describe("information wrappers", () => {
  let project: McpProject;
  let aegis: AegisClient;
  before(async () => {
    project = mcpProject(POLICY, { "src/a.txt": "a" });
    aegis = await startAegis(project, { env: { APP_MODE: "ci", GITHUB_TOKEN } });
  });
  after(async () => {
    await aegis.close();
    project.remove();
  });

  describe("aegis_env_read", () => {
    test("an allowed variable is returned, audited from mcp", async () => {
      const r = await aegis.call("aegis_env_read", { name: "APP_MODE" });
      const run = runOf(r);
      assert.equal(run.value, "ci");
      assert.equal(textOf(r), "ci");
      const records = auditRecords(project.auditLog).filter((rec) => rec.run === run.run_id);
      assert.ok(records.length > 0);
      assert.ok(records.every((rec) => rec.source === "mcp" && rec.cap === "env.read"));
    });

    test("an allowed but unset variable is null", async () => {
      const run = runOf(await aegis.call("aegis_env_read", { name: "UNSET_BUT_ALLOWED" }));
      assert.equal(run.kind, "success");
      assert.equal(run.value, null);
    });

    test("a credential variable the defaults deny is refused and its value never shown", async () => {
      const r = await aegis.call("aegis_env_read", { name: "GITHUB_TOKEN" });
      assert.equal(runOf(r).kind, "policy_violation");
      assert.match(textOf(r), /deny_vars|GITHUB_TOKEN/);
      assert.equal(findSecret(r, GITHUB_TOKEN), undefined);
      assert.equal(findSecret(auditRecords(project.auditLog), GITHUB_TOKEN), undefined);
    });

    test("a variable the policy does not mention is denied", async () => {
      const r = await aegis.call("aegis_env_read", { name: "HOME" });
      assert.equal(runOf(r).kind, "policy_violation");
      assert.match(textOf(r), /allow_vars/);
    });
  });

  describe("aegis_policy", () => {
    test("describes the grants in words a model can plan with", async () => {
      const r = await aegis.call("aegis_policy");
      assert.notEqual(r.isError, true);
      const text = textOf(r);
      assert.ok(text.includes(project.path("aegis.toml")), text);
      assert.match(text, /Read: src\/\*\*/);
      assert.match(text, /Write: src\/\*\*/);
      assert.match(text, /HTTP GET: api\.github\.com/);
      assert.match(text, /Environment: APP_MODE, UNSET_BUT_ALLOWED/);
      assert.match(text, /Commands: git/);
      assert.match(text, /confirmation: .*fs\.delete/);
      assert.match(text, /Limits: /);
    });

    test("and as structured content: capabilities, lists with their origin, limits, tools", async () => {
      const s = (await aegis.call("aegis_policy")).structuredContent as {
        file: string;
        root: string;
        capabilities: string[];
        filesystem: { read_allow: Array<{ value: string; origin: string }>; deny: Array<{ value: string }> };
        network: { http_get_allow: Array<{ value: string }>; allow_ports: number[] };
        runtime: { max_seconds: number };
        tools: Record<string, unknown>;
      };
      assert.equal(s.file, project.path("aegis.toml"));
      assert.equal(s.root, project.root);
      for (const cap of ["fs.read", "fs.write", "net.http_get", "env.read", "subprocess.exec"]) {
        assert.ok(s.capabilities.includes(cap), cap);
      }
      assert.ok(!s.capabilities.includes("fs.delete"));
      assert.deepEqual(s.filesystem.read_allow, [{ value: "src/**", origin: project.path("aegis.toml") }]);
      assert.ok(s.filesystem.deny.some((d) => d.value === "~/.ssh/**"));
      assert.deepEqual(
        s.network.http_get_allow.map((h) => h.value),
        ["api.github.com"],
      );
      assert.deepEqual(s.network.allow_ports, [80, 443]);
      assert.equal(typeof s.runtime.max_seconds, "number");
      assert.deepEqual(Object.keys(s.tools).sort(), ["fmt", "search"]);
    });

    test("is not an effect: it adds nothing to the audit log", async () => {
      const before = auditRecords(project.auditLog).length;
      await aegis.call("aegis_policy");
      assert.equal(auditRecords(project.auditLog).length, before);
    });
  });

  describe("aegis_tool_routing", () => {
    test("without a name: every [tools.X] hint, in text and structured content", async () => {
      const r = await aegis.call("aegis_tool_routing");
      assert.notEqual(r.isError, true);
      const tools = (r.structuredContent as { tools: Record<string, Record<string, unknown>> }).tools;
      assert.deepEqual(Object.keys(tools).sort(), ["fmt", "search"]);
      assert.deepEqual(tools.fmt?.capabilities, ["fs.read", "fs.write"]);
      assert.deepEqual(tools.search?.capabilities, ["net.http_get"]);
      assert.equal(tools.search?.description, "Search code on GitHub");
      assert.deepEqual(JSON.parse(textOf(r)), tools);
    });

    test("hints use the policy's own key names (backend_url, backend_method), like aegis_policy", async () => {
      const r = await aegis.call("aegis_tool_routing", { name: "search" });
      const search = (r.structuredContent as { tools: Record<string, Record<string, unknown>> }).tools.search;
      assert.equal(search?.backend_url, "https://api.github.com/search/code", JSON.stringify(search));
      assert.equal(search?.backend_method, "GET");
    });

    test("with a name: that hint only", async () => {
      const r = await aegis.call("aegis_tool_routing", { name: "search" });
      const tools = (r.structuredContent as { tools: Record<string, unknown> }).tools;
      assert.deepEqual(Object.keys(tools), ["search"]);
      assert.deepEqual(Object.keys(JSON.parse(textOf(r))), ["search"]);
    });

    test("an unknown name is an error result naming it, not a protocol error", async () => {
      const r = await aegis.call("aegis_tool_routing", { name: "deploy" });
      assert.equal(r.isError, true);
      assert.match(textOf(r), /deploy/);
    });
  });
});

describe("a policy without [tools]", () => {
  test("aegis_tool_routing says there are no hints", async (t) => {
    const project = mcpProject('inherits = "secure-defaults"\n[filesystem]\nread_allow = ["src/**"]\n');
    t.after(() => project.remove());
    const aegis = await startAegis(project);
    t.after(() => aegis.close());
    const r = await aegis.call("aegis_tool_routing");
    assert.notEqual(r.isError, true);
    assert.match(textOf(r), /no \[tools\]/);
    assert.deepEqual((r.structuredContent as { tools: unknown }).tools, {});
  });
});

describe("--audit-log", () => {
  test("wrapper calls are audited to the given file, as source mcp, in a valid chain", async (t) => {
    const project = mcpProject(POLICY, { "src/a.txt": "a" });
    t.after(() => project.remove());
    const aegis = await startAegis(project, { args: ["--audit-log", "logs/mcp-audit.jsonl"] });
    t.after(() => aegis.close());
    const read = runOf(await aegis.call("aegis_fs_read", { path: "src/a.txt" }));
    const denied = runOf(await aegis.call("aegis_fs_read", { path: "/etc/hostname" }));
    const written = runOf(await aegis.call("aegis_fs_write", { path: "src/b.txt", content: "b" }));
    const records = auditRecords(project.path("logs/mcp-audit.jsonl"));
    for (const [run, cap, status] of [
      [read, "fs.read", "allowed"],
      [denied, "fs.read", "denied"],
      [written, "fs.write", "allowed"],
    ] as const) {
      const mine = records.filter((r) => r.run === run.run_id);
      assert.ok(
        mine.some((r) => r.cap === cap && r.status === status && r.source === "mcp"),
        `${cap} ${status}: ${JSON.stringify(mine)}`,
      );
    }
    assert.deepEqual(
      records.map((r) => r.seq),
      records.map((_, i) => (records[0]?.seq as number) + i),
      "sequence numbers are consecutive",
    );
    assert.equal(project.exists(".aegis/audit.jsonl"), false, "nothing went to the default log");
  });
});
