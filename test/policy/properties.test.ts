/**
 * Property tests (fast-check, ≥ 200 runs each): deny wins over any allow, an empty
 * policy denies everything, decide is deterministic, canonicalisation is idempotent,
 * adding an allow never lifts a deny, no match is a deny — plus the address-encoding
 * and host-spelling invariances the SSRF rules rely on.
 */
import assert from "node:assert/strict";
import { lstatSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { AegisError } from "../../src/errors.js";
import { canonicalPathSync } from "../../src/host/paths.js";
import { decide } from "../../src/policy/decide.js";
import type { Decision, FsAction, HttpMethod, Operation, ResolvedPolicy } from "../../src/policy/types.js";
import { link, makeTree, resolveText, type Tree, writeFile } from "./helpers.js";

const RUNS = { numRuns: 300 };
const FS_ACTIONS: FsAction[] = ["fs.read", "fs.write", "fs.delete", "fs.list", "fs.exists"];
const METHODS: HttpMethod[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];
const q = (xs: readonly string[]) => `[${xs.map((x) => JSON.stringify(x)).join(", ")}]`;

// ------------------------------------------------------------------ generators

const segment = fc
  .stringMatching(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,7}$/)
  .filter((s) => s !== "." && s !== ".." && !s.startsWith(".."));
const segments = fc.array(segment, { minLength: 1, maxLength: 4 });
const label = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/);
const hostName = fc.array(label, { minLength: 2, maxLength: 4 }).map((ls) => ls.join("."));
const varName = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,10}$/);
const cmdName = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
const method = fc.constantFrom(...METHODS);

/** Mixed case, like an attacker on a case-insensitive mount or resolver would try. */
const recase = (s: string, flips: boolean[]) =>
  [...s].map((c, i) => (flips[i % Math.max(1, flips.length)] ? c.toUpperCase() : c.toLowerCase())).join("");

function fsOp(action: FsAction, path: string): Operation {
  return { kind: action, path };
}
function policy(text: string, t: Tree): ResolvedPolicy {
  return resolveText(text, { root: t.root, home: t.home });
}

const DENY_LIST_RULE =
  /^(filesystem\.deny|network\.deny_hosts|network\.deny_ips|environment\.deny_vars|subprocess\.deny_commands|subprocess\.deny_args\.)/;

