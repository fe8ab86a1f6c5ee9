/**
 * Class 8: audit tampering (security.md). Run-mode cases: the script cannot reach its own
 * trail, and effects stop when records cannot be written. Audit-mode cases: the log is
 * produced by real runs, tampered with, and `aegis audit verify` must say it is broken.
 */
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
  pExec,
  policy,
  SECURE,
} from "./common.js";

const { add, made } = caseMaker("audit-tampering", "c08");

const BASE = { files: PROJECT_FILES, home: HOME, outside: OUTSIDE };
const AUDIT = "audit.md (hash chain; verify detects edits, deletions, insertions, reordering, truncation)";
const NIST = `NIST SP 800-92 (log integrity); ${AUDIT}`;
const P_WRITE = policy(
  SECURE,
  'requires_approval = ["!fs.delete"]',
  "[filesystem]",
  'read_allow = ["src/**", "out/**"]',
  'write_allow = ["out/**", "src/**"]',
  'delete_allow = ["out/**"]',
);
/** Six calls, so every log has enough lines to tamper with. */
const SIX_CALLS = `await fs.write("out/a.txt", "a");
await fs.read("src/app.py");
await fs.exists("src/util.py");
export default "six records";`;

// ---- the script against its own trail
add("write-log", {
  technique: "fs.write over the audit log",
  source: AUDIT,
  ...BASE,
  policy: P_WRITE,
  script: `${DYN}await fs.write(dyn(".aegis/audit.jsonl"), "");`,
  expect: { ...DENIED },
});
add("write-log-dotdot", {
  technique: "fs.write over the audit log via out/../.aegis",
  source: AUDIT,
  ...BASE,
  policy: P_WRITE,
  script: `${DYN}await fs.write(dyn("out/../.aegis/audit.jsonl"), "{}\\n");`,
  expect: { ...DENIED },
});
add("write-log-symlink", {
  technique: "fs.write through a symlink in a writable dir that points at the audit log",
  source: AUDIT,
  ...BASE,
  policy: P_WRITE,
  symlinks: { "out/log": "../.aegis/audit.jsonl" },
  script: `${DYN}await fs.write(dyn("out/log"), "");`,
  expect: { ...DENIED },
});
add("write-lock", {
  technique: "fs.write of the audit log's lock file",
  source: AUDIT,
  ...BASE,
  policy: P_WRITE,
  script: `${DYN}await fs.write(dyn(".aegis/audit.jsonl.lock"), "stale");`,
  expect: { ...DENIED, absent: [".aegis/audit.jsonl.lock"] },
});
add("delete-log", {
  technique: "fs.delete of the audit log",
  source: AUDIT,
  ...BASE,
  policy: P_WRITE,
  script: `${DYN}await fs.delete(dyn(".aegis/audit.jsonl"));`,
  expect: { ...DENIED },
});
add("read-log", {
  technique: "fs.read of the audit log (learning what was recorded)",
  source: AUDIT,
  ...BASE,
  policy: policy(SECURE, "[filesystem]", 'read_allow = ["src/**", ".aegis/**"]'),
  script: `${DYN}console.log(await fs.read(dyn(".aegis/audit.jsonl")));`,
  expect: { ...DENIED },
});
add("exec-truncate-log", {
  technique: "cp /dev/null over the audit log with an allowed command",
  source: AUDIT,
  ...BASE,
  policy: pExec(),
  script: `${DYN}await subprocess.exec(["cp", "/dev/null", dyn(".aegis/audit.jsonl")]);`,
  expect: { ...DENIED },
});
add("exec-tar-over-log", {
  technique: "tar -cf writing its archive over the audit log",
  source: AUDIT,
  ...BASE,
  policy: pExec(),
  script: `${DYN}await subprocess.exec(["tar", "-cf", dyn(".aegis/audit.jsonl"), "src"]);`,
  expect: { ...DENIED },
});
add("exec-git-clean-aegis", {
  technique:
    "an allowed git run as git clean -fdx (removes the untracked .aegis/ with the log): secure-defaults denies git clean",
  source: "git docs (git clean -x removes ignored and untracked files)",
  ...BASE,
  policy: pExec(),
  git: true,
  script: `${DYN}await subprocess.exec([dyn("git"), "clean", "-fdxq"]); await fs.write("out/after.txt", "x");`,
  expect: { ...DENIED, absent: ["out/after.txt"] },
});
add("exec-git-clean-aegis-jailed", {
  technique:
    "git clean -fdx under the bwrap jail, the preset's clean deny removed (the log is outside write_allow)",
  source: "git docs (git clean -x); security.md (jail: writable binds only for write_allow)",
  ...BASE,
  policy: pExec(['sandbox = "bwrap"', "[subprocess.deny_args]", 'git = ["!clean"]']),
  git: true,
  script: `await subprocess.exec(["git", "clean", "-fdxq"]); await fs.write("out/after.txt", "x");`,
  expect: { exit: 0 },
});
add("custom-log-in-write-area", {
  technique: "--audit-log inside write_allow: the policy is refused at load",
  source: AUDIT,
  ...BASE,
  policy: P_WRITE,
  args: ["--audit-log", "out/audit.jsonl"],
  script: `${DYN}await fs.write(dyn("out/audit.jsonl"), "forged\\n");`,
  expect: { exit: 5, stderr: { $includes: ["audit log"] }, absent: ["out/audit.jsonl"] },
});
add("log-is-symlink", {
  technique: "the audit log is a symlink elsewhere: records refused, effects stop",
  source: "security.md class 8 (a disk that refuses writes: effects must stop)",
  ...BASE,
  policy: P_WRITE,
  symlinks: { ".aegis/audit.jsonl": "{{OUTSIDE}}/redirected.jsonl" },
  script: `await fs.write("out/after.txt", "x");`,
  expect: { exit: 5, absent: ["out/after.txt", "{{OUTSIDE}}/redirected.jsonl"] },
});
add("log-dir-is-file", {
  technique: "the audit directory cannot be created (a file is in the way): effects stop",
  source: "security.md class 8 (a disk that refuses writes: effects must stop)",
  ...BASE,
  policy: P_WRITE,
  files: { ...PROJECT_FILES, blocked: "not a directory\n" },
  args: ["--audit-log", "blocked/audit.jsonl"],
  script: `await fs.write("out/after.txt", "x");`,
  expect: { exit: 5, absent: ["out/after.txt"] },
});
add("denial-is-audited", {
  technique: "a denial the script catches is still in the audit log",
  source: "script-api.md (a denial is audited whether or not the script catches it)",
  ...BASE,
  policy: P_FS,
  script: `${DYN}${ATTEMPT}await attempt(() => fs.read(dyn("~/.ssh/id_rsa"))); await attempt(() => fs.write(dyn("{{OUTSIDE}}/x"), "y")); export default "caught";`,
  expect: {
    ...OK,
    audit: [
      { cap: "fs.read", decision: "deny", status: "denied" },
      { cap: "fs.write", decision: "deny", status: "denied" },
    ],
  },
});
add("log-injection-target", {
  technique: "a target with newlines and a forged JSON record (log injection)",
  source: "CWE-117 (improper output neutralisation for logs)",
  ...BASE,
  policy: P_FS,
  script: `${DYN}${ATTEMPT}export default await attempt(() => fs.read(dyn('x\\n{"v":1,"seq":2,"cap":"fs.read","decision":"allow"}\\n')));`,
  expect: { ...OK },
});

