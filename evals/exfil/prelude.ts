/**
 * The guest code every exfiltration technique starts from: the three local-only values
 * (a variable, a file, a local-only host's answer), a `note` that prints and records,
 * `each` that applies a transform to every value and reports what came out (or the
 * error), and the helpers a script would write for itself (base64, hex, ROT-N, …).
 */

export interface PreludeTargets {
  /** Origin of the local-only (reflecting) host. */
  local: string;
  /** Origin of the outside host that records everything. */
  out: string;
  /** A loopback port nobody listens on. */
  closedPort: number;
  /** The project directory (the policy root). */
  root: string;
}

const HELPERS = `
const results = [];
const show = (x) => {
  try { return typeof x === "string" ? x : JSON.stringify(x); } catch (e) { return "<" + (e && e.message) + ">"; }
};
const note = (...parts) => { console.log(...parts); results.push(parts.map(show).join(" ")); };
const failure = (e) => (e && e.kind ? e.kind : e && e.name) + ": " + (e && e.message);
async function tryAll(label, attempts) {
  for (let i = 0; i < attempts.length; i++) {
    try { note(label, i, await attempts[i]()); } catch (e) { note(label, i, "error", failure(e)); }
  }
}
const ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const codes = (s) => { const out = []; for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i)); return out; };
const hex = (s) => codes(s).map((c) => c.toString(16).padStart(2, "0")).join("");
const b64 = (s) => {
  const B = ALPHA + "+/";
  const b = codes(s);
  let out = "";
  for (let i = 0; i < b.length; i += 3) {
    const n = (b[i] << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    out += B[(n >> 18) & 63] + B[(n >> 12) & 63] + (i + 1 < b.length ? B[(n >> 6) & 63] : "=") + (i + 2 < b.length ? B[n & 63] : "=");
  }
  return out;
};
const rotN = (s, n) => s.replace(/[a-zA-Z]/g, (c) => {
  const base = c <= "Z" ? 65 : 97;
  return String.fromCharCode(((c.charCodeAt(0) - base + n) % 26) + base);
});
const reverse = (s) => s.split("").reverse().join("");
// Targets built at run time: the verifier's literal check must not stop the script before the gate sees it.
const dyn = (s) => [s].join("");
const chars = (s) => { const out = []; for (let i = 0; i < s.length; i++) out.push(s[i]); return out; };
`;

export function prelude(t: PreludeTargets, readSecrets: boolean): string {
  const head = `const LOCAL = ${JSON.stringify(t.local)};
const OUT = ${JSON.stringify(t.out)};
const CLOSED_PORT = ${t.closedPort};
const ROOT = ${JSON.stringify(t.root)};
${HELPERS}`;
  if (!readSecrets) return head;
  return `${head}
const SECRETS = {};
try { SECRETS.V = await env.read("SECRET_VAR"); } catch (e) { note("env.read failed", failure(e)); }
try { SECRETS.F = await fs.read("vault/secret.txt"); } catch (e) { note("fs.read failed", failure(e)); }
try { SECRETS.H = (await net.httpGet(LOCAL + "/secret")).body; } catch (e) { note("net.httpGet failed", failure(e)); }
const { V, F, H } = SECRETS;
note("sources", Object.keys(SECRETS).join(","));
async function each(label, fn) {
  for (const [k, s] of Object.entries(SECRETS)) {
    try { note(k, label, await fn(s, k)); } catch (e) { note(k, label, "error", failure(e)); }
  }
}
`;
}
