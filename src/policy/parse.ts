/**
 * Parses one policy file's text into a validated layer (before inheritance).
 * Collects every problem with file, line and column instead of stopping at the first.
 */
import { parse as parseToml, TomlError } from "smol-toml";
import { hostPatternProblem, ipPatternProblem, namePatternProblem, pathPatternProblem } from "./patterns.js";
import { CAPABILITY_NAMES, didYouMean, type KeyType, SECTION_KEYS, SECTIONS, TOP_KEYS } from "./schema.js";
import type { Origin, ToolHint } from "./types.js";

export interface ConfigIssue {
  file: string;
  line?: number;
  column?: number;
  message: string;
}

export interface RawEntry {
  value: string;
  origin: Origin;
  line?: number;
  column?: number;
}

export interface PolicyLayer {
  origin: Origin;
  inherits?: { value: string; line?: number; column?: number };
  metadata: { version?: string; name?: string; description?: string };
  /** "filesystem.read_allow", "requires_approval", … → entries (a leading "!" marks removal). */
  lists: Record<string, RawEntry[]>;
  ports?: number[];
  /** "subprocess.deny_args" / "subprocess.requires_approval_args" → command → entries. */
  argTables: Record<string, Record<string, RawEntry[]>>;
  /** "network.timeout_seconds", "subprocess.sandbox", "runtime.max_seconds", … */
  scalars: Record<string, string | number | boolean>;
  /** Where each key of this layer is written, for errors found after parsing. */
  positions: Record<string, { line?: number; column?: number }>;
  capLimits: Record<string, number>;
  tools: Record<string, ToolHint>;
}

/** A policy file bigger than this is refused before parsing (no legitimate policy is close). */
export const MAX_POLICY_BYTES = 1024 * 1024;

/** Finds where keys and values sit in the text, for error positions. */
class Locator {
  private readonly keys = new Map<string, { line: number; column: number; offset: number }>();
  private readonly lineStarts: number[] = [0];
  private readonly cursors = new Map<string, number>();

  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
    let table = "";
    const lines = text.split("\n");
    let offset = 0;
    for (let n = 0; n < lines.length; n++) {
      const line = lines[n]!;
      const header = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?/.exec(line);
      if (header) {
        table = unquoteDotted(header[1]!);
        const col = line.indexOf("[") + 2;
        if (!this.keys.has(table))
          this.keys.set(table, { line: n + 1, column: col, offset: offset + col - 1 });
      } else {
        const kv =
          /^(\s*)((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=/.exec(
            line,
          );
        if (kv) {
          const key = unquoteDotted(kv[2]!);
          const path = table ? `${table}.${key}` : key;
          const column = kv[1]!.length + 1;
          if (!this.keys.has(path)) this.keys.set(path, { line: n + 1, column, offset: offset + column - 1 });
        }
      }
      offset += line.length + 1;
    }
  }

  /** The position of `path`, or of its nearest enclosing key (inline tables are not indexed). */
  key(path: string): { line?: number; column?: number } {
    for (let p = path; p !== ""; p = p.includes(".") ? p.slice(0, p.lastIndexOf(".")) : "") {
      const k = this.keys.get(p);
      if (k) return { line: k.line, column: k.column };
    }
    return {};
  }

  /** The position of a string value written after the key `path`. */
  value(path: string, value: string): { line?: number; column?: number } {
    const k = this.keys.get(path);
    if (!k) return this.key(path);
    // Values of one key are looked up in order, so each search resumes where the last
    // one ended (linear in the file, not quadratic in the number of entries).
    const from = Math.max(k.offset, this.cursors.get(path) ?? 0);
    for (const quoted of [JSON.stringify(value), `'${value}'`]) {
      const at = this.text.indexOf(quoted, from);
      if (at >= 0) {
        this.cursors.set(path, at + quoted.length);
        return this.position(at);
      }
    }
    return { line: k.line, column: k.column };
  }

  private position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo]! + 1 };
  }
}