describe("policy properties", () => {
  let tree: Tree;
  before(() => {
    tree = makeTree("aegis-props-");
  });
  after(() => tree.cleanup());

  // ---------------------------------------------------------------- deny wins

  it("deny wins: a denied path is denied whatever allow/local-only entries exist, for every fs action", () => {
    fc.assert(
      fc.property(
        segments,
        fc.nat(5),
        fc.subarray(["**", "*", "src/**", "/**", "EXACT", "DIR", "BARE", "~/**"]),
        fc.constantFrom(...FS_ACTIONS),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }),
        (segs, how, allowKinds, action, flips) => {
          const rel = segs.join("/");
          const last = segs[segs.length - 1]!;
          const dir = segs.length > 1 ? segs.slice(0, -1).join("/") : undefined;
          const forms = [
            rel,
            dir ? `${dir}/**` : `${rel}/**`,
            last,
            `**/${last}`,
            `${tree.root}/${rel}`,
            recase(rel, flips),
          ];
          const denyPattern = forms[how % forms.length]!;
          const allows = allowKinds.map((k) =>
            k === "EXACT" ? rel : k === "DIR" ? (dir ? `${dir}/**` : "**") : k === "BARE" ? last : k,
          );
          const p = policy(
            `[filesystem]\nread_allow = ${q(allows)}\nlocal_only_read = ${q(allows)}\nwrite_allow = ${q(allows)}\ndelete_allow = ${q(allows)}\ndeny = ${q([denyPattern])}\n`,
            tree,
          );
          const d = decide(p, fsOp(action, `${tree.root}/${rel}`));
          assert.equal(d.decision, "deny", `${denyPattern} vs ${rel}: ${d.reason}`);
          assert.match(d.rule, /^filesystem\.deny /);
        },
      ),
      RUNS,
    );
  });

  it("deny wins: a denied host is denied for every method, any spelling, whatever is allowed", () => {
    fc.assert(
      fc.property(
        hostName,
        label,
        fc.boolean(),
        fc.subarray(["*", "HOST", "WILD"]),
        method,
        fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        (host, sub, wildDeny, allowKinds, m, flips, dot) => {
          const target = wildDeny ? `${sub}.${host}` : host;
          const deny = wildDeny ? `*.${host}` : recase(host, flips);
          const allows = allowKinds.map((k) => (k === "HOST" ? target : k === "WILD" ? `*.${host}` : "*"));
          const lists = METHODS.map((x) => `http_${x.toLowerCase()}_allow = ${q(allows)}`).join("\n");
          const p = policy(
            `[network]\n${lists}\nlocal_only_hosts = ${q(allows)}\ndeny_hosts = ${q([deny])}\n`,
            tree,
          );
          const url = `https://${recase(target, flips.slice().reverse())}${dot ? "." : ""}/x`;
          const d = decide(p, { kind: "net.http", method: m, url });
          assert.equal(d.decision, "deny", d.reason);
          assert.match(d.rule, /^network\.deny_hosts /);
        },
      ),
      RUNS,
    );
  });

  it("deny wins: an address in deny_ips is denied in every URL encoding and as a resolver answer", () => {
    fc.assert(
      fc.property(
        ipv4,
        fc.integer({ min: 8, max: 32 }),
        fc.nat(0xffffffff),
        fc.constantFrom("dotted", "int", "hex", "mapped", "mapped-hex", "resolved", "resolved-mapped"),
        method,
        ([a, b, c, d], bits, noise, encoding, m) => {
          const net =
            (((a << 24) | (b << 16) | (c << 8) | d) >>> 0) &
            (bits === 32 ? 0xffffffff : ~(0xffffffff >>> bits));
          const addr = ((net >>> 0) | (noise & (bits === 32 ? 0 : 0xffffffff >>> bits))) >>> 0;
          const oct = [addr >>> 24, (addr >>> 16) & 255, (addr >>> 8) & 255, addr & 255];
          const cidr = `${[net >>> 24, (net >>> 16) & 255, (net >>> 8) & 255, net & 255].join(".")}/${bits}`;
          const dotted = oct.join(".");
          const hex4 = `${((oct[0]! << 8) | oct[1]!).toString(16)}:${((oct[2]! << 8) | oct[3]!).toString(16)}`;
          const lists = METHODS.map((x) => `http_${x.toLowerCase()}_allow = ["*"]`).join("\n");
          const p = policy(`[network]\n${lists}\ndeny_ips = ${q([cidr])}\n`, tree);
          const url = {
            dotted: `http://${dotted}/`,
            int: `http://${addr}/`,
            hex: `http://0x${addr.toString(16)}/`,
            mapped: `http://[::ffff:${dotted}]/`,
            "mapped-hex": `http://[::ffff:${hex4}]/`,
            resolved: "http://name.example/",
            "resolved-mapped": "http://name.example/",
          }[encoding];
          const ips =
            encoding === "resolved"
              ? [dotted]
              : encoding === "resolved-mapped"
                ? [`::ffff:${dotted}`]
                : undefined;
          const dcs = decide(p, { kind: "net.http", method: m, url, ...(ips ? { resolvedIps: ips } : {}) });
          assert.equal(dcs.decision, "deny", `${encoding} ${url} ${ips ?? ""} in ${cidr}: ${dcs.reason}`);
          assert.equal(dcs.rule, `network.deny_ips ${JSON.stringify(cidr)} (${p.file})`);
        },
      ),
      RUNS,
    );
  });

  it("deny wins: a denied variable is denied in any case, whatever allow/local-only entries exist", () => {
    fc.assert(
      fc.property(
        varName.filter((n) => !/^AEGIS_/i.test(n)),
        fc.nat(3),
        fc.subarray(["*", "NAME", "PREFIX"]),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
        (name, how, allowKinds, flips) => {
          const deny = [name, `${name.slice(0, 1)}*`, name.toLowerCase(), "*"][how]!;
          const allows = allowKinds.map((k) =>
            k === "NAME" ? name : k === "PREFIX" ? `${name.slice(0, 1)}*` : "*",
          );
          const p = policy(
            `[environment]\nallow_vars = ${q(allows)}\nlocal_only_vars = ${q(allows)}\ndeny_vars = ${q([deny])}\n`,
            tree,
          );
          const d = decide(p, { kind: "env.read", name: recase(name, flips) });
          assert.equal(d.decision, "deny", d.reason);
          assert.match(d.rule, /^environment\.deny_vars /);
        },
      ),
      RUNS,
    );
  });

  it("deny wins: a denied command is denied by name, path, case and version suffix, even if allowed", () => {
    fc.assert(
      fc.property(
        cmdName.filter((n) => !/[0-9-]$/.test(n)),
        fc.constantFrom("bare", "path", "upper", "version", "relative"),
        fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }),
        (name, form, args) => {
          const argv0 = {
            bare: name,
            path: `/usr/bin/${name}`,
            upper: name.toUpperCase(),
            version: `${name}3.11`,
            relative: `./${name}`,
          }[form];
          const allows = [name, `/usr/bin/${name}`, argv0, `./${name}`];
          const p = policy(
            `[subprocess]\nallow_commands = ${q(allows)}\nlocal_only_commands = ${q(allows)}\ndeny_commands = ${q([name])}\n`,
            tree,
          );
          const d = decide(p, {
            kind: "subprocess.exec",
            argv: [argv0, ...args.filter((a) => !a.includes("\0"))],
          });
          assert.equal(d.decision, "deny", d.reason);
          assert.match(d.rule, /^subprocess\.deny_commands /);
        },
      ),
      RUNS,
    );
  });

  // ---------------------------------------------------------------- empty policy

  const anyOp: fc.Arbitrary<Operation> = fc.oneof(
    fc
      .record({
        action: fc.constantFrom(...FS_ACTIONS),
        segs: fc.array(segment, { maxLength: 4 }),
        abs: fc.boolean(),
      })
      .map(({ action, segs, abs }) => fsOp(action, `${abs ? "" : "/tmp/x"}/${segs.join("/")}`)),
    fc
      .record({ action: fc.constantFrom(...FS_ACTIONS), path: fc.string() })
      .map(({ action, path }) => fsOp(action, path)),
    fc
      .record({
        m: method,
        host: fc.oneof(
          hostName,
          ipv4.map((o) => o.join(".")),
        ),
        port: fc.constantFrom("", ":80", ":443", ":8080"),
        scheme: fc.constantFrom("http", "https", "ftp", "file"),
        ips: fc.option(
          fc.array(
            ipv4.map((o) => o.join(".")),
            { maxLength: 3 },
          ),
          { nil: undefined },
        ),
      })
      .map(({ m, host, port, scheme, ips }) => ({
        kind: "net.http" as const,
        method: m,
        url: `${scheme}://${host}${port}/p`,
        ...(ips ? { resolvedIps: ips } : {}),
      })),
    fc
      .record({ m: method, url: fc.string() })
      .map(({ m, url }) => ({ kind: "net.http" as const, method: m, url })),
    fc.oneof(varName, fc.string()).map((name) => ({ kind: "env.read" as const, name })),
    fc
      .array(
        fc.oneof(
          cmdName,
          fc.string(),
          segments.map((s) => `/${s.join("/")}`),
        ),
        { minLength: 1, maxLength: 4 },
      )
      .map((argv) => ({ kind: "subprocess.exec" as const, argv })),
  );

  it("an empty policy denies every operation", () => {
    const empty = policy(`version = "1"\n`, tree);
    assert.deepEqual(empty.capabilities, []);
    fc.assert(
      fc.property(anyOp, (op) => {
        const d = decide(empty, op);
        assert.equal(d.decision, "deny", `${JSON.stringify(op)}: ${d.reason}`);
        assert.equal(d.sealed, false);
      }),
      RUNS,
    );
  });

  it("secure-defaults alone grants nothing: every operation is denied", () => {
    const preset = policy(`inherits = "secure-defaults"\n`, tree);
    assert.deepEqual(preset.capabilities, []);
    fc.assert(
      fc.property(anyOp, (op) => {
        assert.equal(decide(preset, op).decision, "deny");
      }),
      RUNS,
    );
  });

  // ---------------------------------------------------------------- determinism

  it("decide is deterministic: same policy and operation → deep-equal decisions", () => {
    const p = policy(
      `inherits = "secure-defaults"
requires_approval = ["net.http_post"]
[filesystem]
read_allow = ["**"]
local_only_read = ["config/**"]
write_allow = ["src/**"]
[network]
http_get_allow = ["*"]
http_post_allow = ["*.example.com"]
local_only_hosts = ["api.openai.com"]
[environment]
allow_vars = ["*"]
local_only_vars = ["TOKEN_*"]
[subprocess]
allow_commands = ["git", "cat", "node"]
local_only_commands = ["tool"]
`,
      tree,
    );
    fc.assert(
      fc.property(anyOp, (op) => {
        const first = decide(p, op);
        const again = decide(p, op);
        const clone = decide(p, structuredClone(op));
        assert.deepEqual(again, first);
        assert.deepEqual(clone, first);
        assert.ok(["allow", "deny", "local_only", "confirm"].includes(first.decision));
        assert.equal(typeof first.reason, "string");
        assert.ok(first.rule.length > 0);
      }),
      RUNS,
    );
  });

  // ---------------------------------------------------------------- no match, monotonic allow

  it("no match is deny: targets outside every allow list get the default deny of that list", () => {
    const allowPool = {
      paths: ["src/**", "docs/*.md", "*.ts", "~/.config/app/**", "/opt/lib/**", "README"],
      hosts: ["*.example.com", "api.github.com", "registry.npmjs.org"],
      vars: ["PATH", "LC_*", "MY_*", "HOME"],
      cmds: ["git", "make", "/usr/bin/python3", "node"],
    };
    fc.assert(
      fc.property(
        fc.subarray(allowPool.paths),
        fc.subarray(allowPool.hosts),
        fc.subarray(allowPool.vars),
        fc.subarray(allowPool.cmds),
        fc.oneof(
          fc.tuple(fc.constant("fs"), fc.constantFrom(...FS_ACTIONS), segments),
          fc.tuple(fc.constant("net"), method, label),
          fc.tuple(fc.constant("env"), varName),
          fc.tuple(fc.constant("exec"), cmdName, fc.boolean()),
        ),
        (paths, hosts, vars, cmds, target) => {
          const lists = METHODS.map((x) => `http_${x.toLowerCase()}_allow = ${q(hosts)}`).join("\n");
          const p = policy(
            `[filesystem]\nread_allow = ${q(paths)}\nlocal_only_read = ${q(paths)}\nwrite_allow = ${q(paths)}\ndelete_allow = ${q(paths)}\n` +
              `[network]\n${lists}\nlocal_only_hosts = ${q(hosts)}\n` +
              `[environment]\nallow_vars = ${q(vars)}\nlocal_only_vars = ${q(vars)}\n` +
              `[subprocess]\nallow_commands = ${q(cmds)}\nlocal_only_commands = ${q(cmds)}\n`,
            tree,
          );
          let op: Operation;
          if (target[0] === "fs") op = fsOp(target[1], `${tree.root}/zz-unlisted/${target[2].join("/")}.unl`);
          else if (target[0] === "net")
            op = { kind: "net.http", method: target[1], url: `https://${target[2]}.unlisted.test/` };
          else if (target[0] === "env") op = { kind: "env.read", name: `ZZ_${target[1]}` };
          else
            op = { kind: "subprocess.exec", argv: [target[2] ? `/opt/zz/${target[1]}` : `zz-${target[1]}`] };
          const d = decide(p, op);
          assert.equal(d.decision, "deny", d.reason);
          assert.match(d.rule, /^default deny \(/);
        },
      ),
      RUNS,
    );
  });

  it("adding an allow entry never turns a deny-listed target into anything but the same deny", () => {
    const universe = {
      paths: ["src/a.ts", "src/secret/k.pem", ".env", "docs/x.md", "data/y.db"],
      hosts: ["api.example.com", "evil.example.com", "x.test.org"],
      vars: ["PATH", "API_TOKEN", "SECRET_X"],
      cmds: ["git", "bash", "curl", "node"],
    };
    const patterns = {
      paths: ["**", "src/**", "*.pem", ".env", "docs/*.md", "data/**", "*.db", "src/secret/**", "/**"],
      hosts: ["*", "*.example.com", "evil.example.com", "api.example.com", "*.org"],
      vars: ["*", "PATH", "API_*", "SECRET_*", "*_TOKEN"],
      cmds: ["git", "bash", "curl", "node", "/bin/bash"],
    };
    const sub = (xs: string[]) => fc.subarray(xs);
    fc.assert(
      fc.property(
        fc.record({
          pa: sub(patterns.paths),
          pd: sub(patterns.paths),
          ha: sub(patterns.hosts),
          hd: sub(patterns.hosts),
          va: sub(patterns.vars),
          vd: sub(patterns.vars),
          ca: sub(patterns.cmds),
          cd: sub(patterns.cmds),
        }),
        fc.oneof(
          fc.tuple(fc.constant("fs"), fc.constantFrom(...FS_ACTIONS), fc.constantFrom(...universe.paths)),
          fc.tuple(fc.constant("net"), method, fc.constantFrom(...universe.hosts)),
          fc.tuple(fc.constant("env"), fc.constant("GET"), fc.constantFrom(...universe.vars)),
          fc.tuple(fc.constant("exec"), fc.constant("GET"), fc.constantFrom(...universe.cmds)),
        ),
        fc.nat(20),
        (l, target, pick) => {
          const text = (extra: { p?: string; h?: string; v?: string; c?: string }) => {
            const pa = extra.p ? [...l.pa, extra.p] : l.pa;
            const ha = extra.h ? [...l.ha, extra.h] : l.ha;
            const va = extra.v ? [...l.va, extra.v] : l.va;
            const ca = extra.c ? [...l.ca, extra.c] : l.ca;
            const lists = METHODS.map((x) => `http_${x.toLowerCase()}_allow = ${q(ha)}`).join("\n");
            return (
              `[filesystem]\nread_allow = ${q(pa)}\nlocal_only_read = ${q(pa)}\nwrite_allow = ${q(pa)}\ndelete_allow = ${q(pa)}\ndeny = ${q(l.pd)}\n` +
              `[network]\n${lists}\nlocal_only_hosts = ${q(ha)}\ndeny_hosts = ${q(l.hd)}\n` +
              `[environment]\nallow_vars = ${q(va)}\nlocal_only_vars = ${q(va)}\ndeny_vars = ${q(l.vd)}\n` +
              `[subprocess]\nallow_commands = ${q(ca)}\nlocal_only_commands = ${q(ca)}\ndeny_commands = ${q(l.cd)}\n`
            );
          };
          let op: Operation;
          const [kind, action, t] = target;
          if (kind === "fs") op = fsOp(action as FsAction, `${tree.root}/${t}`);
          else if (kind === "net")
            op = { kind: "net.http", method: action as HttpMethod, url: `https://${t}/` };
          else if (kind === "env") op = { kind: "env.read", name: t };
          else op = { kind: "subprocess.exec", argv: [t] };
          const before = decide(policy(text({}), tree), op);
          if (before.decision !== "deny" || !DENY_LIST_RULE.test(before.rule)) return;
          // The added entry is any pattern of the target's kind, or the target itself.
          const domain = ({ fs: "paths", net: "hosts", env: "vars", exec: "cmds" } as const)[kind];
          const pool = [...patterns[domain], t];
          const entry = pool[pick % pool.length]!;
          const key = ({ paths: "p", hosts: "h", vars: "v", cmds: "c" } as const)[domain];
          const afterAdd = decide(policy(text({ [key]: entry }), tree), op);
          assert.equal(afterAdd.decision, "deny", afterAdd.reason);
          assert.equal(afterAdd.rule, before.rule);
        },
      ),
      RUNS,
    );
  });

  // ---------------------------------------------------------------- invariances

  it("an IPv4 address gets the same decision in every spelling a URL parser accepts", () => {
    const p = policy(`inherits = "secure-defaults"\n[network]\nhttp_get_allow = ["*"]\n`, tree);
    fc.assert(
      fc.property(ipv4, (o) => {
        const n = ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0;
        const spellings = [
          o.join("."),
          String(n),
          `0x${n.toString(16)}`,
          `0${o[0].toString(8)}.${o[1]}.${o[2]}.${o[3]}`,
          `[::ffff:${o.join(".")}]`,
          `${o.join(".")}.`,
        ];
        const ds = spellings.map((h) => decide(p, { kind: "net.http", method: "GET", url: `http://${h}/` }));
        for (const d of ds) assert.equal(d.decision, ds[0]!.decision, `${spellings.join(" ")}: ${d.reason}`);
        for (const d of ds) assert.equal(d.rule, ds[0]!.rule);
      }),
      RUNS,
    );
  });

  it("host spelling (case, trailing dot, default port) never changes the decision", () => {
    const p = policy(
      `inherits = "secure-defaults"\n[network]\nhttp_get_allow = ["*.example.com", "api.test.org"]\ndeny_hosts = ["bad.example.com"]\n`,
      tree,
    );
    fc.assert(
      fc.property(
        fc.oneof(
          hostName,
          label.map((l) => `${l}.example.com`),
          fc.constantFrom("bad.example.com", "api.test.org"),
        ),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }),
        (host, flips) => {
          const base = decide(p, { kind: "net.http", method: "GET", url: `https://${host}/` });
          for (const url of [
            `https://${recase(host, flips)}/`,
            `https://${host}./`,
            `https://${host}:443/`,
          ]) {
            const d = decide(p, { kind: "net.http", method: "GET", url });
            assert.equal(d.decision, base.decision, url);
            assert.equal(d.rule, base.rule, url);
          }
        },
      ),
      RUNS,
    );
  });

  it("home and root directory names are literal: ~/.ssh/** and root-relative denies hold for any name", () => {
    const dirName = fc
      .stringMatching(/^[A-Za-z0-9 ()[\]{}!+@*?,._-]{1,12}$/)
      .filter((n) => n !== "." && n !== "..");
    fc.assert(
      fc.property(dirName, dirName, (homeName, rootName) => {
        const home = `${tree.base}/${homeName}`;
        const root = `${tree.base}/r/${rootName}`;
        const p = resolveText(
          `inherits = "secure-defaults"\n[filesystem]\nread_allow = ["/**"]\ndeny = ["private/**"]\n`,
          { root, home },
        );
        const ssh = decide(p, fsOp("fs.read", `${home}/.ssh/id_ed25519.pub`));
        assert.equal(ssh.decision, "deny", `home ${JSON.stringify(homeName)}: ${ssh.reason}`);
        assert.match(ssh.rule, /^filesystem\.deny "(~\/\.ssh\/\*\*|id_ed25519\*)"/);
        const aws = decide(p, fsOp("fs.read", `${home}/.aws/config`));
        assert.equal(aws.decision, "deny", `home ${JSON.stringify(homeName)}: ${aws.reason}`);
        const priv = decide(p, fsOp("fs.read", `${root}/private/k`));
        assert.equal(priv.decision, "deny", `root ${JSON.stringify(rootName)}: ${priv.reason}`);
      }),
      RUNS,
    );
  });

  it("decide never throws on JSON-shaped malformed operations (fails closed)", () => {
    const p = policy(
      `inherits = "secure-defaults"\n[network]\nhttp_get_allow = ["*"]\n[filesystem]\nread_allow = ["**"]\n`,
      tree,
    );
    const field = fc.jsonValue();
    const op = fc.oneof(
      fc.record({ kind: fc.constantFrom(...FS_ACTIONS), path: field }),
      fc.record({ kind: fc.constant("net.http"), method: field, url: field, resolvedIps: field }),
      fc.record({
        kind: fc.constant("net.http"),
        method: fc.constant("GET"),
        url: fc.constant("https://a.example/"),
        resolvedIps: field,
      }),
      fc.record({ kind: fc.constant("env.read"), name: field }),
      fc.record({ kind: fc.constant("subprocess.exec"), argv: field, cwd: field, pathArgs: field }),
      fc.record({ kind: field }),
    );
    fc.assert(
      fc.property(op, (o) => {
        let d: Decision | undefined;
        assert.doesNotThrow(() => {
          d = decide(p, o as unknown as Operation);
        }, JSON.stringify(o));
        assert.ok(d && ["allow", "deny", "local_only", "confirm"].includes(d.decision));
      }),
      RUNS,
    );
  });
});

