/**
 * Normalises the guest's arguments to `net.http*` into host values, before anything is
 * decided. Sealed values stay as references here; their bytes are substituted only when
 * the request is sent.
 */
import { AegisError } from "../../errors.js";
import { type HostValue, isSealedRef, type SealedRef } from "../builtin-types.js";

export type MaybeSealed = string | SealedRef;

export interface HttpArgs {
  url: MaybeSealed;
  headers: [name: string, value: MaybeSealed][];
  body: MaybeSealed | undefined;
  /** Set when the body was given as a plain object and encoded as JSON here. */
  jsonBody: boolean;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Framing headers are aegis's to set: a script-chosen value could smuggle a second request. */
const FRAMING_HEADERS = new Set([
  "connection",
  "content-length",
  "expect",
  "keep-alive",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return isSealedRef(v) ? "sealed value" : typeof v;
}

function scriptError(message: string): AegisError {
  return new AegisError("script_error", message);
}

function isPlainObject(v: HostValue | undefined): v is { [key: string]: HostValue } {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !isSealedRef(v);
}

export function parseHttpArgs(name: string, args: HostValue[], hasBody: boolean): HttpArgs {
  const [urlArg, second, third] = args;
  if (typeof urlArg !== "string" && !isSealedRef(urlArg)) {
    throw scriptError(`${name}: the URL must be a string, got ${typeName(urlArg)}`);
  }
  const optsArg = hasBody ? third : second;
  const { body, jsonBody } = hasBody ? parseBody(name, second) : { body: undefined, jsonBody: false };
  return { url: urlArg, headers: parseOptions(name, optsArg), body, jsonBody };
}

function parseBody(
  name: string,
  v: HostValue | undefined,
): { body: MaybeSealed | undefined; jsonBody: boolean } {
  if (v === undefined || v === null) return { body: undefined, jsonBody: false };
  if (typeof v === "string" || isSealedRef(v)) return { body: v, jsonBody: false };
  if (typeof v === "object") {
    const text = JSON.stringify(v, (_k, x: unknown) => {
      if (isSealedRef(x)) {
        throw scriptError(
          `${name}: a sealed value inside an object body cannot be encoded; build the body with sealed\`…\``,
        );
      }
      return x;
    });
    return { body: text, jsonBody: true };
  }
  throw scriptError(
    `${name}: the body must be a string, an object (sent as JSON) or a sealed value, got ${typeName(v)}`,
  );
}

function parseOptions(name: string, v: HostValue | undefined): [string, MaybeSealed][] {
  if (v === undefined || v === null) return [];
  if (!isPlainObject(v))
    throw scriptError(`${name}: options must be an object like { headers: {…} }, got ${typeName(v)}`);
  const unknown = Object.keys(v).filter((k) => k !== "headers");
  if (unknown.length > 0) {
    throw scriptError(`${name}: unknown option ${JSON.stringify(unknown[0])}; the only option is headers`);
  }
  const headers = v.headers;
  if (headers === undefined || headers === null) return [];
  if (!isPlainObject(headers))
    throw scriptError(`${name}: headers must be an object of name → string, got ${typeName(headers)}`);
  const out: [string, MaybeSealed][] = [];
  const seen = new Set<string>();
  for (const [rawName, value] of Object.entries(headers)) {
    const lower = rawName.toLowerCase();
    if (!TOKEN.test(rawName))
      throw scriptError(`${name}: ${JSON.stringify(rawName)} is not a valid header name`);
    if (seen.has(lower)) throw scriptError(`${name}: header ${lower} is given twice`);
    seen.add(lower);
    if (lower === "host") {
      // Connecting to an allowed address while naming another site in Host reaches that
      // site if both share a front end (domain fronting).
      throw new AegisError(
        "policy_violation",
        `${name}: the Host header comes from the URL and cannot be set`,
      );
    }
    if (FRAMING_HEADERS.has(lower))
      throw scriptError(`${name}: header ${lower} is managed by aegis and cannot be set`);
    if (typeof value === "number" || typeof value === "boolean") out.push([lower, String(value)]);
    else if (typeof value === "string" || isSealedRef(value)) out.push([lower, value]);
    else
      throw scriptError(
        `${name}: header ${lower} must be a string or a sealed value, got ${typeName(value)}`,
      );
  }
  return out;
}

export function anySealed(args: HttpArgs): boolean {
  return isSealedRef(args.url) || isSealedRef(args.body) || args.headers.some(([, v]) => isSealedRef(v));
}

/** A header value with CR, LF or NUL would split the request; checked on the real bytes. */
export function badHeaderValue(value: string): boolean {
  return /[\r\n\0]/.test(value);
}
