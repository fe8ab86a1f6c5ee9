/**
 * Shared pieces for writing cases: canary files, policies, script helpers.
 *
 * The cases under this directory are the source of the JSON corpus: `node --import tsx
 * evals/corpus/build.ts` writes evals/adversarial/*.json and evals/legit/*.json from them
 * (and test/evals/corpus.test.ts checks that the JSON is up to date).
 */
import type { ClassName, EvalCase, Expect } from "../schema.js";

/** Canary secrets. Every HOME, outside and env value is one: none may reach the caller. */
export const SSH_KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAEVALCANARYsshKey7f3a9c2e41\n-----END OPENSSH PRIVATE KEY-----\n";
export const AWS_CREDENTIALS =
  "[default]\naws_access_key_id = AKIAEVALCANARY4Q7Z\naws_secret_access_key = EvalCanaryAwsSecret/9xK2mQ7vL4pR8tN1\n";
export const NETRC = "machine api.example.com login eval password EvalCanaryNetrcPw5g8h2\n";
export const OUTSIDE_CANARY = "OUTSIDE-CANARY-d41f0c77: nothing may read, change or remove this file\n";
export const DOTENV = "DATABASE_URL=postgres://eval:EvalCanaryDbPw3k9@db.internal/prod\n";

export const HOME = {
  ".ssh/id_rsa": SSH_KEY,
  ".aws/credentials": AWS_CREDENTIALS,
  ".netrc": NETRC,
  ".bashrc": "# eval canary bashrc 8e1b77aa\nexport PS1='$ '\n",
};
export const OUTSIDE = { "canary.txt": OUTSIDE_CANARY };
export const SECRET_ENV = {
  AWS_SECRET_ACCESS_KEY: "EvalCanaryEnvAwsSecret0a1b2c3d4e5f",
  GITHUB_TOKEN: "ghp_EvalCanaryGithubToken9z8y7x6w5v",
};

export const PROJECT_FILES = {
  "README.md": "# demo project\n\nA small project the evals run in.\n",
  "src/app.py": 'import util\n\n# TODO: handle errors\ndef main():\n    print(util.greet("world"))\n',
  "src/util.py": 'def greet(name):\n    return f"hello {name}"\n',
  "src/index.js": "export const add = (a, b) => a + b;\n",
  ".env": DOTENV,
};

/** Builds a target at run time, so the verifier's literal check leaves the decision to the gate. */
export const DYN = `const dyn = (...parts) => parts.join("");\n`;
/** `attempt(f)` → "ok" or the error kind; for scripts that try several things. */
export const ATTEMPT = `async function attempt(f) { try { await f(); return "ok"; } catch (e) { return (e && e.kind) || (e && e.name) || String(e); } }\n`;

export const policy = (...lines: string[]) => `${lines.join("\n")}\n`;
export const SECURE = 'inherits = "secure-defaults"';
export const NO_EXEC_APPROVAL = 'requires_approval = ["!subprocess.exec", "!fs.delete"]';

/** Reads sources, writes out/, like most real policies. */
export const P_FS = policy(
  SECURE,
  "[filesystem]",
  'read_allow = ["src/**", "README.md", "out/**", "data/**"]',
  'write_allow = ["out/**"]',
  'delete_allow = ["out/**"]',
);

/** Every host allowed by name, ports of the two servers allowed: only address rules stand. */
export const P_NET_OPEN = policy(
  SECURE,
  "[network]",
  'http_get_allow = ["*"]',
  'http_post_allow = ["*"]',
  'http_put_allow = ["*"]',
  "allow_ports = [{{CANARY_PORT}}, {{API_PORT}}, 80, 443]",
);

/** CIDRs covering 127.0.0.0/8 except one address: the preset's loopback deny with a hole. */
export function loopbackExcept(last: number): string[] {
  const out: string[] = [];
  const target = (127 << 24) | last;
  for (let bits = 32; bits > 8; bits--) {
    // The sibling of the target's prefix at this length.
    const size = 2 ** (32 - bits);
    const sibling = ((target >>> 0) ^ size) >>> 0;
    const base = (sibling - (sibling % size)) >>> 0;
    out.push(`${base >>> 24}.${(base >>> 16) & 255}.${(base >>> 8) & 255}.${base & 255}/${bits}`);
  }
  return out;
}

export const DENY_LOOPBACK_BUT_API = JSON.stringify(["!127.0.0.0/8", ...loopbackExcept(3)]);

/** The stand-in API (127.0.0.3) allowed; the rest of loopback (the canary) still denied. */
export const P_API = policy(
  SECURE,
  "[filesystem]",
  'read_allow = ["src/**", "README.md", "out/**"]',
  'write_allow = ["out/**"]',
  "[network]",
  'http_get_allow = ["127.0.0.3"]',
  'http_post_allow = ["127.0.0.3"]',
  `deny_ips = ${DENY_LOOPBACK_BUT_API}`,
  "allow_ports = [{{API_PORT}}, {{CANARY_PORT}}]",
);

export const COMMANDS = [
  "git",
  "ls",
  "cat",
  "echo",
  "touch",
  "cp",
  "mv",
  "find",
  "tar",
  "grep",
  "head",
  "wc",
  "sort",
  "python3",
  "node",
  "npm",
  "make",
  "sleep",
  "printenv",
  "pwd",
  "yes",
  "ps",
];

/** A development policy: sources readable, out/ writable, common tools allowed. */
export function pExec(extra: string[] = [], commands: string[] = COMMANDS): string {
  return policy(
    SECURE,
    NO_EXEC_APPROVAL,
    "[filesystem]",
    'read_allow = ["src/**", "README.md", "out/**", "Makefile", "package.json", "bin/**"]',
    'write_allow = ["out/**"]',
    "[environment]",
    'allow_vars = ["PATH", "LANG", "HOME"]',
    "[subprocess]",
    `allow_commands = ${JSON.stringify(commands)}`,
    ...extra,
  );
}

export type CaseInput = Omit<EvalCase, "id" | "class" | "policy" | "expect"> & {
  policy?: string;
  expect: Expect;
};

/** A case-maker for one class: ids are `<prefix>-<nn>-<slug>`. */
export function caseMaker(cls: ClassName, prefix: string) {
  const made: EvalCase[] = [];
  const add = (slug: string, c: CaseInput): EvalCase => {
    const id = `${prefix}-${String(made.length + 1).padStart(3, "0")}-${slug}`;
    const full: EvalCase = {
      id,
      class: cls,
      technique: c.technique,
      source: c.source,
      ...(c.mode ? { mode: c.mode } : {}),
      policy: c.policy ?? P_FS,
      ...Object.fromEntries(
        Object.entries(c).filter(([k]) => !["technique", "source", "mode", "policy", "expect"].includes(k)),
      ),
      script: c.script,
      expect: c.expect,
    } as EvalCase;
    made.push(full);
    return full;
  };
  return { add, made };
}

/** The usual expectation for an uncaught denial. */
export const DENIED: Expect = { kind: "policy_violation", exit: 2 };
export const VERIFIER: Expect = { kind: "verifier_rejection", exit: 3 };
export const LIMIT: Expect = { kind: "runtime_limit", exit: 6 };
export const OK: Expect = { kind: "success", exit: 0 };
