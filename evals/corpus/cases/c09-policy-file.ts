/**
 * Class 9: policy-file abuse (security.md). Most cases run `aegis policy validate`: a bad
 * policy is a clear error (exit 5, with a position), never a crash or a silent default.
 * Run-mode cases check that a broken policy stops the run before any effect.
 */
import { caseMaker, HOME, LIMIT, OUTSIDE, P_FS, PROJECT_FILES, policy, SECURE } from "./common.js";

const { add, made } = caseMaker("policy-file", "c09");

const BASE = { files: PROJECT_FILES, home: HOME, outside: OUTSIDE };
const SPEC = "policy.md (unknown keys, wrong types and malformed globs/CIDRs are errors)";
const TOML = "TOML v1.0.0 specification";
const WRITE_TRY = `await fs.write("out/ran.txt", "the script ran");`;

const invalid = (
  slug: string,
  technique: string,
  source: string,
  text: string,
  stderr?: string[],
  extra = {},
) =>
  add(slug, {
    technique,
    source,
    mode: "policy",
    ...BASE,
    policy: text,
    script: WRITE_TRY,
    expect: { exit: 5, ...(stderr ? { stderr: { $includes: stderr } } : {}) },
    ...extra,
  });

invalid("unknown-top-level-key", "an unknown top-level key", SPEC, policy(SECURE, 'inherit = "x"'), [
  "inherit",
]);
invalid(
  "misspelt-deny-hosts",
  "a misspelt deny list (deny_hsots)",
  SPEC,
  policy(SECURE, "[network]", 'deny_hsots = ["evil.test"]'),
  ["deny_hsots", "did you mean"],
);
invalid(
  "misspelt-table",
  "a misspelt table ([filesytem])",
  SPEC,
  policy(SECURE, "[filesytem]", 'deny = ["src/**"]'),
  ["filesytem"],
);
invalid(
  "misspelt-deny-vars",
  "a misspelt environment deny list (deny_var)",
  SPEC,
  policy(SECURE, "[environment]", 'deny_var = ["X"]'),
  ["deny_var"],
);
invalid(
  "misspelt-nested-key",
  "a misspelt key under [runtime] (max_second)",
  SPEC,
  policy(SECURE, "[runtime]", "max_second = 1"),
  ["max_second"],
);
invalid(
  "extglob-negation",
  "extglob negation !(x) inside a pattern",
  "picomatch extglob (inverting a deny)",
  policy(SECURE, "[filesystem]", 'read_allow = ["src/**"]', 'deny = ["!(src)/**"]'),
);
invalid(
  "extglob-plus",
  "extglob +(a|b)",
  "picomatch extglob",
  policy(SECURE, "[filesystem]", 'read_allow = ["+(src|docs)/**"]'),
);
invalid(
  "extglob-at",
  "extglob @(a|b) in a deny list",
  "picomatch extglob",
  policy(SECURE, "[filesystem]", 'deny = ["@(secret|vault)/**"]'),
);
invalid(
  "inheritance-cycle",
  "inheritance cycle a -> b -> a",
  "policy.md (cycles are an error)",
  policy('inherits = "./b.toml"'),
  ["cycle"],
  {
    files: { ...PROJECT_FILES, "b.toml": 'inherits = "./aegis.toml"\n' },
  },
);
invalid(
  "self-inheritance",
  "a policy that inherits itself",
  "policy.md (cycles are an error)",
  policy('inherits = "./aegis.toml"'),
);
invalid(
  "inherits-missing",
  "inherits a file that does not exist",
  "policy.md (inherits)",
  policy('inherits = "./nope.toml"'),
);
invalid(
  "inherits-unknown-preset",
  "inherits an unknown preset name",
  "policy.md (inherits)",
  policy('inherits = "secure-defaultz"'),
);
invalid(
  "inherits-non-toml",
  "inherits /etc/passwd (not TOML)",
  "policy.md (inherits)",
  policy('inherits = "/etc/passwd"'),
);
invalid(
  "grants-write-on-itself",
  "write_allow that covers the policy file",
  "policy.md (guards at load)",
  policy(SECURE, "[filesystem]", 'write_allow = ["*.toml"]'),
  ["policy"],
);
invalid(
  "grants-write-everything",
  'write_allow = ["**"] (covers the policy)',
  "policy.md (guards at load)",
  policy(SECURE, "[filesystem]", 'write_allow = ["**"]'),
);
invalid(
  "grants-delete-on-itself",
  "delete_allow that covers the policy file",
  "policy.md (guards at load)",
  policy(SECURE, "[filesystem]", 'delete_allow = ["aegis.toml"]'),
);
invalid(
  "grants-write-on-parent-policy",
  "write_allow covering an inherited policy file",
  "policy.md (guards at load)",
  policy('inherits = "./base.toml"', "[filesystem]", 'write_allow = ["base.toml"]'),
  undefined,
  {
    files: { ...PROJECT_FILES, "base.toml": 'inherits = "secure-defaults"\n' },
  },
);
invalid(
  "grants-audit-log",
  "read_allow covering the audit log without the preset deny",
  "policy.md (guards at load)",
  policy("[filesystem]", 'read_allow = [".aegis/**"]'),
  ["audit log"],
);
invalid(
  "malformed-toml",
  "malformed TOML (unclosed array)",
  TOML,
  policy(SECURE, "[filesystem]", 'read_allow = ["src/**"'),
  ["aegis.toml:"],
);
invalid(
  "duplicate-key",
  "a duplicate key",
  TOML,
  policy(SECURE, "[filesystem]", 'read_allow = ["src/**"]', 'read_allow = ["**"]'),
);
invalid(
  "duplicate-table",
  "a duplicate table",
  TOML,
  policy(SECURE, "[filesystem]", 'read_allow = ["a/**"]', "[filesystem]", 'write_allow = ["b/**"]'),
);
invalid(
  "wrong-type-string-for-list",
  "a string where a list is expected",
  SPEC,
  policy(SECURE, "[filesystem]", 'read_allow = "src/**"'),
);
invalid(
  "wrong-type-limit",
  "a string where a number is expected",
  SPEC,
  policy(SECURE, "[runtime]", 'max_seconds = "30"'),
);
invalid("negative-limit", "a negative limit", SPEC, policy(SECURE, "[runtime]", "max_seconds = -1"));
invalid("infinite-limit", "an infinite limit", SPEC, policy(SECURE, "[runtime]", "max_seconds = inf"));
invalid(
  "version-2",
  'version = "2"',
  "policy.md (a version whose major part is not 1 is rejected)",
  policy('version = "2"', SECURE),
);
invalid(
  "bad-cidr",
  "a malformed CIDR (10.0.0.0/33)",
  SPEC,
  policy(SECURE, "[network]", 'deny_ips = ["10.0.0.0/33"]'),
);
invalid("bad-sandbox", "an unknown sandbox value", SPEC, policy(SECURE, "[subprocess]", 'sandbox = "off"'));
invalid(
  "nul-in-toml",
  "a NUL byte inside a string",
  TOML,
  policy(SECURE, "[filesystem]", 'read_allow = ["src/\u0000**"]'),
);
invalid(
  "bad-port",
  "a port out of range",
  SPEC,
  policy(SECURE, "[network]", 'http_get_allow = ["x.test"]', "allow_ports = [70000]"),
);
invalid(
  "removal-of-nothing",
  "a removal (!X) that removes nothing (a silent typo)",
  "policy.md (!X removes an inherited entry)",
  policy(SECURE, "[filesystem]", 'deny = ["!~/.shh/**"]'),
);
invalid("tools-malformed", "a malformed tools table", SPEC, policy(SECURE, "[tools]", "deploy = 42"));
invalid(
  "weaken-sandbox",
  'an inheriting file sets sandbox = "none" over a jailed parent',
  "policy.md (sandbox cannot be weakened)",
  policy('inherits = "./jailed.toml"', "[subprocess]", 'sandbox = "none"'),
  undefined,
  {
    files: {
      ...PROJECT_FILES,
      "jailed.toml":
        'inherits = "secure-defaults"\n[subprocess]\nallow_commands = ["ls"]\nsandbox = "bwrap"\n',
    },
  },
);

