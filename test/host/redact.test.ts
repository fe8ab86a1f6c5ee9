import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { REDACTED, SecretRedactor } from "../../src/host/redact.js";

const SECRET = "sk-live-4f9a8b7c6d5e3f21";

function redactorWith(...secrets: string[]): SecretRedactor {
  const r = new SecretRedactor();
  for (const s of secrets) r.add(s);
  return r;
}

/** Characters of `input` the redactor removed (the markers it added do not count). */
function removedCount(input: string, output: string): number {
  const markers = output.split(REDACTED).length - 1;
  return input.length - (output.length - markers * REDACTED.length);
}

test("leak of the raw secret: redacted wherever it appears", () => {
  const r = redactorWith(SECRET);
  assert.equal(r.redact(`key=${SECRET}; again:${SECRET}`), `key=${REDACTED}; again:${REDACTED}`);
  assert.equal(r.redact(SECRET), REDACTED);
});

test("text without secrets is returned unchanged", () => {
  const r = redactorWith(SECRET, "another-secret-value");
  const text = "nothing to see here: sk-live-4f9a8b7 is only a prefix, 0123456789abcdef, %41%42";
  assert.equal(r.redact(text), text);
  assert.equal(r.redact(""), "");
  assert.equal(new SecretRedactor().redact(text), text);
});

test("empty secrets are ignored (they would match everywhere)", () => {
  const r = redactorWith("");
  assert.equal(r.redact("abc"), "abc");
});

test("leak via base64 and base64url at every byte offset inside a longer encoded blob", () => {
  // Bytes chosen so that the standard and url alphabets differ (+/ vs -_).
  const secret = "tok\u00fb\u00ff\u00fe>?secret~~~";
  const r = redactorWith(secret);
  const secretBytes = Buffer.byteLength(secret);
  assert.match(Buffer.from(secret).toString("base64"), /[+/]/);
  for (let prefix = 0; prefix < 6; prefix++) {
    for (let suffix = 0; suffix < 4; suffix++) {
      const data = Buffer.concat([randomBytes(prefix), Buffer.from(secret), randomBytes(suffix)]);
      for (const encoding of ["base64", "base64url"] as const) {
        const encoded = `data:${data.toString(encoding)};`;
        const out = r.redact(encoded);
        assert.ok(out.includes(REDACTED), `${encoding} prefix=${prefix} suffix=${suffix}: ${out}`);
        // All characters fixed by the secret's bits are gone; at most the two edge characters
        // that mix in neighbouring bits remain.
        assert.ok(
          removedCount(encoded, out) >= Math.floor((secretBytes * 8) / 6) - 2,
          `${encoding} prefix=${prefix} suffix=${suffix}: only ${removedCount(encoded, out)} chars removed from ${encoded}`,
        );
      }
    }
  }
});

test("leak via base64 of the secret alone: padding included", () => {
  const r = redactorWith(SECRET);
  assert.equal(
    r.redact(`Authorization: Basic ${Buffer.from(SECRET).toString("base64")}`),
    `Authorization: Basic ${REDACTED}`,
  );
});

test("leak via hex, lower and upper case", () => {
  const r = redactorWith(SECRET);
  const hex = Buffer.from(SECRET).toString("hex");
  assert.equal(r.redact(`<${hex}>`), `<${REDACTED}>`);
  assert.equal(r.redact(`<${hex.toUpperCase()}>`), `<${REDACTED}>`);
});

test("leak via the reversed secret", () => {
  const r = redactorWith(SECRET);
  assert.equal(r.redact(`x ${[...SECRET].reverse().join("")} y`), `x ${REDACTED} y`);
});

test("leak via URL encoding: encodeURIComponent, form encoding and %-escape of every byte", () => {
  const secret = "p@ss w/rd?&=ünï";
  const r = redactorWith(secret);
  const everyByte = [...Buffer.from(secret)].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");
  for (const encoded of [
    encodeURIComponent(secret),
    new URLSearchParams({ q: secret }).toString().slice(2),
    everyByte,
    everyByte.toUpperCase(),
  ]) {
    assert.equal(
      r.redact(`https://evil.example/?q=${encoded}&x=1`),
      `https://evil.example/?q=${REDACTED}&x=1`,
      encoded,
    );
  }
});

