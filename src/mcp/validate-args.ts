/**
 * Checks tool arguments against the tool's input schema. A call that fails is a malformed
 * request: a JSON-RPC invalid-params error, and nothing runs.
 */
import { ErrorCode } from "@modelcontextprotocol/sdk/types.js";
import type { ToolDef } from "./tools.js";

/**
 * A JSON-RPC error for a malformed request. Its message goes on the wire as written: the
 * client adds its own "MCP error -32602:" prefix (an McpError thrown here would carry it
 * twice).
 */
export class InvalidParamsError extends Error {
  readonly code = ErrorCode.InvalidParams;
}

interface PropertySchema {
  type?: string;
  enum?: string[];
}

function wrongType(schema: PropertySchema, value: unknown): boolean {
  switch (schema.type) {
    case "string":
      return typeof value !== "string";
    case "number":
      return typeof value !== "number" || !(value > 0);
    case "integer":
      return typeof value !== "number" || !Number.isSafeInteger(value) || value < 0;
    case "array":
      return !Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== "string");
    case "object":
      return (
        typeof value !== "object" ||
        value === null ||
        Array.isArray(value) ||
        Object.values(value).some((v) => typeof v !== "string")
      );
    default:
      return false;
  }
}

/**
 * What is wrong with `args` for `tool`, or undefined. `names` are the argument names as the
 * client sent them (see argument-names.ts); only the schema's own properties are known, so
 * `constructor`, `toString` or `__proto__` are unknown arguments like any other.
 */
export function validateArgs(
  tool: ToolDef,
  args: Record<string, unknown>,
  names: readonly string[] = Object.keys(args),
): string | undefined {
  const props = tool.inputSchema.properties;
  for (const key of [...names, ...Object.keys(args)])
    if (!Object.hasOwn(props, key)) return `unknown argument "${key}"`;
  for (const key of tool.inputSchema.required ?? [])
    if (!Object.hasOwn(args, key) || args[key] === undefined) return `missing argument "${key}"`;
  for (const [key, value] of Object.entries(args)) {
    const schema = props[key] as PropertySchema;
    if (wrongType(schema, value) || (schema.enum !== undefined && !schema.enum.includes(String(value)))) {
      const expected = schema.enum ? `one of ${schema.enum.join("|")}` : schema.type;
      return `argument "${key}" has the wrong type (expected ${expected})`;
    }
  }
  return undefined;
}
