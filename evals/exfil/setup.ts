/**
 * The exfil probe's world: random secrets, the policy, the local-only (reflecting) host,
 * and one fresh project per technique (a variable, a file under vault/, links, git).
 */
import { randomBytes } from "node:crypto";
import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import type http from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { git } from "../corpus/project.js";
import type { Technique } from "./techniques.js";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const COMMANDS = ["echo", "cat", "grep", "git", "tar", "cp", "ls", "wc", "head", "base64", "sort", "ps"];

export function randomSecret(prefix: string, length = 30): string {
  const bytes = randomBytes(length);
  let out = prefix;
  for (const b of bytes) out += ALNUM[b % ALNUM.length];
  return out;
}

export interface Secrets {
  variable: string;
  file: string;
  host: string;
}

export function probePolicy(ports: number[], control: boolean, jail = false): string {
  const list = (xs: readonly (string | number)[]) => `[${xs.map((x) => JSON.stringify(x)).join(", ")}]`;
  return `# exfiltration probe policy (${control ? "control: nothing local-only" : "real"})
inherits = "secure-defaults"
requires_approval = ["!subprocess.exec", "!fs.delete"]

[filesystem]
read_allow = ["**"]
${control ? "" : 'local_only_read = ["vault/**"]'}
write_allow = ["out/**", "vault/**"]

[network]
http_get_allow = ${list(control ? ["127.0.0.2", "127.0.0.1"] : ["127.0.0.2"])}
http_post_allow = ${list(control ? ["127.0.0.2", "127.0.0.1"] : ["127.0.0.2"])}
http_put_allow = ["127.0.0.2"]
http_patch_allow = ["127.0.0.2"]
${control ? "" : 'local_only_hosts = ["127.0.0.1", "*.aegis-probe.invalid"]'}
deny_ips = ["!127.0.0.0/8"]
allow_ports = ${list(ports)}

[environment]
allow_vars = ${list(control ? ["PATH", "HOME", "LANG", "SECRET_VAR"] : ["PATH", "HOME", "LANG"])}
${control ? "" : 'local_only_vars = ["SECRET_VAR"]'}

[subprocess]
allow_commands = ${list(control ? [...COMMANDS, "printenv"] : COMMANDS)}
${control ? "" : 'local_only_commands = ["printenv"]'}
${jail ? 'sandbox = "bwrap"' : ""}
`;
}

/** The local-only host: /tN/secret, /tN/json, /tN/reflect, /tN/redirect for technique N. */
export function localHandler(secretsOf: (i: number) => Secrets | undefined, outOrigin: string) {
  return (req: http.IncomingMessage, res: http.ServerResponse, body: string) => {
    const m = /^\/t(\d+)(\/[^?]*)?(\?.*)?$/.exec(req.url ?? "");
    const secrets = m ? secretsOf(Number(m[1])) : undefined;
    if (!m || !secrets) {
      res.statusCode = 404;
      res.end("no such technique");
      return;
    }
    const path = m[2] ?? "/";
    if (path === "/secret") {
      res.setHeader("content-type", "text/plain");
      res.end(secrets.host);
    } else if (path === "/json") {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ token: secrets.host, note: "public" }));
    } else if (path === "/redirect") {
      res.writeHead(302, { location: `${outOrigin}/t${m[1]}/landing${m[3] ?? ""}` });
      res.end();
    } else {
      // Reflects the whole request back, as an echo service would.
      const echo = req.headers["x-a"];
      if (typeof echo === "string") res.setHeader("x-echo", echo);
      res.setHeader("x-echo-url", encodeURI(req.url ?? ""));
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
    }
  };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Text of every file under `dir` except the skipped top-level entries. */
export function filesText(dir: string, skip: readonly string[], base = dir): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (skip.includes(relative(base, p))) continue;
    if (entry.isDirectory()) for (const [k, v] of filesText(p, skip, base)) out.set(k, v);
    else if (entry.isFile() && statSync(p).size < 8 * 1024 * 1024)
      out.set(relative(base, p), readFileSync(p, "latin1"));
  }
  return out;
}

/** Files that are new or changed since `before`. */
export function changedFiles(before: Map<string, string>, after: Map<string, string>): [string, string][] {
  return [...after].filter(([path, text]) => before.get(path) !== text);
}

export interface Prepared {
  technique: Technique;
  index: number;
  secrets: Secrets;
  base: string;
  project: string;
  home: string;
  before: Map<string, string>;
}

/** Not scanned as files: local-only paths, the audit log (its own channel), git's compressed store. */
export const SKIPPED = ["vault", ".aegis", ".git"];

export function prepare(
  t: Technique,
  index: number,
  secrets: Secrets,
  policy: string,
  script: (root: string) => string,
): Prepared {
  const base = realpathSync(mkdtempSync(join(tmpdir(), "aegis-exfil-")));
  const project = join(base, "project");
  const home = join(base, "home");
  for (const d of [project, home, join(project, "data"), join(project, "vault"), join(project, "out")])
    mkdirSync(d, { recursive: true });
  writeFileSync(join(project, "aegis.toml"), policy);
  writeFileSync(join(project, "data", "readme.txt"), "public data: nothing secret here\n");
  writeFileSync(join(project, "vault", "secret.txt"), `${secrets.file}\n`);
  writeFileSync(join(project, "script.js"), script(project));
  for (const [at, target] of Object.entries(t.links?.symlinks ?? {})) symlinkSync(target, join(project, at));
  for (const [at, target] of Object.entries(t.links?.hardlinks ?? {}))
    linkSync(join(project, target), join(project, at));
  if (t.git) {
    git(project, ["init", "-q"]);
    git(project, ["add", "data", "aegis.toml", "script.js", ...(t.git === "tracked" ? ["vault"] : [])]);
    git(project, ["commit", "-q", "-m", "initial"]);
  }
  const before = filesText(project, SKIPPED);
  return { technique: t, index, secrets, base, project, home, before };
}
