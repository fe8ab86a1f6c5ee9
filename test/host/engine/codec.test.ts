import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeGuestArgs, encodeForGuest, MarshalError } from "../../../src/host/engine/codec.js";
import { RunSealedStore } from "../../../src/host/sealed-store.js";

test("guest payloads decode to plain host values; sealed ids become the issued refs", () => {
  const store = new RunSealedStore();
  const ref = store.seal("K", "secret-bytes");
  const text = JSON.stringify([
    [1, { a: [0, [1, "x", null]], b: [2, ref.sealedId], c: [4], d: [3, "NaN"] }],
    "s",
  ]);
  const [obj, s] = decodeGuestArgs(text, store, "net.httpPost");
  assert.equal(s, "s");
  const o = obj as Record<string, unknown>;
  assert.deepEqual(o.a, [1, "x", null]);
  assert.equal(o.b, ref, "the very ref the store issued");
  assert.ok("c" in o && o.c === undefined);
  assert.ok(Number.isNaN(o.d));
});

test("a __proto__ key stays an own data property (no host prototype pollution)", () => {
  const store = new RunSealedStore();
  const [obj] = decodeGuestArgs(
    JSON.stringify([[1, { ["__proto__"]: [1, { polluted: true }] }]]),
    store,
    "fs.write",
  );
  assert.equal(Object.getPrototypeOf(obj), Object.prototype);
  assert.ok(Object.hasOwn(obj as object, "__proto__"));
  assert.equal(({} as { polluted?: boolean }).polluted, undefined);
});

test("an object shaped like a SealedRef is refused", () => {
  const store = new RunSealedStore();
  store.seal("K", "v");
  assert.throws(
    () => decodeGuestArgs(JSON.stringify([[1, { sealedId: 1, label: "K" }]]), store, "net.httpPost"),
    (e) => e instanceof MarshalError && /sealed values cannot be forged/.test(e.message),
  );
});

test("an unknown sealed id is refused", () => {
  const store = new RunSealedStore();
  assert.throws(() => decodeGuestArgs("[[2,7]]", store, "fs.write"), MarshalError);
});

test("results with sealed refs use the tagged form; others plain JSON; foreign refs are refused", () => {
  const store = new RunSealedStore();
  const ref = store.seal("K", "v");
  assert.deepEqual(encodeForGuest({ a: [1, "x"] }, store), { text: '{"a":[1,"x"]}', tagged: false });
  assert.deepEqual(encodeForGuest({ k: ref, n: null }, store), {
    text: JSON.stringify([1, { k: [2, ref.sealedId, "K"], n: null }]),
    tagged: true,
  });
  const foreign = new RunSealedStore().seal("K", "v");
  assert.throws(() => encodeForGuest([foreign], store), MarshalError);
});
