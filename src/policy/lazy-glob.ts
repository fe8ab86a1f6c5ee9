/**
 * Glob matchers compiled on first use, behind a literal-text prefilter. A policy has dozens of
 * path patterns (secure-defaults alone denies ~45) and a cold `aegis hook claude` decides one
 * path: compiling every pattern up front cost more than the decision. Most patterns name fixed
 * text (`/home/u/.aws/…`, `/proc/…`, `…/.env`, `….pem`) that the path does not contain, so they
 * are answered without compiling anything.
 *
 * The prefilter may only say "cannot match" when picomatch would say so too, or a deny rule
 * would be skipped. picomatch's answer is `input === glob || regex.test(input)` (no format
 * function on POSIX), and its regex carries a glob's plain characters as literal text: the
 * leading ones at its start, and, in a glob with no syntax beyond `*` and `?`, every run between
 * wildcards and slashes as a sequence no alternation can skip. So only plain ASCII characters
 * that no glob syntax or escape can touch are used, the prefix is cut back to its last `/` (a
 * `/**` may match without its slash), and slashes are never required. With `nocase` (deny
 * rules) the regex has the `i` flag without `u`, under which no non-ASCII character matches an
 * ASCII one; a path with any non-ASCII character skips the prefilter anyway. Only absolute globs
 * without `.`/`..` segments are prefiltered (picomatch rewrites `./`).
 * test/policy/lazy-glob.test.ts checks all this against eager picomatch on random input.
 */
import picomatch from "picomatch";

export interface GlobOptions {
  dot: boolean;
  nocase: boolean;
}

/** Characters that are literal in a glob and in picomatch's regex for it. */
const PLAIN_RUN = /^[A-Za-z0-9/._~-]*/;
/** A glob whose only syntax is `*` and `?`. */
const SIMPLE = /^[A-Za-z0-9/._~*?-]*$/;

/**
 * True for a glob picomatch always compiles: only plain characters, `*` and `?`, and far below
 * its length limit (64 KiB). Validating one needs no compile.
 */
export function isSimpleGlob(glob: string): boolean {
  return glob.length <= 4096 && SIMPLE.test(glob);
}
const DOT_SEGMENT = /(^|\/)\.\.?(\/|$)/;

export interface Prefilter {
  /** Every path the glob matches starts with this. */
  prefix: string;
  /** Every path the glob matches contains each of these. */
  runs: string[];
}

/** The prefilter of `glob`; for a `nocase` match its text is in (ASCII) lower case, as mayMatch expects. */
export function prefilterOf(glob: string, nocase = false): Prefilter {
  if (!glob.startsWith("/") || DOT_SEGMENT.test(glob)) return { prefix: "", runs: [] };
  const plain = PLAIN_RUN.exec(glob)?.[0] ?? "";
  const prefix = plain.slice(0, Math.max(0, plain.lastIndexOf("/")));
  const rest = glob.slice(prefix.length);
  const runs = SIMPLE.test(glob) ? rest.split(/[*?/]+/).filter((r) => r !== "") : [];
  return nocase ? { prefix: asciiLower(prefix), runs: runs.map(asciiLower) } : { prefix, runs };
}

function hasNonAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return true;
  return false;
}

/** ASCII-only lower case, so lengths and offsets stay those of the input. */
function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/**
 * False only when `path` cannot match a glob with this prefilter (made by `prefilterOf(glob,
 * nocase)`, so a `nocase` one is already in lower case: only the path is lowered here).
 */
export function mayMatch(path: string, f: Prefilter, nocase: boolean): boolean {
  if (f.prefix === "" && f.runs.length === 0) return true;
  if (!nocase) return path.startsWith(f.prefix) && f.runs.every((r) => path.includes(r));
  if (hasNonAscii(path)) return true;
  const p = asciiLower(path);
  return p.startsWith(f.prefix) && f.runs.every((r) => p.includes(r));
}

/** picomatch(glob, options), compiled on the first path that passes the prefilter. */
export function lazyGlob(glob: string, options: GlobOptions): (path: string) => boolean {
  const f = prefilterOf(glob, options.nocase);
  let match: ((path: string) => boolean) | undefined;
  return (path) => {
    if (!mayMatch(path, f, options.nocase)) return false;
    match ??= picomatch(glob, options);
    return match(path);
  };
}
