import assert from "node:assert/strict";
import { test } from "node:test";
import { builtinBindings } from "../../../src/host/engine/bindings.js";
import { runLimits, stackBytesFor } from "../../../src/host/engine/limits.js";
import { testPolicy } from "./helpers.js";

test("a per-run timeout shortens max_seconds but never extends it", () => {
  const policy = testPolicy({ maxSeconds: 10 });
  assert.equal(runLimits(policy).timeoutMs, 10_000);
  assert.equal(runLimits(policy, 2).timeoutMs, 2_000);
  assert.equal(runLimits(policy, 60).timeoutMs, 10_000);
});

test("max_callstack_size counts frames and is clamped to what the wasm stack holds", () => {
  assert.equal(stackBytesFor(undefined), 256 * 1024);
  assert.equal(stackBytesFor(1024), 1024 * 176);
  assert.equal(stackBytesFor(64 * 1024 * 1024), 4 * 1024 * 1024);
  assert.equal(stackBytesFor(1), 64 * 1024);
});

test("memory below the wasm module's floor is raised to it", () => {
  assert.equal(runLimits(testPolicy({ maxMemoryMb: 8 })).memoryMb, 24);
});

test("camelCase and snake_case names alias each other unless the table names both", () => {
  const noop = async () => null;
  const bindings = new Map(
    builtinBindings({ "net.httpGet": noop, "fs.read_text": noop, "x.a_b": noop, "x.aB": noop, bad: noop }),
  );
  assert.equal(bindings.get("net.http_get"), "net.httpGet");
  assert.equal(bindings.get("fs.readText"), "fs.read_text");
  assert.equal(bindings.get("x.aB"), "x.aB");
  assert.equal(bindings.get("x.a_b"), "x.a_b");
  assert.equal(bindings.has("bad"), false);
});
