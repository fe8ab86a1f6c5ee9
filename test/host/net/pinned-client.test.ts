import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AegisError } from "../../../src/errors.js";
import { type HttpLimits, PinnedHttpClient } from "../../../src/host/net/pinned-client.js";
import type { Decision } from "../../../src/policy/types.js";
import { type Loopback, makeCert, startHttp, startHttps, tableResolver } from "./loopback.js";

const ALLOW: Decision = { decision: "allow", reason: "allowed", rule: "test", sealed: false };
const limits: HttpLimits = { timeoutMs: 5_000, maxResponseBytes: 1 << 20 };

/** Denies when any address is in `denied`; records what it was asked. */
function denyAddresses(denied: string[]) {
  const seen: string[][] = [];
  const check = (addresses: readonly string[]): Decision => {
    seen.push([...addresses]);
    const bad = addresses.find((a) => denied.includes(a));
    return bad
      ? {
          decision: "deny",
          reason: `net.http denied: ${bad} matches network.deny_ips`,
          rule: "deny_ips",
          sealed: false,
        }
      : ALLOW;
  };
  return { check, seen };
}

const get = (display: string) => ({ method: "GET", headers: {}, display });

async function rejectsWith(p: Promise<unknown>, kind: string, pattern?: RegExp): Promise<AegisError> {
  const err = await p.then(
    () => assert.fail("expected a rejection"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AegisError, `expected AegisError, got ${String(err)}`);
  assert.equal(err.kind, kind, err.message);
  if (pattern) assert.match(err.message, pattern);
  return err;
}

describe("pinned HTTP client", () => {
  let good: Loopback;
  let bad: Loopback;
  before(async () => {
    good = await startHttp("127.0.0.1");
    bad = await startHttp("127.0.0.2");
  });
  after(async () => {
    await good.close();
    await bad.close();
  });

  it("refuses a name that resolves to a denied address, and dials nothing", async () => {
    const { resolver } = tableResolver({ "internal.test": ["127.0.0.2"] });
    const client = new PinnedHttpClient({ resolver });
    const { check, seen } = denyAddresses(["127.0.0.2"]);
    const url = new URL(`http://internal.test:${bad.port}/`);
    await rejectsWith(client.request(url, get(url.href), limits, check), "policy_violation", /127\.0\.0\.2/);
    assert.deepEqual(seen, [["127.0.0.2"]]);
    assert.equal(bad.connections, 0);
    await client.close();
  });

  it("refuses a name with one good and one denied address (every answer is checked)", async () => {
    const { resolver } = tableResolver({ "mixed.test": ["127.0.0.1", "127.0.0.2"] });
    const client = new PinnedHttpClient({ resolver });
    const { check, seen } = denyAddresses(["127.0.0.2"]);
    const url = new URL(`http://mixed.test:${good.port}/`);
    const before = good.connections;
    await rejectsWith(client.request(url, get(url.href), limits, check), "policy_violation");
    assert.deepEqual(seen, [["127.0.0.1", "127.0.0.2"]]);
    assert.equal(good.connections, before);
    assert.equal(bad.connections, 0);
    await client.close();
  });

  it("stops DNS rebinding: the second answer is never dialled", async () => {
    // Both servers share one port number so a rebound connection would land on `rebound`.
    const port = good.port;
    const rebound = await startHttp("127.0.0.2").then(async (s) => {
      await s.close();
      return startHttpOnPort("127.0.0.2", port);
    });
    try {
      const { resolver, calls } = tableResolver({
        "rebind.test": (n) => (n === 1 ? ["127.0.0.1"] : ["127.0.0.2"]),
      });
      const client = new PinnedHttpClient({ resolver });
      const { check } = denyAddresses(["127.0.0.2"]);
      const url = new URL(`http://rebind.test:${port}/first`);
      const r = await client.request(url, get(url.href), limits, check);
      assert.equal(r.status, 200);
      assert.equal(r.body, "hello");
      assert.deepEqual(calls, ["rebind.test"], "resolved exactly once for the first request");
      // The next request resolves again (fresh answer) and is checked again: refused.
      await rejectsWith(client.request(url, get(url.href), limits, check), "policy_violation");
      assert.deepEqual(calls, ["rebind.test", "rebind.test"]);
      assert.equal(rebound.connections, 0, "the rebound address was never dialled");
      assert.equal(rebound.requests.length, 0);
      await client.close();
    } finally {
      await rebound.close();
    }
  });

  it("checks IP literals like names and never asks the resolver about them", async () => {
    const { resolver, calls } = tableResolver({});
    const client = new PinnedHttpClient({ resolver });
    const { check, seen } = denyAddresses(["127.0.0.2"]);
    const url = new URL(`http://127.0.0.2:${bad.port}/`);
    await rejectsWith(client.request(url, get(url.href), limits, check), "policy_violation");
    assert.deepEqual(seen, [["127.0.0.2"]]);
    assert.deepEqual(calls, []);
    assert.equal(bad.connections, 0);
    // An IPv4-mapped literal reaches the check in the URL parser's normal form.
    const v6 = new URL(`http://[::ffff:127.0.0.2]:${bad.port}/`);
    const refuse = (addresses: readonly string[]): Decision => {
      seen.push([...addresses]);
      return { decision: "deny", reason: "mapped", rule: "t", sealed: false };
    };
    await rejectsWith(client.request(v6, get(v6.href), limits, refuse), "policy_violation");
    assert.deepEqual(seen.at(-1), ["::ffff:7f00:2"]);
    assert.equal(bad.connections, 0);
    await client.close();
  });

  it("re-checks every request even when a kept-alive connection exists", async () => {
    const { resolver } = tableResolver({ "a.test": ["127.0.0.1"] });
    const client = new PinnedHttpClient({ resolver });
    const url = new URL(`http://a.test:${good.port}/`);
    const r1 = await client.request(url, get(url.href), limits, () => ALLOW);
    assert.equal(r1.status, 200);
    const deny: Decision = { decision: "deny", reason: "now denied", rule: "t", sealed: false };
    const n = good.requests.length;
    await rejectsWith(
      client.request(url, get(url.href), limits, () => deny),
      "policy_violation",
      /now denied/,
    );
    assert.equal(good.requests.length, n);
    await client.close();
  });
});

describe("redirects", () => {
  let denied: Loopback;
  let redirector: Loopback;
  before(async () => {
    denied = await startHttp("127.0.0.2");
    redirector = await startHttp("127.0.0.1", (req, res) => {
      const to = req.url === "/file" ? "file:///etc/passwd" : `${denied.origin}/internal`;
      res.writeHead(302, { location: to });
      res.end();
    });
  });
  after(async () => {
    await denied.close();
    await redirector.close();
  });

  it("returns a 3xx to a denied host as the response and does not follow it", async () => {
    const client = new PinnedHttpClient({ resolver: tableResolver({ "r.test": ["127.0.0.1"] }).resolver });
    const url = new URL(`http://r.test:${redirector.port}/`);
    const r = await client.request(url, get(url.href), limits, () => ALLOW);
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, `${denied.origin}/internal`);
    assert.equal(denied.connections, 0);
    await client.close();
  });

  it("returns a redirect to file: as the response", async () => {
    const client = new PinnedHttpClient({ resolver: tableResolver({ "r.test": ["127.0.0.1"] }).resolver });
    const url = new URL(`http://r.test:${redirector.port}/file`);
    const r = await client.request(url, get(url.href), limits, () => ALLOW);
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, "file:///etc/passwd");
    assert.equal(r.body, "");
    await client.close();
  });
});

