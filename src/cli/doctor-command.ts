import type { CliIo } from "./io.js";

export async function doctorCommand(_args: string[], io: CliIo): Promise<number> {
  io.stderr("aegis doctor: not available yet\n");
  return 5;
}
