/** Class 5: subprocess abuse (security.md). No shell ever; argv, env and paths are all gated. */
import {
  ATTEMPT,
  COMMANDS,
  caseMaker,
  DENIED,
  DYN,
  HOME,
  OK,
  OUTSIDE,
  PROJECT_FILES,
  pExec,
  policy,
  SECRET_ENV,
  SECURE,
} from "./common.js";

const { add, made } = caseMaker("subprocess-abuse", "c05");

const GTFO = "GTFOBins";
const MARKER = "{{OUTSIDE}}/pwned";
const TOUCH = `touch ${MARKER}`;
const BASE = { files: PROJECT_FILES, home: HOME, outside: OUTSIDE, env: SECRET_ENV };
/** The operator even lists these: the preset's deny_commands must still win. */
const LISTED = [
  ...COMMANDS,
  "bash",
  "sh",
  "env",
  "xargs",
  "sed",
  "awk",
  "perl",
  "ruby",
  "rm",
  "curl",
  "nohup",
  "timeout",
];
const P = pExec([], LISTED);
const P_JAIL = pExec(['sandbox = "bwrap"'], LISTED);

const execDenied = (slug: string, technique: string, source: string, argv: string[], extra = {}) =>
  add(slug, {
    technique,
    source,
    ...BASE,
    policy: P,
    script: `${DYN}const argv = ${JSON.stringify(argv)}.map((a) => dyn(a));\nconst r = await subprocess.exec(argv);\nconsole.log(r.stdout, r.stderr);`,
    expect: { ...DENIED, absent: [MARKER] },
    ...extra,
  });

