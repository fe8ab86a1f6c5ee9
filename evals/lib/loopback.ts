/**
 * Loopback HTTP servers for the evals: every one listens on a 127.0.0.0/8 (or ::1) address
 * with a random port, records what it receives, and answers with a handler.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

export interface Recorder {
  host: string;
  port: number;
  /** `http://host:port` */
  origin: string;
  requests: Received[];
  /** TCP connections accepted, whether or not a request followed. */
  connections: number;
  close(): Promise<void>;
}

const answerOk: Handler = (_req, res) => {
  res.setHeader("content-type", "text/plain");
  res.end("ok");
};

/** Starts a recording server on `host`; `port` 0 picks a free one. */
export async function startRecorder(host: string, handler: Handler = answerOk, port = 0): Promise<Recorder> {
  const server = http.createServer({ keepAliveTimeout: 1000 });
  const state: Recorder = {
    host,
    port: 0,
    origin: "",
    requests: [],
    connections: 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
  server.on("connection", () => {
    state.connections += 1;
  });
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      state.requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      try {
        handler(req, res, body);
      } catch {
        res.statusCode = 500;
        res.end();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  state.port = (server.address() as AddressInfo).port;
  state.origin = host.includes(":") ? `http://[${host}]:${state.port}` : `http://${host}:${state.port}`;
  return state;
}

/** Everything a server received, as one text (URL decoded as well as raw). */
export function receivedText(requests: readonly Received[]): string {
  const parts: string[] = [];
  for (const r of requests) {
    parts.push(r.method, r.url, safeDecode(r.url), r.body, safeDecode(r.body));
    // Each query value on its own line: one chunk per request is then one line per chunk.
    const query = r.url.indexOf("?");
    if (query >= 0) for (const [, v] of new URLSearchParams(r.url.slice(query + 1))) parts.push(v);
    for (const [k, v] of Object.entries(r.headers)) parts.push(k, Array.isArray(v) ? v.join(",") : (v ?? ""));
  }
  return parts.join("\n");
}

function safeDecode(s: string): string {
  return s.replace(/(%[0-9a-fA-F]{2})+/g, (m) => {
    try {
      return decodeURIComponent(m);
    } catch {
      return m;
    }
  });
}
