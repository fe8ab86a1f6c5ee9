/**
 * Tool calls that run a script take turns, one at a time (the sandbox runs one script at a
 * time anyway). Knowing which call is running lets a confirmation prompt be tied to the
 * tools/call it serves, and the reason it was declined reach that call's result.
 */
import type { RequestId } from "@modelcontextprotocol/sdk/types.js";

export interface ActiveCall {
  /** The tools/call request the run serves; its elicitations are sent as related to it. */
  requestId: RequestId;
  /** Aborted when the client cancels the call. */
  signal: AbortSignal;
  /** Why confirmations in this run were declined, in the words of the result text. */
  declines: string[];
}

export class CallQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #active: ActiveCall | undefined;

  /** The call whose script is running now, if any. */
  get active(): ActiveCall | undefined {
    return this.#active;
  }

  /** Runs `work` for `call` once every earlier call has finished. */
  run<T>(call: ActiveCall, work: () => Promise<T>): Promise<T> {
    const turn = this.#tail.then(async () => {
      this.#active = call;
      try {
        return await work();
      } finally {
        this.#active = undefined;
      }
    });
    this.#tail = turn.catch(() => undefined);
    return turn;
  }

  /** Resolves once every call queued so far, and any queued meanwhile, has finished. */
  async idle(): Promise<void> {
    let tail: Promise<unknown>;
    do {
      tail = this.#tail;
      await tail;
    } while (tail !== this.#tail);
  }
}