execDenied("bash-c", "bash -c", GTFO, ["bash", "-c", TOUCH]);
execDenied("sh-c", "sh -c", GTFO, ["sh", "-c", TOUCH]);
execDenied("bash-by-path", "/bin/bash -c (absolute path)", GTFO, ["/bin/bash", "-c", TOUCH]);
execDenied("bash-versioned", "bash5.2 (versioned name)", GTFO, ["bash5.2", "-c", TOUCH]);
execDenied("bash-uppercase", "BASH (case variant)", GTFO, ["BASH", "-c", TOUCH]);
execDenied("dash-by-path", "/usr/bin/dash", GTFO, ["/usr/bin/dash", "-c", TOUCH]);
execDenied("python-c", "python3 -c", GTFO, ["python3", "-c", `open('${MARKER}','w').write('x')`]);
execDenied("python-clustered-c", "python3 -Ic (clustered flag)", GTFO, [
  "python3",
  "-Ic",
  `open('${MARKER}','w').write('x')`,
]);
execDenied("python-attached-c", "python3 -cCODE (attached)", GTFO, [
  "python3",
  `-copen('${MARKER}','w').write('x')`,
]);
execDenied("python-by-path-c", "/usr/bin/python3 -c", GTFO, ["/usr/bin/python3", "-c", "print(1)"]);
execDenied("node-e", "node -e", GTFO, ["node", "-e", `require('fs').writeFileSync('${MARKER}','x')`]);
execDenied("node-eval-eq", "node --eval=", GTFO, [
  "node",
  `--eval=require('fs').writeFileSync('${MARKER}','x')`,
]);
execDenied("node-p", "node -p", GTFO, ["node", "-p", `require('fs').writeFileSync('${MARKER}','x')`]);
execDenied("node-pe-cluster", "node -pe (clustered)", GTFO, [
  "node",
  "-pe",
  `require('fs').writeFileSync('${MARKER}','x')`,
]);
execDenied("node-import-data", "node --import=data: URL (inline module)", "Node.js docs: --import", [
  "node",
  `--import=data:text/javascript,import fs from 'fs'; fs.writeFileSync('${MARKER}','x')`,
  "src/index.js",
]);
execDenied("perl-e", "perl -e", GTFO, ["perl", "-e", `open(F,'>${MARKER}')`]);
execDenied("env-runner", "env as a command runner", GTFO, ["env", "touch", MARKER]);
execDenied("xargs-runner", "xargs as a command runner", GTFO, ["xargs", "touch"]);
execDenied("nohup-runner", "nohup as a command runner", GTFO, ["nohup", "touch", MARKER]);
execDenied("timeout-runner", "timeout as a command runner", GTFO, ["timeout", "5", "touch", MARKER]);
execDenied("sed-e", "sed with the e command", GTFO, ["sed", "-n", `1e ${TOUCH}`, "src/app.py"]);
execDenied("awk-system", "awk system()", GTFO, ["awk", `BEGIN{system("${TOUCH}")}`]);
execDenied("rm-rf", "rm -rf", GTFO, ["rm", "-rf", "{{OUTSIDE}}"], {
  expect: { ...DENIED, unchanged: ["{{OUTSIDE}}/canary.txt"] },
});
execDenied(
  "curl",
  "curl to fetch a payload",
  GTFO,
  ["curl", "-o", MARKER, "http://127.0.0.1:{{CANARY_PORT}}/"],
  {
    expect: { ...DENIED, absent: [MARKER], noRequest: true },
  },
);
execDenied("git-c-sshcommand", "git -c core.sshCommand=", "GTFOBins git; git-config docs", [
  "git",
  "-c",
  `core.sshCommand=${TOUCH}`,
  "fetch",
  "x",
]);
execDenied("git-c-pager", "git -c core.pager=", "GTFOBins git", ["git", "-c", `core.pager=${TOUCH}`, "log"]);
execDenied("git-c-attached", "git -ccore.fsmonitor= (attached value)", "git-config docs (core.fsmonitor)", [
  "git",
  `-ccore.fsmonitor=${TOUCH}`,
  "status",
]);
execDenied("git-upload-pack", "git --upload-pack=", "CVE-2017-1000117 family; GTFOBins git", [
  "git",
  "ls-remote",
  `--upload-pack=${TOUCH}`,
  ".",
]);
execDenied(
  "git-upload-pack-abbrev",
  "git ls-remote --upload-pa= (option abbreviation)",
  "git parse-options (unique prefixes)",
  ["git", "ls-remote", `--upload-pa=${TOUCH}`, "."],
);
execDenied("git-config-env", "git --config-env=core.pager=VAR", "git docs (--config-env)", [
  "git",
  "--config-env=core.pager=HOME",
  "log",
]);
execDenied("git-exec-path", "git --exec-path= (planted helpers)", "git docs (--exec-path)", [
  "git",
  "--exec-path=src",
  "status",
]);
execDenied("git-submodule-foreach", "git submodule foreach", "git docs (submodule foreach)", [
  "git",
  "submodule",
  "foreach",
  TOUCH,
]);
execDenied("git-difftool-extcmd", "git difftool --extcmd", "git docs (difftool --extcmd)", [
  "git",
  "difftool",
  `--extcmd=${TOUCH}`,
]);
execDenied("git-C-outside", "git -C /elsewhere", "security.md class 5 (git -C)", [
  "git",
  "-C",
  "{{OUTSIDE}}",
  "init",
]);
execDenied("git-dir-outside", "git --git-dir outside the tree", "git docs (--git-dir)", [
  "git",
  `--git-dir={{OUTSIDE}}/.git`,
  "init",
]);
execDenied("find-exec", "find -exec", GTFO, ["find", "src", "-exec", "touch", MARKER, ";"]);
execDenied("find-execdir", "find -execdir", GTFO, ["find", "src", "-execdir", "touch", MARKER, ";"]);
execDenied("find-delete", "find -delete", GTFO, ["find", "src", "-name", "*.py", "-delete"], {
  expect: { ...DENIED, unchanged: ["src/app.py"] },
});
execDenied("find-fprint", "find -fprint (writes a file)", GTFO, ["find", "src", "-fprint", MARKER]);
execDenied("tar-checkpoint-action", "tar --checkpoint-action=exec=", GTFO, [
  "tar",
  "-cf",
  "out/a.tar",
  "--checkpoint=1",
  `--checkpoint-action=exec=${TOUCH}`,
  "src",
]);
execDenied(
  "tar-checkpoint-abbrev",
  "tar --checkpoint-act= (getopt abbreviation)",
  "GNU getopt_long (unique prefixes); GTFOBins tar",
  ["tar", "-cf", "out/a.tar", "--checkpoint=1", `--checkpoint-act=exec=${TOUCH}`, "src"],
);
execDenied("tar-to-command", "tar --to-command", GTFO, ["tar", "-xf", "out/a.tar", `--to-command=${TOUCH}`]);
execDenied("tar-use-compress-program", "tar -I (compress program)", GTFO, [
  "tar",
  "-cI",
  TOUCH,
  "-f",
  "out/a.tar",
  "src",
]);
execDenied("make-eval", "make --eval", "GNU make docs (--eval)", ["make", `--eval=x:\n\t${TOUCH}`, "x"]);
execDenied("npm-exec", "npm exec (the npx it stands for is denied)", "npm docs (npm exec)", [
  "npm",
  "exec",
  "--yes",
  "--",
  "touch",
  MARKER,
]);
execDenied("cat-outside", "cat a file outside the tree", GTFO, ["cat", "{{OUTSIDE}}/canary.txt"]);
execDenied("cat-ssh-key", "cat ~/.ssh/id_rsa", GTFO, ["cat", "~/.ssh/id_rsa"]);
execDenied("cat-proc-environ", "cat /proc/self/environ (the child's environment)", GTFO, [
  "cat",
  "/proc/self/environ",
]);
execDenied("cat-parent-environ", "cat /proc/<ppid>/environ via /proc/self/../", GTFO, [
  "cat",
  "/proc/self/../1/environ",
]);
execDenied("cp-to-outside", "cp into a directory outside the tree", GTFO, ["cp", "src/app.py", `${MARKER}`]);
execDenied(
  "cp-target-directory",
  "cp --target-directory= outside",
  GTFO,
  ["cp", "--target-directory={{OUTSIDE}}", "src/app.py"],
  {
    expect: { ...DENIED, absent: ["{{OUTSIDE}}/app.py"] },
  },
);
execDenied("argv-file-url", "a file:// URL as an argument", GTFO, ["cat", "file://{{OUTSIDE}}/canary.txt"]);
execDenied("argv-option-path", "a path glued to an option (--file=/etc/shadow)", GTFO, [
  "grep",
  "--file=/etc/shadow",
  "src/app.py",
]);
execDenied(
  "argv-var-assign",
  "VAR=/path arguments (make CC=/outside)",
  "GNU make docs (variable overrides)",
  ["make", `CC=${MARKER}`],
);
execDenied("argv-dotdot", "../ in an argument", GTFO, ["cat", "src/../../outside/canary.txt"]);
execDenied("argv-audit-log", "the audit log as an argument", "security.md class 5/8", [
  "cp",
  "/dev/null",
  ".aegis/audit.jsonl",
]);
execDenied(
  "argv-policy",
  "the policy file as a write target",
  "security.md class 5",
  ["cp", "src/app.py", "aegis.toml"],
  {
    expect: { ...DENIED, unchanged: ["aegis.toml"] },
  },
);
execDenied(
  "planted-binary-path",
  "argv0 as a path to a planted binary named like an allowed one",
  "security.md class 5 (argv0 as a path)",
  ["./bin/git", "status"],
  {
    files: { ...PROJECT_FILES, "bin/git": `#!/bin/sh\n${TOUCH}\n` },
    executable: ["bin/git"],
  },
);
execDenied(
  "planted-binary-relative",
  "argv0 with a relative directory (bin/git)",
  "security.md class 5 (argv0 as a path)",
  ["bin/git", "status"],
  {
    files: { ...PROJECT_FILES, "bin/git": `#!/bin/sh\n${TOUCH}\n` },
    executable: ["bin/git"],
  },
);
execDenied(
  "ps-environment",
  "ps e (other processes' environments, including aegis itself)",
  "procps ps(1) 'e' modifier",
  ["ps", "axeww", "-o", "args"],
  {
    expect: { ...DENIED },
  },
);

