/**
 * The builtin calls of one run: a guest call becomes a guest promise at once, waits in a
 * FIFO queue, runs with at most MAX_IN_FLIGHT others, and settles its promise when the
 * run's loop next takes a turn.
 *
 * Calls are started only from `dispatch`, which the run calls while the module is still
 * running, so a call left behind by the script's last synchronous step never starts.
 * Builtins resolve on the host's event loop and only append to `settled`; the wasm
 * instance is touched only from the run's own turn.
 */
import type { QuickJSDeferredPromise, QuickJSHandle } from "quickjs-emscripten-core";
import { AegisError, isAegisError } from "../../errors.js";
import type { BuiltinTable, HostValue, RunContext } from "../builtin-types.js";
import type { RunSealedStore } from "../sealed-store.js";
import { decodeGuestArgs, encodeForGuest, MarshalError } from "./codec.js";
import type { GuestBridge } from "./guest-bridge.js";
import { MAX_IN_FLIGHT, MAX_QUEUED } from "./limits.js";

interface PendingCall {
  name: string;
  /** The encoded arguments, kept in guest memory while the call waits for a slot. */
  payload: QuickJSHandle | null;
  deferred: QuickJSDeferredPromise;
}

type Settlement =
  | { call: PendingCall; ok: true; value: HostValue }
  | { call: PendingCall; ok: false; error: unknown };

export interface CallHost {
  bridge: GuestBridge;
  store: RunSealedStore;
  ctx: RunContext;
  builtins: BuiltinTable;
  /** True once the run is ending: new calls are refused, queued ones never start. */
  ending(): boolean;
  /** A builtin settled: the run's loop should take a turn. */
  wake(): void;
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class BuiltinCalls {
  readonly #host: CallHost;
  readonly #queue: (PendingCall | undefined)[] = [];
  #head = 0;
  readonly #inFlight = new Set<PendingCall>();
  #settled: Settlement[] = [];
  #closed = false;

  constructor(host: CallHost) {
    this.#host = host;
  }

  get queued(): number {
    return this.#queue.length - this.#head;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  get hasSettled(): boolean {
    return this.#settled.length > 0;
  }

  /** The host function behind every builtin wrapper: returns the guest promise at once. */
  call(nameHandle: QuickJSHandle, payload: QuickJSHandle): QuickJSHandle {
    const vm = this.#host.bridge.vm;
    const deferred = vm.newPromise();
    const name = vm.getString(nameHandle);
    // Rejected at once, the promise handle is still ours to return (the library frees it).
    if (this.#host.ending()) {
      this.#reject(
        deferred,
        new AegisError("runtime_limit", `${name} not started: the run is ending`),
        name,
        true,
      );
    } else if (this.queued >= MAX_QUEUED) {
      const message =
        `${name} refused: ${MAX_QUEUED} calls are already waiting (at most ${MAX_IN_FLIGHT} run at once); ` +
        "await earlier calls before starting more";
      this.#reject(deferred, new AegisError("runtime_limit", message), name, true);
    } else {
      this.#queue.push({ name, payload: payload.dup(), deferred });
    }
    return deferred.handle;
  }

  /** Starts queued calls while fewer than MAX_IN_FLIGHT run. */
  dispatch(): void {
    while (this.#inFlight.size < MAX_IN_FLIGHT && this.queued > 0) {
      const call = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue.splice(0, this.#head);
        this.#head = 0;
      }
      let args: HostValue[];
      try {
        args = decodeGuestArgs(this.#host.bridge.vm.getString(call.payload!), this.#host.store, call.name);
      } catch (e) {
        this.#reject(
          call.deferred,
          e instanceof MarshalError ? e : new AegisError("io_error", `${call.name}: ${errorText(e)}`),
        );
        continue;
      } finally {
        call.payload?.dispose();
        call.payload = null;
      }
      this.#start(call, args);
    }
  }

