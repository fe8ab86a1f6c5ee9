/**
 * The policy-file error classes of security.md class 9, as fixture files under
 * test/fixtures/policy/errors/, with the position and message each must be reported
 * with. Shared by the loader tests and the `aegis policy validate` CLI tests.
 */
import { fileURLToPath } from "node:url";

export const ERROR_DIR = fileURLToPath(new URL("../fixtures/policy/errors/", import.meta.url));
export const VALID_DIR = fileURLToPath(new URL("../fixtures/policy/valid/", import.meta.url));

export interface ExpectedIssue {
  /** Exact line, or "any" for "some line must be given". */
  line: number | "any";
  column: number | "any";
  message: RegExp;
}

export interface ErrorFixture {
  file: string;
  what: string;
  issues: ExpectedIssue[];
  /** Set when the loader does not meet this today. */
  bug?: string;
}

const at = (line: number | "any", column: number | "any", message: RegExp): ExpectedIssue => ({
  line,
  column,
  message,
});

export const ERROR_FIXTURES: ErrorFixture[] = [
  {
    file: "syntax.toml",
    what: "TOML syntax error",
    issues: [at(4, 24, /TOML syntax error: .*expected comma/)],
  },
  {
    file: "unknown-top-key.toml",
    what: "unknown top-level key with did-you-mean",
    issues: [at(3, 2, /unknown key "filesytem" \(did you mean "filesystem"\?\)/)],
  },
  {
    file: "unknown-section-keys.toml",
    what: "unknown section keys with did-you-mean",
    issues: [
      at(2, 1, /unknown key "filesystem\.read_alow" \(did you mean "read_allow"\?\)/),
      at(5, 1, /unknown key "network\.deny_host" \(did you mean "deny_hosts"\?\)/),
      at(6, 1, /unknown key "network\.denyips" \(did you mean "deny_ips"\?\)/),
    ],
  },
  {
    file: "wrong-types.toml",
    what: "wrong types: string for a list, ints for paths, float for an int, bool for an enum",
    issues: [
      at(2, 1, /filesystem\.read_allow must be an array of strings, got a string/),
      at(3, 1, /filesystem\.write_allow entries must be strings, got an integer/),
      at(6, 1, /network\.timeout_seconds must be an integer, got a float/),
      at(9, 1, /subprocess\.sandbox must be one of "none", "bwrap", got a boolean/),
    ],
  },
  {
    file: "wrong-scalar-types.toml",
    what: "bool and array for strings",
    issues: [
      at(1, 1, /name must be a string, got a boolean/),
      at(2, 1, /description must be a string, got an array/),
    ],
  },
  {
    file: "float-for-int.toml",
    what: "an integer-valued float (30.0) for an int limit",
    issues: [
      at(2, 1, /network\.timeout_seconds must be an integer, got a float/),
      at(5, 1, /runtime\.max_memory_mb must be an integer, got a float/),
    ],
    bug: "30.0 and 256.0 are accepted as integers (smol-toml returns JS numbers; parse with integersAsBigInt)",
  },
  {
    file: "bad-globs.toml",
    what: "extglob @(a), +(x|y) and a NUL byte in path patterns",
    issues: [at(2, 9, /extglob syntax/), at(2, 17, /extglob syntax/), at(2, 34, /NUL byte/)],
  },
  {
    file: "extglob-negation.toml",
    what: "extglob !(x) in a deny list",
    issues: [at(2, 9, /extglob|negat/)],
    bug: '"!(x)" is taken as a removal of the entry "(x)" and silently accepted',
  },
  {
    file: "negated-not-removal.toml",
    what: '"!src/**" in a file that inherits nothing (removes nothing)',
    issues: [at(3, 15, /!src\/\*\*.*(remov|inherit)|negat/)],
    bug: "a removal entry that removes nothing is silently accepted",
  },
  {
    file: "bad-cidrs.toml",
    what: "bad CIDRs: /33, 300.1.1.1, 127.1",
    issues: [
      at(2, 13, /"10\.0\.0\.0\/33" is not an IP address or CIDR range/),
      at(2, 28, /"300\.1\.1\.1" is not an IP address or CIDR range/),
      at(2, 41, /"127\.1" is not an IP address or CIDR range/),
    ],
  },
  {
    file: "bad-hosts.toml",
    what: "bad host patterns: scheme, path, *.*, port",
    issues: [
      at(2, 19, /"http:\/\/x\.com" is not a host name/),
      at(2, 35, /"x\.com\/path" is not a host name/),
      at(2, 49, /"\*\.\*\.com" is not a host name/),
      at(2, 60, /"x\.com:8080" is not a host name/),
    ],
  },
  {
    file: "unknown-capability.toml",
    what: "unknown capability in requires_approval",
    issues: [
      at(1, 22, /unknown capability "fs\.delet" \(did you mean "fs\.delete"\?\)/),
      at(1, 34, /unknown capability "net\.http"/),
    ],
  },
  {
    file: "bad-limit-capability.toml",
    what: "unknown capability in max_calls_per_capability",
    issues: [at(2, 1, /unknown capability "fs\.reed" \(did you mean "fs\.read"\?\)/)],
  },
  {
    file: "deny-args-not-list.toml",
    what: "deny_args entry that is a string, not a list",
    issues: [at(2, 1, /subprocess\.deny_args\.git must be an array of non-empty strings/)],
  },
  {
    file: "cycle-a.toml",
    what: "inheritance cycle a → b → a",
    issues: [at("any", "any", /inheritance cycle: .*cycle-a\.toml → .*cycle-b\.toml → .*cycle-a\.toml/)],
    bug: "the cycle error has no line:column (the closing `inherits` key is known)",
  },
  {
    file: "unknown-preset.toml",
    what: "unknown preset",
    issues: [at(1, 1, /unknown preset "secure-default" \(available: secure-defaults\)/)],
  },
  {
    file: "missing-inherit.toml",
    what: "missing inherited file",
    issues: [at(2, 1, /cannot read inherited policy .*does-not-exist\.toml/)],
  },
  {
    file: "version-2.toml",
    what: 'version "2"',
    issues: [at(1, 11, /version "2" is not supported/)],
  },
  {
    file: "self-write.toml",
    what: "policy granting write on itself",
    issues: [
      at(3, "any", /grants write on its own file .*self-write\.toml \(filesystem\.write_allow "\*\.toml"/),
    ],
    bug: "guard errors carry no line:column (the granting entry's position is known)",
  },
  {
    file: "self-delete.toml",
    what: "policy granting delete on itself",
    issues: [at(2, "any", /grants delete on its own file .*self-delete\.toml/)],
    bug: "guard errors carry no line:column",
  },
  {
    file: "audit-read.toml",
    what: "policy granting read of the audit log",
    issues: [
      at(
        2,
        "any",
        /grants access to the audit log .*\.aegis\/audit\.jsonl \(filesystem\.read_allow "\.aegis\/\*\*"/,
      ),
    ],
    bug: "guard errors carry no line:column",
  },
  {
    file: "sandbox-weakened.toml",
    what: 'sandbox = "none" over an inherited "bwrap"',
    issues: [at(4, 1, /subprocess\.sandbox = "none" cannot weaken the inherited "bwrap" jail/)],
    bug: "the sandbox error has no line:column",
  },
  {
    file: "tools-errors.toml",
    what: "[tools]: misspelt key, wrong type, unknown capability",
    issues: [
      at(6, 1, /unknown key "tools\.fetch\.backend_urll" \(did you mean "backend_url"\?\)/),
      at(7, 1, /tools\.fetch\.backend_method must be a string/),
      at(2, "any", /unknown capability "net\.http_gett"/),
    ],
    bug: "tool capabilities are not checked against the capability names; backend_method is located at the table header",
  },
  {
    file: "inline-table-typo.toml",
    what: "a misspelt key inside an inline table",
    issues: [at(1, "any", /unknown key "filesystem\.read_alow" \(did you mean "read_allow"\?\)/)],
    bug: "keys inside inline tables are not located (no line:column)",
  },
];
