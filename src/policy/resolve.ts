/**
 * Inheritance and compilation: a chain of layers becomes one ResolvedPolicy.
 * File access is injected (`load`), so this stays pure.
 */
import { type ConfigIssue, type PolicyLayer, parseLayer, type RawEntry } from "./parse.js";
import {
  compileHostRule,
  compileIpRule,
  compileNameRule,
  compilePathRule,
  type PatternKind,
} from "./patterns.js";
import { DEFAULTS } from "./schema.js";
import {
  CAPABILITIES,
  type Capability,
  type Entry,
  HTTP_METHODS,
  type HttpMethod,
  type Origin,
  type ResolvedPolicy,
  type ToolHint,
} from "./types.js";

/** A policy's text, or its layer already parsed (a built-in preset parsed at build time). */
export type PolicySource = { origin: Origin; text: string } | { origin: Origin; layer: PolicyLayer };

/** Finds the text of an `inherits` reference made from `from`. */
export type SourceLoader = (ref: string, from: Origin) => PolicySource | { error: string };

export interface ResolveContext {
  root: string;
  home: string;
  /** Absolute path of the policy file, or null for the built-in default. */
  file: string | null;
}

export class PolicyIssues extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join("\n"));
    this.name = "PolicyIssues";
  }
}

export function formatIssue(i: ConfigIssue): string {
  const pos = i.line === undefined ? "" : `:${i.line}${i.column === undefined ? "" : `:${i.column}`}`;
  return `${i.file}${pos}: ${i.message}`;
}

const MAX_CHAIN = 32;

/** Parses `entry` and everything it inherits; returns the layers base-first. */
export function loadChain(entry: PolicySource, load: SourceLoader): PolicyLayer[] {
  const issues: ConfigIssue[] = [];
  const layers: PolicyLayer[] = [];
  const seen: Origin[] = [];
  let current: PolicySource | undefined = entry;
  while (current) {
    if (seen.includes(current.origin)) {
      // Report it where the cycle closes: the `inherits` key of the last file read.
      const closing = layers[0];
      issues.push({
        file: closing?.origin ?? current.origin,
        line: closing?.inherits?.line,
        column: closing?.inherits?.column,
        message: `inheritance cycle: ${[...seen, current.origin].join(" → ")}`,
      });
      break;
    }
    if (seen.length >= MAX_CHAIN) {
      issues.push({ file: current.origin, message: `inheritance chain longer than ${MAX_CHAIN} files` });
      break;
    }
    seen.push(current.origin);
    const { layer, issues: own } =
      "layer" in current ? { layer: current.layer, issues: [] } : parseLayer(current.text, current.origin);
    issues.push(...own);
    layers.unshift(layer);
    const ref = layer.inherits;
    current = undefined;
    if (ref) {
      const next = load(ref.value, layer.origin);
      if ("error" in next)
        issues.push({ file: layer.origin, line: ref.line, column: ref.column, message: next.error });
      else current = next;
    }
  }
  if (issues.length > 0) throw new PolicyIssues(issues);
  return layers;
}

interface Merged {
  lists: Map<string, RawEntry[]>;
  ports: number[] | undefined;
  argTables: Map<string, Map<string, RawEntry[]>>;
  scalars: Map<string, string | number | boolean>;
  capLimits: Map<string, number>;
  tools: Record<string, ToolHint>;
  metadata: PolicyLayer["metadata"];
}

/** Limits whose inherited value may only be tightened. */
const STRICTER_MIN = new Set([
  "network.timeout_seconds",
  "network.max_response_bytes",
  "runtime.max_seconds",
  "runtime.max_memory_mb",
  "runtime.max_callstack_size",
  "runtime.max_output_bytes",
  "runtime.max_total_calls",
]);

const LOCAL_ONLY_OVERRIDES: Record<string, string> = {
  "environment.local_only_vars": "environment.deny_vars",
  "filesystem.local_only_read": "filesystem.deny",
  "network.local_only_hosts": "network.deny_hosts",
};

