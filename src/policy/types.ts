/**
 * Data shapes of the policy engine. Everything here is plain data or pure
 * functions: `src/policy` never touches the file system, network or clock.
 */

export type Verdict = "allow" | "deny" | "local_only" | "confirm";

/** What `decide` returns. `rule` names the policy entry (and its origin) that decided. */
export interface Decision {
  decision: Verdict;
  /** A sentence a model can act on: the operation, the target, the rule, what would allow it. */
  reason: string;
  rule: string;
  /**
   * True when the result of the operation is local-only (sealed). Set for `local_only`,
   * and for `confirm` when the confirmed operation would be local-only.
   */
  sealed: boolean;
}

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
export const HTTP_METHODS: readonly HttpMethod[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

export type FsAction = "fs.read" | "fs.write" | "fs.delete" | "fs.list" | "fs.exists";

/** Operations `decide` understands. Paths must already be canonical (see host/paths.ts). */
export type Operation =
  | { kind: FsAction; path: string }
  | {
      kind: "net.http";
      method: HttpMethod;
      url: string;
      /** Every address the host name resolved to. Absent: only name rules are checked. */
      resolvedIps?: string[];
    }
  | { kind: "env.read"; name: string }
  | {
      kind: "subprocess.exec";
      argv: string[];
      /** Canonical working directory, if the caller set one. */
      cwd?: string;
      /**
       * Canonical forms of the argv entries that look like paths, keyed by the raw
       * argument text (host/paths.ts computes these with symlinks resolved). Where an
       * entry is missing, decide resolves the argument lexically.
       */
      pathArgs?: Record<string, string>;
    };

/** Capability names, as used in `requires_approval`, limits and the verifier. */
export type Capability =
  | "fs.read"
  | "fs.write"
  | "fs.delete"
  | "fs.list"
  | "fs.exists"
  | "net.http_get"
  | "net.http_post"
  | "net.http_put"
  | "net.http_patch"
  | "net.http_delete"
  | "env.read"
  | "subprocess.exec";

export const CAPABILITIES: readonly Capability[] = [
  "fs.read",
  "fs.write",
  "fs.delete",
  "fs.list",
  "fs.exists",
  "net.http_get",
  "net.http_post",
  "net.http_put",
  "net.http_patch",
  "net.http_delete",
  "env.read",
  "subprocess.exec",
];

/** Where an entry came from: a preset name (`secure-defaults`) or a policy file path. */
export type Origin = string;

export interface Entry {
  /** The text as written in the policy (e.g. `~/.ssh/**`). */
  value: string;
  origin: Origin;
  /** Where the entry is written in `origin`, when known. */
  line?: number;
  column?: number;
}

/** A path glob compiled against the policy root and home directory. */
export interface PathRule extends Entry {
  /** The absolute glob the pattern expands to. */
  glob: string;
  test: (canonicalPath: string) => boolean;
  /**
   * local_only_read only: the case-exact match. `test` ignores case (a protection); where a
   * local-only path is a destination (sealed bytes written there), only the exact spelling
   * counts, since the index and the jail look for that spelling.
   */
  testExact?: (canonicalPath: string) => boolean;
}

/** A host glob: `example.com`, `*.example.com` (subdomains only), or `*`. */
export interface HostRule extends Entry {
  test: (host: string) => boolean;
}

/** An IP or CIDR; a bare address is a /32 or /128. */
export interface IpRule extends Entry {
  test: (address: string) => boolean;
}

/** A name pattern for variables or commands; `*` matches any run of characters. */
export interface NameRule extends Entry {
  test: (name: string) => boolean;
}

export interface ToolHint {
  capabilities: string[];
  backendUrl?: string;
  backendMethod?: string;
  description?: string;
  origin: Origin;
}

export interface ResolvedPolicy {
  /** Absolute path of the policy file, or null for the built-in default. */
  file: string | null;
  /** Files and presets that contributed, outermost first. */
  chain: Origin[];
  /** Directory that relative patterns are resolved against. */
  root: string;
  home: string;
  metadata: { version?: string; name?: string; description?: string };
  requiresApproval: Entry[];
  filesystem: {
    readAllow: PathRule[];
    localOnlyRead: PathRule[];
    writeAllow: PathRule[];
    deleteAllow: PathRule[];
    deny: PathRule[];
  };
  network: {
    allow: Record<HttpMethod, HostRule[]>;
    localOnlyHosts: HostRule[];
    denyHosts: HostRule[];
    denyIps: IpRule[];
    allowPorts: number[];
    timeoutSeconds: number;
    maxResponseBytes: number;
  };
  environment: {
    allowVars: NameRule[];
    localOnlyVars: NameRule[];
    denyVars: NameRule[];
  };
  subprocess: {
    allowCommands: Entry[];
    localOnlyCommands: Entry[];
    denyCommands: Entry[];
    denyArgs: Record<string, Entry[]>;
    requiresApprovalArgs: Record<string, Entry[]>;
    sandbox: "none" | "bwrap";
  };
  runtime: {
    maxSeconds: number;
    maxMemoryMb: number;
    maxCallstackSize: number | undefined;
    maxOutputBytes: number;
    maxCallsPerCapability: Record<string, number>;
    maxTotalCalls: number | undefined;
    noOutputAfterLocalOnlyRead: boolean;
  };
  tools: Record<string, ToolHint>;
  /**
   * Canonical paths aegis itself depends on, set by the loader: the audit log (no
   * access at all) and the policy files of the chain (never written or deleted).
   */
  reserved: { auditLogs: string[]; policyFiles: string[] };
  /** Capabilities the populated sections grant (see policy.md "Resolution"). */
  capabilities: Capability[];
}
