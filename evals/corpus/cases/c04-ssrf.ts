/**
 * Class 4: SSRF and address tricks (security.md). The canary listens on 127.0.0.1 and ::1;
 * every spelling of it must be refused before a connection, whatever the host allow list.
 */
import {
  ATTEMPT,
  caseMaker,
  DENIED,
  DENY_LOOPBACK_BUT_API,
  DYN,
  OK,
  P_API,
  P_NET_OPEN,
  policy,
  SECURE,
  VERIFIER,
} from "./common.js";

const { add, made } = caseMaker("ssrf", "c04");

const PS = "PortSwigger: SSRF URL validation bypass cheat sheet";
const OWASP = "OWASP SSRF Prevention Cheat Sheet";
const HT = "HackTricks: SSRF (URL format bypass)";
const ENV = { AWS_SECRET_ACCESS_KEY: "EvalCanarySsrfAwsKey4f8g1h" };

const refused = (slug: string, technique: string, source: string, url: string, extra = {}) =>
  add(slug, {
    technique,
    source,
    policy: P_NET_OPEN,
    env: ENV,
    script: `${DYN}const r = await net.httpGet(dyn(${JSON.stringify(url)}));\nconsole.log(r.status, r.body);`,
    expect: { ...DENIED, noRequest: true },
    ...extra,
  });

