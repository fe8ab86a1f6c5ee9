/** The resolved policy as plain JSON: every entry with where it came from. */
import { HTTP_METHODS, type ResolvedPolicy } from "./types.js";

type Listed = { value: string; origin: string };

export function policySummary(p: ResolvedPolicy) {
  const l = (xs: readonly Listed[]) => xs.map((x) => ({ value: x.value, origin: x.origin }));
  const table = (t: Record<string, readonly Listed[]>) =>
    Object.fromEntries(Object.entries(t).map(([k, v]) => [k, l(v)]));
  return {
    file: p.file,
    chain: p.chain,
    root: p.root,
    capabilities: p.capabilities,
    requires_approval: l(p.requiresApproval),
    filesystem: {
      read_allow: l(p.filesystem.readAllow),
      local_only_read: l(p.filesystem.localOnlyRead),
      write_allow: l(p.filesystem.writeAllow),
      delete_allow: l(p.filesystem.deleteAllow),
      deny: l(p.filesystem.deny),
    },
    network: {
      ...Object.fromEntries(
        HTTP_METHODS.map((m) => [`http_${m.toLowerCase()}_allow`, l(p.network.allow[m])]),
      ),
      local_only_hosts: l(p.network.localOnlyHosts),
      deny_hosts: l(p.network.denyHosts),
      deny_ips: l(p.network.denyIps),
      allow_ports: p.network.allowPorts,
      timeout_seconds: p.network.timeoutSeconds,
      max_response_bytes: p.network.maxResponseBytes,
    },
    environment: {
      allow_vars: l(p.environment.allowVars),
      local_only_vars: l(p.environment.localOnlyVars),
      deny_vars: l(p.environment.denyVars),
    },
    subprocess: {
      allow_commands: l(p.subprocess.allowCommands),
      local_only_commands: l(p.subprocess.localOnlyCommands),
      deny_commands: l(p.subprocess.denyCommands),
      deny_args: table(p.subprocess.denyArgs),
      requires_approval_args: table(p.subprocess.requiresApprovalArgs),
      sandbox: p.subprocess.sandbox,
    },
    runtime: {
      max_seconds: p.runtime.maxSeconds,
      max_memory_mb: p.runtime.maxMemoryMb,
      max_callstack_size: p.runtime.maxCallstackSize ?? null,
      max_output_bytes: p.runtime.maxOutputBytes,
      max_calls_per_capability: p.runtime.maxCallsPerCapability,
      max_total_calls: p.runtime.maxTotalCalls ?? null,
      no_output_after_local_only_read: p.runtime.noOutputAfterLocalOnlyRead,
    },
    tools: p.tools,
  };
}
