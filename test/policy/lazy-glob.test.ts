/**
 * The lazy glob matchers (src/policy/lazy-glob.ts) skip compiling a pattern when a literal-text
 * prefilter says the path cannot match. A wrong prefilter would silently skip a deny rule, so
 * these properties compare every answer with eager picomatch, the path it replaced: random
 * globs (wildcards, classes, braces, escapes, non-ASCII and case-folding characters) against
 * paths derived from them (wildcards filled in, case flipped, slashes added) and random ones.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import picomatch from "picomatch";
import { isSimpleGlob, lazyGlob, mayMatch, prefilterOf } from "../../src/policy/lazy-glob.js";
import { compilePathRule, expandPathPattern, type PatternKind } from "../../src/policy/patterns.js";

const RUNS = { numRuns: 3000 };

/** Characters chosen to stress the prefilter: case pairs, `i`-flag folding traps, specials. */
const CHARS = [
  "a",
  "b",
  "A",
  "B",
  "k",
  "K",
  "s",
  "S",
  ".",
  "_",
  "-",
  "~",
  "0",
  " ",
  "é",
  "É",
  "ſ",
  "K",
  "İ",
  "σ",
  "ς",
];
const literal = fc.array(fc.constantFrom(...CHARS), { minLength: 1, maxLength: 4 }).map((cs) => cs.join(""));
const token = fc.oneof(
  { weight: 6, arbitrary: literal },
  { weight: 2, arbitrary: fc.constantFrom("*", "**", "?") },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "[ab]",
      "[A-Z]",
      "[!a]",
      "{a,B}",
      "{.k,s}",
      "\\(",
      "\\*",
      "\\a",
      "(a|b)",
      "+",
      "@",
      "!",
    ),
  },
);
const globSegment = fc.array(token, { minLength: 1, maxLength: 3 }).map((ts) => ts.join(""));
const glob = fc
  .tuple(
    fc.constantFrom("/", "/", "/", "", "./"),
    fc.array(
      fc.oneof({ weight: 8, arbitrary: globSegment }, { weight: 1, arbitrary: fc.constantFrom(".", "..") }),
      {
        minLength: 1,
        maxLength: 4,
      },
    ),
    fc.constantFrom("", "", "/**", "/*", "/"),
  )
  .map(([lead, segs, tail]) => `${lead}${segs.join("/")}${tail}`);

/** A path the glob may well match: wildcards filled in, then perturbed. */
function pathsFor(g: string, fill: string[], flips: boolean[]): string[] {
  let i = 0;
  const next = () => fill[i++ % fill.length] ?? "";
  const filled = g
    .replace(/\\(.)/g, "$1")
    .replace(/\/\*\*$/, () => (next() === "" ? "" : "/**"))
    .replace(/\*\*/g, () => `${next()}/${next()}`)
    .replace(/[*?]/g, () => next())
    .replace(/\[[^\]]*\]|\{[^}]*\}|\([^)]*\)/g, () => next());
  const flipped = [...filled]
    .map((c, j) => (flips[j % Math.max(1, flips.length)] ? c.toUpperCase() : c))
    .join("");
  const parent = filled.slice(0, Math.max(0, filled.lastIndexOf("/")));
  // `dir/**` matches `dir` itself: the slash before a globstar is not required text.
  const noGlobstar = filled.replace(/\/+$/, "");
  return [
    g,
    filled,
    flipped,
    parent,
    `${parent}/`,
    noGlobstar,
    `${filled}/`,
    `/${filled}`,
    filled.replace(/\//g, "//"),
    filled.toLowerCase(),
    filled.toUpperCase(),
  ];
}

const fill = fc.array(fc.oneof(literal, fc.constant(""), fc.constant("x/y")), { minLength: 1, maxLength: 6 });
const flips = fc.array(fc.boolean(), { minLength: 1, maxLength: 5 });
const randomPath = fc.array(literal, { minLength: 1, maxLength: 5 }).map((ps) => `/${ps.join("/")}`);

function eager(g: string, nocase: boolean): ((p: string) => boolean) | undefined {
  try {
    return picomatch(g, { dot: true, nocase });
  } catch {
    return undefined;
  }
}

