/**
 * HTTP over undici with DNS pinned to checked addresses.
 *
 * `resolveTarget` resolves a URL's host once; the policy checks those addresses; `dial`
 * then connects only to them (TLS server name and certificate check on the original
 * host). undici never resolves anything itself: the connector is given an address, so a
 * DNS answer that changes between check and connect (rebinding) is never used.
 */
import { isIP } from "node:net";
import type { ConnectionOptions } from "node:tls";
import type { buildConnector, Pool } from "undici";
import { AegisError } from "../../errors.js";
import type { Decision } from "../../policy/types.js";
import { collectResponse } from "./read-body.js";
import {
  bareHostname,
  errorCode,
  HIDDEN_HOST,
  type ResolveOptions,
  type Resolver,
  resolveAddresses,
  systemResolver,
} from "./resolve.js";

/** A URL with the addresses that were checked for it. Only `resolveTarget` makes one. */
export interface PinnedTarget {
  readonly url: URL;
  readonly addresses: readonly string[];
}

export interface HttpRequest {
  method: string;
  headers: Record<string, string>;
  body?: string | undefined;
  /** Shown in error messages instead of the URL (which may be sealed). */
  display: string;
  /**
   * The host is secret (a sealed URL's): a transport failure is reported by its error code
   * only, since undici's and TLS's text names the host (a certificate altname mismatch).
   */
  hideHost?: boolean;
}

export interface HttpLimits {
  /** Total deadline: connect, headers and body. */
  timeoutMs: number;
  maxResponseBytes: number;
  signal?: AbortSignal | undefined;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface PinnedClientOptions {
  resolver?: Resolver;
  /** Extra TLS options (tests pass a private `ca`). Server identity is always checked. */
  tls?: Pick<ConnectionOptions, "ca">;
  /** Idle pools kept for keep-alive reuse. */
  maxPools?: number;
}

const CONNECT_ERRORS = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL", "ETIMEDOUT"]);

export class PinnedHttpClient {
  readonly #resolver: Resolver;
  readonly #tls: Pick<ConnectionOptions, "ca">;
  readonly #maxPools: number;
  /** Keyed by origin and the exact checked address list: a pooled socket is always to one of them. */
  readonly #pools = new Map<string, Pool>();

  constructor(options: PinnedClientOptions = {}) {
    this.#resolver = options.resolver ?? systemResolver;
    this.#tls = options.tls ?? {};
    this.#maxPools = options.maxPools ?? 64;
  }

  async resolveTarget(url: URL, options: ResolveOptions = {}): Promise<PinnedTarget> {
    const addresses = await resolveAddresses(url.hostname, this.#resolver, options);
    return Object.freeze({ url: new URL(url.href), addresses: Object.freeze(addresses) });
  }

  /** Resolve once, let `check` decide on every address, then dial only those addresses. */
  async request(
    url: URL,
    request: HttpRequest,
    limits: HttpLimits,
    check: (addresses: readonly string[]) => Decision | Promise<Decision>,
  ): Promise<HttpResponse> {
    const target = await this.resolveTarget(url);
    const decision = await check(target.addresses);
    if (decision.decision === "deny") throw new AegisError("policy_violation", decision.reason);
    return this.dial(target, request, limits);
  }

  /**
   * Sends one request to `target`'s checked addresses. Redirects are returned as they
   * are (undici's dispatch never follows them). Throws AegisError: `runtime_limit` for
   * the deadline or the size cap, `io_error` for transport failures.
   */
  async dial(target: PinnedTarget, request: HttpRequest, limits: HttpLimits): Promise<HttpResponse> {
    const deadline = new Deadline(limits.timeoutMs, limits.signal);
    const { url } = target;
    try {
      if (deadline.reason !== undefined) throw deadline.reason;
      undici ??= await loadUndici();
      const { parseHeaders } = undici.util;
      const pool = this.#pool(target);
      return await new Promise<HttpResponse>((resolve, reject) => {
        const handler = collectResponse(
          {
            maxBytes: limits.maxResponseBytes,
            display: request.display,
            onStart: (abort) => deadline.attach(abort),
            parseHeaders: (raw) => parseHeaders(raw),
          },
          resolve,
          reject,
        );
        pool.dispatch(
          {
            path: `${url.pathname}${url.search}`,
            method: request.method as "GET",
            headers: request.headers,
            body: request.body ?? null,
          },
          handler,
        );
      });
    } catch (e) {
      if (e instanceof AegisError) throw e;
      if (limits.signal?.aborted) {
        throw new AegisError("runtime_limit", `${request.display}: aborted because the run ended`, {
          cause: e,
        });
      }
      if (deadline.expired) {
        const s = limits.timeoutMs / 1000;
        throw new AegisError(
          "runtime_limit",
          `${request.display}: no complete response within network.timeout_seconds = ${s} (connect, headers and body together)`,
          { cause: e },
        );
      }
      if (request.hideHost) {
        const failed = `the request to ${HIDDEN_HOST} failed (${errorCode(e) ?? "no error code"})`;
        throw new AegisError("io_error", `${request.display}: ${failed}`, { cause: e });
      }
      const code = (e as NodeJS.ErrnoException).code;
      const why = e instanceof Error ? e.message : String(e);
      throw new AegisError("io_error", `${request.display}: ${code ? `${code}: ` : ""}${why}`, { cause: e });
    } finally {
      deadline.clear();
    }
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.close().catch(() => p.destroy())));
  }