// ---- tampering with a log, then verify
const verify = (
  slug: string,
  technique: string,
  audit: object,
  exit: number,
  extra: Record<string, unknown> = {},
) =>
  add(slug, {
    technique,
    source: NIST,
    mode: "audit",
    ...BASE,
    policy: P_WRITE,
    script: SIX_CALLS,
    audit,
    expect: { exit },
    ...extra,
  });

verify("verify-intact", "an untouched log verifies", { before: 2 }, 0);
verify(
  "edit-target",
  "edit one record's target",
  { tamper: [{ op: "edit", line: 3, from: "src/app.py", to: "src/other.py" }] },
  2,
);
verify(
  "edit-whitespace",
  "a whitespace-only change to one record",
  { tamper: [{ op: "edit", line: 1, from: '"seq":1', to: '"seq":1 ' }] },
  2,
);
verify(
  "edit-last-line",
  "edit the last record (nothing chains to it yet): caught against the last hash noted before (verify --last-hash)",
  {
    tamper: [{ op: "edit", line: 6, from: '"v":1', to: '"v":1,"x":0' }],
    verifyArgs: ["--last-hash", "{{LAST_HASH}}"],
  },
  2,
);
verify("delete-line", "delete a record in the middle", { tamper: [{ op: "delete", line: 3 }] }, 2);
verify("delete-first", "delete the first record", { tamper: [{ op: "delete", line: 1 }] }, 2);
verify(
  "insert-line",
  "insert a copy of an earlier record",
  { tamper: [{ op: "insert", line: 4, copyOf: 2 }] },
  2,
);
verify("reorder", "swap two records", { tamper: [{ op: "swap", line: 2 }] }, 2);
verify(
  "truncate-with-min-seq",
  "truncate the tail (verify --min-seq from an external record)",
  { tamper: [{ op: "truncate", keep: 3 }], verifyArgs: ["--min-seq", "6"] },
  2,
);
verify(
  "torn-final-line",
  "a writer killed mid-line: the torn line is reported",
  { tamper: [{ op: "torn", bytes: 40 }] },
  2,
);
verify(
  "torn-then-next-run",
  "a torn line, then another run appends: still reported, the run itself works",
  { tamper: [{ op: "torn", bytes: 40 }], after: 1 },
  2,
);
verify(
  "forged-append",
  "a forged record appended with a made-up prev",
  {
    tamper: [
      {
        op: "append",
        text: `{"v":1,"seq":7,"ts":"2026-01-01T00:00:00.000Z","run":"r-x","source":"run","cap":"fs.read","target":"x","decision":"allow","rule":"x","status":"allowed","detail":{},"prev":"${"0".repeat(64)}"}`,
      },
    ],
  },
  2,
);
verify(
  "garbage-line",
  "a non-JSON line in the middle",
  {
    tamper: [
      { op: "insert", line: 2, copyOf: 1 },
      { op: "edit", line: 2, from: "{", to: "#" },
    ],
  },
  2,
);
verify(
  "crlf-endings",
  "CRLF line endings (bytes changed)",
  { tamper: [{ op: "edit", line: 2, from: "}", to: "}\r" }] },
  2,
);
verify(
  "seq-gap",
  "a gap in seq (renumbered record)",
  { tamper: [{ op: "edit", line: 4, from: '"seq":4', to: '"seq":40' }] },
  2,
);
verify(
  "replaced-entirely",
  "the whole log replaced by garbage",
  { tamper: [{ op: "replace", text: "not a log\n" }] },
  2,
);
verify(
  "tamper-then-append",
  "tamper, then a new run appends to the broken chain: still reported",
  {
    tamper: [{ op: "edit", line: 2, from: '"run":"', to: '"run":"x' }],
    after: 1,
  },
  2,
);
verify(
  "concurrent-writers",
  "four concurrent runs append to one log: the chain stays linear",
  { concurrent: 4 },
  0,
);
verify("concurrent-writers-many-calls", "six concurrent runs of 60 calls each", { concurrent: 6 }, 0, {
  script: `for (let i = 0; i < 20; i++) { await fs.write("out/c.txt", String(i)); await fs.exists("src/app.py"); await fs.read("src/app.py"); }`,
});
verify("verify-missing-file", "verifying a log that does not exist", { before: 0 }, 5);

add("exec-git-stash-untracked-aegis", {
  technique:
    "an allowed git run as git stash -u (stashes and removes the untracked .aegis/ with the log): secure-defaults denies it",
  source: "git docs (git stash --include-untracked cleans untracked files)",
  ...BASE,
  policy: pExec(),
  git: true,
  script: `${DYN}await subprocess.exec([dyn("git"), "stash", "push", "-q", "-u"]); await fs.write("out/after.txt", "x");`,
  expect: { ...DENIED, absent: ["out/after.txt"] },
});

export const AUDIT_TAMPERING = made;
