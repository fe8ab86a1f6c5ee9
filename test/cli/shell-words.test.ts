import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseCommandLine } from "../../src/cli/shell-words.js";

const accepted: Array<[string, string[]]> = [
  ["ls -la", ["ls", "-la"]],
  ["git status --short", ["git", "status", "--short"]],
  ["  git   log\t-n 3  ", ["git", "log", "-n", "3"]],
  ["echo 'a;b'", ["echo", "a;b"]],
  ['echo "a;b"', ["echo", "a;b"]],
  ["echo 'it''s'", ["echo", "its"]],
  ["echo 'a b' c", ["echo", "a b", "c"]],
  ["echo 'a|b>c<d&e'", ["echo", "a|b>c<d&e"]],
  ["echo '$(id)' '`id`' '$HOME'", ["echo", "$(id)", "`id`", "$HOME"]],
  ["echo '*.py' '?' '[ab]' '{a,b}' '~'", ["echo", "*.py", "?", "[ab]", "{a,b}", "~"]],
  ["a\\;b", ["a;b"]],
  ["echo a\\ b", ["echo", "a b"]],
  ["echo \\$HOME \\`x\\` \\*", ["echo", "$HOME", "`x`", "*"]],
  ['echo "say \\"hi\\""', ["echo", 'say "hi"']],
  ['echo "back\\\\slash"', ["echo", "back\\slash"]],
  ['echo "\\$HOME" "\\`id\\`"', ["echo", "$HOME", "`id`"]],
  ['echo "a\\nb"', ["echo", "a\\nb"]],
  ['echo "price: 5$" "$"', ["echo", "price: 5$", "$"]],
  ["grep -E '^foo$' src/app.py", ["grep", "-E", "^foo$", "src/app.py"]],
  ['git commit -m "fix: handle a;b && c"', ["git", "commit", "-m", "fix: handle a;b && c"]],
  ["echo ''", ["echo", ""]],
  ['echo a""b', ["echo", "ab"]],
  ["git log HEAD~1", ["git", "log", "HEAD~1"]],
  ["echo a#b", ["echo", "a#b"]],
  ["echo ]", ["echo", "]"]],
  ["ls \\\n  -la", ["ls", "-la"]],
  ['git commit -m "line one\nline two"', ["git", "commit", "-m", "line one\nline two"]],
  ["python3 -m pytest tests/ -k 'not slow'", ["python3", "-m", "pytest", "tests/", "-k", "not slow"]],
  ["npm run build -- --watch=false", ["npm", "run", "build", "--", "--watch=false"]],
  ["git --version", ["git", "--version"]],
];

const refused: Array<[string, RegExp]> = [
  ["ls; rm -rf x", /operator ";"/],
  ["ls && rm -rf x", /operator "&"/],
  ["ls || true", /operator "\|"/],
  ["cat x | sh", /operator "\|"/],
  ["cat x |& sh", /operator "\|"/],
  ["sleep 100 &", /operator "&"/],
  ["ls\nrm -rf /", /newline/],
  ["echo $(id)", /command substitution \$\(/],
  ["$(id)", /command substitution/],
  ["echo `id`", /backticks/],
  ['echo "$(id)"', /command substitution .*inside double quotes/],
  ['echo "`id`"', /backticks\) inside double quotes/],
  ['echo "$HOME"', /parameter expansion .*inside double quotes/],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell or script source text, not a template
  ['echo "${HOME}"', /parameter expansion \$\{/],
  ["echo $HOME", /parameter expansion/],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell or script source text, not a template
  ["echo ${HOME}", /parameter expansion \$\{/],
  ["echo $((1+2))", /arithmetic expansion/],
  ["echo $'\\x41'", /\$-quoting/],
  ['echo "$?"', /inside double quotes/],
  ["echo x > out.txt", /redirection/],
  ["echo x >> out.txt", /redirection/],
  ["cmd 2>&1", /redirection/],
  ["cmd &> log", /operator "&"/],
  ["sort < input", /redirection/],
  ["cat <<EOF\nhi\nEOF", /redirection/],
  ["cat <<< hi", /redirection/],
  ["diff <(ls a) <(ls b)", /redirection or process substitution/],
  ["tee >(sh)", /redirection or process substitution/],
  ["{ ls; }", /brace group/],
  ["(ls)", /subshell/],
  ["FOO=1 cmd", /leading variable assignment/],
  ["FOO=1", /leading variable assignment/],
  ['"FOO=1" cmd', /leading variable assignment/],
  ["ls *.py", /glob character "\*"/],
  ["ls file?.txt", /glob character "\?"/],
  ["ls [ab].txt", /glob character "\["/],
  ["echo {a,b}", /brace/],
  ["cat ~/.ssh/id_rsa", /tilde expansion/],
  ["ls --dir=~/x", /tilde expansion/],
  ["ls # comment", /comment/],
  ["# just a comment", /comment/],
  ["echo 'unterminated", /unterminated single quote/],
  ['echo "unterminated', /unterminated double quote/],
  ["echo trailing\\", /trailing backslash/],
  ["", /empty command/],
  ["   \t ", /empty command/],
  ["cd /etc", /builtin "cd"/],
  ["eval ls", /builtin "eval"/],
  ["export PATH=/tmp", /builtin "export"/],
  ["! ls", /keyword or builtin "!"/],
  ["ls\rrm", /control character/],
  ["echo \u0000", /control character/],
];

describe("parseCommandLine: plain commands become argv", () => {
  for (const [line, argv] of accepted) {
    test(JSON.stringify(line), () => {
      assert.deepEqual(parseCommandLine(line), { ok: true, argv });
    });
  }
});

describe("parseCommandLine: anything a shell would interpret is refused", () => {
  for (const [line, pattern] of refused) {
    test(JSON.stringify(line), () => {
      const r = parseCommandLine(line);
      assert.equal(r.ok, false, `expected ${JSON.stringify(line)} to be refused`);
      if (r.ok) return;
      assert.match(r.reason, pattern);
      assert.match(r.reason, /aegis_exec/);
      assert.match(r.reason, /aegis_run/);
    });
  }
});

test("a refusal names the column of the offending character", () => {
  const r = parseCommandLine("ls -la; id");
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.reason, /at column 7:/);
});

test("an assignment-like argument after the command is an ordinary argument", () => {
  assert.deepEqual(parseCommandLine("make CFLAGS=-O2"), { ok: true, argv: ["make", "CFLAGS=-O2"] });
});

test("property: single-quoting every argument round-trips through the parser", async () => {
  const fc = await import("fast-check");
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  fc.assert(
    fc.property(fc.array(fc.string({ unit: "binary" }), { maxLength: 8 }), (rest) => {
      const argv = ["prog", ...rest];
      assert.deepEqual(parseCommandLine(argv.map(quote).join(" ")), { ok: true, argv });
    }),
    { numRuns: 200 },
  );
});
