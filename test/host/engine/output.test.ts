import assert from "node:assert/strict";
import { test } from "node:test";
import { OutputBuffer, truncateUtf8 } from "../../../src/host/engine/output.js";

test("output within the cap is returned whole", () => {
  const out = new OutputBuffer(100);
  assert.equal(out.appendLine("hello"), true);
  assert.equal(
    out.render((s) => s),
    "hello\n",
  );
});

test("output past the cap is truncated with a marker", () => {
  const out = new OutputBuffer(10);
  out.appendLine("12345");
  assert.equal(out.appendLine("67890"), false);
  assert.equal(
    out.render((s) => s),
    "12345\n6789\n[aegis: output truncated at runtime.max_output_bytes = 10]\n",
  );
});

test("redaction runs before truncation, so a secret straddling the cut is not half-shown", () => {
  const out = new OutputBuffer(10);
  out.appendLine("abcdefSECRETVALUE");
  const rendered = out.render((s) => s.replaceAll("SECRETVALUE", "[REDACTED]"));
  assert.ok(!rendered.includes("SECR"), rendered);
  assert.match(rendered, /^abcdef\[RED/);
});

test("truncation never splits a UTF-8 character", () => {
  assert.equal(truncateUtf8("aé€", 4), "aé");
  assert.equal(truncateUtf8("€€", 4), "€");
});
