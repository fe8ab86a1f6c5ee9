import type { CliIo } from "./io.js";

export async function hookCommand(_args: string[], io: CliIo): Promise<number> {
  io.stderr("aegis hook: not available yet\n");
  return 5;
}
