/**
 * A real-enough RunContext for builtin tests: a policy loaded from TOML text with the
 * real loader, a recording audit sink, a simple sealed store and a raw-value redactor.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditEntry, RunContext, SealedRef } from "../../../src/host/builtin-types.js";
import { loadPolicy } from "../../../src/host/load-policy.js";
import type { ResolvedPolicy } from "../../../src/policy/types.js";

export interface TestRun {
  ctx: RunContext;
  audit: AuditEntry[];
  controller: AbortController;
  /** Seals `value` the way env.read of a local-only variable would. */
  secret(label: string, value: string): SealedRef;
  /** Everything the caller could see: calls, audit records. */
  visible(): string;
}

export interface PolicyDir {
  dir: string;
  policy: ResolvedPolicy;
  cleanup(): void;
}

export async function policyFromToml(toml: string, dir?: string): Promise<PolicyDir> {
  const root = dir ?? mkdtempSync(join(tmpdir(), "aegis-policy-"));
  const file = join(root, "aegis.toml");
  writeFileSync(file, toml);
  const policy = await loadPolicy(file, { cwd: root, home: root });
  return { dir: root, policy, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export function makeRun(policy: ResolvedPolicy, env: Record<string, string> = {}): TestRun {
  const store = new Map<number, string>();
  const secrets = new Set<string>();
  const audit: AuditEntry[] = [];
  const controller = new AbortController();
  const ctx: RunContext = {
    runId: "r-test",
    source: "run",
    policy,
    sealed: {
      seal(label, value) {
        const ref = { sealedId: store.size + 1, label };
        store.set(ref.sealedId, value);
        return ref;
      },
      reveal(ref) {
        const v = store.get(ref.sealedId);
        if (v === undefined) throw new Error(`unknown sealed id ${ref.sealedId}`);
        return v;
      },
    },
    redactor: {
      add(secret) {
        if (secret !== "") secrets.add(secret);
      },
      redact(text) {
        let out = text;
        for (const s of secrets) out = out.split(s).join("[REDACTED]");
        return out;
      },
    },
    audit: {
      async append(entry) {
        audit.push(structuredClone(entry));
      },
    },
    confirm: async () => true,
    signal: controller.signal,
    calls: [],
    localOnlyRead: false,
    env,
  };
  return {
    ctx,
    audit,
    controller,
    secret(label, value) {
      ctx.redactor.add(value);
      return ctx.sealed.seal(label, value);
    },
    visible: () => JSON.stringify({ calls: ctx.calls, audit }),
  };
}