// ------------------------------------------------------------------ canonicalisation

describe("canonicalPathSync properties (real tree with symlinks)", () => {
  let tree: Tree;
  before(() => {
    tree = makeTree("aegis-canon-");
    const r = tree.root;
    mkdirSync(join(r, "a/b/c"), { recursive: true });
    writeFile(join(r, "a/f.txt"));
    link("a/b", join(r, "link-ab"));
    link("..", join(r, "a/b/link-up"));
    link(join(r, "a/f.txt"), join(r, "link-file"));
    link(join(r, "link-ab"), join(r, "link-chain"));
    link(tree.home, join(r, "link-home"));
    link("../../proj-evil", join(r, "a/link-evil"));
  });
  after(() => tree.cleanup());

  const piece = fc.constantFrom(
    "a",
    "b",
    "c",
    "f.txt",
    "link-ab",
    "link-up",
    "link-file",
    "link-chain",
    "link-home",
    "link-evil",
    "src",
    "rel-src",
    "ln-aws",
    "missing",
    "new.txt",
    "..",
    ".",
    "",
    "x y",
    ".hidden",
  );
  const rawPath = fc
    .tuple(
      fc.constantFrom("", "/", "~", "~/", "ROOT/", "BASE/", "./", "../"),
      fc.array(piece, { maxLength: 7 }),
    )
    .map(([prefix, parts]) => {
      const p = prefix.replace("ROOT/", `${tree.root}/`).replace("BASE/", `${tree.base}/`);
      return p + parts.join("/");
    })
    .filter((p) => p.length > 0);

  it("is idempotent: canonical(canonical(p)) === canonical(p)", () => {
    const base = () => ({ root: tree.root, home: tree.home });
    let resolved = 0;
    fc.assert(
      fc.property(rawPath, (raw) => {
        let once: string;
        try {
          once = canonicalPathSync(raw, base());
        } catch (e) {
          assert.ok(e instanceof AegisError, String(e));
          return;
        }
        resolved++;
        assert.ok(once.startsWith("/"), once);
        assert.equal(canonicalPathSync(once, base()), once, raw);
        assert.equal(canonicalPathSync(once, { ...base(), cwd: "/" }), once, "absolute paths ignore cwd");
      }),
      { numRuns: 400 },
    );
    assert.ok(resolved > 200, `only ${resolved} paths resolved`);
  });

  it("canonical paths are normalised and contain no symlink in their existing prefix", () => {
    fc.assert(
      fc.property(rawPath, (raw) => {
        let once: string;
        try {
          once = canonicalPathSync(raw, { root: tree.root, home: tree.home });
        } catch {
          return;
        }
        const parts = once.split("/").slice(1);
        assert.ok(!parts.includes("..") && !parts.includes("."), once);
        assert.ok(once === "/" || !once.endsWith("/"), once);
        assert.ok(!once.includes("//"), once);
        for (let i = 1; i <= parts.length; i++) {
          const prefix = `/${parts.slice(0, i).join("/")}`;
          let isLink: boolean;
          try {
            isLink = lstatSync(prefix).isSymbolicLink();
          } catch {
            break;
          }
          assert.equal(isLink, false, `${prefix} (from ${raw}) is a symlink`);
        }
      }),
      RUNS,
    );
  });
});
