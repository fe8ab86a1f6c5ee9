/**
 * Every key a policy file may contain, with its type. Anything else is an error:
 * a misspelt deny list must never be silently ignored.
 */
import { CAPABILITIES } from "./types.js";

export type KeyType =
  | { t: "string" }
  | { t: "enum"; values: readonly string[] }
  | { t: "bool" }
  | { t: "int"; min: number; max: number }
  | { t: "number"; min: number; max: number }
  | { t: "paths" }
  | { t: "hosts" }
  | { t: "ips" }
  | { t: "vars" }
  | { t: "commands" }
  | { t: "ports" }
  | { t: "capabilities" }
  /** A table of command name → argument patterns. */
  | { t: "argTable" }
  /** A table of capability → int. */
  | { t: "capIntTable" }
  | { t: "tools" };

export const SECTIONS = ["filesystem", "network", "environment", "subprocess", "runtime", "tools"] as const;

export const TOP_KEYS: Record<string, KeyType> = {
  version: { t: "string" },
  name: { t: "string" },
  description: { t: "string" },
  inherits: { t: "string" },
  requires_approval: { t: "capabilities" },
};

export const SECTION_KEYS: Record<string, Record<string, KeyType>> = {
  filesystem: {
    read_allow: { t: "paths" },
    local_only_read: { t: "paths" },
    write_allow: { t: "paths" },
    delete_allow: { t: "paths" },
    deny: { t: "paths" },
  },
  network: {
    http_get_allow: { t: "hosts" },
    http_post_allow: { t: "hosts" },
    http_put_allow: { t: "hosts" },
    http_patch_allow: { t: "hosts" },
    http_delete_allow: { t: "hosts" },
    local_only_hosts: { t: "hosts" },
    deny_hosts: { t: "hosts" },
    deny_ips: { t: "ips" },
    allow_ports: { t: "ports" },
    timeout_seconds: { t: "int", min: 1, max: 3600 },
    max_response_bytes: { t: "int", min: 1, max: 2 ** 31 },
  },
  environment: {
    allow_vars: { t: "vars" },
    local_only_vars: { t: "vars" },
    deny_vars: { t: "vars" },
  },
  subprocess: {
    allow_commands: { t: "commands" },
    local_only_commands: { t: "commands" },
    deny_commands: { t: "commands" },
    deny_args: { t: "argTable" },
    requires_approval_args: { t: "argTable" },
    sandbox: { t: "enum", values: ["none", "bwrap"] },
  },
  runtime: {
    max_seconds: { t: "number", min: 0.001, max: 86400 },
    max_memory_mb: { t: "int", min: 8, max: 4096 },
    // Guest call depth in frames (converted to QuickJS stack bytes by the engine).
    max_callstack_size: { t: "int", min: 16, max: 1_000_000 },
    max_output_bytes: { t: "int", min: 1, max: 1024 * 1024 * 1024 },
    max_calls_per_capability: { t: "capIntTable" },
    max_total_calls: { t: "int", min: 0, max: 1e9 },
    no_output_after_local_only_read: { t: "bool" },
  },
};

/** Capability names accepted in `requires_approval` and `max_calls_per_capability`. */
export const CAPABILITY_NAMES: readonly string[] = CAPABILITIES;

export const DEFAULTS = {
  allowPorts: [80, 443],
  timeoutSeconds: 30,
  maxResponseBytes: 10 * 1024 * 1024,
  maxSeconds: 30,
  maxMemoryMb: 256,
  maxOutputBytes: 1024 * 1024,
} as const;

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

export function didYouMean(word: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return best !== undefined && bestD <= limit ? ` (did you mean "${best}"?)` : "";
}