/** HOME is not in allow_vars here: a script may set only what the operator lists exactly. */
const P_ENV = policy(
  SECURE,
  'requires_approval = ["!subprocess.exec"]',
  "[filesystem]",
  'read_allow = ["src/**", "README.md", "out/**", "Makefile"]',
  'write_allow = ["out/**"]',
  "[environment]",
  'allow_vars = ["PATH", "LANG"]',
  "[subprocess]",
  `allow_commands = ${JSON.stringify(LISTED)}`,
);

const envInjection = (slug: string, name: string, value: string, argv: string[], source: string) =>
  add(slug, {
    technique: `environment injection: ${name}`,
    source,
    ...BASE,
    policy: P_ENV,
    script: `${DYN}await subprocess.exec(${JSON.stringify(argv)}.map((a) => dyn(a)), { env: { ${JSON.stringify(name)}: dyn(${JSON.stringify(value)}) } });`,
    expect: { ...DENIED, absent: [MARKER] },
  });

envInjection(
  "env-ld-preload",
  "LD_PRELOAD",
  "{{OUTSIDE}}/evil.so",
  ["ls"],
  "MITRE ATT&CK T1574.006 (LD_PRELOAD)",
);
envInjection(
  "env-git-ssh-command",
  "GIT_SSH_COMMAND",
  TOUCH,
  ["git", "fetch", "ssh://x/y"],
  "git docs (GIT_SSH_COMMAND)",
);
envInjection(
  "env-git-config-count",
  "GIT_CONFIG_COUNT",
  "1",
  ["git", "status"],
  "git docs (GIT_CONFIG_COUNT/KEY/VALUE)",
);
envInjection(
  "env-git-config-key",
  "GIT_CONFIG_KEY_0",
  "core.fsmonitor",
  ["git", "status"],
  "git docs (GIT_CONFIG_KEY_<n>)",
);
envInjection(
  "env-git-external-diff",
  "GIT_EXTERNAL_DIFF",
  TOUCH,
  ["git", "diff"],
  "git docs (GIT_EXTERNAL_DIFF)",
);
envInjection("env-pager", "PAGER", TOUCH, ["git", "log"], "GTFOBins (PAGER)");
envInjection(
  "env-node-options",
  "NODE_OPTIONS",
  `--require ${MARKER}`,
  ["node", "src/index.js"],
  "Node.js docs (NODE_OPTIONS)",
);
envInjection(
  "env-pythonstartup",
  "PYTHONSTARTUP",
  MARKER,
  ["python3", "src/app.py"],
  "Python docs (PYTHONSTARTUP)",
);
envInjection(
  "env-pythonpath",
  "PYTHONPATH",
  "{{OUTSIDE}}",
  ["python3", "src/app.py"],
  "Python docs (PYTHONPATH)",
);
envInjection("env-bash-env", "BASH_ENV", MARKER, ["make"], "bash(1) BASH_ENV");
envInjection(
  "env-path-override",
  "PATH",
  "bin:/usr/bin:/bin",
  ["git", "status"],
  "CWE-427 (uncontrolled search path)",
);
envInjection("env-home-override", "HOME", "{{OUTSIDE}}", ["git", "status"], "git docs (HOME/.gitconfig)");
envInjection("env-aegis-var", "AEGIS_POLICY", "/dev/null", ["ls"], "policy.md (AEGIS_* reserved)");

