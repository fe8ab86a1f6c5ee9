/**
 * Splits a Claude Code Bash command line into argv the way a POSIX shell would, or
 * refuses it. The hook decides on the argv, but the host then runs the *string* in a
 * real shell, so anything the shell would interpret beyond quoting (operators,
 * redirections, expansions, globs, comments, builtins that change the shell) would
 * let the command do something other than what was decided. Those lines are refused,
 * never approximated: the model can always use aegis_exec or aegis_run instead.
 */

export type ParsedCommandLine = { ok: true; argv: string[] } | { ok: false; reason: string };

const INSTEAD =
  "the hook only passes a plain command it can reduce to argv; use the aegis_exec tool (an argv array) or aegis_run (a script) instead";

function refuse(what: string, index: number): ParsedCommandLine {
  return { ok: false, reason: `${what} at column ${index + 1}: ${INSTEAD}` };
}

/** Characters after `$` that start an expansion inside double quotes (`"$HOME"`, `"${x}"`, `"$(id)"`, `"$?"`). */
const EXPANSION_START = /[A-Za-z0-9_{(?$#@*!\-[]/;
const GLOB = new Set(["*", "?", "["]);

/**
 * Shell keywords and builtins that are shell syntax or change the shell itself (its
 * directory, variables, PATH lookup, aliases): the later commands of the session would
 * no longer run where or as the hook decided.
 */
const SHELL_WORDS = new Set(
  [
    "! if then else elif fi case esac for select while until do done function time coproc",
    "eval exec source . command builtin trap alias unalias hash enable export declare typeset local",
    "readonly unset set shopt cd pushd popd ulimit umask fc history bind let shift return exit",
    "getopts wait jobs fg bg disown suspend logout mapfile readarray read",
  ]
    .join(" ")
    .split(" "),
);

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

function isControl(ch: string): boolean {
  const code = ch.charCodeAt(0);
  return (code < 0x20 && ch !== "\t" && ch !== "\n") || code === 0x7f;
}

function describeDollar(line: string, i: number): string {
  const next = line[i + 1];
  if (next === "(")
    return line[i + 2] === "(" ? "arithmetic expansion $((...))" : "command substitution $(...)";
  // biome-ignore lint/suspicious/noTemplateCurlyInString: this names the shell syntax, it is not a template
  if (next === "{") return "parameter expansion ${...}";
  if (next === "[") return "arithmetic expansion $[...]";
  if (next === "'" || next === '"') return "$-quoting";
  return "parameter expansion ($)";
}

function unquotedRefusal(line: string, i: number): string | undefined {
  const ch = line[i]!;
  if (ch === "\n") return "a newline (command separator)";
  if (ch === ";" || ch === "&" || ch === "|") return `the shell operator ${JSON.stringify(ch)}`;
  if (ch === "<" || ch === ">") return `a redirection or process substitution (${ch})`;
  if (ch === "(" || ch === ")") return "a subshell or grouping parenthesis";
  if (ch === "{" || ch === "}") return "a brace group or brace expansion";
  if (ch === "`") return "command substitution (backticks)";
  if (ch === "$") return describeDollar(line, i);
  if (GLOB.has(ch)) return `the glob character ${JSON.stringify(ch)} (quote it to pass it literally)`;
  return undefined;
}

/** Parses one double-quoted string starting after its opening quote; returns the index after the closing quote. */
function readDoubleQuoted(line: string, start: number, out: { text: string }): number | ParsedCommandLine {
  let i = start;
  while (i < line.length) {
    const ch = line[i]!;
    if (ch === '"') return i + 1;
    if (isControl(ch)) return refuse("a control character", i);
    if (ch === "`") return refuse("command substitution (backticks) inside double quotes", i);
    if (ch === "$") {
      const next = line[i + 1];
      if (next !== undefined && EXPANSION_START.test(next))
        return refuse(`${describeDollar(line, i)} inside double quotes`, i);
      out.text += "$";
      i++;
    } else if (ch === "\\") {
      const next = line[i + 1];
      if (next === undefined) break;
      if (next === "\n") i += 2;
      else if (next === "$" || next === "`" || next === '"' || next === "\\") {
        out.text += next;
        i += 2;
      } else {
        out.text += "\\";
        i++;
      }
    } else {
      out.text += ch;
      i++;
    }
  }
  return refuse("an unterminated double quote", start - 1);
}

export function parseCommandLine(line: string): ParsedCommandLine {
  const argv: string[] = [];
  const word = { text: "" };
  let inWord = false;
  // The last character appended outside quotes: `~` after `=` or `:` is expanded too.
  let lastUnquoted = "";
  const endWord = () => {
    if (inWord) argv.push(word.text);
    word.text = "";
    inWord = false;
    lastUnquoted = "";
  };

  let i = 0;
  while (i < line.length) {
    const ch = line[i]!;
    if (ch === " " || ch === "\t") {
      endWord();
      i++;
      continue;
    }
    if (isControl(ch)) return refuse("a control character", i);
    if (ch === "'") {
      const close = line.indexOf("'", i + 1);
      if (close < 0) return refuse("an unterminated single quote", i);
      word.text += line.slice(i + 1, close);
      inWord = true;
      lastUnquoted = "";
      i = close + 1;
      continue;
    }
    if (ch === '"') {
      const next = readDoubleQuoted(line, i + 1, word);
      if (typeof next !== "number") return next;
      inWord = true;
      lastUnquoted = "";
      i = next;
      continue;
    }
    if (ch === "\\") {
      const next = line[i + 1];
      if (next === undefined) return refuse("a trailing backslash", i);
      if (isControl(next)) return refuse("a control character", i + 1);
      if (next !== "\n") {
        word.text += next;
        inWord = true;
        lastUnquoted = "";
      }
      i += 2;
      continue;
    }
    const why = unquotedRefusal(line, i);
    if (why) return refuse(why, i);
    if (ch === "#" && !inWord) return refuse("a comment (#)", i);
    if (ch === "~" && (!inWord || lastUnquoted === "=" || lastUnquoted === ":")) {
      return refuse("tilde expansion (~); write the full path", i);
    }
    word.text += ch;
    inWord = true;
    lastUnquoted = ch;
    i++;
  }
  endWord();

  const first = argv[0];
  if (first === undefined) return { ok: false, reason: `an empty command: ${INSTEAD}` };
  if (ASSIGNMENT.test(first))
    return refuse("a leading variable assignment (NAME=value command)", line.search(/\S/));
  if (SHELL_WORDS.has(first))
    return refuse(`the shell keyword or builtin ${JSON.stringify(first)}`, line.search(/\S/));
  return { ok: true, argv };
}
