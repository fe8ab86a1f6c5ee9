// aegis_http against a loopback server this test starts (the policy lifts the loopback deny
// with "!127.0.0.0/8" and names the port), and aegis_exec with real commands. Each call is
// one gated builtin call, audited from the MCP server.
import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import {
  type AegisClient,
  auditRecords,
  type McpProject,
  mcpProject,
  runOf,
  startAegis,
  textOf,
} from "../helpers/mcp.js";

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

function policy(port: number): string {
  return `
inherits = "secure-defaults"
requires_approval = ["!subprocess.exec"]
[filesystem]
read_allow = ["src/**"]
[network]
http_get_allow = ["127.0.0.1"]
http_post_allow = ["127.0.0.1"]
deny_ips = ["!127.0.0.0/8"]
allow_ports = [${port}]
[environment]
allow_vars = ["PATH"]
[subprocess]
allow_commands = ["node", "git"]
`;
}

describe("aegis_http and aegis_exec", () => {
  let server: Server;
  let port: number;
  const seen: Seen[] = [];
  let project: McpProject;
  let aegis: AegisClient;

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        seen.push({
          method: req.method ?? "",
          url: req.url ?? "",
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        });
        if (req.url === "/redirect") {
          res.writeHead(302, { location: "/target" }).end();
        } else if (req.url === "/missing") {
          res.writeHead(404, { "content-type": "text/plain" }).end("not here");
        } else {
          res.writeHead(200, { "content-type": "application/json", "x-served-by": "loopback-test" });
          res.end(JSON.stringify({ ok: true, method: req.method, url: req.url }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
    project = mcpProject(policy(port), { "src/a.txt": "a" });
    aegis = await startAegis(project);
  });
  after(async () => {
    await aegis.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    project.remove();
  });

  const auditedFromMcp = (runId: string, cap: string) => {
    const records = auditRecords(project.auditLog).filter((r) => r.run === runId);
    assert.ok(records.length > 0, `no audit record for ${runId}`);
    assert.ok(records.every((r) => r.source === "mcp"));
    assert.ok(
      records.some((r) => r.cap === cap),
      JSON.stringify(records),
    );
  };

  describe("aegis_http", () => {
    test("GET with headers reaches the server and returns status, headers and body", async () => {
      seen.length = 0;
      const url = `http://127.0.0.1:${port}/items?page=2`;
      const r = await aegis.call("aegis_http", { method: "GET", url, headers: { "x-request-tag": "t-1" } });
      const run = runOf(r);
      assert.equal(run.kind, "success");
      const value = run.value as { status: number; headers: Record<string, string>; body: string };
      assert.equal(value.status, 200);
      assert.equal(value.headers["x-served-by"], "loopback-test");
      assert.deepEqual(JSON.parse(value.body), { ok: true, method: "GET", url: "/items?page=2" });
      assert.deepEqual(JSON.parse(textOf(r)), value);
      assert.equal(seen.length, 1);
      assert.equal(seen[0]?.headers["x-request-tag"], "t-1");
      auditedFromMcp(run.run_id, "net.http_get");
    });

    test("POST sends the body", async () => {
      seen.length = 0;
      const r = await aegis.call("aegis_http", {
        method: "POST",
        url: `http://127.0.0.1:${port}/submit`,
        headers: { "content-type": "text/plain" },
        body: "payload ✓",
      });
      const run = runOf(r);
      assert.equal(run.kind, "success");
      assert.equal((run.value as { status: number }).status, 200);
      assert.equal(seen[0]?.method, "POST");
      assert.equal(seen[0]?.body, "payload ✓");
      auditedFromMcp(run.run_id, "net.http_post");
    });

    test("a 404 is a result, not an error", async () => {
      const r = await aegis.call("aegis_http", { method: "GET", url: `http://127.0.0.1:${port}/missing` });
      const run = runOf(r);
      assert.equal(run.kind, "success");
      assert.deepEqual((run.value as { status: number; body: string }).body, "not here");
      assert.equal((run.value as { status: number }).status, 404);
    });

    test("a redirect is returned, not followed", async () => {
      seen.length = 0;
      const r = await aegis.call("aegis_http", { method: "GET", url: `http://127.0.0.1:${port}/redirect` });
      const value = runOf(r).value as { status: number; headers: Record<string, string> };
      assert.equal(value.status, 302);
      assert.equal(value.headers.location, "/target");
      assert.deepEqual(
        seen.map((s) => s.url),
        ["/redirect"],
      );
    });

    test("a port outside allow_ports is denied before any connection", async () => {
      const r = await aegis.call("aegis_http", { method: "GET", url: `http://127.0.0.1:${port + 1}/` });
      assert.equal(runOf(r).kind, "policy_violation");
      assert.match(textOf(r), /allow_ports/);
    });

    test("the loopback server reached by the name localhost is still denied (deny_hosts)", async () => {
      seen.length = 0;
      const r = await aegis.call("aegis_http", { method: "GET", url: `http://localhost:${port}/` });
      assert.equal(runOf(r).kind, "policy_violation");
      assert.equal(seen.length, 0, "the request reached the server");
    });

    test("a host not in http_get_allow is denied and names the rule", async () => {
      const r = await aegis.call("aegis_http", { method: "GET", url: "http://127.0.0.2:80/" });
      assert.equal(runOf(r).kind, "policy_violation");
      assert.match(textOf(r), /http_get_allow|allow_ports/);
    });

    test("a verb the policy never grants is rejected without a request", async () => {
      seen.length = 0;
      const r = await aegis.call("aegis_http", {
        method: "PUT",
        url: `http://127.0.0.1:${port}/x`,
        body: "b",
      });
      assert.equal(r.isError, true);
      assert.match(runOf(r).kind, /verifier_rejection|policy_violation/);
      assert.match(textOf(r), /http_put_allow/);
      assert.equal(seen.length, 0);
    });

    test("a wrapper's rejection cites no line:column of the generated script the client never wrote", async () => {
      const r = await aegis.call("aegis_http", {
        method: "PATCH",
        url: `http://127.0.0.1:${port}/x`,
        body: "b",
      });
      assert.equal(r.isError, true);
      assert.match(textOf(r), /http_patch_allow/);
      assert.doesNotMatch(textOf(r), /\bline \d+|\b\d+:\d+:/, textOf(r));
    });

    test("credentials in the URL are refused", async () => {
      seen.length = 0;
      const r = await aegis.call("aegis_http", { method: "GET", url: `http://user:pw@127.0.0.1:${port}/` });
      assert.equal(runOf(r).kind, "policy_violation");
      assert.equal(seen.length, 0);
    });
  });

  describe("aegis_exec", () => {
    test('["node", "--version"] runs and returns code, stdout and stderr', async () => {
      const r = await aegis.call("aegis_exec", { argv: ["node", "--version"] });
      const run = runOf(r);
      assert.equal(run.kind, "success");
      const p = run.value as { code: number; stdout: string; stderr: string };
      assert.equal(p.code, 0);
      assert.match(p.stdout, /^v\d+\.\d+\.\d+\n$/);
      assert.equal(p.stderr, "");
      assert.deepEqual(JSON.parse(textOf(r)), p);
      auditedFromMcp(run.run_id, "subprocess.exec");
    });

    test('["git", "--version"] runs with a cwd inside read_allow', async () => {
      const r = await aegis.call("aegis_exec", { argv: ["git", "--version"], cwd: "src" });
      const p = runOf(r).value as { code: number; stdout: string };
      assert.equal(p.code, 0);
      assert.match(p.stdout, /^git version /);
    });

    test("a non-zero exit is a result, not an error", async () => {
      // (node with options only would read its program from stdin, which the gate denies.)
      const r = await aegis.call("aegis_exec", { argv: ["git", "no-such-command-for-aegis"] });
      const run = runOf(r);
      assert.equal(run.kind, "success");
      const p = run.value as { code: number; stderr: string };
      assert.notEqual(p.code, 0);
      assert.match(p.stderr, /no-such-command-for-aegis/);
    });

    test("a shell is denied: no command line ever reaches sh -c", async () => {
      const r = await aegis.call("aegis_exec", { argv: ["sh", "-c", "echo pwned > pwned.txt"] });
      assert.equal(runOf(r).kind, "policy_violation");
      assert.equal(project.exists("pwned.txt"), false);
      assert.equal(project.exists("src/pwned.txt"), false);
    });

    test("inline code for an allowed interpreter is denied (node -e)", async () => {
      const r = await aegis.call("aegis_exec", {
        argv: ["node", "-e", "require('fs').writeFileSync('pwned.txt','x')"],
      });
      assert.equal(runOf(r).kind, "policy_violation");
      assert.match(textOf(r), /deny_args|-e/);
      assert.equal(project.exists("pwned.txt"), false);
    });

    test("a command not in allow_commands is denied", async () => {
      const r = await aegis.call("aegis_exec", { argv: ["python3", "--version"] });
      assert.equal(runOf(r).kind, "policy_violation");
      assert.match(textOf(r), /allow_commands/);
    });

    test("a cwd outside the policy is denied", async () => {
      const r = await aegis.call("aegis_exec", { argv: ["node", "--version"], cwd: "/etc" });
      assert.equal(runOf(r).kind, "policy_violation");
    });
  });
});
