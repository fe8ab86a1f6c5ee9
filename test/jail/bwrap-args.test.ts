import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  buildBwrapArgs,
  bwrapArgv,
  type FsView,
  type JailPolicy,
  JailSetupError,
  type NodeKind,
  staticPrefix,
} from "../../src/jail/bwrap-args.js";
import { compilePathRule } from "../../src/policy/patterns.js";

const ROOT = "/w/proj";

const pairs = (xs: string[]) => xs.slice(0, -1).map((x, i) => [x, xs[i + 1]] as const);
const HOME = "/home/u";

/** An in-memory file system: path → kind, plus symlinks (path → target). */
function fakeFs(
  nodes: Record<string, NodeKind>,
  links: Record<string, string> = {},
): FsView & { listed: string[] } {
  const listed: string[] = [];
  const resolve = (p: string): string | null => {
    for (const [link, to] of Object.entries(links)) {
      if (p === link || p.startsWith(`${link}/`)) return resolve(to + p.slice(link.length));
    }
    return nodes[p] !== undefined || p === "/" ? p : null;
  };
  return {
    listed,
    async kind(p) {
      if (links[p] !== undefined) return "symlink";
      return p === "/" ? "dir" : (nodes[p] ?? null);
    },
    async realpath(p) {
      return resolve(p);
    },
    async list(dir) {
      listed.push(dir);
      const names = new Map<string, NodeKind>();
      for (const [p, k] of Object.entries({
        ...nodes,
        ...Object.fromEntries(Object.keys(links).map((l) => [l, "symlink" as NodeKind])),
      })) {
        if (p.startsWith(`${dir}/`) && !p.slice(dir.length + 1).includes("/"))
          names.set(p.slice(dir.length + 1), k);
      }
      return [...names].map(([name, kind]) => ({ name, kind }));
    },
  };
}

/** fakeFs that can also create directories (parent must exist), recording each one. */
function creatingFs(
  nodes: Record<string, NodeKind>,
  links: Record<string, string> = {},
): FsView & { listed: string[]; created: string[] } {
  const own = { ...nodes };
  const created: string[] = [];
  const view = fakeFs(own, links);
  return Object.assign(view, {
    created,
    async makeDir(p: string) {
      const parent = p.slice(0, p.lastIndexOf("/")) || "/";
      if ((await view.kind(parent)) !== "dir") throw new Error(`ENOENT ${parent}`);
      if ((await view.kind(p)) !== null) return;
      own[p] = "dir";
      created.push(p);
    },
  });
}

function policy(opts: {
  write?: string[];
  deny?: string[];
  auditLogs?: string[];
  policyFiles?: string[];
}): JailPolicy {
  return {
    root: ROOT,
    filesystem: {
      writeAllow: (opts.write ?? []).map((p) => compilePathRule(p, "test", ROOT, HOME, "allow")),
      deny: (opts.deny ?? []).map((p) => compilePathRule(p, "test", ROOT, HOME, "deny")),
    },
    reserved: { auditLogs: opts.auditLogs ?? [], policyFiles: opts.policyFiles ?? [] },
  };
}

const TREE: Record<string, NodeKind> = {
  "/w": "dir",
  [ROOT]: "dir",
  [`${ROOT}/aegis.toml`]: "file",
  [`${ROOT}/src`]: "dir",
  [`${ROOT}/src/app.py`]: "file",
  [`${ROOT}/src/secrets`]: "dir",
  [`${ROOT}/src/secrets/db.txt`]: "file",
  [`${ROOT}/.env`]: "file",
  [`${ROOT}/deploy`]: "dir",
  [`${ROOT}/deploy/server.pem`]: "file",
  [`${ROOT}/.aegis`]: "dir",
  [`${ROOT}/.aegis/audit.jsonl`]: "file",
  [HOME]: "dir",
  [`${HOME}/.ssh`]: "dir",
  [`${HOME}/.ssh/id_ed25519`]: "file",
  [`${HOME}/.netrc`]: "file",
  "/etc": "dir",
  "/etc/shadow": "file",
};

