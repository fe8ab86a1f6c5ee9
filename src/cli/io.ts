/** What a CLI command may touch of its process: output streams and a few facts. */
export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export const processIo: CliIo = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
};

/** Exit code for usage and configuration errors (cli.md). */
export const EXIT_USAGE = 5;

export function usageError(io: CliIo, message: string, help: string): number {
  io.stderr(`aegis: ${message}\n\n${help}`);
  return EXIT_USAGE;
}