/** Appends `add` to `into` (deduplicated); `"!X"` removes an inherited X. Linear time. */
function mergeList(into: RawEntry[], add: RawEntry[], key: string, issues: ConfigIssue[]): RawEntry[] {
  const drops = new Set<string>();
  for (const e of add) {
    if (!e.value.startsWith("!")) continue;
    const drop = e.value.slice(1);
    // A removal that removes nothing is almost always a typo in a deny list's exception.
    if (!into.some((x) => x.value === drop)) {
      issues.push({
        file: e.origin,
        line: e.line,
        column: e.column,
        message: `${key}: "${e.value}" removes nothing (no inherited entry "${drop}")`,
      });
    }
    drops.add(drop);
  }
  const out = drops.size > 0 ? into.filter((x) => !drops.has(x.value)) : [...into];
  const present = new Set(out.map((x) => x.value));
  for (const e of add) {
    if (e.value.startsWith("!") || present.has(e.value)) continue;
    present.add(e.value);
    out.push(e);
  }
  return out;
}

export function mergeLayers(layers: PolicyLayer[]): Merged {
  const m: Merged = {
    lists: new Map(),
    ports: undefined,
    argTables: new Map(),
    scalars: new Map(),
    capLimits: new Map(),
    tools: {},
    metadata: {},
  };
  const issues: ConfigIssue[] = [];
  for (const layer of layers) {
    // An entry a file marks local-only replaces the same entry in an *inherited* deny
    // list: the secret becomes usable but sealed. Within one file, deny still wins, so
    // this runs before the file's own lists are merged.
    for (const [key, denyKey] of Object.entries(LOCAL_ONLY_OVERRIDES)) {
      const names = new Set((layer.lists[key] ?? []).map((e) => e.value));
      const inherited = m.lists.get(denyKey);
      if (inherited && names.size > 0)
        m.lists.set(
          denyKey,
          inherited.filter((d) => !names.has(d.value)),
        );
    }
    for (const [key, entries] of Object.entries(layer.lists)) {
      m.lists.set(key, mergeList(m.lists.get(key) ?? [], entries, key, issues));
    }
    if (layer.ports) m.ports = [...new Set([...(m.ports ?? []), ...layer.ports])];
    for (const [key, table] of Object.entries(layer.argTables)) {
      const into = m.argTables.get(key) ?? new Map<string, RawEntry[]>();
      for (const [cmd, entries] of Object.entries(table))
        into.set(cmd, mergeList(into.get(cmd) ?? [], entries, `${key}.${cmd}`, issues));
      m.argTables.set(key, into);
    }
    for (const [key, value] of Object.entries(layer.scalars)) {
      const prev = m.scalars.get(key);
      if (prev !== undefined && STRICTER_MIN.has(key))
        m.scalars.set(key, Math.min(Number(prev), Number(value)));
      else if (key === "runtime.no_output_after_local_only_read")
        m.scalars.set(key, prev === true || value === true);
      else if (key === "subprocess.sandbox" && prev === "bwrap" && value !== "bwrap") {
        issues.push({
          file: layer.origin,
          ...layer.positions[key],
          message: `subprocess.sandbox = "${String(value)}" cannot weaken the inherited "bwrap" jail`,
        });
      } else m.scalars.set(key, value);
    }
    for (const [cap, n] of Object.entries(layer.capLimits)) {
      const prev = m.capLimits.get(cap);
      m.capLimits.set(cap, prev === undefined ? n : Math.min(prev, n));
    }
    Object.assign(m.tools, layer.tools);
    Object.assign(m.metadata, layer.metadata);
  }
  if (issues.length > 0) throw new PolicyIssues(issues);
  return m;
}

