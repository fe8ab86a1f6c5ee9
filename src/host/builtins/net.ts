/**
 * `net.httpGet/Post/Put/Patch/Delete`: gated HTTP with pinned DNS, no redirects followed,
 * a total deadline and a response size cap. Returns `{ status, headers, body }` (the
 * guest side adds `r.json()`).
 */
import type { HttpMethod } from "../../policy/types.js";
import type { Builtin, BuiltinTable } from "../builtin-types.js";
import { httpCall } from "../net/http-call.js";
import { type PinnedClientOptions, PinnedHttpClient } from "../net/pinned-client.js";
import { parseHttpArgs } from "../net/request-args.js";

const VERBS: readonly [name: string, method: HttpMethod, hasBody: boolean][] = [
  ["net.httpGet", "GET", false],
  ["net.httpPost", "POST", true],
  ["net.httpPut", "PUT", true],
  ["net.httpPatch", "PATCH", true],
  ["net.httpDelete", "DELETE", false],
];

export interface NetBuiltinOptions extends PinnedClientOptions {
  /** Share a client (and its keep-alive pools); otherwise one is made for this table. */
  client?: PinnedHttpClient;
}

export function createNetBuiltins(options: NetBuiltinOptions = {}): BuiltinTable {
  const client = options.client ?? new PinnedHttpClient(options);
  const table: Record<string, Builtin> = {};
  for (const [name, method, hasBody] of VERBS) {
    table[name] = async (args, ctx) =>
      httpCall(client, ctx, name, method, parseHttpArgs(name, args, hasBody));
  }
  return Object.freeze(table);
}

export const NET_BUILTINS: BuiltinTable = createNetBuiltins();