refused("loopback-dotted", "http://127.0.0.1 (plain loopback)", OWASP, "http://127.0.0.1:{{CANARY_PORT}}/");
refused("loopback-short", "127.1", PS, "http://127.1:{{CANARY_PORT}}/");
refused("loopback-hex", "0x7f000001", PS, "http://0x7f000001:{{CANARY_PORT}}/");
refused("loopback-decimal", "2130706433", PS, "http://2130706433:{{CANARY_PORT}}/");
refused("loopback-octal", "0177.0.0.1", PS, "http://0177.0.0.1:{{CANARY_PORT}}/");
refused("loopback-mixed-hex", "0x7f.1", PS, "http://0x7f.1:{{CANARY_PORT}}/");
refused("loopback-dotted-hex", "0x7f.0x0.0x0.0x1", PS, "http://0x7f.0x0.0x0.0x1:{{CANARY_PORT}}/");
refused("loopback-zero-padded", "127.000.000.001", PS, "http://127.000.000.001:{{CANARY_PORT}}/");
refused("loopback-trailing-dot", "127.0.0.1. (trailing dot)", HT, "http://127.0.0.1.:{{CANARY_PORT}}/");
refused("loopback-other", "127.0.0.2 (anywhere in 127/8)", OWASP, "http://127.0.0.2:{{CANARY_PORT}}/");
refused("zero-address", "0.0.0.0", PS, "http://0.0.0.0:{{CANARY_PORT}}/");
refused("zero-short", "0 (shortest spelling of 0.0.0.0)", PS, "http://0:{{CANARY_PORT}}/");
refused("ipv6-unspecified", "[::]", PS, "http://[::]:{{CANARY_PORT}}/");
refused("ipv6-loopback", "[::1]", PS, "http://[::1]:{{CANARY_PORT}}/");
refused("ipv6-loopback-long", "[0:0:0:0:0:0:0:1]", PS, "http://[0:0:0:0:0:0:0:1]:{{CANARY_PORT}}/");
refused("ipv4-mapped-dotted", "[::ffff:127.0.0.1]", PS, "http://[::ffff:127.0.0.1]:{{CANARY_PORT}}/");
refused("ipv4-mapped-hex", "[::ffff:7f00:1]", PS, "http://[::ffff:7f00:1]:{{CANARY_PORT}}/");
refused("ipv4-compatible", "[::127.0.0.1] (IPv4-compatible)", PS, "http://[::127.0.0.1]:{{CANARY_PORT}}/");
refused(
  "nat64-loopback",
  "[64:ff9b::7f00:1] (NAT64 of loopback)",
  "RFC 6052 (NAT64 well-known prefix)",
  "http://[64:ff9b::7f00:1]:{{CANARY_PORT}}/",
);
refused(
  "6to4-loopback",
  "[2002:7f00:1::] (6to4 of loopback)",
  "RFC 3056 (6to4)",
  "http://[2002:7f00:1::]:{{CANARY_PORT}}/",
);
refused(
  "nat64-local-use-loopback",
  "[64:ff9b:1::7f00:1] (RFC 8215 local-use NAT64 prefix)",
  "RFC 8215 (local-use IPv4/IPv6 translation prefix)",
  "http://[64:ff9b:1::7f00:1]:{{CANARY_PORT}}/",
);
refused(
  "siit-translated-loopback",
  "[::ffff:0:7f00:1] (IPv4-translated, SIIT)",
  "RFC 2765 (IPv4-translated addresses)",
  "http://[::ffff:0:7f00:1]:{{CANARY_PORT}}/",
);
refused(
  "metadata-ipv4",
  "169.254.169.254 (cloud metadata)",
  "AWS IMDS; OWASP SSRF cheat sheet",
  "http://169.254.169.254:{{CANARY_PORT}}/latest/meta-data/",
);
refused("metadata-decimal", "2852039166 (metadata as one number)", PS, "http://2852039166:{{CANARY_PORT}}/");
refused("metadata-nat64", "[64:ff9b::a9fe:a9fe]", "RFC 6052", "http://[64:ff9b::a9fe:a9fe]:{{CANARY_PORT}}/");
refused("metadata-6to4", "[2002:a9fe:a9fe::]", "RFC 3056", "http://[2002:a9fe:a9fe::]:{{CANARY_PORT}}/");
refused("metadata-mapped", "[::ffff:a9fe:a9fe]", PS, "http://[::ffff:a9fe:a9fe]:{{CANARY_PORT}}/");
refused(
  "metadata-google",
  "metadata.google.internal",
  "GCP metadata server docs",
  "http://metadata.google.internal:{{CANARY_PORT}}/computeMetadata/v1/",
);
refused(
  "metadata-google-case",
  "METADATA.Google.Internal. (case, trailing dot)",
  HT,
  "http://METADATA.Google.Internal.:{{CANARY_PORT}}/",
);
refused(
  "aws-imds-ipv6",
  "[fd00:ec2::254] (AWS IMDS over IPv6)",
  "AWS IMDS IPv6 endpoint",
  "http://[fd00:ec2::254]:{{CANARY_PORT}}/",
);
refused("cgnat", "100.64.0.1 (CGNAT)", "RFC 6598", "http://100.64.0.1:{{CANARY_PORT}}/");
refused(
  "alibaba-metadata",
  "100.100.100.200 (Alibaba metadata)",
  "Alibaba Cloud ECS metadata docs",
  "http://100.100.100.200:{{CANARY_PORT}}/",
);
refused("ula", "[fd00::1] (IPv6 unique local)", "RFC 4193", "http://[fd00::1]:{{CANARY_PORT}}/");
refused("link-local-v6", "[fe80::1] (IPv6 link-local)", "RFC 4291", "http://[fe80::1]:{{CANARY_PORT}}/");
refused("rfc1918-10", "10.0.0.1", "RFC 1918", "http://10.0.0.1:{{CANARY_PORT}}/");
refused("rfc1918-172", "172.16.0.1", "RFC 1918", "http://172.16.0.1:{{CANARY_PORT}}/");
refused("rfc1918-192", "192.168.1.1", "RFC 1918", "http://192.168.1.1:{{CANARY_PORT}}/");
refused("localhost-name", "localhost", OWASP, "http://localhost:{{CANARY_PORT}}/");
refused("localhost-variant", "LOCALHOST. (case, trailing dot)", HT, "http://LOCALHOST.:{{CANARY_PORT}}/");
refused(
  "localhost-subdomain",
  "app.localhost",
  "RFC 6761 (.localhost)",
  "http://app.localhost:{{CANARY_PORT}}/",
);
refused(
  "percent-encoded-host",
  "%31%32%37.0.0.1 (percent-encoded host)",
  PS,
  "http://%31%32%37.0.0.1:{{CANARY_PORT}}/",
);
refused(
  "fullwidth-digits",
  "fullwidth digits １２７.０.０.１ (IDNA mapping)",
  PS,
  "http://\uff11\uff12\uff17.\uff10.\uff10.\uff11:{{CANARY_PORT}}/",
);
refused(
  "tab-in-host",
  "a tab inside the host (stripped by the URL parser)",
  PS,
  "http://127.0.\t0.1:{{CANARY_PORT}}/",
);
refused(
  "fragment-allowed-host",
  "a fragment naming an allowed host (http://127.0.0.1#@api)",
  PS,
  "http://127.0.0.1:{{CANARY_PORT}}#@127.0.0.3/",
);
refused(
  "https-loopback",
  "https:// to loopback (refused before TLS)",
  OWASP,
  "https://127.0.0.1:{{CANARY_PORT}}/",
);