  #pool(target: PinnedTarget): Pool {
    const key = `${target.url.origin}|${target.addresses.join(",")}`;
    let pool = this.#pools.get(key);
    if (pool) {
      // Most recently used last, so eviction drops the oldest.
      this.#pools.delete(key);
      this.#pools.set(key, pool);
      return pool;
    }
    pool = new undici!.Pool(target.url.origin, {
      connect: pinnedConnector(target, this.#tls),
      keepAliveTimeout: 4_000,
    });
    this.#pools.set(key, pool);
    while (this.#pools.size > this.#maxPools) {
      const [oldKey, oldPool] = this.#pools.entries().next().value as [string, Pool];
      this.#pools.delete(oldKey);
      void oldPool.close().catch(() => oldPool.destroy());
    }
    return pool;
  }
}

/**
 * The deadlines of requests in flight, per run signal: the signal gets one listener that
 * aborts them all, instead of one listener added and removed per request.
 */
const inFlight = new WeakMap<AbortSignal, Set<Deadline>>();

function abortWithRun(run: AbortSignal, deadline: Deadline): void {
  let deadlines = inFlight.get(run);
  if (!deadlines) {
    const set = new Set<Deadline>();
    deadlines = set;
    inFlight.set(run, set);
    run.addEventListener(
      "abort",
      () => {
        for (const d of set) d.abort(run.reason);
        set.clear();
      },
      { once: true },
    );
  }
  deadlines.add(deadline);
}

/**
 * One request's total deadline, also aborted when the run's signal is. It aborts the request
 * through the abort function undici hands the handler when the request starts; aborted before
 * that, it aborts the request as soon as it starts. (One timer, cleared when the request is
 * done: `AbortSignal.timeout` + `AbortSignal.any` cost ~40 µs a request and keep their timers
 * until they fire; an AbortController per request and undici's listener on it cost ~10 µs.)
 */
class Deadline {
  readonly #timer: NodeJS.Timeout;
  readonly #run: AbortSignal | undefined;
  #abortRequest: ((reason: Error) => void) | undefined;
  /** Why the request was aborted; set once. */
  reason: Error | undefined;
  expired = false;

  constructor(timeoutMs: number, run: AbortSignal | undefined) {
    this.#run = run;
    this.#timer = setTimeout(
      () => {
        this.expired = true;
        this.abort(new DOMException("network.timeout_seconds elapsed", "TimeoutError"));
      },
      Math.max(1, timeoutMs),
    );
    this.#timer.unref();
    if (run?.aborted) this.abort(run.reason);
    else if (run) abortWithRun(run, this);
  }

  /** The request has started: `abortRequest` ends it (at once, if the deadline already passed). */
  attach(abortRequest: (reason: Error) => void): void {
    if (this.reason !== undefined) abortRequest(this.reason);
    else this.#abortRequest = abortRequest;
  }

  abort(reason: unknown): void {
    if (this.reason !== undefined) return;
    this.reason = reason instanceof Error ? reason : new Error(String(reason ?? "aborted"));
    this.#abortRequest?.(this.reason);
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.#abortRequest = undefined;
    if (this.#run) inFlight.get(this.#run)?.delete(this);
  }
}

/**
 * An undici connector that ignores the origin's name and dials the checked addresses in
 * order (the next one only when a connection cannot be made at all). TLS still sends the
 * original host as SNI and verifies the certificate against it.
 */
/**
 * undici is loaded on the first request, not at start-up: it is most of a sandbox
 * worker's start time and most scripts never touch the network.
 */
let undici: typeof import("undici") | undefined;

async function loadUndici(): Promise<typeof import("undici")> {
  const m = (await import("undici")) as typeof import("undici") & { default?: typeof import("undici") };
  // Bundled, a CommonJS package's exports arrive as the namespace's default.
  return typeof m.Pool === "function" ? m : m.default!;
}

function pinnedConnector(target: PinnedTarget, tls: Pick<ConnectionOptions, "ca">): buildConnector.connector {
  const base = undici!.buildConnector({ ...tls, rejectUnauthorized: true, timeout: 10_000 });
  const host = bareHostname(target.url.hostname);
  // SNI must not carry an IP literal; Node then checks the certificate against the address.
  const servername = isIP(host) === 0 ? host : undefined;
  return (options, callback) => {
    const attempt = (i: number): void => {
      const address = target.addresses[i]!;
      base({ ...options, hostname: address, ...(servername ? { servername } : {}) }, (err, socket) => {
        const code = (err as NodeJS.ErrnoException | null)?.code;
        if (err && code && CONNECT_ERRORS.has(code) && i + 1 < target.addresses.length) attempt(i + 1);
        else if (err) callback(err, null);
        else callback(null, socket!);
      });
    };
    attempt(0);
  };
}
