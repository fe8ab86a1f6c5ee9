/** What a CLI command may touch of its process: output streams and a few facts. */
export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /**
   * True once the reader of stdout has gone (`aegis audit show FILE | head`): what is written
   * after that is dropped, and a command producing a long listing may stop early.
   */
  stdoutClosed?: () => boolean;
}

let stdoutGone = false;

export const processIo: CliIo = {
  stdout: (s) => {
    if (!stdoutGone) process.stdout.write(s);
  },
  stderr: (s) => process.stderr.write(s),
  stdoutClosed: () => stdoutGone,
};

/**
 * A reader that stops reading (`| head`) makes the next write fail with EPIPE, which Node
 * raises as an unhandled 'error' event: a stack trace instead of quiet output. That is not a
 * failure of the command, so its exit code stays its own; any other stream error still throws.
 */
export function tolerateClosedOutput(): void {
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    stdoutGone = true;
  });
  process.stderr.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
  });
}

/** Exit code for usage and configuration errors (cli.md). */
export const EXIT_USAGE = 5;

export function usageError(io: CliIo, message: string, help: string): number {
  io.stderr(`aegis: ${message}\n\n${help}`);
  return EXIT_USAGE;
}
