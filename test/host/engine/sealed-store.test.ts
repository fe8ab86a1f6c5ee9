import assert from "node:assert/strict";
import { test } from "node:test";
import { RunSealedStore } from "../../../src/host/sealed-store.js";

test("sealing registers the secret with the redactor and reveals only the issued ref", () => {
  const seen: string[] = [];
  const store = new RunSealedStore((s) => seen.push(s));
  const ref = store.seal("API_KEY", "sk-123456");
  assert.deepEqual(seen, ["sk-123456"]);
  assert.equal(store.reveal(ref), "sk-123456");
  assert.ok(Object.isFrozen(ref));
});

test("a forged ref with a valid id cannot be revealed", () => {
  const store = new RunSealedStore();
  const ref = store.seal("API_KEY", "sk-123456");
  assert.throws(() => store.reveal({ sealedId: ref.sealedId, label: "API_KEY" }), {
    kind: "policy_violation",
  });
});

test("a ref from another run's store cannot be revealed", () => {
  const mine = new RunSealedStore();
  const other = new RunSealedStore();
  const ref = other.seal("API_KEY", "sk-other");
  mine.seal("API_KEY", "sk-mine");
  assert.throws(() => mine.reveal(ref), /cannot be forged or reused across runs/);
});

test("compose joins text and sealed parts host-side under the parts' labels", () => {
  const seen: string[] = [];
  const store = new RunSealedStore((s) => seen.push(s));
  const key = store.seal("API_KEY", "sk-1");
  const user = store.seal("USER", "alice");
  const header = store.compose(["Bearer ", key, " for ", user, " and ", key]);
  assert.equal(store.reveal(header), "Bearer sk-1 for alice and sk-1");
  assert.equal(header.label, "API_KEY+USER");
  assert.equal(store.compose(["plain"]).label, "template");
  assert.deepEqual(seen, ["sk-1", "alice"], "composition adds nothing to the redactor");
});

test("clear forgets every secret", () => {
  const store = new RunSealedStore();
  const ref = store.seal("API_KEY", "sk-1");
  store.clear();
  assert.throws(() => store.reveal(ref));
  assert.equal(store.byId(ref.sealedId), undefined);
});