test("leak via JSON string escapes: JSON.stringify and \\uXXXX forms", () => {
  const secret = 'pa"ss\\word\nline2\u2028';
  const r = redactorWith(secret);
  const doc = JSON.stringify({ value: secret });
  assert.equal(r.redact(doc), `{"value":"${REDACTED}"}`);
  const uLower = [...secret].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");
  assert.equal(r.redact(`"${uLower}"`), `"${REDACTED}"`);
  assert.equal(
    r.redact(`"${uLower.replace(/\\u([0-9a-f]{4})/g, (_, h: string) => `\\u${h.toUpperCase()}`)}"`),
    `"${REDACTED}"`,
  );
});

test("non-ASCII secrets: encodings use the UTF-8 bytes", () => {
  const secret = "clé-secrète-✓-🔑";
  const r = redactorWith(secret);
  assert.equal(r.redact(`raw ${secret}`), `raw ${REDACTED}`);
  assert.equal(r.redact(`hex ${Buffer.from(secret).toString("hex")}`), `hex ${REDACTED}`);
  assert.equal(r.redact(`b64 ${Buffer.from(secret).toString("base64")}`), `b64 ${REDACTED}`);
  assert.equal(r.redact(`rev ${[...secret].reverse().join("")}`), `rev ${REDACTED}`);
});

test("overlapping secrets: the union is redacted, no tail of either survives", () => {
  const r = redactorWith("abcdef12", "ef123456");
  assert.equal(r.redact("<<abcdef123456>>"), `<<${REDACTED}>>`);
  const nested = redactorWith("outer-secret-value", "secret-v");
  assert.equal(nested.redact("[outer-secret-value] [secret-v]"), `[${REDACTED}] [${REDACTED}]`);
  const adjacent = redactorWith("AAAA1111");
  assert.equal(adjacent.redact("AAAA1111AAAA1111"), REDACTED);
});

test("a secret read with a trailing newline is also redacted without it; lines of a key file on their own", () => {
  const r = redactorWith("tok_abcdef123\n");
  assert.equal(r.redact("echo: tok_abcdef123!"), `echo: ${REDACTED}!`);
  const keyFile =
    "-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END KEY-----\n";
  const k = redactorWith(keyFile);
  assert.equal(
    k.redact("line: MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu"),
    `line: ${REDACTED}`,
  );
});

test("redaction oracle: values under 8 characters are not redacted, so no guess of a short piece is ever blanked", () => {
  // A script that could get a one-byte slice of a secret registered would otherwise learn
  // it by printing candidates and watching which one comes back as the marker.
  const r = redactorWith("x", "xq7", "close", "1234567");
  assert.equal(r.redact("a x xq7 close 1234567 b"), "a x xq7 close 1234567 b");
  const eight = redactorWith("xq7-abcd");
  assert.equal(eight.redact("a xq7-abcd b"), `a ${REDACTED} b`);
});

test("secrets added after a redaction are redacted too", () => {
  const r = redactorWith(SECRET);
  assert.equal(r.redact("late-secret-0001"), "late-secret-0001");
  r.add("late-secret-0001");
  assert.equal(r.redact(`late-secret-0001 and ${SECRET}`), `${REDACTED} and ${REDACTED}`);
});

test("a 10 MB text with 50 secrets in mixed encodings is fully redacted", () => {
  const secrets = Array.from({ length: 50 }, () => randomBytes(18).toString("base64url"));
  const r = redactorWith(...secrets);
  const filler = "lorem ipsum dolor sit amet, 0123456789 ABCDEF abcdef; ".repeat(1000);
  const encoders: ((s: string) => string)[] = [
    (s) => s,
    (s) => Buffer.from(s).toString("hex"),
    (s) => Buffer.from(`xy${s}`).toString("base64"),
    (s) => encodeURIComponent(s),
    (s) => [...s].reverse().join(""),
  ];
  const parts: string[] = [];
  let size = 0;
  let k = 0;
  while (size < 10_000_000) {
    const secret = secrets[k % secrets.length]!;
    const piece = `${filler} ${encoders[k % encoders.length]!(secret)} `;
    parts.push(piece);
    size += piece.length;
    k++;
  }
  const text = parts.join("");
  const out = r.redact(text);
  for (const s of secrets) {
    assert.ok(!out.includes(s), "raw secret left");
    assert.ok(!out.includes(Buffer.from(s).toString("hex")), "hex left");
    assert.ok(!out.includes([...s].reverse().join("")), "reversed left");
  }
  assert.equal(out.split(REDACTED).length - 1, k);
  assert.ok(out.includes(filler), "the text around the secrets is kept");
});