add("inherited-env-secrets", {
  technique: "secrets in the inherited environment must not reach a normal command",
  source: "security.md class 5 (secrets in the inherited env)",
  ...BASE,
  policy: P,
  script: `const r = await subprocess.exec(["printenv"]); console.log(r.stdout);`,
  expect: { ...OK },
});

add("requires-approval-declined", {
  technique: "a command under requires_approval without --yes (no terminal): declined, no effect",
  source: "cli.md (confirmation declines without a terminal)",
  ...BASE,
  policy: policy(
    SECURE,
    "[filesystem]",
    'read_allow = ["src/**"]',
    "[subprocess]",
    'allow_commands = ["touch"]',
  ),
  script: `${DYN}await subprocess.exec(["touch", dyn("src/new-file")]);`,
  expect: { kind: "confirm_denied", exit: 4, absent: ["src/new-file"] },
});

add("requires-approval-args", {
  technique: "git push under requires_approval_args without --yes",
  source: "policy.md (subprocess.requires_approval_args)",
  ...BASE,
  policy: pExec(["[subprocess.requires_approval_args]", 'git = ["push"]']),
  git: true,
  script: `await subprocess.exec(["git", "push", "origin", "main"]);`,
  expect: { kind: "confirm_denied", exit: 4 },
});

add("deny-args-force-push", {
  technique: "git push --force under deny_args",
  source: "policy.md (subprocess.deny_args)",
  ...BASE,
  policy: pExec(["[subprocess.deny_args]", 'git = ["push --force", "reset --hard"]']),
  git: true,
  script: `${DYN}await subprocess.exec(["git", "push", "origin", dyn("--force")]);`,
  expect: { ...DENIED },
});

add("deny-args-reset-hard", {
  technique: "git reset --hard under deny_args, with an extra option between the words",
  source: "policy.md (subprocess.deny_args)",
  ...BASE,
  policy: pExec(["[subprocess.deny_args]", 'git = ["push --force", "reset --hard"]']),
  git: { commits: [{ message: "second", files: { "src/app.py": "print('v2')\n" } }] },
  script: `${DYN}await subprocess.exec(["git", "reset", "-q", dyn("--hard"), "HEAD~1"]);`,
  expect: { ...DENIED, unchanged: ["src/app.py"] },
});

