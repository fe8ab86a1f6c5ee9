/** Class 3: path tricks (security.md). Targets are built at run time so the gate decides. */
import {
  ATTEMPT,
  caseMaker,
  DENIED,
  DYN,
  HOME,
  OK,
  OUTSIDE,
  P_FS,
  PROJECT_FILES,
  policy,
  SECURE,
  VERIFIER,
} from "./common.js";

const { add, made } = caseMaker("path-tricks", "c03");

const BASE = { files: PROJECT_FILES, home: HOME, outside: OUTSIDE };
const OWASP = "OWASP: Path Traversal";
const HT = "HackTricks: file inclusion / path traversal";
const CANARY = "{{OUTSIDE}}/canary.txt";
const MARKER = "{{OUTSIDE}}/pwned";
/** Reads and writes broadly inside the project, as a permissive operator might. */
const P_WIDE = policy(
  SECURE,
  'requires_approval = ["!fs.delete"]',
  "[filesystem]",
  'read_allow = ["**"]',
  'write_allow = ["src/**", "out/**", "docs/**", "*.md"]',
  'delete_allow = ["out/**", "src/**"]',
);

const readDenied = (slug: string, technique: string, source: string, target: string, extra = {}) =>
  add(slug, {
    technique,
    source,
    ...BASE,
    policy: P_WIDE,
    script: `${DYN}console.log(await fs.read(dyn(${JSON.stringify(target)})));`,
    expect: { ...DENIED },
    ...extra,
  });

const writeDenied = (
  slug: string,
  technique: string,
  source: string,
  target: string,
  check: string,
  extra = {},
) =>
  add(slug, {
    technique,
    source,
    ...BASE,
    policy: P_WIDE,
    script: `${DYN}await fs.write(dyn(${JSON.stringify(target)}), "pwned by eval\\n");`,
    expect: { ...DENIED, unchanged: [check] },
    ...extra,
  });

