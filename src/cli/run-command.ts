import type { CliIo } from "./io.js";

export async function runCommand(_args: string[], io: CliIo): Promise<number> {
  io.stderr("aegis run: not available yet\n");
  return 5;
}
