// The QuickJS module's declared memory minimum is lowered before compiling (wasm-binary.ts);
// everything else about the module stays as built.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, test } from "node:test";
import { lowerMemoryMinimum } from "../../../src/host/engine/wasm-binary.js";

interface Wasm {
  Module: (new (
    bytes: Uint8Array,
  ) => object) & {
    imports(module: object): { module: string; name: string; kind: string }[];
  };
  Instance: new (module: object, imports: object) => object;
  Memory: new (d: { initial: number; maximum?: number }) => object;
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;

const quickjs = (): Uint8Array =>
  readFileSync(createRequire(import.meta.url).resolve("@jitl/quickjs-wasmfile-release-sync/wasm"));

/** Instantiates with a memory of `pages` and stub imports; the error message when that fails. */
function instantiate(bytes: Uint8Array, pages: number): string {
  const module = new WebAssemblyApi.Module(bytes);
  const memory = new WebAssemblyApi.Memory({ initial: pages, maximum: 1024 });
  const imports: Record<string, Record<string, unknown>> = {};
  for (const imp of WebAssemblyApi.Module.imports(module)) {
    imports[imp.module] ??= {};
    imports[imp.module]![imp.name] = imp.kind === "memory" ? memory : () => 0;
  }
  try {
    new WebAssemblyApi.Instance(module, imports);
    return "ok";
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

describe("lowering the QuickJS module's memory minimum", () => {
  test("the module then instantiates with a memory of the lowered size, and not below it", () => {
    const original = quickjs();
    const { bytes, pages } = lowerMemoryMinimum(original);
    assert.ok(pages < 256, `lowered to ${pages} pages`);
    // The 5 MiB C stack and the static data below it must fit.
    assert.ok(pages * 65536 > 5 * 1024 * 1024, `${pages} pages hold the stack`);
    assert.equal(instantiate(bytes, pages), "ok");
    assert.match(instantiate(bytes, pages - 1), /smaller than initial/);
    assert.match(
      instantiate(original, pages),
      /smaller than initial/,
      "the original still declares 256 pages",
    );
    assert.equal(bytes.length, original.length - 1, "only the minimum's LEB128 shrank by a byte");
  });

  test("a module it cannot read is left unchanged", () => {
    const junk = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 2, 0xff, 0xff]);
    const result = lowerMemoryMinimum(junk);
    assert.equal(result.bytes, junk);
    assert.equal(result.pages, 256);
  });

  test("a module without static data or a stack keeps its own minimum", () => {
    // (module (import "a" "m" (memory 10)))
    const module = new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x02, 0x08, 0x01, 0x01, 0x61, 0x01, 0x6d, 0x02, 0x00,
      0x0a,
    ]);
    const result = lowerMemoryMinimum(module);
    assert.equal(result.bytes, module);
    assert.equal(result.pages, 10);
    assert.equal(instantiate(module, 10), "ok");
  });
});
