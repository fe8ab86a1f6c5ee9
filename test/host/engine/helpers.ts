/**
 * Test doubles for the sandbox engine: a minimal resolved policy, a redactor, an audit
 * sink, and fake builtins that record what reached the host.
 */
import type {
  AuditEntry,
  AuditSink,
  BuiltinTable,
  HostValue,
  Redactor,
  RunContext,
} from "../../../src/host/builtin-types.js";
import type { EngineServices } from "../../../src/host/engine/run-script.js";
import type { HttpMethod, ResolvedPolicy } from "../../../src/policy/types.js";

export type RuntimeOverrides = Partial<ResolvedPolicy["runtime"]>;

export function testPolicy(runtime: RuntimeOverrides = {}): ResolvedPolicy {
  const methods: HttpMethod[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];
  return {
    file: null,
    chain: ["test"],
    root: "/tmp",
    home: "/tmp",
    metadata: {},
    requiresApproval: [],
    filesystem: { readAllow: [], localOnlyRead: [], writeAllow: [], deleteAllow: [], deny: [] },
    network: {
      allow: Object.fromEntries(methods.map((m) => [m, []])) as unknown as ResolvedPolicy["network"]["allow"],
      localOnlyHosts: [],
      denyHosts: [],
      denyIps: [],
      allowPorts: [80, 443],
      timeoutSeconds: 30,
      maxResponseBytes: 10 * 1024 * 1024,
    },
    environment: { allowVars: [], localOnlyVars: [], denyVars: [] },
    subprocess: {
      allowCommands: [],
      localOnlyCommands: [],
      denyCommands: [],
      denyArgs: {},
      requiresApprovalArgs: {},
      sandbox: "none",
    },
    runtime: {
      maxSeconds: 10,
      maxMemoryMb: 64,
      maxCallstackSize: undefined,
      maxOutputBytes: 1024 * 1024,
      maxCallsPerCapability: {},
      maxTotalCalls: undefined,
      noOutputAfterLocalOnlyRead: false,
      ...runtime,
    },
    tools: {},
    capabilities: [],
    reserved: { auditLogs: [], policyFiles: [] },
  };
}

/** Replaces every registered secret, raw and base64, with [REDACTED]. */
export class TestRedactor implements Redactor {
  readonly secrets: string[] = [];
  add(secret: string): void {
    if (secret.length >= 4 && !this.secrets.includes(secret)) this.secrets.push(secret);
  }
  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) {
      for (const form of [s, Buffer.from(s).toString("base64")]) out = out.split(form).join("[REDACTED]");
    }
    return out;
  }
}

export class MemoryAudit implements AuditSink {
  readonly entries: AuditEntry[] = [];
  async append(entry: AuditEntry): Promise<void> {
    this.entries.push(entry);
  }
}

/** Records every call that reached the host, with its arguments. */
export class CallLog {
  readonly calls: { name: string; args: HostValue[] }[] = [];
  record(name: string, args: HostValue[]): void {
    this.calls.push({ name, args });
  }
  names(): string[] {
    return this.calls.map((c) => c.name);
  }
}

export const SECRET = "sk-test-1234567890abcdefSECRET";

/** Fake builtins: echo, a sealed env var, a denial, a host crash, a slow call. */
export function fakeBuiltins(log: CallLog): BuiltinTable {
  return {
    "fs.read": async (args) => {
      log.record("fs.read", args);
      return `contents of ${String(args[0])}`;
    },
    "fs.write": async (args, ctx) => {
      log.record("fs.write", args);
      if (ctx.signal.aborted) throw new Error("aborted");
      return undefined;
    },
    "env.read": async (args, ctx: RunContext) => {
      log.record("env.read", args);
      if (args[0] === "OPENAI_API_KEY") {
        ctx.localOnlyRead = true;
        return ctx.sealed.seal("OPENAI_API_KEY", SECRET);
      }
      return "plain-value";
    },
    "net.httpGet": async (args) => {
      log.record("net.httpGet", args);
      return { status: 200, headers: { "content-type": "application/json" }, body: '{"ok":true,"n":[1,2]}' };
    },
    "net.httpPost": async (args, ctx) => {
      log.record("net.httpPost", args);
      const reveal = (v: HostValue): HostValue =>
        v !== null &&
        typeof v === "object" &&
        !Array.isArray(v) &&
        typeof (v as { sealedId?: unknown }).sealedId === "number"
          ? `revealed:${ctx.sealed.reveal(v as never).length}`
          : v;
      return { status: 201, headers: {}, body: JSON.stringify(args.map(reveal)) };
    },
    "subprocess.exec": async (args) => {
      log.record("subprocess.exec", args);
      throw new (await import("../../../src/errors.js")).AegisError(
        "policy_violation",
        `subprocess.exec denied: ${JSON.stringify(args[0])} is not in subprocess.allow_commands`,
      );
    },
    "fs.delete": async (args) => {
      log.record("fs.delete", args);
      throw new Error("disk on fire");
    },
    "fs.list": async (args, ctx) => {
      log.record("fs.list", args);
      await new Promise((r) => setTimeout(r, Number(args[0] ?? 10)));
      if (ctx.signal.aborted) throw new Error("aborted");
      return [];
    },
  };
}

export function testServices(
  overrides: Partial<EngineServices> & { runtime?: RuntimeOverrides; log?: CallLog } = {},
): EngineServices & { redactor: TestRedactor; audit: MemoryAudit } {
  const { runtime, log, ...rest } = overrides;
  return {
    policy: testPolicy(runtime),
    builtins: fakeBuiltins(log ?? new CallLog()),
    audit: new MemoryAudit(),
    redactor: new TestRedactor(),
    confirm: async () => false,
    env: {},
    source: "run",
    ...rest,
  } as EngineServices & { redactor: TestRedactor; audit: MemoryAudit };
}