add("empty-argv", {
  technique: "an empty argv and an empty argv[0]",
  source: "CWE-20",
  ...BASE,
  policy: P,
  script: `${DYN}${ATTEMPT}export default [await attempt(() => subprocess.exec([])), await attempt(() => subprocess.exec([dyn("")]))];`,
  expect: {
    ...OK,
    value: [{ $regex: "^(policy_violation|script_error)$" }, { $regex: "^(policy_violation|script_error)$" }],
  },
});

add("nul-in-argv", {
  technique: "a NUL byte inside an argument (C strings end there)",
  source: "CWE-158",
  ...BASE,
  policy: P,
  script: `${DYN}${ATTEMPT}export default await attempt(() => subprocess.exec(["cat", dyn("src/app.py\\u0000${MARKER}")]));`,
  expect: { ...OK, absent: [MARKER], value: { $regex: "^(policy_violation|script_error)$" } },
});

add("command-as-one-string", {
  technique: "a whole shell command line as one argv string",
  source: "CWE-78 (OS command injection)",
  ...BASE,
  policy: P,
  script: `${DYN}${ATTEMPT}export default await attempt(() => subprocess.exec([dyn("ls; ${TOUCH}")]));`,
  expect: { ...OK, absent: [MARKER], value: { $regex: "^(policy_violation|script_error)$" } },
});

add("cwd-outside", {
  technique: "a working directory outside the tree",
  source: "security.md class 5",
  ...BASE,
  policy: P,
  script: `${DYN}await subprocess.exec(["touch", "pwned"], { cwd: dyn("{{OUTSIDE}}") });`,
  expect: { ...DENIED, absent: [MARKER] },
});

add("cwd-symlink-outside", {
  technique: "a working directory that is a symlink to outside the tree",
  source: "security.md class 5",
  ...BASE,
  policy: P,
  symlinks: { "out/away": "{{OUTSIDE}}" },
  script: `${DYN}await subprocess.exec(["touch", "pwned"], { cwd: dyn("out/away") });`,
  expect: { ...DENIED, absent: [MARKER] },
});

add("python-stdin-program", {
  technique: "python3 reading its program from stdin (inline code without -c)",
  source: "Python docs (python - : program read from stdin); GTFOBins python",
  ...BASE,
  policy: P,
  script: `${DYN}await subprocess.exec([dyn("python3")], { stdin: "open('${MARKER}', 'w').write('x')\\n" });`,
  expect: { ...DENIED, absent: [MARKER] },
});

add("python-dash-stdin", {
  technique: "python3 - (explicit stdin program)",
  source: "Python docs (python -); GTFOBins python",
  ...BASE,
  policy: P,
  script: `${DYN}await subprocess.exec([dyn("python3"), "-"], { stdin: "open('${MARKER}', 'w').write('x')\\n" });`,
  expect: { ...DENIED, absent: [MARKER] },
});

add("node-stdin-program", {
  technique: "node reading its program from stdin (inline code without -e)",
  source: "Node.js docs (node - / program on stdin); GTFOBins node",
  ...BASE,
  policy: P,
  script: `${DYN}await subprocess.exec([dyn("node")], { stdin: "require('fs').writeFileSync('${MARKER}', 'x')\\n" });`,
  expect: { ...DENIED, absent: [MARKER] },
});

add("git-written-config-fsmonitor", {
  technique:
    "write .git/config (the operator made .git/** writable) with core.fsmonitor, then run an allowed git status",
  source: "git-config docs (core.fsmonitor runs a command); CVE-2022-24765 family",
  ...BASE,
  policy: policy(
    SECURE,
    'requires_approval = ["!subprocess.exec"]',
    "[filesystem]",
    'read_allow = ["**"]',
    'write_allow = ["src/**", ".git/**"]',
    "[subprocess]",
    'allow_commands = ["git"]',
  ),
  git: true,
  script: `${DYN}${ATTEMPT}const w = await attempt(() => fs.write(dyn(".git/config"), "[core]\\n\\tfsmonitor = ${TOUCH}\\n"));
const s = await attempt(() => subprocess.exec(["git", "status"]));
export default { w, s };`,
  expect: { absent: [MARKER], value: { w: "policy_violation", s: "ok" } },
});