describe("limits", () => {
  let server: Loopback;
  const sockets = new Set<import("node:net").Socket>();
  before(async () => {
    server = await startHttp("127.0.0.1", (req, res) => {
      sockets.add(req.socket);
      if (req.url === "/trickle") {
        // One byte every 100 ms for 10 s: each read is quick, the whole is not.
        res.writeHead(200, { "content-type": "text/plain" });
        let n = 0;
        const t = setInterval(() => {
          if (res.destroyed || n++ > 100) {
            clearInterval(t);
            res.end();
            return;
          }
          res.write("x");
        }, 100);
        req.socket.on("close", () => clearInterval(t));
      } else if (req.url === "/declared") {
        res.writeHead(200, { "content-length": String(50 * 1024 * 1024) });
        res.write("x".repeat(1024));
      } else if (req.url === "/stream") {
        res.writeHead(200, { "content-type": "application/octet-stream" });
        const chunk = Buffer.alloc(64 * 1024, 120);
        const pump = () => {
          while (!res.destroyed && res.write(chunk)) {
            /* fill the socket buffer */
          }
          if (!res.destroyed) res.once("drain", pump);
        };
        pump();
      } else if (req.url === "/cut") {
        res.writeHead(200, { "content-length": "100" });
        res.write("x".repeat(10), () => req.socket.destroy());
      } else if (req.url === "/shape") {
        res.writeEarlyHints({ link: "</x.css>; rel=preload" });
        res.writeHead(201, [
          ["X-Multi", "one"],
          ["x-multi", "two"],
          ["Content-Type", "text/plain; charset=utf-8"],
        ]);
        res.end("héllo ✓");
      } else if (req.url === "/slow-headers") {
        setTimeout(() => res.end("late"), 10_000).unref();
      } else {
        res.end("ok");
      }
    });
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await server.close();
  });

  const client = () =>
    new PinnedHttpClient({ resolver: tableResolver({ "l.test": ["127.0.0.1"] }).resolver });

  it("applies timeout_seconds as a total deadline against a server that trickles bytes", async () => {
    const c = client();
    const url = new URL(`http://l.test:${server.port}/trickle`);
    const t0 = performance.now();
    await rejectsWith(
      c.request(url, get(url.href), { ...limits, timeoutMs: 700 }, () => ALLOW),
      "runtime_limit",
      /network\.timeout_seconds/,
    );
    const elapsed = performance.now() - t0;
    assert.ok(elapsed >= 650 && elapsed < 2_000, `took ${elapsed} ms`);
    await c.close();
  });

  it("refuses a response whose declared length exceeds max_response_bytes before reading it", async () => {
    const c = client();
    const url = new URL(`http://l.test:${server.port}/declared`);
    await rejectsWith(
      c.request(url, get(url.href), { ...limits, maxResponseBytes: 1024 * 1024 }, () => ALLOW),
      "runtime_limit",
      /declares 52428800 bytes.*max_response_bytes = 1048576/,
    );
    await c.close();
  });

  it("aborts a streamed response at max_response_bytes", async () => {
    const c = client();
    const url = new URL(`http://l.test:${server.port}/stream`);
    const t0 = performance.now();
    await rejectsWith(
      c.request(url, get(url.href), { ...limits, maxResponseBytes: 256 * 1024 }, () => ALLOW),
      "runtime_limit",
      /passed 262144 bytes while streaming/,
    );
    assert.ok(performance.now() - t0 < 2_000);
    await c.close();
  });

  it("reports a body cut off mid-stream as io_error instead of waiting for the deadline", async () => {
    const c = client();
    const url = new URL(`http://l.test:${server.port}/cut`);
    const t0 = performance.now();
    await rejectsWith(
      c.request(url, get(url.href), limits, () => ALLOW),
      "io_error",
    );
    assert.ok(performance.now() - t0 < 2_000);
    await c.close();
  });

  it("aborts a pending request when the run's signal fires", async () => {
    const c = client();
    const url = new URL(`http://l.test:${server.port}/slow-headers`);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await rejectsWith(
      c.request(url, get(url.href), { ...limits, signal: ac.signal }, () => ALLOW),
      "runtime_limit",
      /run ended/,
    );
    await c.close();
  });

  it("one run signal aborts every request still pending on it, after others on it completed", async () => {
    const c = client();
    const ac = new AbortController();
    const run = { ...limits, signal: ac.signal };
    const ok = new URL(`http://l.test:${server.port}/ok`);
    for (let i = 0; i < 3; i++)
      assert.equal((await c.request(ok, get(ok.href), run, () => ALLOW)).body, "ok");
    const slow = new URL(`http://l.test:${server.port}/slow-headers`);
    const pending = [0, 1, 2].map(() => c.request(slow, get(slow.href), run, () => ALLOW));
    setTimeout(() => ac.abort(), 100);
    for (const p of pending) await rejectsWith(p, "runtime_limit", /run ended/);
    // Started after the run ended: refused without waiting for the server.
    const t0 = performance.now();
    await rejectsWith(
      c.request(slow, get(slow.href), run, () => ALLOW),
      "runtime_limit",
      /run ended/,
    );
    assert.ok(performance.now() - t0 < 2_000);
    await c.close();
  });

  it("returns the final status (an informational 103 skipped), lower-cased headers with repeats joined, and the UTF-8 body", async () => {
    const c = client();
    const url = new URL(`http://l.test:${server.port}/shape`);
    const r = await c.request(url, get(url.href), limits, () => ALLOW);
    assert.equal(r.status, 201);
    assert.equal(r.headers["x-multi"], "one, two");
    assert.equal(r.headers["content-type"], "text/plain; charset=utf-8");
    assert.equal(r.headers.link, undefined, "the 103's headers are not the response's");
    assert.equal(r.body, "héllo ✓");
    await c.close();
  });

  it("reports a refused connection as io_error", async () => {
    const closed = await startHttp("127.0.0.1");
    const port = closed.port;
    await closed.close();
    const c = client();
    const url = new URL(`http://l.test:${port}/`);
    await rejectsWith(
      c.request(url, get(url.href), limits, () => ALLOW),
      "io_error",
      /ECONNREFUSED/,
    );
    await c.close();
  });
});

