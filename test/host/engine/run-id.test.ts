import assert from "node:assert/strict";
import { test } from "node:test";
import { newRunId } from "../../../src/host/engine/run-id.js";

test("run ids keep their shape and do not repeat across pool refills", () => {
  const ids = new Set<string>();
  // 5 000 ids span several refills of the 1 024-id random pool.
  for (let i = 0; i < 5000; i++) {
    const id = newRunId();
    assert.match(id, /^r-[0-9a-z]+-[0-9a-f]{8}$/);
    ids.add(id);
  }
  assert.equal(ids.size, 5000);
});