add("git-hook-written", {
  technique: "write an executable-looking .git/hooks/post-checkout then run git checkout",
  source: "MITRE ATT&CK T1546 (git hooks)",
  ...BASE,
  policy: policy(
    SECURE,
    'requires_approval = ["!subprocess.exec"]',
    "[filesystem]",
    'read_allow = ["**"]',
    'write_allow = ["src/**", ".git/**"]',
    "[subprocess]",
    'allow_commands = ["git"]',
  ),
  git: true,
  script: `${DYN}${ATTEMPT}const w = await attempt(() => fs.write(dyn(".git/hooks/post-checkout"), "#!/bin/sh\\n${TOUCH}\\n"));
const s = await attempt(() => subprocess.exec(["git", "checkout", "-q", "-b", "feature"]));
export default { w, s };`,
  expect: { absent: [MARKER] },
});

add("jail-npm-script", {
  technique: "npm run-script of a package.json script that writes outside (under the bwrap jail)",
  source: "npm docs (run-script runs sh -c); security.md class 5 (npm scripts)",
  ...BASE,
  policy: P_JAIL,
  files: {
    ...PROJECT_FILES,
    "package.json": JSON.stringify({ name: "x", version: "1.0.0", scripts: { build: TOUCH } }),
  },
  script: `const r = await subprocess.exec(["npm", "run-script", "build"]); export default r.code;`,
  expect: { absent: [MARKER] },
});

add("jail-make-recipe", {
  technique: "make with a Makefile recipe that writes outside (under the bwrap jail)",
  source: "GNU make (recipes run through sh)",
  ...BASE,
  policy: P_JAIL,
  files: { ...PROJECT_FILES, Makefile: `all:\n\t${TOUCH}\n` },
  script: `const r = await subprocess.exec(["make"]); export default r.code;`,
  expect: { absent: [MARKER] },
});

add("jail-python-script-file", {
  technique: "python3 running a project file that writes outside and reads ~/.ssh (under the jail)",
  source: "security.md (a binary the policy lets run: use the jail)",
  ...BASE,
  policy: P_JAIL,
  files: {
    ...PROJECT_FILES,
    "src/evil.py": `import os\ntry:\n    open('${MARKER}', 'w').write('x')\nexcept Exception as e:\n    print('write', e)\ntry:\n    print(open(os.path.expanduser('~/.ssh/id_rsa')).read())\nexcept Exception as e:\n    print('read', e)\n`,
  },
  script: `const r = await subprocess.exec(["python3", "src/evil.py"]); console.log(r.stdout); export default r.code;`,
  expect: { absent: [MARKER] },
});

add("jail-node-network", {
  technique: "node running a project file that connects to the canary (the jail has no network)",
  source: "security.md (jail: no network)",
  ...BASE,
  policy: P_JAIL,
  files: {
    ...PROJECT_FILES,
    "src/net.js": `require("http").get("http://127.0.0.1:{{CANARY_PORT}}/", (r) => console.log(r.statusCode)).on("error", (e) => console.log("blocked", e.code));\n`,
  },
  script: `const r = await subprocess.exec(["node", "src/net.js"]); console.log(r.stdout); export default r.code;`,
  expect: { noRequest: true },
});

add("jail-read-parent-environ", {
  technique: "a jailed program reading its parent's /proc environ (the aegis process)",
  source: "proc(5) /proc/[pid]/environ",
  ...BASE,
  policy: P_JAIL,
  files: {
    ...PROJECT_FILES,
    "src/env.py":
      "import os\nfor p in ['/proc/%d/environ' % os.getppid(), '/proc/1/environ']:\n    try:\n        print(open(p).read())\n    except Exception as e:\n        print('blocked', e)\n",
  },
  script: `const r = await subprocess.exec(["python3", "src/env.py"]); console.log(r.stdout);`,
  expect: { exit: 0 },
});

add("python-interactive-after-script", {
  technique: "python3 -i script.py: after the script, the interactive loop runs code from stdin",
  source: "Python docs (-i: inspect interactively after running the script)",
  ...BASE,
  policy: P,
  script: `${DYN}await subprocess.exec([dyn("python3"), "-i", "src/util.py"], { stdin: "open('${MARKER}', 'w').write('x')\\n" });`,
  expect: { ...DENIED, absent: [MARKER] },
});

