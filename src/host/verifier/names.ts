/**
 * The names the verifier knows: guest builtins and the capability each exercises,
 * the policy key that grants a capability, and host internals a script must not name.
 */
import type { Capability, FsAction, HttpMethod, ResolvedPolicy } from "../../policy/types.js";

export type Namespace = "fs" | "net" | "env" | "subprocess";

export interface BuiltinInfo {
  /** The guest-visible name as written, e.g. `net.http_get`. */
  name: string;
  capability: Capability;
  /** What the first argument names. */
  target:
    | { kind: "path"; action: FsAction }
    | { kind: "url"; method: HttpMethod }
    | { kind: "var" }
    | { kind: "argv" };
}

/** Capabilities each namespace can exercise; a namespace none of whose capabilities is granted is empty. */
export const NAMESPACE_CAPABILITIES: ReadonlyMap<Namespace, readonly Capability[]> = new Map<
  Namespace,
  readonly Capability[]
>([
  ["fs", ["fs.read", "fs.write", "fs.delete", "fs.list", "fs.exists"]],
  ["net", ["net.http_get", "net.http_post", "net.http_put", "net.http_patch", "net.http_delete"]],
  ["env", ["env.read"]],
  ["subprocess", ["subprocess.exec"]],
]);

function table(): Map<string, BuiltinInfo> {
  const m = new Map<string, BuiltinInfo>();
  for (const action of ["read", "write", "list", "exists", "delete"] as const) {
    const cap = `fs.${action}` as const;
    m.set(cap, { name: cap, capability: cap, target: { kind: "path", action: cap } });
  }
  for (const [camel, method] of [
    ["Get", "GET"],
    ["Post", "POST"],
    ["Put", "PUT"],
    ["Patch", "PATCH"],
    ["Delete", "DELETE"],
  ] as const) {
    const capability = `net.http_${method.toLowerCase()}` as Capability;
    m.set(`net.http${camel}`, { name: `net.http${camel}`, capability, target: { kind: "url", method } });
    m.set(capability, { name: capability, capability, target: { kind: "url", method } });
  }
  m.set("env.read", { name: "env.read", capability: "env.read", target: { kind: "var" } });
  m.set("subprocess.exec", {
    name: "subprocess.exec",
    capability: "subprocess.exec",
    target: { kind: "argv" },
  });
  return m;
}

const BUILTINS = table();

export function isNamespace(name: string): name is Namespace {
  return NAMESPACE_CAPABILITIES.has(name as Namespace);
}

export function builtinFor(ns: Namespace, member: string): BuiltinInfo | undefined {
  return BUILTINS.get(`${ns}.${member}`);
}

/** fs.list and fs.exists ride on read permission (policy.md: read_allow covers all three). */
export function isGranted(policy: ResolvedPolicy, cap: Capability): boolean {
  if (policy.capabilities.includes(cap)) return true;
  return (cap === "fs.list" || cap === "fs.exists") && policy.capabilities.includes("fs.read");
}

export function namespaceGrantsAnything(policy: ResolvedPolicy, ns: Namespace): boolean {
  return (NAMESPACE_CAPABILITIES.get(ns) ?? []).some((cap) => isGranted(policy, cap));
}

/** The policy keys that would grant a capability, for "what would allow it" hints. */
export const GRANTED_BY: Readonly<Record<Capability, string>> = {
  "fs.read": "[filesystem] read_allow or local_only_read",
  "fs.list": "[filesystem] read_allow or local_only_read",
  "fs.exists": "[filesystem] read_allow or local_only_read",
  "fs.write": "[filesystem] write_allow",
  "fs.delete": "[filesystem] delete_allow",
  "net.http_get": "[network] http_get_allow or local_only_hosts",
  "net.http_post": "[network] http_post_allow or local_only_hosts",
  "net.http_put": "[network] http_put_allow or local_only_hosts",
  "net.http_patch": "[network] http_patch_allow or local_only_hosts",
  "net.http_delete": "[network] http_delete_allow or local_only_hosts",
  "env.read": "[environment] allow_vars or local_only_vars",
  "subprocess.exec": "[subprocess] allow_commands or local_only_commands",
};

const NAMESPACE_GRANTED_BY: Readonly<Record<Namespace, string>> = {
  fs: "[filesystem] read_allow, local_only_read, write_allow or delete_allow",
  net: "[network] http_get_allow, http_post_allow, http_put_allow, http_patch_allow, http_delete_allow or local_only_hosts",
  env: "[environment] allow_vars or local_only_vars",
  subprocess: "[subprocess] allow_commands or local_only_commands",
};

export function namespaceGrantedBy(ns: Namespace): string {
  return NAMESPACE_GRANTED_BY[ns];
}

const GENERIC_INTERNAL_HINT = "the only effects available are the builtins fs, net, env and subprocess";

/**
 * Globals that would be host authority if they ever leaked into the guest (Node, Deno,
 * Bun, QuickJS's std/os modules, the raw wasm API) or that models reach for out of habit.
 * Flagged only as free names: a script's own variable called `os` is fine.
 */
const INTERNALS: ReadonlyMap<string, string> = new Map([
  ["process", "read variables with env.read(NAME); run programs with subprocess.exec([...])"],
  ["require", "scripts cannot load modules; use the builtins fs, net, env and subprocess"],
  ["module", GENERIC_INTERNAL_HINT],
  ["exports", "export a result with `export default value`"],
  ["__dirname", "relative paths are resolved against the policy root"],
  ["__filename", "relative paths are resolved against the policy root"],
  ["Deno", GENERIC_INTERNAL_HINT],
  ["Bun", GENERIC_INTERNAL_HINT],
  ["std", "QuickJS's std module is not available; use fs and console"],
  ["os", "QuickJS's os module is not available; use fs and subprocess"],
  ["scriptArgs", GENERIC_INTERNAL_HINT],
  ["WebAssembly", GENERIC_INTERNAL_HINT],
  ["fetch", "use await net.httpGet(url) (or httpPost, httpPut, httpPatch, httpDelete)"],
]);

/** The hint for a host-internal name, or undefined when the name is ordinary. */
export function internalHint(name: string): string | undefined {
  if (name.startsWith("__host")) return GENERIC_INTERNAL_HINT;
  return INTERNALS.get(name);
}