describe("bwrap argv builder", () => {
  it("builds the full argv for a sample policy", async () => {
    const plan = await buildBwrapArgs({
      policy: policy({
        write: ["src/**"],
        deny: [
          "~/.ssh/**",
          "~/.netrc",
          "/etc/shadow",
          ".env",
          "*.pem",
          "**/secrets/**",
          "/proc/**",
          "/dev/**",
        ],
        auditLogs: [`${ROOT}/.aegis/audit.jsonl`],
        policyFiles: [`${ROOT}/aegis.toml`],
      }),
      command: ["/usr/bin/git", "status"],
      cwd: ROOT,
      env: { PATH: "/usr/bin:/bin", LANG: "C.UTF-8" },
      fs: fakeFs(TREE),
      blankFile: "/tmp/aegis-jail-x/denied",
    });
    // biome-ignore format: one mount per line reads better
    assert.deepEqual(bwrapArgv(plan), [
      "--ro-bind", "/", "/",
      "--dev", "/dev",
      "--proc", "/proc",
      "--tmpfs", "/tmp",
      "--bind", `${ROOT}/src`, `${ROOT}/src`,
      "--ro-bind", "/tmp/aegis-jail-x/denied", "/etc/shadow",
      "--ro-bind", "/tmp/aegis-jail-x/denied", `${HOME}/.netrc`,
      "--perms", "0000", "--tmpfs", `${HOME}/.ssh`,
      "--perms", "0000", "--tmpfs", `${ROOT}/.aegis`,
      "--ro-bind", "/tmp/aegis-jail-x/denied", `${ROOT}/.env`,
      "--ro-bind", "/tmp/aegis-jail-x/denied", `${ROOT}/deploy/server.pem`,
      "--perms", "0000", "--tmpfs", `${ROOT}/src/secrets`,
      "--ro-bind", `${ROOT}/aegis.toml`, `${ROOT}/aegis.toml`,
      "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
      "--clearenv",
      "--setenv", "PATH", "/usr/bin:/bin",
      "--setenv", "LANG", "C.UTF-8",
      "--chdir", ROOT,
      "--", "/usr/bin/git", "status",
    ]);
    assert.deepEqual(plan.writable, [`${ROOT}/src`]);
  });

  it("hides a denied directory inside a writable one after binding it (deny wins)", async () => {
    const plan = await buildBwrapArgs({
      policy: policy({ write: ["src/**"], deny: ["src/secrets/**"] }),
      command: ["/bin/true"],
      cwd: ROOT,
      env: {},
      fs: fakeFs(TREE),
    });
    const bind = plan.options.indexOf("--bind");
    const hide = plan.options.indexOf(`${ROOT}/src/secrets`);
    assert.ok(bind >= 0 && hide > bind);
  });

  it("pins every directory between a writable bind and what it hides or keeps read-only, before hiding it (no rename moves them aside)", async () => {
    const plan = await buildBwrapArgs({
      policy: policy({
        write: ["src/**"],
        deny: ["src/a/b/key.pem"],
        policyFiles: [`${ROOT}/src/conf/base.toml`],
      }),
      command: ["/bin/true"],
      cwd: ROOT,
      env: {},
      fs: fakeFs({
        ...TREE,
        [`${ROOT}/src/a`]: "dir",
        [`${ROOT}/src/a/b`]: "dir",
        [`${ROOT}/src/a/b/key.pem`]: "file",
        [`${ROOT}/src/conf`]: "dir",
        [`${ROOT}/src/conf/base.toml`]: "file",
      }),
      blankFile: "/b",
    });
    const mounts = bwrapArgv(plan).slice(
      bwrapArgv(plan).indexOf("--bind"),
      bwrapArgv(plan).indexOf("--unshare-all"),
    );
    // biome-ignore format: one mount per line reads better
    assert.deepEqual(mounts, [
      "--bind", `${ROOT}/src`, `${ROOT}/src`,
      "--bind", `${ROOT}/src/a`, `${ROOT}/src/a`,
      "--bind", `${ROOT}/src/conf`, `${ROOT}/src/conf`,
      "--bind", `${ROOT}/src/a/b`, `${ROOT}/src/a/b`,
      "--ro-bind", "/b", `${ROOT}/src/a/b/key.pem`,
      "--ro-bind", `${ROOT}/src/conf/base.toml`, `${ROOT}/src/conf/base.toml`,
    ]);
  });

  it("uses /dev/null over denied files when no blank file is given", async () => {
    const plan = await buildBwrapArgs({
      policy: policy({ deny: ["/etc/shadow"] }),
      command: ["/bin/true"],
      cwd: ROOT,
      env: {},
      fs: fakeFs(TREE),
    });
    const i = plan.options.indexOf("/etc/shadow");
    assert.deepEqual(plan.options.slice(i - 2, i + 1), ["--ro-bind", "/dev/null", "/etc/shadow"]);
  });

  it("does not bind a write prefix that does not exist (its parent would grant more)", async () => {
    const plan = await buildBwrapArgs({
      policy: policy({ write: ["build/**"] }),
      command: ["/bin/true"],
      cwd: ROOT,
      env: {},
      fs: fakeFs(TREE),
    });
    assert.deepEqual(plan.writable, []);
    assert.ok(!plan.options.includes("--bind"));
  });

  it("creates a missing write prefix inside the root, then binds just it (out/** before the first build)", async () => {
    const fs = creatingFs(TREE);
    const plan = await buildBwrapArgs({
      policy: policy({ write: ["out/**", "build/gen/**"] }),
      command: ["/usr/bin/python3", "build.py"],
      cwd: ROOT,
      env: {},
      fs,
    });
    assert.deepEqual(fs.created, [`${ROOT}/out`, `${ROOT}/build`, `${ROOT}/build/gen`]);
    assert.deepEqual(plan.writable, [`${ROOT}/out`, `${ROOT}/build/gen`]);
    assert.ok(!plan.writable.includes(`${ROOT}/build`), "the new parent stays read-only");
    assert.ok(!plan.writable.includes(ROOT));
  });

  it("creates no write prefix outside the root, inside a denied or git directory, or below a symlink", async () => {
    const fs = creatingFs(
      { ...TREE, [`${ROOT}/.git`]: "dir", "/elsewhere": "dir" },
      { [`${ROOT}/linked`]: "/elsewhere" },
    );
    const plan = await buildBwrapArgs({
      policy: policy({
        write: [
          "~/.cache/tool/**",
          "/var/cache/tool/**",
          "src/secrets/out/**",
          ".git/x/**",
          "linked/out/**",
          "vault/**",
        ],
        deny: ["**/secrets/**", "vault/**"],
      }),
      command: ["/bin/true"],
      cwd: ROOT,
      env: {},
      fs,
    });
    assert.deepEqual(fs.created, []);
    assert.deepEqual(plan.writable, []);
  });

  it("does not make a symlink's target writable when the target is outside write_allow", async () => {
    const plan = await buildBwrapArgs({
      policy: policy({ write: ["src/out/**"] }),
      command: ["/bin/true"],
      cwd: ROOT,
      env: {},
      fs: fakeFs(TREE, { [`${ROOT}/src/out`]: `${HOME}/.ssh` }),
    });
    assert.deepEqual(plan.writable, []);
  });

  it("binds /tmp read-write instead of a private tmpfs when the policy lets the child write there", async () => {
    const plan = await buildBwrapArgs({
      policy: policy({ write: ["/tmp/**"] }),
      command: ["/bin/true"],
      cwd: ROOT,
      env: {},
      fs: fakeFs({ ...TREE, "/tmp": "dir" }),
    });
    assert.ok(!pairs(plan.options).some(([a, b]) => a === "--tmpfs" && b === "/tmp"));
    assert.deepEqual(plan.writable, ["/tmp"]);
  });

  it("keeps a project under /tmp visible (read-only) inside the private /tmp", async () => {
    const root = "/tmp/proj";
    const plan = await buildBwrapArgs({
      policy: { ...policy({}), root },
      command: ["/bin/true"],
      cwd: `${root}/sub`,
      env: {},
      fs: fakeFs({ "/tmp": "dir", [root]: "dir", [`${root}/sub`]: "dir" }),
    });
    const i = plan.options.indexOf("--tmpfs");
    assert.deepEqual(plan.options.slice(i, i + 5), ["--tmpfs", "/tmp", "--ro-bind", root, root]);
    assert.equal(plan.options.filter((o) => o === `${root}/sub`).length, 1, "only --chdir names the cwd");
  });

  it("leaves /dev and /proc to their fresh instances instead of hiding them", async () => {
    const plan = await buildBwrapArgs({
      policy: policy({ deny: ["/proc/**", "/dev/**", "/sys/**"] }),
      command: ["/bin/true"],
      cwd: ROOT,
      env: {},
      fs: fakeFs({ ...TREE, "/sys": "dir", "/proc": "dir", "/dev": "dir" }),
    });
    assert.deepEqual(plan.hidden, ["/sys"]);
  });

  it("does not follow or hide symlinks while looking for denied names", async () => {
    const fs = fakeFs(TREE, { [`${ROOT}/link.pem`]: "/etc/shadow", [`${ROOT}/loop`]: ROOT });
    const plan = await buildBwrapArgs({
      policy: policy({ deny: ["*.pem"] }),
      command: ["/bin/true"],
      cwd: ROOT,
      env: {},
      fs,
    });
    assert.deepEqual(plan.hidden, [`${ROOT}/deploy/server.pem`]);
    assert.ok(!fs.listed.includes(`${ROOT}/loop`));
  });

  it("fails closed when looking for denied names would scan too much", async () => {
    await assert.rejects(
      buildBwrapArgs({
        policy: policy({ deny: [".env"] }),
        command: ["/bin/true"],
        cwd: ROOT,
        env: {},
        fs: fakeFs(TREE),
        maxScan: 3,
      }),
      JailSetupError,
    );
  });

  it("keeps secrets off the bwrap command line: env values are options, passed on a pipe", async () => {
    const plan = await buildBwrapArgs({
      policy: policy({}),
      command: ["/usr/bin/env"],
      cwd: ROOT,
      env: { TOKEN: "s3cr3t" },
      fs: fakeFs(TREE),
    });
    assert.ok(plan.options.includes("s3cr3t"));
    assert.ok(!plan.command.includes("s3cr3t"));
  });

  it("computes the static prefix of a glob", () => {
    assert.equal(staticPrefix("/w/proj/src/**"), "/w/proj/src");
    assert.equal(staticPrefix("/w/proj/**/x.py"), "/w/proj");
    assert.equal(staticPrefix("/**/.env"), "/");
    assert.equal(staticPrefix("/etc/sudoers*"), "/etc");
    assert.equal(staticPrefix("/w/proj/out.txt"), "/w/proj/out.txt");
  });
});
