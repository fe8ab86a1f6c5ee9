/**
 * Name resolution for outbound HTTP. A host is resolved exactly once per request; the
 * addresses found here are the only ones the policy checks and the only ones dialled.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { AegisError } from "../../errors.js";

/** Returns every address a name resolves to (IPv4 and IPv6 text forms). */
export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = async (hostname) => {
  const answers = await lookup(hostname, { all: true, verbatim: true });
  return answers.map((a) => a.address);
};

/** `[::1]` → `::1`; other hosts unchanged. */
export function bareHostname(hostname: string): string {
  return hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
}

/** How a host whose name is secret (a sealed URL's) is named in messages. */
export const HIDDEN_HOST = "the sealed URL's host";

export interface ResolveOptions {
  /**
   * The name is secret: messages say HIDDEN_HOST and carry the resolver's error code only,
   * never its text (which repeats the name, lower-cased past the redactor).
   */
  hideHost?: boolean;
}

/**
 * The addresses to check and dial for `hostname` (a WHATWG-parsed URL hostname). An IP
 * literal is its own single answer and never reaches the resolver, so `127.1` style
 * spellings (already normalised by the URL parser) take the same address check as names.
 */
export async function resolveAddresses(
  hostname: string,
  resolver: Resolver,
  options: ResolveOptions = {},
): Promise<string[]> {
  const host = bareHostname(hostname);
  const shown = options.hideHost ? HIDDEN_HOST : host;
  if (isIP(host) !== 0) return [host];
  let answers: string[];
  try {
    answers = await resolver(host);
  } catch (e) {
    const code = options.hideHost
      ? (errorCode(e) ?? "no error code")
      : ((e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e)));
    throw new AegisError("io_error", `could not resolve ${shown} (${code})`, { cause: e });
  }
  const addresses = [...new Set(answers)];
  // A resolver answer that is not an address could be dialled as a name later, which
  // would be a second, unchecked resolution.
  const bad = addresses.find((a) => isIP(a) === 0);
  if (bad !== undefined)
    throw new AegisError("io_error", `resolver returned a non-address answer for ${shown}`);
  if (addresses.length === 0) throw new AegisError("io_error", `${shown} resolved to no addresses`);
  return addresses;
}

/** An error's `code` when it is a constant (`ENOTFOUND`, `ERR_TLS_CERT_ALTNAME_INVALID`), not free text. */
export function errorCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | null | undefined)?.code;
  return typeof code === "string" && /^[A-Z][A-Z0-9_]*$/.test(code) ? code : undefined;
}