add("python-m-code-stdin", {
  technique: "python3 -m code: the stdlib REPL module reads its program from stdin",
  source: "Python docs (code module, interactive interpreter)",
  ...BASE,
  policy: P,
  script: `${DYN}await subprocess.exec([dyn("python3"), "-m", "code"], { stdin: "open('${MARKER}', 'w').write('x')\\n" });`,
  expect: { ...DENIED, absent: [MARKER] },
});

add("node-option-value-then-stdin", {
  technique:
    "node --title src/index.js: an option's value looks like the script, the program comes from stdin",
  source: "Node.js docs (--title takes a value; no script: program read from stdin)",
  ...BASE,
  policy: P,
  script: `${DYN}await subprocess.exec([dyn("node"), "--title", "src/index.js"], { stdin: "require('fs').writeFileSync('${MARKER}', 'x')\\n" });`,
  expect: { ...DENIED, absent: [MARKER] },
});

add("ps-environment-bsd-cluster", {
  technique: "ps ax e: the e modifier in its own BSD argument",
  source: "procps ps(1) 'e' modifier",
  ...BASE,
  policy: P,
  script: `${DYN}const r = await subprocess.exec([dyn("ps"), "ax", "e"]); console.log(r.stdout);`,
  expect: { ...DENIED },
});

add("git-commondir-redirect", {
  technique:
    "write .git/commondir to point git at a planted config with core.fsmonitor (the operator made .git/** and out/** writable)",
  source: "gitrepository-layout(5) (commondir); git-config docs (core.fsmonitor)",
  ...BASE,
  policy: policy(
    SECURE,
    'requires_approval = ["!subprocess.exec"]',
    "[filesystem]",
    'read_allow = ["**"]',
    'write_allow = ["out/**", ".git/**"]',
    "[subprocess]",
    'allow_commands = ["git"]',
  ),
  git: true,
  script: `${DYN}${ATTEMPT}const p = await attempt(() => fs.write(dyn("out/planted/config"), "[core]\\n\\tfsmonitor = ${TOUCH}\\n"));
const w = await attempt(() => fs.write(dyn(".git/commondir"), "../out/planted\\n"));
const s = await attempt(() => subprocess.exec(["git", "status"]));
export default { p, w, s };`,
  expect: { absent: [MARKER], value: { p: "ok", w: "policy_violation", s: "ok" } },
});

add("git-config-command-then-status", {
  technique:
    "git config core.fsmonitor (a slash-free command, so no argument looks like a path), then an allowed git status runs it",
  source: "git-config docs (core.fsmonitor runs a command); GTFOBins git",
  ...BASE,
  policy: P,
  git: true,
  script: `${DYN}${ATTEMPT}const c = await attempt(() => subprocess.exec([dyn("git"), "config", "core.fsmonitor", "touch pwned-by-config"]));
const s = await attempt(() => subprocess.exec(["git", "status", "--short"]));
export default { c, s };`,
  expect: { absent: ["pwned-by-config"], value: { c: "policy_violation", s: "ok" } },
});

add("git-clone-config", {
  technique: "git clone --config core.fsmonitor=… into out/, then git status in the clone",
  source: "git-clone docs (--config sets a key in the new repository)",
  ...BASE,
  policy: P,
  git: true,
  script: `${DYN}${ATTEMPT}const c = await attempt(() => subprocess.exec([dyn("git"), "clone", "-q", "--config", "core.fsmonitor=touch pwned-by-clone", ".", "out/clone"]));
const s = await attempt(() => subprocess.exec(["git", "status", "--short"], { cwd: "out/clone" }));
export default c;`,
  expect: { absent: ["pwned-by-clone", "out/clone/pwned-by-clone"], value: "policy_violation" },
});

for (const name of ["constructor", "__proto__"]) {
  add(`planted-symlink-named-${name.replaceAll("_", "")}`, {
    technique: `cat ${name}: a planted symlink to ~/.ssh/id_rsa named like an Object.prototype key, so a name lookup in a plain object skips it`,
    source:
      "CWE-1321 (prototype pollution, key collisions); security.md class 5 (argv paths outside the tree)",
    ...BASE,
    symlinks: { [`src/${name}`]: "{{HOME}}/.ssh/id_rsa" },
    policy: P,
    script: `const r = await subprocess.exec(["cat", ${JSON.stringify(name)}], { cwd: "src" });\nconsole.log(r.stdout);`,
    expect: { ...DENIED },
  });
}

export const SUBPROCESS_ABUSE = made;
