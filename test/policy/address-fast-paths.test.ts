/**
 * The address checks parse each string once and skip parsing for a host spelled exactly as
 * its IP pattern. Property tests (fast-check) against the slower reference forms they
 * replaced: same answer for every input, hostile spellings included.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import ipaddr from "ipaddr.js";
import { compileHostRule, normaliseHost, parseAddress } from "../../src/policy/patterns.js";

const RUNS = { numRuns: 2000 };

/** parseAddress as it was: ipaddr's own validity checks, then its generic parse. */
function referenceParse(text: string): string | undefined {
  const h = normaliseHost(text);
  try {
    if (ipaddr.IPv4.isValidFourPartDecimal(h) || ipaddr.IPv6.isValid(h)) return ipaddr.parse(h).toString();
  } catch {
    return undefined;
  }
  return undefined;
}

/** An IP host rule as it was: parse both sides, compare normalised forms. */
function referenceIpRule(pattern: string): (host: string) => boolean {
  const want = ipaddr.parse(normaliseHost(pattern)).toNormalizedString();
  return (host) => {
    const h = normaliseHost(host);
    return ipaddr.isValid(h) && ipaddr.parse(h).toNormalizedString() === want;
  };
}

const octet = fc.oneof(
  fc.nat(255).map(String),
  fc.constantFrom("0", "00", "01", "010", "0x7f", "0X7F", "256", "999", "4294967295", ""),
);
const v4ish = fc
  .array(octet, { minLength: 1, maxLength: 5 })
  .map((parts) => parts.join("."))
  .chain((s) => fc.constantFrom(s, `${s}.`, ` ${s}`, s.toUpperCase()));
const hextet = fc.oneof(
  fc.nat(0xffff).map((n) => n.toString(16)),
  fc.constantFrom("", "0", "ffff", "FFFF", "0000", "1:2", "g1"),
);
const v6ish = fc
  .array(hextet, { minLength: 1, maxLength: 9 })
  .map((parts) => parts.join(":"))
  .chain((s) =>
    fc.constantFrom(s, `[${s}]`, `::${s}`, `${s}::`, `::ffff:${s}`, `${s}%eth0`, `${s}:127.0.0.1`),
  );
const anyHost = fc.oneof(v4ish, v6ish, fc.string({ maxLength: 20 }), fc.domain());

describe("address parsing fast paths", () => {
  it("parseAddress agrees with ipaddr's validity checks + parse on every spelling", () => {
    fc.assert(
      fc.property(anyHost, (text) => {
        assert.equal(parseAddress(text)?.toString(), referenceParse(text), JSON.stringify(text));
      }),
      RUNS,
    );
  });

  it("an IP host rule matches exactly the hosts the parse-and-compare rule matched", () => {
    const patterns = fc.oneof(
      fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join(".")),
      fc.constantFrom("127.0.0.1", "::1", "[::1]", "::ffff:7f00:1", "2001:db8::1", "fe80::1"),
    );
    fc.assert(
      fc.property(patterns, anyHost, (pattern, host) => {
        const rule = compileHostRule(pattern, "test");
        const reference = referenceIpRule(pattern);
        assert.equal(rule.test(host), reference(host), `${pattern} vs ${JSON.stringify(host)}`);
        // The pattern's own spelling, in any case and bracketing, is matched by both.
        assert.equal(rule.test(pattern), true);
        assert.equal(rule.test(pattern.toUpperCase()), reference(pattern.toUpperCase()));
      }),
      RUNS,
    );
  });
});
