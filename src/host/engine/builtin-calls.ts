/**
 * The builtin calls of one run: a guest call gets a number at once (the guest makes the
 * promise and keeps its resolvers), waits in a FIFO queue, runs with at most MAX_IN_FLIGHT
 * others, and is settled by number when the run's loop next takes a turn.
 *
 * Calls are started only from `dispatch`, which the run calls while the module is still
 * running, so a call left behind by the script's last synchronous step never starts.
 * Builtins resolve on the host's event loop and only append to `settled`; the wasm
 * instance is touched only from the run's own turn.
 */
import type { QuickJSHandle } from "quickjs-emscripten-core";
import { AegisError, isAegisError } from "../../errors.js";
import type { BuiltinTable, HostValue, RunContext } from "../builtin-types.js";
import type { RunSealedStore } from "../sealed-store.js";
import { decodeGuestArgs, encodeForGuest, MarshalError } from "./codec.js";
import { type GuestBridge, SETTLE } from "./guest-bridge.js";
import { MAX_IN_FLIGHT, MAX_QUEUED } from "./limits.js";

interface PendingCall {
  id: number;
  name: string;
  /** The encoded arguments, kept in guest memory while the call waits for a slot. */
  payload: QuickJSHandle | null;
}

type Settlement =
  | { call: PendingCall; ok: true; value: HostValue }
  | { call: PendingCall; ok: false; error: unknown };

export interface CallHost {
  bridge: GuestBridge;
  store: RunSealedStore;
  ctx: RunContext;
  builtins: BuiltinTable;
  /** The table names the guest refers to by index (the prelude config's `hostNames`). */
  names: readonly string[];
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
  #nextId = 1;
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

  /**
   * The host function behind every builtin wrapper: returns the call's number, or the
   * guest error the wrapper rejects with when the call is refused before it is queued.
   */
  call(indexHandle: QuickJSHandle, payload: QuickJSHandle): QuickJSHandle {
    const bridge = this.#host.bridge;
    const name = this.#host.names[bridge.vm.getNumber(indexHandle)];
    if (name === undefined) throw new Error("hostCall: no builtin at that index");
    if (this.#host.ending()) {
      return this.#guestError(
        new AegisError("runtime_limit", `${name} not started: the run is ending`),
        name,
      );
    }
    if (this.queued >= MAX_QUEUED) {
      const message =
        `${name} refused: ${MAX_QUEUED} calls are already waiting (at most ${MAX_IN_FLIGHT} run at once); ` +
        "await earlier calls before starting more";
      return this.#guestError(new AegisError("runtime_limit", message), name);
    }
    const id = this.#nextId++;
    this.#queue.push({ id, name, payload: payload.dup() });
    return bridge.vm.newNumber(id);
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
          call,
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

  /** Settles, in the guest, every builtin call that finished since the last turn. */
  applySettled(): void {
    const batch = this.#settled;
    this.#settled = [];
    for (const s of batch) {
      if (this.#host.ending()) return;
      if (s.ok) this.#resolve(s.call, s.value);
      else this.#reject(s.call, s.error);
    }
  }

  #resolve(call: PendingCall, value: HostValue): void {
    // Primitives go across as they are (fs.read's string is the common case); the rest as JSON.
    if (value === undefined || value === null || typeof value !== "object") {
      this.#deliver(call.id, SETTLE.value, value);
      return;
    }
    let encoded: { text: string; tagged: boolean };
    try {
      encoded = encodeForGuest(value, this.#host.store);
    } catch (e) {
      const message = `${call.name} returned a value the script cannot receive: ${errorText(e)}`;
      this.#reject(call, new AegisError("io_error", message));
      return;
    }
    this.#deliver(call.id, encoded.tagged ? SETTLE.taggedJson : SETTLE.json, encoded.text);
  }

  /** Rejects with a guest AegisError (kind and redacted message), or a TypeError for a refused argument. */
  #reject(call: PendingCall, error: unknown): void {
    if (error instanceof MarshalError) {
      this.#deliver(call.id, SETTLE.typeError, this.#redact(error.message));
      return;
    }
    const aegis = asAegisError(error, call.name);
    this.#deliver(call.id, SETTLE.aegisError, this.#redact(aegis.message), guestKind(aegis));
  }

  #deliver(id: number, how: number, value: HostValue, kind?: string): void {
    // Resolving looks up `then` on the value, which can run script code; if that code throws
    // or is interrupted the promise stays pending, and an interrupt ends the run anyway.
    this.#host.bridge.settle(id, how, value as string | number | boolean | null | undefined, kind)?.dispose();
  }

  /** A guest error for a call refused before it got a number. */
  #guestError(error: AegisError, name: string): QuickJSHandle {
    const aegis = asAegisError(error, name);
    return this.#host.bridge.aegisError(guestKind(aegis), this.#redact(aegis.message));
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
    for (let i = this.#head; i < this.#queue.length; i++) this.#queue[i]?.payload?.dispose();
  }
}

function asAegisError(error: unknown, callee: string): AegisError {
  return isAegisError(error)
    ? error
    : new AegisError("io_error", `${callee} failed: ${errorText(error)}`, { cause: error });
}

/** The kind a script sees: a config problem inside a builtin is an I/O failure to it. */
function guestKind(error: AegisError): string {
  return error.kind === "config_error" ? "io_error" : error.kind;
}
