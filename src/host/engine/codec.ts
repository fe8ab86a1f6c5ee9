/**
 * Host side of the wire format the prelude speaks (see guest/prelude.ts): guest argument
 * payloads become HostValues, builtin results become text the guest decodes.
 *
 * A sealed value crosses only as an id the guest's private registry attached to a genuine
 * Sealed object; here it is swapped for the exact SealedRef the run's store issued.
 */
import { type HostValue, isSealedRef } from "../builtin-types.js";
import type { RunSealedStore } from "../sealed-store.js";

/** A value the guest sent that cannot become a HostValue; surfaces as a guest TypeError. */
export class MarshalError extends Error {
  override readonly name = "MarshalError";
}

const MAX_HOST_DEPTH = 128;

type Wire = null | boolean | number | string | Wire[];

function defineData(target: Record<string, HostValue>, key: string, value: HostValue): void {
  // defineProperty, not assignment: a "__proto__" key stays an ordinary own property.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function decodeItem(item: unknown, store: RunSealedStore, where: string): HostValue {
  if (item === null || typeof item !== "object") return item as HostValue;
  const wire = item as Wire[];
  switch (wire[0]) {
    case 0:
      return (wire[1] as Wire[]).map((x, i) => decodeItem(x, store, `${where}[${i}]`));
    case 1: {
      const source = wire[1] as unknown as Record<string, Wire>;
      const out: Record<string, HostValue> = {};
      for (const key of Object.keys(source)) {
        // A plain object shaped like a SealedRef would pass isSealedRef() in a builtin: refuse it,
        // so the only SealedRefs a builtin ever sees are the ones this run's store issued.
        if (key === "sealedId") {
          throw new MarshalError(
            `${where}: an object with a "sealedId" key cannot be passed (sealed values cannot be forged)`,
          );
        }
        defineData(out, key, decodeItem(source[key], store, `${where}.${key}`));
      }
      return out;
    }
    case 2: {
      const ref = store.byId(wire[1] as number);
      if (!ref) throw new MarshalError(`${where}: unknown sealed value`);
      return ref;
    }
    case 3:
      return Number(wire[1]);
    case 4:
      return undefined;
    default:
      throw new MarshalError(`${where}: malformed value`);
  }
}

/** The prelude's `encodeArgs` output → one HostValue per argument. */
export function decodeGuestArgs(text: string, store: RunSealedStore, callee: string): HostValue[] {
  const list = JSON.parse(text) as unknown[];
  return list.map((item, i) => decodeItem(item, store, `${callee} argument ${i + 1}`));
}

function containsSealed(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== "object") return false;
  if (depth > MAX_HOST_DEPTH) throw new MarshalError("builtin result is nested too deeply");
  if (isSealedRef(value)) return true;
  const items = Array.isArray(value) ? value : Object.values(value);
  return items.some((x) => containsSealed(x, depth + 1));
}

function tagged(value: unknown, store: RunSealedStore): unknown {
  if (value === undefined) return [4];
  if (value === null || typeof value !== "object") {
    return typeof value === "number" && !Number.isFinite(value) ? null : value;
  }
  if (isSealedRef(value)) {
    if (!store.owns(value))
      throw new MarshalError("builtin returned a sealed reference this run did not issue");
    return [2, value.sealedId, value.label];
  }
  if (Array.isArray(value)) return [0, value.map((x) => tagged(x, store))];
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined && typeof item !== "function") {
      Object.defineProperty(out, key, {
        value: tagged(item, store),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return [1, out];
}

/** A builtin's result as text for the prelude's `decodeResult`; `tagged` says which format. */
export function encodeForGuest(value: HostValue, store: RunSealedStore): { text: string; tagged: boolean } {
  if (containsSealed(value, 0)) return { text: JSON.stringify(tagged(value, store)), tagged: true };
  const text = JSON.stringify(value);
  if (text === undefined) throw new MarshalError("builtin returned a value that is not plain data");
  return { text, tagged: false };
}
