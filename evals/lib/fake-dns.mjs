// Preloaded into the aegis CLI/MCP process by the evals (node --import) when a case needs
// names that resolve to chosen loopback addresses. EVAL_FAKE_DNS names a JSON file:
// { "name": ["addr", …] } or { "name": [["first answer"], ["second answer"], …] } (the
// n-th lookup of that name gets the n-th answer, the last one repeats: DNS rebinding).
// Names not in the table go to the real resolver.
import dns from "node:dns";
import { readFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";

const file = process.env.EVAL_FAKE_DNS;
if (file) {
  const table = JSON.parse(readFileSync(file, "utf8"));
  const counts = new Map();
  const answer = (name) => {
    const entry = table[name.toLowerCase().replace(/\.$/, "")];
    if (entry === undefined) return undefined;
    const n = counts.get(name) ?? 0;
    counts.set(name, n + 1);
    const list = Array.isArray(entry[0]) ? entry[Math.min(n, entry.length - 1)] : entry;
    return list.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  const realPromise = dns.promises.lookup;
  dns.promises.lookup = async (name, options) => {
    const all = answer(String(name));
    if (all === undefined) return realPromise(name, options);
    const wantAll = typeof options === "object" && options !== null && options.all;
    return wantAll ? all : all[0];
  };
  const realCallback = dns.lookup;
  dns.lookup = (name, options, callback) => {
    const cb = typeof options === "function" ? options : callback;
    const opts = typeof options === "function" ? {} : options;
    const all = answer(String(name));
    if (all === undefined) return realCallback(name, options, callback);
    const wantAll = typeof opts === "object" && opts !== null && opts.all;
    process.nextTick(() => (wantAll ? cb(null, all) : cb(null, all[0].address, all[0].family)));
    return undefined;
  };
  syncBuiltinESMExports();
}