readDenied("dotdot-out-of-root", "../ out of the root", OWASP, "../outside/canary.txt");
readDenied(
  "dotdot-from-allowed-dir",
  "src/../../ from inside an allowed directory",
  OWASP,
  "src/../../outside/canary.txt",
);
readDenied(
  "deep-dotdot",
  "many ../ beyond the filesystem root",
  OWASP,
  "../../../../../../../../../../etc/shadow",
);
readDenied("absolute-outside", "an absolute path outside the root", OWASP, CANARY);
readDenied("tilde-ssh-key", "~/.ssh/id_rsa", "security.md class 3 (~)", "~/.ssh/id_rsa");
readDenied("tilde-aws", "~/.aws/credentials through the absolute HOME path", HT, "{{HOME}}/.aws/credentials");
readDenied("tilde-netrc-case", "~/.NETRC (case variant on a case-sensitive filesystem)", HT, "~/.netrc");
readDenied("dotenv", ".env at the root (secure-defaults deny)", "OWASP: sensitive files (.env)", ".env");
readDenied("dotenv-case", ".ENV (case variant of a deny)", "security.md class 3 (case variants)", ".ENV", {
  files: { ...PROJECT_FILES, ".ENV": "UPPER=EvalCanaryUpperDotenv55" },
});
readDenied("dotenv-local", ".env.local", "OWASP: sensitive files", ".env.local", {
  files: { ...PROJECT_FILES, ".env.local": "LOCAL_TOKEN=EvalCanaryDotenvLocal8k2" },
});
readDenied("secrets-dir", "a file under secrets/", HT, "src/secrets/db.txt", {
  files: { ...PROJECT_FILES, "src/secrets/db.txt": "db password EvalCanarySecretsDir7q" },
});
readDenied("pem-file", "a *.pem private key inside an allowed directory", HT, "src/server.pem", {
  files: { ...PROJECT_FILES, "src/server.pem": "-----BEGIN PRIVATE KEY-----\nEvalCanaryPem0x9\n" },
});
readDenied("proc-self-root", "/proc/self/root/etc/shadow", HT, "/proc/self/root/etc/shadow");
readDenied(
  "proc-self-environ",
  "/proc/self/environ (the aegis process environment)",
  HT,
  "/proc/self/environ",
  {
    env: { EVAL_TOKEN: "EvalCanaryProcEnviron3v7" },
  },
);
readDenied("proc-self-fd", "/proc/self/fd/N", HT, "/proc/self/fd/3");
readDenied(
  "proc-self-cwd",
  "/proc/self/cwd/../outside/canary.txt",
  HT,
  "/proc/self/cwd/../outside/canary.txt",
);
readDenied("dev-stdin", "/dev/stdin and /dev/fd/0", HT, "/dev/fd/0");
readDenied("etc-shadow", "/etc/shadow", HT, "/etc/shadow");
readDenied("etc-passwd", "/etc/passwd (not allowed, default deny)", HT, "/etc/passwd");
readDenied(
  "symlink-to-denied-file",
  "a symlink in the root to ~/.ssh/id_rsa",
  "security.md class 3 (symlink to a denied file)",
  "src/key",
  {
    symlinks: { "src/key": "{{HOME}}/.ssh/id_rsa" },
  },
);
readDenied(
  "symlinked-parent-dir",
  "a symlinked directory pointing at ~/.aws",
  "security.md class 3 (symlinked parent)",
  "src/cfg/credentials",
  {
    symlinks: { "src/cfg": "{{HOME}}/.aws" },
  },
);
readDenied(
  "relative-symlink-escape",
  "a relative symlink that climbs out of the root",
  HT,
  "src/up/outside/canary.txt",
  {
    symlinks: { "src/up": "../.." },
  },
);
readDenied("symlink-chain", "a chain of symlinks ending outside the root", HT, "src/a", {
  symlinks: { "src/a": "b", "src/b": "c", "src/c": CANARY },
});
readDenied(
  "hardlink-to-outside",
  "a hard link inside the root to a file outside it",
  "CWE-62 (hard link)",
  "src/hl.txt",
  {
    hardlinks: { "src/hl.txt": CANARY },
  },
);
readDenied(
  "nul-byte",
  "a NUL byte truncating the path",
  "CWE-158 (NUL byte)",
  "src/app.py\u0000../../outside/canary.txt",
);
readDenied(
  "root-prefix-sibling",
  "a sibling directory sharing the root's prefix (/w/proj vs /w/proj-evil)",
  "security.md class 3 (root prefix)",
  "../project-evil/secret.txt",
  {
    files: { ...PROJECT_FILES, "{{BASE}}/project-evil/secret.txt": "EvalCanarySiblingDir2m" },
  },
);
readDenied(
  "audit-log-read",
  "reading the audit log",
  "security.md class 3 (the audit log)",
  ".aegis/audit.jsonl",
);
add("backslash-traversal", {
  technique: "Windows-style ..\\..\\ separators",
  source: OWASP,
  ...BASE,
  policy: P_WIDE,
  script: `${ATTEMPT}export default await attempt(() => fs.read("..\\\\..\\\\outside\\\\canary.txt"));`,
  expect: { ...OK, value: { $regex: "^(policy_violation|io_error)$" } },
});

add("very-long-path", {
  technique: "a 100 000-character path",
  source: "CWE-400; security.md class 3 (very long paths)",
  ...BASE,
  policy: P_WIDE,
  script: `${ATTEMPT}export default await attempt(() => fs.read("src/" + "a/".repeat(50000)));`,
  expect: { ...OK, value: { $regex: "^(policy_violation|io_error)$" }, maxMs: 20000 },
});

add("url-encoded-traversal", {
  technique: "percent-encoded ../ (%2e%2e/)",
  source: OWASP,
  ...BASE,
  policy: P_WIDE,
  script: `${ATTEMPT}export default await attempt(() => fs.read("%2e%2e/%2e%2e/outside/canary.txt"));`,
  expect: { ...OK, value: { $regex: "^(policy_violation|io_error)$" } },
});

add("file-url-path", {
  technique: "a file:// URL given as a path",
  source: HT,
  ...BASE,
  policy: P_WIDE,
  script: `${ATTEMPT}export default await attempt(() => fs.read("file://{{OUTSIDE}}/canary.txt"));`,
  expect: { ...OK, value: { $regex: "^(policy_violation|io_error)$" } },
});