add("huge-policy", {
  technique: "a 6 MB policy with 200 000 patterns",
  source: "security.md class 9 (huge TOML: clear error or load, no crash)",
  mode: "policy",
  ...BASE,
  policy: policy(SECURE),
  generated: [
    {
      path: "aegis.toml",
      parts: [
        { text: 'inherits = "secure-defaults"\n[filesystem]\nread_allow = [\n' },
        { text: '  "src/generated/dir/**",\n', times: 200000 },
        { text: "]\n" },
      ],
    },
  ],
  script: WRITE_TRY,
  expect: { exit: 5, stderr: { $includes: ["too large"] }, maxMs: 40000 },
});

add("large-policy-under-limit", {
  technique: "a 900 KB policy with 36 000 patterns (under the size limit): loads in bounded time",
  source: "security.md class 9 (huge TOML: clear error or load, no crash)",
  mode: "policy",
  ...BASE,
  policy: policy(SECURE),
  generated: [
    {
      path: "aegis.toml",
      parts: [
        { text: 'inherits = "secure-defaults"\n[filesystem]\nread_allow = [\n' },
        { text: '  "src/generated/**",\n', times: 36000 },
        { text: "]\n" },
      ],
    },
  ],
  script: WRITE_TRY,
  expect: { exit: 0, maxMs: 20000 },
});

