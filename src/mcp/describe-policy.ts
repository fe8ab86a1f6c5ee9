/** What the policy grants, in words a model can plan with, plus the structured summary. */
import { policySummary } from "../policy/summary.js";
import { HTTP_METHODS, type ResolvedPolicy, type ToolHint } from "../policy/types.js";

const list = (xs: readonly { value: string }[]) =>
  xs.length ? xs.map((x) => x.value).join(", ") : "nothing";

export function describePolicy(p: ResolvedPolicy): { text: string; structured: Record<string, unknown> } {
  const fs = p.filesystem;
  const net = p.network;
  const lines = [
    `aegis policy ${p.file ?? "(built-in secure-defaults: grants nothing)"}; relative paths are under ${p.root}.`,
    `Granted capabilities: ${p.capabilities.join(", ") || "none"}.`,
    `Read: ${list(fs.readAllow)}. Local-only (sealed) read: ${list(fs.localOnlyRead)}.`,
    `Write: ${list(fs.writeAllow)}. Delete: ${list(fs.deleteAllow)}.`,
    `Never (filesystem.deny): ${list(fs.deny)}.`,
    ...HTTP_METHODS.map((m) => `HTTP ${m}: ${list(net.allow[m])}.`),
    `Local-only hosts (responses sealed; sealed values may be sent there): ${list(net.localOnlyHosts)}.`,
    `Ports: ${net.allowPorts.join(", ")}. Denied hosts: ${list(net.denyHosts)}. Denied IP ranges: ${net.denyIps.length}.`,
    `Environment: ${list(p.environment.allowVars)}; local-only (sealed): ${list(p.environment.localOnlyVars)}.`,
    `Commands: ${list(p.subprocess.allowCommands)}; local-only commands: ${list(p.subprocess.localOnlyCommands)}; jail: ${p.subprocess.sandbox}.`,
    `Needs operator confirmation: ${list(p.requiresApproval)}.`,
    `Limits: ${p.runtime.maxSeconds} s, ${p.runtime.maxMemoryMb} MB memory, ${p.runtime.maxOutputBytes} bytes of output per run.`,
    "Denied calls fail with an AegisError (err.kind, err.message naming the rule); a script may catch it.",
  ];
  return { text: lines.join("\n"), structured: { ...policySummary(p), tools: toolHints(p) } };
}

/** One `[tools.NAME]` routing hint, under the policy's own key names. */
function toolHintJson(hint: ToolHint): Record<string, unknown> {
  return {
    capabilities: hint.capabilities,
    ...(hint.backendUrl === undefined ? {} : { backend_url: hint.backendUrl }),
    ...(hint.backendMethod === undefined ? {} : { backend_method: hint.backendMethod }),
    ...(hint.description === undefined ? {} : { description: hint.description }),
    origin: hint.origin,
  };
}

/** Every routing hint by name, as aegis_policy and aegis_tool_routing show them. */
export function toolHints(p: ResolvedPolicy): Record<string, Record<string, unknown>> {
  return Object.fromEntries(Object.entries(p.tools).map(([name, hint]) => [name, toolHintJson(hint)]));
}