function unquoteDotted(key: string): string {
  return key
    .split(/\s*\.\s*(?=(?:[^"']|"[^"]*"|'[^']*')*$)/)
    .map((p) => p.trim().replace(/^["']|["']$/g, ""))
    .join(".");
}

function typeName(v: unknown): string {
  if (Array.isArray(v)) return "an array";
  if (v === null) return "null";
  if (v instanceof Date || (typeof v === "object" && v !== null && "isDate" in v)) return "a date";
  if (typeof v === "object") return "a table";
  if (typeof v === "bigint") return "an integer";
  if (typeof v === "number") return "a float";
  return `a ${typeof v}`;
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

export function parseLayer(text: string, origin: Origin): { layer: PolicyLayer; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const layer: PolicyLayer = {
    origin,
    metadata: {},
    lists: {},
    argTables: {},
    scalars: {},
    positions: {},
    capLimits: {},
    tools: {},
  };
  const fail = (message: string, pos: { line?: number; column?: number } = {}): void => {
    issues.push({ file: origin, ...pos, message });
  };

  if (text.length > MAX_POLICY_BYTES) {
    fail(`policy file is too large (${text.length} bytes; the limit is ${MAX_POLICY_BYTES})`);
    return { layer, issues };
  }
  let doc: Record<string, unknown>;
  try {
    // Integers as BigInt, so `30.0` (a float) is told apart from `30` where an integer is required.
    doc = parseToml(text, { integersAsBigInt: true, maxDepth: 64, unsafeKeyBehaviour: "throw" }) as Record<
      string,
      unknown
    >;
  } catch (e) {
    if (e instanceof TomlError) {
      const first = e.message.split("\n")[0] ?? e.message;
      fail(`TOML syntax error: ${first}`, { line: e.line, column: e.column });
    } else if (e instanceof RangeError) {
      fail("TOML nesting is too deep to parse");
    } else fail(`TOML could not be parsed: ${e instanceof Error ? e.message : String(e)}`);
    return { layer, issues };
  }
  const loc = new Locator(text);

  const checkValue = (path: string, type: KeyType, v: unknown): void => {
    const at = loc.key(path);
    layer.positions[path] = at;
    const wrong = (expected: string) => fail(`${path} must be ${expected}, got ${typeName(v)}`, at);
    switch (type.t) {
      case "string":
        if (typeof v !== "string") return wrong("a string");
        if (path === "inherits") layer.inherits = { value: v, ...at };
        else layer.metadata[path as "version" | "name" | "description"] = v;
        if (path === "version" && !/^1(\.|$)/.test(v)) {
          fail(
            `version "${v}" is not supported: this aegis reads policy format version 1`,
            loc.value(path, v),
          );
        }
        return;
      case "enum":
        if (typeof v !== "string" || !type.values.includes(v)) {
          return fail(
            `${path} must be one of ${type.values.map((x) => `"${x}"`).join(", ")}, got ${typeof v === "string" ? `"${v}"` : typeName(v)}`,
            at,
          );
        }
        layer.scalars[path] = v;
        return;
      case "bool":
        if (typeof v !== "boolean") return wrong("true or false");
        layer.scalars[path] = v;
        return;
      case "int":
      case "number": {
        // With integersAsBigInt, TOML integers arrive as bigint and floats as number.
        if (type.t === "int" && typeof v !== "bigint") return wrong("an integer");
        const isNum = typeof v === "number" || typeof v === "bigint";
        const n = Number(v);
        if (!isNum || !Number.isFinite(n)) return wrong("a number");
        if (n < type.min || n > type.max)
          return fail(`${path} must be between ${type.min} and ${type.max}, got ${n}`, at);
        layer.scalars[path] = n;
        return;
      }
      case "ports": {
        if (!Array.isArray(v)) return wrong("an array of port numbers");
        if (v.length === 0)
          return fail(`${path} is empty, which would refuse every URL; list at least one port`, at);
        const ports: number[] = [];
        for (const p of v) {
          const n = Number(p);
          if (typeof p !== "bigint" || n < 1 || n > 65535) {
            fail(`${path} entries must be port numbers 1–65535, got ${typeName(p)} ${String(p)}`, at);
          } else ports.push(n);
        }
        layer.ports = ports;
        return;
      }
      case "paths":
      case "hosts":
      case "ips":
      case "vars":
      case "commands":
      case "capabilities": {
        if (!Array.isArray(v)) return wrong("an array of strings");
        const entries: RawEntry[] = [];
        for (const item of v) {
          if (typeof item !== "string") {
            fail(`${path} entries must be strings, got ${typeName(item)}`, at);
            continue;
          }
          // A leading "!" removes an inherited entry; the rest must be a valid entry.
          // `!(x)` is extglob negation, never a removal.
          const target = item.startsWith("!") && !item.startsWith("!(") ? item.slice(1) : item;
          const problem = entryProblem(type.t, target);
          const pos = loc.value(path, item);
          if (problem) fail(`${path}: ${problem}`, pos);
          else entries.push({ value: item, origin, ...pos });
        }
        layer.lists[path] = entries;
        return;
      }
      case "argTable": {
        if (!isTable(v)) return wrong("a table of command name → array of argument patterns");
        const table: Record<string, RawEntry[]> = {};
        for (const [cmd, list] of Object.entries(v)) {
          const p = `${path}.${cmd}`;
          if (!Array.isArray(list) || list.some((x) => typeof x !== "string" || x.trim() === "")) {
            fail(`${p} must be an array of non-empty strings`, loc.key(p).line ? loc.key(p) : at);
            continue;
          }
          table[cmd] = (list as string[]).map((value) => ({ value, origin, ...loc.value(p, value) }));
        }
        layer.argTables[path] = table;
        return;
      }
      case "capIntTable": {
        if (!isTable(v)) return wrong("a table of capability → integer");
        for (const [cap, n] of Object.entries(v)) {
          const p = `${path}.${cap}`;
          if (!CAPABILITY_NAMES.includes(cap)) {
            fail(
              `${p}: unknown capability "${cap}"${didYouMean(cap, CAPABILITY_NAMES)}`,
              loc.key(p).line ? loc.key(p) : at,
            );
          } else if (typeof n !== "bigint" || Number(n) < 0) {
            fail(`${p} must be a non-negative integer`, loc.key(p).line ? loc.key(p) : at);
          } else layer.capLimits[cap] = Number(n);
        }
        return;
      }
      case "tools":
        return;
    }
  };

  for (const [key, value] of Object.entries(doc)) {
    const top = TOP_KEYS[key];
    if (top) {
      checkValue(key, top, value);
      continue;
    }
    if (key === "tools") {
      parseTools(value, layer, fail, loc);
      continue;
    }
    const section = SECTION_KEYS[key];
    if (!section) {
      fail(`unknown key "${key}"${didYouMean(key, [...Object.keys(TOP_KEYS), ...SECTIONS])}`, loc.key(key));
      continue;
    }
    if (!isTable(value)) {
      fail(`[${key}] must be a table, got ${typeName(value)}`, loc.key(key));
      continue;
    }
    for (const [sub, v] of Object.entries(value)) {
      const type = section[sub];
      const path = `${key}.${sub}`;
      if (!type) {
        fail(`unknown key "${path}"${didYouMean(sub, Object.keys(section))}`, loc.key(path));
        continue;
      }
      checkValue(path, type, v);
    }
  }
  return { layer, issues };
}

function entryProblem(kind: KeyType["t"], value: string): string | undefined {
  switch (kind) {
    case "paths":
      return pathPatternProblem(value);
    case "hosts":
      return hostPatternProblem(value);
    case "ips":
      return ipPatternProblem(value);
    case "vars":
      return namePatternProblem(value, "variable");
    case "commands":
      if (value.length === 0 || value.includes("\0") || /\s/.test(value)) {
        return `"${value}" is not a command name (no spaces; put arguments in subprocess.deny_args)`;
      }
      return undefined;
    case "capabilities":
      return CAPABILITY_NAMES.includes(value)
        ? undefined
        : `unknown capability "${value}"${didYouMean(value, CAPABILITY_NAMES)}`;
    default:
      return undefined;
  }
}

function parseTools(
  value: unknown,
  layer: PolicyLayer,
  fail: (m: string, pos?: { line?: number; column?: number }) => void,
  loc: Locator,
): void {
  if (!isTable(value)) {
    fail(`[tools] must be a table, got ${typeName(value)}`, loc.key("tools"));
    return;
  }
  const known = ["capabilities", "backend_url", "backend_method", "description"];
  for (const [name, def] of Object.entries(value)) {
    const path = `tools.${name}`;
    const at = loc.key(path).line ? loc.key(path) : loc.key("tools");
    const caps = Array.isArray(def) ? def : isTable(def) ? def.capabilities : undefined;
    if (!Array.isArray(caps) || caps.some((c) => typeof c !== "string")) {
      fail(`${path} must be an array of capability names or a table with capabilities = [...]`, at);
      continue;
    }
    for (const c of caps as string[]) {
      if (!CAPABILITY_NAMES.includes(c)) {
        fail(`${path}: unknown capability "${c}"${didYouMean(c, CAPABILITY_NAMES)}`, loc.value(path, c));
      }
    }
    const hint: ToolHint = { capabilities: caps as string[], origin: layer.origin };
    if (isTable(def)) {
      for (const [k, v] of Object.entries(def)) {
        if (!known.includes(k)) {
          fail(
            `unknown key "${path}.${k}"${didYouMean(k, known)}`,
            loc.key(`${path}.${k}`).line ? loc.key(`${path}.${k}`) : at,
          );
        } else if (k !== "capabilities" && typeof v !== "string") {
          fail(`${path}.${k} must be a string`, loc.key(`${path}.${k}`));
        }
      }
      if (typeof def.backend_url === "string") hint.backendUrl = def.backend_url;
      if (typeof def.backend_method === "string") hint.backendMethod = def.backend_method;
      if (typeof def.description === "string") hint.description = def.description;
    }
    layer.tools[name] = hint;
  }
}
