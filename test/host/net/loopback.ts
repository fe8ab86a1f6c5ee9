/**
 * Loopback HTTP(S) servers for the network tests. Test traffic only ever goes to
 * 127.0.0.0/8: every server here listens on a loopback address and every fake resolver
 * answers loopback addresses.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  servername?: string | false | null;
}

export interface Loopback {
  host: string;
  port: number;
  /** `http://host:port` */
  origin: string;
  requests: SeenRequest[];
  /** TCP connections accepted, whether or not a request followed. */
  connections: number;
  close(): Promise<void>;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

const ok: Handler = (_req, res) => {
  res.setHeader("content-type", "text/plain");
  res.end("hello");
};

async function listen(
  server: http.Server | https.Server,
  host: string,
  scheme: string,
  handler: Handler,
): Promise<Loopback> {
  const state: Loopback = {
    host,
    port: 0,
    origin: "",
    requests: [],
    connections: 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  server.on(scheme === "https" ? "secureConnection" : "connection", () => {
    state.connections += 1;
  });
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const servername = scheme === "https" ? (req.socket as TLSSocket).servername : undefined;
      state.requests.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body,
        ...(servername === undefined ? {} : { servername }),
      });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  state.port = (server.address() as AddressInfo).port;
  state.origin = `${scheme}://${host}:${state.port}`;
  return state;
}

export function startHttp(host = "127.0.0.1", handler: Handler = ok): Promise<Loopback> {
  return listen(http.createServer({ keepAliveTimeout: 5_000 }), host, "http", handler);
}

export interface TestCert {
  key: string;
  cert: string;
}

/** A self-signed certificate for `name`, made with the openssl CLI; null when openssl is missing. */
export function makeCert(name: string): TestCert | null {
  const dir = mkdtempSync(join(tmpdir(), "aegis-cert-"));
  try {
    const r = spawnSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        `/CN=${name}`,
        "-addext",
        `subjectAltName=DNS:${name}`,
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    if (r.status !== 0) return null;
    return {
      key: readFileSync(join(dir, "key.pem"), "utf8"),
      cert: readFileSync(join(dir, "cert.pem"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function startHttps(cert: TestCert, host = "127.0.0.1", handler: Handler = ok): Promise<Loopback> {
  return listen(https.createServer({ key: cert.key, cert: cert.cert }), host, "https", handler);
}

/** A resolver that answers from a table and counts the questions it was asked. */
export function tableResolver(table: Record<string, string[] | ((call: number) => string[])>) {
  const calls: string[] = [];
  const resolver = async (name: string): Promise<string[]> => {
    calls.push(name);
    const entry = table[name];
    if (entry === undefined) throw Object.assign(new Error(`no such host ${name}`), { code: "ENOTFOUND" });
    return typeof entry === "function" ? entry(calls.filter((c) => c === name).length) : entry;
  };
  return { resolver, calls };
}
