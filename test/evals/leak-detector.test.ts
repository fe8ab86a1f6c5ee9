// The probe's leak detector (evals/lib/leak.ts) on texts a script could have produced: a
// detector that misses an encoding would let the exfiltration probe report BLOCKED for a leak.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { findLeak } from "../../evals/lib/leak.js";

// Alphanumeric, as the probe plants them (evals/exfil/setup.ts), with runs of 2 and 3.
const secret = { name: "SECRET_VAR", value: "SVQw8aaRt3ZZZm0pLx7NNvK2dd" };

function rle(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (s[j] === s[i]) j++;
    out += s[i] + String(j - i);
    i = j;
  }
  return out;
}

describe("leak detector", () => {
  test("finds a run-length encoding of a secret that has runs (aa, ZZZ, NN)", () => {
    const found = findLeak(`{"rle":"${rle(secret.value)}"}`, [secret]);
    assert.ok(found, "the run-length encoding was not recognised");
    assert.equal(found.secret, "SECRET_VAR");
  });

  test("finds a run-length encoding that starts one character into the text", () => {
    assert.ok(findLeak(`x${rle(secret.value)}`, [secret]));
  });

  test("does not report a text that only shares the secret's alphabet", () => {
    assert.equal(findLeak(rle("a different value of some length 0123"), [secret]), undefined);
  });
});
