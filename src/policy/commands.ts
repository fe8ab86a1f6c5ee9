/**
 * Matching helpers for subprocess rules: command names, argument patterns and the
 * arguments that name paths. Deny-side matching is deliberately generous.
 */

export function basename(p: string): string {
  const trimmed = p.replace(/\/+$/, "");
  const i = trimmed.lastIndexOf("/");
  return i >= 0 ? trimmed.slice(i + 1) : trimmed;
}

/** `python3.11` → `python`, `bash5` → `bash`: versions do not dodge a deny rule. */
function stripVersion(name: string): string {
  return name.replace(/[0-9][0-9._-]*$/, "") || name;
}

/** `python3.11` → `python`, `/usr/bin/PS` → `ps`: the program a deny-side rule is about. */
export function commandFamily(argv0: string): string {
  return stripVersion(basename(argv0.toLowerCase()));
}

/**
 * Does a deny-side key (deny_commands entry, deny_args table key) cover argv[0]?
 * Generous: exact, by basename, ignoring case, and ignoring a version suffix.
 */
export function commandKeyMatches(key: string, argv0: string): boolean {
  const k = basename(key.toLowerCase());
  const a = basename(argv0.toLowerCase());
  return k === a || key.toLowerCase() === argv0.toLowerCase() || stripVersion(k) === stripVersion(a);
}

function tokenMatches(tok: string, arg: string): boolean {
  if (arg === tok || arg.startsWith(`${tok}=`)) return true;
  if (tok.startsWith("--") && tok.length > 2 && arg.startsWith("--")) {
    // `--force` also covers `--force-with-lease` and `--force=x`.
    if (arg.startsWith(tok)) return true;
    // getopt_long accepts unambiguous abbreviations: `--upload-pa=…` is `--upload-pack`,
    // `--ev` is `--eval`. Any option name of two or more letters that starts the token counts.
    const name = arg.split("=", 1)[0]!;
    if (name.length >= 4 && tok.startsWith(name)) return true;
  }
  // `-c` also covers clustered or attached short options: `-Ic`, `-cprint(1)`.
  if (/^-[A-Za-z]$/.test(tok) && /^-[^-]/.test(arg)) {
    const run = /^-([A-Za-z]+)/.exec(arg)?.[1] ?? "";
    return run.includes(tok[1]!);
  }
  return false;
}

/**
 * An argument pattern (`"push --force"`) matches when its words appear in order among
 * the arguments (`push origin --force`), each word matching a whole argument or an
 * option form of it; a phrase also matches when the joined arguments contain it.
 */
export function matchCommandArgs(args: string[], pattern: string): boolean {
  const tokens = pattern.trim().split(/\s+/).filter(Boolean);
  if (tokens.length === 0) return false;
  // A one-word pattern is matched against whole arguments (with the option forms above),
  // so `owner` does not deny `owner.test.js`; a phrase also matches the joined text.
  if (tokens.length > 1 && args.join(" ").includes(pattern)) return true;
  let i = 0;
  for (const arg of args) {
    if (tokenMatches(tokens[i]!, arg)) i++;
    if (i === tokens.length) return true;
  }
  return false;
}

const URL_LIKE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** policy.md: `/…`, `./…`, `../…`, `~…`, anything with `/`; also dotfiles (`.env`). */
export function looksLikePath(arg: string): boolean {
  if (arg === "" || URL_LIKE.test(arg)) return false;
  return (
    arg.startsWith("/") ||
    arg.startsWith("~") ||
    arg === "." ||
    arg === ".." ||
    /^\.[^.]/.test(arg) ||
    arg.startsWith("../") ||
    arg.includes("/")
  );
}

/**
 * The path-like parts of one argument: the argument itself, the value of `--opt=…`
 * or `VAR=…`, the path glued to a short option (`-o/etc/passwd`), or the path of a
 * `file://` URL.
 */
export function pathCandidates(arg: string): string[] {
  const out = new Set<string>();
  if (/^file:\/\//i.test(arg)) {
    out.add(decodeURIComponentSafe(arg.replace(/^file:\/\/[^/]*/i, "")) || "/");
    return [...out];
  }
  if (looksLikePath(arg) && !arg.startsWith("-")) out.add(arg);
  const eq = arg.indexOf("=");
  if (eq > 0 && looksLikePath(arg.slice(eq + 1))) out.add(arg.slice(eq + 1));
  // A value glued to a short option: `-C..`, `-o/etc/passwd`, `-I../inc`.
  if (/^-[^-]/.test(arg) && arg.length > 2) {
    const glued = arg.slice(2);
    if (looksLikePath(glued)) out.add(glued);
  }
  // A path behind a prefix the program strips: `@/root/.netrc` (response files),
  // `host:/etc/x`, `--opt:/x`, `-o/x`. Checked from the first `/` or `~` after it.
  const at = arg.search(/(?<=[@:=,+-])[~/]/);
  if (at > 0 && !URL_LIKE.test(arg)) out.add(arg.slice(at));
  return [...out];
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