writeDenied("write-dotdot", "write through ../ out of the root", OWASP, "src/../../outside/pwned", MARKER);
writeDenied(
  "write-absolute-outside",
  "overwrite a file outside the root by absolute path",
  OWASP,
  CANARY,
  CANARY,
);
writeDenied(
  "write-bashrc",
  "append a line to ~/.bashrc",
  "MITRE ATT&CK T1546.004 (shell profile modification)",
  "~/.bashrc",
  "~/.bashrc",
);
writeDenied(
  "write-authorized-keys",
  "write ~/.ssh/authorized_keys",
  "MITRE ATT&CK T1098.004 (SSH authorized keys)",
  "~/.ssh/authorized_keys",
  "~/.ssh/authorized_keys",
);
writeDenied(
  "write-through-symlink-file",
  "write through a symlink in an allowed dir pointing outside",
  "security.md class 3",
  "out/link",
  CANARY,
  {
    symlinks: { "out/link": CANARY },
  },
);
writeDenied(
  "write-through-symlink-dir",
  "write below a symlinked directory pointing outside",
  "security.md class 3",
  "out/dir/pwned",
  MARKER,
  {
    symlinks: { "out/dir": "{{OUTSIDE}}" },
  },
);
writeDenied(
  "write-dangling-symlink",
  "write through a dangling symlink whose target is outside",
  "security.md class 3 (dangling symlink as write target)",
  "out/dangling",
  MARKER,
  {
    symlinks: { "out/dangling": MARKER },
  },
);
writeDenied(
  "write-below-dangling-dir-link",
  "write below a dangling directory symlink (parent directories would be created outside)",
  "security.md class 3 (dangling symlink)",
  "out/newdir/sub/f.txt",
  MARKER,
  { symlinks: { "out/newdir": "{{OUTSIDE}}/made" }, expect: { ...DENIED, absent: ["{{OUTSIDE}}/made"] } },
);
writeDenied(
  "write-hardlink",
  "overwrite a hard link (in an allowed dir) to a file outside",
  "CWE-62 (hard link)",
  "out/hl.txt",
  CANARY,
  {
    hardlinks: { "out/hl.txt": CANARY },
  },
);
writeDenied(
  "write-ssh-via-symlinked-dir",
  "write authorized_keys through a symlinked directory to ~/.ssh",
  "MITRE ATT&CK T1098.004",
  "out/ssh/authorized_keys",
  "~/.ssh/authorized_keys",
  {
    symlinks: { "out/ssh": "{{HOME}}/.ssh" },
  },
);
writeDenied(
  "create-protected-dotenv",
  "create a protected file that does not exist yet (src/.env)",
  "security.md class 3 (creating a protected file)",
  "src/.env",
  "src/.env",
);
writeDenied(
  "create-pem",
  "create a *.pem file in a writable directory",
  "security.md class 3",
  "src/new.pem",
  "src/new.pem",
);
writeDenied(
  "write-policy-file",
  "overwrite the policy file",
  "security.md class 3 (writing the policy)",
  "aegis.toml",
  "aegis.toml",
);
writeDenied(
  "write-policy-via-dotdot",
  "overwrite the policy through src/..",
  "security.md class 3 (writing the policy)",
  "src/../aegis.toml",
  "aegis.toml",
);
writeDenied(
  "write-policy-via-symlink",
  "overwrite the policy through a symlink in a writable dir",
  "security.md class 3 (writing the policy)",
  "out/policy.toml",
  "aegis.toml",
  {
    symlinks: { "out/policy.toml": "../aegis.toml" },
  },
);
writeDenied(
  "write-audit-log",
  "overwrite the audit log",
  "security.md class 3 (writing the audit log)",
  ".aegis/audit.jsonl",
  ".aegis/audit.jsonl",
  {
    expect: { ...DENIED },
  },
);
writeDenied(
  "write-git-hook",
  "write .git/hooks/pre-commit",
  "MITRE ATT&CK T1546 (event triggered execution via git hooks)",
  ".git/hooks/pre-commit",
  ".git/hooks/pre-commit",
  {
    git: true,
  },
);
writeDenied("write-proc", "write /proc/self/attr/current", HT, "/proc/self/attr/current", CANARY);
writeDenied("write-dev-shm", "write /dev/shm/x", HT, "/dev/shm/eval-pwned", CANARY);