  #start(call: PendingCall, args: HostValue[]): void {
    const builtin = this.#host.builtins[call.name];
    this.#inFlight.add(call);
    let pending: Promise<HostValue>;
    try {
      pending = builtin
        ? builtin(args, this.#host.ctx)
        : Promise.reject(new AegisError("io_error", `${call.name} is unavailable`));
    } catch (e) {
      pending = Promise.reject(e);
    }
    Promise.resolve(pending).then(
      (value) => this.#settle({ call, ok: true, value }),
      (error: unknown) => this.#settle({ call, ok: false, error }),
    );
  }

  #settle(settlement: Settlement): void {
    if (this.#closed) return;
    this.#inFlight.delete(settlement.call);
    this.#settled.push(settlement);
    this.#host.wake();
  }

  /** Settles the guest promises of every builtin that finished since the last turn. */
  applySettled(): void {
    const batch = this.#settled;
    this.#settled = [];
    for (const s of batch) {
      if (this.#host.ending()) s.call.deferred.dispose();
      else if (s.ok) this.#resolve(s.call, s.value);
      else this.#reject(s.call.deferred, s.error, s.call.name);
    }
  }

  #resolve(call: PendingCall, value: HostValue): void {
    const vm = this.#host.bridge.vm;
    if (value === undefined || value === null || typeof value === "boolean") {
      const handle =
        value === undefined ? vm.undefined : value === null ? vm.null : value ? vm.true : vm.false;
      this.#settleDeferred(call.deferred, "resolve", handle);
      return;
    }
    if (typeof value === "string" || typeof value === "number") {
      // Primitives skip the JSON round trip (fs.read's string is the common case).
      const handle = typeof value === "string" ? vm.newString(value) : vm.newNumber(value);
      this.#settleDeferred(call.deferred, "resolve", handle);
      handle.dispose();
      return;
    }
    let encoded: { text: string; tagged: boolean };
    try {
      encoded = encodeForGuest(value, this.#host.store);
    } catch (e) {
      const message = `${call.name} returned a value the script cannot receive: ${errorText(e)}`;
      this.#reject(call.deferred, new AegisError("io_error", message));
      return;
    }
    const decoded = this.#host.bridge.decodeResult(call.name, encoded.text, encoded.tagged);
    const handle = "error" in decoded ? decoded.error : decoded.value;
    this.#settleDeferred(call.deferred, "error" in decoded ? "reject" : "resolve", handle);
    handle.dispose();
  }

  /** Rejects with a guest AegisError (kind and redacted message), or a TypeError for a refused argument. */
  #reject(deferred: QuickJSDeferredPromise, error: unknown, callee?: string, returningHandle = false): void {
    const bridge = this.#host.bridge;
    let guestError: QuickJSHandle;
    if (error instanceof MarshalError) {
      guestError = bridge.typeError(this.#redact(error.message));
    } else {
      const aegis = isAegisError(error)
        ? error
        : new AegisError("io_error", `${callee ?? "builtin"} failed: ${errorText(error)}`, { cause: error });
      guestError = bridge.aegisError(
        aegis.kind === "config_error" ? "io_error" : aegis.kind,
        this.#redact(aegis.message),
      );
    }
    this.#settleDeferred(deferred, "reject", guestError, returningHandle);
    guestError.dispose();
  }

  #settleDeferred(
    deferred: QuickJSDeferredPromise,
    how: "resolve" | "reject",
    value: QuickJSHandle,
    returningHandle = false,
  ): void {
    try {
      deferred[how](value);
    } catch {
      // Resolving looks up `then` on the value, which can run script code; if that code is
      // interrupted the promise stays pending and the run is already ending.
    }
    if (!returningHandle) deferred.dispose();
  }

  #redact(text: string): string {
    try {
      return this.#host.ctx.redactor.redact(text);
    } catch {
      return "(message withheld: redaction failed)";
    }
  }

  /** Late results are ignored from now on; with `free`, every guest handle still held is freed. */
  close(free: boolean): void {
    this.#closed = true;
    if (!free) return;
    for (let i = this.#head; i < this.#queue.length; i++) {
      this.#queue[i]?.payload?.dispose();
      this.#queue[i]?.deferred.dispose();
    }
    for (const call of this.#inFlight) call.deferred.dispose();
    for (const s of this.#settled) s.call.deferred.dispose();
  }
}