add("deeply-nested-toml", {
  technique: "an array nested 100 000 levels deep",
  source: `${TOML}; CWE-674 (parser recursion)`,
  mode: "policy",
  ...BASE,
  policy: policy(SECURE),
  generated: [
    {
      path: "aegis.toml",
      parts: [{ text: "x = " }, { text: "[", times: 100000 }, { text: "]", times: 100000 }, { text: "\n" }],
    },
  ],
  script: WRITE_TRY,
  expect: { exit: 5, maxMs: 30000 },
});

add("deeply-nested-inline-tables", {
  technique: "inline tables nested 50 000 levels deep",
  source: `${TOML}; CWE-674`,
  mode: "policy",
  ...BASE,
  policy: policy(SECURE),
  generated: [
    {
      path: "aegis.toml",
      parts: [
        { text: "x = " },
        { text: "{a=", times: 50000 },
        { text: "1" },
        { text: "}", times: 50000 },
        { text: "\n" },
      ],
    },
  ],
  script: WRITE_TRY,
  expect: { exit: 5, maxMs: 30000 },
});

add("long-string", {
  technique: "one 5 MB string pattern",
  source: "security.md class 9 (huge TOML)",
  mode: "policy",
  ...BASE,
  policy: policy(SECURE),
  generated: [
    {
      path: "aegis.toml",
      parts: [{ text: '[filesystem]\nread_allow = ["' }, { text: "a", times: 5000000 }, { text: '"]\n' }],
    },
  ],
  script: WRITE_TRY,
  expect: { exit: 5, maxMs: 30000 },
});

add("redos-glob", {
  technique:
    "a glob built to backtrack (*a*a*…*c) matched against a long path: stopped by the deadline, no hang",
  source: "OWASP ReDoS; picomatch pattern compilation",
  ...BASE,
  policy: policy(
    SECURE,
    "[filesystem]",
    'read_allow = ["**"]',
    `deny = ["${"*a".repeat(12)}*c"]`,
    "[runtime]",
    "max_seconds = 5",
  ),
  script: `let r; try { await fs.exists("${"a".repeat(60)}"); r = "checked"; } catch (e) { r = e.kind; } export default r;`,
  expect: { ...LIMIT, maxMs: 20000 },
});

add("broken-policy-stops-run", {
  technique: "aegis run with a misspelt deny list: no script effect at all",
  source: SPEC,
  ...BASE,
  policy: policy(SECURE, "[filesystem]", 'write_allow = ["out/**"]', 'deyn = ["src/**"]'),
  script: WRITE_TRY,
  expect: { exit: 5, absent: ["out/ran.txt"] },
});

add("broken-toml-stops-run", {
  technique: "aegis run with malformed TOML: no script effect",
  source: TOML,
  ...BASE,
  policy: 'inherits = "secure-defaults"\n[filesystem\nwrite_allow = ["out/**"]\n',
  script: WRITE_TRY,
  expect: { exit: 5, absent: ["out/ran.txt"] },
});

add("stricter-limit-wins", {
  technique: "an inheriting file raises max_seconds: the parent's stricter limit stays",
  source: "policy.md (limits take the stricter value)",
  ...BASE,
  files: { ...PROJECT_FILES, "strict.toml": 'inherits = "secure-defaults"\n[runtime]\nmax_seconds = 2\n' },
  policy: policy('inherits = "./strict.toml"', "[runtime]", "max_seconds = 3600"),
  script: `while (true) {}`,
  expect: { ...LIMIT, maxMs: 12000 },
});

add("aegis-vars-reserved", {
  technique: 'allow_vars = ["*"] still refuses AEGIS_* variables',
  source: "policy.md (AEGIS_* always denied)",
  ...BASE,
  env: { AEGIS_EVAL_SETTING: "EvalCanaryAegisVar9Wq4" },
  policy: policy(SECURE, "[environment]", 'allow_vars = ["*"]'),
  script: `const n = ["AEGIS", "EVAL", "SETTING"].join("_"); console.log(await env.read(n));`,
  expect: { kind: "policy_violation", exit: 2 },
});

add("policy-is-directory", {
  technique: "--policy naming a directory",
  source: "cli.md (exit 5 for a bad policy file)",
  mode: "policy",
  ...BASE,
  policy: policy(SECURE),
  files: { ...PROJECT_FILES, "pdir/x": "x" },
  policyArgs: ["validate", "pdir"],
  script: WRITE_TRY,
  expect: { exit: 5 },
});

add("explain-hostile-op", {
  technique: "policy explain with a malformed operation",
  source: "cli.md (exit 5 for a bad op)",
  mode: "policy",
  ...BASE,
  policy: P_FS,
  policyArgs: ["explain", "aegis.toml", "--op", '{"kind":"fs.read","path":{"$gt":""}}'],
  script: WRITE_TRY,
  expect: { exit: 5 },
});

export const POLICY_FILE = made;
