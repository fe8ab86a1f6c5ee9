/**
 * A Sandbox over a temporary project: a policy file, the fake builtins of
 * fixture-builtins.ts loaded in the worker, and an audit log in the temp dir.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConfirmRequest } from "../../../src/host/builtin-types.js";
import { Sandbox } from "../../../src/host/sandbox.js";

export const FIXTURE_BUILTINS = new URL("./fixture-builtins.ts", import.meta.url);

export const DEFAULT_POLICY = `
[filesystem]
read_allow  = ["data/**"]
write_allow = ["out/**"]

[runtime]
max_seconds = 30
max_memory_mb = 64
max_output_bytes = 65536
`;

export interface FixtureSandbox {
  sandbox: Sandbox;
  dir: string;
  confirmations: ConfirmRequest[];
  dispose(): Promise<void>;
}

export async function fixtureSandbox(
  options: { policy?: string; confirm?: (req: ConfirmRequest) => Promise<boolean> } = {},
): Promise<FixtureSandbox> {
  const dir = mkdtempSync(join(tmpdir(), "aegis-sandbox-"));
  mkdirSync(join(dir, "data"));
  mkdirSync(join(dir, "out"));
  const policyFile = join(dir, "aegis.toml");
  writeFileSync(policyFile, options.policy ?? DEFAULT_POLICY);
  const confirmations: ConfirmRequest[] = [];
  const sandbox = await Sandbox.create({
    policyFile,
    cwd: dir,
    home: dir,
    auditLog: join(dir, "audit.jsonl"),
    source: "run",
    env: {},
    builtinsModule: FIXTURE_BUILTINS,
    confirm: async (req) => {
      confirmations.push(req);
      return options.confirm ? options.confirm(req) : false;
    },
  });
  return {
    sandbox,
    dir,
    confirmations,
    dispose: async () => {
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