/** Builds the resolved policy from layers (base first). */
export function compilePolicy(layers: PolicyLayer[], ctx: ResolveContext): ResolvedPolicy {
  const m = mergeLayers(layers);
  const list = (key: string): RawEntry[] => m.lists.get(key) ?? [];
  const entries = (key: string): Entry[] => list(key).map((e) => ({ value: e.value, origin: e.origin }));
  const paths = (key: string, kind: PatternKind) =>
    list(key).map((e) => ({
      ...compilePathRule(e.value, e.origin, ctx.root, ctx.home, kind),
      ...(e.line === undefined ? {} : { line: e.line, column: e.column }),
    }));
  const hosts = (key: string) => list(key).map((e) => compileHostRule(e.value, e.origin));
  const names = (key: string, kind: PatternKind) =>
    list(key).map((e) => compileNameRule(e.value, e.origin, kind));
  const table = (key: string): Record<string, Entry[]> =>
    Object.fromEntries([...(m.argTables.get(key) ?? new Map<string, RawEntry[]>())].map(([k, v]) => [k, v]));
  const num = (key: string, fallback: number): number => {
    const v = m.scalars.get(key);
    return v === undefined ? fallback : Number(v);
  };
  const optNum = (key: string): number | undefined => {
    const v = m.scalars.get(key);
    return v === undefined ? undefined : Number(v);
  };

  const allow = Object.fromEntries(
    HTTP_METHODS.map((method) => [method, hosts(`network.http_${method.toLowerCase()}_allow`)]),
  ) as Record<HttpMethod, ReturnType<typeof hosts>>;

  const policy: ResolvedPolicy = {
    file: ctx.file,
    chain: layers.map((l) => l.origin).reverse(),
    root: ctx.root,
    home: ctx.home,
    metadata: m.metadata,
    requiresApproval: entries("requires_approval"),
    filesystem: {
      readAllow: paths("filesystem.read_allow", "allow"),
      localOnlyRead: paths("filesystem.local_only_read", "local-only"),
      writeAllow: paths("filesystem.write_allow", "allow"),
      deleteAllow: paths("filesystem.delete_allow", "allow"),
      deny: paths("filesystem.deny", "deny"),
    },
    network: {
      allow,
      localOnlyHosts: hosts("network.local_only_hosts"),
      denyHosts: hosts("network.deny_hosts"),
      denyIps: list("network.deny_ips").map((e) => compileIpRule(e.value, e.origin)),
      allowPorts: m.ports ?? [...DEFAULTS.allowPorts],
      timeoutSeconds: num("network.timeout_seconds", DEFAULTS.timeoutSeconds),
      maxResponseBytes: num("network.max_response_bytes", DEFAULTS.maxResponseBytes),
    },
    environment: {
      allowVars: names("environment.allow_vars", "allow"),
      localOnlyVars: names("environment.local_only_vars", "allow"),
      denyVars: names("environment.deny_vars", "deny"),
    },
    subprocess: {
      allowCommands: entries("subprocess.allow_commands"),
      localOnlyCommands: entries("subprocess.local_only_commands"),
      denyCommands: entries("subprocess.deny_commands"),
      denyArgs: table("subprocess.deny_args"),
      requiresApprovalArgs: table("subprocess.requires_approval_args"),
      sandbox: m.scalars.get("subprocess.sandbox") === "bwrap" ? "bwrap" : "none",
    },
    runtime: {
      maxSeconds: num("runtime.max_seconds", DEFAULTS.maxSeconds),
      maxMemoryMb: num("runtime.max_memory_mb", DEFAULTS.maxMemoryMb),
      maxCallstackSize: optNum("runtime.max_callstack_size"),
      maxOutputBytes: num("runtime.max_output_bytes", DEFAULTS.maxOutputBytes),
      maxCallsPerCapability: Object.fromEntries(m.capLimits),
      maxTotalCalls: optNum("runtime.max_total_calls"),
      noOutputAfterLocalOnlyRead: m.scalars.get("runtime.no_output_after_local_only_read") === true,
    },
    tools: m.tools,
    reserved: { auditLogs: [], policyFiles: [] },
    capabilities: [],
  };
  policy.capabilities = deriveCapabilities(policy);
  return policy;
}

/** Capabilities come from populated sections; there is no separate list to keep in sync. */
export function deriveCapabilities(p: ResolvedPolicy): Capability[] {
  const fs = p.filesystem;
  const readable = fs.readAllow.length > 0 || fs.localOnlyRead.length > 0;
  const granted = new Set<Capability>();
  if (readable) for (const c of ["fs.read", "fs.list", "fs.exists"] as const) granted.add(c);
  if (fs.writeAllow.length > 0) granted.add("fs.write");
  if (fs.deleteAllow.length > 0) granted.add("fs.delete");
  for (const method of HTTP_METHODS) {
    if (p.network.allow[method].length > 0 || p.network.localOnlyHosts.length > 0) {
      granted.add(`net.http_${method.toLowerCase()}` as Capability);
    }
  }
  if (p.environment.allowVars.length > 0 || p.environment.localOnlyVars.length > 0) granted.add("env.read");
  if (p.subprocess.allowCommands.length > 0 || p.subprocess.localOnlyCommands.length > 0) {
    granted.add("subprocess.exec");
  }
  return CAPABILITIES.filter((c) => granted.has(c));
}
