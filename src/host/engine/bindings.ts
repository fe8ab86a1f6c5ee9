/**
 * Which guest names a builtin table exposes: every `namespace.method` entry, plus the
 * snake_case alias of a camelCase method (`net.httpGet` → `net.http_get`) and the
 * camelCase alias of a snake_case one, unless the table names that alias itself.
 */
import type { BuiltinTable } from "../builtin-types.js";

const NAME = /^[a-z][A-Za-z0-9]*\.[A-Za-z_$][A-Za-z0-9_$]*$/;

const toSnake = (method: string): string => method.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const toCamel = (method: string): string => method.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** `[guestName, tableName]` pairs; names that are not `namespace.method` are not exposed. */
export function builtinBindings(table: BuiltinTable): [string, string][] {
  const names = Object.keys(table).filter((name) => NAME.test(name));
  const bound = new Map<string, string>(names.map((name) => [name, name]));
  for (const name of names) {
    const dot = name.indexOf(".");
    const space = name.slice(0, dot);
    const method = name.slice(dot + 1);
    for (const alias of [toSnake(method), toCamel(method)]) {
      const guestName = `${space}.${alias}`;
      if (!bound.has(guestName)) bound.set(guestName, name);
    }
  }
  return [...bound];
}
