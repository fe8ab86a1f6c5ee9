import type { CliIo } from "./io.js";

export async function initCommand(_args: string[], io: CliIo): Promise<number> {
  io.stderr("aegis init: not available yet\n");
  return 5;
}
