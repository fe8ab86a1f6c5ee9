/**
 * The hook that lets the main thread kill what a builtin started when it has to terminate
 * a sandbox worker (a run stuck in one native call): a builtin that spawns a process
 * reports it here, and the worker forwards each report to the main thread, which kills
 * the process groups still alive when it terminates that worker.
 *
 * Outside a sandbox worker no reporter is installed and tracking is a no-op.
 * Children must be spawned `detached` (their own process group, pgid = pid).
 */
export type ChildEvent = { pid: number; state: "spawned" | "exited" };

let reporter: ((event: ChildEvent) => void) | undefined;

/** Installed once by the sandbox worker at start. */
export function setChildReporter(report: ((event: ChildEvent) => void) | undefined): void {
  reporter = report;
}

/**
 * Call right after spawning a detached child; call the returned function when its group
 * is gone. Safe to call from anywhere (a no-op outside a sandbox worker).
 */
export function trackChildProcess(pid: number | undefined): () => void {
  if (pid === undefined || !reporter) return () => undefined;
  const report = reporter;
  report({ pid, state: "spawned" });
  let done = false;
  return () => {
    if (done) return;
    done = true;
    report({ pid, state: "exited" });
  };
}