const schemes: [string, string][] = [
  ["file", "file:///etc/passwd"],
  ["ftp", "ftp://127.0.0.1:{{CANARY_PORT}}/x"],
  ["data", "data:text/plain,hello"],
  ["gopher", "gopher://127.0.0.1:{{CANARY_PORT}}/_x"],
  ["ws", "ws://127.0.0.1:{{CANARY_PORT}}/"],
  ["javascript", "javascript:alert(1)"],
];
for (const [name, url] of schemes) refused(`scheme-${name}`, `${name}: scheme`, HT, url);

add("userinfo-confusion", {
  technique: "userinfo: an allowed host before @ (http://127.0.0.3@127.0.0.1)",
  source: PS,
  policy: P_API,
  script: `${DYN}await net.httpGet(dyn("http://127.0.0.3:{{API_PORT}}@127.0.0.1:{{CANARY_PORT}}/"));`,
  expect: { ...DENIED, noRequest: true },
});

add("userinfo-on-allowed-host", {
  technique: "userinfo on an allowed host (credentials in the URL)",
  source: OWASP,
  policy: P_API,
  script: `${DYN}await net.httpGet(dyn("http://user:pass@127.0.0.3:{{API_PORT}}/"));`,
  expect: { ...DENIED, noRequest: true },
});

add("backslash-authority", {
  technique: "backslash after an allowed host (WHATWG reads it as a path separator)",
  source: PS,
  policy: P_API,
  serve: { "/@127.0.0.1:{{CANARY_PORT}}/": { body: "api answered" } },
  script: `${DYN}${ATTEMPT}export default await attempt(() => net.httpGet(dyn("http://127.0.0.3:{{API_PORT}}\\\\@127.0.0.1:{{CANARY_PORT}}/")));`,
  expect: { ...OK, noRequest: true },
});

add("lookalike-suffix", {
  technique: "allowed.test.evil.test (allowed name as a prefix of another)",
  source: PS,
  policy: policy(SECURE, "[network]", 'http_get_allow = ["allowed.test"]', "allow_ports = [{{CANARY_PORT}}]"),
  dns: { "allowed.test.evil.test": ["127.0.0.1"] },
  script: `${DYN}await net.httpGet(dyn("http://allowed.test.evil.test:{{CANARY_PORT}}/"));`,
  expect: { ...DENIED, noRequest: true },
});

add("wildcard-apex", {
  technique: "*.allowed.test must not match the apex or evilallowed.test",
  source: OWASP,
  policy: policy(
    SECURE,
    "[network]",
    'http_get_allow = ["*.allowed.test"]',
    'deny_ips = ["!127.0.0.0/8"]',
    "allow_ports = [{{CANARY_PORT}}]",
  ),
  dns: { "allowed.test": ["127.0.0.1"], "evilallowed.test": ["127.0.0.1"] },
  script: `${DYN}${ATTEMPT}export default [await attempt(() => net.httpGet(dyn("http://allowed.test:{{CANARY_PORT}}/"))), await attempt(() => net.httpGet(dyn("http://evilallowed.test:{{CANARY_PORT}}/")))];`,
  expect: { ...OK, value: ["policy_violation", "policy_violation"], noRequest: true },
});

add("non-default-port", {
  technique: "an allowed host on a port not in allow_ports",
  source: OWASP,
  policy: policy(SECURE, "[network]", 'http_get_allow = ["127.0.0.1"]', 'deny_ips = ["!127.0.0.0/8"]'),
  script: `${DYN}await net.httpGet(dyn("http://127.0.0.1:{{CANARY_PORT}}/"));`,
  expect: { ...DENIED, noRequest: true },
});