describe("lazy glob matchers decide as eager picomatch does", () => {
  for (const nocase of [false, true]) {
    it(`on random globs and paths (nocase: ${nocase})`, () => {
      fc.assert(
        fc.property(glob, fill, flips, fc.array(randomPath, { maxLength: 3 }), (g, f, fl, extra) => {
          const slow = eager(g, nocase);
          fc.pre(slow !== undefined);
          const fast = lazyGlob(g, { dot: true, nocase });
          for (const p of [...pathsFor(g, f, fl), ...extra]) {
            assert.equal(fast(p), slow!(p), `glob ${JSON.stringify(g)} path ${JSON.stringify(p)}`);
          }
        }),
        RUNS,
      );
    });
  }

  it("as policy rules, for patterns expanded against roots and homes with glob syntax in them", () => {
    const dir = fc.array(literal, { minLength: 1, maxLength: 3 }).map((ps) => `/${ps.join("/")}`);
    const odd = fc.constantFrom("/home/John (Work)", "/p*", "/r[1]", "/h{a,b}", "/Root", "/tmp/ÉTÉ");
    const pattern = fc.oneof(
      glob,
      fc.constantFrom(".env", "*.pem", "~/.ssh/**", "**/secrets/**", "id_rsa*", "src/**", "~", "/etc/shadow"),
    );
    fc.assert(
      fc.property(
        fc.oneof(dir, odd),
        fc.oneof(dir, odd),
        pattern,
        fc.constantFrom<PatternKind>("allow", "deny"),
        fill,
        flips,
        (root, home, pat, kind, f, fl) => {
          fc.pre(!pat.startsWith("!") && !/^~[^/]/.test(pat));
          const g = expandPathPattern(pat, root, home, kind);
          const nocase = kind === "deny";
          const full = eager(g, nocase);
          const dirOnly = g.endsWith("/**") ? eager(g.slice(0, -3) || "/", nocase) : () => false;
          fc.pre(full !== undefined && dirOnly !== undefined);
          const rule = compilePathRule(pat, "test", root, home, kind);
          const candidates = [
            ...pathsFor(g, f, fl),
            `${root}/${f.join("/")}`,
            `${home}/.ssh/id_rsa`,
            `${root}/.ENV`,
          ];
          for (const p of candidates) {
            assert.equal(
              rule.test(p),
              full!(p) || dirOnly!(p),
              `pattern ${pat} (${g}) path ${JSON.stringify(p)}`,
            );
          }
        },
      ),
      RUNS,
    );
  });
});

describe("validating a simple glob without compiling it", () => {
  it("loses nothing: picomatch compiles every glob isSimpleGlob accepts", () => {
    const simple = fc.stringMatching(/^[A-Za-z0-9/._~*?-]{1,60}$/);
    fc.assert(
      fc.property(simple, (g) => {
        assert.equal(isSimpleGlob(g), true);
        picomatch.makeRe(g, { dot: true });
      }),
      RUNS,
    );
    assert.equal(isSimpleGlob("a".repeat(70_000)), false, "past picomatch's length limit");
    assert.equal(isSimpleGlob("src/[ab]"), false);
  });
});

describe("lazy glob prefilter", () => {
  it("skips a pattern whose fixed directory the path is not in, without compiling it", () => {
    const f = prefilterOf("/home/u/.aws/**");
    assert.deepEqual(f, { prefix: "/home/u/.aws", runs: [] });
    assert.equal(mayMatch("/tmp/project/a.py", f, true), false);
  });

  it("keeps a case-insensitive deny on a differently cased path (~/.SSH on a case-insensitive mount)", () => {
    const rule = compilePathRule("~/.ssh/**", "test", "/work/p", "/home/u", "deny");
    assert.equal(rule.test("/HOME/U/.SSH/id_rsa"), true);
    assert.equal(rule.test("/home/u/.Ssh"), true);
  });

  it("keeps a bare-name deny at any depth and in any case (.env, *.pem)", () => {
    const env = compilePathRule(".env", "test", "/work/p", "/home/u", "deny");
    assert.equal(env.test("/anywhere/deep/.ENV"), true);
    const pem = compilePathRule("*.pem", "test", "/work/p", "/home/u", "deny");
    assert.equal(pem.test("/x/server.PEM"), true);
    assert.equal(pem.test("/x/server.pem.txt"), false);
  });

  it("does not prefilter a path with non-ASCII characters under a case-insensitive rule", () => {
    // U+212A KELVIN SIGN lower-cases to "k": an ASCII-only fold must not decide for it.
    const f = prefilterOf("/secret/**");
    assert.equal(mayMatch("/ſecret/x", f, true), true);
    assert.equal(mayMatch("/\u212Aey", prefilterOf("/key/**"), true), true);
  });

  it("uses only plain characters: escapes, classes and braces end the literal text", () => {
    assert.deepEqual(prefilterOf("/home/John \\(Work\\)/.ssh/**"), { prefix: "/home", runs: [] });
    assert.deepEqual(prefilterOf("/a/{b,c}/d"), { prefix: "/a", runs: [] });
    assert.deepEqual(prefilterOf("/**/id_rsa*"), { prefix: "", runs: ["id_rsa"] });
    assert.deepEqual(prefilterOf("./a/b"), { prefix: "", runs: [] });
  });
});