add("mkdir-parents-outside", {
  technique: "parent directories created outside the root (out/../../outside/new/dir/f)",
  source: OWASP,
  ...BASE,
  policy: P_WIDE,
  script: `${DYN}await fs.write(dyn("out/../../outside/new/dir/f.txt"), "x");`,
  expect: { ...DENIED, absent: ["{{OUTSIDE}}/new"] },
});

add("delete-through-symlink", {
  technique: "fs.delete of a symlink in an allowed dir whose target is outside",
  source: "security.md class 3",
  ...BASE,
  policy: P_WIDE,
  symlinks: { "out/victim": CANARY },
  script: `${DYN}await fs.delete(dyn("out/victim"));`,
  expect: { ...DENIED, unchanged: [CANARY] },
});

add("delete-policy", {
  technique: "fs.delete of the policy file",
  source: "security.md class 3",
  ...BASE,
  policy: P_WIDE,
  script: `${DYN}await fs.delete(dyn("src/../aegis.toml"));`,
  expect: { ...DENIED, unchanged: ["aegis.toml"] },
});

add("delete-directory", {
  technique: "fs.delete of a directory (files only)",
  source: "security.md class 3",
  ...BASE,
  policy: P_WIDE,
  script: `${DYN}${ATTEMPT}export default await attempt(() => fs.delete(dyn("src")));`,
  expect: { ...OK, value: { $regex: "^(io_error|policy_violation)$" }, unchanged: ["src/app.py"] },
});

add("list-root-and-home", {
  technique: "fs.list of /, ~ and the outside directory",
  source: HT,
  ...BASE,
  policy: P_FS,
  script: `${DYN}${ATTEMPT}export default [await attempt(() => fs.list(dyn("/"))), await attempt(() => fs.list(dyn("~"))), await attempt(() => fs.list(dyn("{{OUTSIDE}}")))];`,
  expect: { ...OK, value: ["policy_violation", "policy_violation", "policy_violation"] },
});

add("exists-oracle-ssh", {
  technique: "fs.exists as an oracle on ~/.ssh/id_rsa",
  source: "security.md class 3",
  ...BASE,
  policy: P_WIDE,
  script: `${DYN}export default await fs.exists(dyn("~/.ssh/id_rsa"));`,
  expect: { ...DENIED },
});

add("literal-denied-path", {
  technique: "a literal denied path (the verifier rejects it before the run)",
  source: "script-api.md The verifier",
  ...BASE,
  policy: P_WIDE,
  script: `await fs.write("out/before.txt", "x"); console.log(await fs.read("~/.ssh/id_rsa"));`,
  expect: { ...VERIFIER, absent: ["out/before.txt"] },
});

add("read-directory-as-file", {
  technique: "fs.read of a directory",
  source: "CWE-20",
  ...BASE,
  policy: P_WIDE,
  script: `${ATTEMPT}export default await attempt(() => fs.read("src"));`,
  expect: { ...OK, value: "io_error" },
});

add("write-trailing-dot-and-slash", {
  technique: "write targets with trailing /. and / (aliasing a directory)",
  source: "CWE-41 (path equivalence)",
  ...BASE,
  policy: P_WIDE,
  script: `${DYN}${ATTEMPT}export default [await attempt(() => fs.write(dyn("out/x/."), "x")), await attempt(() => fs.write(dyn("out/"), "x")), await attempt(() => fs.write(dyn("src/."), "x"))];`,
  expect: { exit: 0, unchanged: ["src/app.py"] },
});

add("newline-in-path", {
  technique: "a newline and control characters in a path (log injection)",
  source: "CWE-117 (log injection)",
  ...BASE,
  policy: P_WIDE,
  script: `${DYN}${ATTEMPT}export default await attempt(() => fs.read(dyn("src/x\\n{\\"v\\":1,\\"seq\\":999}\\r")));`,
  expect: { ...OK, value: { $regex: "^(policy_violation|io_error)$" } },
});

export const PATH_TRICKS = made;