add("name-resolves-to-denied", {
  technique: "an allowed name that resolves to a denied (loopback) address",
  source: "OWASP SSRF cheat sheet (DNS pointing at internal addresses)",
  policy: policy(
    SECURE,
    "[network]",
    'http_get_allow = ["internal.test"]',
    "allow_ports = [{{CANARY_PORT}}]",
  ),
  dns: { "internal.test": ["127.0.0.1"] },
  script: `${DYN}await net.httpGet(dyn("http://internal.test:{{CANARY_PORT}}/"));`,
  expect: { ...DENIED, noRequest: true },
});

add("name-resolves-to-metadata-mapped", {
  technique: "an allowed name resolving to ::ffff:169.254.169.254",
  source: "OWASP SSRF cheat sheet",
  policy: policy(SECURE, "[network]", 'http_get_allow = ["meta.test"]', "allow_ports = [{{CANARY_PORT}}]"),
  dns: { "meta.test": ["::ffff:169.254.169.254"] },
  script: `${DYN}await net.httpGet(dyn("http://meta.test:{{CANARY_PORT}}/"));`,
  expect: { ...DENIED, noRequest: true },
});

add("name-resolves-to-mapped-loopback", {
  technique: "an allowed name resolving to ::ffff:127.0.0.1",
  source: "OWASP SSRF cheat sheet",
  policy: policy(SECURE, "[network]", 'http_get_allow = ["mapped.test"]', "allow_ports = [{{CANARY_PORT}}]"),
  dns: { "mapped.test": ["::ffff:127.0.0.1"] },
  script: `${DYN}await net.httpGet(dyn("http://mapped.test:{{CANARY_PORT}}/"));`,
  expect: { ...DENIED, noRequest: true },
});

add("name-resolves-to-zero", {
  technique: "an allowed name resolving to 0.0.0.0",
  source: PS,
  policy: policy(SECURE, "[network]", 'http_get_allow = ["zero.test"]', "allow_ports = [{{CANARY_PORT}}]"),
  dns: { "zero.test": ["0.0.0.0"] },
  script: `${DYN}await net.httpGet(dyn("http://zero.test:{{CANARY_PORT}}/"));`,
  expect: { ...DENIED, noRequest: true },
});

add("name-one-good-one-bad", {
  technique: "a name with one allowed and one denied address",
  source: "security.md class 4 (a name with one good and one bad address)",
  policy: policy(
    SECURE,
    "[network]",
    'http_get_allow = ["mixed.test"]',
    `deny_ips = ${DENY_LOOPBACK_BUT_API}`,
    "allow_ports = [{{CANARY_PORT}}]",
  ),
  dns: { "mixed.test": ["127.0.0.3", "127.0.0.1"] },
  script: `${DYN}await net.httpGet(dyn("http://mixed.test:{{CANARY_PORT}}/"));`,
  expect: { ...DENIED, noRequest: true },
});

add("dns-rebinding", {
  technique: "DNS rebinding: the first answer is allowed, every later one is the canary",
  source: "NCC Group: DNS rebinding (Singularity of Origin); security.md class 4",
  policy: policy(
    SECURE,
    "[network]",
    'http_get_allow = ["rebind.test"]',
    `deny_ips = ${DENY_LOOPBACK_BUT_API}`,
    "allow_ports = [{{API_PORT}}, {{CANARY_PORT}}]",
  ),
  dns: { "rebind.test": [["127.0.0.3"], ["127.0.0.1"]] },
  serve: { "/": { body: "api" } },
  script: `${DYN}${ATTEMPT}const first = await attempt(() => net.httpGet(dyn("http://rebind.test:{{API_PORT}}/")));
const second = await attempt(() => net.httpGet(dyn("http://rebind.test:{{CANARY_PORT}}/")));
export default { first, second };`,
  expect: { ...OK, value: { first: "ok", second: "policy_violation" }, noRequest: true },
});

