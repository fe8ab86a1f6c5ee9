/**
 * The two servers every case gets: a canary on 127.0.0.1 (and ::1 on the same port when
 * it is free) that must see nothing unless the case says otherwise, and a stand-in API
 * on 127.0.0.3 that answers what the case's `serve` table says.
 */
import type http from "node:http";
import { type Recorder, startRecorder } from "../lib/loopback.js";
import { fillDeep } from "./project.js";
import type { Served } from "./schema.js";

export interface CaseServers {
  canary: Recorder;
  /** The same canary on ::1, when that port could be bound there too. */
  canaryV6?: Recorder;
  api: Recorder;
  /** Connections either canary accepted. */
  canaryConnections(): number;
  /** Installs the case's answers (placeholders filled). */
  serve(table: Record<string, Served> | undefined, vars: Record<string, string>): void;
  close(): Promise<void>;
}

export async function startCaseServers(): Promise<CaseServers> {
  let table: Record<string, Served> = {};
  const api = await startRecorder("127.0.0.3", (req, res) => answer(table, req, res));
  const canary = await startRecorder("127.0.0.1", (_req, res) => {
    res.setHeader("content-type", "text/plain");
    res.end("CANARY: this request should never have been made");
  });
  let canaryV6: Recorder | undefined;
  try {
    canaryV6 = await startRecorder("::1", undefined, canary.port);
  } catch {
    canaryV6 = undefined;
  }
  return {
    canary,
    ...(canaryV6 ? { canaryV6 } : {}),
    api,
    canaryConnections: () => canary.connections + (canaryV6?.connections ?? 0),
    serve: (t, vars) => {
      table = fillDeep(t ?? {}, vars);
    },
    close: async () => {
      await Promise.all([api.close(), canary.close(), canaryV6?.close()]);
    },
  };
}

function answer(table: Record<string, Served>, req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = req.url ?? "/";
  const path = url.split("?")[0] ?? "/";
  const served = table[url] ?? table[path];
  if (!served) {
    res.statusCode = 404;
    res.end(`no such path ${path}`);
    return;
  }
  for (const [name, value] of Object.entries(served.requireHeaders ?? {})) {
    if (req.headers[name.toLowerCase()] !== value) {
      res.statusCode = 401;
      res.end(`missing or wrong ${name}`);
      return;
    }
  }
  const send = () => {
    if (res.destroyed) return;
    res.statusCode = served.status ?? 200;
    for (const [name, value] of Object.entries(served.headers ?? {})) res.setHeader(name, value);
    res.end(served.body ?? "");
  };
  if (served.delayMs) setTimeout(send, served.delayMs).unref();
  else send();
}