describe("TLS to a pinned address", () => {
  const cert = makeCert("aegis.test");
  const skip = cert ? false : "openssl CLI not available to make a test certificate";
  let server: Loopback;
  before(async () => {
    if (cert) server = await startHttps(cert);
  });
  after(async () => {
    await server?.close();
  });

  it("sends the original host as SNI and verifies the certificate against it", { skip }, async () => {
    const client = new PinnedHttpClient({
      resolver: tableResolver({ "aegis.test": ["127.0.0.1"] }).resolver,
      tls: { ca: cert!.cert },
    });
    const url = new URL(`https://aegis.test:${server.port}/tls`);
    const r = await client.request(url, get(url.href), limits, () => ALLOW);
    assert.equal(r.status, 200);
    assert.equal(server.requests.at(-1)?.servername, "aegis.test");
    assert.equal(server.requests.at(-1)?.headers.host, `aegis.test:${server.port}`);
    await client.close();
  });

  it("refuses a certificate that does not name the requested host", { skip }, async () => {
    const client = new PinnedHttpClient({
      resolver: tableResolver({ "other.test": ["127.0.0.1"] }).resolver,
      tls: { ca: cert!.cert },
    });
    const url = new URL(`https://other.test:${server.port}/`);
    const n = server.requests.length;
    await rejectsWith(
      client.request(url, get(url.href), limits, () => ALLOW),
      "io_error",
      /other\.test/,
    );
    assert.equal(server.requests.length, n);
    await client.close();
  });
});

async function startHttpOnPort(host: string, port: number): Promise<Loopback> {
  const { createServer } = await import("node:http");
  const server = createServer((_req, res) => res.end("rebound"));
  const state: Loopback = {
    host,
    port,
    origin: `http://${host}:${port}`,
    requests: [],
    connections: 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  server.on("connection", () => {
    state.connections += 1;
  });
  server.on("request", (req) =>
    state.requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: "" }),
  );
  await new Promise<void>((r) => server.listen(port, host, r));
  return state;
}