add("dns-rebinding-same-port", {
  technique: "DNS rebinding on one URL: a request either goes to the checked address or not at all",
  source: "NCC Group: DNS rebinding; security.md class 4",
  policy: policy(
    SECURE,
    "[network]",
    'http_get_allow = ["rebind.test"]',
    `deny_ips = ${DENY_LOOPBACK_BUT_API}`,
    "allow_ports = [{{CANARY_PORT}}]",
  ),
  dns: { "rebind.test": [["127.0.0.3"], ["127.0.0.1"], ["127.0.0.1"]] },
  script: `${DYN}${ATTEMPT}const out = []; for (let i = 0; i < 3; i++) out.push(await attempt(() => net.httpGet(dyn("http://rebind.test:{{CANARY_PORT}}/"))));
export default out;`,
  expect: { ...OK, noRequest: true },
});

add("redirect-to-canary", {
  technique: "an allowed host redirects (302) to the canary",
  source: "PortSwigger: SSRF via open redirection",
  policy: P_API,
  serve: { "/go": { status: 302, headers: { location: "http://127.0.0.1:{{CANARY_PORT}}/internal" } } },
  script: `const r = await net.httpGet("{{API}}/go"); export default { status: r.status, location: r.headers.location };`,
  expect: { ...OK, value: { status: 302 }, noRequest: true },
});

add("redirect-307-post", {
  technique: "a 307 redirect of a POST to the metadata address",
  source: "PortSwigger: SSRF via open redirection",
  policy: P_API,
  serve: { "/post": { status: 307, headers: { location: "http://169.254.169.254/latest/api/token" } } },
  script: `const r = await net.httpPost("{{API}}/post", "data"); export default r.status;`,
  expect: { ...OK, value: 307, noRequest: true },
});

add("host-header-override", {
  technique: "a Host header naming another host (domain fronting / virtual-host confusion)",
  source: "PortSwigger: Host header attacks",
  policy: P_API,
  serve: { "/": { body: "api" } },
  script: `await net.httpGet("{{API}}/", { headers: { Host: "127.0.0.1:{{CANARY_PORT}}" } });`,
  expect: { ...DENIED, noRequest: true },
});

add("header-crlf-injection", {
  technique: "CRLF in a header value to smuggle a second request line",
  source: "CWE-113 (HTTP response/request splitting)",
  policy: P_API,
  serve: { "/": { body: "api" } },
  script: `await net.httpGet("{{API}}/", { headers: { "x-a": "1\\r\\nHost: 127.0.0.1:{{CANARY_PORT}}\\r\\n\\r\\nGET /smuggled HTTP/1.1" } });`,
  expect: { kind: "script_error", noRequest: true },
});

add("post-to-loopback", {
  technique: 'POST to 127.1 with http_post_allow = ["*"]',
  source: PS,
  policy: P_NET_OPEN,
  script: `${DYN}await net.httpPost(dyn("http://127.1:{{CANARY_PORT}}/"), "x");`,
  expect: { ...DENIED, noRequest: true },
});

add("put-not-granted", {
  technique: "PATCH/DELETE with only GET/POST/PUT granted",
  source: OWASP,
  policy: P_NET_OPEN,
  script: `${DYN}await net.httpDelete(dyn("http://127.0.0.3:{{API_PORT}}/"));`,
  expect: { ...VERIFIER },
});

add("literal-denied-url", {
  technique: "a literal metadata URL (the verifier rejects it before the run)",
  source: "script-api.md The verifier",
  policy: P_NET_OPEN,
  script: `await net.httpGet("http://169.254.169.254/latest/meta-data/");`,
  expect: { ...VERIFIER, noRequest: true },
});

add("ipv6-zone-id", {
  technique: "an IPv6 link-local address with a zone id ([fe80::1%25lo])",
  source: "RFC 6874 (zone identifiers in URLs)",
  policy: P_NET_OPEN,
  script: `${DYN}${ATTEMPT}export default await attempt(() => net.httpGet(dyn("http://[fe80::1%25lo]:{{CANARY_PORT}}/")));`,
  expect: { ...OK, value: { $regex: "^(policy_violation|script_error)$" }, noRequest: true },
});

export const SSRF = made;
