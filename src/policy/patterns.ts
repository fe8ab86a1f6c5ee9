/**
 * Compiling policy patterns (paths, hosts, IPs, names) into matchers. Pure: the root
 * and home directory are passed in; nothing here touches the file system.
 */
import ipaddr from "ipaddr.js";
import picomatch from "picomatch";
import { isSimpleGlob, lazyGlob } from "./lazy-glob.js";
import type { HostRule, IpRule, NameRule, Origin, PathRule } from "./types.js";

/** Lexical POSIX normalisation: collapses `//`, `.` and `..` (never above `/`). */
export function normalizePosix(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return `/${out.join("/")}`;
}

export function joinPosix(base: string, rel: string): string {
  return normalizePosix(rel.startsWith("/") ? rel : `${base}/${rel}`);
}

/** Expands `~` and makes a requested path absolute against `base`, lexically. */
export function absolutePath(raw: string, base: string, home: string): string {
  if (raw === "~") return normalizePosix(home);
  if (raw.startsWith("~/")) return joinPosix(home, raw.slice(2));
  return joinPosix(base, raw);
}

// Extglob and negation can invert a deny list (`!(x)` matches everything but x), so
// they are refused in every pattern rather than interpreted.
const EXTGLOB = /[!@+?*]\(/;

export function pathPatternProblem(pattern: string): string | undefined {
  if (pattern.length === 0) return "empty path pattern";
  if (pattern.includes("\0")) return "path pattern contains a NUL byte";
  if (pattern.startsWith("!")) return "negated patterns are not supported (use filesystem.deny)";
  if (EXTGLOB.test(pattern)) return "extglob syntax like !(x), @(x), +(x) is not supported in patterns";
  if (/^~[^/]/.test(pattern)) return "only ~ and ~/… are supported (not ~user)";
  // Most patterns (`src/**`, `*.pem`) cannot be malformed: checking them needs no compile.
  if (isSimpleGlob(pattern)) return undefined;
  try {
    picomatch.makeRe(pattern, { dot: true });
  } catch (e) {
    return `malformed glob: ${e instanceof Error ? e.message : String(e)}`;
  }
  return undefined;
}

/** `local-only` expands like an allow pattern and matches like a deny one (a protection). */
export type PatternKind = "allow" | "deny" | "local-only";

/**
 * Escapes glob syntax in a literal directory name (the root or home), so a home called
 * `John (Work)` or a root `p*` is matched as written and cannot widen or break a pattern.
 */
export function escapeGlob(literal: string): string {
  return literal.replace(/[\\*?[\]{}()!+@,]/g, "\\$&");
}

/**
 * Expands a path pattern to an absolute glob (policy.md "Path patterns").
 * Deny patterns are generous: a bare name (`.env`, `*.pem`) or a `**`-led pattern
 * matches at any depth anywhere on the file system, not only under the root.
 */
export function expandPathPattern(pattern: string, root: string, home: string, kind: PatternKind): string {
  const r = escapeGlob(normalizePosix(root));
  const h = escapeGlob(normalizePosix(home));
  if (pattern === "~") return h;
  if (pattern.startsWith("~/")) return joinGlob(h, pattern.slice(2));
  if (pattern.startsWith("/")) return normalizePosix(pattern);
  const rel = pattern.startsWith("./") ? pattern.slice(2) : pattern;
  if (!rel.includes("/")) return kind === "deny" ? `/**/${rel}` : joinGlob(r, `**/${rel}`);
  if (kind === "deny" && rel.startsWith("**/")) return `/${rel}`;
  return joinGlob(r, rel);
}

/** Joins an escaped base and a pattern, resolving `.`/`..` in the pattern part only. */
function joinGlob(escapedBase: string, rel: string): string {
  const out = escapedBase === "/" ? [] : escapedBase.slice(1).split("/");
  for (const part of rel.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return `/${out.join("/")}`;
}

export function compilePathRule(
  value: string,
  origin: Origin,
  root: string,
  home: string,
  kind: PatternKind,
): PathRule {
  const glob = expandPathPattern(value, root, home, kind);
  // Deny matches generously: dotfiles always, and case-insensitively (a case-insensitive
  // mount must not open `~/.SSH`); so does local-only (`cfg/TOKEN` must not be read in the
  // clear where it is `cfg/token`); allow matches strictly.
  const matcher = (nocase: boolean) => {
    const options = { dot: true, nocase };
    const full = lazyGlob(glob, options);
    // `dir/**` also covers `dir` itself (listing a denied directory is denied).
    const dirOnly = glob.endsWith("/**") ? lazyGlob(glob.slice(0, -3) || "/", options) : undefined;
    return (p: string): boolean => full(p) || (dirOnly?.(p) ?? false);
  };
  const test = matcher(kind !== "allow");
  if (kind !== "local-only") return { value, origin, glob, test };
  return { value, origin, glob, test, testExact: matcher(false) };
}

// ---------------------------------------------------------------- hosts

const HOST_GLOB = /^(\*|(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*)$/;

export function normaliseHost(host: string): string {
  let h = host.toLowerCase();
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  while (h.endsWith(".")) h = h.slice(0, -1);
  return h;
}

export function hostPatternProblem(pattern: string): string | undefined {
  const h = normaliseHost(pattern);
  if (h.length === 0) return "empty host pattern";
  if (ipaddr.isValid(h)) return undefined;
  if (!HOST_GLOB.test(h)) {
    return `"${pattern}" is not a host name or *.domain pattern (no scheme, port, path or other wildcards)`;
  }
  return undefined;
}

function hostMatcher(pattern: string): (host: string) => boolean {
  if (pattern === "*") return () => true;
  if (pattern.startsWith("*.")) {
    const suffix = pattern.slice(1);
    return (h) => h.endsWith(suffix) && h.length > suffix.length;
  }
  if (ipaddr.isValid(pattern)) {
    const want = ipaddr.parse(pattern).toNormalizedString();
    // The pattern's own spelling is the common case and needs no parsing.
    return (h) => h === pattern || (ipaddr.isValid(h) && ipaddr.parse(h).toNormalizedString() === want);
  }
  return (h) => h === pattern;
}

export function compileHostRule(value: string, origin: Origin): HostRule {
  const pattern = normaliseHost(value);
  // Built on first use: a cold start that decides a file operation never pays for it.
  let test: ((host: string) => boolean) | undefined;
  return {
    value,
    origin,
    test: (host) => {
      test ??= hostMatcher(pattern);
      return test(normaliseHost(host));
    },
  };
}

// ---------------------------------------------------------------- IPs

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

function parseCidr(text: string): Cidr | undefined {
  try {
    if (text.includes("/")) return ipaddr.parseCIDR(text);
    // Only canonical forms: `127.1` in a policy is more likely a typo than intent.
    if (!ipaddr.IPv4.isValidFourPartDecimal(text) && !ipaddr.IPv6.isValid(text)) return undefined;
    const addr = ipaddr.parse(text);
    return [addr, addr.kind() === "ipv4" ? 32 : 128];
  } catch {
    return undefined;
  }
}

export function ipPatternProblem(pattern: string): string | undefined {
  return parseCidr(pattern) ? undefined : `"${pattern}" is not an IP address or CIDR range`;
}

function bits32(a: ipaddr.IPv6, fromPart: number): ipaddr.IPv4 {
  const p = a.parts;
  const hi = p[fromPart] ?? 0;
  const lo = p[fromPart + 1] ?? 0;
  return new ipaddr.IPv4([hi >> 8, hi & 255, lo >> 8, lo & 255]);
}

/**
 * Every IPv4 address an IPv6 address carries: IPv4-mapped and -compatible, SIIT
 * IPv4-translated (::ffff:0:0:0/96), NAT64 (64:ff9b::/96 and 64:ff9b:1::/48), 6to4
 * (2002::/16) and Teredo (2001::/32). A denied IPv4 range is denied through any of these.
 */
export function embeddedIPv4(a: ipaddr.IPv6): ipaddr.IPv4[] {
  const p = a.parts;
  const out: ipaddr.IPv4[] = [];
  const zero = (from: number, to: number) => p.slice(from, to).every((x) => x === 0);
  if (a.isIPv4MappedAddress()) out.push(a.toIPv4Address());
  if (zero(0, 6) && !(p[6] === 0 && (p[7] === 0 || p[7] === 1))) out.push(bits32(a, 6));
  // SIIT "IPv4-translated" (RFC 2765, ::ffff:0:a.b.c.d): a translator forwards it to the
  // IPv4 address, so [::ffff:0:7f00:1] must not slip past a loopback deny.
  if (zero(0, 4) && p[4] === 0xffff && p[5] === 0) out.push(bits32(a, 6));
  if (p[0] === 0x64 && p[1] === 0xff9b) out.push(bits32(a, 6));
  // Local-use NAT64 (RFC 8215, 64:ff9b:1::/48): RFC 6052 puts the IPv4 address in bits
  // 48–63 and 72–87 for a /48 prefix; check both that and the /96 position above.
  if (p[0] === 0x64 && p[1] === 0xff9b && p[2] === 1) {
    const p3 = p[3] ?? 0;
    const p4 = p[4] ?? 0;
    const p5 = p[5] ?? 0;
    out.push(new ipaddr.IPv4([p3 >> 8, p3 & 255, p4 & 255, p5 >> 8]));
  }
  if (p[0] === 0x2002) out.push(bits32(a, 1));
  if (p[0] === 0x2001 && p[1] === 0) {
    const v = bits32(a, 6).octets.map((o) => o ^ 255);
    out.push(new ipaddr.IPv4(v));
  }
  return out;
}

const FOUR_PART_DECIMAL = /^(0|[1-9]\d*)(\.(0|[1-9]\d*)){3}$/;

/**
 * Parses an address as it appears in a URL or a resolver answer; undefined if not an IP.
 * IPv4 only in its canonical four-part decimal form (what `ipaddr.IPv4.isValidFourPartDecimal`
 * accepts), IPv6 in any form ipaddr accepts; each string is parsed once.
 */
export function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const h = normaliseHost(text);
  try {
    if (FOUR_PART_DECIMAL.test(h)) return ipaddr.IPv4.parse(h);
    if (h.includes(":")) return ipaddr.IPv6.parse(h);
  } catch {
    return undefined;
  }
  return undefined;
}

export function compileIpRule(value: string, origin: Origin): IpRule {
  // Parsed on first use: a cold start that decides a file operation never pays for it. The
  // policy parser has validated the entry; an invalid one all the same matches every address
  // (IP rules are deny rules: fail closed).
  let cidr: Cidr | undefined;
  const test = (text: string): boolean => {
    cidr ??= parseCidr(value);
    if (!cidr) return true;
    const [range, bits] = cidr;
    const addr = parseAddress(text);
    // Something that should be an address but does not parse is treated as denied.
    if (!addr) return true;
    const candidates: (ipaddr.IPv4 | ipaddr.IPv6)[] = [addr];
    if (addr.kind() === "ipv6") candidates.push(...embeddedIPv4(addr as ipaddr.IPv6));
    else candidates.push((addr as ipaddr.IPv4).toIPv4MappedAddress());
    return candidates.some((c) => c.kind() === range.kind() && c.match(range, bits));
  };
  return { value, origin, test };
}

// ---------------------------------------------------------------- names

const NAME_PATTERN = /^[A-Za-z0-9_.*-]+$/;

export function namePatternProblem(pattern: string, what: string): string | undefined {
  if (!NAME_PATTERN.test(pattern))
    return `"${pattern}" is not a valid ${what} name (letters, digits, _ and * only)`;
  return undefined;
}

function wildcardRegex(pattern: string, flags: string): RegExp {
  const body = pattern
    .split("*")
    .map((s) => s.replace(/[.+?^${}()|[\]\\-]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${body}$`, flags);
}

/** Variable names: exact, or with `*` wildcards (`AWS_*`). Deny rules ignore case. */
export function compileNameRule(value: string, origin: Origin, kind: PatternKind): NameRule {
  const re = wildcardRegex(value, kind === "deny" ? "i" : "");
  return { value, origin, test: (name) => re.test(name) };
}
