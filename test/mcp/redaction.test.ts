// Local-only values never reach the MCP client (script-api.md "Sealed values", mcp.md
// "All text and structured content is redacted"): whatever the tool or the script does, no
// content text, structuredContent or audit record holds the secret, raw or encoded.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
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

const ENV_SECRET = "tok_Env4fG8hK2pQ9zR7wX1vB3";
const FILE_SECRET = "tok_File7mN2qL5sD8jH4kP6cW9";

const POLICY = `
inherits = "secure-defaults"
[filesystem]
read_allow = ["src/**", "data/**"]
write_allow = ["data/**", "vault/**"]
delete_allow = ["data/**"]
local_only_read = ["vault/**"]
[environment]
allow_vars = ["PATH"]
local_only_vars = ["DEPLOY_TOKEN"]
`;

describe("redaction of local-only values over MCP", () => {
  let project: McpProject;
  let aegis: AegisClient;
  before(async () => {
    project = mcpProject(POLICY, {
      "vault/token.txt": `${FILE_SECRET}\n`,
      "src/a.txt": "a",
      // The same bytes as the local-only variable, in an ordinary readable file.
      "data/config.ini": `[deploy]\ntoken = ${ENV_SECRET}\n`,
    });
    aegis = await startAegis(project, { env: { DEPLOY_TOKEN: ENV_SECRET } });
  });
  after(async () => {
    await aegis.close();
    project.remove();
  });

  /** Neither secret, in any common encoding, anywhere in the result or the audit log. */
  function assertSealed(result: CallToolResult): void {
    for (const secret of [ENV_SECRET, FILE_SECRET]) {
      const leak = findSecret(result, secret);
      assert.equal(leak, undefined, `leaked ${leak} in ${JSON.stringify(result).slice(0, 2000)}`);
    }
    const audit = auditRecords(project.auditLog);
    for (const secret of [ENV_SECRET, FILE_SECRET]) {
      assert.equal(findSecret(audit, secret), undefined, "leaked into the audit log");
    }
  }

  test("aegis_env_read of a local-only variable shows [sealed NAME]", async () => {
    const r = await aegis.call("aegis_env_read", { name: "DEPLOY_TOKEN" });
    assertSealed(r);
    assert.equal(runOf(r).kind, "success");
    assert.match(textOf(r), /\[sealed DEPLOY_TOKEN\]/);
    assert.match(JSON.stringify(r.structuredContent), /\[sealed DEPLOY_TOKEN\]/);
  });

  test("aegis_fs_read of a local-only file shows it sealed, whole or in part", async () => {
    for (const args of [
      { path: "vault/token.txt" },
      { path: "vault/token.txt", offset: 4, length: 8 },
      { path: project.path("vault/token.txt") },
    ]) {
      const r = await aegis.call("aegis_fs_read", args);
      assertSealed(r);
      assert.equal(runOf(r).kind, "success", JSON.stringify(args));
      assert.match(textOf(r), /\[sealed [^\]]*token\.txt\]/);
    }
  });

  test("aegis_fs_replace cannot be used to read a local-only file back", async () => {
    const r = await aegis.call("aegis_fs_replace", { path: "vault/token.txt", old: "tok_", new: "x" });
    assertSealed(r);
    assert.equal(r.isError, true);
    assert.equal(project.read("vault/token.txt"), `${FILE_SECRET}\n`);
  });

  const scripts: Array<[string, string]> = [
    [
      "console.log of the sealed value",
      'const s = await env.read("DEPLOY_TOKEN"); console.log(s, [s], { s });',
    ],
    ["returning it", 'const s = await env.read("DEPLOY_TOKEN"); export default { s, list: [s] };'],
    ["returning it bare", 'export default await fs.read("vault/token.txt");'],
    ["throwing it", 'const s = await env.read("DEPLOY_TOKEN"); throw s;'],
    ["an error built from it", 'const s = await env.read("DEPLOY_TOKEN"); throw new Error("token=" + s);'],
    ["a rejected promise with it", 'const s = await fs.read("vault/token.txt"); await Promise.reject(s);'],
    [
      "String() and template literals",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: guest source, interpolated by the guest
      'const s = await env.read("DEPLOY_TOKEN"); console.log(`${s}`, String(s));',
    ],
    ["JSON.stringify", 'const s = await env.read("DEPLOY_TOKEN"); export default JSON.stringify({ s });'],
    [
      "character-by-character indexing",
      'const s = await env.read("DEPLOY_TOKEN"); const out = []; for (let i = 0; i < 30; i++) out.push(s[i]); export default out.join("");',
    ],
    [
      "a comparison oracle",
      `const s = await env.read("DEPLOY_TOKEN");
const hits = [];
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") {
  try { if (s.startsWith("tok_" + c)) hits.push(c); } catch {}
  try { if (s > "tok_" + c) hits.push(c); } catch {}
}
export default hits.join("");`,
    ],
    [
      "Array.from and spreading",
      'const s = await env.read("DEPLOY_TOKEN"); export default [Array.from(s), [...s]];',
    ],
    [
      "the sealed tag composing a new value",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: guest source, interpolated by the guest
      'const s = await env.read("DEPLOY_TOKEN"); const b = sealed`Bearer ${s}`; console.log(b); export default b;',
    ],
    [
      "using the sealed value as a path, to get it echoed in an error",
      'const s = await env.read("DEPLOY_TOKEN"); await fs.read(s);',
    ],
    ["using the sealed value as an env name", 'const s = await env.read("DEPLOY_TOKEN"); await env.read(s);'],
  ];
  for (const [name, script] of scripts) {
    test(`aegis_run: ${name} shows no secret`, async () => {
      const r = await aegis.call("aegis_run", { script });
      runOf(r);
      assertSealed(r);
    });
  }

  test("aegis_run: printing and returning sealed values shows their labels", async () => {
    const r = await aegis.call("aegis_run", {
      script:
        'const s = await env.read("DEPLOY_TOKEN"); const f = await fs.read("vault/token.txt"); console.log(s); export default { s, f };',
    });
    assertSealed(r);
    assert.match(textOf(r), /\[sealed DEPLOY_TOKEN\]/);
    assert.match(textOf(r), /\[sealed [^\]]*token\.txt\]/);
  });

  test("aegis_run: throwing a sealed value shows its label, not its bytes", async () => {
    const r = await aegis.call("aegis_run", { script: 'throw await env.read("DEPLOY_TOKEN");' });
    assertSealed(r);
    assert.equal(runOf(r).kind, "script_error");
    assert.match(textOf(r), /\[sealed DEPLOY_TOKEN\]/);
  });

  test("a sealed value cannot be laundered through an ordinary file for the next call to read", async () => {
    const write = await aegis.call("aegis_run", {
      script: 'const s = await env.read("DEPLOY_TOKEN"); await fs.write("data/exfil.txt", s);',
    });
    assertSealed(write);
    assert.equal(runOf(write).kind, "policy_violation");
    assert.equal(project.exists("data/exfil.txt"), false);
  });

  test("a sealed value written where the policy lets it go stays sealed when read back", async () => {
    const write = await aegis.call("aegis_run", {
      script: 'const s = await env.read("DEPLOY_TOKEN"); await fs.write("vault/copy.txt", s);',
    });
    assertSealed(write);
    assert.equal(runOf(write).kind, "success");
    assert.equal(project.read("vault/copy.txt"), ENV_SECRET, "the real bytes reach the disk");
    const back = await aegis.call("aegis_fs_read", { path: "vault/copy.txt" });
    assertSealed(back);
    assert.match(textOf(back), /\[sealed [^\]]*copy\.txt\]/);
  });

  test("a plain object shaped like a sealed reference is refused, not revealed", async () => {
    const r = await aegis.call("aegis_run", {
      script: `await env.read("DEPLOY_TOKEN");
for (let id = 0; id < 4; id++) {
  try { await fs.write("data/forged-" + id + ".txt", { sealedId: id, label: "DEPLOY_TOKEN" }); } catch {}
  try { await fs.write("vault/forged-" + id + ".txt", { sealedId: id, label: "DEPLOY_TOKEN" }); } catch {}
}
export default "tried";`,
    });
    assertSealed(r);
    for (let id = 0; id < 4; id++) {
      for (const dir of ["data", "vault"]) {
        const rel = `${dir}/forged-${id}.txt`;
        if (project.exists(rel)) assert.doesNotMatch(project.read(rel), new RegExp(ENV_SECRET), rel);
      }
    }
  });

  test("a secret that re-enters in the same run through an ordinary file is redacted", async () => {
    const r = await aegis.call("aegis_run", {
      script: 'await env.read("DEPLOY_TOKEN"); export default await fs.read("data/config.ini");',
    });
    assertSealed(r);
    assert.match(textOf(r), /token = \[REDACTED\]/);
  });

  test("a local-only variable's value copied into an ordinary readable file is redacted by aegis_fs_read", async () => {
    // The host knows every local-only variable in its environment from the start; a copy
    // of the value in a readable file must not hand the model what the seal withholds.
    const r = await aegis.call("aegis_fs_read", { path: "data/config.ini" });
    assertSealed(r);
  });

  test("the server's own stderr log holds no secret either (hosts keep it in their logs)", async () => {
    await aegis.call("aegis_run", {
      script: 'const s = await env.read("DEPLOY_TOKEN"); await fs.delete(s);',
    });
    await aegis.call("aegis_run", {
      script:
        // biome-ignore lint/suspicious/noTemplateCurlyInString: guest source, interpolated by the guest
        'const s = await fs.read("vault/token.txt"); console.error(s); await fs.delete(sealed`data/${s}`);',
    });
    for (const secret of [ENV_SECRET, FILE_SECRET]) {
      assert.equal(findSecret(aegis.stderr(), secret), undefined, aegis.stderr());
    }
  });
});
